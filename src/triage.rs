//! The pipeline: reader, prefilter, entry parsing, event assembly, classification,
//! fingerprints, known issues and the report, behind one builder.

mod parallel;

use crate::classify::Classifier;
use crate::entry::{Ahead, Entry, Prefilter};
use crate::event::{Assembler, AssemblerOptions, Event};
use crate::knowledge::{self, KnownIssues};
use crate::reader::{Format, Framed, Reader, ReaderBuilder, DEFAULT_MAX_ENTRY_BYTES};
use crate::report::{Report, Totals};
use crate::{fingerprint, Error, Result};
use parallel::Quieting;

use crate::fingerprint::Fingerprint;
use crate::knowledge::IssueRef;
use crate::traceback::Frame;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Receives each event as soon as it is found and classified.
///
/// Return `Ok(false)` to stop the run early (the report then covers what was read). An error
/// stops the run too, and the run returns it as [`Error::Output`].
pub trait Sink {
    /// Called once per event, in input order.
    fn event(&mut self, event: &Event) -> std::io::Result<bool>;
}

/// A [`Sink`] from a closure.
///
/// ```
/// let mut seen = 0;
/// let triage = logtriage::TriageBuilder::new().build()?;
/// let logs = br#"{"insertId":"e1","severity":"ERROR","textPayload":"Redis connection failed"}"#;
/// let mut sink = logtriage::FnSink(|_ev: &logtriage::Event| -> std::io::Result<bool> {
///     seen += 1;
///     Ok(true)
/// });
/// triage.run_slice(logs, &mut sink)?;
/// assert_eq!(seen, 1);
/// # Ok::<(), logtriage::Error>(())
/// ```
pub struct FnSink<F>(pub F);

impl<F: FnMut(&Event) -> std::io::Result<bool>> Sink for FnSink<F> {
    fn event(&mut self, event: &Event) -> std::io::Result<bool> {
        (self.0)(event)
    }
}

/// A [`Sink`] that ignores events, for when only the [`Report`] matters.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl Sink for NoSink {
    fn event(&mut self, _: &Event) -> std::io::Result<bool> {
        Ok(true)
    }
}

/// Configures a [`Triage`].
#[derive(Clone, Debug)]
pub struct TriageBuilder {
    rules: Vec<PathBuf>,
    known_issues: Option<PathBuf>,
    slow_ms: f64,
    max_entry_bytes: usize,
    capacity: usize,
    validate: bool,
    threads: usize,
    block_bytes: usize,
}

impl Default for TriageBuilder {
    fn default() -> Self {
        TriageBuilder {
            rules: Vec::new(),
            known_issues: None,
            slow_ms: 1000.0,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            capacity: 1 << 20,
            validate: false,
            threads: 1,
            block_bytes: 512 << 10,
        }
    }
}

