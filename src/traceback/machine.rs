//! The line machine: a traceback followed line by line, as event assembly needs for
//! tracebacks split one line per entry.

use super::builder::{Builder, State};
use super::lines::{
    exception_line, frame_at, is_group_line, start_at, start_or_frame_at, strip_shaped,
};

/// Where a traceback starts in a line of a stream, and the machine that follows it.
#[derive(Clone, Debug)]
pub(crate) struct SplitStart {
    /// The length of the prefix before it (`web-1  | `, a timestamp).
    pub(crate) at: usize,
    pub(crate) machine: LineMachine,
    /// The stream's previous line (given as `before`) is its exception line, printed first.
    pub(crate) takes_before: bool,
}

/// Where a traceback starts in `line`, an entry of a stream whose previous entry was
/// `before`: a header, an exception-group header or a SyntaxError location behind a prefix;
/// else a frame of a traceback that lost its header ([`LineMachine::headerless`]), whose
/// exception may be `before` (Sentry's layout) when that is an exception line behind the
/// same prefix.
pub(crate) fn split_start(line: &str, before: Option<&str>) -> Option<SplitStart> {
    let (at, header) = start_or_frame_at(line)?;
    if header {
        let machine = LineMachine::start(line.get(at..)?)?;
        return Some(SplitStart {
            at,
            machine,
            takes_before: false,
        });
    }
    let prefix = line.get(..at)?;
    let takes_before = before
        .and_then(|b| strip_shaped(prefix, b))
        .is_some_and(|b| exception_line(b.trim_end()).is_some());
    let machine = LineMachine::headerless(line.get(at..)?, takes_before)?;
    Some(SplitStart {
        at,
        machine,
        takes_before,
    })
}

/// Follows a traceback line by line, as event assembly needs for tracebacks split one line
/// per entry: it says whether each next line still belongs to the traceback.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LineMachine {
    pub(super) builder: Builder,
    /// Inside a top-level exception group's margin.
    group: bool,
    /// An exception line was seen inside the group margin.
    group_exception: bool,
    /// It started at a frame, its header lost: it is a traceback only once its shape is
    /// whole (see [`LineMachine::headerless`]).
    headerless: bool,
    /// The line before its first frame was an exception line (Sentry's layout): two frames
    /// make it whole, with no exception line after them.
    exception_first: bool,
}

impl LineMachine {
    /// A machine when `line` starts a traceback (`Traceback (most recent call last):`, an
    /// exception group header, or the `  File "x.py", line N` of a SyntaxError printed without
    /// a header), else `None`.
    pub(crate) fn start(line: &str) -> Option<LineMachine> {
        if start_at(line) != Some(0) {
            return None;
        }
        let mut m = LineMachine {
            builder: Builder {
                track_only: true,
                ..Builder::new(false)
            },
            ..LineMachine::default()
        };
        m.feed(line).then_some(m)
    }

    /// A machine for a traceback that lost its header, when `line` (its prefix taken off)
    /// is a frame line. It takes only the shape the issue reports of real pastes: two frames
    /// or more followed by an exception line, or, when `exception_first` (the line before
    /// was an exception line, as Sentry prints it), two frames or more.
    pub(crate) fn headerless(line: &str, exception_first: bool) -> Option<LineMachine> {
        if frame_at(line) != Some(0) {
            return None;
        }
        let mut m = LineMachine {
            builder: Builder {
                track_only: true,
                min_frames: 2,
                ..Builder::new(false)
            },
            headerless: true,
            exception_first,
            ..LineMachine::default()
        };
        m.feed(line).then_some(m)
    }

    /// Feeds the next line: `true` when it belongs to the traceback; `false` when the
    /// traceback ended before it (the line is then not consumed).
    pub(crate) fn feed(&mut self, line: &str) -> bool {
        let line = line.trim_end_matches(['\r', '\n']);
        if self.group {
            if is_group_line(line) && start_at(line) != Some(0) {
                let content = line.trim_start_matches([' ', '|', '+']);
                if exception_line(content).is_some() {
                    self.group_exception = true;
                }
                return true;
            }
            self.group = false;
            if self.group_exception {
                self.builder.state = State::Message;
            }
        } else if self.builder.expects_start() && is_group_line(line) {
            self.group = true;
            return true;
        }
        self.builder.feed(line)
    }

    /// Whether the lines fed so far end in an exception line, so that ending here leaves a
    /// whole traceback.
    pub(crate) fn complete(&self) -> bool {
        if self.group {
            return self.group_exception;
        }
        self.builder.complete()
            || (self.group_exception && self.builder.state != State::Stack)
            || (self.exception_first
                && self.builder.state == State::Stack
                && self.builder.frames_seen >= 2)
    }

    /// Whether it started without a header and its shape is not whole yet: if it ends so,
    /// its lines were no traceback, and make no event.
    pub(crate) fn tentative(&self) -> bool {
        self.headerless && !self.complete()
    }
}
