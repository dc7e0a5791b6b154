//! Looking back: the newest lines of a split traceback read newest first come before its
//! first frame line in the input, and the prefilter let them go by unparsed (an exception
//! line, a source line and carets carry none of its literals). When a frame line opens a
//! reversed run, the entries before it are walked back in the bytes the reader still holds
//! ([`walk`]), those of its stream parsed, and [`Look`] takes the ones that continue the
//! traceback in time, fed in time order to the same line machine that follows a traceback
//! read forwards.
//!
//! # Bounds
//!
//! At most [`MAX_LOOKBACK`] entries back, starting at most [`LOOKBACK_BYTES`] before the
//! frame line; between two lines taken at most as many entries as a forward traceback waits
//! for its next line ([`MAX_IDLE`], [`MAX_IDLE_COMPLETE`] once it has its exception line).
//! The walk stops at an entry of the stream that is no single line, has no timestamp, is not
//! later than the one after it, or was already used (see `Floors`; a header still waiting
//! for its traceback is taken); a line the machine refuses ends it, except one among frames
//! that starts nothing (another thread's print, passed over as reading forwards).
//!
//! # Where an entry starts, walking back
//!
//! The frame line's entry starts after a `\n` and its indentation (none in NDJSON, the
//! elements' in a pretty-printed array); an earlier entry starts after a `\n` and the same
//! indentation followed by `{`. An entry runs to the `\n` before the next one, without the
//! blanks and the `,` at its end. The parallel path's blocks start at such places, so a walk
//! over a block and the bytes before it frames what a walk over the whole input frames.

use super::reversed::Line;
use super::split::{LOOKBACK_BYTES, MAX_IDLE, MAX_IDLE_COMPLETE, MAX_LOOKBACK};
use crate::time::Instant;
use crate::traceback::{start_at, LineMachine};
use std::borrow::Cow;

/// What lies before the first byte of a stretch of bytes held in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// The input's start: nothing.
    Input,
    /// An entry boundary, with more input before it.
    Boundary,
    /// The middle of an entry, far enough back that no walk gets there.
    Mid,
}

/// The bytes before the entry a lookback starts from, in input order, without gaps: the
/// input kept before the reader's first byte (a merge's), the reader's earlier buffer and
/// its buffer up to the entry; and what lies before the first of them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct History<'a> {
    pub(crate) parts: [&'a [u8]; 3],
    pub(crate) start: Start,
}

/// How far a walk went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Walked {
    /// It got to the first byte held at an entry boundary with input before it, and might
    /// have gone on: the bytes before were needed.
    pub(crate) cut: bool,
    /// Bytes back from the entry to the start of the earliest entry looked at.
    pub(crate) reach: u64,
}

/// What the visitor of a walk says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Next,
    Stop,
}

/// The parts of a [`History`] read as one run of bytes.
struct Rope<'a> {
    parts: [&'a [u8]; 3],
    len: usize,
}

impl<'a> Rope<'a> {
    fn new(parts: [&'a [u8]; 3]) -> Self {
        let len = parts.iter().map(|p| p.len()).sum();
        Rope { parts, len }
    }

    /// The part holding byte `at`, and where in it.
    fn find(&self, mut at: usize) -> Option<(usize, usize)> {
        for (k, part) in self.parts.iter().enumerate() {
            if at < part.len() {
                return Some((k, at));
            }
            at -= part.len();
        }
        None
    }

    fn byte(&self, at: usize) -> Option<u8> {
        let (k, i) = self.find(at)?;
        self.parts.get(k)?.get(i).copied()
    }

    /// The last `\n` before `before`.
    fn last_newline(&self, before: usize) -> Option<usize> {
        let mut end = before.min(self.len);
        let mut start = self.len;
        for part in self.parts.iter().rev() {
            start -= part.len();
            if end > start {
                let upto = (end - start).min(part.len());
                if let Some(i) = memchr::memrchr(b'\n', part.get(..upto).unwrap_or(&[])) {
                    return Some(start + i);
                }
                end = start;
            }
        }
        None
    }

    /// The pieces of the parts that hold bytes `from..to`.
    fn pieces(&self, from: usize, to: usize) -> impl Iterator<Item = &'a [u8]> + '_ {
        let mut start = 0;
        self.parts.iter().filter_map(move |part| {
            let (lo, hi) = (start, start + part.len());
            start = hi;
            let (a, b) = (from.max(lo), to.min(hi));
            (a < b).then(|| part.get(a - lo..b - lo).unwrap_or(&[]))
        })
    }

    /// Bytes `from..to`, borrowed when they lie in one part.
    fn slice(&self, from: usize, to: usize) -> Cow<'a, [u8]> {
        let mut pieces = self.pieces(from, to);
        let first = pieces.next().unwrap_or(&[]);
        match pieces.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut bytes = first.to_vec();
                bytes.extend_from_slice(second);
                pieces.for_each(|p| bytes.extend_from_slice(p));
                Cow::Owned(bytes)
            }
        }
    }

    fn newlines(&self, from: usize, to: usize) -> u64 {
        let count = |p: &[u8]| memchr::memchr_iter(b'\n', p).count() as u64;
        self.pieces(from, to).map(count).sum()
    }
}

