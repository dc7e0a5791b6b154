//! Event assembly: entries (and lines split over entries) into events.
//!
//! An entry whose text spans lines is self-contained: a traceback in it (in `textPayload`,
//! `jsonPayload.message` or any other string field) ends with the entry. Single-line entries
//! are followed per stream ([`Entry::stream_key`]) with a `LineMachine`, so a traceback that
//! Cloud Run or GKE split into one entry per line comes back as one event even when
//! instances interleave (the `forward` module). A single-line entry that no traceback takes
//! is offered to the database entries (`database`: a PostgreSQL error and its `STATEMENT:`,
//! a statement and its later duration, MySQL slow-log blocks) before it is made an event of
//! its own; their state counts as held state too.
//!
//! State is bounded: an open traceback keeps its first and last `MAX_LINES / 2` lines (the
//! middle becomes a `...<N lines>...` line, as CPython 3.13 prints) and its first
//! `MAX_LINES` insertIds, however long it runs; it is flushed after `MAX_IDLE` entries
//! without a continuation (`MAX_IDLE_COMPLETE` once it has its exception line), a header
//! waits `MAX_PENDING_IDLE` entries for its traceback, and at most `MAX_STREAMS` streams
//! hold state at once (see `split`). Those bounds count entries, skipped ones too; a skip
//! looks at what is held only once the earliest of them may have passed (`quiet_until`), so
//! the entries skipped while a traceback waits do not each walk what is held.
//!
//! Three hooks serve the layouts of pasted and viewed logs, each calling into
//! `traceback`: a one-line message may hold a whole traceback (flattened, or in a JSON
//! document: `traceback::unfold`); a split traceback may start at a frame that lost its
//! header (`split_start`); such a traceback is tentative until its shape is whole, takes no
//! line that is an event by itself, and is dropped without an event if its shape never
//! comes, so prose that quotes a frame stays prose. A lone exception line is kept for one
//! entry (`Before`), because Sentry prints it before the frames; it counts as held state, so
//! the parallel path's quiet points stay exact. A pending header holds up to `MAX_HELD`
//! lines that go on with its record's message (celery's `Trying again in ...`).
//!
//! # Either order
//!
//! `gcloud logging read` prints newest first unless told `--order=asc`. A stream's entries
//! are taken in the order of their timestamps, read as instants (`2026-11-26T15:00:00+01:00`
//! is `14:00:00Z`, `…:02.5Z` is after `…:02Z`); entries that share a timestamp keep the
//! order of the input, which is then their order in time (gcloud's sort is stable on them,
//! and a traceback written at once comes as one block in its own order). Nothing is decided
//! for the input as a whole: each stream goes by its own timestamps, from one line to the
//! next, so exports sorted either way, and streams interleaved, come out the same. Entries
//! without a readable timestamp, and plain-text lines (whose time their prefix gives), are
//! taken in input order.
//!
//! Read newest first, a split traceback starts with its exception line, which carries no
//! literal the prefilter looks for; its first line let through is a frame (`  File "...`).
//! A frame line of a stream with no open traceback opens a reversed run (`newest_first`,
//! `reversed`): the entries before it are looked back for in the bytes the reader still
//! holds (`lookback`) for the lines after it in time, and the entries after it, each
//! earlier in time, are collected while they fit the shape of a traceback read backwards,
//! up to its `Traceback (most recent call last):` line, the chains before it and the log
//! record's header line. Then the lines are put in time order and replayed through the
//! forward assembly, which makes of them what it makes of the same lines read oldest first.
//! A header line read after a traceback that started forwards (its lines shared one
//! timestamp) or that was whole in one entry joins it as a waiting header would have; an
//! error-level line that may be a traceback's newest line (GKE makes every stderr line
//! error-level) waits for the frames that may follow it.
//!
//! The bounds read in reverse:
//!
//! - `MAX_LINES`: a reversed run keeps its earliest `MAX_LINES / 2 + 1` and latest
//!   `MAX_LINES / 2` lines, and the count, highest level and first insertIds of those left
//!   out, so that the replay keeps what a forward traceback keeps.
//! - `MAX_IDLE` / `MAX_IDLE_COMPLETE`: a reversed run waits for its next (earlier) line as
//!   long as a forward traceback waited after that line: `MAX_IDLE_COMPLETE` before a
//!   chain's separator, `MAX_IDLE` otherwise. The replay flushes where reading forwards
//!   would have (between two lines lie as many entries in both orders), and looking back
//!   stops where a forward traceback would not have waited.
//! - `MAX_PENDING_IDLE`: a header read after its traceback joins it when at most this many
//!   entries lie between them, as a waiting header.
//! - `MAX_STREAMS`: reversed runs count with open tracebacks and waiting headers; the
//!   oldest is replayed and its stream flushed to make room.
//! - `MAX_LOOKBACK` / `LOOKBACK_BYTES` (new in reverse): the lines a traceback read newest
//!   first has after its first frame in time (source and carets, the exception line and its
//!   message) are looked for among the 128 entries, and the 128 KiB, before that frame; an
//!   error-level line that may be one waits as long. Reading forwards a traceback may wait
//!   up to `MAX_IDLE` entries for its exception line: read newest first, a wait longer than
//!   the lookback cuts it there.
//!
//! The layouts of pasted and viewed logs read newest first (issue 21): a traceback that
//! lost its header is a reversed run that never meets a start, replayed as read forwards;
//! lines held between a header and its traceback (celery) are held by the run until the
//! header tells (`reversed`). Some are put together oldest first only, as the reference
//! says: Sentry's exception line printed before the frames (read newest first it comes
//! after them, and the frames alone make no event); frames that lost their indentation, or
//! whose every line carries a prefix (a reversed run opens only at a frame indented as
//! CPython prints it); and a stray line among the frames of a traceback that lost its
//! header, which reading forwards ends it and a reversed run passes over. Plain text is
//! read in input order, where they all work.

