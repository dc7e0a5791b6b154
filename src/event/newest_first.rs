//! Reading a stream newest first: the [`Assembler`] opens a reversed run at a frame line of
//! a stream with no open traceback, asks for a lookback for the lines after it in time
//! (which the caller walks, [`Assembler::look_back`]), offers the run each later entry of
//! its stream, and when the run ends replays its lines, in time order, through the forward
//! assembly (the `forward` module). The replay flushes what reading forwards would have
//! flushed: the gaps between lines (in entries) are the same in both orders.

use super::assemble::{holds, out_some, Assembler};
use super::lookback::{walk, History, Look, Step, Walked};
use super::model::{Event, EventKind};
use super::reversed::{Line, Offer, Replay, Reversed};
use super::single::whole_traceback;
use super::split::{needle_of, Gap, Pending, MAX_LINES, MAX_PENDING_IDLE};
use crate::entry::{Entry, Severity};
use crate::time::{self, Instant};
use crate::traceback::{self, start_at, LineMachine};

impl Assembler {
    /// Asks for the gap check when `entry`, at `time`, may be a header read after whole
    /// traceback `i`; `true` when it waits for it.
    pub(super) fn gap_to(
        &mut self,
        i: usize,
        entry: &Entry<'_>,
        time: Option<Instant>,
        candidate: bool,
        line: &str,
    ) -> bool {
        let Some(whole) = self.wholes.get(i) else {
            return false;
        };
        let Some(time) = time.filter(|t| whole.last_time.is_some_and(|w| *t < w)) else {
            return false;
        };
        if self.late_of(whole, entry, time, line).is_none() {
            return false;
        }
        self.gap = Some(Gap {
            stream: whole.stream,
            needle: whole.needle.clone(),
            until: whole.event.line,
            entry: entry.to_owned_entry(),
            time,
            candidate,
        });
        true
    }

    /// Ends the gap check: with nothing of the stream `between`, the header waits beside its
    /// traceback (for the lines before it, see `Probe`); else the traceback goes out and
    /// the header line is an entry of its own. Events go to `ready`.
    #[inline]
    pub(super) fn end_gap(&mut self, between: bool) {
        // Every push and skip asks: keep the usual answer inlined (a test of the tag, not a
        // move of the gap).
        if self.gap.is_some() {
            self.end_gap_held(between);
        }
    }

    #[inline(never)]
    fn end_gap_held(&mut self, between: bool) {
        let Some(gap) = self.gap.take() else {
            return;
        };
        let mut events = Vec::new();
        if let Some(i) = self.wholes.iter().position(|w| w.stream == gap.stream) {
            let mut whole = self.wholes.remove(i);
            let line = gap
                .entry
                .message()
                .unwrap_or("")
                .trim_end_matches(['\n', '\r']);
            let late = (!between)
                .then(|| self.late_of(&whole, &gap.entry, gap.time, line))
                .flatten();
            if let Some(late) = late {
                whole.late = Some(late);
                whole.last = self.tick;
                self.floors.set(gap.stream, gap.entry.line);
                self.make_room(&mut |e| events.push(e));
                self.open.push(whole);
                self.ready.append(&mut events);
                return;
            }
            events.extend(whole.into_event());
        }
        self.process(
            &gap.entry,
            gap.stream,
            Some(gap.time),
            gap.candidate,
            &mut |e| events.push(e),
        );
        self.ready.append(&mut events);
    }

