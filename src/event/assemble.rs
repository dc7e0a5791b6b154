//! Event assembly: entries (and lines split over entries) into events.
//!
//! An entry whose text spans lines is self-contained: a traceback in it (in `textPayload`,
//! `jsonPayload.message` or any other string field) ends with the entry. Single-line entries
//! are followed per stream ([`Entry::stream_key`]) with a [`LineMachine`], so a traceback
//! that Cloud Run or GKE split into one entry per line comes back as one event even when
//! instances interleave. State is bounded: an open traceback keeps its first and last
//! [`MAX_LINES`]` / 2` lines (the middle becomes a `...<N lines>...` line, as CPython 3.13
//! prints) and its first [`MAX_LINES`] insertIds, however long it runs; it is flushed after
//! [`MAX_IDLE`] entries without a continuation ([`MAX_IDLE_COMPLETE`] once it has its
//! exception line), and at most [`MAX_STREAMS`] streams hold state at once.

use super::slow::slow_query;
use super::{Event, EventKind};
use crate::entry::{level_word, Entry, Severity};
use crate::traceback::{self, start_at, strip_shaped, LineMachine};
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
#[derive(Debug)]
struct Open {
    stream: u64,
    needle: Needle,
    /// The per-line prefix (`web-1  | `, a timestamp) its header carried; lines of the same
    /// shape continue it, others belong to someone else.
    prefix: String,
    /// Whether a line after the header confirmed the prefix. A log record's level prefix
    /// (`ERROR:    Traceback ...` from uvicorn) stands on the header line only; a compose or
    /// timestamp prefix stands on every line. The second line tells which.
    prefix_known: bool,
    machine: LineMachine,
    /// Starts at the first entry (the header line's, when one came first).
    event: Event,
    /// The first `MAX_LINES / 2` lines, each ended by `\n` (one buffer: a string per line
    /// was the most frequent allocation of a run with split tracebacks).
    head: String,
    head_lines: usize,
    /// The last `MAX_LINES / 2` lines after those, and how many fell out between.
    tail: std::collections::VecDeque<String>,
    omitted: u64,
    /// The tick of the entry that last continued it.
    last: u64,
}

