//! Event assembly: entries (and lines split over entries) into events.
//!
//! An entry whose text spans lines is self-contained: a traceback in it (in `textPayload`,
//! `jsonPayload.message` or any other string field) ends with the entry. Single-line entries
//! are followed per stream ([`Entry::stream_key`]) with a [`LineMachine`], so a traceback
//! that Cloud Run or GKE split into one entry per line comes back as one event even when
//! instances interleave. State is bounded: an open traceback keeps its first and last
//! [`MAX_LINES`]` / 2` lines (the middle becomes a `...<N lines>...` line, as CPython 3.13
//! prints) and its first [`MAX_LINES`] insertIds, however long it runs; it is flushed after
//! [`MAX_IDLE`](super::split::MAX_IDLE) entries without a continuation ([`MAX_IDLE_COMPLETE`](super::split::MAX_IDLE_COMPLETE) once it has its
//! exception line), and at most [`MAX_STREAMS`] streams hold state at once. A single-line
//! entry that no traceback takes is offered to the database entries (`database`: a
//! PostgreSQL error and its `STATEMENT:`, a statement and its later duration, MySQL slow-log
//! blocks) before it is made an event of its own; their state counts as held state too.
//!
//! Three hooks serve the layouts of pasted and viewed logs, each calling into
//! `traceback`: a one-line message may hold a whole traceback (flattened, or in a JSON
//! document: [`traceback::unfold`]); a split traceback may start at a frame that lost its
//! header ([`split_start`]); such a traceback is tentative until its shape is whole, takes no
//! line that is an event by itself, and is dropped without an event if its shape never
//! comes, so prose that quotes a frame stays prose. A lone exception line is kept for one
//! entry (`Before`), because Sentry prints it before the frames; it counts as held state, so
//! the parallel path's quiet points stay exact. A pending header holds up to
//! [`MAX_HELD`] lines that go on with its record's message (celery's `Trying again in ...`).

