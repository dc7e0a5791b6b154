//! Reading a stream oldest first: a traceback whole in one entry, a split traceback
//! followed line by line with its stream's [`LineMachine`], a header line waiting for the
//! traceback in its stream's next line, and the events of single entries. These methods of
//! the [`Assembler`] are also what a traceback read newest first is replayed through, once
//! its lines are back in time order.
//!
//! A line earlier in time than an open traceback's latest line does not continue it (the
//! stream is read newest first there): it is the traceback's header, read after it, when a
//! pending header would have joined it reading forwards; otherwise the traceback is over.
//!
//! The layouts of pasted and viewed logs (issue 21) are recognized here, reading forwards:
//! a split traceback may start at a frame that lost its header (`split_start`), tentative
//! until its shape is whole; Sentry's exception line printed before the frames (`Before`);
//! lines that go on with a waiting header's message (`Pending::held`).

use super::assemble::{out_some, Assembler};
use super::db_held::Took;
use super::model::{Event, EventKind};
use super::reversed::{is_frame, may_end_traceback, Probe, Verdict};
use super::single::{event_of, join, whole_traceback};
use super::split::{
    bounded, confirm_prefix, needle_of, Before, Late, Open, Pending, MAX_HELD, MAX_LINES,
    MAX_PENDING_IDLE, MAX_STREAMS,
};
use crate::entry::{Entry, Severity};
use crate::text::continues_record;
use crate::time::Instant;
use crate::traceback::{self, split_start, start_at, strip_shaped, LineMachine};

