//! Python tracebacks: recognising one line by line, and parsing one into a structured value.
//!
//! CPython prints a traceback as a header, frames (each with an optional source line and,
//! from 3.11, caret lines), then the exception line, possibly with a message that spans
//! lines, and notes. Chained exceptions repeat that shape after a separator sentence, and an
//! exception group nests its sub-exceptions in `| ` margins. Both the parser ([`parse`]) and
//! the line machine that event assembly uses for tracebacks split one line per entry follow
//! the same [`Builder`] states, so they agree on where a traceback ends.

use crate::entry::{level_word, Severity};

/// A parsed traceback: the chain of exceptions in print order (the original cause first).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Traceback {
    /// The exceptions in the order CPython printed them.
    pub chain: Vec<Exception>,
}

/// How an exception in the chain leads to the next one printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Link {
    /// "The above exception was the direct cause of the following exception:"
    Cause,
    /// "During handling of the above exception, another exception occurred:"
    Context,
}

/// One exception of a chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Exception {
    /// The type as printed, e.g. `redis.exceptions.ConnectionError`.
    pub type_name: String,
    /// The message; may span lines. Empty when the exception line has no `: `.
    pub message: String,
    /// Notes added with `add_note` (3.11+), one per line.
    pub notes: Vec<String>,
    /// The frames, outermost first, as printed.
    pub frames: Vec<Frame>,
    /// How this exception leads to the next one in `Traceback::chain`, if one follows.
    pub link: Option<Link>,
    /// Sub-exceptions of an exception group, each a traceback of its own.
    pub children: Vec<Traceback>,
    /// The `and N more exceptions` count of a group that was cut.
    pub more_children: u32,
    /// The location block of a `SyntaxError` (file, line, source text).
    pub syntax: Option<Frame>,
}

/// One stack frame: `File "/app/smd.py", line 1687, in _initialize_factory_patterns`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Frame {
    /// The file path as printed.
    pub file: String,
    /// The line number, when printed.
    pub line: Option<u32>,
    /// The function (`<module>` at top level); empty for a SyntaxError location.
    pub function: String,
    /// The source line CPython printed under the frame, trimmed.
    pub source: Option<String>,
}

impl Traceback {
    /// A traceback of `chain`, the exceptions in print order.
    pub fn new(chain: Vec<Exception>) -> Self {
        Traceback { chain }
    }
}

impl Exception {
    /// An exception `type_name: message` raised through `frames` (outermost first).
    pub fn new(type_name: &str, message: &str, frames: Vec<Frame>) -> Self {
        Exception {
            type_name: type_name.to_string(),
            message: message.to_string(),
            frames,
            ..Exception::default()
        }
    }
}

impl Frame {
    /// A frame of `file` at `line` in `function`, without its source line.
    pub fn new(file: &str, line: Option<u32>, function: &str) -> Self {
        Frame {
            file: file.to_string(),
            line,
            function: function.to_string(),
            source: None,
        }
    }
}

const HEADER: &str = "Traceback (most recent call last):";
const GROUP_HEADER: &str = "Exception Group Traceback (most recent call last):";
const CAUSE: &str = "The above exception was the direct cause of the following exception:";
const CONTEXT: &str = "During handling of the above exception, another exception occurred:";

/// Parses the text of one traceback (header lines before it are skipped).
/// Returns `None` when the text holds no traceback.
///
/// When the header line carries a prefix (`web-1  | `, a timestamp), the same prefix (digits
/// may differ) is taken off the lines that follow; lines with another prefix are passed over.
/// The traceback ends where its shape ends: trailing log lines are not part of it.
pub fn parse(text: &str) -> Option<Traceback> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let (first, at) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| start_at(l).map(|p| (i, p)))?;
    let prefix = lines.get(first).and_then(|l| l.get(..at)).unwrap_or("");
    let mut body: Vec<&str> = Vec::with_capacity(lines.len() - first);
    for (i, line) in lines.iter().enumerate().skip(first) {
        if i == first {
            body.push(line.get(at..).unwrap_or(""));
        } else if let Some(rest) = strip_shaped(prefix, line) {
            body.push(rest);
        }
    }
    Some(Traceback {
        chain: parse_top(&body),
    })
}

