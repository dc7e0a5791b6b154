//! The parallel paths: the input cut into blocks at entry boundaries, each block scanned by a
//! worker with fresh state, the results merged in input order. The result always equals the
//! sequential path's: same events in the same order, same totals, same line numbers.
//!
//! # Two ways in
//!
//! - **Positional** (a file, a slice): block `i` runs from the first entry boundary at or after
//!   `start + i × block_bytes` to the first one at or after the next block's nominal start. The
//!   worker that takes it finds both with small (4 KiB) reads and reads the block itself, then
//!   scans bytes still in its core's cache; no thread reads for another. At most three blocks
//!   per thread are taken and not yet merged. The calling thread is one of the N workers
//!   (`positional::Handout`): it merges when the next block in order is ready, scans blocks otherwise, and
//!   sleeps only when the window is full. With a merging thread of its own, woken per block,
//!   two threads over 256 MiB had 1,346 context switches and took 133.1 ms; now 361 and 116.8.
//! - **Stream** (a pipe): it cannot be read at offsets, so the calling thread reads it into
//!   blocks (their buffers go round: a fresh half-megabyte buffer meant page faults and zeroing)
//!   and merges one batch while the workers scan the next.
//!
//! # Where a block may start
//!
//! One rule for both ways (`input::cut::starts_entry`): in NDJSON after a `\n` followed by `{` (a
//! pretty-printed object's inner lines are indented), in text after any `\n`. A pretty-printed array
//! read at offsets is cut after a `,` and a `\n` followed by the indentation of the array's
//! first element and `{` (two spaces from gcloud and jq). Such a place can also lie inside an
//! element (a nested array of objects indented alike, a string holding raw newlines) or after
//! the array (`],`): the block before it then does not end where another element is expected,
//! and is treated as a failed cut (below).
//!
//! # Scan and merge
//!
//! A worker scans its block with a fresh assembler, lines numbered from the block's start; the
//! merge shifts its events, malformed lines and state by the lines before it. Fresh state is
//! wrong only for a block that starts while a split traceback (or a header waiting for one) is
//! open: the merge then scans it again with the carried assembler, up to the first place where
//! that scan holds nothing where the fresh scan held nothing too, and splices in the fresh
//! scan's result from there (the fresh scan records its quiet places in its first 128 KiB,
//! `Quieting::Record`; the carried one stops at the first match, `Converge`; the sequential
//! path records nothing, `Off`). 11% of the blocks start inside a split traceback at 2%
//! failures; re-scanning them whole: 171 ms on two threads, stopping early 151, none at all
//! (wrong results) 149.
//!
//! Places are where a scan looks whether it holds anything: after each entry it looked at,
//! and at the end of each run of entries skipped in bulk (the entry with the next literal),
//! which is where a scan that fell quiet anywhere in that run meets the fresh one; the
//! fresh scan also records the first place past its 128 KiB. A place where both scans hold
//! the same whole tracebacks waiting for a header read after them, and nothing else, is as
//! good as one where both hold nothing (`quiet::Waiting`): each such traceback is fixed by
//! its entry, and since issue 23 every whole traceback with a timestamp waits 32 entries.
//! When such tracebacks are all the carried state holds, the block is not scanned again at
//! all if its first scan's first calls into the assembler (`quiet::Window`) show where they
//! stop waiting and that no entry of their streams came before: the merge puts their
//! events there. Over 256 MiB on two threads this took the re-scans from 204 blocks (17.8
//! MB scanned again, 22 blocks whole) to 66 (2.8 MB, none whole); 97111e8, before issue
//! 23, scanned 57 again.
//!
//! A traceback read newest first looks back at the entries before its first frame line
//! (`event::lookback`), in the bytes a reader keeps. A worker has only its block: a lookback
//! that reaches the block's start is cut, and the merge scans the block again, as above,
//! with the last 129 KiB of the merged blocks before it (the merge keeps the last block's
//! buffer for them, copying only when a block is shorter; the sequential reader keeps as
//! much in its second buffer). A place where the first scan held
//! nothing is one to go on from only when no lookback after it looked before it (a scan
//! carried there may have used other entries before it).
//!
//! # Falling back to the sequential path
//!
//! The rest of the input goes the sequential way, from the end of the merged blocks, when no
//! boundary lies within `min(4 blocks, max_entry_bytes)` of a block's nominal start (the
//! sequential reader skips a too-long entry without holding it whole), or when an array block
//! does not end between elements. An array on one line, with `\r\n` line ends or through a
//! pipe goes sequentially from the start, where the reader detects the format itself (a BOM).
//! An error, a sink that stops the run or a panic stops the other workers at their next block.
//!
//! # Thread count and costs
//!
//! The library uses one thread unless told. The `triage` example uses one per core, up to 4,
//! for a regular file of 1 MiB or more, and one for a pipe, whose writer needs a core too (two
//! threads took 229.8 ms against one thread's 208.9). Each thread holds about 3 MiB of blocks
//! (peak RSS over 1 GiB: 10.4, 13.9, 19.3, 30.4 MiB with 1, 2, 4, 8 threads), so 4 stay well
//! inside the 32 MiB the streaming design promises. On two cores over 256 MiB, two threads
//! take 0.6 to 0.75 of one thread's time (the array 0.61) and 10 to 30% more CPU: 139.4
//! against 129.2 M instructions over 32 MiB, mostly the re-scans (5.0 M), `malloc`/`free` of
//! events built on one thread and dropped on the other (3.7 M) and zeroing (3.0 M). Two
//! processes over the two halves of the file took 0.72 of one thread's time where two threads
//! took 0.76: the coordination costs about 6%, the rest is the machine. Property tests check
//! equality with the sequential path for any block size and thread count, both ways in; the
//! fuzz target compares the totals.
//!
//! The code: [`positional`] and [`stream`] are the two ways in, [`merge`] what they share.

mod merge;
mod positional;
mod stream;

pub(crate) use merge::Parallel;
pub(crate) use positional::run as run_positional;
pub(crate) use stream::run as run_stream;