    /// Offers `entry` to its stream's reversed run; `true` when taken. A run that ends
    /// before it is replayed first.
    pub(super) fn offer_reversed(
        &mut self,
        entry: &Entry<'_>,
        stream: u64,
        time: Option<Instant>,
        candidate: bool,
        out: &mut dyn FnMut(Event),
    ) -> bool {
        // A line the run let go may open another, which this line is offered to in turn.
        while let Some(i) = self.reversed.iter().position(|r| r.stream == stream) {
            let Some(t) = time else {
                self.close_reversed(i, out);
                return false;
            };
            let line = self.line_of(entry, t, self.tick, candidate);
            match self.reversed.get_mut(i).map(|r| r.offer(line)) {
                Some(Offer::Taken { passed }) => {
                    self.pass(stream, passed, out);
                    return true;
                }
                Some(Offer::Ends { released }) => {
                    self.close_reversed(i, out);
                    let opened = self.release(stream, released, out);
                    if !opened {
                        return false;
                    }
                }
                None => return false,
            }
        }
        false
    }

    /// Opens a reversed run at `entry`, a frame line, and asks for a lookback.
    pub(super) fn open_reversed(
        &mut self,
        entry: &Entry<'_>,
        stream: u64,
        time: Instant,
        candidate: bool,
        line: &str,
        out: &mut dyn FnMut(Event),
    ) {
        self.make_room(out);
        let first = self.line_of(entry, time, self.tick, candidate);
        // The machine after this line: behind a header, or after a SyntaxError's location.
        let machine = LineMachine::start(line).or_else(|| {
            let mut m = LineMachine::start("Traceback (most recent call last):")?;
            m.feed(line);
            Some(m)
        });
        if let Some(machine) = machine {
            self.look = Some((Look::new(stream, time, self.tick, machine), first));
        }
    }

    /// Ends reversed run `i`: replays its lines in time order, then handles the lines it
    /// held but did not take.
    pub(super) fn close_reversed(&mut self, i: usize, out: &mut dyn FnMut(Event)) {
        let run = self.reversed.remove(i);
        let stream = run.stream;
        let (replay, released) = run.into_replay();
        if let Some(last) = replay.lines.iter().map(|l| l.entry.line).max() {
            self.floors.set(stream, last);
        }
        self.replay(stream, replay, out);
        self.release(stream, released, out);
    }

    fn replay(&mut self, stream: u64, replay: Replay, out: &mut dyn FnMut(Event)) {
        let was = std::mem::replace(&mut self.replaying, true);
        let Replay {
            lines,
            omit_at,
            omitted,
            omitted_ids,
            omitted_level,
        } = replay;
        // Each line at the tick it came at: a traceback or header the replay leaves started
        // when its line came, for the waits of headers read after it.
        let now = self.tick;
        let mut previous: Option<u64> = None;
        for (k, line) in lines.into_iter().enumerate() {
            if omitted > 0 && k == omit_at {
                // The lines left out went by here, each within its wait.
                self.left_out(stream, omitted, &omitted_ids, omitted_level);
            } else if let Some(p) = previous {
                self.expire_stream(stream, p.abs_diff(line.tick), out);
            }
            previous = Some(line.tick);
            self.tick = line.tick;
            self.process(&line.entry, stream, Some(line.time), line.candidate, out);
        }
        self.tick = now;
        // What the replay leaves open waits from now for what is read next.
        for open in self.open.iter_mut().filter(|o| o.stream == stream) {
            open.last = now;
        }
        self.replaying = was;
    }

    /// Flushes what `stream` holds that reading forwards would have flushed, `gap` entries
    /// after its last line.
    fn expire_stream(&mut self, stream: u64, gap: u64, out: &mut dyn FnMut(Event)) {
        let idle = |o: &super::split::Open| o.stream == stream && gap > o.idle_limit();
        if let Some(i) = self.open.iter().position(idle) {
            let done = self.open.remove(i);
            out_some(done.into_event(), out);
        }
        if gap > MAX_PENDING_IDLE {
            while let Some(j) = self.pending.iter().position(|p| p.stream == stream) {
                let p = self.pending.remove(j);
                self.emit_pending(p, out);
            }
        }
    }

