//! A borrowed view of one Cloud Logging `LogEntry`.
//!
//! Only candidate entries (see the prefilter) are parsed, into an [`Entry`] whose strings borrow from the
//! reader's buffer (`Cow::Borrowed` unless they hold JSON escapes); invalid UTF-8 and lone
//! surrogate escapes are decoded lossily into a scratch buffer instead.

use std::borrow::Cow;

mod de;
mod plain;
pub(crate) mod saved;
#[cfg(test)]
mod tests;

pub(crate) use plain::after_viewer_prefix;

/// A `LogEntry.severity`, in Cloud Logging's order.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
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
    /// The severity named `name` (Cloud Logging's upper-case names; case is ignored, as are
    /// `WARN` and `FATAL` spellings); anything else is `Default`.
    pub(crate) fn from_name(name: &str) -> Severity {
        const NAMES: &[(&str, Severity)] = &[
            ("DEFAULT", Severity::Default),
            ("DEBUG", Severity::Debug),
            ("INFO", Severity::Info),
            ("NOTICE", Severity::Notice),
            ("WARNING", Severity::Warning),
            ("WARN", Severity::Warning),
            ("ERROR", Severity::Error),
            ("CRITICAL", Severity::Critical),
            ("FATAL", Severity::Critical),
            ("ALERT", Severity::Alert),
            ("EMERGENCY", Severity::Emergency),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(Severity::Default, |(_, s)| *s)
    }

    /// The severity of a `LogSeverity` number (0 DEFAULT .. 800 EMERGENCY), rounded down to
    /// a named level.
    pub(crate) fn from_number(n: u64) -> Severity {
        match n {
            800.. => Severity::Emergency,
            700.. => Severity::Alert,
            600.. => Severity::Critical,
            500.. => Severity::Error,
            400.. => Severity::Warning,
            300.. => Severity::Notice,
            200.. => Severity::Info,
            100.. => Severity::Debug,
            _ => Severity::Default,
        }
    }

    /// Whether an entry of this severity without a traceback is an event.
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
    /// `labels["k8s-pod/pod-template-hash"]`: on GKE, the revision of a Deployment.
    pub pod_template_hash: Option<Cow<'a, str>>,
    /// `textPayload`, or the whole line in plain-text input.
    pub text_payload: Option<Cow<'a, str>>,
    /// The string fields of `jsonPayload`, in input order (`message` among them).
    pub json_strings: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `jsonPayload.duration_ms` when it is a number.
    pub duration_ms: Option<f64>,
    /// `trace`.
    pub trace: Option<Cow<'a, str>>,
    /// For a plain-text line, the service its prefix names (`web` of `docker compose logs`'
    /// `web-1  | `, the container of `kubectl logs --prefix`, a syslog tag).
    pub text_service: Option<Cow<'a, str>>,
    /// `httpRequest`, on request logs (Cloud Run's `run.googleapis.com/requests`, App
    /// Engine, load balancers).
    pub http_request: Option<HttpRequest<'a>>,
    /// `protoPayload.status.message`: an audit log's error text (Cloud Run's "failed to
    /// start and listen on the port").
    pub status_message: Option<Cow<'a, str>>,
}

/// The parts of a `LogEntry.httpRequest` that a failed request's event needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpRequest<'a> {
    /// `requestMethod`.
    pub method: Option<Cow<'a, str>>,
    /// `requestUrl`.
    pub url: Option<Cow<'a, str>>,
    /// `status`: a number (or a string of digits).
    pub status: Option<u16>,
    /// `latency` (a protobuf Duration string such as `"5.123456789s"`) in milliseconds.
    pub latency_ms: Option<f64>,
}