/// Walks back over the entries before the one that starts at the end of `history`, nearest
/// first, within the bounds; `visit` gets each one's bytes, how many lines before the entry
/// it starts (counted when asked), and how many entries back it is (1 for the one just
/// before).
pub(crate) fn walk(
    history: History<'_>,
    mut visit: impl FnMut(&[u8], &mut dyn FnMut() -> u64, u64) -> Step,
) -> Walked {
    let rope = Rope::new(history.parts);
    let start = history.start;
    let end = rope.len;
    let mut walked = Walked::default();
    let line_start = match rope.last_newline(end) {
        Some(i) => i + 1,
        None if start != Start::Mid => 0,
        None => return walked,
    };
    let indent = rope.slice(line_start, end);
    if indent.len() > 16 || !indent.iter().all(|b| matches!(b, b' ' | b'\t')) {
        return walked;
    }
    // An entry starts at `at` (its indentation's first byte): after a `\n`, or at a
    // boundary the bytes start at.
    let starts_entry = |at: usize| {
        let opens = indent
            .iter()
            .enumerate()
            .all(|(k, b)| rope.byte(at + k) == Some(*b))
            && rope.byte(at + indent.len()) == Some(b'{');
        let after_newline = match at.checked_sub(1) {
            Some(nl) => rope.byte(nl) == Some(b'\n'),
            None => start != Start::Mid,
        };
        opens && after_newline
    };
    let (mut next, mut count) = (line_start, 0u64);
    // Lines before the entry: counted up to `counted` (back from the end), when needed.
    let (mut lines, mut counted) = (0u64, end);
    // Whether the walk got to the first byte held with nothing found before it.
    let mut at_first_byte = next == 0;
    while next > 0 && count < MAX_LOOKBACK {
        // The `\n` before `next` ends the entry sought; look for its start before that.
        let mut search = next - 1;
        let found = loop {
            if end - search > LOOKBACK_BYTES {
                break None;
            }
            match rope.last_newline(search) {
                Some(nl) if starts_entry(nl + 1) => break Some(nl + 1),
                Some(nl) => search = nl,
                None if starts_entry(0) => break Some(0),
                None => {
                    at_first_byte = true;
                    break None;
                }
            }
        };
        let Some(at) = found.filter(|&at| end - at <= LOOKBACK_BYTES) else {
            break;
        };
        count += 1;
        let region = rope.slice(at, next);
        let entry = region
            .get(indent.len()..region.len().saturating_sub(1))
            .unwrap_or(&[]);
        walked.reach = (end - at) as u64;
        let mut lines_back = || {
            lines += rope.newlines(at, counted);
            counted = at;
            lines
        };
        if visit(trim_end(entry), &mut lines_back, count) == Step::Stop {
            return walked;
        }
        next = at;
        at_first_byte = next == 0;
    }
    // The input before the first byte held could have had more entries within the bounds.
    walked.cut =
        at_first_byte && start == Start::Boundary && end < LOOKBACK_BYTES && count < MAX_LOOKBACK;
    walked
}