impl TriageBuilder {
    /// A builder with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A rules file that adds or overrides categories (default: none, built-in rules only).
    /// May be given several times; later files override earlier ones.
    pub fn rules_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.rules.push(path.as_ref().to_path_buf());
        self
    }

    /// A known-issues file (default: none, every group gets a suggested title).
    pub fn known_issues_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.known_issues = Some(path.as_ref().to_path_buf());
        self
    }

    /// The slow-query threshold in milliseconds (default 1000).
    pub fn slow_ms(&mut self, ms: f64) -> &mut Self {
        self.slow_ms = ms;
        self
    }

    /// The largest entry kept, in bytes (default 16 MiB); larger ones are counted `oversize`.
    pub fn max_entry_bytes(&mut self, bytes: usize) -> &mut Self {
        self.max_entry_bytes = bytes;
        self
    }

    /// The reader's starting buffer capacity in bytes (default 1 MiB: fewer, larger reads
    /// measured 15% faster than 64 KiB on page-cached input).
    pub fn buffer_capacity(&mut self, bytes: usize) -> &mut Self {
        self.capacity = bytes;
        self
    }

    /// Parse every entry fully, for exact `malformed` counts (default off: only candidate
    /// entries are parsed, the others are only framed).
    pub fn validate(&mut self, yes: bool) -> &mut Self {
        self.validate = yes;
        self
    }

    /// Worker threads for large inputs (default 1).
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.threads = n.max(1);
        self
    }

    /// The size of the blocks the parallel path hands to each worker (default 512 KiB; each
    /// worker holds about four at a time).
    pub fn block_bytes(&mut self, bytes: usize) -> &mut Self {
        self.block_bytes = bytes.max(1);
        self
    }

    /// Loads the rules and known-issues files and returns the configured triage.
    pub fn build(&self) -> Result<Triage> {
        if !(self.slow_ms.is_finite() && self.slow_ms >= 0.0) {
            return Err(Error::Config(format!(
                "slow-ms must be a number >= 0, not {}",
                self.slow_ms
            )));
        }
        let mut classifier = Classifier::builtin();
        for path in &self.rules {
            classifier.add_rules_file(path)?;
        }
        let known = match &self.known_issues {
            Some(path) => KnownIssues::load(path, &classifier)?,
            None => KnownIssues::default(),
        };
        let pool = match self.threads {
            1 => None,
            n => Some(std::sync::Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::Config(format!("cannot start {n} threads: {e}")))?,
            )),
        };
        Ok(Triage {
            classifier,
            known,
            prefilter: Prefilter::new(self.slow_ms),
            pool,
            memo: Default::default(),
            options: self.clone(),
        })
    }
}

/// A configured triage run: feed it logs, get events and a [`Report`].
#[derive(Clone, Debug)]
pub struct Triage {
    classifier: Classifier,
    known: KnownIssues,
    prefilter: Prefilter,
    /// The workers of the parallel path, started once; `None` for one thread.
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
    /// Classification outcomes shared by all runs and workers of this triage.
    memo: std::sync::Arc<std::sync::Mutex<Memo>>,
    options: TriageBuilder,
}

impl Triage {
    /// The classifier in use (built-in plus user rules).
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Reads `rdr` to the end, pushing each event to `sink` as it is found, and returns the
    /// ranked report. With `threads > 1`, NDJSON and text input is cut into blocks that are
    /// scanned in parallel; the events and the report are the same as with one thread.
    pub fn run<R: Read, S: Sink + ?Sized>(&self, rdr: R, sink: &mut S) -> Result<Report> {
        let mut report = if self.options.threads > 1 {
            self.run_parallel(rdr, sink)?
        } else {
            self.run_sequential(rdr, sink)?
        };
        report.rank(|c| self.classifier.rank(c));
        Ok(report)
    }

    /// Triage of an in-memory input.
    pub fn run_slice<S: Sink + ?Sized>(&self, input: &[u8], sink: &mut S) -> Result<Report> {
        self.run_at(input, 0..input.len() as u64, sink)
    }

    /// Triage of `range` of an input read at offsets, such as a file. With `threads > 1`,
    /// each worker reads the blocks it scans: no thread copies the input for the others, and
    /// a block is scanned while the read left it in that core's cache.
    ///
    /// ```
    /// let triage = logtriage::TriageBuilder::new().threads(2).build()?;
    /// let logs = b"{\"severity\":\"ERROR\",\"textPayload\":\"Redis connection refused\"}\n";
    /// let report = triage.run_at(&logs[..], 0..logs.len() as u64, &mut logtriage::NoSink)?;
    /// assert_eq!(report.totals.events, 1);
    /// # Ok::<(), logtriage::Error>(())
    /// ```
    pub fn run_at<F: ReadAt + ?Sized, S: Sink + ?Sized>(
        &self,
        input: &F,
        range: Range<u64>,
        sink: &mut S,
    ) -> Result<Report> {
        let mut report = if self.options.threads > 1 {
            self.run_positional(input, range, sink)?
        } else {
            self.run_sequential(At::new(input, range), sink)?
        };
        report.rank(|c| self.classifier.rank(c));
        Ok(report)
    }

