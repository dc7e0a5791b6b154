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

use memchr::{memchr, memchr2, memchr3};
use std::io::{self, Read};

mod window;

/// Default cap on one entry's size (`--max-entry-bytes`): 16 MiB.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 16 << 20;

/// How far past `max_entry_bytes` the buffer may grow: room for a BOM and a line end.
const SLACK: usize = 16;

/// The input format, detected from the first non-whitespace byte (a UTF-8 BOM is skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
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
}

impl Default for ReaderBuilder {
    fn default() -> Self {
        ReaderBuilder {
            capacity: 64 << 10,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            format: None,
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
        Reader {
            rdr,
            buf: vec![0; self.capacity.max(1)],
            pos: 0,
            end: 0,
            eof: false,
            max: self.max_entry_bytes,
            limit: self.max_entry_bytes.saturating_add(SLACK),
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

/// State of the string-aware balanced scanner, resumable at any byte.
#[derive(Clone, Copy, Debug, Default)]
struct Nest {
    depth: u64,
    in_str: bool,
    escaped: bool,
    line_start: bool,
}

/// Where the balanced scanner stopped, as offsets into the scanned slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// The closing `}`/`]` that ends the value (inclusive).
    Close(usize),
    /// A `,` or an unmatched closer at depth 0 (exclusive): the end of a scalar element.
    Sep(usize),
    /// A raw `\n` inside a string (NDJSON): the object is broken; the line ends it.
    StrNewline(usize),
    /// A `{` at the start of a line while the object is open (NDJSON): a new object starts
    /// here, the open one is broken.
    LineBrace(usize),
    /// No end in the slice.
    More,
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
/// `max_entry_bytes`, so `buf.len() <= max(capacity, max_entry_bytes + SLACK)`.
#[derive(Debug)]
pub struct Reader<R> {
    rdr: R,
    buf: Vec<u8>,
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

/// The current line entry, handed to the balanced scanner from its first byte.
fn restart_nested(cur: &Cur) -> Cur {
    Cur {
        mode: Mode::Nested { ndjson: true },
        at: 0,
        nest: Nest::default(),
        ..*cur
    }
}

/// How many bytes of a string are searched 8 at a time before handing over to `memchr`: most
/// strings of a pretty-printed entry (keys, ids, labels) are shorter, and a `memchr` call
/// costs more than it saves on them.
const SHORT_STRING: usize = 64;

/// The first `"` or `\\` (and for NDJSON `\n`) in `hay`: where a string may end.
fn string_end(hay: &[u8], ndjson: bool) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let third = if ndjson { b'\n' } else { b'"' };
    let splat = |b: u8| u64::from_ne_bytes([b; 8]);
    let (quote, backslash, newline) = (splat(b'"'), splat(b'\\'), splat(third));
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let head = hay.len().min(SHORT_STRING);
    let mut i = 0;
    // SWAR: bytes equal to a needle become zero; the lowest flagged byte is the first hit
    // (flags above a true zero may be false, flags below it never are).
    while let Some(chunk) = hay.get(i..i + 8).filter(|_| i + 8 <= head) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let hits = has_zero(v ^ quote) | has_zero(v ^ backslash) | has_zero(v ^ newline);
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = hay.get(i..).unwrap_or(&[]);
    let found = if ndjson {
        memchr3(b'"', b'\\', b'\n', rest)
    } else {
        memchr2(b'"', b'\\', rest)
    };
    found.map(|j| i + j)
}

/// Bytes that matter outside strings (`\n` for NDJSON only); whitespace, `:`, digits and
/// the letters of `true`/`null` do not.
static STRUCTURAL: [bool; 256] = byte_table(b"\"{}[],\n");

const fn byte_table(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// Scans `hay` for the end of a balanced JSON value, resuming from `nest`.
fn scan_nested(hay: &[u8], nest: &mut Nest, ndjson: bool) -> Stop {
    // Work on a copy, so the state lives in registers in the hot loop.
    let mut st = *nest;
    let stop = if ndjson {
        scan_nested_inner(hay, &mut st, true)
    } else {
        window::scan_array_value(hay, &mut st)
    };
    *nest = st;
    stop
}

fn shifted(stop: Stop, by: usize) -> Stop {
    match stop {
        Stop::Close(i) => Stop::Close(i + by),
        Stop::Sep(i) => Stop::Sep(i + by),
        Stop::StrNewline(i) => Stop::StrNewline(i + by),
        Stop::LineBrace(i) => Stop::LineBrace(i + by),
        Stop::More => Stop::More,
    }
}

#[inline(always)]
fn scan_nested_inner(hay: &[u8], st: &mut Nest, ndjson: bool) -> Stop {
    let mut i = 0;
    if st.line_start {
        let Some(&b) = hay.first() else {
            return Stop::More;
        };
        st.line_start = false;
        if ndjson && b == b'{' && st.depth > 0 {
            return Stop::LineBrace(0);
        }
    }
    loop {
        if st.in_str {
            if st.escaped {
                if i >= hay.len() {
                    return Stop::More;
                }
                st.escaped = false;
                i += 1;
            }
            // Strings are most of an entry's bytes: jump over them.
            let Some(j) = string_end(hay.get(i..).unwrap_or(&[]), ndjson) else {
                return Stop::More;
            };
            i += j;
            match hay.get(i) {
                Some(b'"') => st.in_str = false,
                Some(b'\\') => st.escaped = true,
                _ => return Stop::StrNewline(i),
            }
            i += 1;
            continue;
        }
        let Some(j) = structural(hay.get(i..).unwrap_or(&[]), ndjson) else {
            return Stop::More;
        };
        i += j;
        let Some(&b) = hay.get(i) else {
            return Stop::More;
        };
        match b {
            b'"' => st.in_str = true,
            b'{' | b'[' => st.depth = st.depth.saturating_add(1),
            b'}' | b']' => {
                if st.depth == 0 {
                    return Stop::Sep(i);
                }
                st.depth -= 1;
                if st.depth == 0 {
                    return Stop::Close(i);
                }
            }
            b',' if st.depth == 0 => return Stop::Sep(i),
            // The next byte decides whether a new NDJSON object starts there.
            b'\n' if ndjson => match hay.get(i + 1) {
                None => st.line_start = true,
                Some(b'{') if st.depth > 0 => return Stop::LineBrace(i + 1),
                Some(_) => {}
            },
            // `,` inside an object, and `structural`'s false positives.
            _ => {}
        }
        i += 1;
    }
}

/// The first byte of `hay` that may matter outside a string: `"`, `{`, `}`, `[`, `]`, `,`
/// and for NDJSON `\n`; also `Y`, `_`, `y` and DEL, which share the brackets' bit pattern
/// and are skipped by the caller (outside strings, valid JSON holds none of them).
///
/// Eight bytes at a time: the runs between structural bytes of a pretty-printed entry
/// (indentation, `": "`) are short and of varying length, which a byte loop mispredicts.
#[inline(always)]
fn structural(hay: &[u8], ndjson: bool) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let splat = |b: u8| u64::from_ne_bytes([b; 8]);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    // `{` `}` `[` `]` differ only in bits 0x20, 0x04 and 0x02: clear those, compare to 0x59.
    let (bracket_mask, bracket) = (splat(!0x26), splat(0x59));
    let (quote, comma) = (splat(b'"'), splat(b','));
    let newline = splat(if ndjson { b'\n' } else { b'"' });
    let mut i = 0;
    while let Some(chunk) = hay.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let hits = has_zero((v & bracket_mask) ^ bracket)
            | has_zero(v ^ quote)
            | has_zero(v ^ comma)
            | has_zero(v ^ newline);
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let tail = hay.get(i..).unwrap_or(&[]);
    tail.iter()
        .position(|&b| STRUCTURAL[usize::from(b)] && (ndjson || b != b'\n'))
        .map(|j| i + j)
}

/// The balanced scanner written the slow, obvious way, one byte at a time: the oracle for
/// `scan_nested`.
#[cfg(test)]
fn scan_nested_naive(hay: &[u8], nest: &mut Nest, ndjson: bool) -> Stop {
    for (i, &b) in hay.iter().enumerate() {
        let line_start = std::mem::take(&mut nest.line_start);
        if nest.in_str {
            if nest.escaped {
                nest.escaped = false;
            } else if b == b'"' {
                nest.in_str = false;
            } else if b == b'\\' {
                nest.escaped = true;
            } else if b == b'\n' && ndjson {
                return Stop::StrNewline(i);
            }
            continue;
        }
        if line_start && ndjson && b == b'{' && nest.depth > 0 {
            return Stop::LineBrace(i);
        }
        match b {
            b'"' => nest.in_str = true,
            b'{' | b'[' => nest.depth += 1,
            b'}' | b']' if nest.depth == 0 => return Stop::Sep(i),
            b'}' | b']' => {
                nest.depth -= 1;
                if nest.depth == 0 {
                    return Stop::Close(i);
                }
            }
            b',' if nest.depth == 0 => return Stop::Sep(i),
            b'\n' if ndjson => nest.line_start = true,
            _ => {}
        }
    }
    Stop::More
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
    /// buffered after it, for a caller that searches ahead of the framing ([`crate::Ahead`]).
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

    /// Moves the unconsumed bytes to the front of the buffer.
    fn roll(&mut self) {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
    }

    /// Reads more input after `end`, rolling and (up to `limit`) growing the buffer first.
    /// Returns `false` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.roll();
        if self.end == self.buf.len() {
            let len = self.buf.len();
            // The callers discard or give up before the cap; `len + 1` only guards progress.
            let new_len = len.saturating_mul(2).min(self.limit).max(len + 1);
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

    /// One step of the state machine.
    fn step(&mut self) -> io::Result<Flow> {
        if let Some(cur) = self.cur {
            return self.continue_entry(cur);
        }
        match self.phase {
            Phase::Start => self.detect(),
            Phase::Text => {
                if self.buffer().is_empty() && !self.fill()? {
                    self.phase = Phase::Done;
                } else {
                    self.begin(Mode::Text);
                }
                Ok(Flow::Again)
            }
            Phase::Ndjson => {
                match self.skip_ws()? {
                    None => self.phase = Phase::Done,
                    Some(b'{') => self.begin(Mode::NdjsonLine),
                    Some(_) => self.begin(Mode::Junk),
                }
                Ok(Flow::Again)
            }
            Phase::ArrayElem => self.array_elem(),
            Phase::ArraySep => {
                match self.skip_ws()? {
                    None => self.phase = Phase::Done,
                    Some(b',') => {
                        self.consume(1, 0);
                        self.phase = Phase::ArrayElem;
                    }
                    Some(b']') => {
                        self.consume(1, 0);
                        self.phase = Phase::ArrayEnd;
                    }
                    // A missing `,`: take what follows as the next element.
                    Some(_) => self.phase = Phase::ArrayElem,
                }
                Ok(Flow::Again)
            }
            Phase::ArrayEnd => {
                match self.skip_ws()? {
                    None => self.phase = Phase::Done,
                    // `cat a.json b.json`: arrays one after another.
                    Some(b'[') => {
                        self.consume(1, 0);
                        self.phase = Phase::ArrayElem;
                    }
                    Some(_) => self.phase = Phase::Ndjson,
                }
                Ok(Flow::Again)
            }
            Phase::Done => Ok(Flow::Again),
        }
    }

    fn array_elem(&mut self) -> io::Result<Flow> {
        match self.skip_ws()? {
            None => {
                self.phase = Phase::Done;
                self.ended_between_elements = true;
            }
            Some(b']') => {
                self.consume(1, 0);
                self.phase = Phase::ArrayEnd;
            }
            // An empty element (`[,` or `,,`).
            Some(b',') => {
                let line = self.newlines + 1;
                self.consume(1, 0);
                return Ok(Flow::Yield(Out {
                    kind: Kind::Malformed,
                    start: 0,
                    len: 0,
                    line,
                }));
            }
            Some(_) => {
                self.phase = Phase::ArraySep;
                self.begin(Mode::Nested { ndjson: false });
            }
        }
        Ok(Flow::Again)
    }

    /// Starts framing an entry at `pos`.
    fn begin(&mut self, mode: Mode) {
        self.cur = Some(Cur {
            mode,
            line: self.newlines + 1,
            at: 0,
            discarded: 0,
            nest: Nest::default(),
        });
    }

    /// Skips JSON whitespace; returns the next byte (not consumed), `None` at the end.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.buffer();
            match buf.iter().position(|&b| !is_ws(b)) {
                Some(i) => {
                    let next = buf.get(i).copied();
                    self.consume_counting(i);
                    return Ok(next);
                }
                None => {
                    self.consume_counting(buf.len());
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Offset from `pos` of the first non-whitespace byte at or after `from`, without
    /// consuming anything; `None` at the end of the input or past `limit`.
    fn peek_non_ws(&mut self, from: usize) -> io::Result<Option<usize>> {
        let mut from = from;
        loop {
            let buf = self.buffer();
            if let Some(i) = buf
                .get(from..)
                .and_then(|b| b.iter().position(|&c| !is_ws(c)))
            {
                return Ok(Some(from + i));
            }
            from = buf.len();
            if from > self.limit || !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Skips a BOM and decides the format without consuming a text line's bytes.
    fn detect(&mut self) -> io::Result<Flow> {
        while self.buffer().len() < 3 && self.fill()? {}
        if self.buffer().starts_with(b"\xEF\xBB\xBF") {
            self.consume(3, 0);
        }
        let first = loop {
            match self.peek_non_ws(0)? {
                Some(i) => break self.buffer().get(i).copied().map(|b| (i, b)),
                // Whitespace past the look-ahead: consume it and look further.
                None if !self.eof => {
                    let n = self.buffer().len();
                    self.consume_counting(n);
                }
                None => break None,
            }
        };
        let Some((i, b)) = first else {
            self.consume_counting(self.buffer().len());
            self.phase = Phase::Done;
            return Ok(Flow::Again);
        };
        let next = match b {
            b'[' => self
                .peek_non_ws(i + 1)?
                .and_then(|j| self.buffer().get(j).copied()),
            _ => None,
        };
        let format = format_of(b, next);
        self.format = Some(format);
        self.phase = match format {
            Format::Array => {
                self.consume_counting(i + 1);
                Phase::ArrayElem
            }
            Format::Ndjson => Phase::Ndjson,
            Format::Text => Phase::Text,
        };
        Ok(Flow::Again)
    }

    /// Looks for the end of the current entry in the buffer; reads more when it is not there.
    fn continue_entry(&mut self, mut cur: Cur) -> io::Result<Flow> {
        let flow = match cur.mode {
            Mode::Text | Mode::NdjsonLine | Mode::Junk => self.scan_line(&mut cur)?,
            Mode::Nested { ndjson } => self.scan_value(&mut cur, ndjson)?,
        };
        self.cur = match flow {
            Flow::Yield(_) => None,
            Flow::Again => Some(cur),
        };
        Ok(flow)
    }

    /// Line modes: the entry ends at the next `\n` (or the end of the input).
    fn scan_line(&mut self, cur: &mut Cur) -> io::Result<Flow> {
        let hay = self.buffer().get(cur.at..).unwrap_or(&[]);
        let (len, newline) = match memchr(b'\n', hay) {
            Some(i) => (cur.at + i, true),
            None if self.eof => (self.buffer().len(), false),
            None => {
                cur.at = self.buffer().len();
                if cur.at > self.max {
                    if cur.mode == Mode::NdjsonLine {
                        // Too long for the fast path: the balanced scanner decides.
                        *cur = restart_nested(cur);
                        return Ok(Flow::Again);
                    }
                    cur.discarded += cur.at as u64;
                    self.consume(cur.at, 0);
                    cur.at = 0;
                }
                self.fill()?;
                return Ok(Flow::Again);
            }
        };
        let size = cur.discarded + len as u64;
        let line_bytes = self.buffer().get(..len).unwrap_or(&[]);
        let kind = if size > self.max as u64 {
            if cur.mode == Mode::NdjsonLine {
                *cur = restart_nested(cur);
                return Ok(Flow::Again);
            }
            Kind::Oversize
        } else {
            match cur.mode {
                Mode::NdjsonLine => {
                    let t = trim(line_bytes);
                    if !(t.first() == Some(&b'{') && t.last() == Some(&b'}')) {
                        *cur = restart_nested(cur);
                        return Ok(Flow::Again);
                    }
                    Kind::Entry { json: true }
                }
                Mode::Text => Kind::Entry { json: false },
                _ => Kind::Malformed,
            }
        };
        let (off, n) = match cur.mode {
            Mode::Text => (0, len - usize::from(line_bytes.last() == Some(&b'\r'))),
            _ => trim_range(line_bytes),
        };
        let out = Out {
            kind,
            start: self.pos + off,
            len: n,
            line: cur.line,
        };
        if newline {
            self.consume(len + 1, 1);
        } else {
            self.consume(len, 0);
            self.phase = Phase::Done;
        }
        Ok(Flow::Yield(out))
    }

    /// Balanced modes: the entry ends where its value closes.
    fn scan_value(&mut self, cur: &mut Cur, ndjson: bool) -> io::Result<Flow> {
        let hay = self.buffer().get(cur.at..).unwrap_or(&[]);
        let stop = scan_nested(hay, &mut cur.nest, ndjson);
        // (bytes of the entry from `pos`, bytes to consume)
        let (len, take) = match stop {
            Stop::Close(i) => (cur.at + i + 1, cur.at + i + 1),
            Stop::Sep(i) | Stop::LineBrace(i) => (cur.at + i, cur.at + i),
            Stop::StrNewline(i) => (cur.at + i, cur.at + i + 1),
            Stop::More => {
                cur.at = self.buffer().len();
                if self.eof {
                    // A truncated last entry.
                    let size = cur.discarded + cur.at as u64;
                    let kind = if size > self.max as u64 {
                        Kind::Oversize
                    } else {
                        Kind::Malformed
                    };
                    self.consume_counting(cur.at);
                    self.phase = Phase::Done;
                    return Ok(Flow::Yield(Out {
                        kind,
                        start: 0,
                        len: 0,
                        line: cur.line,
                    }));
                }
                if cur.at > self.max {
                    cur.discarded += cur.at as u64;
                    self.consume_counting(cur.at);
                    cur.at = 0;
                }
                self.fill()?;
                return Ok(Flow::Again);
            }
        };
        let bytes = self.buffer().get(..len).unwrap_or(&[]);
        let (off, n) = trim_range(bytes);
        let t = bytes.get(off..off + n).unwrap_or(&[]);
        // The size counts every byte from the entry's start, so that it does not depend on
        // where the buffer was cut.
        let kind = if cur.discarded + len as u64 > self.max as u64 {
            Kind::Oversize
        } else if matches!(stop, Stop::Close(_))
            && t.first() == Some(&b'{')
            && t.last() == Some(&b'}')
        {
            Kind::Entry { json: true }
        } else {
            Kind::Malformed
        };
        let out = Out {
            kind,
            start: self.pos + off,
            len: n,
            line: cur.line,
        };
        // A stray closer at depth 0 is its own (malformed) element: always make progress.
        // (With bytes discarded, progress is made and the stop may sit at offset 0.)
        let take = if take == 0 && cur.discarded == 0 {
            1
        } else {
            take
        };
        self.consume_counting(take);
        Ok(Flow::Yield(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_format_agrees_with_the_reader() {
        let inputs: &[&[u8]] = &[
            b"",
            b"  \n\t",
            b"\xEF\xBB\xBF{\"a\":1}\n",
            b"[\n  {\"a\": 1}\n]\n",
            b"[]",
            b"[",
            b"[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process\n",
            b"\r\n  {\"severity\":\"ERROR\"}\n",
            b"Traceback (most recent call last):\n",
        ];
        for input in inputs {
            let mut rdr = ReaderBuilder::new().build(*input);
            while rdr.next_entry().expect("in memory").is_some() {}
            assert_eq!(
                sniff_format(input),
                rdr.format(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// A framed entry written short: `E3:{..}` (entry on line 3), `M3`, `O3`.
    fn frames_with(
        input: &[u8],
        capacity: usize,
        max: usize,
    ) -> (Vec<String>, Option<Format>, u64) {
        let mut rdr = ReaderBuilder::new()
            .capacity(capacity)
            .max_entry_bytes(max)
            .build(input);
        let mut out = Vec::new();
        while let Some(f) = rdr.next_entry().unwrap() {
            out.push(match f {
                Framed::Entry { bytes, line, json } => format!(
                    "{}{line}:{}",
                    if json { "E" } else { "T" },
                    String::from_utf8_lossy(bytes)
                ),
                Framed::Malformed { line } => format!("M{line}"),
                Framed::Oversize { line } => format!("O{line}"),
            });
        }
        assert_eq!(rdr.bytes_read(), input.len() as u64, "all input consumed");
        (out, rdr.format(), rdr.lines())
    }

    /// Frames `input` with the default capacity, then checks every capacity from 1 gives the
    /// same answer.
    fn frames_max(input: &[u8], max: usize) -> Vec<String> {
        let (want, format, lines) = frames_with(input, 64 << 10, max);
        for cap in 1..=input.len().min(40) + 1 {
            assert_eq!(
                frames_with(input, cap, max),
                (want.clone(), format, lines),
                "capacity {cap}"
            );
        }
        want
    }

    fn frames(input: &[u8]) -> Vec<String> {
        frames_max(input, DEFAULT_MAX_ENTRY_BYTES)
    }

    fn format_of(input: &[u8]) -> Option<Format> {
        frames_with(input, 64, 1 << 20).1
    }

    #[test]
    fn empty_input() {
        assert!(frames(b"").is_empty());
        assert_eq!(format_of(b""), None);
        assert_eq!(frames_with(b"", 1, 10).2, 0);
    }

    #[test]
    fn whitespace_only() {
        assert!(frames(b"  \n\r\n\t\n").is_empty());
        assert_eq!(format_of(b" \n \n"), None);
    }

    #[test]
    fn empty_array() {
        assert!(frames(b"[]").is_empty());
        assert!(frames(b"[\n]\n").is_empty());
        assert_eq!(format_of(b"[]"), Some(Format::Array));
        assert_eq!(format_of(b"  [ \n ]"), Some(Format::Array));
    }

    #[test]
    fn format_detection() {
        let rows: &[(&[u8], Format)] = &[
            (b"{\"a\":1}\n", Format::Ndjson),
            (b"\n\n  {\"a\":1}", Format::Ndjson),
            (b"[\n  {\n    \"a\": 1\n  }\n]\n", Format::Array),
            (
                b"[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process\n",
                Format::Text,
            ),
            (b"Traceback (most recent call last):\n", Format::Text),
            (b"\xEF\xBB\xBF{\"a\":1}\n", Format::Ndjson),
            (b"[", Format::Array),
        ];
        for (input, want) in rows {
            assert_eq!(
                format_of(input),
                Some(*want),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(frames(b"\xEF\xBB\xBF{\"a\":1}\n"), ["E1:{\"a\":1}"]);
        assert_eq!(frames(b"\xEF\xBB\xBF[{\"a\":1}]"), ["E1:{\"a\":1}"]);
        assert_eq!(frames(b"\xEF\xBB\xBFhello\n"), ["T1:hello"]);
    }

    #[test]
    fn crlf_ndjson_and_text() {
        assert_eq!(
            frames(b"{\"a\":1}\r\n\r\n{\"b\":2}\r\n"),
            ["E1:{\"a\":1}", "E3:{\"b\":2}"]
        );
        assert_eq!(frames(b"one\r\n\r\ntwo\r\n"), ["T1:one", "T2:", "T3:two"]);
    }

    #[test]
    fn text_keeps_blank_lines() {
        let input = b"\nTraceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n\nNameError: x\nlast";
        assert_eq!(
            frames(input),
            [
                "T1:",
                "T2:Traceback (most recent call last):",
                "T3:  File \"app.py\", line 1, in <module>",
                "T4:",
                "T5:NameError: x",
                "T6:last"
            ]
        );
        assert_eq!(frames_with(input, 1, 100).2, 6);
    }

    #[test]
    fn ndjson_blank_lines_are_not_entries() {
        assert_eq!(
            frames(b"\n{\"a\":1}\n\n   \n{\"b\":2}"),
            ["E2:{\"a\":1}", "E5:{\"b\":2}"]
        );
    }

    #[test]
    fn array_strings_holding_structure() {
        let input = br#"[
  {
    "textPayload": "} ] { [ \" \\ \\\" ,",
    "x": "\\"
  },
  {
    "textPayload": "ok"
  }
]"#;
        assert_eq!(
            frames(input),
            [
                "E2:{\n    \"textPayload\": \"} ] { [ \\\" \\\\ \\\\\\\" ,\",\n    \"x\": \"\\\\\"\n  }",
                "E6:{\n    \"textPayload\": \"ok\"\n  }",
            ]
        );
    }

    #[test]
    fn array_nested_values() {
        let input = b"[{\"a\":{\"b\":[1,{\"c\":[]}],\"d\":{}}},{\"e\":[[],[{}]]}]";
        assert_eq!(
            frames(input),
            [
                "E1:{\"a\":{\"b\":[1,{\"c\":[]}],\"d\":{}}}",
                "E1:{\"e\":[[],[{}]]}"
            ]
        );
    }

    #[test]
    fn array_non_objects_are_malformed() {
        // (The first element must be an object, or the input is taken for text.)
        assert_eq!(
            frames(b"[\n  {},\n  1,\n  \"s,]\",\n  [1, {}],\n  null,\n  {\"a\": 1}\n]"),
            ["E2:{}", "M3", "M4", "M5", "M6", "E7:{\"a\": 1}"]
        );
        assert_eq!(
            frames(b"[{},,{\"a\":1},,]"),
            ["E1:{}", "M1", "E1:{\"a\":1}", "M1"]
        );
        assert_eq!(frames(b"[{}}{\"a\":1}]"), ["E1:{}", "M1", "E1:{\"a\":1}"]);
    }

    #[test]
    fn array_missing_close_is_tolerated() {
        assert_eq!(
            frames(b"[\n  {\"a\": 1},\n  {\"b\": 2}\n"),
            ["E2:{\"a\": 1}", "E3:{\"b\": 2}"]
        );
        assert_eq!(frames(b"[{\"a\": 1},"), ["E1:{\"a\": 1}"]);
    }

    #[test]
    fn truncated_last_entry() {
        assert_eq!(
            frames(b"[\n  {\"a\": 1},\n  {\"b\": \"cut her"),
            ["E2:{\"a\": 1}", "M3"]
        );
        assert_eq!(
            frames(b"{\"a\":1}\n{\n  \"b\": {\n    \"c\": 2"),
            ["E1:{\"a\":1}", "M2"]
        );
        assert_eq!(frames(b"{\"a\":1}\n{\"b\":"), ["E1:{\"a\":1}", "M2"]);
    }

    #[test]
    fn arrays_one_after_another() {
        assert_eq!(
            frames(b"[{\"a\":1}]\n[\n  {\"b\":2}\n]\n"),
            ["E1:{\"a\":1}", "E3:{\"b\":2}"]
        );
        assert_eq!(frames(b"[{\"a\":1}] junk\n"), ["E1:{\"a\":1}", "M1"]);
    }

    #[test]
    fn garbage_line() {
        assert_eq!(
            frames(b"{\"a\":1}\ngarbage here\n{\"b\":2}\n[1]\n"),
            ["E1:{\"a\":1}", "M2", "E3:{\"b\":2}", "M4"]
        );
    }

    #[test]
    fn ndjson_pretty_objects() {
        let input = b"{\n  \"a\": \"}\",\n  \"b\": {\n    \"c\": [1]\n  }\n}\n{\n  \"d\": 2\n}\n{\"e\":3}\n";
        assert_eq!(
            frames(input),
            [
                "E1:{\n  \"a\": \"}\",\n  \"b\": {\n    \"c\": [1]\n  }\n}",
                "E7:{\n  \"d\": 2\n}",
                "E10:{\"e\":3}"
            ]
        );
    }

    #[test]
    fn ndjson_broken_line_does_not_swallow_the_next() {
        // Cut mid-string, mid-object: each broken line is malformed alone.
        let input = b"{\"a\":\"cut\n{\"b\":1}\n{\"c\":{\"d\":1,\n{\"e\":2}\n";
        assert_eq!(frames(input), ["M1", "E2:{\"b\":1}", "M3", "E4:{\"e\":2}"]);
    }

    #[test]
    fn ndjson_fast_path_checks_only_the_ends() {
        // `{"a":1}}` starts with `{` and ends with `}`: framed; the parser rejects it later.
        assert_eq!(frames(b"{\"a\":1}}\n"), ["E1:{\"a\":1}}"]);
        // Trailing text after a closed object: the object, then a malformed rest.
        assert_eq!(frames(b"{\"a\":1} x\n"), ["E1:{\"a\":1}", "M1"]);
    }

    #[test]
    fn invalid_utf8_is_framed() {
        assert_eq!(frames(b"{\"a\":\"\xff\xfe\"}\n").len(), 1);
        assert_eq!(frames(b"[{\"a\":\"\xc3\"}]").len(), 1);
        assert_eq!(frames(b"caf\xc3\n").len(), 1);
    }

    #[test]
    fn oversize_text() {
        assert_eq!(
            frames_max(b"short\nthis line is too long\nok\n", 10),
            ["T1:short", "O2", "T3:ok"]
        );
        assert_eq!(
            frames_max(b"0123456789\n01234567890", 10),
            ["T1:0123456789", "O2"]
        );
    }

    #[test]
    fn oversize_ndjson() {
        let input =
            b"{\"a\":1}\n{\"b\":\"0123456789\"}\n{\n  \"c\": \"0123456789\"\n}\n{\"d\":2}\n";
        assert_eq!(
            frames_max(input, 12),
            ["E1:{\"a\":1}", "O2", "O3", "E6:{\"d\":2}"]
        );
    }

    #[test]
    fn oversize_array() {
        let input = b"[\n  {\"a\": 1},\n  {\"b\": \"0123456789 } ]\"},\n  {\"c\": 2}\n]";
        assert_eq!(
            frames_max(input, 12),
            ["E2:{\"a\": 1}", "O3", "E4:{\"c\": 2}"]
        );
        // A truncated oversize element is oversize.
        assert_eq!(frames_max(b"[{\"b\": \"0123456789", 12), ["O1"]);
    }

    #[test]
    fn oversize_is_not_buffered() {
        let mut input = b"{\"a\":1}\n{\"big\":\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1 << 20));
        input.extend(b"\"}\n{\"b\":2}\n");
        let mut rdr = ReaderBuilder::new()
            .capacity(1024)
            .max_entry_bytes(4096)
            .build(&input[..]);
        let mut kinds = Vec::new();
        while let Some(f) = rdr.next_entry().unwrap() {
            kinds.push(matches!(f, Framed::Oversize { .. }));
        }
        assert_eq!(kinds, [false, true, false]);
        assert!(
            rdr.buf.len() <= 4096 + SLACK,
            "buffer grew to {}",
            rdr.buf.len()
        );
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn string_end_finds_the_first_needle(
            hay in proptest::collection::vec(
                proptest::sample::select(b"ab\"\\\n\x80\xff".to_vec()), 0..200),
            ndjson: bool,
        ) {
            let naive = hay
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || (ndjson && b == b'\n'));
            proptest::prop_assert_eq!(string_end(&hay, ndjson), naive);
        }
    }

    /// Pretty-printed JSON values as gcloud prints entries: nested objects and arrays,
    /// strings with escapes, brackets and commas inside them.
    fn pretty_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-z{}\\[\\],:\"\\\\\n ]{0,24}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-zA-Z_]{1,12}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn array_elements_end_where_the_naive_scanner_says(
            values in proptest::collection::vec(pretty_value(), 1..4),
            split in 0usize..2000,
        ) {
            // An array's elements one after another, as the reader scans them after `[`.
            let hay = serde_json::to_vec_pretty(&values).unwrap();
            let body = &hay[1..];
            let (mut from, mut a, mut b) = (0, Nest::default(), Nest::default());
            while from < body.len() {
                let rest = &body[from..];
                let split = split.min(rest.len());
                let want = scan_nested_naive(rest, &mut a, false);
                let got = match scan_nested(&rest[..split], &mut b, false) {
                    Stop::More => shifted(scan_nested(&rest[split..], &mut b, false), split),
                    stop => stop,
                };
                proptest::prop_assert_eq!(got, want);
                let mut c = Nest::default();
                let baseline = match window::scan_baseline(&rest[..split], &mut c) {
                    Stop::More => shifted(window::scan_baseline(&rest[split..], &mut c), split),
                    stop => stop,
                };
                proptest::prop_assert_eq!(baseline, want);
                from += match want {
                    Stop::Close(i) | Stop::Sep(i) => i + 1,
                    _ => break,
                };
                (a, b) = (Nest::default(), Nest::default());
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn scan_nested_matches_naive_at_any_split(
            hay in proptest::collection::vec(
                proptest::sample::select(b"{}[],\"\\\n a:Y_y\x7f1".to_vec()), 0..120),
            split in 0usize..120,
            ndjson: bool,
            start_in_str: bool,
            depth in 0u64..3,
        ) {
            // Resuming at any byte gives what one pass over the whole slice gives.
            let split = split.min(hay.len());
            let start = Nest { depth, in_str: start_in_str, ..Nest::default() };
            let (mut a, mut b) = (start, start);
            let want = scan_nested_naive(&hay, &mut a, ndjson);
            let got = match scan_nested(&hay[..split], &mut b, ndjson) {
                Stop::More => match scan_nested(&hay[split..], &mut b, ndjson) {
                    Stop::Close(i) => Stop::Close(i + split),
                    Stop::Sep(i) => Stop::Sep(i + split),
                    Stop::StrNewline(i) => Stop::StrNewline(i + split),
                    Stop::LineBrace(i) => Stop::LineBrace(i + split),
                    Stop::More => Stop::More,
                },
                stop => stop,
            };
            proptest::prop_assert_eq!(got, want);
            if !ndjson {
                let mut c = start;
                proptest::prop_assert_eq!(window::scan_baseline(&hay, &mut c), want);
            }
            if want == Stop::More {
                proptest::prop_assert_eq!(
                    (a.depth, a.in_str, a.escaped, a.line_start),
                    (b.depth, b.in_str, b.escaped, b.line_start)
                );
            }
        }
    }

    #[test]
    fn string_end_past_the_short_prefix() {
        let mut hay = vec![b'x'; 1000];
        hay[700] = b'"';
        hay[900] = b'\\';
        assert_eq!(string_end(&hay, false), Some(700));
        hay[63] = b'\n';
        assert_eq!(string_end(&hay, true), Some(63));
        assert_eq!(string_end(&hay, false), Some(700));
    }

    #[test]
    fn capacity_1() {
        let input = b"[\n  {\n    \"insertId\": \"a1\",\n    \"textPayload\": \"x\\\"}\"\n  }\n]\n";
        let (got, _, lines) = frames_with(input, 1, 1 << 20);
        assert_eq!(
            got,
            ["E2:{\n    \"insertId\": \"a1\",\n    \"textPayload\": \"x\\\"}\"\n  }"]
        );
        assert_eq!(lines, 6);
    }

    /// A reader that fails once with `Interrupted`, then gives one byte per read.
    struct Trickle<'a>(&'a [u8], bool);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.1 {
                self.1 = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let Some((&b, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            if let Some(slot) = buf.first_mut() {
                *slot = b;
                self.0 = rest;
                return Ok(1);
            }
            Ok(0)
        }
    }

    #[test]
    fn interrupted_reads_are_retried() {
        let mut rdr = Reader::new(Trickle(b"{\"a\":1}\n", false));
        assert!(matches!(
            rdr.next_entry().unwrap(),
            Some(Framed::Entry { .. })
        ));
        assert!(rdr.next_entry().unwrap().is_none());
        assert_eq!(rdr.lines(), 1);
    }

    #[test]
    fn read_errors_are_returned() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        assert!(Reader::new(Broken).next_entry().is_err());
    }
}
