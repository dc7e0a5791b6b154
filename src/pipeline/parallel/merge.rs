//! What both parallel strategies share: a block scanned by a worker with a fresh assembler,
//! scanned again in order when the block before it ended inside a split traceback (up to the
//! first place where both scans agree), and the results merged in input order.

use crate::error::{Error, Result};
use crate::event::{Assembler, Event, Start, HISTORY_BYTES};
use crate::input::{Format, Reader, ReaderBuilder};
use crate::pipeline::scan::{Before, Core, Quieting};
use crate::pipeline::sink::Sink;
use crate::pipeline::stages::Stages;
use crate::quiet::{Quiet, Window};
use crate::report::{Report, Totals};
use std::io::Read;

/// A parallel run's setting: the stages, the workers and how to cut.
pub(crate) struct Parallel<'a> {
    pub(crate) stages: &'a Stages,
    pub(crate) pool: &'a rayon::ThreadPool,
    pub(crate) threads: usize,
    pub(crate) block_bytes: usize,
}

impl Parallel<'_> {
    /// A merge that starts at the input's start.
    pub(super) fn merge(&self) -> Merge {
        Merge {
            assembler: self.stages.assembler(),
            report: Report::default(),
            totals: Totals::default(),
            go_on: true,
            kept: Vec::new(),
            kept_at: 0..0,
            history_at_start: true,
        }
    }

    /// Reports what the merged assembler still holds and puts the totals together.
    pub(super) fn finish_merge<S: Sink + ?Sized>(
        &self,
        mut merge: Merge,
        sink: &mut S,
    ) -> Result<Report> {
        if merge.go_on {
            for ev in self.stages.finish_held(&mut merge.assembler) {
                merge.event(ev, sink)?;
            }
        }
        let events = merge.report.totals.events;
        merge.report.totals = Totals {
            events,
            ..merge.totals
        };
        Ok(merge.report)
    }

    /// Merges one scanned block, scanning it again with the carried assembler when a split
    /// traceback was open at its start, or when its scan looked back past its start. Gives
    /// back the block's buffer.
    pub(super) fn merge_block<S: Sink + ?Sized>(
        &self,
        mut result: BlockResult,
        mut block: Block,
        format: Option<Format>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<Vec<u8>> {
        // The block's lines were numbered from 0; it starts after the merged ones.
        let mut shift = merge.totals.lines;
        let placed = !result.cut && merge.place_waiting(&mut result);
        for (_, ev) in &mut result.carried {
            self.stages.finish_memoized(ev);
        }
        if !placed && (merge.assembler.has_open() || result.cut) {
            let carried = std::mem::replace(&mut merge.assembler, self.stages.assembler());
            let before = Before {
                bytes: merge.history(),
                start: merge.history_start(),
            };
            (result, block) = self.rescan_block(block, format, carried, shift, result, before)?;
            shift = 0;
        }
        let spare = merge.remember(block.bytes, block.len);
        merge.block(result, shift, sink)?;
        Ok(spare)
    }

    /// Scans the rest of the input in order, with the merged assembler, after the merged
    /// blocks.
    pub(super) fn scan_rest<R: Read, S: Sink + ?Sized>(
        &self,
        mut reader: Reader<R>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<()> {
        let carried = std::mem::replace(&mut merge.assembler, self.stages.assembler());
        let kept = std::mem::take(&mut merge.kept);
        let before = Before {
            bytes: kept.get(merge.kept_at.clone()).unwrap_or(&[]),
            start: merge.history_start(),
        };
        let mut core = Core::new(self.stages, carried, merge.totals.lines, before);
        let mut emit = |ev: Event| {
            merge.event(ev, sink)?;
            Ok(merge.go_on)
        };
        core.scan(&mut reader, &mut Quieting::Off, &mut emit)?;
        // The events went out as they were found: only the totals and the state remain.
        let rest = BlockResult {
            events: Vec::new(),
            totals: core.totals,
            assembler: core.assembler,
            quiet: Vec::new(),
            between_elements: false,
            cut: false,
            lookbacks: Vec::new(),
            window: Window::default(),
            carried: Vec::new(),
        };
        merge.block(rest, 0, sink)
    }

    /// Scans one block with a fresh assembler, numbering its lines from 1, keeping its events
    /// and recording where near its start the assembler held nothing; the block comes back
    /// with the result, for a second scan if the state it started with was wrong.
    pub(super) fn scan_block(
        &self,
        block: Block,
        format: Option<Format>,
    ) -> Result<(BlockResult, Block)> {
        let mut quieting = Quieting::Record {
            until: QUIET_BYTES,
            max_events: usize::MAX,
            all: false,
            blocks: true,
            points: Vec::new(),
        };
        // Before a non-first block lies input this scan does not have.
        let before = Before {
            bytes: &[],
            start: if block.first {
                Start::Input
            } else {
                Start::Boundary
            },
        };
        let (mut result, block) = self.scan_block_with(
            block,
            format,
            self.stages.assembler(),
            0,
            before,
            &mut quieting,
        )?;
        if let Quieting::Record { mut points, .. } = quieting {
            // A place is only good to go on from when no lookback after it looked before it:
            // a scan carried to that place has seen other entries used there.
            let lookbacks = std::mem::take(&mut result.lookbacks);
            points.retain(|q| {
                lookbacks.iter().all(|&(at, reach)| {
                    at < q.offset || at.checked_sub(reach).is_some_and(|from| from >= q.offset)
                })
            });
            result.quiet = points;
        }
        Ok((result, block))
    }

    /// Scans `block` again with the assembler carried from the blocks before it, numbering its
    /// lines from `first_line + 1`, after the input `before`, up to where it holds nothing
    /// where the first scan (`fresh`) did too: the first scan's result is right from there on.
    pub(super) fn rescan_block(
        &self,
        block: Block,
        format: Option<Format>,
        carried: Assembler,
        first_line: u64,
        fresh: BlockResult,
        before: Before<'_>,
    ) -> Result<(BlockResult, Block)> {
        let mut quieting = Quieting::Converge(&fresh.quiet);
        let (prefix, block) =
            self.scan_block_with(block, format, carried, first_line, before, &mut quieting)?;
        let result = match quieting {
            Quieting::Converged(i) => match fresh.quiet.get(i).copied() {
                Some(at) => splice(prefix, fresh, at, first_line),
                None => prefix,
            },
            _ => prefix,
        };
        Ok((result, block))
    }

    pub(super) fn scan_block_with(
        &self,
        block: Block,
        format: Option<Format>,
        assembler: Assembler,
        first_line: u64,
        before: Before<'_>,
        quieting: &mut Quieting<'_>,
    ) -> Result<(BlockResult, Block)> {
        // The first block may start with a BOM: let the reader detect it there.
        let format = if block.first { None } else { format };
        let mut reader = ReaderBuilder::new()
            .max_entry_bytes(self.stages.max_entry_bytes)
            .format(format)
            .build_filled(block.bytes, block.len);
        let mut events = Vec::new();
        let mut emit = |ev: Event| {
            events.push(ev);
            Ok(true)
        };
        let mut core = Core::new(self.stages, assembler, first_line, before);
        let scanned = core.scan(&mut reader, quieting, &mut emit);
        let result = BlockResult {
            events,
            totals: core.totals,
            assembler: core.assembler,
            quiet: Vec::new(),
            between_elements: reader.ended_between_elements(),
            cut: core.cut,
            lookbacks: core.lookbacks,
            window: core.window.take().unwrap_or_default(),
            carried: Vec::new(),
        };
        let block = Block {
            bytes: reader.into_buffer(),
            ..block
        };
        scanned?;
        Ok((result, block))
    }
}

/// A part of the input that starts and ends at entry boundaries: `bytes[..len]`.
pub(super) struct Block {
    pub(super) bytes: Vec<u8>,
    pub(super) len: usize,
    /// The input's first block, which may start with a BOM.
    pub(super) first: bool,
}

/// What a worker found in one block, with lines numbered as `scan_block` was told.
pub(super) struct BlockResult {
    pub(super) events: Vec<Event>,
    /// `lines` is the number of lines of the block.
    pub(super) totals: Totals,
    /// The assembler's state at the block's end.
    pub(super) assembler: Assembler,
    /// Where near the block's start a fresh assembler held nothing, in input order.
    pub(super) quiet: Vec<Quiet>,
    /// The block's bytes ended inside an array where an element was expected: a block of
    /// array elements cut where they should be.
    pub(super) between_elements: bool,
    /// A lookback needed the input before the block: its scan must be done again with it.
    pub(super) cut: bool,
    /// The lookbacks made (where, how many bytes back), which decide the places of `quiet`.
    pub(super) lookbacks: Vec<(u64, u64)>,
    /// The first scan's first calls into its assembler.
    pub(super) window: Window,
    /// Events of whole tracebacks carried into the block, each before the event of
    /// `events` at its index (their lines are the input's already).
    pub(super) carried: Vec<(usize, Event)>,
}

/// How many bytes from a block's start [`Quiet`] places are recorded: a traceback carried
/// into a block ends within its first few dozen entries.
const QUIET_BYTES: u64 = 128 << 10;

/// A carried scan's result up to `at`, then the fresh scan's from there (its lines moved
/// by `shift`, the lines before the block).
pub(super) fn splice(
    mut prefix: BlockResult,
    mut fresh: BlockResult,
    at: Quiet,
    shift: u64,
) -> BlockResult {
    let rest = fresh.events.split_off(at.events.min(fresh.events.len()));
    prefix.events.extend(rest.into_iter().map(|mut ev| {
        ev.line += shift;
        ev
    }));
    prefix
        .totals
        .add_counts(&at.counts_after(&fresh.totals), shift);
    prefix.totals.lines = fresh.totals.lines;
    fresh.assembler.shift_lines(shift);
    let carried = std::mem::replace(&mut prefix.assembler, fresh.assembler);
    prefix.assembler.inherit(carried);
    prefix
}

/// Puts block results together in input order.
pub(super) struct Merge {
    pub(super) assembler: Assembler,
    pub(super) report: Report,
    pub(super) totals: Totals,
    pub(super) go_on: bool,
    /// The last bytes of the merged blocks, for lookbacks from the next block:
    /// `kept[kept_at]`, in the last block's own buffer when that block holds them all.
    pub(super) kept: Vec<u8>,
    pub(super) kept_at: std::ops::Range<usize>,
    /// The kept bytes start at the input's start.
    pub(super) history_at_start: bool,
}

impl Merge {
    /// Merges the next block's result; `shift` is added to its line numbers.
    fn block<S: Sink + ?Sized>(
        &mut self,
        result: BlockResult,
        shift: u64,
        sink: &mut S,
    ) -> Result<()> {
        let t = result.totals;
        self.totals.add_counts(&t, shift);
        self.totals.lines += t.lines;
        let earlier = std::mem::replace(&mut self.assembler, result.assembler);
        self.assembler.shift_lines(shift);
        self.assembler.inherit(earlier);
        let mut carried = result.carried.into_iter().peekable();
        let shifted = result.events.into_iter().map(|mut ev| {
            ev.line += shift;
            ev
        });
        for (i, ev) in shifted.enumerate() {
            let before = std::iter::from_fn(|| carried.next_if(|&(at, _)| at <= i));
            for ev in before.map(|(_, whole)| whole).chain([ev]) {
                self.event(ev, sink)?;
                if !self.go_on {
                    return Ok(());
                }
            }
        }
        for (_, whole) in carried {
            self.event(whole, sink)?;
            if !self.go_on {
                break;
            }
        }
        Ok(())
    }

    /// When the carried assembler holds nothing but whole tracebacks waiting for a header,
    /// and the block's first scan tells where each stops waiting (see [`Window`]), puts
    /// them among the block's events instead of a scan again; `true` when it did.
    fn place_waiting(&mut self, result: &mut BlockResult) -> bool {
        let Some(waits) = self.assembler.waits().filter(|w| !w.is_empty()) else {
            return false;
        };
        let Some(at) = result.window.place(&waits) else {
            return false;
        };
        let wholes = self.assembler.take_waiting().into_iter();
        let placed = at.into_iter().zip(wholes);
        result.carried = placed.filter_map(|(i, ev)| Some((i, ev?))).collect();
        // Stable: those that stop waiting at the same call keep their order.
        result.carried.sort_by_key(|&(i, _)| i);
        true
    }

    /// What lies before `history`: the input's start, or (once it was cut back) the middle
    /// of an entry too far back for a lookback.
    fn history_start(&self) -> Start {
        if self.history_at_start {
            Start::Input
        } else {
            Start::Mid
        }
    }

    /// The last bytes of the merged blocks.
    fn history(&self) -> &[u8] {
        self.kept.get(self.kept_at.clone()).unwrap_or(&[])
    }

    /// Keeps the last [`HISTORY_BYTES`] of the merged input, a block (`buf[..len]`) after
    /// it, and gives back a buffer to read another block into.
    fn remember(&mut self, buf: Vec<u8>, len: usize) -> Vec<u8> {
        if len > HISTORY_BYTES {
            // The block alone holds them: its buffer is kept instead of a copy of its end
            // (129 KiB copied per block cost 6% of a two-thread run).
            self.kept_at = len - HISTORY_BYTES..len;
            self.history_at_start = false;
            return std::mem::replace(&mut self.kept, buf);
        }
        let bytes = buf.get(..len).unwrap_or(&[]);
        let older = self.kept.get(self.kept_at.clone()).unwrap_or(&[]);
        let from = older.len().saturating_sub(HISTORY_BYTES - bytes.len());
        self.history_at_start &= from == 0;
        let mut kept = Vec::with_capacity(older.len() - from + bytes.len());
        kept.extend_from_slice(older.get(from..).unwrap_or(&[]));
        kept.extend_from_slice(bytes);
        self.kept_at = 0..kept.len();
        self.kept = kept;
        buf
    }

    pub(super) fn event<S: Sink + ?Sized>(&mut self, ev: Event, sink: &mut S) -> Result<()> {
        self.report.add_later(&ev);
        self.go_on = sink.event(&ev).map_err(Error::Output)?;
        Ok(())
    }
}