    /// Triage of a file from its current position: [`Triage::run_at`] for a regular file,
    /// [`Triage::run`] for anything else (a pipe, a terminal).
    pub fn run_file<S: Sink + ?Sized>(&self, mut file: &File, sink: &mut S) -> Result<Report> {
        let meta = file.metadata()?;
        if !meta.is_file() {
            return self.run(file, sink);
        }
        let start = file.stream_position()?;
        self.run_at(file, start..meta.len().max(start), sink)
    }

    /// Classification, fingerprint and known issue of one assembled event.
    pub fn finish_event(&self, event: &mut Event) {
        self.classifier.classify(event);
        event.fingerprint = fingerprint::of_event(event);
        event.known_issue = self.known.find(event).cloned();
    }

    /// [`Triage::finish_event`] through the memo: an event whose content was seen before is
    /// not classified again. A poisoned memo (a panic elsewhere) is only skipped.
    fn finish_memoized(&self, ev: &mut Event) {
        let key = Memo::key(ev);
        if self.memo.lock().is_ok_and(|memo| memo.recall(key, ev)) {
            return;
        }
        self.finish_event(ev);
        if let Ok(mut memo) = self.memo.lock() {
            memo.remember(key, ev);
        }
    }

    /// The events `assembler` still holds at the end of the input, classified, in order.
    fn finish_held(&self, assembler: &mut Assembler) -> Vec<Event> {
        let mut held = Vec::new();
        assembler.finish(&mut |ev| held.push(ev));
        for ev in &mut held {
            self.finish_event(ev);
        }
        held
    }

    fn reader<R: Read>(&self, rdr: R, format: Option<Format>) -> Reader<R> {
        ReaderBuilder::new()
            .capacity(self.options.capacity)
            .max_entry_bytes(self.options.max_entry_bytes)
            .format(format)
            .build(rdr)
    }

    fn assembler(&self) -> Assembler {
        Assembler::new(AssemblerOptions {
            slow_ms: self.options.slow_ms,
        })
    }

    fn run_sequential<R: Read, S: Sink + ?Sized>(&self, rdr: R, sink: &mut S) -> Result<Report> {
        let mut assembler = self.assembler();
        let mut totals = Totals::default();
        let mut report = Report::default();
        let mut go_on = true;
        let mut emit = |ev: Event| -> Result<bool> {
            report.add(&ev, knowledge::suggest_title);
            go_on = go_on && sink.event(&ev).map_err(Error::Output)?;
            Ok(go_on)
        };
        let mut reader = self.reader(rdr, None);
        let mut off = Quieting::Off;
        if self.scan(
            &mut reader,
            0,
            &mut assembler,
            &mut totals,
            &mut off,
            &mut emit,
        )? {
            for ev in self.finish_held(&mut assembler) {
                emit(ev)?;
            }
        }
        let events = std::mem::take(&mut report.totals.events);
        report.totals = Totals { events, ..totals };
        Ok(report)
    }