    /// Counts the lines a runaway reversed run left out into its stream's open traceback, as
    /// if they had gone by: the `...<N lines>...` line, the first insertIds, the level.
    fn left_out(&mut self, stream: u64, omitted: u64, ids: &[String], level: Severity) {
        if let Some(open) = self.open.iter_mut().find(|o| o.stream == stream) {
            open.omitted += omitted;
            for id in ids {
                if open.event.insert_ids.len() < MAX_LINES {
                    open.event.insert_ids.push(id.clone());
                }
            }
            open.event.severity = open.event.severity.max(level);
        }
    }

    /// Lines a run held but did not take: entries of their own, in input order. A run one
    /// of them opens looks back among the ones before it (the entries before those were
    /// the ended run's).
    /// Returns whether one of them opened a run.
    fn release(&mut self, stream: u64, lines: Vec<Line>, out: &mut dyn FnMut(Event)) -> bool {
        let runs = self.reversed.len();
        let now = self.tick;
        for (k, line) in lines.iter().enumerate() {
            // At the tick each came at, as the replay's lines.
            let was = std::mem::replace(&mut self.releasing, true);
            self.tick = line.tick;
            self.process(&line.entry, stream, Some(line.time), line.candidate, out);
            self.tick = now;
            self.releasing = was;
            for open in self.open.iter_mut().filter(|o| o.stream == stream) {
                open.last = now;
            }
            if self.look.is_some() {
                for earlier in lines.get(..k).unwrap_or(&[]).iter().rev() {
                    let back = line.tick.saturating_sub(earlier.tick);
                    if self.look_at(&earlier.entry, back) == Step::Stop {
                        break;
                    }
                }
                self.end_look();
            }
        }
        self.reversed.len() > runs
    }

    /// Lines a run passed over among its frames: entries of their own, which it does not
    /// see again.
    fn pass(&mut self, stream: u64, lines: Vec<Line>, out: &mut dyn FnMut(Event)) {
        let was = std::mem::replace(&mut self.replaying, true);
        for line in lines {
            self.process(&line.entry, stream, Some(line.time), line.candidate, out);
        }
        self.replaying = was;
    }

    /// `entry` as a line of a reversed run, at `time` and `tick`; `candidate` when the
    /// prefilter picked it (a line looked back for was not pushed: it was no candidate, or
    /// made nothing that used it).
    fn line_of(&self, entry: &Entry<'_>, time: Instant, tick: u64, candidate: bool) -> Line {
        // As reading forwards: a single line of `textPayload` at an error level that starts
        // no traceback waits as a header.
        let message = entry.message().unwrap_or("").trim_end_matches(['\n', '\r']);
        let single = !message.contains('\n') && start_at(message).is_none();
        let header = single
            && entry.text_payload.is_some()
            && self
                .other_event(entry, candidate)
                .is_some_and(|e| e.kind == EventKind::Severity);
        // As reading forwards, a line held with a waiting header (see `forward`).
        let holdable = single
            && !header
            && entry.effective_severity() == Severity::Default
            && !traceback::is_exception_line(message)
            && self.other_event(entry, true).is_none();
        Line {
            entry: entry.to_owned_entry(),
            time,
            tick,
            header,
            candidate,
            holdable,
        }
    }

    /// Ends the lookback the last push asked for (walked or not): the reversed run starts
    /// with what it took. Headers it took wait no more.
    #[inline]
    pub(super) fn end_look(&mut self) {
        // Every push and skip asks: keep the usual answer inlined (a test of the tag, not a
        // move of the lookback).
        if self.look.is_some() {
            self.end_look_held();
        }
    }

    #[inline(never)]
    fn end_look_held(&mut self) {
        let Some((look, first)) = self.look.take() else {
            return;
        };
        let stream = look.stream;
        let taken = look.finish();
        self.pending
            .retain(|p| p.stream != stream || !taken.iter().any(|l| l.entry.line == p.event.line));
        // Headers held for a lookback that did not take them: none will (the run's lines are
        // in the way of the next).
        let later = |p: &Pending| p.stream == stream && p.time.is_some_and(|t| t > first.time);
        while let Some(j) = self.pending.iter().position(later) {
            let p = self.pending.remove(j);
            self.floors.set(p.stream, p.event.line);
            self.ready.push(p.event);
        }
        let needle = needle_of(&first.entry);
        self.reversed
            .push(Reversed::new(stream, needle, first, taken));
    }

