//! The streaming reader: one reusable buffer, entry boundaries, nothing parsed.
//!
//! SKELETON: the real implementation (issue 2) replaces the bodies, keeping the API.

use std::io::Read;

/// Default cap on one entry's size (`--max-entry-bytes`): 16 MiB.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 16 << 20;

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
    pub fn max_entry_bytes(&mut self, bytes: usize) -> &mut Self {
        self.max_entry_bytes = bytes.max(1);
        self
    }

    /// Skips detection and reads `format` (default: detected from the first byte). For
    /// input that starts mid-stream at an entry boundary, as the parallel path's blocks do.
    pub fn format(&mut self, format: Option<Format>) -> &mut Self {
        self.format = format;
        self
    }

    /// A reader over `rdr`.
    pub fn build<R: Read>(&self, rdr: R) -> Reader<R> {
        let _ = (self.capacity, self.max_entry_bytes, self.format);
        Reader { rdr }
    }
}

/// Frames entries from any `Read` into one reusable buffer.
#[derive(Debug)]
pub struct Reader<R> {
    rdr: R,
}

impl<R: Read> Reader<R> {
    /// A reader with the default options.
    pub fn new(rdr: R) -> Self {
        ReaderBuilder::new().build(rdr)
    }

    /// The next entry, or `None` at the end of the input.
    pub fn next_entry(&mut self) -> std::io::Result<Option<Framed<'_>>> {
        let _ = &mut self.rdr;
        todo!("issue 2")
    }

    /// The detected format; `None` before the first entry is read or for empty input.
    pub fn format(&self) -> Option<Format> {
        todo!("issue 2")
    }

    /// Input lines consumed so far (after the end: the input's line count).
    pub fn lines(&self) -> u64 {
        todo!("issue 2")
    }

    /// Bytes consumed from the input so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        todo!("issue 2")
    }
}
