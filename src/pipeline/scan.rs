//! The scan loop: frames, filters, parses and assembles every entry of a reader, as one
//! [`Core`] whose state (assembler, totals, scratch buffers) outlives a single call, like
//! grep-searcher's `Core`.

use super::sink::Sink;
use super::stages::Stages;
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::event::{Assembler, Event, History, Start};
use crate::input::{Framed, Reader};
use crate::prefilter::Ahead;
use crate::quiet::{Quiet, Waiting, Window};
use crate::report::{Report, Totals};
use std::io::Read;

/// The state of one scan: what the stages need from entry to entry.
pub(crate) struct Core<'s> {
    stages: &'s Stages,
    /// Holds the split tracebacks and headers still open.
    pub(crate) assembler: Assembler,
    /// Counts of the entries scanned; `lines` is set at the input's end.
    pub(crate) totals: Totals,
    /// Lines are numbered from `first_line + 1`.
    first_line: u64,
    /// Events the assembler completed with the current entry.
    found: Vec<Event>,
    /// Where an entry with invalid UTF-8 is decoded.
    scratch: String,
    ahead: Ahead,
    /// Events emitted so far.
    emitted: usize,
    /// The input before the reader's first byte, for lookbacks across it.
    before: Before<'s>,
    /// Whether lookbacks are recorded (a block's first scan, a partial report's scans).
    recording: bool,
    /// The lookbacks made: where the entry starts, and how many bytes back they looked.
    pub(crate) lookbacks: Vec<(u64, u64)>,
    /// A lookback needed input before the reader's first byte that `before` did not hold.
    pub(crate) cut: bool,
    /// The first calls into the assembler (a block's first scan on the parallel path).
    pub(crate) window: Option<Window>,
}

/// What lies before a scan's first byte: the last bytes of the input before it (the
/// merged blocks' last [`crate::event::HISTORY_BYTES`], a partial report's tail, or none),
/// and what lies before those: the input's start, an entry boundary with more input before
/// it (a shard that does not know whether it starts the input), or the middle of an entry
/// too far back for any lookback.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Before<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) start: Start,
}

impl Before<'_> {
    /// A scan from the input's start.
    pub(crate) const START: Before<'static> = Before {
        bytes: &[],
        start: Start::Input,
    };
}

impl<'s> Core<'s> {
    /// A scan that goes on with `assembler`, numbering lines from `first_line + 1`, after
    /// the input `before`.
    pub(crate) fn new(
        stages: &'s Stages,
        assembler: Assembler,
        first_line: u64,
        before: Before<'s>,
    ) -> Self {
        Core {
            stages,
            assembler,
            totals: Totals::default(),
            first_line,
            found: Vec::new(),
            scratch: String::new(),
            ahead: Ahead::default(),
            emitted: 0,
            before,
            recording: false,
            lookbacks: Vec::new(),
            cut: false,
            window: None,
        }
    }

    /// Scans every entry of `reader`; each completed and classified event goes to `emit`,
    /// which returns `false` to stop. Returns whether the input was read to its end.
    pub(crate) fn scan<R: Read>(
        &mut self,
        reader: &mut Reader<R>,
        quieting: &mut Quieting<'_>,
        emit: &mut dyn FnMut(Event) -> Result<bool>,
    ) -> Result<bool> {
        let validate = self.stages.validate;
        self.recording = matches!(quieting, Quieting::Record { .. } | Quieting::Rescan { .. });
        if matches!(quieting, Quieting::Record { blocks: true, .. }) {
            self.window.get_or_insert_with(Window::default);
        }
        loop {
            if quieting.is_on() && self.at_quiet(reader.bytes_read(), quieting) {
                return Ok(false);
            }
            // While nothing is open, the entries before the next literal need no look.
            if !(validate || self.assembler.parses_more()) {
                let skipped = self.ahead.skip_clear(reader);
                self.totals.ok_many(skipped);
                let events = self.emitted;
                self.assembler.skip_many(skipped);
                if skipped > 0 {
                    self.note_call(events, None);
                    // The end of a quiet stretch is a place too, and the one a scan that
                    // fell quiet anywhere in the stretch meets: places at literals alone
                    // lie tens of KiB apart.
                    if quieting.is_on()
                        && (!self.emit_found(emit)? || self.at_quiet(reader.bytes_read(), quieting))
                    {
                        return Ok(false);
                    }
                }
            }
            let Some((framed, candidate)) =
                self.ahead.next_entry(&self.stages.prefilter, reader)?
            else {
                break;
            };
            match framed {
                Framed::Oversize { .. } => {
                    self.totals.oversize();
                    self.assembler.skip();
                    self.note_call(self.emitted, None);
                }
                Framed::Malformed { line } => self.totals.malformed(self.first_line + line),
                Framed::Entry { bytes, line, json } => {
                    let wanted = validate || candidate || self.assembler.may_continue(bytes);
                    if !wanted {
                        self.totals.ok();
                        self.assembler.skip();
                        self.note_call(self.emitted, None);
                        if !self.assembler.holds_ready() {
                            continue;
                        }
                    } else {
                        self.entry(bytes, self.first_line + line, json, candidate);
                        if self.assembler.wants_lookback() {
                            self.look_back(reader, self.first_line + line);
                        }
                    }
                }
            }
            if !self.emit_found(emit)? {
                return Ok(false);
            }
        }
        self.totals.lines = reader.lines();
        self.emit_found(emit)
    }

