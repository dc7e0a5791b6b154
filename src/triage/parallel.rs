//! The parallel paths: blocks cut at entry boundaries, scanned by rayon workers with fresh
//! state, merged in input order. A file or slice is read at offsets by the workers
//! themselves ([`Cutter`]), also a pretty-printed array; a stream (NDJSON or text) is read
//! into blocks by the first thread ([`Blocks`]).

use super::{read_full_at, At, ReadAt, Sink, Triage};
use crate::event::{Assembler, Event};
use crate::knowledge;
use crate::reader::{sniff_format, Format, Reader, ReaderBuilder};
use crate::report::{Report, Totals, MALFORMED_LINES_KEPT};
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::sync::{Condvar, Mutex, MutexGuard};

impl Triage {
    /// The parallel path: blocks cut at entry boundaries are scanned by rayon workers, each
    /// with a fresh assembler. A block is only valid that way when the assembler had nothing
    /// open at its start; when the block before it ended inside a split traceback, the block
    /// is scanned again, in order, with the carried assembler. Arrays are framed by a
    /// string-aware scanner that cannot start mid-stream, so they go the sequential way.
    pub(super) fn run_parallel<R: Read, S: Sink + ?Sized>(
        &self,
        rdr: R,
        sink: &mut S,
    ) -> Result<Report> {
        let Some(pool) = &self.pool else {
            return self.run_sequential(rdr, sink);
        };
        let mut blocks = Blocks::new(rdr, self.options.block_bytes, self.options.max_entry_bytes);
        let format = blocks.probe()?;
        if !matches!(format, Some(Format::Ndjson | Format::Text)) {
            let (tail, head) = blocks.into_rest();
            return self.run_sequential(head.as_slice().chain(tail), sink);
        }
        let batch_len = self.options.threads * 2;
        let first = blocks.read_batch(batch_len)?;
        let mut merge = Merge {
            assembler: self.assembler(),
            report: Report::default(),
            totals: Totals::default(),
            go_on: true,
        };
        let mut batch = first;
        // Scanned blocks waiting to be merged: this thread merges one batch while the workers
        // scan the next, so that re-scans and the report do not leave the workers idle.
        let mut scanned = Vec::new();
        while merge.go_on {
            if blocks.gave_up || batch.is_empty() {
                self.merge_scanned(scanned, format, &mut blocks, &mut merge, sink)?;
                if blocks.gave_up && merge.go_on {
                    self.finish_sequentially(batch, blocks, format, &mut merge, sink)?;
                }
                break;
            }
            let mut results = Vec::new();
            let previous = std::mem::take(&mut scanned);
            let (merged, next) = pool.in_place_scope(|scope| {
                scope.spawn(|_| {
                    results = batch
                        .into_par_iter()
                        .map(|b| self.scan_block(b, format))
                        .collect();
                });
                let merged = self.merge_scanned(previous, format, &mut blocks, &mut merge, sink);
                (merged, blocks.read_batch(batch_len))
            });
            merged?;
            scanned = results;
            batch = next?;
        }
        self.finish_merge(merge, sink)
    }

    /// The parallel path over an input read at offsets. Each worker reads its own blocks
    /// (see [`Cutter`]); the merge is the same as [`Triage::run_parallel`]'s.
    pub(super) fn run_positional<F: ReadAt + ?Sized, S: Sink + ?Sized>(
        &self,
        input: &F,
        range: Range<u64>,
        sink: &mut S,
    ) -> Result<Report> {
        let Some(pool) = &self.pool else {
            return self.run_sequential(At::new(input, range), sink);
        };
        let size = self.options.block_bytes as u64;
        let mut probe = vec![0; size.min(range.end.saturating_sub(range.start)) as usize];
        let probed = read_full_at(input, &mut probe, range.start)?;
        let probe_bytes = probe.get(..probed).unwrap_or(&[]);
        let format = sniff_format(probe_bytes);
        let Some(cut) = Cut::of(format, probe_bytes) else {
            return self.run_sequential(At::new(input, range), sink);
        };
        let cutter = Cutter {
            input,
            start: range.start,
            end: range.end,
            size,
            cut,
            limit: give_up_after(self.options.block_bytes, self.options.max_entry_bytes) as u64,
        };
        let mut merge = Merge {
            assembler: self.assembler(),
            report: Report::default(),
            totals: Totals::default(),
            go_on: true,
        };
        let handout = Handout::new(cutter.blocks(), self.options.threads as u64, probe);
        let merged = pool.in_place_scope(|scope| {
            // This thread is a worker too, between merges: a third busy thread on two cores
            // would take a core from a worker at each of its wake-ups.
            for _ in 1..self.options.threads {
                scope.spawn(|_| self.fetch_blocks(&handout, &cutter, format));
            }
            let _guard = PanicGuard(&handout);
            let merged = self.merge_handed(&handout, &cutter, format, &mut merge, sink);
            // Whatever the outcome, the workers must stop waiting for room.
            handout.stop();
            merged
        });
        merged?;
        self.finish_merge(merge, sink)
    }

