//! What an input's first bytes say it is, before any framing: gzip (decompressed as it
//! streams), another compression or binary data that logtriage does not read (flagged in the
//! report's totals), or text and JSON (read as they are).
//!
//! Detection is a look at the first bytes only, so a plain input costs one small read and a
//! compare. It belongs to the library, not the command line: an embedder that hands
//! [`crate::Triage`] a `logs.json.gz` gets the same report as the command line does.

use flate2::read::MultiGzDecoder;
use std::io::{self, Read};

/// How many bytes of an input read at offsets are looked at.
pub(crate) const HEAD_BYTES: usize = 4096;

/// Why an input was taken for data that is neither text nor JSON: its entries are counted as
/// usual, but a report of it means little, and says so ([`crate::Totals::binary`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Binary {
    /// NUL bytes among the first bytes (an executable, an image, UTF-16 text).
    NulBytes,
    /// Most of the first bytes are not UTF-8.
    InvalidUtf8,
    /// zstd-compressed (`28 b5 2f fd`): decompress it first (`zstd -d`).
    Zstd,
    /// bzip2-compressed (`BZh`): decompress it first (`bunzip2`).
    Bzip2,
    /// xz-compressed (`fd 37 7a 58 5a 00`): decompress it first (`xz -d`).
    Xz,
    /// A zip archive (`PK\x03\x04`): extract it first (`unzip -p`).
    Zip,
}

impl Binary {
    /// What the input seems to be, in a few words for a warning.
    pub fn describe(self) -> &'static str {
        match self {
            Binary::NulBytes => "binary data (NUL bytes), not text or JSON",
            Binary::InvalidUtf8 => "binary data (mostly invalid UTF-8), not text or JSON",
            Binary::Zstd => "zstd-compressed: decompress it first (zstd -d)",
            Binary::Bzip2 => "bzip2-compressed: decompress it first (bunzip2)",
            Binary::Xz => "xz-compressed: decompress it first (xz -d)",
            Binary::Zip => "a zip archive: extract it first (unzip -p)",
        }
    }
}

impl std::fmt::Display for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Whether `head` starts a gzip member: the magic `1f 8b` and the deflate method `08`
/// (RFC 1952), the only one in use; or the magic alone, when the input ends after it (a gzip
/// file cut short, reported as such, not read as text).
pub(crate) fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b, 0x08]) || head == [0x1f, 0x8b]
}

/// What binary data `head` (an input's first bytes) starts, if any: a compression logtriage
/// does not read, NUL bytes, or mostly invalid UTF-8. A few invalid bytes (Latin-1 text) are
/// text with replacement characters, not binary data.
pub(crate) fn binary(head: &[u8]) -> Option<Binary> {
    const MAGIC: &[(&[u8], Binary)] = &[
        (&[0x28, 0xb5, 0x2f, 0xfd], Binary::Zstd),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Binary::Xz),
        (b"PK\x03\x04", Binary::Zip),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(*kind);
    }
    // `BZh` then the block size digit, then a block's or the end's magic: text may start
    // with `BZh9`, not with those bytes after it.
    if head.len() >= 10
        && head.starts_with(b"BZh")
        && matches!(head.get(3), Some(b'1'..=b'9'))
        && matches!(head.get(4..10), Some(b"1AY&SY") | Some(b"\x17rE8P\x90"))
    {
        return Some(Binary::Bzip2);
    }
    if memchr::memchr(0, head).is_some() {
        return Some(Binary::NulBytes);
    }
    // The last few bytes may be a character cut by the read.
    let whole = head.get(..head.len().saturating_sub(3)).unwrap_or(&[]);
    let invalid: usize = whole.utf8_chunks().map(|c| c.invalid().len()).sum();
    (whole.len() >= 16 && invalid * 3 > whole.len()).then_some(Binary::InvalidUtf8)
}

