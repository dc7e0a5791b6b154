//! The parallel path over an input read at offsets (a file, a slice): each worker finds its
//! block's boundaries with small reads and reads the block itself ([`Cutter`]), so no thread
//! reads for the others; the merging thread merges blocks in order and scans blocks itself
//! while the next one in order is not ready ([`Handout`]).

use super::merge::{Block, BlockResult, Merge, Parallel};
use crate::error::Result;
use crate::input::cut::{give_up_after, Cut};
use crate::input::{sniff_format, Format};
use crate::pipeline::read_at::{read_full_at, At, ReadAt};
use crate::pipeline::scan::run_sequential;
use crate::pipeline::sink::Sink;
use crate::report::Report;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Condvar, Mutex, MutexGuard};

/// The parallel path over an input read at offsets. Each worker reads its own blocks
/// (see [`Cutter`]); the merge is the same as the stream's.
pub(crate) fn run<F: ReadAt + ?Sized, S: Sink + ?Sized>(
    p: &Parallel<'_>,
    input: &F,
    range: Range<u64>,
    sink: &mut S,
) -> Result<Report> {
    let pool = p.pool;
    let size = p.block_bytes as u64;
    let mut probe = vec![0; size.min(range.end.saturating_sub(range.start)) as usize];
    let probed = read_full_at(input, &mut probe, range.start)?;
    let probe_bytes = probe.get(..probed).unwrap_or(&[]);
    let format = sniff_format(probe_bytes);
    let Some(cut) = Cut::of(format, probe_bytes) else {
        return run_sequential(p.stages, At::new(input, range), sink);
    };
    let cutter = Cutter {
        input,
        start: range.start,
        end: range.end,
        size,
        cut,
        limit: give_up_after(p.block_bytes, p.stages.max_entry_bytes) as u64,
    };
    let mut merge = p.merge();
    let handout = Handout::new(cutter.blocks(), p.threads as u64, probe);
    let merged = pool.in_place_scope(|scope| {
        // This thread is a worker too, between merges: a third busy thread on two cores
        // would take a core from a worker at each of its wake-ups.
        for _ in 1..p.threads {
            scope.spawn(|_| fetch_blocks(p, &handout, &cutter, format));
        }
        let _guard = PanicGuard(&handout);
        let merged = merge_handed(p, &handout, &cutter, format, &mut merge, sink);
        // Whatever the outcome, the workers must stop waiting for room.
        handout.stop();
        merged
    });
    merged?;
    p.finish_merge(merge, sink)
}

/// A worker's loop: takes the next block while the window has room, reads and scans it,
/// and hands it back.
fn fetch_blocks<F: ReadAt + ?Sized>(
    p: &Parallel<'_>,
    handout: &Handout,
    cutter: &Cutter<'_, F>,
    format: Option<Format>,
) {
    let _guard = PanicGuard(handout);
    while let Some((i, buf)) = handout.take() {
        handout.put(i, fetch_block(p, cutter, i, buf, format));
    }
}

/// The merging thread's loop: merges fetched blocks in order as they are ready, and
/// fetches blocks itself while the next one in order is not.
fn merge_handed<F: ReadAt + ?Sized, S: Sink + ?Sized>(
    p: &Parallel<'_>,
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
                handout.put(i, fetch_block(p, cutter, i, buf, format));
                continue;
            }
            Work::Run(run) => run,
        };
        let (n, mut done) = (run.len(), run.is_empty());
        for fetched in run {
            // After the end (or an early stop), the rest of the run is dropped.
            if !done {
                let at = &mut merged_to;
                done = merge_fetched(p, fetched?, cutter, at, format, merge, &mut spare, sink)?
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
    p: &Parallel<'_>,
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
    let (result, block) = p.scan_block(block, format)?;
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
    p: &Parallel<'_>,
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
            spare.push(p.merge_block(result, block, format, merge, sink)?);
            *merged_to = to;
            Ok(false)
        }
        None => {
            let rest = At::new(cutter.input, *merged_to..cutter.end);
            // At the input's start the reader detects the format, past a BOM.
            let format = format.filter(|_| *merged_to > cutter.start);
            p.scan_rest(p.stages.reader(rest, format), merge, sink)?;
            Ok(true)
        }
    }
}

/// The bytes a block buffer is given past the block size when it must grow.
const BLOCK_ROOM: usize = 16 << 10;

/// A block a worker read and scanned, with the input offset where it ends.
type Fetched = (BlockResult, Block, u64);

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

/// Cuts a [`ReadAt`] input into blocks without reading it through: block `i` runs from the
/// first entry boundary at or after `start + i * size` to the first one at or after the
/// next block's nominal start, boundaries as the stream's `Blocks` finds them. Each worker finds its
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
    use crate::input::cut::element_indent;
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
            let p = triage.parallel().expect("threads");
            let fetched =
                fetch_block(&p, &cutter, i, Vec::new(), Some(Format::Array)).expect("scan");
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
                let p = triage.parallel().expect("threads");
                fetch_block(&p, &cutter, i, Vec::new(), Some(Format::Array))
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
}
