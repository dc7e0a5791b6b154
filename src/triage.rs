//! The pipeline: reader, prefilter, entry parsing, event assembly, classification,
//! fingerprints, known issues and the report, behind one builder.

use crate::classify::Classifier;
use crate::entry::{Entry, Prefilter};
use crate::event::{Assembler, AssemblerOptions, Event};
use crate::knowledge::{self, KnownIssues};
use crate::reader::{Framed, ReaderBuilder, DEFAULT_MAX_ENTRY_BYTES};
use crate::report::Report;
use crate::{fingerprint, Error, Result};

use std::io::Read;
use std::path::{Path, PathBuf};

/// Receives each event as soon as it is found and classified.
///
/// Return `Ok(false)` to stop the run early (the report then covers what was read).
pub trait Sink {
    /// Called once per event, in input order.
    fn event(&mut self, event: &Event) -> std::io::Result<bool>;
}

/// A [`Sink`] from a closure.
///
/// ```
/// let mut seen = 0;
/// let mut sink = logtriage::FnSink(|_ev: &logtriage::Event| {
///     seen += 1;
///     Ok(true)
/// });
/// # let _ = &mut sink;
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
}

impl Default for TriageBuilder {
    fn default() -> Self {
        TriageBuilder {
            rules: Vec::new(),
            known_issues: None,
            slow_ms: 1000.0,
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            capacity: 64 << 10,
            validate: false,
            threads: 1,
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

    /// The reader's starting buffer capacity in bytes (default 64 KiB).
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
        Ok(Triage {
            classifier,
            known,
            options: self.clone(),
        })
    }
}

/// A configured triage run: feed it logs, get events and a [`Report`].
#[derive(Clone, Debug)]
pub struct Triage {
    classifier: Classifier,
    known: KnownIssues,
    options: TriageBuilder,
}

impl Triage {
    /// The classifier in use (built-in plus user rules).
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Reads `rdr` to the end, pushing each event to `sink`, and returns the ranked report.
    pub fn run<R: Read, S: Sink + ?Sized>(&self, rdr: R, sink: &mut S) -> Result<Report> {
        let mut reader = ReaderBuilder::new()
            .capacity(self.options.capacity)
            .max_entry_bytes(self.options.max_entry_bytes)
            .build(rdr);
        let prefilter = Prefilter::default();
        let mut assembler = Assembler::new(AssemblerOptions {
            slow_ms: self.options.slow_ms,
        });
        let mut report = Report::default();
        let mut found: Vec<Event> = Vec::new();
        let mut scratch = String::new();
        let mut go_on = true;
        while go_on {
            let Some(framed) = reader.next_entry()? else {
                break;
            };
            match framed {
                Framed::Oversize { .. } => {
                    report.totals.oversize();
                    assembler.skip();
                }
                Framed::Malformed { line } => report.totals.malformed(line),
                Framed::Entry { bytes, line, json } => {
                    let wanted = self.options.validate
                        || assembler.has_open()
                        || prefilter.is_candidate(bytes);
                    if !wanted {
                        report.totals.ok();
                        assembler.skip();
                        continue;
                    }
                    let entry = if json {
                        Entry::from_json(bytes, line, &mut scratch)
                    } else {
                        Ok(Entry::from_text(String::from_utf8_lossy(bytes), line))
                    };
                    match entry {
                        Ok(entry) => {
                            report.totals.ok();
                            assembler.push(&entry, &mut |ev| found.push(ev));
                        }
                        Err(_) => report.totals.malformed(line),
                    }
                }
            }
            go_on = self.emit(&mut found, &mut report, sink)?;
        }
        assembler.finish(&mut |ev| found.push(ev));
        self.emit(&mut found, &mut report, sink)?;
        report.totals.lines = reader.lines();
        report.rank(|c| self.classifier.rank(c));
        Ok(report)
    }

    /// Triage of an in-memory input.
    pub fn run_slice<S: Sink + ?Sized>(&self, input: &[u8], sink: &mut S) -> Result<Report> {
        self.run(input, sink)
    }

    /// Classifies, fingerprints and links the events found, then hands them on.
    fn emit<S: Sink + ?Sized>(
        &self,
        found: &mut Vec<Event>,
        report: &mut Report,
        sink: &mut S,
    ) -> Result<bool> {
        let mut go_on = true;
        for mut event in found.drain(..) {
            self.finish_event(&mut event);
            report.add(&event, knowledge::suggest_title);
            if go_on {
                go_on = sink.event(&event)?;
            }
        }
        Ok(go_on)
    }

    /// Classification, fingerprint and known issue of one assembled event.
    pub fn finish_event(&self, event: &mut Event) {
        self.classifier.classify(event);
        event.fingerprint = fingerprint::of_event(event);
        event.known_issue = self.known.find(event).cloned();
    }
}
