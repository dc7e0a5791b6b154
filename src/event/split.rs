//! The state of split tracebacks while they are reassembled: an open traceback per stream,
//! a header line waiting for its traceback, and the needles that find a stream's entries in
//! raw bytes; with the bounds that keep that state small.

use super::model::Event;
use crate::entry::Entry;
use crate::traceback::{self, strip_shaped, LineMachine};
use memchr::memmem::Finder;
use std::sync::Arc;

/// An open split traceback keeps at most this many lines (half from its start, half from its
/// end) and this many insertIds (its first ones).
pub(crate) const MAX_LINES: usize = 256;
/// An open split traceback is flushed when this many entries (parsed or skipped) go by
/// without one continuing it, while it still waits for its exception line.
pub(crate) const MAX_IDLE: u64 = 1000;
/// Once it has its exception line, only a chained exception can continue it, and Cloud Run
/// writes those lines in the same burst: a short wait suffices. While anything is open the
/// pipeline parses more entries, so the wait is kept short.
pub(crate) const MAX_IDLE_COMPLETE: u64 = 32;
/// A pending header line waits at most this many entries for its traceback: while it waits
/// every entry is parsed, so the wait is kept short.
pub(crate) const MAX_PENDING_IDLE: u64 = 32;
/// At most this many streams hold an open traceback or a pending header; the oldest is
/// flushed to make room.
pub(crate) const MAX_STREAMS: usize = 64;

/// A traceback split over single-line entries, still collecting lines.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Open {
    pub(super) stream: u64,
    #[serde(with = "needle_names")]
    pub(super) needle: Needle,
    /// The per-line prefix (`web-1  | `, a timestamp) its header carried; lines of the same
    /// shape continue it, others belong to someone else.
    pub(super) prefix: String,
    /// Whether a line after the header confirmed the prefix. A log record's level prefix
    /// (`ERROR:    Traceback ...` from uvicorn) stands on the header line only; a compose or
    /// timestamp prefix stands on every line. The second line tells which.
    pub(super) prefix_known: bool,
    pub(super) machine: LineMachine,
    /// Starts at the first entry (the header line's, when one came first).
    pub(super) event: Event,
    /// The first `MAX_LINES / 2` lines, each ended by `\n` (one buffer: a string per line
    /// was the most frequent allocation of a run with split tracebacks).
    pub(super) head: String,
    pub(super) head_lines: usize,
    /// The last `MAX_LINES / 2` lines after those, and how many fell out between.
    pub(super) tail: std::collections::VecDeque<String>,
    pub(super) omitted: u64,
    /// The tick of the entry that last continued it.
    pub(super) last: u64,
}

impl Open {
    /// Keeps a line: the first half of the budget from the start, the rest as a window over
    /// the end, so a runaway traceback stays one event in bounded memory.
    pub(super) fn keep(&mut self, line: &str) {
        if self.head_lines < MAX_LINES / 2 {
            self.head.push_str(line);
            self.head.push('\n');
            self.head_lines += 1;
            return;
        }
        if self.tail.len() >= MAX_LINES / 2 {
            self.tail.pop_front();
            self.omitted += 1;
        }
        self.tail.push_back(line.to_string());
    }

    pub(super) fn idle_limit(&self) -> u64 {
        if self.machine.complete() {
            MAX_IDLE_COMPLETE
        } else {
            MAX_IDLE
        }
    }

    /// The event of the lines it collected; `None` for a traceback that lost its header and
    /// never took the shape of one (its lines were something else, and no event).
    pub(super) fn into_event(self) -> Option<Event> {
        if self.machine.tentative() {
            return None;
        }
        let mut event = self.event;
        if !event.text.is_empty() {
            event.text.push('\n');
        }
        let mut lines = self.head;
        if self.omitted > 0 {
            lines.push_str(&elision(self.omitted));
            lines.push('\n');
        }
        for line in self.tail {
            lines.push_str(&line);
            lines.push('\n');
        }
        event.text.push_str(without_blank_tail(&lines));
        event.traceback = traceback::parse(&event.text);
        Some(event)
    }
}

/// `lines` (each ended by `\n`) without the `\n` of its last line and without the blank
/// lines at its end.
pub(super) fn without_blank_tail(lines: &str) -> &str {
    let mut end = lines.len();
    while let Some(text) = lines.get(..end) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let start = text.rfind('\n').map_or(0, |i| i + 1);
        match text.get(start..) {
            Some(last) if last.trim().is_empty() && !text.is_empty() => end = start,
            _ => return text,
        }
    }
    ""
}

/// An error-level single-line entry that may be the header of a traceback in the next line
/// of its stream.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Pending {
    pub(super) stream: u64,
    #[serde(with = "needle_names")]
    pub(super) needle: Needle,
    pub(super) event: Event,
    pub(super) tick: u64,
    /// Lines that went on with the record's message (celery's `Trying again in 4.00
    /// seconds...`): part of the header if a traceback follows them.
    pub(super) held: Vec<String>,
}

/// A pending header holds at most this many lines of its message: a record's message that
/// runs longer before its traceback is not waited for.
pub(super) const MAX_HELD: usize = 2;