/// Where a traceback starts in `line`: the length of the prefix before it, when the line is
/// a `Traceback` header, an exception-group header, or a SyntaxError location printed
/// without a header.
pub(crate) fn start_at(line: &str) -> Option<usize> {
    let line = line.trim_end();
    if let Some(head) = line.strip_suffix(HEADER) {
        if let Some(before) = head.strip_suffix("Exception Group ") {
            // `  + Exception Group Traceback ...` at the top, `| ` inside another group.
            let before = before
                .strip_suffix("+ ")
                .or_else(|| before.strip_suffix("| "))?;
            let before = before.strip_suffix("  ").unwrap_or(before);
            return Some(before.len());
        }
        return Some(head.len());
    }
    let idx = finder!("File \"").find(line.as_bytes())?;
    let head = line.get(..idx)?;
    let (_, _, function) = file_line_parts(line.get(idx..)?)?;
    if !function.is_empty() || !head.ends_with("  ") {
        return None;
    }
    Some(idx - 2)
}

/// Takes a prefix shaped like `prefix` off `line`: the same bytes, except that a run of
/// digits may be any run of digits (timestamps, `web-1`, pids).
pub(crate) fn strip_shaped<'l>(prefix: &str, line: &'l str) -> Option<&'l str> {
    let p = prefix.as_bytes();
    let l = line.as_bytes();
    let (mut i, mut j) = (0, 0);
    while i < p.len() {
        let c = p[i];
        if c.is_ascii_digit() {
            while i < p.len() && p[i].is_ascii_digit() {
                i += 1;
            }
            let from = j;
            while j < l.len() && l[j].is_ascii_digit() {
                j += 1;
            }
            if j == from {
                return None;
            }
        } else {
            if l.get(j) != Some(&c) {
                return None;
            }
            i += 1;
            j += 1;
        }
    }
    line.get(j..)
}

/// The chain of a top-level traceback: plain tracebacks, and exception groups whose lines
/// all sit in a `  |` / `  +` margin.
fn parse_top(lines: &[&str]) -> Vec<Exception> {
    let mut b = Builder::new(true);
    let mut i = 0;
    while i < lines.len() {
        if b.expects_start() && is_group_line(lines[i]) {
            // The region ends where its margin ends, or where the next group starts.
            let end = lines[i + 1..]
                .iter()
                .position(|l| !is_group_line(l) || start_at(l) == Some(0))
                .map_or(lines.len(), |n| i + 1 + n);
            let region: Vec<&str> = lines[i..end]
                .iter()
                .map(|l| l.get(2..).unwrap_or(""))
                .collect();
            b.extend(parse_group(&region));
            i = end;
            continue;
        }
        if !b.feed(lines[i]) {
            break;
        }
        i += 1;
    }
    b.finish()
}

/// One group level with its margin taken off: own lines start with `|` (or `+` for the
/// top header), `+-+----- 1 -----` opens the first child, `  +----- N -----` the next ones,
/// `  +------------------` closes them, and `  ` lines belong to the open child.
fn parse_group(region: &[&str]) -> Vec<Exception> {
    let mut b = Builder::new(true);
    let mut children: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut open: Option<Vec<&str>> = None;
    let mut owner = 0;
    let mut finished: Vec<(usize, Vec<&str>)> = Vec::new();
    for &line in region {
        if line.starts_with("+-+") {
            owner = b.chain.len().saturating_sub(1);
            open = Some(Vec::new());
        } else if let Some(rest) = line.strip_prefix("  +").filter(|r| r.starts_with("--")) {
            if let Some(done) = open.take() {
                finished.push((owner, done));
            }
            if !rest.trim_end().trim_matches('-').is_empty() {
                open = Some(Vec::new());
            }
        } else if let (Some(rest), Some(child)) = (line.strip_prefix("  "), open.as_mut()) {
            child.push(rest);
        } else {
            let content = line
                .strip_prefix("| ")
                .or_else(|| line.strip_prefix("+ "))
                .unwrap_or_else(|| line.trim_start_matches(['|', '+']));
            if let Some(done) = open.take() {
                finished.push((owner, done));
            }
            b.feed(content);
        }
    }
    if let Some(done) = open.take() {
        finished.push((owner, done));
    }
    children.append(&mut finished);
    let mut chain = b.finish();
    for (owner, lines) in children {
        let Some(exc) = chain.get_mut(owner) else {
            continue;
        };
        if let [only] = lines.as_slice() {
            if let Some(n) = more_exceptions(only) {
                exc.more_children += n;
                continue;
            }
        }
        exc.children.push(Traceback {
            chain: parse_group(&lines),
        });
    }
    chain
}

/// `| and 3 more exceptions` of a group cut at `max_group_width`.
fn more_exceptions(line: &str) -> Option<u32> {
    let rest = line.trim_start_matches(['|', ' ']).strip_prefix("and ")?;
    let (n, tail) = rest.split_once(' ')?;
    if tail.starts_with("more exception") {
        n.parse().ok()
    } else {
        None
    }
}