impl<'a> Entry<'a> {
    /// Parses a JSON `LogEntry`. Invalid UTF-8 is decoded lossily into `scratch`, which the
    /// entry then borrows.
    pub fn from_json(
        bytes: &'a [u8],
        line: u64,
        scratch: &'a mut String,
    ) -> Result<Self, EntryError> {
        let error = |e: serde_json::Error| EntryError {
            line,
            reason: e.to_string(),
        };
        if let Ok(text) = std::str::from_utf8(bytes) {
            match serde_json::from_str::<Entry<'a>>(text) {
                Ok(entry) => return Ok(Entry { line, ..entry }),
                Err(e) if !e.to_string().contains("escape") => return Err(error(e)),
                Err(_) => {}
            }
        }
        // Invalid UTF-8, or a `\ud800` escape that no valid pair completes: both become
        // U+FFFD, as invalid UTF-8 does everywhere else.
        lossy_into(bytes, scratch);
        let repaired = replace_lone_surrogates(scratch);
        if let Cow::Owned(text) = repaired {
            *scratch = text;
        }
        let entry = serde_json::from_str::<Entry<'a>>(scratch).map_err(error)?;
        Ok(Entry { line, ..entry })
    }

    /// A plain-text line as an entry: its text is the `text_payload`; the time at its start
    /// is its `timestamp` and the service its prefix names its `text_service` (see
    /// [`crate::reference`], "Plain text").
    pub fn from_text(text: Cow<'a, str>, line: u64) -> Self {
        let own = plain::own(&text);
        let service = own.service.map(|s| match &text {
            Cow::Borrowed(all) => Cow::Borrowed(borrow_same(all, s)),
            Cow::Owned(_) => Cow::Owned(s.to_string()),
        });
        Entry {
            line,
            timestamp: own.time.map(Cow::Owned),
            text_service: service,
            text_payload: Some(text),
            ..Entry::default()
        }
    }

    /// A copy that owns its strings, for an entry kept after the reader's buffer moves on
    /// (the lines of a split traceback read newest first wait for the line that starts it).
    pub(crate) fn to_owned_entry(&self) -> Entry<'static> {
        fn own(s: &Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            s.as_deref().map(|s| Cow::Owned(s.to_string()))
        }
        fn pairs(
            v: &[(Cow<'_, str>, Cow<'_, str>)],
        ) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
            v.iter()
                .map(|(k, v)| (Cow::Owned(k.to_string()), Cow::Owned(v.to_string())))
                .collect()
        }
        // Destructured whole: a new field must be copied here too.
        let Entry {
            line,
            insert_id,
            timestamp,
            severity,
            log_name,
            resource_type,
            resource_labels,
            instance_id,
            pod_template_hash,
            text_payload,
            json_strings,
            duration_ms,
            trace,
            text_service,
            http_request,
            status_message,
        } = self;
        Entry {
            line: *line,
            insert_id: own(insert_id),
            timestamp: own(timestamp),
            severity: *severity,
            log_name: own(log_name),
            resource_type: own(resource_type),
            resource_labels: pairs(resource_labels),
            instance_id: own(instance_id),
            pod_template_hash: own(pod_template_hash),
            text_payload: own(text_payload),
            json_strings: pairs(json_strings),
            duration_ms: *duration_ms,
            trace: own(trace),
            text_service: own(text_service),
            http_request: http_request.as_ref().map(|r| HttpRequest {
                method: own(&r.method),
                url: own(&r.url),
                status: r.status,
                latency_ms: r.latency_ms,
            }),
            status_message: own(status_message),
        }
    }

    /// The entry's message: `textPayload`, else `jsonPayload.message`, else
    /// `protoPayload.status.message`.
    pub fn message(&self) -> Option<&str> {
        self.text_payload
            .as_deref()
            .or_else(|| self.json_string("message"))
            .or(self.status_message.as_deref())
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
    /// `function_name`, `module_id` and `database_id` (Cloud SQL) that is present; for a
    /// plain-text line, the service its prefix names.
    pub fn service(&self) -> Option<&str> {
        [
            "service_name",
            "container_name",
            "function_name",
            "module_id",
            "database_id",
        ]
        .iter()
        .find_map(|k| self.resource_label(k))
        .or(self.text_service.as_deref())
    }

    /// `resource.labels.revision_name` (Cloud Run), else `version_id` (App Engine), else
    /// `labels["k8s-pod/pod-template-hash"]` (GKE: the Deployment's pod template).
    pub fn revision(&self) -> Option<&str> {
        self.resource_label("revision_name")
            .or_else(|| self.resource_label("version_id"))
            .or(self.pod_template_hash.as_deref())
    }

    /// The severity, or for `DEFAULT` the level word that starts the message (`ERROR:`,
    /// `[ERROR]`, `CRITICAL`, `FATAL`, ...).
    pub fn effective_severity(&self) -> Severity {
        match self.severity {
            Severity::Default => self.message().map_or(Severity::Default, level_word),
            s => s,
        }
    }

    /// The entry's level: [`Entry::effective_severity`], and for a line behind a viewer's or
    /// process manager's prefix (`worker-1  | ERROR: job 17 failed`, honcho, `kubectl logs
    /// --prefix`, journald) the level word after the prefix.
    pub fn level(&self) -> Severity {
        let severity = self.effective_severity();
        if severity != Severity::Default {
            return severity;
        }
        self.message()
            .and_then(plain::after_viewer_prefix)
            .map_or(severity, level_word)
    }

    /// Identifies the entry's stream (`logName`, `resource.type`, `resource.labels`,
    /// `labels.instanceId`): a split traceback is reassembled from entries of one stream.
    /// `rustc-hash`'s unseeded hash: equal streams get equal keys in every run, and it costs
    /// a fraction of SipHash's (this runs for every parsed entry; SipHash was 4% of a run
    /// with 2% failures).
    pub fn stream_key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        self.log_name.hash(&mut h);
        self.resource_type.hash(&mut h);
        self.resource_labels.hash(&mut h);
        self.instance_id.hash(&mut h);
        h.finish()
    }
}

