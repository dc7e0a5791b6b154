//! The command line's input: standard input without its lock, a grown pipe, and the progress
//! line on stderr.

use crate::ReadAt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Standard input as a file, read without `Stdin`'s lock and 8 KiB buffer (measured 40%
/// faster on a redirected 256 MiB export); `None` where it has no descriptor.
pub(super) fn stdin_file() -> Option<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() {
            return Some(File::from(fd));
        }
    }
    None
}

/// Grows the buffer of a pipe on stdin to 1 MiB, the most an unprivileged process may ask
/// by default (`/proc/sys/fs/pipe-max-size`). With Linux's 64 KiB each read took at most
/// that, and the writer and we took turns: `cat` of a 256 MiB export into one thread ran
/// 317 ms with 64 KiB, 202 ms with 1 MiB. A pipe that may not grow keeps its size, which
/// costs speed only.
#[cfg(target_os = "linux")]
pub(super) fn grow_pipe(file: &File) {
    use std::os::unix::fs::FileTypeExt;
    if file.metadata().is_ok_and(|m| m.file_type().is_fifo()) {
        let _ = rustix::pipe::fcntl_setpipe_size(file, PIPE_BYTES);
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn grow_pipe(_: &File) {}

#[cfg(target_os = "linux")]
const PIPE_BYTES: usize = 1 << 20;

/// Counts bytes read and, when stderr is a terminal, shows how far the run is. Workers read
/// at once, hence the atomics.
pub(super) struct Progress {
    show: bool,
    bytes: AtomicU64,
    start: Instant,
    last: Mutex<Instant>,
}

impl Progress {
    pub(super) fn new(show: bool) -> Self {
        let now = Instant::now();
        Progress {
            show,
            bytes: AtomicU64::new(0),
            start: now,
            last: Mutex::new(now),
        }
    }

    /// `inner` (a stream or an input read at offsets) with its reads counted.
    pub(super) fn counted<R>(&self, inner: R) -> Counted<'_, R> {
        Counted {
            inner,
            progress: self,
        }
    }

    fn count(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        // Short runs stay silent: the first line appears after half a second.
        if !self.show || self.start.elapsed() < Duration::from_millis(500) {
            return;
        }
        let Ok(mut last) = self.last.try_lock() else {
            return;
        };
        if last.elapsed() > Duration::from_millis(250) {
            *last = Instant::now();
            self.report(false);
        }
    }

    /// Clears the progress line, if one was shown.
    pub(super) fn done(&self) {
        if self.show && self.start.elapsed() > Duration::from_millis(500) {
            self.report(true);
        }
    }

    fn report(&self, done: bool) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let mib = self.bytes.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2Kread {mib:.1} MiB, {:.0} MiB/s", mib / secs);
        if done {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = err.flush();
    }
}

/// An input whose reads [`Progress`] counts.
pub(super) struct Counted<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.count(n);
        Ok(n)
    }
}

impl<R: ReadAt> ReadAt for Counted<'_, R> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.read_at(buf, offset)?;
        self.progress.count(n);
        Ok(n)
    }
}
