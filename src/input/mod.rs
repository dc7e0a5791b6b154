//! The streaming reader: one reusable buffer, entry boundaries, nothing parsed.
//!
//! Modeled on ripgrep's `grep-searcher` line buffer: the input is read into one `Vec<u8>`
//! (`fill`), whole entries are handed out as slices of it (`next_entry`), the bytes they
//! cover are marked used (`consume`), and the unused tail is moved to the front before the
//! next read (`roll`). The buffer only grows when one entry does not fit, and never beyond
//! `max_entry_bytes` plus a little: an entry larger than that is scanned to its end while its
//! bytes are thrown away, then reported as [`Framed::Oversize`].
//!
//! Framing per format (detected from the first non-whitespace byte, a UTF-8 BOM skipped):
//! - **array** (`[` followed by `{` or `]`): elements are split by a string-aware scanner that
//!   balances `{}` and `[]` together; an element that is not an object is `Malformed`, a
//!   missing closing `]` is tolerated, a truncated last element is `Malformed`.
//! - **NDJSON** (`{`): the fast path takes a line as an entry when, trimmed, it starts with
//!   `{` and ends with `}` — that is the only check made before parsing. A line that starts
//!   with `{` but does not end the object (a pretty-printed object, as `jq '.[]'` prints it)
//!   is framed by the balanced scanner; a raw newline inside a string, or a `{` at the start
//!   of a line while an object is open, ends that entry as `Malformed`. Blank lines are not
//!   entries.
//! - **text** (anything else, including `[` followed by other text, as gunicorn's
//!   `[2026-11-27 07:01:02 +0000] [7] [ERROR] ...` lines): every line is an entry, empty lines
//!   too (tracebacks hold them), with a trailing `\r` removed.

use std::io::{self, Read};

pub(crate) mod cut;
pub(crate) mod decode;
mod framing;
mod kernels;
#[cfg(test)]
mod tests;
mod window;

pub use decode::Binary;
use kernels::Nest;

/// Default cap on one entry's size (`--max-entry-bytes`): 16 MiB.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 16 << 20;

/// How far past `max_entry_bytes` the buffer may grow: room for a BOM and a line end.
const SLACK: usize = 16;

/// The input format, detected from the first non-whitespace byte (a UTF-8 BOM is skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `[`: one JSON array, as `gcloud logging read --format=json` prints it.
    Array,
    /// `{`: one JSON object per line, or pretty-printed objects one after another.
    Ndjson,
    /// Anything else: one line per entry.
    Text,
}

/// One framed entry, borrowed from the reader's buffer until the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framed<'buf> {
    /// A well-framed entry: a JSON object's bytes (`{` .. `}`), or one text line without its
    /// line terminator.
    Entry {
        /// The entry's bytes.
        bytes: &'buf [u8],
        /// The 1-based input line where the entry starts.
        line: u64,
        /// `true` for a JSON entry (array or NDJSON input), `false` for a text line.
        json: bool,
    },
    /// An entry that is not a JSON object, or a truncated last entry.
    Malformed {
        /// The 1-based input line where the entry starts.
        line: u64,
    },
    /// An entry larger than `max_entry_bytes`, skipped without being buffered whole.
    Oversize {
        /// The 1-based input line where the entry starts.
        line: u64,
    },
}

/// An entry as [`Reader::next_entry`] frames it, with its place in the input and the bytes
/// read after it.
pub(crate) struct Lookahead<'buf> {
    pub(crate) framed: Framed<'buf>,
    /// The input offset of the entry's first byte (for malformed and oversize entries, at or
    /// before their end).
    pub(crate) entry_at: u64,
    /// The bytes buffered after the entry, not yet framed.
    pub(crate) rest: &'buf [u8],
    /// The input offset of `rest`'s first byte.
    pub(crate) rest_at: u64,
}

/// Builds a [`Reader`].
#[derive(Clone, Debug)]
pub struct ReaderBuilder {
    capacity: usize,
    max_entry_bytes: usize,
    format: Option<Format>,
    history: usize,
}

