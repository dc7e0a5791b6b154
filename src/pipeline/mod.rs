//! The pipeline: reader, prefilter, entry parsing, event assembly, classification,
//! fingerprints, known issues and the report, behind one builder.
//!
//! A [`Triage`] runs one input on this thread ([`scan`]) or, with more threads, cut into
//! blocks at entry boundaries that rayon workers scan and this thread merges in order
//! ([`parallel`]); both give the same events in the same order and the same report.

mod memo;
mod parallel;
mod partial;
mod read_at;
mod scan;
mod sink;
mod stages;

pub use read_at::ReadAt;
pub use sink::{FnSink, NoSink, Sink};

use crate::category::Categories;
use crate::classify::Classifier;
use crate::error::{Error, Item, Result};
use crate::event::Event;
use crate::input::decode::{binary, is_gzip, Decoded, Found, HEAD_BYTES};
use crate::input::{Format, DEFAULT_MAX_ENTRY_BYTES};
use crate::known_issues::KnownIssues;
use crate::partial::Partial;
use crate::prefilter::Prefilter;
use crate::report::Report;
use crate::title::suggest_title;
use parallel::Parallel;
use read_at::{read_full_at, At};
use scan::run_sequential;
use stages::Stages;
use std::fs::File;
use std::io::{Read, Seek};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Configures a [`Triage`].
///
/// ```
/// use logtriage::{Classifier, KnownIssues, TriageBuilder};
/// let classifier = Classifier::builtin();
/// let known = KnownIssues::from_json(
///     r#"{"issues": [{"id": "923", "title": "Redis refused", "category": "connection_refused"}]}"#,
///     "inline",
///     classifier.categories(),
/// )?;
/// let triage = TriageBuilder::new().classifier(classifier).known_issues(known).threads(2).build()?;
/// let logs = br#"{"severity":"ERROR","textPayload":"Error 111 connecting to 10.0.0.5:6379. Connection refused."}"#;
/// let report = triage.run_slice(logs, &mut logtriage::NoSink)?;
/// assert_eq!(report.groups[0].known_issue.as_ref().map(|i| i.id.as_str()), Some("923"));
/// assert!(TriageBuilder::new().threads(0).build().is_err());
/// # Ok::<(), logtriage::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TriageBuilder {
    classifier: Option<Classifier>,
    rules: Vec<PathBuf>,
    known_issues: Option<KnownIssues>,
    known_issues_files: Vec<PathBuf>,
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
            classifier: None,
            rules: Vec::new(),
            known_issues: None,
            known_issues_files: Vec::new(),
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

    /// The classifier to start from (default: [`Classifier::builtin`]); rules files given
    /// with [`TriageBuilder::rules_file`] are added to it.
    pub fn classifier(&mut self, classifier: Classifier) -> &mut Self {
        self.classifier = Some(classifier);
        self
    }

    /// A rules file that adds or overrides categories (default: none, built-in rules only).
    /// May be given several times; later files override earlier ones.
    pub fn rules_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.rules.push(path.as_ref().to_path_buf());
        self
    }

    /// Known issues already loaded (default: none, every group gets a suggested title).
    /// Their categories are checked against the classifier when the triage is built. The
    /// files of [`TriageBuilder::known_issues_file`] are added after them.
    pub fn known_issues(&mut self, known: KnownIssues) -> &mut Self {
        self.known_issues = Some(known);
        self
    }

    /// A known-issues file, hand-written or a tracker's export, loaded when the triage is
    /// built (default: none). May be given several times: the files' issues are used
    /// together, in the order given (a hand-written entry still wins over a text match).
    pub fn known_issues_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.known_issues_files.push(path.as_ref().to_path_buf());
        self
    }

    /// The slow-query threshold in milliseconds (default 1000; a number >= 0).
    pub fn slow_ms(&mut self, ms: f64) -> &mut Self {
        self.slow_ms = ms;
        self
    }

    /// The largest entry kept, in bytes (default 16 MiB; at least 1); larger ones are
    /// counted `oversize`.
    pub fn max_entry_bytes(&mut self, bytes: usize) -> &mut Self {
        self.max_entry_bytes = bytes;
        self
    }

    /// The reader's starting buffer capacity in bytes (default 1 MiB; at least 1: fewer,
    /// larger reads measured 15% faster than 64 KiB on page-cached input).
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

    /// Worker threads for large inputs (default 1; at least 1).
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.threads = n;
        self
    }

    /// The size of the blocks the parallel path hands to each worker (default 512 KiB; at
    /// least 1; each worker holds about four at a time).
    pub fn block_bytes(&mut self, bytes: usize) -> &mut Self {
        self.block_bytes = bytes;
        self
    }

    /// The slow-query threshold, largest entry and validation `partial` was made with, as a
    /// merge of it must use them (rules files must be given alike: the merge checks them).
    pub fn settings_of(&mut self, partial: &Partial) -> &mut Self {
        let (slow_ms, max_entry_bytes, validate) = partial.scan_settings();
        self.slow_ms(slow_ms)
            .max_entry_bytes(max_entry_bytes)
            .validate(validate)
    }

    /// Checks the settings, loads the rules and known-issues files and returns the
    /// configured triage.
    pub fn build(&self) -> Result<Triage> {
        self.check_settings()?;
        let mut classifier = self.classifier.clone().unwrap_or_else(Classifier::builtin);
        for path in &self.rules {
            classifier.add_rules_file(path)?;
        }
        let mut known = match &self.known_issues {
            Some(known) => {
                check_categories(known, classifier.categories())?;
                known.clone()
            }
            None => KnownIssues::default(),
        };
        for path in &self.known_issues_files {
            known.extend(KnownIssues::load(path, classifier.categories())?);
        }
        let pool = match self.threads {
            1 => None,
            n => Some(Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::Setting {
                        name: "threads",
                        reason: format!("cannot start {n} threads: {e}"),
                    })?,
            )),
        };
        let prefilter = Prefilter::with_literals(
            self.slow_ms,
            &classifier.platform().literals().collect::<Vec<_>>(),
        );
        let stages = Stages {
            classifier,
            known,
            prefilter,
            memo: Arc::default(),
            max_entry_bytes: self.max_entry_bytes,
            capacity: self.capacity,
            validate: self.validate,
        };
        Ok(Triage {
            stages,
            pool,
            threads: self.threads,
            block_bytes: self.block_bytes,
        })
    }

    fn check_settings(&self) -> Result<()> {
        let setting = |name, reason: &str| {
            Err(Error::Setting {
                name,
                reason: reason.to_string(),
            })
        };
        if !(self.slow_ms.is_finite() && self.slow_ms >= 0.0) {
            return setting(
                "slow-ms",
                &format!("must be a number >= 0, not {}", self.slow_ms),
            );
        }
        let counts = [
            ("threads", self.threads),
            ("block-bytes", self.block_bytes),
            ("max-entry-bytes", self.max_entry_bytes),
            ("buffer-capacity", self.capacity),
        ];
        match counts.iter().find(|(_, n)| *n == 0) {
            Some((name, _)) => setting(name, "must be at least 1, not 0"),
            None => Ok(()),
        }
    }
}