/// Whether a line sits in an exception group's margin: an even indent of at least two,
/// then `|` or `+`.
pub(crate) fn is_group_line(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    let indent = line.len() - t.len();
    indent >= 2 && indent.is_multiple_of(2) && (t.starts_with('|') || t.starts_with('+'))
}

/// Where the builder is in the shape of a traceback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Builder {
    state: State,
    /// Unindented note-like lines after the message count as notes (only when the text is
    /// known to be one traceback; split entries end at such a line instead).
    notes: bool,
    chain: Vec<Exception>,
    frames: Vec<Frame>,
    syntax: Option<Frame>,
    link: Option<Link>,
    /// Inside SQLAlchemy's `[SQL: ...]` block, which quotes a statement over several lines.
    in_sql: bool,
    /// Only follow the shape, keep nothing: the line machine's builder, which may see a
    /// million-frame recursion line by line, must stay small.
    track_only: bool,
}

impl Builder {
    fn new(notes: bool) -> Self {
        Builder {
            notes,
            ..Builder::default()
        }
    }

    fn expects_start(&self) -> bool {
        matches!(self.state, State::Start | State::Separator)
    }

    /// Appends exceptions parsed elsewhere (an exception group), as if just printed.
    fn extend(&mut self, excs: Vec<Exception>) {
        if excs.is_empty() {
            return;
        }
        if let (Some(link), Some(last)) = (self.link.take(), self.chain.last_mut()) {
            last.link = Some(link);
        }
        self.chain.extend(excs);
        self.state = State::Message;
    }

    fn feed(&mut self, line: &str) -> bool {
        let line = line.trim_end_matches(['\r', '\n']);
        match self.state {
            State::Start | State::Separator => self.feed_start(line),
            State::Stack => self.feed_stack(line),
            State::Message => self.feed_message(line),
            State::Blank => self.feed_blank(line),
        }
    }

    fn feed_start(&mut self, line: &str) -> bool {
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
        if self.state == State::Start && exception_line(line).is_some() {
            return self.feed_stack(line);
        }
        false
    }