impl Default for ReaderBuilder {
    fn default() -> Self {
        ReaderBuilder {
            capacity: 64 << 10,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            format: None,
            history: 0,
        }
    }
}

impl ReaderBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The buffer's starting capacity in bytes (default 64 KiB; 1 is allowed, for tests).
    pub fn capacity(&mut self, bytes: usize) -> &mut Self {
        self.capacity = bytes.max(1);
        self
    }

    /// The largest entry kept, in bytes (default 16 MiB); larger ones are `Oversize`.
    ///
    /// A line's size (text and NDJSON) is its length without the `\n`; an object's size
    /// (arrays, multi-line NDJSON) is the length from its `{` to its `}`.
    pub fn max_entry_bytes(&mut self, bytes: usize) -> &mut Self {
        self.max_entry_bytes = bytes.max(1);
        self
    }

    /// Reads `format` without detecting it (default `None`: detected from the first byte).
    /// For input that starts mid-stream at an entry boundary, as the parallel path's blocks
    /// do: no BOM is skipped then.
    pub fn format(&mut self, format: Option<Format>) -> &mut Self {
        self.format = format;
        self
    }

    /// Bytes kept before the unconsumed ones (default 0), so that [`Reader::history`] holds
    /// at least this many bytes before an entry it frames (or all of them, near the input's
    /// start): event assembly looks back at entries it skipped. They are kept without a copy:
    /// the buffer is rolled into a second one, and the consumed bytes of the first are the
    /// history; the buffers are then at least four times this size.
    pub(crate) fn history(&mut self, bytes: usize) -> &mut Self {
        self.history = bytes;
        self
    }

    /// A reader over bytes already in memory, which become its buffer as they are: no copy,
    /// no zeroing; `bytes[len..]` is ignored. The parallel path's blocks are read this way; [`Reader::into_buffer`]
    /// gives them back unchanged.
    pub(crate) fn build_filled(&self, bytes: Vec<u8>, len: usize) -> Reader<io::Empty> {
        let mut reader = ReaderBuilder {
            capacity: 1,
            ..self.clone()
        }
        .build(io::empty());
        reader.end = len.min(bytes.len());
        reader.buf = bytes;
        // Nothing more will come: `fill` never rolls or grows the buffer.
        reader.eof = true;
        reader
    }

    /// A reader over `rdr`.
    pub fn build<R: Read>(&self, rdr: R) -> Reader<R> {
        let capacity = self.capacity.max(self.history.saturating_mul(4)).max(1);
        Reader {
            rdr,
            buf: vec![0; capacity],
            prev: Vec::new(),
            prev_len: 0,
            pos: 0,
            end: 0,
            eof: false,
            max: self.max_entry_bytes,
            limit: self.max_entry_bytes.saturating_add(SLACK),
            keep: self.history,
            format: self.format,
            phase: match self.format {
                None => Phase::Start,
                Some(Format::Text) => Phase::Text,
                Some(Format::Ndjson) => Phase::Ndjson,
                Some(Format::Array) => Phase::ArrayElem,
            },
            cur: None,
            newlines: 0,
            consumed: 0,
            mid_line: false,
            ended_between_elements: false,
        }
    }
}

/// Where the reader is between entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing read yet: skip a BOM, detect the format.
    Start,
    /// Text lines.
    Text,
    /// NDJSON (or pretty objects one after another): blank lines skipped.
    Ndjson,
    /// Inside an array, where an element (or `]`) is expected.
    ArrayElem,
    /// Inside an array, after an element: `,` or `]` expected.
    ArraySep,
    /// After an array's `]`: another array may follow.
    ArrayEnd,
    /// The input is exhausted.
    Done,
}

