//! The one public error type of the crate.

use std::path::PathBuf;

/// Everything that can stop a triage run before it starts or while it reads.
///
/// Bad *log input* is never an error: it is counted in [`crate::Totals`]. Errors are for
/// things a user must fix: an unreadable input, an output that cannot be written, an invalid
/// known-issues or rules file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the log input failed (not: the input was malformed).
    #[error("cannot read the log input: {0}")]
    Io(#[from] std::io::Error),
    /// The [`crate::Sink`] failed: writing the events out, not reading the input. A closed
    /// pipe shows as [`std::io::ErrorKind::BrokenPipe`] here.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    /// A known-issues or rules file could not be opened.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file named by the user.
        path: PathBuf,
        /// Why it could not be opened.
        source: std::io::Error,
    },
    /// A known-issues or rules file is not valid JSON of the documented shape.
    #[error("{origin}: {reason}")]
    File {
        /// The file (or `<builtin>` for the compiled-in rules).
        origin: String,
        /// What is wrong, with the line and column where serde_json reports them.
        reason: String,
    },
    /// One entry of a known-issues or rules file is invalid.
    #[error("{origin}: {what} {index}: {reason}")]
    Item {
        /// The file.
        origin: String,
        /// `issue` or `rule`.
        what: &'static str,
        /// The 0-based index of the entry in its array.
        index: usize,
        /// What is wrong: a bad regex, an unknown category, a missing field.
        reason: String,
    },
    /// An option was given a value it cannot take.
    #[error("invalid option: {0}")]
    Config(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