    /// Frames, filters, parses and assembles every entry of `reader`; each completed and
    /// classified event goes to `emit`, which returns `false` to stop. Lines are numbered from
    /// `first_line + 1`. Returns whether the input was read to its end.
    #[allow(clippy::too_many_arguments)]
    fn scan<R: Read>(
        &self,
        reader: &mut Reader<R>,
        first_line: u64,
        assembler: &mut Assembler,
        totals: &mut Totals,
        quieting: &mut Quieting<'_>,
        emit: &mut dyn FnMut(Event) -> Result<bool>,
    ) -> Result<bool> {
        let prefilter = &self.prefilter;
        let mut found: Vec<Event> = Vec::new();
        let mut scratch = String::new();
        let mut ahead = Ahead::default();
        let mut emitted = 0;
        loop {
            if !assembler.has_open() && quieting.at_quiet(reader.bytes_read(), totals, emitted) {
                return Ok(false);
            }
            // While nothing is open, the entries before the next literal need no look.
            if !(self.options.validate || assembler.has_open()) {
                let skipped = ahead.skip_clear(reader);
                totals.ok_many(skipped);
                assembler.skip_many(skipped);
            }
            let Some((framed, candidate)) = ahead.next_entry(prefilter, reader)? else {
                break;
            };
            match framed {
                Framed::Oversize { .. } => {
                    totals.oversize();
                    assembler.skip();
                }
                Framed::Malformed { line } => totals.malformed(first_line + line),
                Framed::Entry { bytes, line, json } => {
                    let wanted =
                        self.options.validate || candidate || assembler.may_continue(bytes);
                    if !wanted {
                        totals.ok();
                        assembler.skip();
                        continue;
                    }
                    let line = first_line + line;
                    let entry = if json {
                        Entry::from_json(bytes, line, &mut scratch)
                    } else {
                        Ok(Entry::from_text(String::from_utf8_lossy(bytes), line))
                    };
                    match entry {
                        Ok(entry) => {
                            totals.ok();
                            assembler.push(&entry, &mut |ev| found.push(ev));
                        }
                        Err(_) => totals.malformed(line),
                    }
                }
            }
            for mut ev in found.drain(..) {
                self.finish_memoized(&mut ev);
                emitted += 1;
                if !emit(ev)? {
                    return Ok(false);
                }
            }
        }
        totals.lines = reader.lines();
        Ok(true)
    }
}

/// What classification gave events of the same content: a failure repeats (one traceback
/// on every request, every instance), and classifying runs a `RegexSet`, subject and
/// normalization regexes and the known-issue patterns. The outcome depends only on the kind,
/// text, statement and service of the event, which make the key.
#[derive(Debug, Default)]
struct Memo {
    seen: HashMap<u64, Outcome>,
}

/// The classification fields of an event.
#[derive(Debug)]
struct Outcome {
    category: String,
    exception: Option<String>,
    message: String,
    subject: Option<String>,
    frames: Vec<Frame>,
    fingerprint: Fingerprint,
    known_issue: Option<IssueRef>,
}

/// Past this many distinct events the memo starts over: memory stays bounded.
const MEMO_CAPACITY: usize = 4096;

impl Memo {
    fn key(ev: &Event) -> u64 {
        // As `Entry::stream_key`: the unseeded `rustc-hash`, a fraction of SipHash's cost
        // over an event's text (1% of a run with 20% failures).
        let mut h = rustc_hash::FxHasher::default();
        (ev.kind as u8, &ev.text, &ev.service).hash(&mut h);
        ev.slow_query.as_ref().map(|q| &q.statement).hash(&mut h);
        h.finish()
    }

    /// Fills `ev` from an earlier event of the same content; `false` when there was none.
    fn recall(&self, key: u64, ev: &mut Event) -> bool {
        let Some(o) = self.seen.get(&key) else {
            return false;
        };
        ev.category.clone_from(&o.category);
        ev.exception.clone_from(&o.exception);
        ev.message.clone_from(&o.message);
        ev.subject.clone_from(&o.subject);
        ev.frames.clone_from(&o.frames);
        ev.fingerprint = o.fingerprint;
        ev.known_issue.clone_from(&o.known_issue);
        true
    }

    fn remember(&mut self, key: u64, ev: &Event) {
        if self.seen.len() >= MEMO_CAPACITY {
            self.seen.clear();
        }
        let outcome = Outcome {
            category: ev.category.clone(),
            exception: ev.exception.clone(),
            message: ev.message.clone(),
            subject: ev.subject.clone(),
            frames: ev.frames.clone(),
            fingerprint: ev.fingerprint,
            known_issue: ev.known_issue.clone(),
        };
        self.seen.insert(key, outcome);
    }
}

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
fn read_full_at<F: ReadAt + ?Sized>(
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
struct At<'a, F: ?Sized> {
    input: &'a F,
    pos: u64,
    end: u64,
}

impl<'a, F: ReadAt + ?Sized> At<'a, F> {
    fn new(input: &'a F, range: Range<u64>) -> Self {
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
