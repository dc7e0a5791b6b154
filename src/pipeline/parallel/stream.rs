//! The parallel path over a stream (a pipe): the first thread reads the input into blocks
//! cut at entry boundaries ([`Blocks`]), the workers scan them, and this thread merges them
//! in order while the workers scan the next batch.

use super::merge::{Block, BlockResult, Merge, Parallel};
use crate::error::Result;
use crate::input::cut::{give_up_after, last_boundary};
use crate::input::{sniff_format, Format};
use crate::pipeline::scan::run_sequential;
use crate::pipeline::sink::Sink;
use crate::report::Report;
use rayon::prelude::*;
use std::io::Read;

/// The parallel path: blocks cut at entry boundaries are scanned by rayon workers, each
/// with a fresh assembler. A block is only valid that way when the assembler had nothing
/// open at its start; when the block before it ended inside a split traceback, the block
/// is scanned again, in order, with the carried assembler. Arrays are framed by a
/// string-aware scanner that cannot start mid-stream, so they go the sequential way.
pub(crate) fn run<R: Read, S: Sink + ?Sized>(
    p: &Parallel<'_>,
    rdr: R,
    sink: &mut S,
) -> Result<Report> {
    let pool = p.pool;
    let mut blocks = Blocks::new(rdr, p.block_bytes, p.stages.max_entry_bytes);
    let format = blocks.probe()?;
    if !matches!(format, Some(Format::Ndjson | Format::Text)) {
        let (tail, head) = blocks.into_rest();
        return run_sequential(p.stages, head.as_slice().chain(tail), sink);
    }
    let batch_len = p.threads * 2;
    let first = blocks.read_batch(batch_len)?;
    let mut merge = p.merge();
    let mut batch = first;
    // Scanned blocks waiting to be merged: this thread merges one batch while the workers
    // scan the next, so that re-scans and the report do not leave the workers idle.
    let mut scanned = Vec::new();
    while merge.go_on {
        if blocks.gave_up || batch.is_empty() {
            merge_scanned(p, scanned, format, &mut blocks, &mut merge, sink)?;
            if blocks.gave_up && merge.go_on {
                finish_sequentially(p, batch, blocks, format, &mut merge, sink)?;
            }
            break;
        }
        let mut results = Vec::new();
        let previous = std::mem::take(&mut scanned);
        let (merged, next) = pool.in_place_scope(|scope| {
            scope.spawn(|_| {
                results = batch
                    .into_par_iter()
                    .map(|b| p.scan_block(b, format))
                    .collect();
            });
            let merged = merge_scanned(p, previous, format, &mut blocks, &mut merge, sink);
            (merged, blocks.read_batch(batch_len))
        });
        merged?;
        scanned = results;
        batch = next?;
    }
    p.finish_merge(merge, sink)
}

/// Merges scanned blocks in input order. A block that starts while a split traceback
/// is open is scanned again, with the carried assembler.
fn merge_scanned<R: Read, S: Sink + ?Sized>(
    p: &Parallel<'_>,
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
        blocks.recycle(p.merge_block(result, block, format, merge, sink)?);
    }
    Ok(())
}

/// The rest of the input after an entry longer than a few blocks: the sequential way, which
/// skips an oversize entry without holding it whole.
fn finish_sequentially<R: Read, S: Sink + ?Sized>(
    p: &Parallel<'_>,
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
    let reader = p
        .stages
        .reader(head.as_slice().chain(carry.as_slice()).chain(tail), format);
    p.scan_rest(reader, merge, sink)
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
                last_boundary(self.carried(), text).filter(|&cut| self.keeps_format(cut))
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

    /// Whether a block cut at `cut` can be framed alone: the input's first block is framed by
    /// a reader that detects the format from it, so it must hold the bytes that decide the
    /// format (`[` then a line of text is text; `[` alone, an array).
    fn keeps_format(&self, cut: usize) -> bool {
        !self.first
            || sniff_format(self.carried().get(..cut).unwrap_or(&[]))
                == sniff_format(self.carried())
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