use super::database::Database;
use super::lookback::Look;
use super::model::Event;
use super::reversed::{Line, Reversed};
use super::split::Gap;
use super::split::{Before, Floors, Needle, Open, Pending, MAX_PENDING_IDLE, MAX_STREAMS};
use crate::entry::Entry;
use crate::platform::PlatformTable;
use crate::time;

/// Turns entries into events, keeping bounded per-stream state for split tracebacks.
#[derive(Debug)]
pub(crate) struct Assembler {
    /// The slow-query threshold in milliseconds.
    pub(super) slow_ms: f64,
    pub(super) open: Vec<Open>,
    /// Tracebacks whole in one entry that a header read after them may still join; their
    /// streams' entries are not parsed for them.
    pub(super) wholes: Vec<Open>,
    /// The check a header read after one of `wholes` waits for: no entry of the stream
    /// between them.
    pub(super) gap: Option<Gap>,
    pub(super) pending: Vec<Pending>,
    /// Tracebacks being read newest first.
    pub(super) reversed: Vec<Reversed>,
    /// Events flushed by `skip`, which has no sink: the scan takes them right after
    /// ([`Assembler::take_ready`]), and a push lets them go first.
    pub(super) ready: Vec<Event>,
    /// Counts every entry, pushed or skipped.
    pub(super) tick: u64,
    /// No held state expires at a tick up to this one, so a skip need not look (a whole
    /// traceback waits 32 entries for a late header; each of them is skipped). It is never
    /// later than the earliest expiry: what adds state (a push, a lookback, a restore)
    /// resets it to 0, and [`Assembler::expire`] sets it again.
    pub(super) quiet_until: u64,
    /// The platform messages that make an entry a `Platform` event.
    pub(super) platform: PlatformTable,
    /// The last entry, when it was a lone exception line.
    pub(super) before: Option<Before>,
    /// Database entries that belong together (PostgreSQL errors and their statements,
    /// statements and their durations, MySQL slow-log blocks): see `database`.
    pub(super) database: Database,
    pub(super) floors: Floors,
    /// The lookback the last push asked for, with the frame line that opens the run.
    pub(super) look: Option<(Look, Line)>,
    /// Replaying a reversed run (or passing a line over): forward assembly only.
    pub(super) replaying: bool,
    /// Handling the lines a reversed run let go: it decided they are no header of it.
    pub(super) releasing: bool,
}

impl Assembler {
    pub(crate) fn new(slow_ms: f64) -> Self {
        Assembler {
            slow_ms,
            open: Vec::new(),
            wholes: Vec::new(),
            gap: None,
            pending: Vec::new(),
            reversed: Vec::new(),
            ready: Vec::new(),
            tick: 0,
            quiet_until: 0,
            platform: PlatformTable::default(),
            before: None,
            database: Database::new(slow_ms),
            floors: Floors::default(),
            look: None,
            replaying: false,
            releasing: false,
        }
    }