impl Open {
    /// Keeps a line: the first half of the budget from the start, the rest as a window over
    /// the end, so a runaway traceback stays one event in bounded memory.
    fn keep(&mut self, line: &str) {
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

    fn idle_limit(&self) -> u64 {
        if self.machine.complete() {
            MAX_IDLE_COMPLETE
        } else {
            MAX_IDLE
        }
    }

    fn into_event(self) -> Event {
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
        event
    }
}

/// `lines` (each ended by `\n`) without the `\n` of its last line and without the blank
/// lines at its end.
fn without_blank_tail(lines: &str) -> &str {
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
#[derive(Debug)]
struct Pending {
    stream: u64,
    needle: Needle,
    event: Event,
    tick: u64,
}

/// Finds a stream's `instanceId` and `logName` in an entry's raw bytes, so that while a
/// split traceback is open only the entries of its stream need parsing (an instance's request
/// log and stdout are other streams). `None` when the stream has no plain instance id (plain
/// text, or an id that JSON would escape): then every entry may continue it.
type Needle = Option<Arc<[Finder<'static>]>>;

/// The needles of the streams seen last, oldest first. A stream opens tracebacks and headers
/// again and again, and building the finders of a hundred-digit instance id cost more than
/// the searches with them: 3% of a run with 20% failures.
#[derive(Debug, Default)]
struct Needles(Vec<(Option<Box<str>>, Box<str>, Needle)>);

impl Needles {
    fn of(&mut self, entry: &Entry<'_>) -> Needle {
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
            .find(|(l, i, _)| &**i == id && l.as_deref() == log);
        if let Some((_, _, needle)) = seen {
            return needle.clone();
        }
        // The log name goes first: most entries are of other logs, and its `%` is rare in
        // JSON, where an instance id's hex digits are not.
        let finders = log.into_iter().chain([id]);
        let needle: Needle = Some(finders.map(|s| Finder::new(s).into_owned()).collect());
        if self.0.len() >= MAX_STREAMS {
            self.0.remove(0);
        }
        self.0
            .push((log.map(Box::from), Box::from(id), needle.clone()));
        needle
    }
}

/// Turns entries into events, keeping bounded per-stream state for split tracebacks.
#[derive(Debug)]
pub(crate) struct Assembler {
    /// The slow-query threshold in milliseconds.
    slow_ms: f64,
    open: Vec<Open>,
    pending: Vec<Pending>,
    /// Events flushed by `skip`, which has no sink; they go out with the next push.
    ready: Vec<Event>,
    /// Counts every entry, pushed or skipped.
    tick: u64,
    needles: Needles,
}

impl Assembler {
    pub(crate) fn new(slow_ms: f64) -> Self {
        Assembler {
            slow_ms,
            open: Vec::new(),
            pending: Vec::new(),
            ready: Vec::new(),
            tick: 0,
            needles: Needles::default(),
        }
    }

    /// Whether some stream has an open traceback or a pending header: while it does, every
    /// entry must be parsed, since any may continue it.
    pub(crate) fn has_open(&self) -> bool {
        !(self.open.is_empty() && self.pending.is_empty() && self.ready.is_empty())
    }

    /// Whether an unparsed entry (`raw`, its bytes) may continue an open traceback or follow a
    /// pending header, and so must be parsed and pushed: only when some stream has state, and
    /// then only an entry that carries that stream's instance id (when it has one).
    #[inline]
    pub(crate) fn may_continue(&self, raw: &[u8]) -> bool {
        // Most entries pass while nothing is open: keep that test inlined in the scan loop.
        if self.open.is_empty() && self.pending.is_empty() && self.ready.is_empty() {
            return false;
        }
        self.may_continue_open(raw)
    }

    fn may_continue_open(&self, raw: &[u8]) -> bool {
        let holds = |needle: &Needle| {
            needle
                .as_ref()
                .is_none_or(|fs| fs.iter().all(|f| f.find(raw).is_some()))
        };
        !self.ready.is_empty()
            || self.open.iter().any(|o| holds(&o.needle))
            || self.pending.iter().any(|p| holds(&p.needle))
    }

    /// Feeds one parsed entry; completed events go to `out`.
    pub(crate) fn push(&mut self, entry: &Entry<'_>, out: &mut dyn FnMut(Event)) {
        self.tick += 1;
        self.expire();
        for event in self.ready.drain(..) {
            out(event);
        }
        let stream = entry.stream_key();
        if let Some(text) = whole_traceback(entry) {
            self.end_stream(stream, out);
            let mut event = match self.take_pending(stream) {
                Some(p) => join(p.event, entry),
                None => Event::at(EventKind::Traceback, entry),
            };
            event.kind = EventKind::Traceback;
            if !event.text.is_empty() {
                event.text.push('\n');
            }
            event.text.push_str(&bounded(text.trim_end()));
            event.traceback = traceback::parse(&event.text);
            out(event);
            return;
        }
        let message = entry.message().unwrap_or("").trim_end_matches(['\n', '\r']);
        if message.contains('\n') {
            self.end_stream(stream, out);
            if let Some(p) = self.take_pending(stream) {
                out(p.event);
            }
        } else if self.push_line(entry, stream, message, out) {
            return;
        }
        let Some(event) = self.other_event(entry) else {
            return;
        };
        // Only an un-structured line can be a log record's header with its traceback in the
        // next lines; a structured record holds its own traceback.
        if event.kind == EventKind::Severity
            && !message.contains('\n')
            && entry.text_payload.is_some()
        {
            self.make_room(out);
            self.pending.push(Pending {
                stream,
                needle: self.needles.of(entry),
                event,
                tick: self.tick,
            });
        } else {
            out(event);
        }
    }

    /// Handles one single-line entry against its stream's state; `true` when the line was
    /// taken into a traceback.
    fn push_line(
        &mut self,
        entry: &Entry<'_>,
        stream: u64,
        line: &str,
        out: &mut dyn FnMut(Event),
    ) -> bool {
        let found = self.open.iter().position(|o| {
            o.stream == stream && (!o.prefix_known || strip_shaped(&o.prefix, line).is_some())
        });
        if let Some(i) = found {
            if self.continue_open(i, entry, line) {
                return true;
            }
            // A stray line (another thread's print) inside a traceback that has not reached
            // its exception line yet does not cut it short: it is an entry of its own.
            let whole = self.open.get(i).is_none_or(|o| o.machine.complete());
            if !whole && start_at(line).is_none() {
                return false;
            }
            let done = self.open.remove(i);
            out(done.into_event());
        }
        let pending = self.take_pending(stream);
        let Some(at) = start_at(line) else {
            if let Some(p) = pending {
                out(p.event);
            }
            return false;
        };
        let (prefix, rest) = line.split_at(at);
        let Some(machine) = LineMachine::start(rest) else {
            if let Some(p) = pending {
                out(p.event);
            }
            return false;
        };
        // A header joins only when it carries the traceback's prefix (the same compose
        // service); its text loses the prefix as the traceback lines do.
        let header = pending.and_then(|p| match strip_shaped(prefix, &p.event.text) {
            Some(own) => {
                let own = own.to_string();
                Some((p, own))
            }
            None => {
                out(p.event);
                None
            }
        });
        let mut event = match header {
            Some((p, own)) => {
                let mut event = join(p.event, entry);
                event.text = own;
                event
            }
            None => Event::at(EventKind::Traceback, entry),
        };
        event.kind = EventKind::Traceback;
        self.make_room(out);
        self.open.push(Open {
            stream,
            needle: self.needles.of(entry),
            prefix: prefix.to_string(),
            prefix_known: prefix.is_empty(),
            machine,
            event,
            head: format!("{rest}\n"),
            head_lines: 1,
            tail: std::collections::VecDeque::new(),
            omitted: 0,
            last: self.tick,
        });
        true
    }

    /// Offers `line` to the open traceback `i`; `true` when it continued it.
    fn continue_open(&mut self, i: usize, entry: &Entry<'_>, line: &str) -> bool {
        let Some(open) = self.open.get_mut(i) else {
            return false;
        };
        let rest = if open.prefix_known {
            strip_shaped(&open.prefix, line).unwrap_or(line)
        } else {
            let Some(k) = confirm_prefix(&open.prefix, line, &open.machine) else {
                return false;
            };
            open.prefix.truncate(k);
            open.prefix_known = true;
            strip_shaped(&open.prefix, line).unwrap_or(line)
        };
        if !open.machine.feed(rest) {
            return false;
        }
        open.keep(rest);
        open.last = self.tick;
        if open.event.insert_ids.len() < MAX_LINES {
            open.event
                .insert_ids
                .extend(entry.insert_id.iter().map(|s| s.to_string()));
        }
        open.event.severity = open.event.severity.max(severity_of(entry));
        true
    }

    /// Notes that a non-candidate entry went by unparsed (it counts for the bound on how long
    /// a split traceback may stay open).
    #[inline]
    pub(crate) fn skip(&mut self) {
        self.skip_many(1);
    }

    /// [`Assembler::skip`] for `n` entries at once.
    #[inline]
    pub(crate) fn skip_many(&mut self, n: u64) {
        self.tick += n;
        if !(self.open.is_empty() && self.pending.is_empty()) {
            self.expire();
        }
    }

    /// Adds `offset` to the line numbers of the events it holds: the parallel path numbers a
    /// block's lines from 0, and learns where the block starts only when it merges it.
    pub(crate) fn shift_lines(&mut self, offset: u64) {
        let events = self.open.iter_mut().map(|o| &mut o.event);
        let events = events.chain(self.pending.iter_mut().map(|p| &mut p.event));
        for event in events.chain(self.ready.iter_mut()) {
            event.line += offset;
        }
    }

    /// Flushes every open traceback at the end of the input.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        for event in self.ready.drain(..) {
            out(event);
        }
        let mut all: Vec<(u64, Event)> = Vec::new();
        all.extend(self.open.drain(..).map(|o| (o.last, o.into_event())));
        all.extend(self.pending.drain(..).map(|p| (p.tick, p.event)));
        all.sort_by_key(|(tick, _)| *tick);
        for (_, event) in all {
            out(event);
        }
    }

    /// Moves tracebacks and headers that waited too long to `ready`.
    fn expire(&mut self) {
        if self.open.is_empty() && self.pending.is_empty() {
            return;
        }
        let tick = self.tick;
        let mut i = 0;
        while i < self.open.len() {
            if tick.saturating_sub(self.open[i].last) > self.open[i].idle_limit() {
                let done = self.open.remove(i);
                self.ready.push(done.into_event());
            } else {
                i += 1;
            }
        }
        // In place: this runs for every entry while anything waits.
        let mut i = 0;
        while let Some(p) = self.pending.get(i) {
            if tick.saturating_sub(p.tick) > MAX_PENDING_IDLE {
                let stale = self.pending.remove(i);
                self.ready.push(stale.event);
            } else {
                i += 1;
            }
        }
    }

    /// Flushes the oldest open traceback or pending header when every slot is taken.
    fn make_room(&mut self, out: &mut dyn FnMut(Event)) {
        while self.open.len() + self.pending.len() >= MAX_STREAMS {
            let oldest_open = self.open.iter().enumerate().min_by_key(|(_, o)| o.last);
            let oldest_pending = self.pending.iter().enumerate().min_by_key(|(_, p)| p.tick);
            match (oldest_open, oldest_pending) {
                (Some((i, o)), Some((_, p))) if o.last <= p.tick => {
                    let done = self.open.remove(i);
                    out(done.into_event());
                }
                (_, Some((j, _))) => out(self.pending.remove(j).event),
                (Some((i, _)), None) => {
                    let done = self.open.remove(i);
                    out(done.into_event());
                }
                (None, None) => return,
            }
        }
    }

    /// Ends the open tracebacks of `stream`: an entry that spans lines continues none.
    fn end_stream(&mut self, stream: u64, out: &mut dyn FnMut(Event)) {
        let mut i = 0;
        while i < self.open.len() {
            if self.open[i].stream == stream {
                let done = self.open.remove(i);
                out(done.into_event());
            } else {
                i += 1;
            }
        }
    }

    fn take_pending(&mut self, stream: u64) -> Option<Pending> {
        let i = self.pending.iter().position(|p| p.stream == stream)?;
        let p = self.pending.remove(i);
        Some(p)
    }

    /// The event of an entry that holds no traceback: out of memory, a slow query, or an
    /// error-level message.
    fn other_event(&self, entry: &Entry<'_>) -> Option<Event> {
        let text = entry
            .message()
            .or_else(|| entry.json_strings.first().map(|(_, v)| v.as_ref()))
            .unwrap_or("");
        if is_out_of_memory(text) {
            let mut event = Event::at(EventKind::OutOfMemory, entry);
            event.text = text.trim_end().to_string();
            return Some(event);
        }
        if let Some(slow) = slow_query(entry, text).filter(|q| q.duration_ms >= self.slow_ms) {
            let mut event = Event::at(EventKind::SlowQuery, entry);
            event.text = text.trim_end().to_string();
            event.slow_query = Some(slow);
            return Some(event);
        }
        let severity = severity_of(entry);
        if severity.is_error() {
            let mut event = Event::at(EventKind::Severity, entry);
            event.severity = severity;
            event.text = text.trim_end().to_string();
            return Some(event);
        }
        None
    }
}

/// The longest part of the header's `prefix` that the second line also carries (by shape)
/// and behind which that line continues the traceback: `backend-1  | ` of
/// `backend-1  | ERROR:    `, or nothing of uvicorn's `ERROR:    `.
fn confirm_prefix(prefix: &str, line: &str, machine: &LineMachine) -> Option<usize> {
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
fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
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
fn elision(omitted: impl std::fmt::Display) -> String {
    format!("    ...<{omitted} lines>...")
}

/// The entry's level (§2); for a plain-text line behind a `docker compose` prefix
/// (`worker-1  | ERROR: job 17 failed`) the level word after the prefix counts.
pub(super) fn severity_of(entry: &Entry<'_>) -> Severity {
    let severity = entry.effective_severity();
    if severity != Severity::Default {
        return severity;
    }
    entry
        .message()
        .and_then(after_compose_prefix)
        .map_or(severity, level_word)
}

fn after_compose_prefix(text: &str) -> Option<&str> {
    let at = finder!(" | ").find(text.as_bytes())?;
    let (name, rest) = (text.get(..at)?, text.get(at + " | ".len()..)?);
    let name = name.trim_end();
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (!name.is_empty() && plain).then_some(rest)
}

/// A header event continued by `entry`'s traceback.
fn join(mut header: Event, entry: &Entry<'_>) -> Event {
    header
        .insert_ids
        .extend(entry.insert_id.iter().map(|s| s.to_string()));
    header.severity = header.severity.max(severity_of(entry));
    header
}

/// The text of a traceback held whole in one entry: a string that spans lines and has a
/// traceback start in it. From a field other than the message, the message goes first (it
/// is the log record's header line).
fn whole_traceback(entry: &Entry<'_>) -> Option<String> {
    let strings = entry.text_payload.iter().map(|s| ("", s.as_ref())).chain(
        entry
            .json_strings
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref())),
    );
    for (key, value) in strings {
        if !holds_traceback(value) {
            continue;
        }
        if key.is_empty() || key == "message" {
            return Some(value.to_string());
        }
        return Some(match entry.message().filter(|m| !m.trim().is_empty()) {
            Some(header) => format!("{}\n{}", header.trim_end(), value),
            None => value.to_string(),
        });
    }
    None
}

fn holds_traceback(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.trim_end().contains('\n')
        && (finder!("Traceback (most recent call last):")
            .find(bytes)
            .is_some()
            || finder!("File \"").find(bytes).is_some())
        && value.lines().any(|l| start_at(l).is_some())
}

/// Cloud Run's `Memory limit of 512 MiB exceeded with 519 MiB used`, a kernel
/// `Out of memory: Killed process 1234 (python)`, a container's `OOMKilled` status.
fn is_out_of_memory(text: &str) -> bool {
    let has = |f: &Finder<'_>| f.find(text.as_bytes()).is_some();
    (has(finder!("Memory limit of ")) && has(finder!(" exceeded with ")))
        || has(finder!("Out of memory: Killed process"))
        || has(finder!("OOMKilled"))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
