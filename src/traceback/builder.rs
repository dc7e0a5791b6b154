//! The states of a traceback's shape, fed line by line: the parser and the line machine
//! follow the same states, so they agree on where a traceback ends.

use super::lines::{
    exception_line, parse_file_line, start_at, CAUSE, CONTEXT, GROUP_HEADER, HEADER,
};
use super::model::{Exception, Frame, Link};
use crate::entry::{level_word, Severity};

/// Where the builder is in the shape of a traceback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum State {
    /// Nothing yet: a header, a SyntaxError location or a bare exception line may come.
    #[default]
    Start,
    /// After a header: frames, their source and caret lines, then the exception line.
    Stack,
    /// After the exception line: message continuation lines and notes.
    Message,
    /// Blank line(s) after a message: only a chain separator (or SQLAlchemy's background
    /// link) goes on.
    Blank,
    /// After a chain separator: blank lines, then the next header.
    Separator,
}

/// Builds the chain of one traceback level line by line. `feed` says whether a line still
/// belongs to it, which is all the line machine needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Builder {
    pub(super) state: State,
    /// Unindented note-like lines after the message count as notes (only when the text is
    /// known to be one traceback; split entries end at such a line instead).
    pub(super) notes: bool,
    pub(super) chain: Vec<Exception>,
    pub(super) frames: Vec<Frame>,
    pub(super) syntax: Option<Frame>,
    pub(super) link: Option<Link>,
    /// Inside SQLAlchemy's `[SQL: ...]` block, which quotes a statement over several lines.
    pub(super) in_sql: bool,
    /// Only follow the shape, keep nothing: the line machine's builder, which may see a
    /// million-frame recursion line by line, must stay small.
    pub(super) track_only: bool,
    /// Frames seen so far (kept or not).
    pub(super) frames_seen: u32,
    /// An exception line before this many frames does not end this traceback (it is not
    /// one): a traceback that lost its header is only taken for one with two frames or
    /// more, so that a frame quoted in prose and a line after it make no event.
    pub(super) min_frames: u32,
    /// The frames sit at column 0 (a paste that lost its indentation): unindented lines
    /// after a frame are its source, not the end of the traceback.
    pub(super) flush_left: bool,
    /// Unindented source lines in a row under the last frame, in a flush-left paste.
    pub(super) loose: u8,
}

/// Unindented source lines a flush-left frame may have (a 3.13 source spans a few lines);
/// past them the traceback has ended, cut before its exception line.
const MAX_LOOSE: u8 = 8;

impl Builder {
    pub(super) fn new(notes: bool) -> Self {
        Builder {
            notes,
            ..Builder::default()
        }
    }

    pub(super) fn expects_start(&self) -> bool {
        matches!(self.state, State::Start | State::Separator)
    }

    /// Appends exceptions parsed elsewhere (an exception group), as if just printed.
    pub(super) fn extend(&mut self, excs: Vec<Exception>) {
        if excs.is_empty() {
            return;
        }
        if let (Some(link), Some(last)) = (self.link.take(), self.chain.last_mut()) {
            last.link = Some(link);
        }
        self.chain.extend(excs);
        self.state = State::Message;
    }

    pub(super) fn feed(&mut self, line: &str) -> bool {
        let line = line.trim_end_matches(['\r', '\n']);
        match self.state {
            State::Start | State::Separator => self.feed_start(line),
            State::Stack => self.feed_stack(line),
            State::Message => self.feed_message(line),
            State::Blank => self.feed_blank(line),
        }
    }

    pub(super) fn feed_start(&mut self, line: &str) -> bool {
        let t = line.trim();
        if t.is_empty() && self.state == State::Separator {
            return true;
        }
        if t == HEADER || t == GROUP_HEADER {
            self.state = State::Stack;
            return true;
        }
        if let Some(frame) = line.starts_with(' ').then(|| parse_file_line(t)).flatten() {
            self.push_frame(frame);
            self.state = State::Stack;
            return true;
        }
        if let Some(frame) = flush_left_frame(line) {
            self.flush_left = true;
            self.push_frame(frame);
            self.state = State::Stack;
            return true;
        }
        if self.state == State::Start && exception_line(line).is_some() {
            return self.feed_stack(line);
        }
        false
    }

    pub(super) fn feed_stack(&mut self, line: &str) -> bool {
        if line.starts_with([' ', '\t']) {
            let t = line.trim();
            if let Some(frame) = parse_file_line(t) {
                self.push_frame(frame);
            } else if !is_decoration(t) {
                let last = match self.syntax.as_mut() {
                    Some(s) => Some(s),
                    None => self.frames.last_mut(),
                };
                if let Some(f) = last.filter(|f| f.source.is_none()) {
                    f.source = Some(t.to_string());
                }
            }
            return true;
        }
        if let Some(frame) = flush_left_frame(line) {
            self.flush_left = true;
            self.push_frame(frame);
            return true;
        }
        let exception = exception_line(line).filter(|(ty, message)| {
            // In a flush-left paste, `raise` or `main()` is a source line; an exception
            // line has a message or names a class.
            !self.flush_left
                || !message.is_empty()
                || line.contains(':')
                || ty.contains('.')
                || ty.starts_with(|c: char| c.is_ascii_uppercase())
        });
        let Some((type_name, message)) = exception else {
            return self.feed_loose_source(line);
        };
        if self.frames_seen < self.min_frames {
            return false;
        }
        self.min_frames = 0;
        if let (Some(link), Some(last)) = (self.link.take(), self.chain.last_mut()) {
            last.link = Some(link);
        }
        if self.track_only {
            // `complete` only asks whether an exception line was seen.
            self.chain.truncate(0);
        }
        self.chain.push(Exception {
            type_name: type_name.to_string(),
            message: message.to_string(),
            frames: std::mem::take(&mut self.frames),
            syntax: self.syntax.take(),
            ..Exception::default()
        });
        self.state = State::Message;
        true
    }

