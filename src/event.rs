//! Failure events: assembling entries (and lines split over entries) into events (§2).
//!
//! SKELETON: the real implementation (issue 3) replaces the bodies, keeping the API.

use crate::entry::{Entry, Severity};
use crate::fingerprint::Fingerprint;
use crate::knowledge::IssueRef;
use crate::traceback::{Frame, Traceback};

/// What made an entry (or run of entries) an event (§2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A Python traceback, whole in one entry or reassembled from one line per entry.
    Traceback,
    /// An entry of severity `ERROR` or above without a traceback.
    Severity,
    /// A slow query at or above the threshold.
    SlowQuery,
    /// A platform's out-of-memory report.
    OutOfMemory,
}

/// A slow query found in a PostgreSQL, MySQL or JSON entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SlowQuery {
    /// The duration in milliseconds.
    pub duration_ms: f64,
    /// The statement as logged.
    pub statement: String,
}

/// One failure found in the stream, with its classification once the pipeline filled it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Event {
    /// What made it an event.
    pub kind: EventKind,
    /// The 1-based input line where its first entry starts.
    pub line: u64,
    /// The `insertId` of every entry it spans, in order (empty for plain text).
    pub insert_ids: Vec<String>,
    /// The first entry's timestamp.
    pub timestamp: Option<String>,
    /// The first entry's service (`resource.labels.service_name`, ...).
    pub service: Option<String>,
    /// The first entry's revision (`resource.labels.revision_name`, ...).
    pub revision: Option<String>,
    /// The highest severity among its entries (after level words, §2).
    pub severity: Severity,
    /// The event's text: header line(s) and traceback lines, or the message.
    pub text: String,
    /// The parsed traceback, for `EventKind::Traceback`.
    pub traceback: Option<Traceback>,
    /// The slow query, for `EventKind::SlowQuery`.
    pub slow_query: Option<SlowQuery>,
    /// The category id (§3), filled by classification.
    pub category: String,
    /// The deciding exception type, when there is one.
    pub exception: Option<String>,
    /// The deciding message (first line of the exception message, or of the text).
    pub message: String,
    /// The category's subject (§3), when the text names it.
    pub subject: Option<String>,
    /// The in-app frames of the deciding exception, outermost first.
    pub frames: Vec<Frame>,
    /// The stable fingerprint (§4).
    pub fingerprint: Fingerprint,
    /// The known issue that tracks it, if one matches (§5).
    pub known_issue: Option<IssueRef>,
}

impl Event {
    /// An unclassified event of `kind` starting at `entry`.
    pub fn new(kind: EventKind, entry: &Entry<'_>) -> Self {
        Event {
            kind,
            line: entry.line,
            insert_ids: entry.insert_id.iter().map(|s| s.to_string()).collect(),
            timestamp: entry.timestamp.as_ref().map(|s| s.to_string()),
            service: entry.service().map(str::to_string),
            revision: entry.revision().map(str::to_string),
            severity: entry.effective_severity(),
            text: String::new(),
            traceback: None,
            slow_query: None,
            category: String::from("unclassified"),
            exception: None,
            message: String::new(),
            subject: None,
            frames: Vec::new(),
            fingerprint: Fingerprint::default(),
            known_issue: None,
        }
    }
}

/// Options of event assembly.
#[derive(Clone, Debug)]
#[allow(dead_code)] // SKELETON
pub(crate) struct AssemblerOptions {
    /// Slow-query threshold in milliseconds (`--slow-ms`, default 1000).
    pub slow_ms: f64,
}

/// Turns entries into events, keeping bounded per-stream state for split tracebacks.
#[derive(Debug)]
pub(crate) struct Assembler {
    options: AssemblerOptions,
}

impl Assembler {
    pub(crate) fn new(options: AssemblerOptions) -> Self {
        Assembler { options }
    }

    /// Whether some stream has an open traceback or a pending header: while it does, every
    /// entry must be parsed, since any may continue it.
    pub(crate) fn has_open(&self) -> bool {
        todo!("issue 3")
    }

    /// Feeds one parsed entry; completed events go to `out`.
    pub(crate) fn push(&mut self, entry: &Entry<'_>, out: &mut dyn FnMut(Event)) {
        let _ = (entry, out, &self.options);
        todo!("issue 3")
    }

    /// Notes that a non-candidate entry went by unparsed (it counts for the bound on how long
    /// a split traceback may stay open).
    pub(crate) fn skip(&mut self) {}

    /// Flushes every open traceback at the end of the input.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        let _ = out;
        todo!("issue 3")
    }
}
