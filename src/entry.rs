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
        self.text_payload
            .as_deref()
            .or_else(|| self.json_string("message"))
    }

    /// A string field of `jsonPayload`.
    pub fn json_string(&self, key: &str) -> Option<&str> {
        self.json_strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// A label of `resource.labels`.
    pub fn resource_label(&self, key: &str) -> Option<&str> {
        self.resource_labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// `resource.labels.service_name` (Cloud Run), or the first of `container_name`,
    /// `function_name`, `module_id` that is present.
    pub fn service(&self) -> Option<&str> {
        [
            "service_name",
            "container_name",
            "function_name",
            "module_id",
        ]
        .iter()
        .find_map(|k| self.resource_label(k))
    }

    /// `resource.labels.revision_name` (Cloud Run) or `version_id`.
    pub fn revision(&self) -> Option<&str> {
        self.resource_label("revision_name")
            .or_else(|| self.resource_label("version_id"))
    }

    /// The severity, or for `DEFAULT` the level word that starts the message (`ERROR:`,
    /// `[ERROR]`, `CRITICAL`, `FATAL`, ...), as §2 says.
    pub fn effective_severity(&self) -> Severity {
        match self.severity {
            Severity::Default => self.message().map_or(Severity::Default, level_word),
            s => s,
        }
    }

    /// Identifies the entry's stream (`logName`, `resource.type`, `resource.labels`,
    /// `labels.instanceId`): a split traceback is reassembled from entries of one stream.
    /// FNV-1a, so equal streams get equal keys in every run.
    pub fn stream_key(&self) -> u64 {
        let mut h = Fnv::default();
        h.field(self.log_name.as_deref());
        h.field(self.resource_type.as_deref());
        for (k, v) in &self.resource_labels {
            h.field(Some(k));
            h.field(Some(v));
        }
        h.field(self.instance_id.as_deref());
        h.0
    }
}

/// The level a message announces with its first word, for entries without a severity:
/// `ERROR:root:...`, `[ERROR] ...`, `CRITICAL ...`, `FATAL: ...`. Timestamps and a
/// `[pid]` in front of the word, as gunicorn prints them, are skipped.
pub fn level_word(message: &str) -> Severity {
    const LEVELS: &[(&str, Severity)] = &[
        ("EMERGENCY", Severity::Emergency),
        ("ALERT", Severity::Alert),
        ("CRITICAL", Severity::Critical),
        ("FATAL", Severity::Critical),
        ("ERROR", Severity::Error),
        ("WARNING", Severity::Warning),
        ("WARN", Severity::Warning),
        ("NOTICE", Severity::Notice),
        ("INFO", Severity::Info),
        ("DEBUG", Severity::Debug),
    ];
    // Look at the first few words only: a level word later in a sentence is not a level.
    for word in message
        .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ':' | '|'))
        .filter(|w| !w.is_empty())
        .take(8)
    {
        if let Some((_, level)) = LEVELS.iter().find(|(name, _)| *name == word) {
            return *level;
        }
        // Only timestamps, pids and the like may come before the level word.
        if word.bytes().any(|b| b.is_ascii_alphabetic()) && !looks_like_timestamp(word) {
            break;
        }
    }
    Severity::Default
}

fn looks_like_timestamp(word: &str) -> bool {
    word.bytes().filter(u8::is_ascii_digit).count() * 2 >= word.len()
        || matches!(word, "+0000" | "UTC" | "GMT")
}

/// FNV-1a over length-prefixed fields: fixed across runs and machines, unlike `std`'s hasher.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn field(&mut self, value: Option<&str>) {
        let bytes = value.unwrap_or("").as_bytes();
        for &b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Decides from an entry's raw bytes, without parsing, whether it may hold an event
/// (§2): traceback markers, error levels, slow-query and out-of-memory markers.
#[derive(Clone, Debug, Default)]
pub struct Prefilter {
    _private: (),
}

impl Prefilter {
    /// Whether `bytes` (one framed entry) may hold an event and must be parsed.
    pub fn is_candidate(&self, bytes: &[u8]) -> bool {
        let _ = bytes;
        todo!("issue 2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_word_table() {
        let rows: &[(&str, Severity)] = &[
            (
                "ERROR:root:Exception on /api/agents [POST]",
                Severity::Error,
            ),
            (
                "[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process",
                Severity::Error,
            ),
            ("CRITICAL: startup failed", Severity::Critical),
            (
                "FATAL:  password authentication failed for user \"netra\"",
                Severity::Critical,
            ),
            (
                "2026-11-27 07:01:02,123 ERROR netra_backend.app.smd boom",
                Severity::Error,
            ),
            ("INFO:     Started server process [1]", Severity::Info),
            ("the ERROR budget is fine", Severity::Default),
            ("Traceback (most recent call last):", Severity::Default),
            ("", Severity::Default),
        ];
        for (text, want) in rows {
            assert_eq!(level_word(text), *want, "{text:?}");
        }
    }

    #[test]
    fn stream_key_separates_instances() {
        let a = Entry {
            instance_id: Some("00a1".into()),
            ..Entry::default()
        };
        let b = Entry {
            instance_id: Some("00b2".into()),
            ..Entry::default()
        };
        assert_ne!(a.stream_key(), b.stream_key());
        assert_eq!(a.stream_key(), a.clone().stream_key());
    }

    #[test]
    fn service_prefers_cloud_run_label() {
        let e = Entry {
            resource_labels: vec![
                (
                    "revision_name".into(),
                    "netra-backend-staging-00042-xyz".into(),
                ),
                ("service_name".into(), "netra-backend-staging".into()),
            ],
            ..Entry::default()
        };
        assert_eq!(e.service(), Some("netra-backend-staging"));
        assert_eq!(e.revision(), Some("netra-backend-staging-00042-xyz"));
    }
}