/// The report with what reading the input found out about it.
fn with_found(mut report: Report, found: Found) -> Report {
    report.totals.gzip = found.gzip;
    report.totals.binary = found.binary;
    report.totals.truncated = found.truncated;
    report
}

/// Known issues given in memory must name categories the classifier knows.
fn check_categories(known: &KnownIssues, categories: &Categories) -> Result<()> {
    match known.unknown_category(categories) {
        Some((file, index, category)) => Err(Error::Item {
            file: file.to_string(),
            item: Item::Issue,
            index,
            reason: format!(
                "unknown category {category:?} (known: {})",
                categories.names()
            ),
        }),
        None => Ok(()),
    }
}

/// A configured triage run: feed it logs, get events and a [`Report`].
#[derive(Clone, Debug)]
pub struct Triage {
    stages: Stages,
    /// The workers of the parallel path, started once; `None` for one thread.
    pool: Option<Arc<rayon::ThreadPool>>,
    threads: usize,
    block_bytes: usize,
}

impl Triage {
    /// The classifier in use (built-in plus user rules).
    pub fn classifier(&self) -> &Classifier {
        &self.stages.classifier
    }

    /// Reads `rdr` to the end, pushing each event to `sink` as it is found, and returns the
    /// ranked report. With `threads > 1`, NDJSON and text input is cut into blocks that are
    /// scanned in parallel; the events and the report are the same as with one thread.
    ///
    /// Gzip input (told by its first bytes) is decompressed as it is read, and input that
    /// is not text or JSON is flagged in the report's totals: see
    /// [`reference`](crate::reference#compressed-and-binary-input).
    pub fn run<R: Read, S: Sink + ?Sized>(&self, rdr: R, sink: &mut S) -> Result<Report> {
        let mut input = Decoded::new(rdr)?;
        let report = self.run_stream(&mut input, sink)?;
        Ok(self.ranked(with_found(report, input.found())))
    }

    /// [`Triage::run`] of an input already decoded.
    fn run_stream<R: Read, S: Sink + ?Sized>(&self, rdr: R, sink: &mut S) -> Result<Report> {
        match self.parallel() {
            Some(p) => parallel::run_stream(&p, rdr, sink),
            None => run_sequential(&self.stages, rdr, sink),
        }
    }

    /// Triage of an in-memory input.
    pub fn run_slice<S: Sink + ?Sized>(&self, input: &[u8], sink: &mut S) -> Result<Report> {
        self.run_at(input, 0..input.len() as u64, sink)
    }