/// How the entry being framed ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// At the next `\n`: a text line.
    Text,
    /// At the next `\n`, fast path: the line is an entry if it looks like one object.
    NdjsonLine,
    /// At the next `\n`, always malformed: a line of NDJSON input that does not start with `{`.
    Junk,
    /// At the end of a balanced value (NDJSON object or array element).
    Nested {
        /// Whether NDJSON's extra stops apply (raw newline in a string, `{` at line start).
        ndjson: bool,
    },
}

/// The entry being framed, kept across buffer fills.
#[derive(Clone, Copy, Debug)]
struct Cur {
    mode: Mode,
    /// The 1-based line where the entry starts.
    line: u64,
    /// Bytes from `pos` already scanned without finding the entry's end.
    at: usize,
    /// Bytes of this entry already thrown away (only once it is known to be oversize).
    discarded: u64,
    /// The balanced scanner's state (`Mode::Nested` only).
    nest: Nest,
}

/// What kind of entry was framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Entry { json: bool },
    Malformed,
    Oversize,
}

/// A framed entry as buffer offsets, so it can be returned after the buffer's borrow ends.
#[derive(Clone, Copy, Debug)]
struct Out {
    kind: Kind,
    start: usize,
    len: usize,
    line: u64,
}

/// What a step of the state machine did.
enum Flow {
    Again,
    Yield(Out),
}

/// Frames entries from any `Read` into one reusable buffer.
///
/// Invariants: `pos <= end <= buf.len()`; `buf[pos..end]` is read but not yet consumed; the
/// buffer grows only while `buf[pos..end]` holds part of one entry of at most
/// `max_entry_bytes` (or, keeping history, while fewer than `keep` bytes are consumed), so
/// `buf.len() <= max(capacity, 4 * keep, max_entry_bytes + SLACK + 2 * keep)`.
#[derive(Debug)]
pub struct Reader<R> {
    rdr: R,
    buf: Vec<u8>,
    /// The buffer before the last roll (with `keep`): `prev[..prev_len]` are the bytes just
    /// before `buf[0]` in the input.
    prev: Vec<u8>,
    prev_len: usize,
    /// Start of the unconsumed bytes.
    pos: usize,
    /// End of the bytes read.
    end: usize,
    /// The input returned 0 bytes: nothing more will come.
    eof: bool,
    /// `max_entry_bytes`.
    max: usize,
    /// The buffer's growth cap and the detection look-ahead: `max + SLACK`.
    limit: usize,
    /// Bytes kept before `pos` when rolling (see [`ReaderBuilder::history`]).
    keep: usize,
    format: Option<Format>,
    phase: Phase,
    /// The entry being framed, if its end is not in the buffer yet.
    cur: Option<Cur>,
    /// `\n` bytes consumed: the current line is `newlines + 1`.
    newlines: u64,
    /// Bytes consumed.
    consumed: u64,
    /// The last byte consumed was not a `\n`: a line is partly consumed.
    mid_line: bool,
    /// The input ended inside an array where an element was expected, with no entry open.
    ended_between_elements: bool,
}

/// The format of an input whose first non-whitespace byte is `first`; `next` is the first
/// non-whitespace byte after it (`None` when the look-ahead ran out). gunicorn's text lines
/// start with `[` too: an array holds objects.
fn format_of(first: u8, next: Option<u8>) -> Format {
    match (first, next) {
        (b'{', _) => Format::Ndjson,
        (b'[', Some(b'{' | b']') | None) => Format::Array,
        _ => Format::Text,
    }
}