/// `bytes` without the JSON blanks and the one `,` (an array's separator) at its end.
fn trim_end(bytes: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let end = bytes.iter().rposition(|b| !blank(b)).map_or(0, |i| i + 1);
    let bytes = bytes.get(..end).unwrap_or(&[]);
    let bytes = bytes.strip_suffix(b",").unwrap_or(bytes);
    let end = bytes.iter().rposition(|b| !blank(b)).map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or(&[])
}

/// A lookback in progress: the lines of one stream taken so far after the frame line that
/// opened a reversed run, in time order.
#[derive(Debug)]
pub(super) struct Look {
    pub(super) stream: u64,
    /// The frame line's time and tick.
    time: Instant,
    tick: u64,
    machine: LineMachine,
    /// Lines of one timestamp met last, nearest first (their time order is the input's, the
    /// reverse), with how many entries back each is.
    block: Vec<(Line, u64)>,
    block_time: Option<Instant>,
    taken: Vec<Line>,
    /// Entries back of the last line taken (0: the frame line).
    last: u64,
    stopped: bool,
}

impl Look {
    /// A lookback from a line of `time` at `tick`, after which `machine` stands.
    pub(super) fn new(stream: u64, time: Instant, tick: u64, machine: LineMachine) -> Self {
        Look {
            stream,
            time,
            tick,
            machine,
            block: Vec::new(),
            block_time: None,
            taken: Vec::new(),
            last: 0,
            stopped: false,
        }
    }

    /// The tick an entry `back` entries before the frame line had.
    pub(super) fn tick_of(&self, back: u64) -> u64 {
        self.tick.saturating_sub(back)
    }

    /// An entry of another stream, `back` entries before the frame line: once the
    /// traceback has its exception line and as many entries as a forward one waits for went
    /// by since the last line of the stream, no later line can continue it.
    pub(super) fn other(&mut self, back: u64) -> Step {
        let latest = self.block.last().map_or(self.last, |(_, b)| *b);
        if back.saturating_sub(latest) <= MAX_IDLE_COMPLETE {
            return Step::Next;
        }
        // Whether the lines so far, the block met last with them, end in an exception line.
        let mut machine = self.machine.clone();
        let complete = self.block.iter().rev().all(|(line, _)| {
            let text = line.entry.message().unwrap_or("");
            machine.feed(text.trim_end_matches(['\n', '\r']))
        }) && machine.complete();
        if complete {
            self.flush();
            self.stopped = true;
            return Step::Stop;
        }
        Step::Next
    }

    /// Offers an entry of the stream, `back` entries before the frame line; `line` makes it
    /// a line when it is one (single-line, with a timestamp), `None` otherwise.
    pub(super) fn offer(&mut self, line: Option<Line>, back: u64) -> Step {
        if self.stopped {
            return Step::Stop;
        }
        let Some(line) = line.filter(|l| l.time > self.time) else {
            self.flush();
            return Step::Stop;
        };
        match self.block_time {
            Some(t) if line.time < t => {
                self.flush();
                Step::Stop
            }
            Some(t) if line.time == t => {
                self.block.push((line, back));
                Step::Next
            }
            _ => {
                if !self.flush() {
                    return Step::Stop;
                }
                self.block_time = Some(line.time);
                self.block.push((line, back));
                Step::Next
            }
        }
    }

    /// Feeds the block met last to the machine, in time order; `false` once the traceback
    /// ended.
    fn flush(&mut self) -> bool {
        for (line, back) in std::mem::take(&mut self.block).into_iter().rev() {
            if self.stopped {
                break;
            }
            let limit = if self.machine.complete() {
                MAX_IDLE_COMPLETE
            } else {
                MAX_IDLE
            };
            if back.abs_diff(self.last) > limit {
                self.stopped = true;
                break;
            }
            let text = line.entry.message().unwrap_or("");
            let text = text.trim_end_matches(['\n', '\r']);
            if self.machine.feed(text) {
                self.last = back;
                self.taken.push(line);
            } else if self.machine.complete() || start_at(text).is_some() {
                self.stopped = true;
            }
            // Otherwise a stray line among the frames: passed over.
        }
        !self.stopped
    }

    /// The lines taken, in time order.
    pub(super) fn finish(mut self) -> Vec<Line> {
        self.flush();
        self.taken
    }
}

#[cfg(test)]
#[path = "lookback_tests.rs"]
mod tests;