    /// Triage of `range` of an input read at offsets, such as a file. With `threads > 1`,
    /// each worker reads the blocks it scans: no thread copies the input for the others, and
    /// a block is scanned while the read left it in that core's cache. A gzip input is
    /// decompressed as a stream instead (blocks are cut from the decompressed bytes), since
    /// it cannot be read at offsets.
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
        let mut head = vec![0; HEAD_BYTES.min(range.end.saturating_sub(range.start) as usize)];
        let n = read_full_at(input, &mut head, range.start)?;
        head.truncate(n);
        if is_gzip(&head) {
            let rest = At::new(input, range.start + n as u64..range.end);
            let mut decoded = Decoded::with_head(head, rest)?;
            let report = self.run_stream(&mut decoded, sink)?;
            return Ok(self.ranked(with_found(report, decoded.found())));
        }
        let report = match self.parallel() {
            Some(p) => parallel::run_positional(&p, input, range, sink)?,
            None => run_sequential(&self.stages, At::new(input, range), sink)?,
        };
        let found = Found {
            binary: binary(&head),
            ..Found::default()
        };
        Ok(self.ranked(with_found(report, found)))
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

    /// The partial report of one shard of an input (see [`Partial`]), read on this thread
    /// as `format` (`None`: detected from its first bytes, as [`Triage::run`] does; a shard
    /// cut from the middle of a JSON array must say [`Format::Array`]). Known issues are
    /// linked when the merged partial is finished, not here.
    /// Gzip input is decompressed as [`Triage::run`] does it.
    pub fn partial<R: Read>(&self, rdr: R, format: Option<Format>) -> Result<Partial> {
        let mut input = Decoded::new(rdr)?;
        let mut partial = partial::scan(&self.stages, &mut input, format)?;
        let found = input.found();
        // The binary data of a plain input is looked for in its first bytes, as
        // [`Triage::run_at`] looks (a first read of a pipe may hold fewer).
        let binary = match found.gzip {
            true => found.binary,
            false => binary(partial.head()),
        };
        let totals = &mut partial.totals;
        (totals.gzip, totals.binary, totals.truncated) = (found.gzip, binary, found.truncated);
        Ok(partial)
    }

    /// `first` followed by `next`, the partial of the shard right after it, as one partial:
    /// associative, and exact (finished, it gives the report of the shards' concatenation).
    /// An error when they were made with other settings than this triage's or each other's,
    /// read as other formats, out of order by their recorded places, or when a split
    /// traceback runs past what `next` keeps of its start.
    pub fn merge_partials(&self, first: Partial, next: Partial) -> Result<Partial> {
        self.check_partial(&first)?;
        self.check_partial(&next)?;
        let first = self.settle_format(first, next.format)?;
        let next = self.settle_format(next, first.format)?;
        Ok(first.join(next, |held, tail, next, line| {
            partial::rescan(&self.stages, held, tail, next, line)
        })?)
    }

    /// `partial` read again as text when it held only blank lines (no format could be
    /// detected from them) and its neighbour is text: there, blank lines are entries.
    fn settle_format(&self, partial: Partial, other: Option<Format>) -> Result<Partial> {
        if partial.format.is_some() || partial.bytes == 0 || other != Some(Format::Text) {
            return Ok(partial);
        }
        if !partial.lead.whole {
            return Err(crate::error::PartialError::Format {
                before: "blank lines only".to_string(),
                this: "text".to_string(),
            }
            .into());
        }
        let mut again = partial::scan(&self.stages, &partial.lead.bytes[..], other)?;
        again.first = partial.first;
        again.last = partial.last;
        Ok(again)
    }

    /// Whether `partial` was made with this triage's settings (slow-query threshold,
    /// largest entry, validation and rules).
    pub(crate) fn check_partial(&self, partial: &Partial) -> Result<()> {
        match partial.settings.differs(&partial::settings(&self.stages)) {
            Some(setting) => Err(crate::error::PartialError::Settings { setting }.into()),
            None => Ok(()),
        }
    }

    /// The report of a partial (merged from every shard of an input, in order), ranked,
    /// with this triage's known issues linked.
    pub fn finish_partial(&self, partial: Partial) -> Report {
        self.ranked(partial::finish(&self.stages, partial))
    }

    /// Classification, fingerprint and known issue of one assembled event.
    pub fn finish_event(&self, event: &mut Event) {
        self.stages.finish_event(event);
    }

    /// The parallel setting, when there are workers.
    fn parallel(&self) -> Option<Parallel<'_>> {
        Some(Parallel {
            stages: &self.stages,
            pool: self.pool.as_deref()?,
            threads: self.threads,
            block_bytes: self.block_bytes,
        })
    }

    fn ranked(&self, mut report: Report) -> Report {
        report.make_titles(suggest_title);
        let categories = self.stages.classifier.categories();
        report.rank(|c| categories.rank(c));
        report
    }
}