/// The format a [`Reader`] detects for an input that starts with `bytes` (a BOM skipped), or
/// `None` when they are empty or whitespace only. The parallel path decides from its first
/// block whether it can cut the input at all.
pub(crate) fn sniff_format(bytes: &[u8]) -> Option<Format> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rest = bytes.iter().copied().skip_while(|&b| is_ws(b));
    let first = rest.next()?;
    let next = rest.find(|&b| !is_ws(b));
    Some(format_of(first, next))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| !is_ws(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_ws(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or(&[])
}

/// Offset and length of `bytes` trimmed of JSON whitespace.
fn trim_range(bytes: &[u8]) -> (usize, usize) {
    let start = bytes.iter().position(|&b| !is_ws(b)).unwrap_or(bytes.len());
    (start, trim(bytes).len())
}

impl<R: Read> Reader<R> {
    /// A reader with the default options.
    pub fn new(rdr: R) -> Self {
        ReaderBuilder::new().build(rdr)
    }

    /// The next entry, or `None` at the end of the input.
    ///
    /// Errors are the input's read errors only; bad input is reported as
    /// [`Framed::Malformed`] or [`Framed::Oversize`].
    pub fn next_entry(&mut self) -> io::Result<Option<Framed<'_>>> {
        Ok(self.next_out()?.map(|out| self.framed(out)))
    }

    /// [`Reader::next_entry`], with where the entry starts in the input and the bytes
    /// buffered after it, for a caller that searches ahead of the framing (the prefilter's
    /// `Ahead`).
    pub(crate) fn next_entry_ahead(&mut self) -> io::Result<Option<Lookahead<'_>>> {
        let Some(out) = self.next_out()? else {
            return Ok(None);
        };
        // `out.start <= pos` for every entry: it was consumed before it is yielded.
        let entry_at = self.consumed - (self.pos.saturating_sub(out.start)) as u64;
        Ok(Some(Lookahead {
            framed: self.framed(out),
            entry_at,
            rest: self.buffer(),
            rest_at: self.consumed,
        }))
    }

    /// Consumes the whole lines of the buffer that end at or before input offset `before`
    /// and that [`Reader::next_entry`] would frame as well-formed entries (an NDJSON line
    /// `{...}` or a text line) or skip (a blank NDJSON line), without framing them one by
    /// one; returns how many entries it consumed. It stops at the first line that needs
    /// more (a malformed, oversize or unfinished one), which `next_entry` then frames.
    pub(crate) fn skip_entries_before(&mut self, before: u64) -> u64 {
        let text = match self.phase {
            Phase::Ndjson => false,
            Phase::Text => true,
            _ => return 0,
        };
        if self.cur.is_some() || before <= self.consumed {
            return 0;
        }
        let room = usize::try_from(before - self.consumed).unwrap_or(usize::MAX);
        let buf = self.buffer();
        let hay = buf.get(..room.min(buf.len())).unwrap_or(&[]);
        let (mut taken, mut entries, mut lines) = (0, 0, 0);
        for nl in memchr::memchr_iter(b'\n', hay) {
            let line = hay.get(taken..nl).unwrap_or(&[]);
            if line.len() > self.max {
                break;
            }
            if !text {
                let t = trim(line);
                let object = t.first() == Some(&b'{') && t.last() == Some(&b'}');
                if !(object || t.is_empty()) {
                    break;
                }
                entries += u64::from(object);
            } else {
                entries += 1;
            }
            lines += 1;
            taken = nl + 1;
        }
        self.consume(taken, lines);
        entries
    }

    fn next_out(&mut self) -> io::Result<Option<Out>> {
        loop {
            match self.step()? {
                Flow::Again => {}
                Flow::Yield(out) => return Ok(Some(out)),
            }
            if self.phase == Phase::Done {
                return Ok(None);
            }
        }
    }

    fn framed(&self, out: Out) -> Framed<'_> {
        match out.kind {
            Kind::Entry { json } => Framed::Entry {
                bytes: out
                    .start
                    .checked_add(out.len)
                    .and_then(|end| self.buf.get(out.start..end))
                    .unwrap_or(&[]),
                line: out.line,
                json,
            },
            Kind::Malformed => Framed::Malformed { line: out.line },
            Kind::Oversize => Framed::Oversize { line: out.line },
        }
    }

    /// The buffer, for a reader made by [`ReaderBuilder::build_filled`]: its bytes as given,
    /// since such a reader never reads, rolls or grows it.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Whether the input ended inside an array where the next element was expected (after
    /// `[` or `,`), with no entry open: where a block cut between two elements ends.
    pub(crate) fn ended_between_elements(&self) -> bool {
        self.ended_between_elements
    }

    /// The detected format; `None` before the first entry is read or for empty input.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Input lines consumed so far (after the end: the input's line count, a last line
    /// without `\n` included).
    pub fn lines(&self) -> u64 {
        self.newlines + u64::from(self.mid_line)
    }

    /// Bytes consumed from the input so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// The unconsumed bytes.
    fn buffer(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Marks `n` bytes holding `newlines` line ends as consumed.
    fn consume(&mut self, n: usize, newlines: u64) {
        let n = n.min(self.end - self.pos);
        if n == 0 {
            return;
        }
        self.mid_line = self.buf.get(self.pos + n - 1) != Some(&b'\n');
        self.pos += n;
        self.consumed += n as u64;
        self.newlines += newlines;
    }

    /// Marks `n` bytes as consumed, counting their line ends.
    fn consume_counting(&mut self, n: usize) {
        let n = n.min(self.end - self.pos);
        let newlines = self
            .buffer()
            .get(..n)
            .map_or(0, |b| memchr::memchr_iter(b'\n', b).count());
        self.consume(n, newlines as u64);
    }

    /// The bytes still held before input offset `at` (an entry just framed starts there):
    /// those of the buffer before the last roll, then those of the buffer; and whether they
    /// start at the reader's first byte (nothing was dropped yet). Together they run back at
    /// least [`ReaderBuilder::history`] bytes, when the input has them.
    pub(crate) fn history(&self, at: u64) -> (&[u8], &[u8], bool) {
        // `buf[0]` is at input offset `consumed - pos`.
        let first = self.consumed - self.pos as u64;
        let len = usize::try_from(at.saturating_sub(first)).unwrap_or(usize::MAX);
        let current = self.buf.get(..len.min(self.end)).unwrap_or(&[]);
        let earlier = self.prev.get(..self.prev_len).unwrap_or(&[]);
        (earlier, current, first == self.prev_len as u64)
    }

    /// Moves the unconsumed bytes to the front of the buffer. Keeping history, they go to
    /// the front of the other buffer instead, and the consumed bytes stay where they are.
    fn roll(&mut self) {
        if self.pos == 0 {
            return;
        }
        if self.keep == 0 {
            self.buf.copy_within(self.pos..self.end, 0);
        } else {
            if self.prev.len() < self.buf.len() {
                // Zeroed by the allocator (fresh pages), not by a fill.
                self.prev = vec![0; self.buf.len()];
            }
            let unconsumed = self.buf.get(self.pos..self.end).unwrap_or(&[]);
            if let Some(front) = self.prev.get_mut(..unconsumed.len()) {
                front.copy_from_slice(unconsumed);
            }
            std::mem::swap(&mut self.buf, &mut self.prev);
            self.prev_len = self.pos;
        }
        self.end -= self.pos;
        self.pos = 0;
    }

    /// Reads more input after `end`, rolling and (up to `limit`) growing the buffer first.
    /// Returns `false` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let len = self.buf.len();
        if self.keep == 0 {
            self.roll();
        } else if len - self.end < len / 4 {
            // Rolled only when short of room, and only once `keep` bytes were consumed: the
            // buffer rolled away holds the history.
            let cap = self.limit.saturating_add(2 * self.keep);
            if self.pos >= self.keep || len >= cap {
                self.roll();
            } else {
                self.buf
                    .resize(len.saturating_mul(2).min(cap).max(len + 1), 0);
            }
        }
        if self.end == self.buf.len() {
            let len = self.buf.len();
            // The callers discard or give up before the cap; `len + 1` only guards progress.
            let cap = self.limit.saturating_add(2 * self.keep);
            let new_len = len.saturating_mul(2).min(cap).max(len + 1);
            self.buf.resize(new_len, 0);
        }
        loop {
            let room = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            let room_len = room.len();
            match self.rdr.read(room) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                // A misbehaving reader may claim more than the room it was given.
                Ok(n) => {
                    self.end += n.min(room_len);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