    /// A worker's loop: takes the next block while the window has room, reads and scans it,
    /// and hands it back.
    fn fetch_blocks<F: ReadAt + ?Sized>(
        &self,
        handout: &Handout,
        cutter: &Cutter<'_, F>,
        format: Option<Format>,
    ) {
        let _guard = PanicGuard(handout);
        while let Some((i, buf)) = handout.take() {
            handout.put(i, self.fetch_block(cutter, i, buf, format));
        }
    }

    /// The merging thread's loop: merges fetched blocks in order as they are ready, and
    /// fetches blocks itself while the next one in order is not.
    fn merge_handed<F: ReadAt + ?Sized, S: Sink + ?Sized>(
        &self,
        handout: &Handout,
        cutter: &Cutter<'_, F>,
        format: Option<Format>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<()> {
        let mut merged_to = cutter.start;
        let mut spare = Vec::new();
        loop {
            let run = match handout.next_work() {
                Work::Block(i, buf) => {
                    handout.put(i, self.fetch_block(cutter, i, buf, format));
                    continue;
                }
                Work::Run(run) => run,
            };
            let (n, mut done) = (run.len(), run.is_empty());
            for fetched in run {
                // After the end (or an early stop), the rest of the run is dropped.
                if !done {
                    let at = &mut merged_to;
                    done = self
                        .merge_fetched(fetched?, cutter, at, format, merge, &mut spare, sink)?
                        || !merge.go_on;
                }
            }
            handout.merged(n, &mut spare);
            if done {
                return Ok(());
            }
        }
    }

    /// Reads block `i` into `buf` and scans it; `None` when a boundary of it lies past the
    /// limit of [`Cutter`].
    fn fetch_block<F: ReadAt + ?Sized>(
        &self,
        cutter: &Cutter<'_, F>,
        i: u64,
        mut buf: Vec<u8>,
        format: Option<Format>,
    ) -> Result<Option<Fetched>> {
        let Some((from, to)) = cutter.bounds(i)? else {
            return Ok(None);
        };
        let len = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
        if buf.len() < len {
            // A block is `size` give or take an entry: with room for more, the next blocks
            // this buffer takes need no resize (24 of 512 blocks did, some moving the
            // buffer; now only the fresh buffers are sized).
            buf.resize(len.max(cutter.size as usize + BLOCK_ROOM), 0);
        }
        let len = read_full_at(cutter.input, buf.get_mut(..len).unwrap_or_default(), from)?;
        let block = Block {
            bytes: buf,
            len,
            first: i == 0,
        };
        let (result, block) = self.scan_block(block, format)?;
        let to = from + len as u64;
        if matches!(cutter.cut, Cut::Array(_)) && to < cutter.end && !result.between_elements {
            // The cut after it fell inside an element (a nested array of objects indented
            // like the array's own, or a string holding raw newlines): from this block on,
            // the sequential way.
            return Ok(None);
        }
        Ok(Some((result, block, to)))
    }

    /// Merges the next fetched block; when it could not be framed, goes on sequentially from
    /// the end of the merged ones to the end of the input. Returns whether the input is done.
    #[allow(clippy::too_many_arguments)]
    fn merge_fetched<F: ReadAt + ?Sized, S: Sink + ?Sized>(
        &self,
        fetched: Option<Fetched>,
        cutter: &Cutter<'_, F>,
        merged_to: &mut u64,
        format: Option<Format>,
        merge: &mut Merge,
        spare: &mut Vec<Vec<u8>>,
        sink: &mut S,
    ) -> Result<bool> {
        match fetched {
            Some((result, block, to)) => {
                spare.push(self.merge_block(result, block, format, merge, sink)?);
                *merged_to = to;
                Ok(false)
            }
            None => {
                let rest = At::new(cutter.input, *merged_to..cutter.end);
                // At the input's start the reader detects the format, past a BOM.
                let format = format.filter(|_| *merged_to > cutter.start);
                self.scan_rest(self.reader(rest, format), merge, sink)?;
                Ok(true)
            }
        }
    }

    /// Reports what the merged assembler still holds and puts the totals together.
    fn finish_merge<S: Sink + ?Sized>(&self, mut merge: Merge, sink: &mut S) -> Result<Report> {
        if merge.go_on {
            for ev in self.finish_held(&mut merge.assembler) {
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

    /// Merges scanned blocks in input order. A block that starts while a split traceback
    /// is open is scanned again, with the carried assembler.
    fn merge_scanned<R: Read, S: Sink + ?Sized>(
        &self,
        scanned: Vec<Result<(BlockResult, Block)>>,
        format: Option<Format>,
        blocks: &mut Blocks<R>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<()> {
        for one in scanned {
            if !merge.go_on {
                break;
            }
            let (result, block) = one?;
            blocks.recycle(self.merge_block(result, block, format, merge, sink)?);
        }
        Ok(())
    }

    /// Merges one scanned block, scanning it again with the carried assembler when a split
    /// traceback was open at its start. Gives back the block's buffer.
    fn merge_block<S: Sink + ?Sized>(
        &self,
        mut result: BlockResult,
        mut block: Block,
        format: Option<Format>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<Vec<u8>> {
        // The block's lines were numbered from 0; it starts after the merged ones.
        let mut shift = merge.totals.lines;
        if merge.assembler.has_open() {
            let carried = std::mem::replace(&mut merge.assembler, self.assembler());
            (result, block) = self.rescan_block(block, format, carried, shift, result)?;
            shift = 0;
        }
        merge.block(result, shift, sink)?;
        Ok(block.bytes)
    }

    /// The rest of the input after an entry longer than a few blocks: the sequential way, which
    /// skips an oversize entry without holding it whole.
    fn finish_sequentially<R: Read, S: Sink + ?Sized>(
        &self,
        batch: Vec<Block>,
        blocks: Blocks<R>,
        format: Option<Format>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<()> {
        let head: Vec<u8> = batch
            .iter()
            .flat_map(|b| b.bytes.get(..b.len).unwrap_or(&[]))
            .copied()
            .collect();
        let (tail, carry) = blocks.into_rest();
        let reader = self.reader(head.as_slice().chain(carry.as_slice()).chain(tail), format);
        self.scan_rest(reader, merge, sink)
    }

    /// Scans the rest of the input in order, with the merged assembler, after the merged
    /// blocks.
    fn scan_rest<R: Read, S: Sink + ?Sized>(
        &self,
        mut reader: Reader<R>,
        merge: &mut Merge,
        sink: &mut S,
    ) -> Result<()> {
        let line = merge.totals.lines;
        let mut assembler = std::mem::replace(&mut merge.assembler, self.assembler());
        let mut totals = Totals::default();
        let mut emit = |ev: Event| {
            merge.event(ev, sink)?;
            Ok(merge.go_on)
        };
        let mut off = Quieting::Off;
        self.scan(
            &mut reader,
            line,
            &mut assembler,
            &mut totals,
            &mut off,
            &mut emit,
        )?;
        // The events went out as they were found: only the totals and the state remain.
        let rest = BlockResult {
            events: Vec::new(),
            totals,
            assembler,
            quiet: Vec::new(),
            between_elements: false,
        };
        merge.block(rest, 0, sink)
    }

    /// Scans one block with a fresh assembler, numbering its lines from 1, keeping its events
    /// and recording where near its start the assembler held nothing; the block comes back
    /// with the result, for a second scan if the state it started with was wrong.
    fn scan_block(&self, block: Block, format: Option<Format>) -> Result<(BlockResult, Block)> {
        let mut quieting = Quieting::Record {
            until: QUIET_BYTES,
            points: Vec::new(),
        };
        let (mut result, block) =
            self.scan_block_with(block, format, self.assembler(), 0, &mut quieting)?;
        if let Quieting::Record { points, .. } = quieting {
            result.quiet = points;
        }
        Ok((result, block))
    }

    /// Scans `block` again with the assembler carried from the blocks before it, numbering its
    /// lines from `first_line + 1`, up to where it holds nothing where the first scan
    /// (`fresh`) did too: the first scan's result is right from there on.
    fn rescan_block(
        &self,
        block: Block,
        format: Option<Format>,
        carried: Assembler,
        first_line: u64,
        fresh: BlockResult,
    ) -> Result<(BlockResult, Block)> {
        let mut quieting = Quieting::Converge(&fresh.quiet);
        let (prefix, block) =
            self.scan_block_with(block, format, carried, first_line, &mut quieting)?;
        let result = match quieting {
            Quieting::Converged(i) => match fresh.quiet.get(i).copied() {
                Some(at) => splice(prefix, fresh, at, first_line),
                None => prefix,
            },
            _ => prefix,
        };
        Ok((result, block))
    }

    fn scan_block_with(
        &self,
        block: Block,
        format: Option<Format>,
        assembler: Assembler,
        first_line: u64,
        quieting: &mut Quieting<'_>,
    ) -> Result<(BlockResult, Block)> {
        let mut result = BlockResult {
            events: Vec::new(),
            totals: Totals::default(),
            assembler,
            quiet: Vec::new(),
            between_elements: false,
        };
        // The first block may start with a BOM: let the reader detect it there.
        let format = if block.first { None } else { format };
        let mut reader = ReaderBuilder::new()
            .max_entry_bytes(self.options.max_entry_bytes)
            .format(format)
            .build_filled(block.bytes, block.len);
        let mut emit = |ev: Event| {
            result.events.push(ev);
            Ok(true)
        };
        let scanned = self.scan(
            &mut reader,
            first_line,
            &mut result.assembler,
            &mut result.totals,
            quieting,
            &mut emit,
        );
        result.between_elements = reader.ended_between_elements();
        let block = Block {
            bytes: reader.into_buffer(),
            ..block
        };
        scanned?;
        Ok((result, block))
    }
}

/// The blocks of an input read at offsets, shared by the workers and the merging thread.
/// Blocks are taken in order while fewer than `window` are taken and not merged yet. The
/// merging thread scans a block itself whenever it has nothing to merge, and sleeps only when
/// the window is full and the next block in order is not ready. With a merging thread of its
/// own, woken for each block, a two-thread run over 256 MiB had 1,100 context switches, each
/// taking a core from a worker, and used 40% more CPU than a one-thread run.
struct Handout {
    state: Mutex<HandoutState>,
    /// Signals the merging thread that a run is ready.
    ready: Condvar,
    /// Signals the workers that the window has room.
    room: Condvar,
    blocks: u64,
    window: u64,
}

struct HandoutState {
    /// The next block to take.
    next: u64,
    /// Blocks handed to the merging thread.
    handed: u64,
    /// Blocks merged: the window is `merged..merged + window`.
    merged: u64,
    fetched: BTreeMap<u64, Result<Option<Fetched>>>,
    spare: Vec<Vec<u8>>,
    stopped: bool,
}

impl Handout {
    fn new(blocks: u64, threads: u64, buf: Vec<u8>) -> Self {
        Handout {
            state: Mutex::new(HandoutState {
                next: 0,
                handed: 0,
                merged: 0,
                fetched: BTreeMap::new(),
                spare: vec![buf],
                stopped: false,
            }),
            ready: Condvar::new(),
            room: Condvar::new(),
            blocks,
            window: threads * 3,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HandoutState> {
        // A poisoned lock means a worker panicked; the panic is raised when the scope ends.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next block to fetch and a buffer for it, once the window has room; `None` when
    /// all are taken or on a stop.
    fn take(&self) -> Option<(u64, Vec<u8>)> {
        let mut s = self.lock();
        while !s.stopped && s.next < self.blocks {
            if let Some(block) = self.take_locked(&mut s) {
                return Some(block);
            }
            s = self.room.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        None
    }

    /// The next block when the window has room.
    fn take_locked(&self, s: &mut HandoutState) -> Option<(u64, Vec<u8>)> {
        if s.stopped || s.next >= self.blocks || s.next - s.merged >= self.window {
            return None;
        }
        let i = s.next;
        s.next += 1;
        Some((i, s.spare.pop().unwrap_or_default()))
    }

    fn put(&self, i: u64, fetched: Result<Option<Fetched>>) {
        let mut s = self.lock();
        s.fetched.insert(i, fetched);
        if i == s.handed {
            self.ready.notify_one();
        }
    }

    /// Whether the merging thread has a run to take: the next block in order is fetched.
    fn run_ready(&self, s: &HandoutState) -> bool {
        s.stopped || s.fetched.contains_key(&s.handed)
    }

    /// The merging thread's next work: a run to merge when one is ready, else a block to
    /// fetch, else it waits for a run. The run is empty when all blocks were handed or on a
    /// stop.
    fn next_work(&self) -> Work {
        let mut s = self.lock();
        while s.handed < self.blocks && !self.run_ready(&s) {
            if let Some(block) = self.take_locked(&mut s) {
                return Work::Block(block.0, block.1);
            }
            s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        let s = &mut *s;
        let mut run = Vec::new();
        while let Some(fetched) = s.fetched.remove(&s.handed) {
            run.push(fetched);
            s.handed += 1;
        }
        Work::Run(run)
    }

    /// `n` more blocks merged; their buffers are free again.
    fn merged(&self, n: usize, spare: &mut Vec<Vec<u8>>) {
        let mut s = self.lock();
        s.merged += n as u64;
        s.spare.append(spare);
        self.room.notify_all();
    }

    /// Stops the workers (the end, an error or a panic) and wakes everyone waiting.
    fn stop(&self) {
        self.lock().stopped = true;
        self.room.notify_all();
        self.ready.notify_all();
    }
}

/// What the merging thread does next.
enum Work {
    Block(u64, Vec<u8>),
    Run(Vec<Result<Option<Fetched>>>),
}

/// Stops a [`Handout`] when its thread unwinds: the other threads must not wait forever for
/// a block or for room, and the scope raises the panic once they are done.
struct PanicGuard<'a>(&'a Handout);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

/// A part of the input that starts and ends at entry boundaries: `bytes[..len]`.
struct Block {
    bytes: Vec<u8>,
    len: usize,
    /// The input's first block, which may start with a BOM.
    first: bool,
}

/// A block a worker read and scanned, with the input offset where it ends.
type Fetched = (BlockResult, Block, u64);

/// What a worker found in one block, with lines numbered as `scan_block` was told.
struct BlockResult {
    events: Vec<Event>,
    /// `lines` is the number of lines of the block.
    totals: Totals,
    /// The assembler's state at the block's end.
    assembler: Assembler,
    /// Where near the block's start a fresh assembler held nothing, in input order.
    quiet: Vec<Quiet>,
    /// The block's bytes ended inside an array where an element was expected: a block of
    /// array elements cut where they should be.
    between_elements: bool,
}

/// The bytes a block buffer is given past the block size when it must grow.
const BLOCK_ROOM: usize = 16 << 10;

/// How many bytes from a block's start [`Quiet`] places are recorded: a traceback carried
/// into a block ends within its first few dozen entries.
const QUIET_BYTES: u64 = 128 << 10;

/// A place in a block where its scan with a fresh assembler held nothing, with the counts
/// there. A scan of the block with a carried assembler that holds nothing at the same place
/// goes on exactly as the fresh one did, so it stops there and takes the rest of the fresh
/// result: 11% of the blocks of a corpus with 2% failures start inside a split traceback,
/// and scanning them whole again cost 13% of a two-thread run.
#[derive(Clone, Copy, Debug)]
pub(super) struct Quiet {
    /// Bytes of the block consumed.
    offset: u64,
    entries: u64,
    ok: u64,
    malformed: u64,
    oversize: u64,
    malformed_kept: usize,
    /// Events the fresh scan had emitted.
    events: usize,
}

impl Quiet {
    /// What `totals`, a fresh scan's of the block, counted after this place.
    fn counts_after(&self, totals: &Totals) -> Totals {
        Totals {
            entries: totals.entries.saturating_sub(self.entries),
            ok: totals.ok.saturating_sub(self.ok),
            malformed: totals.malformed.saturating_sub(self.malformed),
            oversize: totals.oversize.saturating_sub(self.oversize),
            events: 0,
            lines: 0,
            malformed_lines: totals
                .malformed_lines
                .get(self.malformed_kept..)
                .unwrap_or(&[])
                .to_vec(),
            ..Totals::default()
        }
    }
}

/// What [`Triage::scan`] does at each place where its assembler holds nothing.
pub(super) enum Quieting<'a> {
    /// Nothing: the sequential path.
    Off,
    /// Records the places within the first `until` bytes.
    Record { until: u64, points: Vec<Quiet> },
    /// Stops at the first place that is in `points` (in offset order)...
    Converge(&'a [Quiet]),
    /// ... which was `points[i]`.
    Converged(usize),
}

impl Quieting<'_> {
    /// At a place where the assembler holds nothing: records it, or tells whether to stop.
    #[inline]
    pub(super) fn at_quiet(&mut self, offset: u64, totals: &Totals, events: usize) -> bool {
        match self {
            Quieting::Off | Quieting::Converged(_) => false,
            Quieting::Record { until, points } => {
                // Past the kept malformed lines, a suffix's lines could not be told apart.
                if offset < *until && totals.malformed_lines.len() < MALFORMED_LINES_KEPT {
                    points.push(Quiet {
                        offset,
                        entries: totals.entries,
                        ok: totals.ok,
                        malformed: totals.malformed,
                        oversize: totals.oversize,
                        malformed_kept: totals.malformed_lines.len(),
                        events,
                    });
                }
                false
            }
            Quieting::Converge(points) => {
                match points.binary_search_by_key(&offset, |p| p.offset) {
                    Ok(i) => {
                        *self = Quieting::Converged(i);
                        true
                    }
                    Err(_) => false,
                }
            }
        }
    }
}

/// A carried scan's result up to `at`, then the fresh scan's from there (its lines moved
/// by `shift`, the lines before the block).
fn splice(mut prefix: BlockResult, mut fresh: BlockResult, at: Quiet, shift: u64) -> BlockResult {
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
    prefix.assembler = fresh.assembler;
    prefix
}

/// Puts block results together in input order.
struct Merge {
    assembler: Assembler,
    report: Report,
    totals: Totals,
    go_on: bool,
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
        self.assembler = result.assembler;
        self.assembler.shift_lines(shift);
        for mut ev in result.events {
            ev.line += shift;
            self.event(ev, sink)?;
            if !self.go_on {
                break;
            }
        }
        Ok(())
    }

    fn event<S: Sink + ?Sized>(&mut self, ev: Event, sink: &mut S) -> Result<()> {
        self.report.add(&ev, knowledge::suggest_title);
        self.go_on = sink.event(&ev).map_err(Error::Output)?;
        Ok(())
    }
}

/// Cuts the input into blocks that end at entry boundaries: after a `\n` that is followed by
/// `{` (NDJSON: only a new object starts a line with `{`; lines inside a pretty-printed object
/// are indented) or, in text, after any `\n`.
///
/// Buffers go round: a scanned block's buffer comes back ([`Blocks::recycle`]) for a later
/// one, and is never cleared, so it is neither zeroed again nor page-faulted in again (a
/// fresh half-megabyte buffer comes from `mmap`; both showed in the profile).
struct Blocks<R> {
    rdr: R,
    size: usize,
    max_entry: usize,
    /// The next block's buffer: `carry[..filled]` are the bytes read past the last boundary.
    carry: Vec<u8>,
    filled: usize,
    /// No block was cut yet.
    first: bool,
    eof: bool,
    /// No boundary within `max_entry` bytes: the caller must go on sequentially.
    gave_up: bool,
    text: Option<bool>,
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Blocks<R> {
    fn new(rdr: R, size: usize, max_entry: usize) -> Self {
        Blocks {
            rdr,
            size,
            max_entry,
            carry: Vec::new(),
            filled: 0,
            first: true,
            eof: false,
            gave_up: false,
            text: None,
            spare: Vec::new(),
        }
    }

    fn carried(&self) -> &[u8] {
        self.carry.get(..self.filled).unwrap_or(&[])
    }

    /// Reads the first block's worth of input and detects its format from it.
    fn probe(&mut self) -> Result<Option<Format>> {
        if self.fill(self.size)? == 0 {
            self.eof = true;
        }
        let format = sniff_format(self.carried());
        self.text = Some(format == Some(Format::Text));
        Ok(format)
    }

    /// Up to `n` blocks; fewer at the end of the input, none after it.
    fn read_batch(&mut self, n: usize) -> Result<Vec<Block>> {
        let mut batch = Vec::with_capacity(n);
        while batch.len() < n && !self.gave_up {
            match self.next_block()? {
                Some(block) => batch.push(block),
                None => break,
            }
        }
        Ok(batch)
    }

    fn next_block(&mut self) -> Result<Option<Block>> {
        loop {
            let want = self.filled + self.size;
            if !self.eof && self.fill(want)? == 0 {
                self.eof = true;
            }
            let text = match self.text {
                Some(text) => text,
                None => sniff_format(self.carried()) == Some(Format::Text),
            };
            self.text = Some(text);
            let cut = if self.eof {
                Some(self.filled)
            } else {
                last_boundary(self.carried(), text)
            };
            match cut {
                Some(0) if self.eof => return Ok(None),
                Some(cut) if cut > 0 => return Ok(Some(self.cut(cut))),
                // An entry longer than a few blocks: rare, and holding it here besides the
                // reader's own buffer would double the memory it takes.
                _ if self.filled > give_up_after(self.size, self.max_entry) => {
                    self.gave_up = true;
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    /// The block of `carry[..cut]`; the bytes after it move to a spare buffer.
    fn cut(&mut self, cut: usize) -> Block {
        let rest = self.carry.get(cut..self.filled).unwrap_or(&[]);
        let mut next = self.spare.pop().unwrap_or_default();
        if next.len() < rest.len() {
            next.resize(rest.len(), 0);
        }
        if let Some(head) = next.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        self.filled = rest.len();
        let bytes = std::mem::replace(&mut self.carry, next);
        Block {
            bytes,
            len: cut,
            first: std::mem::take(&mut self.first),
        }
    }

    /// Reads until `carry` holds `want` bytes or the input ends; returns the bytes read.
    fn fill(&mut self, want: usize) -> Result<usize> {
        if self.carry.len() < want {
            // Zeroed once per buffer, not per block.
            self.carry.resize(want, 0);
        }
        let start = self.filled;
        while let Some(room) = self
            .carry
            .get_mut(self.filled..want)
            .filter(|r| !r.is_empty())
        {
            let room_len = room.len();
            match self.rdr.read(room) {
                Ok(0) => break,
                // A misbehaving reader may claim more than the room it was given.
                Ok(n) => self.filled += n.min(room_len),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.filled - start)
    }

    /// Takes back the buffer of a scanned block.
    fn recycle(&mut self, bytes: Vec<u8>) {
        // Two batches are in flight at most; keep that many.
        if self.spare.len() < 16 {
            self.spare.push(bytes);
        }
    }

    /// The unread input and the bytes read past the last block.
    fn into_rest(mut self) -> (R, Vec<u8>) {
        self.carry.truncate(self.filled);
        (self.rdr, self.carry)
    }
}

/// How far past a block's nominal start both ways of cutting look for an entry boundary
/// before they leave the rest of the input to the sequential path: a few blocks, and never
/// past `max_entry_bytes`, which the sequential path skips without holding the entry whole.
fn give_up_after(block_bytes: usize, max_entry_bytes: usize) -> usize {
    block_bytes.saturating_mul(4).min(max_entry_bytes)
}

/// Whether an entry starts just after a `\n` followed by `next`: in NDJSON only a new object
/// starts a line with `{` (the lines of a pretty-printed object are indented); in text every
/// line is an entry. Both ways of cutting blocks follow this one rule, so that they agree.
fn starts_entry(next: Option<&u8>, text: bool) -> bool {
    text || next == Some(&b'{')
}

/// The end of the last whole entry in `bytes`: just after the last `\n` that
/// [`starts_entry`].
fn last_boundary(bytes: &[u8], text: bool) -> Option<usize> {
    let mut end = bytes.len();
    while let Some(i) = memchr::memrchr(b'\n', bytes.get(..end)?) {
        if starts_entry(bytes.get(i + 1), text) {
            return Some(i + 1);
        }
        end = i;
    }
    None
}

/// Where a block read at offsets may start: just after a `\n` that, for NDJSON and text,
/// [`starts_entry`], and for an array of pretty-printed elements ends a `,` and is followed
/// by the array's element indentation and `{`. Such a place can also sit inside an element
/// (a nested array of objects indented alike, or a string holding raw newlines); the block
/// before it then does not end between elements, and the input goes the sequential way from
/// that block on.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cut {
    Ndjson,
    Text,
    /// The indentation of the array's elements (gcloud and jq: two spaces).
    Array(Vec<u8>),
}

/// The longest element indentation an array is cut by.
const MAX_INDENT: usize = 64;

impl Cut {
    /// How an input of `format` that starts with `head` is cut; `None` when it cannot be.
    fn of(format: Option<Format>, head: &[u8]) -> Option<Cut> {
        match format? {
            Format::Ndjson => Some(Cut::Ndjson),
            Format::Text => Some(Cut::Text),
            Format::Array => element_indent(head).map(Cut::Array),
        }
    }

    /// How many bytes up to and including a boundary's `\n` decide it.
    fn back(&self) -> u64 {
        match self {
            Cut::Ndjson | Cut::Text => 1,
            Cut::Array(_) => 2,
        }
    }

    /// Whether a block may start after the `\n` at `read[nl]`; `None` when the bytes that
    /// decide it run past `read` and the input goes on.
    fn after(&self, read: &[u8], nl: usize, ended: bool) -> Option<bool> {
        let indent = match self {
            Cut::Text => return Some(true),
            Cut::Ndjson => {
                return match read.get(nl + 1) {
                    None if !ended => None,
                    next => Some(starts_entry(next, false)),
                }
            }
            Cut::Array(indent) => indent,
        };
        if nl == 0 || read.get(nl - 1) != Some(&b',') {
            return Some(false);
        }
        match read.get(nl + 1..nl + 2 + indent.len()) {
            None if !ended => None,
            None => Some(false),
            Some(line) => Some(line.starts_with(indent) && line.last() == Some(&b'{')),
        }
    }
}

/// The indentation of a pretty-printed array's first element, from the input's first bytes
/// (`[`, blanks with a `\n`, the indentation, `{`); `None` for an array on one line, or with
/// `\r\n` line ends, where no `,` comes just before a `\n`.
fn element_indent(head: &[u8]) -> Option<Vec<u8>> {
    let open = memchr::memchr(b'[', head)?;
    let rest = head.get(open + 1..)?;
    let blank = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    if rest.get(blank) != Some(&b'{') {
        return None;
    }
    let run = rest.get(..blank)?;
    let indent = run.get(memchr::memrchr(b'\n', run)? + 1..)?;
    (indent.len() <= MAX_INDENT && !run.contains(&b'\r')).then(|| indent.to_vec())
}

/// Cuts a [`ReadAt`] input into blocks without reading it through: block `i` runs from the
/// first entry boundary at or after `start + i * size` to the first one at or after the
/// next block's nominal start, boundaries as [`Blocks`] finds them. Each worker finds its
/// block's two boundaries with small reads, so no thread reads the input ahead of the others.
struct Cutter<'a, F: ?Sized> {
    input: &'a F,
    start: u64,
    end: u64,
    size: u64,
    cut: Cut,
    /// How far past a nominal start a boundary is looked for.
    limit: u64,
}

impl<F: ReadAt + ?Sized> Cutter<'_, F> {
    fn blocks(&self) -> u64 {
        self.end.saturating_sub(self.start).div_ceil(self.size)
    }

    /// Block `i`'s input range; `None` when a boundary is not within `limit`.
    fn bounds(&self, i: u64) -> std::io::Result<Option<(u64, u64)>> {
        let lo = self.start.saturating_add(i.saturating_mul(self.size));
        let hi = lo.saturating_add(self.size).min(self.end);
        let Some(from) = self.boundary(lo)? else {
            return Ok(None);
        };
        if from >= hi {
            // No boundary in the block's nominal range: the block before holds it all.
            return Ok(Some((from, from)));
        }
        Ok(self.boundary(hi)?.map(|to| (from, to)))
    }

    /// The first entry boundary at or after `at`: the input's start and end, and just after
    /// a `\n` where [`Cut::after`] allows one.
    fn boundary(&self, at: u64) -> std::io::Result<Option<u64>> {
        if at <= self.start || at >= self.end {
            return Ok(Some(at.clamp(self.start, self.end)));
        }
        let mut chunk = [0u8; 4096];
        // The bytes up to the `\n` before `at` tell whether `at` itself is a boundary.
        let back = self.cut.back();
        let mut pos = at.saturating_sub(back).max(self.start);
        loop {
            let want = (self.end - pos).min(chunk.len() as u64) as usize;
            let n = read_full_at(self.input, chunk.get_mut(..want).unwrap_or_default(), pos)?;
            let read = chunk.get(..n).unwrap_or(&[]);
            // The input ended (or shrank while being read).
            let ended = n < want || pos + n as u64 >= self.end;
            let mut undecided = None;
            for nl in memchr::memchr_iter(b'\n', read) {
                let after = pos + nl as u64 + 1;
                if after < at {
                    continue;
                }
                if after >= self.end {
                    return Ok(Some(self.end));
                }
                match self.cut.after(read, nl, ended) {
                    Some(true) => return Ok(Some(after)),
                    Some(false) => {}
                    None => {
                        undecided = Some(nl);
                        break;
                    }
                }
            }
            let next = match undecided {
                // Read again from the bytes that decide it.
                Some(nl) => pos + nl as u64 + 1 - back,
                None if ended => return Ok(Some((pos + n as u64).max(at))),
                None => pos + n as u64 + 1 - back,
            };
            if next <= pos {
                return Ok(None);
            }
            pos = next;
            if pos.saturating_sub(at) > self.limit {
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TriageBuilder;

    /// A gcloud-style array: elements indented by two spaces, each with a nested array of
    /// objects (indented by eight) and, every seventh, a NameError traceback.
    fn gcloud_array(elements: usize) -> Vec<u8> {
        let values: Vec<serde_json::Value> = (0..elements)
            .map(|i| {
                let text = if i % 7 == 3 {
                    "Traceback (most recent call last):\n  File \"/app/smd.py\", line 1687, in \
                     _initialize_factory_patterns\nNameError: name 'UnifiedExecutionEngineFactory' \
                     is not defined"
                        .to_string()
                } else {
                    format!("GET /health {i}")
                };
                serde_json::json!({
                    "insertId": format!("id{i}"),
                    "severity": if i % 7 == 3 { "ERROR" } else { "INFO" },
                    "textPayload": text,
                    "jsonPayload": {"spans": [{"a": i}, {"b": i}]},
                })
            })
            .collect();
        serde_json::to_vec_pretty(&values).expect("json")
    }

    fn cutter(input: &[u8], cut: Cut, size: u64) -> Cutter<'_, [u8]> {
        Cutter {
            input,
            start: 0,
            end: input.len() as u64,
            size,
            cut,
            limit: 1 << 20,
        }
    }

    #[test]
    fn a_gcloud_array_is_cut_between_its_elements_and_every_block_is_kept() {
        let input = gcloud_array(300);
        let indent = element_indent(&input).expect("pretty-printed");
        assert_eq!(indent, b"  ");
        let cutter = cutter(&input, Cut::Array(indent), 1000);
        let triage = TriageBuilder::new().threads(2).build().expect("build");
        let mut cuts = 0;
        for i in 0..cutter.blocks() {
            let (from, to) = cutter.bounds(i).expect("read").expect("a boundary");
            if from > 0 && from < to {
                assert_eq!(
                    input.get(from as usize - 2..from as usize + 3),
                    Some(&b",\n  {"[..])
                );
                cuts += 1;
            }
            let fetched = triage
                .fetch_block(&cutter, i, Vec::new(), Some(Format::Array))
                .expect("scan");
            assert!(
                fetched.is_some(),
                "block {i} fell back to the sequential way"
            );
        }
        assert!(cuts > 20, "{cuts} cuts");
    }

    #[test]
    fn a_cut_inside_an_element_sends_the_rest_the_sequential_way() {
        // Nested objects indented like the elements: some cuts fall inside an element.
        let input = String::from_utf8(gcloud_array(300))
            .expect("utf-8")
            .replace("\n        {", "\n  {");
        let cutter = cutter(input.as_bytes(), Cut::Array(b"  ".to_vec()), 1000);
        let triage = TriageBuilder::new()
            .threads(2)
            .block_bytes(1000)
            .build()
            .expect("build");
        let kept = (0..cutter.blocks())
            .map(|i| {
                triage
                    .fetch_block(&cutter, i, Vec::new(), Some(Format::Array))
                    .expect("scan")
                    .is_some()
            })
            .collect::<Vec<_>>();
        assert!(kept.contains(&false), "no cut fell inside an element");
        let one = TriageBuilder::new().build().expect("build");
        let (a, b) = (
            one.run_slice(input.as_bytes(), &mut crate::NoSink)
                .expect("run"),
            triage
                .run_slice(input.as_bytes(), &mut crate::NoSink)
                .expect("run"),
        );
        assert_eq!(a.totals, b.totals);
        assert_eq!(a.groups, b.groups);
    }

    #[test]
    fn element_indent_needs_a_pretty_printed_first_element() {
        assert_eq!(element_indent(b"[\n  {\"a\": 1}\n]"), Some(b"  ".to_vec()));
        assert_eq!(
            element_indent(b"\xef\xbb\xbf[\n\t{}]"),
            Some(b"\t".to_vec())
        );
        assert_eq!(element_indent(b"[\n{}]"), Some(Vec::new()));
        assert_eq!(element_indent(b"[{\"a\": 1}]"), None);
        assert_eq!(element_indent(b"[\n  1,\n  {}]"), None);
        assert_eq!(element_indent(b"[\r\n  {}]"), None);
    }
}
