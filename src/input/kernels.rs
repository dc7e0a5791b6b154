//! The byte kernels of the framing: where a string may end, where a balanced JSON value
//! ends, and the obvious byte-at-a-time oracle they are tested against.

use memchr::{memchr2, memchr3};

/// State of the string-aware balanced scanner, resumable at any byte.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Nest {
    pub(super) depth: u64,
    pub(super) in_str: bool,
    pub(super) escaped: bool,
    pub(super) line_start: bool,
}

/// Where the balanced scanner stopped, as offsets into the scanned slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
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

/// How many bytes of a string are searched 8 at a time before handing over to `memchr`: most
/// strings of a pretty-printed entry (keys, ids, labels) are shorter, and a `memchr` call
/// costs more than it saves on them.
pub(super) const SHORT_STRING: usize = 64;

/// The first `"` or `\\` (and for NDJSON `\n`) in `hay`: where a string may end.
pub(super) fn string_end(hay: &[u8], ndjson: bool) -> Option<usize> {
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
pub(super) static STRUCTURAL: [bool; 256] = byte_table(b"\"{}[],\n");

const fn byte_table(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

pub(super) fn shifted(stop: Stop, by: usize) -> Stop {
    match stop {
        Stop::Close(i) => Stop::Close(i + by),
        Stop::Sep(i) => Stop::Sep(i + by),
        Stop::StrNewline(i) => Stop::StrNewline(i + by),
        Stop::LineBrace(i) => Stop::LineBrace(i + by),
        Stop::More => Stop::More,
    }
}

#[inline(always)]
pub(super) fn scan_nested_inner(hay: &[u8], st: &mut Nest, ndjson: bool) -> Stop {
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
pub(super) fn structural(hay: &[u8], ndjson: bool) -> Option<usize> {
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
pub(super) fn scan_nested_naive(hay: &[u8], nest: &mut Nest, ndjson: bool) -> Stop {
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