use super::database::Database;
use super::held::Held;
use super::model::{Event, EventKind, Request};
use super::slow::slow_query;
use super::split::{
    bounded, confirm_prefix, Before, Needle, Needles, Open, Pending, MAX_HELD, MAX_LINES,
    MAX_PENDING_IDLE, MAX_STREAMS,
};
use crate::entry::Entry;
use crate::platform::PlatformTable;
use crate::text::continues_record;
use crate::traceback::{self, split_start, start_at, strip_shaped};
use memchr::memmem::Finder;

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
    /// The platform messages that make an entry a [`EventKind::Platform`] event.
    platform: PlatformTable,
    /// The last entry, when it was a lone exception line.
    before: Option<Before>,
    /// Database entries that belong together (PostgreSQL errors and their statements,
    /// statements and their durations, MySQL slow-log blocks): see `database`.
    database: Database,
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
            before: None,
            database: Database::new(slow_ms),
            platform: PlatformTable::default(),
        }
    }

    /// What it holds, taken out: it holds nothing after.
    pub(crate) fn take_held(&mut self) -> Held {
        Held {
            tick: self.tick,
            open: std::mem::take(&mut self.open),
            pending: std::mem::take(&mut self.pending),
            ready: std::mem::take(&mut self.ready),
            before: self.before.take().filter(|b| b.tick == self.tick),
            database: std::mem::replace(&mut self.database, Database::new(self.slow_ms)),
        }
    }

    /// Goes on from `held`, what an assembler with the same settings held (its needles are
    /// built again as streams come).
    pub(crate) fn restore(&mut self, held: Held) {
        self.tick = held.tick;
        self.open = held.open;
        self.pending = held.pending;
        self.ready = held.ready;
        self.before = held.before;
        self.database = held.database;
    }

    /// The assembler with the platform table `platform` (none by default).
    pub(crate) fn with_platform(mut self, platform: PlatformTable) -> Self {
        self.platform = platform;
        self
    }

    /// Whether some stream has an open traceback or a pending header, or database entries
    /// wait for theirs: the state a block's scan must start with.
    pub(crate) fn has_open(&self) -> bool {
        !(self.open.is_empty() && self.pending.is_empty() && self.ready.is_empty())
            || self.before.as_ref().is_some_and(|b| b.tick == self.tick)
            || self.database.holds()
    }

    /// Whether an unparsed entry (`raw`, its bytes) may continue an open traceback or follow a
    /// pending header, and so must be parsed and pushed: only when some stream has state, and
    /// then only an entry that carries that stream's instance id (when it has one).
    #[inline]
    pub(crate) fn may_continue(&self, raw: &[u8]) -> bool {
        // Most entries pass while nothing is open: keep that test inlined in the scan loop.
        if self.open.is_empty() && self.pending.is_empty() && self.ready.is_empty() {
            return self.database.wants_entries();
        }
        self.may_continue_open(raw) || self.database.wants_entries()
    }

    fn may_continue_open(&self, raw: &[u8]) -> bool {
        let holds = |needle: &Needle| {
            needle
                .as_ref()
                .is_none_or(|n| n.finders.iter().all(|f| f.find(raw).is_some()))
        };
        !self.ready.is_empty()
            || self.open.iter().any(|o| holds(&o.needle))
            || self.pending.iter().any(|p| holds(&p.needle))
    }

    /// Feeds one parsed candidate entry; completed events go to `out`.
    #[cfg(test)]
    pub(crate) fn push(&mut self, entry: &Entry<'_>, out: &mut dyn FnMut(Event)) {
        self.push_entry(entry, true, out);
    }

    /// Feeds one parsed entry; completed events go to `out`. `candidate` says whether the
    /// prefilter picked it: an entry parsed only because a split traceback is open (or to
    /// validate) may continue that traceback, but a failed request or a platform message
    /// starts only at a candidate, so that which of them are found does not depend on what
    /// else was open at the time (nor on input order or sharding).
    pub(crate) fn push_entry(
        &mut self,
        entry: &Entry<'_>,
        candidate: bool,
        out: &mut dyn FnMut(Event),
    ) {
        self.tick += 1;
        self.expire();
        for event in self.ready.drain(..) {
            out(event);
        }
        let stream = entry.stream_key();
        if let Some(text) = whole_traceback(entry) {
            self.end_stream(stream, out);
            let mut event = match self.take_pending(stream) {
                Some(p) => {
                    let held = p.held.join("\n");
                    let mut event = join(p.event, entry);
                    if !held.is_empty() {
                        event.text.push('\n');
                        event.text.push_str(&held);
                    }
                    event
                }
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
        if self.database.push(entry, self.tick, out) {
            return;
        }
        let Some(event) = self.other_event(entry, candidate) else {
            self.remember_exception_line(entry, stream, message);
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
                held: Vec::new(),
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
            // its exception line yet does not cut it short: it is an entry of its own. A
            // traceback that lost its header is not waited for so.
            let waits = self
                .open
                .get(i)
                .is_some_and(|o| !o.machine.complete() && !o.machine.tentative());
            if waits && start_at(line).is_none() {
                return false;
            }
            let done = self.open.remove(i);
            out_some(done.into_event(), out);
        }
        let pending = self.take_pending(stream);
        let before = self
            .before
            .take()
            .filter(|b| b.stream == stream && b.tick + 1 == self.tick);
        let start = split_start(line, before.as_ref().map(|b| b.event.text.as_str()));
        let Some(start) = start else {
            if let Some(mut p) = pending {
                // A line that goes on with the header's message (no prefix, level or
                // timestamp of its own, and no event by itself) is held with it.
                if p.held.len() < MAX_HELD
                    && entry.effective_severity() == crate::entry::Severity::Default
                    && continues_record(&p.event.text, line)
                    && !traceback::is_exception_line(line)
                    && self.other_event(entry, true).is_none()
                {
                    p.held.push(line.to_string());
                    self.pending.push(p);
                    return true;
                }
                out(p.event);
            }
            return false;
        };
        let (prefix, rest) = line.split_at(start.at);
        let headerless = start.machine.tentative();
        // A header joins only when it carries the traceback's prefix (the same compose
        // service); its text loses the prefix as the traceback lines do. A traceback that
        // lost its header joins none: if its shape fails, it is no event, and the header
        // must not be lost with it.
        let header = pending.and_then(|p| match strip_shaped(prefix, &p.event.text) {
            Some(own) if !headerless => {
                let mut own = own.to_string();
                for line in &p.held {
                    own.push('\n');
                    own.push_str(line);
                }
                Some((p, own))
            }
            _ => {
                out(p.event);
                None
            }
        });
        let mut head = String::new();
        let mut event = match (header, before.filter(|_| start.takes_before)) {
            (Some((p, own)), _) => {
                let mut event = join(p.event, entry);
                event.text = own;
                event
            }
            (None, Some(b)) => {
                // Sentry's layout: the exception line printed before the frames starts it.
                let mut event = join(b.event, entry);
                head = std::mem::take(&mut event.text);
                head.push('\n');
                event
            }
            (None, None) => Event::at(EventKind::Traceback, entry),
        };
        event.kind = EventKind::Traceback;
        head.push_str(rest);
        head.push('\n');
        let head_lines = head.lines().count();
        self.make_room(out);
        self.open.push(Open {
            stream,
            needle: self.needles.of(entry),
            prefix: prefix.to_string(),
            prefix_known: prefix.is_empty(),
            machine: start.machine,
            event,
            head,
            head_lines,
            tail: std::collections::VecDeque::new(),
            omitted: 0,
            last: self.tick,
        });
        true
    }

    /// Keeps a lone exception line (no event by itself) as its stream's last entry: a
    /// traceback without a header that follows it may have printed it first.
    fn remember_exception_line(&mut self, entry: &Entry<'_>, stream: u64, message: &str) {
        if message.contains('\n') || !traceback::is_exception_line(message) {
            return;
        }
        let mut event = Event::at(EventKind::Traceback, entry);
        event.text = message.trim_end().to_string();
        self.before = Some(Before {
            stream,
            tick: self.tick,
            event,
        });
    }

    /// Offers `line` to the open traceback `i`; `true` when it continued it.
    fn continue_open(&mut self, i: usize, entry: &Entry<'_>, line: &str) -> bool {
        // A traceback that lost its header may yet prove no traceback: it takes no line
        // that is an event by itself, which its failure would lose.
        if self.open.get(i).is_some_and(|o| o.machine.tentative())
            && self.other_event(entry, true).is_some()
        {
            return false;
        }
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
        open.event.severity = open.event.severity.max(entry.level());
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
        if !(self.open.is_empty() && self.pending.is_empty()) || self.database.holds() {
            self.expire();
        }
    }

    /// Adds `offset` to the line numbers of the events it holds: the parallel path numbers a
    /// block's lines from 0, and learns where the block starts only when it merges it.
    pub(crate) fn shift_lines(&mut self, offset: u64) {
        let events = self.open.iter_mut().map(|o| &mut o.event);
        let events = events.chain(self.pending.iter_mut().map(|p| &mut p.event));
        let events = events.chain(self.before.iter_mut().map(|b| &mut b.event));
        for event in events.chain(self.ready.iter_mut()) {
            event.line += offset;
        }
        self.database.shift_lines(offset);
    }

    /// Flushes every open traceback at the end of the input.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        for event in self.ready.drain(..) {
            out(event);
        }
        let mut all: Vec<(u64, Event)> = Vec::new();
        all.extend(
            self.open
                .drain(..)
                .filter_map(|o| Some((o.last, o.into_event()?))),
        );
        all.extend(self.pending.drain(..).map(|p| (p.tick, p.event)));
        self.database.finish(&mut all);
        all.sort_by_key(|(tick, _)| *tick);
        for (_, event) in all {
            out(event);
        }
    }

    /// Moves tracebacks and headers that waited too long to `ready`.
    fn expire(&mut self) {
        let tick = self.tick;
        if self.database.holds() {
            self.database.expire(tick, &mut self.ready);
        }
        if self.open.is_empty() && self.pending.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.open.len() {
            if tick.saturating_sub(self.open[i].last) > self.open[i].idle_limit() {
                let done = self.open.remove(i);
                self.ready.extend(done.into_event());
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
                    out_some(done.into_event(), out);
                }
                (_, Some((j, _))) => out(self.pending.remove(j).event),
                (Some((i, _)), None) => {
                    let done = self.open.remove(i);
                    out_some(done.into_event(), out);
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
                out_some(done.into_event(), out);
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

    /// The event of an entry that holds no traceback: a failed request, out of memory, a
    /// slow query, a platform message, or an error-level message.
    fn other_event(&self, entry: &Entry<'_>, candidate: bool) -> Option<Event> {
        let text = entry
            .message()
            .or_else(|| entry.json_strings.first().map(|(_, v)| v.as_ref()))
            .unwrap_or("");
        if candidate {
            if let Some(event) = self.request_event(entry, text) {
                return Some(event);
            }
        }
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
        if let Some(row) = candidate.then(|| self.platform.find(text)).flatten() {
            let mut event = Event::at(EventKind::Platform, entry);
            event.text = text.trim_end().to_string();
            event.platform = Some(row.message());
            event.request = entry.http_request.as_ref().map(|r| {
                Request::new(
                    r.method.as_deref(),
                    r.url.as_deref().unwrap_or(""),
                    r.status,
                    r.latency_ms,
                )
            });
            return Some(event);
        }
        let severity = entry.level();
        if severity.is_error() {
            let mut event = Event::at(EventKind::Severity, entry);
            event.severity = severity;
            event.text = text.trim_end().to_string();
            return Some(event);
        }
        None
    }
}

impl Assembler {
    /// A failed request: a request log entry with a status of 500 or more. Its text is the
    /// request's headline (with the platform's reason when its message is a refusal), then
    /// the entry's own message.
    fn request_event(&self, entry: &Entry<'_>, text: &str) -> Option<Event> {
        let r = entry.http_request.as_ref()?;
        let status = r.status.filter(|s| *s >= 500)?;
        let request = Request::new(
            r.method.as_deref(),
            r.url.as_deref().unwrap_or(""),
            Some(status),
            r.latency_ms,
        );
        let mut event = Event::at(EventKind::Request, entry);
        let text = text.trim_end();
        let row = match text.is_empty() {
            true => None,
            false => self.platform.find(text),
        };
        event.text = request.headline();
        if let Some(row) = row {
            event.text.push_str(&format!(" ({})", row.title()));
            event.platform = Some(row.message());
        }
        if !text.is_empty() {
            event.text.push('\n');
            event.text.push_str(text);
        }
        event.request = Some(request);
        Some(event)
    }
}

/// Hands `event` to `out`, if there is one.
fn out_some(event: Option<Event>, out: &mut dyn FnMut(Event)) {
    if let Some(event) = event {
        out(event);
    }
}

/// A header event continued by `entry`'s traceback.
fn join(mut header: Event, entry: &Entry<'_>) -> Event {
    header
        .insert_ids
        .extend(entry.insert_id.iter().map(|s| s.to_string()));
    header.severity = header.severity.max(entry.level());
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
    // A traceback inside a one-line message: flattened, or escaped in a JSON document.
    entry
        .message()
        .filter(|m| !m.trim_end().contains('\n'))
        .and_then(traceback::unfold)
}

fn holds_traceback(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.trim_end().contains('\n')
        && (finder!("Traceback (most recent call last):")
            .find(bytes)
            .is_some()
            || finder!("File \"").find(bytes).is_some())
        && traceback::has_start(value)
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