/// What reading an input through [`Decoded`] found out about it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// It was gzip and was decompressed.
    pub(crate) gzip: bool,
    /// It (after decompression) looked like binary data.
    pub(crate) binary: Option<Binary>,
    /// The compressed data ended early or was corrupt: reading stopped there.
    pub(crate) truncated: bool,
}

/// Copies what is left of `head` after `at` into `buf`, if anything is: the bytes read to
/// look at an input are given back before the rest of it.
fn replay(head: &[u8], at: &mut usize, buf: &mut [u8]) -> Option<usize> {
    let left = head.get(*at..).filter(|h| !h.is_empty())?;
    let n = left.len().min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(..n), left.get(..n)) {
        dst.copy_from_slice(src);
    }
    *at += n;
    Some(n)
}

/// `head`, then the rest of a reader: the bytes read to look at the input are not lost.
struct Prefixed<R> {
    head: Vec<u8>,
    at: usize,
    rest: R,
    /// The rest failed to read (an I/O error, not bad data).
    failed: bool,
}

impl<R: Read> Read for Prefixed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(n) = replay(&self.head, &mut self.at, buf) {
            return Ok(n);
        }
        self.rest.read(buf).inspect_err(|e| {
            self.failed = e.kind() != io::ErrorKind::Interrupted;
        })
    }
}

enum Source<R> {
    Plain(Prefixed<R>),
    Gzip(Box<MultiGzDecoder<Prefixed<R>>>),
}

/// An input as logtriage reads it: gzip decompressed while it streams (every member of a
/// multi-member file), anything else as it is. Corrupt or truncated gzip data ends the input
/// where it goes bad, and is reported ([`Decoded::found`]), never an error or a panic; a read
/// error of the input itself is still an error.
pub(crate) struct Decoded<R> {
    /// The decompressed bytes read to look at them, then the rest.
    head: Vec<u8>,
    at: usize,
    source: Source<R>,
    found: Found,
}