    /// An unindented line under a flush-left frame: its source (the first one is kept).
    fn feed_loose_source(&mut self, line: &str) -> bool {
        if !self.flush_left || self.loose >= MAX_LOOSE || line.trim().is_empty() {
            return false;
        }
        self.loose += 1;
        if !self.track_only {
            if let Some(f) = self.frames.last_mut().filter(|f| f.source.is_none()) {
                f.source = Some(line.trim().to_string());
            }
        }
        true
    }

    pub(super) fn push_frame(&mut self, frame: Frame) {
        self.frames_seen = self.frames_seen.saturating_add(1);
        self.loose = 0;
        if self.track_only {
            return;
        }
        if frame.function.is_empty() {
            self.syntax = Some(frame);
        } else {
            self.frames.push(frame);
        }
    }

    pub(super) fn feed_message(&mut self, line: &str) -> bool {
        if self.in_sql || line.starts_with("[SQL: ") {
            self.in_sql = !line.trim_end().ends_with(']');
            self.append_message(line);
            return true;
        }
        if line.trim().is_empty() {
            self.state = State::Blank;
            return true;
        }
        if self.separator(line) {
            return true;
        }
        // An indented line can start the next traceback (a SyntaxError location, a group).
        if start_at(line) == Some(0) {
            return false;
        }
        if line.starts_with([' ', '\t']) || is_message_tail(line) {
            self.append_message(line);
            return true;
        }
        if self.notes && is_note(line) {
            if let Some(last) = self.chain.last_mut() {
                last.notes.push(line.to_string());
            }
            return true;
        }
        false
    }

    pub(super) fn feed_blank(&mut self, line: &str) -> bool {
        if line.trim().is_empty() || self.separator(line) {
            return true;
        }
        if is_message_tail(line) {
            self.state = State::Message;
            return self.feed_message(line);
        }
        false
    }

    pub(super) fn separator(&mut self, line: &str) -> bool {
        let link = match line.trim() {
            CAUSE => Link::Cause,
            CONTEXT => Link::Context,
            _ => return false,
        };
        self.link = Some(link);
        self.state = State::Separator;
        true
    }

    pub(super) fn append_message(&mut self, line: &str) {
        if self.track_only {
            return;
        }
        if let Some(last) = self.chain.last_mut() {
            if last.notes.is_empty() {
                last.message.push('\n');
                last.message.push_str(line);
            }
        }
    }

    /// Whether the lines so far end with an exception line (the traceback is whole).
    pub(super) fn complete(&self) -> bool {
        matches!(self.state, State::Message | State::Blank) && !self.chain.is_empty()
    }

    /// The chain; frames still waiting for their exception line (a cut traceback) are kept
    /// under an exception with no type.
    pub(super) fn finish(mut self) -> Vec<Exception> {
        if !self.frames.is_empty() || self.syntax.is_some() {
            if let (Some(link), Some(last)) = (self.link.take(), self.chain.last_mut()) {
                last.link = Some(link);
            }
            self.chain.push(Exception {
                frames: std::mem::take(&mut self.frames),
                syntax: self.syntax.take(),
                ..Exception::default()
            });
        }
        self.chain
    }
}

/// A frame line at column 0 (`File "x.py", line 3, in f`): a paste that lost its
/// indentation. A SyntaxError location (no function) is only taken indented, as printed.
fn flush_left_frame(line: &str) -> Option<Frame> {
    if !line.starts_with("File \"") {
        return None;
    }
    parse_file_line(line.trim_end()).filter(|f| !f.function.is_empty())
}

/// Caret and elision lines under a frame: `^^^^`, `~~~^^^`, `...<3 lines>...`,
/// `[Previous line repeated 996 more times]`.
fn is_decoration(t: &str) -> bool {
    t.is_empty()
        || t.bytes().all(|b| matches!(b, b'^' | b'~' | b' ' | b'-'))
        || (t.starts_with("...<") && t.ends_with(">..."))
        || (t.starts_with("[Previous line repeated") && t.ends_with(']'))
}

/// Unindented lines that libraries put under their exception message: SQLAlchemy's SQL and
/// background link, libpq's `LINE 1:`, `DETAIL:`, `HINT:`.
fn is_message_tail(line: &str) -> bool {
    const TAILS: &[&str] = &[
        "[SQL: ",
        "[parameters: ",
        "(Background on this error at:",
        "DETAIL:  ",
        "HINT:  ",
        "CONTEXT:  ",
    ];
    if let Some(rest) = line.strip_prefix("LINE ") {
        return rest.starts_with(|c: char| c.is_ascii_digit());
    }
    // grpc's `_InactiveRpcError` repr closes its tab-indented block with a lone `>`.
    line == ">" || TAILS.iter().any(|t| line.starts_with(t))
}

/// A note added with `add_note`: a short unindented line that is not a log record of its
/// own (no level word, no timestamp or bracket in front) and not a new traceback.
fn is_note(line: &str) -> bool {
    line.len() <= 400
        && level_word(line) == Severity::Default
        && !line.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '[' | '{' | '<' | '"'))
        && start_at(line).is_none()
        && !line.starts_with("Traceback")
}
