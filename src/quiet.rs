//! Quiet places: where a scan with a fresh assembler held nothing. A scan of the same bytes
//! with state carried from before that holds nothing at the same place goes on from there
//! exactly as the fresh one did, so the fresh result is right from there on. The parallel
//! path meets its blocks this way, and a partial report the shard after it.
//!
//! The parallel path also meets a block where both scans hold the same whole tracebacks
//! waiting for a header read after them, and nothing else ([`Waiting`]): each is fixed by its
//! entry, and every whole traceback with a timestamp waits for a while, so a block that
//! holds one somewhere in every stretch would otherwise be scanned again to its end.

use crate::event::MAX_PENDING_IDLE;
use crate::report::{Totals, MALFORMED_LINES_KEPT};

/// A place in a block where its scan with a fresh assembler held nothing, with the counts
/// there. A scan of the block with a carried assembler that holds nothing at the same place
/// goes on exactly as the fresh one did, so it stops there and takes the rest of the fresh
/// result: 11% of the blocks of a corpus with 2% failures start inside a split traceback,
/// and scanning them whole again cost 13% of a two-thread run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Quiet {
    /// Bytes of the block consumed.
    pub(crate) offset: u64,
    /// Entries counted before it, and of them how many were ok, malformed and oversize.
    /// When fewer than [`MALFORMED_LINES_KEPT`] were malformed, the lines of those after it
    /// are known from the scan's totals; else only a scan that kept as many before it may
    /// take the rest from here ([`Quiet::splices`]).
    pub(crate) entries: u64,
    pub(crate) ok: u64,
    pub(crate) malformed: u64,
    pub(crate) oversize: u64,
    /// Events the fresh scan had emitted (the parallel path's index into them; a partial
    /// report keeps its events by place instead).
    #[serde(skip)]
    pub(crate) events: usize,
    /// The whole tracebacks the fresh scan held here (the parallel path's only: a partial
    /// report's places hold nothing).
    #[serde(skip)]
    pub(crate) waiting: Waiting,
}

/// The whole tracebacks a scan holds at a place, waiting for a header read after them, by
/// their lines counted from the block's start; at most [`Waiting::MAX`] of them, as the
/// places worth meeting at hold one or two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Waiting {
    lines: [u64; Waiting::MAX],
    len: usize,
}

impl Waiting {
    const MAX: usize = 2;

    /// The tracebacks at `lines` of a scan that numbers them from `first_line + 1`, unless
    /// there are too many. One from before the block is at line 0, where no fresh scan of
    /// the block holds one.
    pub(crate) fn of(lines: impl Iterator<Item = u64>, first_line: u64) -> Option<Waiting> {
        let mut waiting = Waiting::default();
        for line in lines {
            *waiting.lines.get_mut(waiting.len)? = line.saturating_sub(first_line);
            waiting.len += 1;
        }
        Some(waiting)
    }

    /// Whether it holds none.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Quiet {
    /// The place at `offset` with the counts of `totals` there.
    pub(crate) fn at(offset: u64, totals: &Totals, events: usize) -> Quiet {
        Quiet {
            waiting: Waiting::default(),
            offset,
            entries: totals.entries,
            ok: totals.ok,
            malformed: totals.malformed,
            oversize: totals.oversize,
            events,
        }
    }

    /// Whether the malformed lines after it are known from a fresh scan's totals: fewer
    /// than [`MALFORMED_LINES_KEPT`] came before it.
    pub(crate) fn knows_later_lines(&self) -> bool {
        self.malformed < MALFORMED_LINES_KEPT as u64
    }

    /// Whether a scan that counted `before` up to this place may take the fresh scan's
    /// result from here: the lines of the malformed entries after it are known, or `before`
    /// has kept as many lines as a report keeps.
    pub(crate) fn splices(&self, before: &Totals) -> bool {
        self.knows_later_lines() || before.malformed_lines.len() >= MALFORMED_LINES_KEPT
    }