    /// Walks back over `history` for the lookback the last push asked for, if it asked;
    /// `line` is the input line of the entry pushed.
    pub(crate) fn look_back(
        &mut self,
        history: History<'_>,
        line: u64,
        scratch: &mut String,
    ) -> Option<Walked> {
        self.quiet_until = 0;
        if self.database.wants_walk() {
            let tick = self.tick;
            let mut ready = Vec::new();
            let database = &mut self.database;
            let walked = walk(history, |bytes, lines_back, back| {
                match Entry::from_json(bytes, line.saturating_sub(lines_back()), &mut *scratch) {
                    Ok(entry) => database.walk_over(&entry, back, tick, &mut |e| ready.push(e)),
                    Err(_) => Step::Next,
                }
            });
            self.database.forget_walk();
            self.ready.append(&mut ready);
            return Some(walked);
        }
        if let Some(gap) = &self.gap {
            let (needle, until, stream) = (gap.needle.clone(), gap.until, gap.stream);
            // Unless the walk gets to the whole traceback, something may lie between.
            let mut between = true;
            let walked = walk(history, |bytes, lines_back, _| {
                let at = line.saturating_sub(lines_back());
                if at <= until {
                    between = false;
                    return Step::Stop;
                }
                if !holds(&needle, bytes) {
                    return Step::Next;
                }
                match Entry::from_json(bytes, at, &mut *scratch) {
                    Ok(entry) if entry.stream_key() == stream => Step::Stop,
                    _ => Step::Next,
                }
            });
            self.end_gap(between);
            return Some(walked);
        }
        let needle = match &self.look {
            Some((_, first)) => needle_of(&first.entry),
            None => return None,
        };
        let walked = walk(history, |bytes, lines_back, back| {
            if !holds(&needle, bytes) {
                return self.look_past(back);
            }
            match Entry::from_json(bytes, line.saturating_sub(lines_back()), &mut *scratch) {
                Ok(entry) => self.look_at(&entry, back),
                Err(_) => Step::Next,
            }
        });
        self.end_look();
        Some(walked)
    }

    /// Whether a lookback is asked for.
    pub(crate) fn wants_lookback(&self) -> bool {
        self.look.is_some() || self.gap.is_some() || self.database.wants_walk()
    }

    /// An entry of another stream met looking back.
    fn look_past(&mut self, back: u64) -> Step {
        match self.look.as_mut() {
            Some((look, _)) => look.other(back),
            None => Step::Stop,
        }
    }

    /// One entry met looking back, `back` entries before the frame line.
    fn look_at(&mut self, entry: &Entry<'_>, back: u64) -> Step {
        let Some((look, _)) = &self.look else {
            return Step::Stop;
        };
        let stream = look.stream;
        if entry.stream_key() != stream {
            return self.look_past(back);
        }
        let tick = look.tick_of(back);
        // A header still waiting is taken; any other entry of the stream already used ends
        // the walk.
        let held = self
            .pending
            .iter()
            .any(|p| p.stream == stream && p.event.line == entry.line);
        let used = !held && self.floors.of(stream).is_some_and(|f| entry.line <= f);
        let message = entry.message().unwrap_or("").trim_end_matches(['\n', '\r']);
        let single = !used && !message.contains('\n') && whole_traceback(entry).is_none();
        let time = entry.timestamp.as_deref().and_then(time::parse);
        let line = time
            .filter(|_| single)
            .map(|t| self.line_of(entry, t, tick, false));
        match self.look.as_mut() {
            Some((look, _)) => look.offer(line, back),
            None => Step::Stop,
        }
    }
}
