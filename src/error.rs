//! The one public error type of the crate.

use std::path::PathBuf;

/// Everything that can stop a triage run before it starts or while it reads.
///
/// Bad *log input* is never an error: it is counted in [`crate::Totals`]. Errors are for
/// things a user must fix: an unreadable input, an output that cannot be written, an invalid
/// known-issues or rules file, an option out of range.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the log input failed (not: the input was malformed).
    #[error("cannot read the input: {0}")]
    Input(#[from] std::io::Error),
    /// A [`crate::Sink`] could not take an event (its output failed or closed).
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    /// A known-issues or rules file could not be opened.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file named by the user.
        path: PathBuf,
        /// Why it could not be opened.
        source: std::io::Error,
    },
    /// A known-issues or rules file is not valid JSON of the documented shape.
    #[error("{file}{}: {reason}", at(*line, *column))]
    File {
        /// The file (or `<builtin>` for the compiled-in rules).
        file: String,
        /// The 1-based line where the problem is, 0 when it is the whole file's.
        line: usize,
        /// The 1-based column on that line, 0 when unknown.
        column: usize,
        /// What is wrong, in the file format's words.
        reason: String,
    },
    /// One entry of a known-issues or rules file is invalid.
    #[error("{file}: {item} {index}: {reason}")]
    Item {
        /// The file.
        file: String,
        /// What kind of entry.
        item: Item,
        /// The 0-based index of the entry in its array.
        index: usize,
        /// What is wrong: a bad regex, an unknown category, a missing field.
        reason: String,
    },
    /// A saved report (a `--baseline`) follows another schema than this version reads.
    #[error(
        "{file}: a report of schema_version {found}; this version reads schema_version {}: \
         triage the baseline's logs again, or save it again with this version",
        crate::SCHEMA_VERSION
    )]
    SchemaVersion {
        /// The file named by the user.
        file: String,
        /// The `schema_version` it holds.
        found: u64,
    },
    /// The directory for issue drafts cannot be created or written.
    #[error("{}: cannot write issue drafts there: {source}", dir.display())]
    Drafts {
        /// The directory named by the user.
        dir: PathBuf,
        /// Why it cannot be used.
        source: std::io::Error,
    },
    /// A setting was given a value it cannot take.
    #[error("invalid {name}: {reason}")]
    Setting {
        /// The setting, as the builder and the command line name it (`threads`, `slow-ms`).
        name: &'static str,
        /// What is wrong with the value given.
        reason: String,
    },
    /// A partial report cannot be read, or merged with the one before it.
    #[error(transparent)]
    Partial(#[from] PartialError),
}

/// Why a partial report ([`crate::Partial`]) cannot be read or merged: never a wrong report.
#[derive(Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PartialError {
    /// It is not a partial report's JSON, or it was cut short.
    #[error("not a whole partial report (truncated?): {reason}")]
    Invalid {
        /// What serde_json found wrong.
        reason: String,
    },
    /// It follows another version of the partial format.
    #[error("a partial report of partial_version {found}; this build reads version {want}")]
    Version {
        /// Its `partial_version`.
        found: u64,
        /// [`crate::PARTIAL_VERSION`].
        want: u32,
    },
    /// It was made with other settings than the partial before it, or than the merge uses.
    #[error(
        "made with another {setting} than the partial before it (make and merge every \
         partial with the same --slow-ms, --max-entry-bytes, --validate and --rules)"
    )]
    Settings {
        /// The setting that differs (`slow-ms`, `max-entry-bytes`, `validate`, `rules`).
        setting: &'static str,
    },
    /// Its input was read in another format than the partial before it.
    #[error(
        "read as {this}, the shard before it as {before} (a shard cut from the middle of an \
         array needs --input-format array)"
    )]
    Format {
        /// The format of the shard before.
        before: String,
        /// Its format.
        this: String,
    },
    /// Its recorded place in its input does not follow the partial before it.
    #[error(
        "out of order: it covers bytes {start}..{end} of {input}, and the partial before it \
         ends at byte {before_end} of that file (give the partials in input order, each once)"
    )]
    OutOfOrder {
        /// The input file both were made from.
        input: String,
        /// Where this one starts in it.
        start: u64,
        /// Where this one ends.
        end: u64,
        /// Where the one before ends.
        before_end: u64,
    },
    /// A split traceback open at the end of the shards before is still open past the lead
    /// of this shard that its partial keeps, so the merge cannot finish it exactly.
    #[error(
        "a split traceback open at the end of the shard before it is still open {kept} bytes \
         into this one, past what its partial keeps: cut the input elsewhere, or into \
         fewer shards"
    )]
    NotExact {
        /// The bytes of the shard's start that its partial keeps.
        kept: u64,
    },
}

/// The kind of entry an [`Error::Item`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// An entry of a rules file's `categories`.
    Rule,
    /// An entry of a known-issues file's `issues`.
    Issue,
    /// An entry of a rules file's `platform` (a platform message).
    Platform,
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Item::Rule => "rule",
            Item::Issue => "issue",
            Item::Platform => "platform row",
        })
    }
}

/// `:line:column` for a place in a file, or nothing when there is none.
fn at(line: usize, column: usize) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (l, 0) => format!(":{l}"),
        (l, c) => format!(":{l}:{c}"),
    }
}

impl Error {
    /// The error for a file that serde_json could not read, at the place it names.
    pub(crate) fn json(file: &str, e: &serde_json::Error) -> Error {
        // serde_json appends " at line L column C"; the place goes into the typed fields.
        let text = e.to_string();
        let reason = match text.rfind(" at line ") {
            Some(i) if e.line() > 0 => text.get(..i).unwrap_or(&text).to_string(),
            _ => text,
        };
        Error::File {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            reason,
        }
    }
}

/// A regex error on one line (the `regex` crate draws the pattern and a caret over several):
/// a command line reports a bad file in one line.
pub(crate) fn regex_error(e: &regex::Error) -> String {
    let text = match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map_or(s.as_str(), |l| l.trim_start_matches("error: ")),
        _ => {
            return e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