    /// What `totals`, a fresh scan's of the block, counted after this place.
    pub(crate) fn counts_after(&self, totals: &Totals) -> Totals {
        let kept = usize::try_from(self.malformed).unwrap_or(usize::MAX);
        Totals {
            entries: totals.entries.saturating_sub(self.entries),
            ok: totals.ok.saturating_sub(self.ok),
            malformed: totals.malformed.saturating_sub(self.malformed),
            oversize: totals.oversize.saturating_sub(self.oversize),
            events: 0,
            lines: 0,
            malformed_lines: totals.malformed_lines.get(kept..).unwrap_or(&[]).to_vec(),
            ..Totals::default()
        }
    }

    /// This place seen from a scan that started `bytes` earlier, given `from` (a place of
    /// the same scan, before this one) and `at`, what that scan counted there.
    pub(crate) fn moved(&self, bytes: u64, from: &Quiet, at: &Totals) -> Quiet {
        Quiet {
            offset: self.offset + bytes,
            entries: at.entries + self.entries.saturating_sub(from.entries),
            ok: at.ok + self.ok.saturating_sub(from.ok),
            malformed: at.malformed + self.malformed.saturating_sub(from.malformed),
            oversize: at.oversize + self.oversize.saturating_sub(from.oversize),
            events: 0,
            waiting: self.waiting,
        }
    }
}

/// A fresh block scan's first calls into its assembler (each entry pushed, each run of
/// entries skipped), up to the first one past [`MAX_PENDING_IDLE`] entries: where a whole
/// traceback carried into the block, waiting for a header read after it, stops waiting.
/// When no entry of its stream was pushed before then, and the call where it stops let
/// nothing else go, the carried scan does just what the fresh one did and lets it go there:
/// the merge puts it among the fresh scan's events instead of scanning the block again.
/// Whole tracebacks were the state carried into 69 of 126 blocks scanned again (4 MB of
/// the 256 MiB corpus, two threads).
#[derive(Debug, Default)]
pub(crate) struct Window {
    calls: Vec<Call>,
    /// The most whole tracebacks the fresh scan held at once in it.
    most_wholes: usize,
}

/// One call of a [`Window`].
#[derive(Clone, Copy, Debug)]
struct Call {
    /// The entries counted after it.
    tick: u64,
    /// The events emitted before it.
    events: usize,
    /// It let no event go.
    quiet: bool,
    /// The stream of the entry pushed, if it pushed one.
    stream: Option<u64>,
}

impl Window {
    /// Whether the calls recorded reach past the waits of whole tracebacks carried in.
    pub(crate) fn is_full(&self) -> bool {
        self.calls.last().is_some_and(|c| c.tick > MAX_PENDING_IDLE)
    }

    /// Notes a call: the entries counted after it (`tick`), the events emitted before it,
    /// whether it let no event go, the stream of the entry it pushed, and the whole
    /// tracebacks held after it.
    pub(crate) fn note(
        &mut self,
        tick: u64,
        events: usize,
        quiet: bool,
        stream: Option<u64>,
        wholes: usize,
    ) {
        self.calls.push(Call {
            tick,
            events,
            quiet,
            stream,
        });
        self.most_wholes = self.most_wholes.max(wholes);
    }

    /// Where among the fresh scan's events each of `carried` goes (its stream, and how
    /// many entries it waited before the block), in order; `None` when the block must be
    /// scanned again.
    pub(crate) fn place(&self, carried: &[(u64, u64)]) -> Option<Vec<usize>> {
        if self.most_wholes + carried.len() >= crate::event::MAX_STREAMS {
            return None;
        }
        let mut at = Vec::with_capacity(carried.len());
        for &(stream, waited) in carried {
            // It goes at the first call that counts past its wait.
            let left = MAX_PENDING_IDLE.checked_sub(waited)?;
            let i = self.calls.iter().position(|c| c.tick > left)?;
            let (before, call) = (self.calls.get(..=i)?, self.calls.get(i)?);
            if !call.quiet || before.iter().any(|c| c.stream == Some(stream)) {
                return None;
            }
            at.push(call.events);
        }
        Some(at)
    }
}
