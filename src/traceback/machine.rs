//! The line machine: a traceback followed line by line, as event assembly needs for
//! tracebacks split one line per entry.

use super::builder::{Builder, State};
use super::lines::{exception_line, is_group_line, start_at};

/// Follows a traceback line by line, as event assembly needs for tracebacks split one line
/// per entry: it says whether each next line still belongs to the traceback.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LineMachine {
    pub(super) builder: Builder,
    /// Inside a top-level exception group's margin.
    group: bool,
    /// An exception line was seen inside the group margin.
    group_exception: bool,
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
        self.builder.complete() || (self.group_exception && self.builder.state != State::Stack)
    }
}