    fn feed_stack(&mut self, line: &str) -> bool {
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
        let Some((type_name, message)) = exception_line(line) else {
            return false;
        };
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

    fn push_frame(&mut self, frame: Frame) {
        if self.track_only {
            return;
        }
        if frame.function.is_empty() {
            self.syntax = Some(frame);
        } else {
            self.frames.push(frame);
        }
    }

    fn feed_message(&mut self, line: &str) -> bool {
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

    fn feed_blank(&mut self, line: &str) -> bool {
        if line.trim().is_empty() || self.separator(line) {
            return true;
        }
        if is_message_tail(line) {
            self.state = State::Message;
            return self.feed_message(line);
        }
        false
    }

    fn separator(&mut self, line: &str) -> bool {
        let link = match line.trim() {
            CAUSE => Link::Cause,
            CONTEXT => Link::Context,
            _ => return false,
        };
        self.link = Some(link);
        self.state = State::Separator;
        true
    }

    fn append_message(&mut self, line: &str) {
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
    fn complete(&self) -> bool {
        matches!(self.state, State::Message | State::Blank) && !self.chain.is_empty()
    }

    /// The chain; frames still waiting for their exception line (a cut traceback) are kept
    /// under an exception with no type.
    fn finish(mut self) -> Vec<Exception> {
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

/// `  File "/app/smd.py", line 1687, in _initialize_factory_patterns` (trimmed) as a frame;
/// without `, in` it is a SyntaxError location and `function` stays empty.
fn parse_file_line(t: &str) -> Option<Frame> {
    let (file, line, function) = file_line_parts(t)?;
    Some(Frame {
        file: file.to_string(),
        line: Some(line),
        function: function.to_string(),
        source: None,
    })
}

/// [`parse_file_line`]'s file, line and function (empty for a SyntaxError location),
/// borrowed: [`start_at`] asks of every line whether it is one, and keeps nothing.
fn file_line_parts(t: &str) -> Option<(&str, u32, &str)> {
    let rest = t.strip_prefix("File \"")?;
    let at = finder!("\", line ").find(rest.as_bytes())?;
    let file = rest.get(..at)?;
    let rest = rest.get(at + "\", line ".len()..)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line: u32 = rest.get(..digits)?.parse().ok()?;
    let tail = rest.get(digits..)?;
    let function = if tail.is_empty() {
        ""
    } else {
        tail.strip_prefix(", in ")?
    };
    Some((file, line, function))
}

/// `redis.exceptions.ConnectionError: Error 111 ...` as (type, message); a bare dotted name
/// (`KeyboardInterrupt`) has an empty message.
fn exception_line(line: &str) -> Option<(&str, &str)> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let (ty, msg) = match line.find(':') {
        Some(i) => {
            let msg = line.get(i + 1..)?;
            if !(msg.is_empty() || msg.starts_with(' ')) {
                return None;
            }
            (line.get(..i)?, msg.strip_prefix(' ').unwrap_or(msg))
        }
        None => (line.trim_end(), ""),
    };
    let ok = ty.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'<' | b'>'));
    // Level words (`INFO:`, `ERROR:`) look like names; exception classes are CamelCase.
    let last = ty.rsplit('.').next().unwrap_or(ty);
    let shouting = !last.bytes().any(|b| b.is_ascii_lowercase());
    (ok && !shouting).then_some((ty, msg))
}

/// Follows a traceback line by line, as event assembly needs for tracebacks split one line
/// per entry: it says whether each next line still belongs to the traceback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LineMachine {
    builder: Builder,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_shaped_lets_digit_runs_differ() {
        let rows: &[(&str, &str, Option<&str>)] = &[
            ("web-1  | ", "web-1  |   File \"x\"", Some("  File \"x\"")),
            ("web-1  | ", "worker-1  | x", None),
            (
                "2026-11-27T07:01:02.12345Z ",
                "2026-11-27T07:01:02.9Z ValueError: x",
                Some("ValueError: x"),
            ),
            ("", "anything", Some("anything")),
            ("abc", "ab", None),
        ];
        for (prefix, line, want) in rows {
            assert_eq!(strip_shaped(prefix, line), *want, "{prefix:?} {line:?}");
        }
    }

    #[test]
    fn start_at_finds_prefix_length() {
        let rows: &[(&str, Option<usize>)] = &[
            ("Traceback (most recent call last):", Some(0)),
            ("web-1  | Traceback (most recent call last):", Some(9)),
            (
                "  + Exception Group Traceback (most recent call last):",
                Some(0),
            ),
            (
                "web-1  |   + Exception Group Traceback (most recent call last):",
                Some(9),
            ),
            ("  File \"/app/x.py\", line 3", Some(0)),
            ("  File \"/app/x.py\", line 3, in f", None),
            ("an Exception Traceback", None),
            ("", None),
        ];
        for (line, want) in rows {
            assert_eq!(start_at(line), *want, "{line:?}");
        }
    }

    #[test]
    fn exception_line_table() {
        let rows: &[(&str, Option<(&str, &str)>)] = &[
            ("KeyError: 'user_id'", Some(("KeyError", "'user_id'"))),
            ("KeyboardInterrupt", Some(("KeyboardInterrupt", ""))),
            ("Exception:", Some(("Exception", ""))),
            (
                "redis.exceptions.ConnectionError: Error 111",
                Some(("redis.exceptions.ConnectionError", "Error 111")),
            ),
            ("ERROR:root:boom", None),
            ("INFO:     Shutting down", None),
            ("MemoryError", Some(("MemoryError", ""))),
            ("Worker exiting (pid: 7)", None),
            ("  File \"x\"", None),
        ];
        for (line, want) in rows {
            assert_eq!(exception_line(line), *want, "{line:?}");
        }
    }

    #[test]
    fn machine_ends_after_exception_line() {
        let mut m = LineMachine::start("Traceback (most recent call last):").unwrap();
        assert!(!m.complete());
        assert!(m.feed("  File \"/app/main.py\", line 3, in <module>"));
        assert!(m.feed("    main()"));
        assert!(m.feed("ValueError: boom"));
        assert!(m.complete());
        assert!(!m.feed("INFO:     Started server process [1]"));
    }

    /// Feeds `lines` after the first; returns how many were taken and whether the
    /// traceback was whole at that point.
    fn run_machine(lines: &[&str]) -> (usize, bool) {
        let mut m = LineMachine::start(lines[0]).unwrap();
        let mut taken = 1;
        for line in &lines[1..] {
            if !m.feed(line) {
                break;
            }
            taken += 1;
        }
        (taken, m.complete())
    }

    #[test]
    fn machine_keeps_nothing_of_a_long_recursion() {
        // REGRESSION: a million-frame recursion split line by line held every frame in the
        // machine's builder (197 MB RSS); the machine only follows the shape.
        let mut m = LineMachine::start("Traceback (most recent call last):").expect("a header");
        for _ in 0..10_000 {
            assert!(m.feed("  File \"/app/netra_backend/app/tree.py\", line 41, in walk"));
            assert!(m.feed("    return walk(node.parent)"));
        }
        assert!(m.feed("RecursionError: maximum recursion depth exceeded"));
        assert!(m.complete());
        assert!(m.builder.frames.is_empty());
        assert!(m.builder.chain.len() <= 1 && m.builder.chain.iter().all(|e| e.frames.is_empty()));
    }

    #[test]
    fn machine_end_table() {
        let rows: &[(&str, &[&str], usize, bool)] = &[
            (
                "ends at a log line",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "KeyError: 'a'",
                    "[2026-11-27 07:01:02 +0000] [7] [INFO] Worker exiting (pid: 7)",
                ],
                3,
                true,
            ),
            (
                "chain through blank lines and separator",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "ConnectionRefusedError: [Errno 111] Connection refused",
                    "",
                    "During handling of the above exception, another exception occurred:",
                    "",
                    "Traceback (most recent call last):",
                    "  File \"/app/b.py\", line 2, in f",
                    "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
                    "GET /health 200",
                ],
                9,
                true,
            ),
            (
                "libpq continuation and SQLAlchemy background link",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"10.20.0.3\", port 5432 failed: Connection refused",
                    "\tIs the server running on that host and accepting TCP/IP connections?",
                    "",
                    "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
                    "INFO:     Shutting down",
                ],
                6,
                true,
            ),
            (
                // REGRESSION: the staging fixture's asyncpg timeout lost the lines of its
                // multi-line `[SQL: ...]` block, split one per entry.
                "SQLAlchemy statement quoted over several lines",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "sqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.QueryCanceledError'>: canceling statement due to statement timeout",
                    "[SQL: SELECT threads.id, threads.title ",
                    "FROM threads ",
                    "WHERE threads.user_id = $1::VARCHAR ORDER BY threads.updated_at DESC ",
                    " LIMIT $2::INTEGER]",
                    "[parameters: ('usr_8bf759b8', 50)]",
                    "(Background on this error at: https://sqlalche.me/e/20/dbapi)",
                    "INFO:     Shutting down",
                ],
                9,
                true,
            ),
            (
                "a second traceback is not a continuation",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "KeyError: 'a'",
                    "Traceback (most recent call last):",
                ],
                3,
                true,
            ),
            (
                "cut before the exception line",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "    run()",
                    "GET /health 200",
                ],
                3,
                false,
            ),
            (
                "exception group to its closing line",
                &[
                    "  + Exception Group Traceback (most recent call last):",
                    "  |   File \"/app/a.py\", line 9, in <module>",
                    "  | ExceptionGroup: eg (2 sub-exceptions)",
                    "  +-+---------------- 1 ----------------",
                    "    | ValueError: a",
                    "    +---------------- 2 ----------------",
                    "    | TypeError: b",
                    "    +------------------------------------",
                    "GET /health 200",
                ],
                8,
                true,
            ),
            (
                "SyntaxError without header",
                &[
                    "  File \"/app/a.py\", line 3",
                    "    def f(:",
                    "          ^",
                    "SyntaxError: invalid syntax",
                    "  File \"/app/b.py\", line 4",
                ],
                4,
                true,
            ),
            (
                "recursion elision and 3.13 elided lines",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 2, in f",
                    "    return f(",
                    "           ^^",
                    "    ...<2 lines>...",
                    "  [Previous line repeated 996 more times]",
                    "RecursionError: maximum recursion depth exceeded",
                    "",
                    "",
                    "ERROR:root:next",
                ],
                9,
                true,
            ),
        ];
        for (name, lines, taken, complete) in rows {
            assert_eq!(run_machine(lines), (*taken, *complete), "{name}");
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config(128))]

        /// Whatever the lines, the machine does not panic.
        #[test]
        fn machine_survives_any_lines(lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "Traceback (most recent call last):",
                "  + Exception Group Traceback (most recent call last):",
                "  File \"/app/a.py\", line 3, in f",
                "  File \"/app/a.py\", line 3",
                "    return f()",
                "           ~~~^^^",
                "  | ValueError: a",
                "    +------------------------------------",
                "KeyError: 'a'",
                "During handling of the above exception, another exception occurred:",
                "",
                "\tIs the server running on that host?",
                "GET /health 200",
            ]),
            1..30,
        )) {
            if let Some(mut m) = LineMachine::start(lines[0]) {
                let taken = lines[1..].iter().take_while(|l| m.feed(l)).count();
                let _ = (taken, m.complete());
            }
        }
    }

    #[test]
    fn machine_start_rejects_other_lines() {
        assert!(LineMachine::start("GET /health 200").is_none());
        assert!(LineMachine::start("web-1  | Traceback (most recent call last):").is_none());
    }
}