/// The previous entry of a stream, when it was an exception line and nothing else: a
/// traceback that follows it without a header may have printed it first (Sentry).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Before {
    pub(super) stream: u64,
    /// The tick of its entry: only the very next entry may take it.
    pub(super) tick: u64,
    /// An event started at its entry, whose text is the line.
    pub(super) event: Event,
}

/// Finds a stream's `instanceId` and `logName` in an entry's raw bytes, so that while a
/// split traceback is open only the entries of its stream need parsing (an instance's request
/// log and stdout are other streams). `None` when the stream has no plain instance id (plain
/// text, or an id that JSON would escape): then every entry may continue it.
pub(super) type Needle = Option<Arc<StreamNeedle>>;

/// The names a [`Needle`] looks for, and their finders.
#[derive(Debug)]
pub(super) struct StreamNeedle {
    /// The log name's last segment, when it is plain.
    log: Option<Box<str>>,
    /// The instance id.
    id: Box<str>,
    /// The log name's finder first (most entries are of other logs), then the id's.
    pub(super) finders: Box<[Finder<'static>]>,
}

impl StreamNeedle {
    fn new(log: Option<&str>, id: &str) -> Self {
        let finders = log.into_iter().chain([id]);
        StreamNeedle {
            log: log.map(Box::from),
            id: Box::from(id),
            finders: finders.map(|s| Finder::new(s).into_owned()).collect(),
        }
    }
}

/// A [`Needle`] saved as the names it looks for (`[log, id]`, `null` for none); the finders
/// are built again when it is read.
mod needle_names {
    use super::{Needle, StreamNeedle};
    use std::sync::Arc;

    pub(super) fn serialize<S: serde::Serializer>(n: &Needle, s: S) -> Result<S::Ok, S::Error> {
        let names = n.as_ref().map(|n| (n.log.as_deref(), &*n.id));
        serde::Serialize::serialize(&names, s)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Needle, D::Error> {
        let names: Option<(Option<String>, String)> = serde::Deserialize::deserialize(d)?;
        Ok(names.map(|(log, id)| Arc::new(StreamNeedle::new(log.as_deref(), &id))))
    }
}

/// The needles of the streams seen last, oldest first. A stream opens tracebacks and headers
/// again and again, and building the finders of a hundred-digit instance id cost more than
/// the searches with them: 3% of a run with 20% failures.
#[derive(Debug, Default)]
pub(super) struct Needles(pub(super) Vec<Arc<StreamNeedle>>);

impl Needles {
    pub(super) fn of(&mut self, entry: &Entry<'_>) -> Needle {
        let plain = |s: &&str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:%/".contains(&b))
        };
        let id = entry.instance_id.as_deref().filter(plain)?;
        // A `/` may be written `\/` in JSON: the needle is the log name's last segment, which
        // has none and tells `stderr` from `requests` (`projects/p/logs/run.googleapis.com%2Fstderr`).
        let log = entry
            .log_name
            .as_deref()
            .and_then(|l| l.rsplit('/').next())
            .filter(plain);
        let seen = self
            .0
            .iter()
            .find(|n| &*n.id == id && n.log.as_deref() == log);
        if let Some(needle) = seen {
            return Some(needle.clone());
        }
        // The log name goes first: most entries are of other logs, and its `%` is rare in
        // JSON, where an instance id's hex digits are not.
        let needle = Arc::new(StreamNeedle::new(log, id));
        if self.0.len() >= MAX_STREAMS {
            self.0.remove(0);
        }
        self.0.push(needle.clone());
        Some(needle)
    }
}

/// The longest part of the header's `prefix` that the second line also carries (by shape)
/// and behind which that line continues the traceback: `backend-1  | ` of
/// `backend-1  | ERROR:    `, or nothing of uvicorn's `ERROR:    `.
pub(super) fn confirm_prefix(prefix: &str, line: &str, machine: &LineMachine) -> Option<usize> {
    (0..=prefix.len())
        .rev()
        .filter(|&k| prefix.is_char_boundary(k))
        .find(|&k| {
            let shorter = prefix.get(..k).unwrap_or("");
            strip_shaped(shorter, line).is_some_and(|rest| machine.clone().feed(rest))
        })
}

/// A traceback's text with at most [`MAX_LINES`] lines: a 16 MiB entry of frames keeps its
/// first and last `MAX_LINES / 2` lines around a `...<N lines>...` line, as a split one does,
/// so that one entry cannot make the event (and its parse) many times its own size.
pub(super) fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    let total = text.lines().count();
    if total <= MAX_LINES {
        return std::borrow::Cow::Borrowed(text);
    }
    let half = MAX_LINES / 2;
    let mut out: Vec<String> = text.lines().take(half).map(str::to_string).collect();
    out.push(elision(total - 2 * half));
    out.extend(text.lines().skip(total - half).map(str::to_string));
    std::borrow::Cow::Owned(out.join("\n"))
}

/// The line that stands for `omitted` lines left out of a long traceback, as CPython 3.13
/// writes it under a frame.
pub(super) fn elision(omitted: impl std::fmt::Display) -> String {
    format!("    ...<{omitted} lines>...")
}
