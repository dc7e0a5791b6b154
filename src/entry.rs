//! A borrowed view of one Cloud Logging `LogEntry`, and the prefilter that decides which
//! entries are worth parsing at all.
//!
//! SKELETON: the real implementation (issue 2) replaces the bodies, keeping the API.

use std::borrow::Cow;

/// A `LogEntry.severity`, in Cloud Logging's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No severity, as un-structured stdout/stderr has.
    #[default]
    Default,
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `NOTICE`.
    Notice,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
    /// `CRITICAL`.
    Critical,
    /// `ALERT`.
    Alert,
    /// `EMERGENCY`.
    Emergency,
}

impl Severity {
    /// Whether an entry of this severity without a traceback is an event (§2.3).
    pub fn is_error(self) -> bool {
        self >= Severity::Error
    }
}

/// Why an entry that looked like a candidate could not be read as a `LogEntry`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: not a JSON object: {reason}")]
pub struct EntryError {
    /// The 1-based input line where the entry starts.
    pub line: u64,
    /// serde_json's message.
    pub reason: String,
}

/// One log entry, borrowed from the reader's buffer (or from a scratch buffer when the entry
/// held invalid UTF-8 and was decoded lossily). Strings are `Cow::Borrowed` unless they
/// held JSON escapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry<'a> {
    /// The 1-based input line where the entry starts.
    pub line: u64,
    /// `insertId`.
    pub insert_id: Option<Cow<'a, str>>,
    /// `timestamp`, as written (RFC 3339).
    pub timestamp: Option<Cow<'a, str>>,
    /// `severity`.
    pub severity: Severity,
    /// `logName`.
    pub log_name: Option<Cow<'a, str>>,
    /// `resource.type`.
    pub resource_type: Option<Cow<'a, str>>,
    /// `resource.labels`, in input order.
    pub resource_labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `labels.instanceId`.
    pub instance_id: Option<Cow<'a, str>>,
    /// `textPayload`, or the whole line in plain-text input.
    pub text_payload: Option<Cow<'a, str>>,
    /// The string fields of `jsonPayload`, in input order (`message` among them).
    pub json_strings: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `jsonPayload.duration_ms` when it is a number.
    pub duration_ms: Option<f64>,
    /// `trace`.
    pub trace: Option<Cow<'a, str>>,
}

impl<'a> Entry<'a> {
    /// Parses a JSON `LogEntry`. Invalid UTF-8 is decoded lossily into `scratch`, which the
    /// entry then borrows.
    pub fn from_json(
        bytes: &'a [u8],
        line: u64,
        scratch: &'a mut String,
    ) -> Result<Self, EntryError> {
        let _ = (bytes, line, scratch);
        todo!("issue 2")
    }

    /// A plain-text line as an entry: its text is the `text_payload`.
    pub fn from_text(text: Cow<'a, str>, line: u64) -> Self {
        Entry {
            line,
            text_payload: Some(text),
            ..Entry::default()
        }
    }

    /// The entry's message: `textPayload`, else `jsonPayload.message`.
    pub fn message(&self) -> Option<&str> {
        todo!("issue 2")
    }

    /// `resource.labels.service_name` (Cloud Run), or the first of `container_name`,
    /// `function_name`, `module_id` that is present.
    pub fn service(&self) -> Option<&str> {
        todo!("issue 2")
    }

    /// `resource.labels.revision_name` (Cloud Run) or `version_id`.
    pub fn revision(&self) -> Option<&str> {
        todo!("issue 2")
    }

    /// The severity, or for `DEFAULT` the level word that starts the message (`ERROR:`,
    /// `[ERROR]`, `CRITICAL`, `FATAL`, ...), as §2 says.
    pub fn effective_severity(&self) -> Severity {
        todo!("issue 2")
    }

    /// Identifies the entry's stream (`logName`, `resource.type`, `resource.labels`,
    /// `labels.instanceId`): a split traceback is reassembled from entries of one stream.
    pub fn stream_key(&self) -> u64 {
        todo!("issue 2")
    }
}

/// Decides from an entry's raw bytes, without parsing, whether it may hold an event
/// (§2): traceback markers, error levels, slow-query and out-of-memory markers.
#[derive(Clone, Debug)]
pub struct Prefilter {
    _private: (),
}

impl Default for Prefilter {
    fn default() -> Self {
        Prefilter { _private: () }
    }
}

impl Prefilter {
    /// Whether `bytes` (one framed entry) may hold an event and must be parsed.
    pub fn is_candidate(&self, bytes: &[u8]) -> bool {
        let _ = bytes;
        todo!("issue 2")
    }
}