impl Assembler {
    /// One entry of `stream` at `time`; `candidate` says whether the prefilter picked it
    /// (see `Assembler::push_entry`).
    pub(super) fn process(
        &mut self,
        entry: &Entry<'_>,
        stream: u64,
        time: Option<Instant>,
        candidate: bool,
        out: &mut dyn FnMut(Event),
    ) {
        if let Some(text) = whole_traceback(entry) {
            self.end_stream(stream, out);
            let pending = self.take_pending_before(stream, time, out);
            let has_header = pending.is_some();
            let mut event = match pending {
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
            self.floors.set(stream, entry.line);
            if has_header || time.is_none() || self.replaying {
                if !event.text.is_empty() {
                    event.text.push('\n');
                }
                event.text.push_str(&bounded(text.trim_end()));
                event.traceback = traceback::parse(&event.text);
                out(event);
                return;
            }
            // Read newest first, its header line comes after it: it waits as a traceback
            // that no line continues, without making its stream's entries parsed (a header
            // is a candidate; see `newest_first` for the entries between).
            if self.wholes.len() >= MAX_STREAMS {
                let oldest = self.wholes.remove(0);
                out_some(oldest.into_event(), out);
            }
            self.wholes.push(Open {
                stream,
                needle: needle_of(entry),
                prefix: String::new(),
                prefix_known: true,
                machine: LineMachine::default(),
                event,
                head: format!("{}\n", bounded(text.trim_end())),
                head_lines: 0,
                tail: std::collections::VecDeque::new(),
                omitted: 0,
                last: self.tick,
                first_time: time,
                last_time: time,
                started: self.tick,
                start_prefix: String::new(),
                has_header: false,
                headerless: false,
                whole: true,
                late: None,
            });
            return;
        }
        let message = entry.message().unwrap_or("").trim_end_matches(['\n', '\r']);
        if message.contains('\n') {
            self.end_stream(stream, out);
            if let Some(p) = self.take_pending_before(stream, time, out) {
                self.emit_pending(p, out);
            }
        } else if self.push_line(entry, stream, time, candidate, message, out) {
            return;
        }
        // Only the entry just pushed may walk back over the entries before it.
        let walkable = time.is_some() && !self.replaying && !self.releasing;
        match self.database.push(entry, self.tick, walkable, out) {
            Took::Yes => return,
            Took::Tail => {
                let fallback = self.other_event(entry, candidate);
                self.database.hold_tail(entry, fallback, self.tick, out);
                return;
            }
            Took::No => {}
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
                needle: needle_of(entry),
                tail: may_end_traceback(message),
                event,
                tick: self.tick,
                time,
                held: Vec::new(),
            });
        } else {
            self.floors.set(stream, entry.line);
            out(event);
        }
    }

    /// Handles one single-line entry against its stream's state; `true` when the line was
    /// taken into a traceback.
    fn push_line(
        &mut self,
        entry: &Entry<'_>,
        stream: u64,
        time: Option<Instant>,
        candidate: bool,
        line: &str,
        out: &mut dyn FnMut(Event),
    ) -> bool {
        if !self.replaying && self.offer_reversed(entry, stream, time, candidate, out) {
            return true;
        }
        if let Some(i) = self.wholes.iter().position(|o| o.stream == stream) {
            if self.gap_to(i, entry, time, candidate, line) {
                return true;
            }
            let done = self.wholes.remove(i);
            out_some(done.into_event(), out);
        }
        if let Some(t) = time {
            // A line earlier than an open traceback's latest: read newest first here. It is
            // the traceback's header, or the traceback is over.
            let back = self
                .open
                .iter()
                .position(|o| o.stream == stream && o.last_time.is_some_and(|last| t < last));
            if let Some(i) = back {
                let tick = self.tick;
                let verdict = self.open[i].late.as_mut().map(|l| match l.time {
                    // Of the header's timestamp, after it in the input: after it in time,
                    // between it and the traceback, which it does not start then.
                    Some(header) if t >= header => Verdict::Tail,
                    _ => l.probe.before(line, tick),
                });
                match verdict {
                    // The line goes its own way; the traceback waits on.
                    Some(Verdict::Wait) => self.open[i].last = self.tick,
                    Some(Verdict::Tail) => {
                        // The header read late is the exception or message line of a
                        // traceback before, which a lookback from that one's frames takes,
                        // or a header of what follows it: it waits as one.
                        let mut done = self.open.remove(i);
                        let late = done.late.take();
                        out_some(done.into_event(), out);
                        if let Some(late) = late {
                            self.make_room(out);
                            self.pending.push(Pending {
                                stream,
                                needle: needle_of(entry),
                                tail: true,
                                event: late.event,
                                tick: late.tick,
                                time: late.time,
                                held: Vec::new(),
                            });
                        }
                    }
                    Some(Verdict::Header) => {
                        let done = self.open.remove(i);
                        out_some(done.into_event(), out);
                    }
                    None if self.late_header(i, entry, t, line) => return true,
                    None => {
                        let done = self.open.remove(i);
                        out_some(done.into_event(), out);
                    }
                }
            }
        }
        // A traceback whole in one entry waits only for a header read after it.
        let later = |o: &Open| time.is_none_or(|t| o.last_time.is_none_or(|last| t >= last));
        if let Some(i) = self
            .open
            .iter()
            .position(|o| o.stream == stream && o.whole && later(o))
        {
            let done = self.open.remove(i);
            out_some(done.into_event(), out);
        }
        let found = self.open.iter().position(|o| {
            o.stream == stream
                && o.late.is_none()
                && (!o.prefix_known || strip_shaped(&o.prefix, line).is_some())
        });
        if let Some(i) = found {
            if self.continue_open(i, entry, line, time) {
                self.floors.set(stream, entry.line);
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
        if !self.replaying && is_frame(line) {
            if let Some(t) = time {
                self.open_reversed(entry, stream, t, candidate, line, out);
                return true;
            }
        }
        let pending = self.take_pending_before(stream, time, out);
        let tick = self.tick;
        let before = self
            .before
            .take()
            .filter(|b| b.stream == stream && b.tick + 1 == tick);
        let start = split_start(line, before.as_ref().map(|b| b.event.text.as_str()));
        let Some(start) = start else {
            if let Some(mut p) = pending {
                // A line that goes on with the header's message (no prefix, level or
                // timestamp of its own, and no event by itself) is held with it.
                if p.held.len() < MAX_HELD
                    && entry.effective_severity() == Severity::Default
                    && continues_record(&p.event.text, line)
                    && !traceback::is_exception_line(line)
                    && self.other_event(entry, true).is_none()
                {
                    p.held.push(line.to_string());
                    self.floors.set(stream, entry.line);
                    self.pending.push(p);
                    return true;
                }
                self.emit_pending(p, out);
            }
            return false;
        };
        let (prefix, rest) = line.split_at(start.at);
        let headerless = start.machine.tentative();
        // A header joins only when it carries the traceback's prefix (the same compose
        // service); its text loses the prefix as the traceback lines do. A traceback that
        // lost its header joins none: if its shape fails, it is no event, and the header
        // must not be lost with it.
        let header = match pending {
            Some(p) => match strip_shaped(prefix, &p.event.text) {
                Some(own) if !headerless => {
                    let mut own = own.to_string();
                    for line in &p.held {
                        own.push('\n');
                        own.push_str(line);
                    }
                    Some((p, own))
                }
                _ => {
                    self.emit_pending(p, out);
                    None
                }
            },
            None => None,
        };
        let has_header = header.is_some();
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
        self.floors.set(stream, entry.line);
        self.open.push(Open {
            stream,
            needle: needle_of(entry),
            prefix: prefix.to_string(),
            prefix_known: prefix.is_empty(),
            machine: start.machine,
            event,
            head,
            head_lines,
            tail: std::collections::VecDeque::new(),
            omitted: 0,
            last: self.tick,
            first_time: time,
            last_time: time,
            started: self.tick,
            start_prefix: prefix.to_string(),
            has_header,
            headerless,
            whole: false,
            late: None,
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

    /// A header read after the traceback it starts (newest first): waits beside open
    /// traceback `i` for the line before it, then joins it as a pending header would have
    /// joined it read forwards (unless that line is a frame).
    fn late_header(&mut self, i: usize, entry: &Entry<'_>, time: Instant, line: &str) -> bool {
        let Some(late) = self
            .open
            .get(i)
            .and_then(|o| self.late_of(o, entry, time, line))
        else {
            return false;
        };
        if let Some(open) = self.open.get_mut(i) {
            open.late = Some(late);
        }
        self.floors.set(entry.stream_key(), entry.line);
        true
    }

    /// `entry` (`line`, at `time`) as a header read after `open`, if it fits as one.
    pub(super) fn late_of(
        &self,
        open: &Open,
        entry: &Entry<'_>,
        time: Instant,
        line: &str,
    ) -> Option<Late> {
        let fits = !self.releasing
            && !open.has_header
            && !open.headerless
            && open.late.is_none()
            && start_at(line).is_none()
            && open.first_time.is_some_and(|first| time < first)
            && self.tick.saturating_sub(open.started) <= MAX_PENDING_IDLE
            && entry.text_payload.is_some();
        if !fits {
            return None;
        }
        let header = self
            .other_event(entry, true)
            .filter(|e| e.kind == EventKind::Severity)?;
        let own = strip_shaped(&open.start_prefix, line)?.to_string();
        Some(Late {
            event: header,
            own,
            time: Some(time),
            tick: self.tick,
            probe: Probe::new(line, self.tick),
        })
    }

    /// Offers `line` to the open traceback `i`; `true` when it continued it.
    fn continue_open(
        &mut self,
        i: usize,
        entry: &Entry<'_>,
        line: &str,
        time: Option<Instant>,
    ) -> bool {
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
        if time.is_some() {
            // Its start's timestamp shared: read newest first, the start's block of lines
            // ends here, and a header read after it is this far from it.
            if time == open.first_time {
                open.started = self.tick;
            }
            open.last_time = time;
        }
        if open.event.insert_ids.len() < MAX_LINES {
            open.event
                .insert_ids
                .extend(entry.insert_id.iter().map(|s| s.to_string()));
        }
        open.event.severity = open.event.severity.max(entry.level());
        true
    }

    /// The latest pending header of `stream` that is not later than `time` (the one a start
    /// line at `time` may join); other such headers go out. Later ones stay: read newest
    /// first, they may be lines of a traceback before, which a lookback takes.
    pub(super) fn take_pending_before(
        &mut self,
        stream: u64,
        time: Option<Instant>,
        out: &mut dyn FnMut(Event),
    ) -> Option<Pending> {
        let before = |p: &Pending| {
            p.stream == stream
                && match (p.time, time) {
                    (Some(p), Some(t)) => p <= t,
                    _ => true,
                }
        };
        let i = self.pending.iter().rposition(before)?;
        let latest = self.pending.remove(i);
        while let Some(j) = self.pending.iter().position(before) {
            let p = self.pending.remove(j);
            self.emit_pending(p, out);
        }
        // Kept longer for a lookback, it is no header any more past a header's wait.
        if self.tick.saturating_sub(latest.tick) > MAX_PENDING_IDLE {
            self.emit_pending(latest, out);
            return None;
        }
        Some(latest)
    }

    pub(super) fn emit_pending(&mut self, p: Pending, out: &mut dyn FnMut(Event)) {
        self.floors.set(p.stream, p.event.line);
        out(p.event);
    }

    /// The event of an entry that holds no traceback; a failed request or a platform
    /// message only at a `candidate`.
    pub(super) fn other_event(&self, entry: &Entry<'_>, candidate: bool) -> Option<Event> {
        event_of(entry, candidate, self.slow_ms, &self.platform)
    }
}
