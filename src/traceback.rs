//! Python tracebacks: recognising one line by line, and parsing one into a structured value.
//!
//! SKELETON: the real implementation (issue 3) replaces the bodies, keeping the API.

/// A parsed traceback: the chain of exceptions in print order (the original cause first).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Traceback {
    /// The exceptions in the order CPython printed them.
    pub chain: Vec<Exception>,
}

/// How an exception in the chain leads to the next one printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// "The above exception was the direct cause of the following exception:"
    Cause,
    /// "During handling of the above exception, another exception occurred:"
    Context,
}

/// One exception of a chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
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

/// Parses the text of one traceback (header lines before it are skipped).
/// Returns `None` when the text holds no traceback.
pub fn parse(text: &str) -> Option<Traceback> {
    let _ = text;
    todo!("issue 3")
}

/// Follows a traceback line by line, as event assembly needs for tracebacks split one line
/// per entry: it says whether each next line still belongs to the traceback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(dead_code)] // SKELETON: used once event assembly lands.
pub(crate) struct LineMachine {
    _state: (),
}

#[allow(dead_code)]
impl LineMachine {
    /// A machine when `line` starts a traceback (`Traceback (most recent call last):`, an
    /// exception group header, or the `  File "x.py", line N` of a SyntaxError printed without
    /// a header), else `None`.
    pub(crate) fn start(line: &str) -> Option<LineMachine> {
        let _ = line;
        todo!("issue 3")
    }

    /// Feeds the next line: `true` when it belongs to the traceback; `false` when the
    /// traceback ended before it (the line is then not consumed).
    pub(crate) fn feed(&mut self, line: &str) -> bool {
        let _ = line;
        todo!("issue 3")
    }

    /// Whether the lines fed so far end in an exception line, so that ending here leaves a
    /// whole traceback.
    pub(crate) fn complete(&self) -> bool {
        todo!("issue 3")
    }
}
