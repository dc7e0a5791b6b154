//! Inputs read at offsets: a file or bytes in memory, which workers read in parallel, and a
//! range of one as a stream for the sequential path.

use std::fs::File;
use std::io::Read;
use std::ops::Range;

/// An input read at offsets, by several threads at once: a file, or bytes in memory.
pub trait ReadAt: Sync {
    /// Reads into `buf` from `offset`; returns how many bytes were read, 0 at the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize>;
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let from = usize::try_from(offset).unwrap_or(usize::MAX);
        let src = self.get(from..).unwrap_or(&[]);
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

impl ReadAt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        #[cfg(unix)]
        return std::os::unix::fs::FileExt::read_at(self, buf, offset);
        #[cfg(windows)]
        return std::os::windows::fs::FileExt::seek_read(self, buf, offset);
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        (**self).read_at(buf, offset)
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub(crate) fn read_full_at<F: ReadAt + ?Sized>(
    input: &F,
    buf: &mut [u8],
    offset: u64,
) -> std::io::Result<usize> {
    let mut done = 0;
    while let Some(room) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        let room_len = room.len();
        match input.read_at(room, offset + done as u64) {
            Ok(0) => break,
            // A misbehaving input may claim more than the room it was given.
            Ok(n) => done += n.min(room_len),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// A range of a [`ReadAt`] input as a stream, for the sequential path.
pub(crate) struct At<'a, F: ?Sized> {
    input: &'a F,
    pos: u64,
    end: u64,
}

impl<'a, F: ReadAt + ?Sized> At<'a, F> {
    pub(crate) fn new(input: &'a F, range: Range<u64>) -> Self {
        At {
            input,
            pos: range.start,
            end: range.end,
        }
    }
}

impl<F: ReadAt + ?Sized> Read for At<'_, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        let n = self
            .input
            .read_at(buf.get_mut(..want).unwrap_or_default(), self.pos)?;
        let n = n.min(want);
        self.pos += n as u64;
        Ok(n)
    }
}
