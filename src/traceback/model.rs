//! The parsed traceback: a chain of exceptions, each with its frames.

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