    /// The assembler with the platform table `platform` (none by default).
    pub(crate) fn with_platform(mut self, platform: PlatformTable) -> Self {
        self.platform = platform;
        self
    }

    /// Whether it holds anything that later entries may change: the state a block's scan
    /// must start with.
    pub(crate) fn has_open(&self) -> bool {
        !(self.wholes.is_empty() && self.waits_only())
    }

    /// The lines of the whole tracebacks that wait for a header read after them, when that
    /// is all it holds. Such a traceback is fixed by its entry: two scans that hold the same
    /// ones at the same place go on alike, which lets the parallel path meet a block's
    /// fresh scan there (issue 23 made every whole traceback with a timestamp wait).
    pub(crate) fn waiting_lines(&self) -> Option<impl Iterator<Item = u64> + '_> {
        self.waits_only()
            .then(|| self.wholes.iter().map(|w| w.event.line))
    }

    /// Entries counted so far, pushed or skipped.
    pub(crate) fn tick(&self) -> u64 {
        self.tick
    }

    /// How many whole tracebacks wait for a header read after them.
    pub(crate) fn wholes_waiting(&self) -> usize {
        self.wholes.len()
    }

    /// The whole tracebacks waiting for a header, when that is all it holds: each one's
    /// stream and how many entries it has waited.
    pub(crate) fn waits(&self) -> Option<Vec<(u64, u64)>> {
        let waits = (self.wholes.iter()).map(|w| (w.stream, self.tick.saturating_sub(w.last)));
        self.waits_only().then(|| waits.collect())
    }

    /// Lets go of the whole tracebacks waiting for a header, in order (see
    /// [`Assembler::waits`]).
    pub(crate) fn take_waiting(&mut self) -> Vec<Option<Event>> {
        self.wholes.drain(..).map(Open::into_event).collect()
    }

    /// Whether it holds nothing but whole tracebacks waiting for a header.
    fn waits_only(&self) -> bool {
        !self.parses_more()
            && self.ready.is_empty()
            && self.gap.is_none()
            && self.before.as_ref().is_none_or(|b| b.tick != self.tick)
    }

    /// Whether some stream has an open traceback or a pending header: while it does, the
    /// entries that may continue it must be parsed (see [`Assembler::may_continue`]).
    #[inline]
    pub(crate) fn parses_more(&self) -> bool {
        self.streams_held() || self.look.is_some() || self.database.holds()
    }

    /// Whether some stream has an open traceback, a pending header or a reversed run. Asked
    /// for every entry the scan frames: one test of the lengths together, not three.
    #[inline]
    fn streams_held(&self) -> bool {
        (self.open.len() | self.pending.len() | self.reversed.len()) != 0
    }

    /// Whether an unparsed entry (`raw`, its bytes) may continue an open traceback or follow a
    /// pending header, and so must be parsed and pushed: only when some stream has state, and
    /// then only an entry that carries that stream's instance id (when it has one).
    #[inline]
    pub(crate) fn may_continue(&self, raw: &[u8]) -> bool {
        // Most entries pass while nothing is open: keep that test inlined in the scan loop.
        if !self.streams_held() {
            return self.database.wants_entries();
        }
        self.may_continue_open(raw) || self.database.wants_entries()
    }

    fn may_continue_open(&self, raw: &[u8]) -> bool {
        self.open.iter().any(|o| holds(&o.needle, raw))
            || self.pending.iter().any(|p| holds(&p.needle, raw))
            || self.reversed.iter().any(|r| holds(&r.needle, raw))
    }

    /// Whether it holds events let go by [`Assembler::skip`], which has no sink.
    #[inline]
    pub(crate) fn holds_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Moves the events let go since the last push to `out`, in order.
    #[inline]
    pub(crate) fn take_ready(&mut self, out: &mut Vec<Event>) {
        if !self.ready.is_empty() {
            out.append(&mut self.ready);
        }
    }

    /// Feeds one parsed candidate entry, in the order of its timestamp; completed events go
    /// to `out`.
    #[cfg(test)]
    pub(crate) fn push(&mut self, entry: &Entry<'_>, out: &mut dyn FnMut(Event)) {
        self.push_entry(entry, true, true, out);
    }

    /// Feeds one parsed entry; completed events go to `out`. It may ask for a lookback
    /// ([`Assembler::look_back`]), which must come before the next entry.
    ///
    /// `candidate` says whether the prefilter picked it: an entry parsed only because a
    /// split traceback is open (or to validate) may continue that traceback, but a failed
    /// request or a platform message starts only at a candidate, so that which of them are
    /// found does not depend on what else was open at the time (nor on input order or
    /// sharding). When not `timed` (a plain-text line, whose time its prefix gave), the
    /// entry is taken in input order whatever its timestamp.
    pub(crate) fn push_entry(
        &mut self,
        entry: &Entry<'_>,
        candidate: bool,
        timed: bool,
        out: &mut dyn FnMut(Event),
    ) {
        self.end_look();
        self.end_gap(false);
        self.tick += 1;
        self.expire();
        for event in self.ready.drain(..) {
            out(event);
        }
        let stream = entry.stream_key();
        let time = entry
            .timestamp
            .as_deref()
            .filter(|_| timed)
            .and_then(time::parse);
        self.database.forget_walk();
        self.process(entry, stream, time, candidate, out);
        self.quiet_until = 0;
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
        // Asked for every entry the scan skips: past the earliest expiry only (or to end a
        // lookback or gap), and what that needs is kept out of the loop's code.
        if self.tick > self.quiet_until || self.look.is_some() || self.gap.is_some() {
            self.skip_held();
        }
    }

    #[inline(never)]
    fn skip_held(&mut self) {
        self.end_look();
        self.end_gap(false);
        self.expire();
    }

    /// Adds `offset` to the line numbers of the events it holds: the parallel path numbers a
    /// block's lines from 0, and learns where the block starts only when it merges it.
    pub(crate) fn shift_lines(&mut self, offset: u64) {
        self.end_look();
        self.end_gap(false);
        for whole in &mut self.wholes {
            whole.event.line += offset;
        }
        let late = self.open.iter_mut().filter_map(|o| o.late.as_mut());
        for late in late {
            late.event.line += offset;
        }
        let events = self.open.iter_mut().map(|o| &mut o.event);
        let events = events.chain(self.pending.iter_mut().map(|p| &mut p.event));
        let events = events.chain(self.before.iter_mut().map(|b| &mut b.event));
        for event in events.chain(self.ready.iter_mut()) {
            event.line += offset;
        }
        for run in &mut self.reversed {
            run.shift_lines(offset);
        }
        self.floors.shift(offset);
        self.database.shift_lines(offset);
    }

    /// Takes in what the assembler it goes on from knew of the streams' used lines: the
    /// parallel path goes on from a block's own scan when nothing was carried into it.
    pub(crate) fn inherit(&mut self, earlier: Assembler) {
        self.floors.inherit(earlier.floors);
    }

    /// Flushes every open traceback at the end of the input.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        self.end_look();
        self.end_gap(false);
        for event in self.ready.drain(..) {
            out(event);
        }
        while let Some(i) = (0..self.reversed.len()).min_by_key(|&i| self.reversed[i].last) {
            self.close_reversed(i, out);
        }
        let mut all: Vec<(u64, Event)> = Vec::new();
        let done = |o: Open| Some((o.last, o.into_event()?));
        all.extend(self.open.drain(..).filter_map(done));
        all.extend(self.wholes.drain(..).filter_map(done));
        all.extend(self.pending.drain(..).map(|p| (p.tick, p.event)));
        self.database.finish(&mut all);
        all.sort_by_key(|(tick, _)| *tick);
        for (_, event) in all {
            out(event);
        }
    }

    /// Moves tracebacks and headers that waited too long to `ready`.
    fn expire(&mut self) {
        self.expire_held();
        self.quiet_until = self.next_expiry().saturating_sub(1);
    }

    /// The earliest tick at which something held may expire (`u64::MAX` when nothing is);
    /// database entries are looked at for every entry.
    fn next_expiry(&self) -> u64 {
        if self.database.holds() {
            return self.tick + 1;
        }
        // The same ticks `expire_held` lets them go after.
        let wholes = self.wholes.iter().map(whole_expires_after);
        let runs = self.reversed.iter().map(Reversed::expires_after);
        let open = self.open.iter().map(Open::expires_after);
        let pending = self.pending.iter().map(Pending::expires_after);
        let all = wholes.chain(runs).chain(open).chain(pending);
        all.min().map_or(u64::MAX, |last| last + 1)
    }

    fn expire_held(&mut self) {
        if self.database.holds() {
            self.database.expire(self.tick, &mut self.ready);
        }
        if !self.streams_held() && self.wholes.is_empty() {
            return;
        }
        let tick = self.tick;
        while let Some(i) = self
            .wholes
            .iter()
            .position(|w| tick > whole_expires_after(w))
        {
            let done = self.wholes.remove(i);
            self.ready.extend(done.into_event());
        }
        let mut i = 0;
        while let Some(run) = self.reversed.get(i) {
            if tick > run.expires_after() {
                let mut ready = std::mem::take(&mut self.ready);
                self.close_reversed(i, &mut |e| ready.push(e));
                ready.append(&mut self.ready);
                self.ready = ready;
            } else {
                i += 1;
            }
        }
        let mut i = 0;
        while i < self.open.len() {
            if tick > self.open[i].expires_after() {
                let done = self.open.remove(i);
                self.ready.extend(done.into_event());
            } else {
                i += 1;
            }
        }
        // In place: this runs for every entry while anything waits.
        let mut i = 0;
        while let Some(p) = self.pending.get(i) {
            if tick > p.expires_after() {
                let stale = self.pending.remove(i);
                self.floors.set(stale.stream, stale.event.line);
                self.ready.push(stale.event);
            } else {
                i += 1;
            }
        }
    }

    /// Flushes the oldest open traceback, pending header or reversed run when every slot is
    /// taken.
    pub(super) fn make_room(&mut self, out: &mut dyn FnMut(Event)) {
        while self.open.len() + self.pending.len() + self.reversed.len() >= MAX_STREAMS {
            let open = self.open.iter().enumerate().min_by_key(|(_, o)| o.last);
            let pending = self.pending.iter().enumerate().min_by_key(|(_, p)| p.tick);
            let reversed = self.reversed.iter().enumerate().min_by_key(|(_, r)| r.last);
            let open = open.map(|(i, o)| (o.last, 0, i));
            let pending = pending.map(|(i, p)| (p.tick, 1, i));
            let reversed = reversed.map(|(i, r)| (r.last, 2, i));
            match [open, pending, reversed].into_iter().flatten().min() {
                Some((_, 0, i)) => {
                    let done = self.open.remove(i);
                    out_some(done.into_event(), out);
                }
                Some((_, 1, i)) => {
                    let p = self.pending.remove(i);
                    self.emit_pending(p, out);
                }
                Some((_, _, i)) => {
                    let stream = self.reversed[i].stream;
                    self.close_reversed(i, out);
                    self.end_stream(stream, out);
                    while let Some(j) = self.pending.iter().position(|p| p.stream == stream) {
                        let p = self.pending.remove(j);
                        self.emit_pending(p, out);
                    }
                }
                None => return,
            }
        }
    }

    /// Ends the open tracebacks of `stream` (and replays its reversed run): an entry that
    /// spans lines continues none.
    pub(super) fn end_stream(&mut self, stream: u64, out: &mut dyn FnMut(Event)) {
        if !self.replaying {
            if let Some(i) = self.reversed.iter().position(|r| r.stream == stream) {
                self.close_reversed(i, out);
            }
        }
        let mut i = 0;
        while i < self.open.len() {
            if self.open[i].stream == stream {
                let done = self.open.remove(i);
                out_some(done.into_event(), out);
            } else {
                i += 1;
            }
        }
        while let Some(i) = self.wholes.iter().position(|w| w.stream == stream) {
            let done = self.wholes.remove(i);
            out_some(done.into_event(), out);
        }
    }
}

/// Hands `event` to `out`, if there is one.
pub(super) fn out_some(event: Option<Event>, out: &mut dyn FnMut(Event)) {
    if let Some(event) = event {
        out(event);
    }
}

/// Whether `raw` may be an entry of the stream `needle` finds.
pub(super) fn holds(needle: &Needle, raw: &[u8]) -> bool {
    needle
        .as_ref()
        .is_none_or(|fs| fs.iter().all(|f| f.find(raw).is_some()))
}

/// The last tick at which a whole traceback still waits for a header read after it.
fn whole_expires_after(whole: &Open) -> u64 {
    whole.last + MAX_PENDING_IDLE
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