/// The level a message announces with its first word, for entries without a severity:
/// `ERROR:root:...`, `[ERROR] ...`, `CRITICAL ...`, `FATAL: ...`, celery's
/// `[2026-11-26 14:05:03,412: ERROR/MainProcess] ...`. Timestamps and a `[pid]` in front of
/// the word, as gunicorn prints them, are skipped.
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
    // celery's bracket joins the level and the process: `[...: ERROR/MainProcess]`.
    for word in message
        .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ':' | '|' | '/'))
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

/// `part` (a slice of `all`, found in it by `plain::own`) with `all`'s lifetime.
fn borrow_same<'a>(all: &'a str, part: &str) -> &'a str {
    let start = (part.as_ptr() as usize).wrapping_sub(all.as_ptr() as usize);
    all.get(start..start + part.len()).unwrap_or("")
}

fn looks_like_timestamp(word: &str) -> bool {
    word.bytes().filter(u8::is_ascii_digit).count() * 2 >= word.len()
        || matches!(word, "+0000" | "UTC" | "GMT")
}

/// Decodes `bytes` into `scratch`, invalid UTF-8 replaced by U+FFFD, reusing its allocation.
/// JSON text with each `\uXXXX` escape of a surrogate that is not part of a valid pair
/// replaced by `\ufffd` (serde_json rejects lone surrogates; the contract wants a lossy
/// decode, never a dropped entry).
fn replace_lone_surrogates(json: &str) -> Cow<'_, str> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        let hex = std::str::from_utf8(b.get(i + 2..i + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    }
    let b = json.as_bytes();
    let mut out: Option<String> = None;
    let (mut i, mut copied) = (0, 0);
    while let Some(off) = memchr::memchr(b'\\', b.get(i..).unwrap_or(&[])) {
        i += off;
        let lead = escape_at(b, i);
        let lone = match lead {
            Some(0xD800..=0xDBFF) => !matches!(escape_at(b, i + 6), Some(0xDC00..=0xDFFF)),
            Some(0xDC00..=0xDFFF) => true,
            _ => false,
        };
        if lone {
            let out = out.get_or_insert_with(|| String::with_capacity(json.len()));
            out.push_str(json.get(copied..i).unwrap_or(""));
            out.push_str("\\ufffd");
            copied = i + 6;
            i += 6;
        } else if matches!(lead, Some(0xD800..=0xDBFF)) {
            i += 12;
        } else {
            // Any other escape: skip the backslash and the escaped character.
            i += 2;
        }
    }
    match out {
        Some(mut out) => {
            out.push_str(json.get(copied..).unwrap_or(""));
            Cow::Owned(out)
        }
        None => Cow::Borrowed(json),
    }
}

fn lossy_into<'a>(bytes: &[u8], scratch: &'a mut String) -> &'a str {
    scratch.clear();
    for chunk in bytes.utf8_chunks() {
        scratch.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            scratch.push(char::REPLACEMENT_CHARACTER);
        }
    }
    scratch
}