impl<R: Read> Decoded<R> {
    /// Reads the first bytes of `rdr` (at least 3, unless it ends first: one read is enough
    /// for a pipe, which may deliver a line at a time) and sets up the decoding they call for.
    pub(crate) fn new(mut rdr: R) -> io::Result<Self> {
        let mut head = vec![0; HEAD_BYTES];
        let mut filled = 0;
        while filled < 3 {
            let Some(room) = head.get_mut(filled..) else {
                break;
            };
            match rdr.read(room) {
                Ok(0) => break,
                Ok(n) => filled += n.min(room.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        head.truncate(filled);
        Self::with_head(head, rdr)
    }

    /// The decoding for an input that starts with `head` and goes on with `rest`.
    pub(crate) fn with_head(head: Vec<u8>, rest: R) -> io::Result<Self> {
        let gzip = is_gzip(&head);
        let prefixed = Prefixed {
            head,
            at: 0,
            rest,
            failed: false,
        };
        let mut decoded = if gzip {
            Decoded {
                head: Vec::new(),
                at: 0,
                source: Source::Gzip(Box::new(MultiGzDecoder::new(prefixed))),
                found: Found {
                    gzip: true,
                    ..Found::default()
                },
            }
        } else {
            let binary = binary(&prefixed.head);
            Decoded {
                head: Vec::new(),
                at: 0,
                source: Source::Plain(prefixed),
                found: Found {
                    binary,
                    ..Found::default()
                },
            }
        };
        if gzip {
            // What was compressed may be binary too: look at its first decompressed bytes.
            let mut head = vec![0; HEAD_BYTES];
            let n = decoded.read_source(&mut head)?;
            head.truncate(n);
            decoded.found.binary = binary(&head);
            decoded.head = head;
        }
        Ok(decoded)
    }

    /// What reading found so far (all of it once the input was read to its end).
    pub(crate) fn found(&self) -> Found {
        self.found
    }

    fn read_source(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.found.truncated {
            return Ok(0);
        }
        let gz = match &mut self.source {
            Source::Plain(p) => return p.read(buf),
            Source::Gzip(gz) => gz,
        };
        loop {
            match gz.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The input itself could not be read: that is an error, as for plain input.
                Err(e) if gz.get_ref().failed => return Err(e),
                // Bad or cut-short data: the input ends here, and the report says so.
                Err(_) => {
                    self.found.truncated = true;
                    return Ok(0);
                }
            }
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(n) = replay(&self.head, &mut self.at, buf) {
            return Ok(n);
        }
        self.read_source(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(members: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for m in members {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(m).unwrap();
            out.extend(gz.finish().unwrap());
        }
        out
    }

    fn read_all(input: &[u8]) -> (Vec<u8>, Found) {
        let mut d = Decoded::new(input).unwrap();
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        (out, d.found())
    }

    #[test]
    fn plain_input_passes_unchanged() {
        for input in [&b""[..], b"{", b"ab", b"{\"a\":1}\n", "ünï\n".as_bytes()] {
            let (out, found) = read_all(input);
            assert_eq!(out, input);
            assert_eq!(found, Found::default(), "{input:?}");
        }
    }

    #[test]
    fn gzip_members_are_decompressed_in_order() {
        let (out, found) = read_all(&gzip(&[b"one\n", b"", b"two\n"]));
        assert_eq!(out, b"one\ntwo\n");
        assert!(found.gzip && !found.truncated && found.binary.is_none());
    }

    #[test]
    fn a_cut_or_corrupt_gzip_ends_the_input_and_is_reported() {
        let whole = gzip(&[&b"line one\nline two\n".repeat(200)]);
        for cut in [3, 10, whole.len() / 2, whole.len() - 1] {
            let (out, found) = read_all(&whole[..cut]);
            assert!(found.gzip && found.truncated, "cut at {cut}");
            assert!(b"line one\nline two\n".repeat(200).starts_with(&out));
        }
        let mut corrupt = whole.clone();
        corrupt[20] ^= 0xff;
        corrupt[21] ^= 0xff;
        let (_, found) = read_all(&corrupt);
        assert!(found.truncated);
    }

    #[test]
    fn binary_kinds() {
        let rows: &[(&[u8], Option<Binary>)] = &[
            (b"\x28\xb5\x2f\xfd\x00\x00", Some(Binary::Zstd)),
            (b"\xfd7zXZ\x00\x00", Some(Binary::Xz)),
            (b"PK\x03\x04\x14\x00", Some(Binary::Zip)),
            (b"BZh91AY&SY\x00\x01", Some(Binary::Bzip2)),
            (b"BZh9 is a word in this text line\n", None),
            (b"ELF\x00\x01", Some(Binary::NulBytes)),
            (
                &[
                    0xff, 0xfe, 0x80, 0x81, 0x90, 0xa0, 0xb0, 0xc0, 0xf8, 0xfa, 0xfb, 0xfc, 0x9f,
                    0x8f, 0x85, 0x99, 0x98, 0x97, 0x96, 0x95,
                ][..],
                Some(Binary::InvalidUtf8),
            ),
            (
                b"caf\xe9 cr\xe8me, a Latin-1 line with two odd bytes\n",
                None,
            ),
            (b"{\"severity\":\"ERROR\"}\n", None),
            (b"\x1f is a unit separator\n", None),
        ];
        for (head, want) in rows {
            assert_eq!(binary(head), *want, "{head:?}");
        }
    }

    #[test]
    fn a_failing_reader_is_an_error_not_a_truncation() {
        struct Fails(Vec<u8>);
        impl Read for Fails {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("disk gone"));
                }
                let n = self.0.len().min(buf.len()).min(8);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Ok(n)
            }
        }
        let whole = gzip(&[&b"x".repeat(10_000)]);
        let mut out = Vec::new();
        let failed = Decoded::new(Fails(whole[..whole.len() / 2].to_vec()))
            .and_then(|mut d| d.read_to_end(&mut out));
        assert!(failed.is_err());
    }
}
