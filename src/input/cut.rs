//! Where each format's input may be cut into blocks that start at an entry boundary: the
//! rules the parallel path follows, kept beside the framing they must agree with.

use super::Format;

/// How far past a block's nominal start both ways of cutting look for an entry boundary
/// before they leave the rest of the input to the sequential path: a few blocks, and never
/// past `max_entry_bytes`, which the sequential path skips without holding the entry whole.
pub(crate) fn give_up_after(block_bytes: usize, max_entry_bytes: usize) -> usize {
    block_bytes.saturating_mul(4).min(max_entry_bytes)
}

/// Whether an entry starts just after a `\n` followed by `next`: in NDJSON only a new object
/// starts a line with `{` (the lines of a pretty-printed object are indented); in text every
/// line is an entry. Both ways of cutting blocks follow this one rule, so that they agree.
pub(crate) fn starts_entry(next: Option<&u8>, text: bool) -> bool {
    text || next == Some(&b'{')
}

/// The end of the last whole entry in `bytes`: just after the last `\n` that
/// [`starts_entry`].
pub(crate) fn last_boundary(bytes: &[u8], text: bool) -> Option<usize> {
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
pub(crate) enum Cut {
    Ndjson,
    Text,
    /// The indentation of the array's elements (gcloud and jq: two spaces).
    Array(Vec<u8>),
}

/// The longest element indentation an array is cut by.
pub(crate) const MAX_INDENT: usize = 64;

impl Cut {
    /// How an input of `format` that starts with `head` is cut; `None` when it cannot be.
    pub(crate) fn of(format: Option<Format>, head: &[u8]) -> Option<Cut> {
        match format? {
            Format::Ndjson => Some(Cut::Ndjson),
            Format::Text => Some(Cut::Text),
            Format::Array => element_indent(head).map(Cut::Array),
        }
    }

    /// How many bytes up to and including a boundary's `\n` decide it.
    pub(crate) fn back(&self) -> u64 {
        match self {
            Cut::Ndjson | Cut::Text => 1,
            Cut::Array(_) => 2,
        }
    }

    /// Whether a block may start after the `\n` at `read[nl]`; `None` when the bytes that
    /// decide it run past `read` and the input goes on.
    pub(crate) fn after(&self, read: &[u8], nl: usize, ended: bool) -> Option<bool> {
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
pub(crate) fn element_indent(head: &[u8]) -> Option<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