    /// Notes a call into the assembler in the window, if one is kept and not yet full;
    /// `events`, the events emitted before it.
    #[inline]
    fn note_call(&mut self, events: usize, stream: Option<u64>) {
        let Some(window) = self.window.as_mut().filter(|w| !w.is_full()) else {
            return;
        };
        // The call let nothing go when nothing was found since the events emitted.
        let quiet = self.found.is_empty() && !self.assembler.holds_ready();
        let (tick, wholes) = (self.assembler.tick(), self.assembler.wholes_waiting());
        window.note(tick, events, quiet, stream, wholes);
    }

    /// Offers the place at `offset` to `quieting` when the assembler holds nothing there (or
    /// only whole tracebacks waiting for a header); `true` to stop.
    fn at_quiet(&self, offset: u64, quieting: &mut Quieting<'_>) -> bool {
        let waiting = || Waiting::of(self.assembler.waiting_lines()?, self.first_line);
        quieting.at_quiet(offset, &self.totals, self.emitted, waiting)
    }

    /// Emits the events found, and those the assembler let go since (which a skipped entry
    /// leaves it holding: they go out now, in the order they would with the next push, so
    /// that no entry is parsed only to let them go, and a scan's end holds none).
    #[inline]
    fn emit_found(&mut self, emit: &mut dyn FnMut(Event) -> Result<bool>) -> Result<bool> {
        if self.found.is_empty() && !self.assembler.holds_ready() {
            return Ok(true);
        }
        self.assembler.take_ready(&mut self.found);
        for mut ev in self.found.drain(..) {
            self.stages.finish_memoized(&mut ev);
            self.emitted += 1;
            if !emit(ev)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Walks back from the entry just pushed, which opened a traceback read newest first,
    /// over the bytes the reader still holds before it (and those kept before the reader).
    fn look_back<R: Read>(&mut self, reader: &Reader<R>, line: u64) {
        let at = self.ahead.entry_at();
        let (earlier, current, from_first_byte) = reader.history(at);
        let history = if !from_first_byte {
            History {
                parts: [&[], earlier, current],
                start: Start::Mid,
            }
        } else {
            // The reader's first byte: what the caller kept before it, if anything.
            History {
                parts: [self.before.bytes, earlier, current],
                start: self.before.start,
            }
        };
        let walked = self.assembler.look_back(history, line, &mut self.scratch);
        if let Some(walked) = walked {
            self.cut |= walked.cut;
            // A walk cut at the first byte reached before it, whatever it looked at.
            let reach = if walked.cut { u64::MAX } else { walked.reach };
            if self.recording && reach > 0 {
                self.lookbacks.push((at, reach));
            }
        }
    }

    /// Parses one wanted entry and feeds it to the assembler.
    fn entry(&mut self, bytes: &[u8], line: u64, json: bool, candidate: bool) {
        let entry = if json {
            Entry::from_json(bytes, line, &mut self.scratch)
        } else {
            Ok(Entry::from_text(String::from_utf8_lossy(bytes), line))
        };
        match entry {
            Ok(entry) => {
                self.totals.ok();
                let found = &mut self.found;
                // A text line's time (from its prefix) orders nothing: text is read as written.
                let timed = json;
                let windowed = self.window.as_ref().is_some_and(|w| !w.is_full());
                let stream = windowed.then(|| entry.stream_key());
                self.assembler
                    .push_entry(&entry, candidate, timed, &mut |ev| found.push(ev));
                if stream.is_some() {
                    self.note_call(self.emitted, stream);
                }
            }
            Err(_) => self.totals.malformed(line),
        }
    }
}

/// Triage of a whole input on this thread.
pub(crate) fn run_sequential<R: Read, S: Sink + ?Sized>(
    stages: &Stages,
    rdr: R,
    sink: &mut S,
) -> Result<Report> {
    let mut report = Report::default();
    let mut go_on = true;
    let mut emit = |ev: Event| -> Result<bool> {
        report.add_later(&ev);
        go_on = go_on && sink.event(&ev).map_err(Error::Output)?;
        Ok(go_on)
    };
    let mut reader = stages.reader(rdr, None);
    let mut core = Core::new(stages, stages.assembler(), 0, Before::START);
    if core.scan(&mut reader, &mut Quieting::Off, &mut emit)? {
        for ev in stages.finish_held(&mut core.assembler) {
            emit(ev)?;
        }
    }
    let events = std::mem::take(&mut report.totals.events);
    report.totals = Totals {
        events,
        ..core.totals
    };
    Ok(report)
}

/// What [`Core::scan`] does at each place where its assembler holds nothing.
pub(crate) enum Quieting<'a> {
    /// Nothing: the sequential path.
    Off,
    /// Records the places within the first `until` bytes, after at most `max_events` events;
    /// with `all`, also those after the malformed lines a report keeps (a partial report's:
    /// its merge checks [`Quiet::splices`]); with `blocks`, also those where whole
    /// tracebacks wait for a header and the first place past `until` (the parallel path's,
    /// which `Converge` meets; a partial report's places must lie within its lead).
    Record {
        until: u64,
        max_events: usize,
        all: bool,
        blocks: bool,
        points: Vec<Quiet>,
    },
    /// Stops at the first place that is in `points`, as `Converge` does, and records the
    /// places before it that are not (a partial report's lead scanned again with the state
    /// carried from the shard before). Never at the lead's start: a scan holds nothing there
    /// only when it is scanned again for a lookback that wanted the input before it.
    Rescan {
        points: &'a [Quiet],
        own: Vec<Quiet>,
        met: Option<usize>,
    },
    /// Stops at the first place that is in `points` (in offset order)...
    Converge(&'a [Quiet]),
    /// ... which was `points[i]`.
    Converged(usize),
}

impl Quieting<'_> {
    /// Whether it looks at places at all (the sequential path does not).
    #[inline]
    fn is_on(&self) -> bool {
        !matches!(self, Quieting::Off | Quieting::Converged(_))
    }

    /// At a place where the assembler holds nothing but the whole tracebacks `waiting()`
    /// (`None` when it holds more): records it, or tells whether to stop. Where the place
    /// lies is asked first, what the assembler holds only then: most of a block's places lie
    /// past those its scan records, and there is a place at each entry of a JSON array.
    fn at_quiet(
        &mut self,
        offset: u64,
        totals: &Totals,
        events: usize,
        waiting: impl FnOnce() -> Option<Waiting>,
    ) -> bool {
        match self {
            Quieting::Off | Quieting::Converged(_) => false,
            Quieting::Record {
                until,
                max_events,
                all,
                blocks,
                points,
            } => {
                // The end of a quiet stretch that starts before `until` counts: a scan that
                // fell quiet within it meets the fresh one there.
                let near =
                    offset < *until || *blocks && points.last().is_some_and(|p| p.offset < *until);
                if !near || events > *max_events {
                    return false;
                }
                let Some(waiting) = waiting() else {
                    return false;
                };
                let point = Quiet {
                    waiting,
                    ..Quiet::at(offset, totals, events)
                };
                if (*all || point.knows_later_lines()) && (*blocks || waiting.is_empty()) {
                    points.push(point);
                }
                false
            }
            Quieting::Rescan { points, own, met } => {
                if met.is_some() || !waiting().is_some_and(|w| w.is_empty()) {
                    return false;
                }
                match points.binary_search_by_key(&offset, |p| p.offset) {
                    Ok(i) if offset > 0 && points.get(i).is_some_and(|p| p.splices(totals)) => {
                        *met = Some(i);
                        true
                    }
                    Ok(_) => false,
                    Err(_) => {
                        own.push(Quiet::at(offset, totals, events));
                        false
                    }
                }
            }
            Quieting::Converge(points) => {
                let Ok(i) = points.binary_search_by_key(&offset, |p| p.offset) else {
                    return false;
                };
                if points.get(i).is_some_and(|p| Some(p.waiting) == waiting()) {
                    *self = Quieting::Converged(i);
                    return true;
                }
                false
            }
        }
    }
}
