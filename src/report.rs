//! The report: totals that account for every entry, and events grouped by fingerprint.
//!
//! A report is a monoid: [`Report::merge`] of the reports of two consecutive shards equals
//! the report of their concatenation, so shards of a large export can be triaged apart.
//!
//! Its JSON form (`--format json`) is the crate's output schema, written and read with
//! serde; [`SCHEMA_VERSION`] says which one a saved report follows.

use crate::category::Category;
use crate::event::{Event, IssueRef};
use crate::fingerprint::Fingerprint;
use crate::input::Binary;
use crate::logs_url::logs_explorer_url;
use crate::timestamp::{self, Instant};
use crate::traceback::Frame;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// The version of the JSON report's schema, written as its `schema_version`. It changes
/// when a field changes meaning or goes away; new fields do not change it.
pub const SCHEMA_VERSION: u32 = 1;

/// How many malformed lines a report remembers.
pub const MALFORMED_LINES_KEPT: usize = 10;
/// How many sample `insertId`s a group keeps.
pub const SAMPLES_KEPT: usize = 5;
/// The most bytes of its first event's text a group keeps as [`Group::sample_text`].
pub const SAMPLE_TEXT_BYTES: usize = 4096;

/// Counts that account for every entry: `entries = ok + malformed + oversize`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Totals {
    /// Entries framed in the input.
    pub entries: u64,
    /// Entries that were well-formed (and, when parsed, parsed).
    pub ok: u64,
    /// Entries that are not JSON objects, or a truncated last entry.
    pub malformed: u64,
    /// Entries larger than `max_entry_bytes`, skipped.
    pub oversize: u64,
    /// Events found.
    pub events: u64,
    /// Input lines read (used to place a later shard's line numbers when merging).
    pub lines: u64,
    /// The 1-based lines where the first malformed entries start.
    pub malformed_lines: Vec<u64>,
    /// The earliest and latest timestamps of the events found; `None` (`null`) when no
    /// event had one. Filled from the groups by [`Report::rank`].
    pub span: Option<Span>,
    /// The services the events came from, sorted. Filled from the groups by
    /// [`Report::rank`].
    pub services: BTreeSet<String>,
    /// The input was gzip-compressed (detected by its first bytes) and was decompressed as
    /// it was read.
    #[serde(default)]
    pub gzip: bool,
    /// The input (after decompression) did not look like text or JSON, and why: NUL bytes,
    /// mostly invalid UTF-8, or a compression logtriage does not read. Its entries are
    /// counted as usual, but "no failure found" in it means little.
    #[serde(default)]
    pub binary: Option<Binary>,
    /// The gzip data ended early or was corrupt: the input was read up to there (a last
    /// entry cut short counts as malformed) and the rest is lost.
    #[serde(default)]
    pub truncated: bool,
}

/// The time the events of a report cover: timestamps as the input wrote them (RFC 3339), or
/// as read from plain text (see [`crate::reference`], "Plain text").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Span {
    /// The earliest timestamp.
    pub first: String,
    /// The latest timestamp.
    pub last: String,
}

impl Totals {
    /// Counts one well-formed entry.
    pub(crate) fn ok(&mut self) {
        self.ok_many(1);
    }

    /// Counts `n` well-formed entries.
    pub(crate) fn ok_many(&mut self, n: u64) {
        self.entries += n;
        self.ok += n;
    }

    /// Counts one malformed entry starting at `line`.
    pub(crate) fn malformed(&mut self, line: u64) {
        self.entries += 1;
        self.malformed += 1;
        if self.malformed_lines.len() < MALFORMED_LINES_KEPT {
            self.malformed_lines.push(line);
        }
    }

    /// Counts one oversize entry.
    pub(crate) fn oversize(&mut self) {
        self.entries += 1;
        self.oversize += 1;
    }

    /// Adds the totals of the shard that follows this one.
    pub fn merge(&mut self, next: &Totals) {
        let offset = self.lines;
        self.add_counts(next, offset);
        self.lines += next.lines;
        self.gzip |= next.gzip;
        self.binary = self.binary.or(next.binary);
        self.truncated |= next.truncated;
        if let Some(span) = &next.span {
            self.widen_span(&span.first, &span.last);
        }
        self.services.extend(next.services.iter().cloned());
    }

    fn widen_span(&mut self, lo: &str, hi: &str) {
        let (mut first, mut last) = match self.span.take() {
            Some(Span { first, last }) => (Some(first), Some(last)),
            None => (None, None),
        };
        widen(&mut first, &mut last, Seen::of(lo), Seen::of(hi));
        if let (Some(first), Some(last)) = (first, last) {
            self.span = Some(Span { first, last });
        }
    }

    /// Adds the counts of `next`, whose malformed lines are `line_offset` lines before
    /// their place in this input (0 when they are numbered in this input already).
    pub(crate) fn add_counts(&mut self, next: &Totals, line_offset: u64) {
        self.entries += next.entries;
        self.ok += next.ok;
        self.malformed += next.malformed;
        self.oversize += next.oversize;
        self.events += next.events;
        let room = MALFORMED_LINES_KEPT.saturating_sub(self.malformed_lines.len());
        self.malformed_lines.extend(
            next.malformed_lines
                .iter()
                .take(room)
                .map(|l| l + line_offset),
        );
    }
}

/// Events that share a fingerprint.
///
/// What a group says of its events does not depend on the order they came in (an export
/// read oldest or newest first): its message, subject, frame and known issue are those of
/// its earliest event (by timestamp, read as an instant, one instant written two ways by
/// the text; among events of one timestamp, the one with the smallest first `insertId`; events without a timestamp come after: the first
/// found speaks for a group of only such events, and as samples they go by `insertId`), and
/// its samples are the first `insertId`s of its earliest events, in that order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Group {
    /// The shared fingerprint.
    pub fingerprint: Fingerprint,
    /// The category.
    pub category: Category,
    /// The deciding exception type, if any.
    pub exception: Option<String>,
    /// The earliest occurrence's message.
    pub message: String,
    /// The earliest occurrence's subject.
    pub subject: Option<String>,
    /// The earliest occurrence's innermost in-app frame (where it was raised in the app).
    pub top_frame: Option<Frame>,
    /// How many events the group holds.
    pub count: u64,
    /// The earliest timestamp seen (compared as instants: `…:02Z` is before `…:02.5Z`, and
    /// an offset counts), as written.
    pub first_seen: Option<String>,
    /// The latest timestamp seen.
    pub last_seen: Option<String>,
    /// Services seen, sorted.
    pub services: BTreeSet<String>,
    /// Revisions seen, sorted.
    pub revisions: BTreeSet<String>,
    /// The first `insertId` of each of its earliest events (in time order, see above), at
    /// most [`SAMPLES_KEPT`]: the same set whichever order the export came in.
    pub samples: Vec<String>,
    /// The known issue that tracks the group (the earliest occurrence's).
    pub known_issue: Option<IssueRef>,
    /// A title for a new issue, when no known issue matches.
    pub suggested_title: Option<String>,
    /// The earliest occurrence's text (its traceback, or its message), for a reader to see
    /// one whole: at most [`SAMPLE_TEXT_BYTES`], a longer one cut to its first line, a `…`
    /// line and as many of its last lines as fit. `None` (`null`) when the text is blank.
    pub sample_text: Option<String>,
    /// The earliest occurrence's project id, from its `logName`.
    #[serde(default)]
    pub project: Option<String>,
    /// The Logs Explorer link that opens the samples (set by [`Report::rank`]; `null` without
    /// a project or a sample).
    #[serde(default)]
    pub logs_url: Option<String>,
    /// When the samples happened, to keep the earliest; not saved (a group read back keeps
    /// the order it was saved in).
    #[serde(skip)]
    sample_times: SampleTimes,
    /// The content of the event it speaks for; not saved.
    #[serde(skip)]
    shown: Shown,
    /// The event it speaks for, while its suggested title is still to be made (see
    /// `Report::add_later`); not saved.
    #[serde(skip)]
    speaker: Speaker,
}

/// An event kept for its title (boxed: most groups keep none). Not part of equality.
#[derive(Clone, Debug, Default)]
struct Speaker(Option<Box<Event>>);

impl PartialEq for Speaker {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// When a group's suggested title is made.
enum Title<F> {
    Now(F),
    /// At `Report::make_titles`: read newest first, every event is earlier than the ones
    /// before it, and making the title of each cost more than the rest of its report work.
    Later,
}

/// A hash of the kind and text of the event a group speaks for: an earlier event with the
/// same content would say the same (read newest first, every event is earlier, and a title
/// costs more than the rest of a report's work for it). Not part of a group's equality.
#[derive(Clone, Copy, Debug, Default)]
struct Shown(Option<u64>);

impl Shown {
    fn of(event: &Event) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        event.kind.hash(&mut h);
        event.text.hash(&mut h);
        Shown(Some(h.finish()))
    }
}

impl PartialEq for Shown {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The times of a group's samples, beside them; not part of the saved form, nor of a
/// group's equality (a group read back has none).
#[derive(Clone, Debug, Default)]
struct SampleTimes(Vec<SampleKey>);

impl PartialEq for SampleTimes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Where an event goes among a group's: by its time (none after any; one instant written
/// two ways, by the text), then its first `insertId`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SampleKey {
    untimed: bool,
    time: Option<Instant>,
    text: Option<String>,
    id: String,
}

impl SampleKey {
    fn of(event: &Event, time: Option<Instant>) -> Option<SampleKey> {
        let id = event.insert_ids.first()?.clone();
        Some(SampleKey {
            untimed: time.is_none(),
            time,
            text: event.timestamp.clone(),
            id,
        })
    }
}

/// A timestamp as written and as read.
#[derive(Clone, Copy)]
struct Seen<'a>(&'a str, Option<Instant>);

impl<'a> Seen<'a> {
    fn of(text: &'a str) -> Self {
        Seen(text, timestamp::parse(text))
    }

    /// By instant; ones that cannot be read come after, as strings.
    fn order(self, other: Seen<'_>) -> Ordering {
        (self.1.is_none(), self.1)
            .cmp(&(other.1.is_none(), other.1))
            .then_with(|| self.0.cmp(other.0))
    }
}

impl Group {
    fn new(event: &Event, suggested_title: Option<String>) -> Self {
        let c = &event.classification;
        Group {
            fingerprint: c.fingerprint,
            category: c.category.clone(),
            exception: c.exception.clone(),
            message: c.message.clone(),
            subject: c.subject.clone(),
            top_frame: c.frames.last().cloned(),
            count: 0,
            first_seen: None,
            last_seen: None,
            services: BTreeSet::new(),
            revisions: BTreeSet::new(),
            samples: Vec::new(),
            known_issue: c.known_issue.clone(),
            suggested_title,
            sample_times: SampleTimes::default(),
            shown: Shown::of(event),
            speaker: Speaker::default(),
            sample_text: sample_text(&event.text),
            project: event.project.clone(),
            logs_url: None,
        }
    }

    /// Adds an event; `title` makes the suggested title should it become the earliest.
    fn add<F: FnOnce(&Event) -> String>(&mut self, event: &Event, title: Title<F>) {
        let seen = event.timestamp.as_deref().map(Seen::of);
        let first = self.first_seen.as_deref().map(Seen::of);
        let earlier = self.count > 0 && self.is_earlier(event, seen, first);
        self.count += 1;
        let shown = if earlier {
            Shown::of(event)
        } else {
            self.shown
        };
        if earlier && shown.0 != self.shown.0 {
            // The earliest event speaks for the group, whichever order the events came in.
            self.shown = shown;
            let untracked = event.classification.known_issue.is_none();
            let title = match title {
                Title::Now(suggest) => untracked.then(|| suggest(event)),
                Title::Later => {
                    self.speaker = Speaker(untracked.then(|| Box::new(event.clone())));
                    None
                }
            };
            let fresh = Group::new(event, title);
            self.message = fresh.message;
            self.subject = fresh.subject;
            self.top_frame = fresh.top_frame;
            self.known_issue = fresh.known_issue;
            self.suggested_title = fresh.suggested_title;
            self.sample_text = fresh.sample_text;
            if fresh.project.is_some() {
                self.project = fresh.project;
            }
        }
        if let Some(seen) = seen {
            if first.is_none_or(|f| seen.order(f) == Ordering::Less) {
                replace(&mut self.first_seen, seen.0);
            }
            let last = self.last_seen.as_deref().map(Seen::of);
            if last.is_none_or(|l| seen.order(l) == Ordering::Greater) {
                replace(&mut self.last_seen, seen.0);
            }
        }
        // Every event of a group names the same few services: clone only a new one.
        insert_new(&mut self.services, event.service.as_ref());
        insert_new(&mut self.revisions, event.revision.as_ref());
        if let Some(key) = SampleKey::of(event, seen.and_then(|s| s.1)) {
            self.keep_sample(key);
        }
    }

    /// Whether `event` is earlier than the one the group speaks for: by time, then by its
    /// first `insertId` (the group's first sample, when it is that event's).
    fn is_earlier(&self, event: &Event, seen: Option<Seen<'_>>, first: Option<Seen<'_>>) -> bool {
        let Some(seen) = seen else {
            return false;
        };
        let Some(first) = first else {
            return true;
        };
        match seen.order(first) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => match (event.insert_ids.first(), self.samples.first()) {
                (Some(id), Some(sample)) => id < sample,
                _ => false,
            },
        }
    }

    /// Keeps `key`'s `insertId` if it is among the earliest [`SAMPLES_KEPT`].
    fn keep_sample(&mut self, key: SampleKey) {
        let times = &mut self.sample_times.0;
        if times.len() != self.samples.len() {
            // Read back without times: the saved order stands, new samples come after.
            if self.samples.len() < SAMPLES_KEPT {
                self.samples.push(key.id);
            }
            return;
        }
        let at = times.partition_point(|k| k <= &key);
        if at >= SAMPLES_KEPT {
            return;
        }
        self.samples.insert(at, key.id.clone());
        times.insert(at, key);
        self.samples.truncate(SAMPLES_KEPT);
        times.truncate(SAMPLES_KEPT);
    }

    fn merge(&mut self, next: &Group) {
        let earlier = match (&next.first_seen, &self.first_seen) {
            (Some(theirs), Some(mine)) => match seen_order(theirs, mine) {
                Ordering::Equal => next.samples.first() < self.samples.first(),
                order => order == Ordering::Less,
            },
            (Some(_), None) => true,
            _ => false,
        };
        if earlier {
            self.shown = next.shown;
            self.speaker = next.speaker.clone();
            self.message = next.message.clone();
            self.subject = next.subject.clone();
            self.top_frame = next.top_frame.clone();
            self.known_issue = next.known_issue.clone();
            self.suggested_title = next.suggested_title.clone();
            self.sample_text = next.sample_text.clone();
            if next.project.is_some() {
                self.project = next.project.clone();
            }
        }
        self.count += next.count;
        if let (Some(first), Some(last)) = (&next.first_seen, &next.last_seen) {
            widen(
                &mut self.first_seen,
                &mut self.last_seen,
                Seen::of(first),
                Seen::of(last),
            );
        }
        self.services.extend(next.services.iter().cloned());
        self.revisions.extend(next.revisions.iter().cloned());
        if self.project.is_none() {
            self.project.clone_from(&next.project);
        }
        let timed = |g: &Group| g.sample_times.0.len() == g.samples.len();
        if timed(self) && timed(next) {
            for key in &next.sample_times.0 {
                self.keep_sample(key.clone());
            }
            return;
        }
        // Without times (a report read back): the earlier group's samples first.
        let (first, then) = if earlier {
            (&next.samples, &self.samples)
        } else {
            (&self.samples, &next.samples)
        };
        let samples: Vec<String> = first
            .iter()
            .chain(then)
            .take(SAMPLES_KEPT)
            .cloned()
            .collect();
        self.samples = samples;
        self.sample_times = SampleTimes::default();
    }
}

/// Orders two timestamps as instants; ones that cannot be read come after, as strings.
fn seen_order(a: &str, b: &str) -> Ordering {
    Seen::of(a).order(Seen::of(b))
}

/// `text` cut to [`SAMPLE_TEXT_BYTES`]: whole when it fits, else its first line (at most a
/// quarter of the bytes), a `…` line, and the whole last lines that fit (the end of a
/// traceback holds the innermost frames and the exception).
fn sample_text(text: &str) -> Option<String> {
    let text = text.trim_end();
    if text.trim_start().is_empty() {
        return None;
    }
    if text.len() <= SAMPLE_TEXT_BYTES {
        return Some(text.to_string());
    }
    let first = text.lines().next().unwrap_or_default();
    let first = &first[..floor_char_boundary(first, SAMPLE_TEXT_BYTES / 4)];
    const MARK: &str = "\n…\n";
    let budget = SAMPLE_TEXT_BYTES - first.len() - MARK.len();
    let mut from = text.len() - budget;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let tail = &text[from..];
    // Whole lines only, unless the last line alone is longer than the budget.
    let tail = match tail.find('\n') {
        Some(nl) if nl + 1 < tail.len() => &tail[nl + 1..],
        _ => tail,
    };
    Some(format!("{first}{MARK}{tail}"))
}

/// The largest char boundary of `s` at or below `at`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn insert_new(set: &mut BTreeSet<String>, value: Option<&String>) {
    if let Some(value) = value.filter(|v| !set.contains(*v)) {
        set.insert(value.clone());
    }
}

/// Widens `first..=last` to hold `lo..=hi`. Timestamps mostly grow: `last` changes with
/// nearly every event, in place.
fn widen(first: &mut Option<String>, last: &mut Option<String>, lo: Seen<'_>, hi: Seen<'_>) {
    if first
        .as_deref()
        .is_none_or(|f| lo.order(Seen::of(f)) == Ordering::Less)
    {
        replace(first, lo.0);
    }
    if last
        .as_deref()
        .is_none_or(|l| hi.order(Seen::of(l)) == Ordering::Greater)
    {
        replace(last, hi.0);
    }
}

fn replace(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(s) => value.clone_into(s),
        None => *slot = Some(value.to_string()),
    }
}

/// The result of a triage run: totals and groups.
///
/// ```
/// let triage = logtriage::TriageBuilder::new().build()?;
/// let logs = br#"{"severity":"ERROR","textPayload":"Redis connection refused"}"#;
/// let report = triage.run_slice(logs, &mut logtriage::NoSink)?;
/// let saved = serde_json::to_string(&report).expect("a report serializes");
/// let back: logtriage::Report = serde_json::from_str(&saved).expect("and reads back");
/// assert_eq!(back, report);
/// # Ok::<(), logtriage::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Saved")]
#[non_exhaustive]
pub struct Report {
    /// The schema of the JSON form, [`SCHEMA_VERSION`].
    #[serde(serialize_with = "schema_version")]
    schema_version: (),
    /// Counts that account for every entry.
    pub totals: Totals,
    /// Groups, in the order their first event was found until [`Report::rank`] sorts them.
    pub groups: Vec<Group>,
    #[serde(skip)]
    index: HashMap<Fingerprint, usize>,
}

impl Report {
    /// Adds a classified event to its group. `suggest` makes the suggested title of a group
    /// that has no known issue, from the event it speaks for (a new group's first, or an
    /// event earlier than any before it).
    pub fn add(&mut self, event: &Event, suggest: impl FnOnce(&Event) -> String) {
        self.add_with(event, Title::Now(suggest));
    }

    /// [`Report::add`], the suggested titles made later by [`Report::make_titles`].
    pub(crate) fn add_later(&mut self, event: &Event) {
        self.add_with(event, Title::<fn(&Event) -> String>::Later);
    }

    /// Makes the suggested titles [`Report::add_later`] left to make.
    pub(crate) fn make_titles(&mut self, suggest: impl Fn(&Event) -> String) {
        for group in &mut self.groups {
            if let Some(event) = group.speaker.0.take() {
                group.suggested_title = Some(suggest(&event));
            }
        }
    }

    fn add_with<F: FnOnce(&Event) -> String>(&mut self, event: &Event, title: Title<F>) {
        self.totals.events += 1;
        let fingerprint = event.classification.fingerprint;
        match self.index.get(&fingerprint) {
            Some(&i) => {
                if let Some(group) = self.groups.get_mut(i) {
                    group.add(event, title);
                }
            }
            None => {
                let untracked = event.classification.known_issue.is_none();
                let (title, speaker) = match title {
                    Title::Now(suggest) => (untracked.then(|| suggest(event)), None),
                    Title::Later => (None, untracked.then(|| Box::new(event.clone()))),
                };
                let mut group = Group::new(event, title);
                group.speaker = Speaker(speaker);
                group.add(event, Title::<F>::Later);
                self.index.insert(fingerprint, self.groups.len());
                self.groups.push(group);
            }
        }
    }

    /// Appends the report of the shard that follows this one.
    pub fn merge(&mut self, next: &Report) {
        self.totals.merge(&next.totals);
        for group in &next.groups {
            match self
                .index
                .get(&group.fingerprint)
                .and_then(|&i| self.groups.get_mut(i))
            {
                Some(mine) => mine.merge(group),
                None => {
                    self.index.insert(group.fingerprint, self.groups.len());
                    self.groups.push(group.clone());
                }
            }
        }
    }

    /// Sorts groups for a reader: by the rank of their category (lower first, see
    /// [`crate::Categories::rank`]), then most frequent first, then first seen (as an
    /// instant; groups without a timestamp first), then by fingerprint: the order does not
    /// depend on the order events came in. It fills the span and services of the totals from
    /// the groups, and sets each group's [`Group::logs_url`] from its samples.
    pub fn rank(&mut self, category_rank: impl Fn(&str) -> u32) {
        let seen = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => seen_order(a, b),
            _ => a.is_some().cmp(&b.is_some()),
        };
        self.totals.span = None;
        self.totals.services.clear();
        for group in &self.groups {
            if let (Some(first), Some(last)) = (&group.first_seen, &group.last_seen) {
                self.totals.widen_span(first, last);
            }
            for service in &group.services {
                if !self.totals.services.contains(service) {
                    self.totals.services.insert(service.clone());
                }
            }
        }
        self.groups.sort_by(|a, b| {
            category_rank(a.category.as_str())
                .cmp(&category_rank(b.category.as_str()))
                .then(b.count.cmp(&a.count))
                .then_with(|| seen(&a.first_seen, &b.first_seen))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        for g in &mut self.groups {
            let project = g.project.as_deref().unwrap_or("");
            let (first, last) = (g.first_seen.as_deref(), g.last_seen.as_deref());
            g.logs_url = logs_explorer_url(project, &g.samples, first, last);
        }
        self.reindex();
    }

    fn reindex(&mut self) {
        self.index = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.fingerprint, i))
            .collect();
    }
}

/// Writes [`SCHEMA_VERSION`] in place of the unit field that stands for it.
fn schema_version<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(SCHEMA_VERSION)
}

/// A report as saved: its schema version is checked, and the index rebuilt.
#[derive(serde::Deserialize)]
struct Saved {
    schema_version: u32,
    totals: Totals,
    groups: Vec<Group>,
}

impl TryFrom<Saved> for Report {
    type Error = String;

    fn try_from(saved: Saved) -> Result<Self, String> {
        if saved.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "a report of schema_version {}, this is version {SCHEMA_VERSION}",
                saved.schema_version
            ));
        }
        let mut report = Report {
            totals: saved.totals,
            groups: saved.groups,
            ..Report::default()
        };
        report.reindex();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::{sample_text, SAMPLE_TEXT_BYTES};

    #[test]
    fn a_short_text_is_kept_whole_and_a_blank_one_is_none() {
        let tb =
            "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nNameError: x\n";
        assert_eq!(sample_text(tb).as_deref(), Some(tb.trim_end()));
        assert_eq!(sample_text(" \n\t"), None);
    }

    #[test]
    fn a_long_text_keeps_its_first_line_and_its_last_whole_lines() {
        let mut tb = String::from("Traceback (most recent call last):\n");
        for i in 0..400 {
            tb.push_str(&format!(
                "  File \"/app/é{i}.py\", line {i}, in f{i}\n    g()\n"
            ));
        }
        tb.push_str("NameError: name 'x' is not defined");
        let s = sample_text(&tb).expect("sample");
        assert!(s.len() <= SAMPLE_TEXT_BYTES, "{}", s.len());
        assert!(
            s.starts_with("Traceback (most recent call last):\n…\n  "),
            "{s}"
        );
        assert!(s.ends_with("NameError: name 'x' is not defined"));
        assert!(s.contains("in f399\n"));
    }

    #[test]
    fn one_huge_line_is_cut_on_char_boundaries() {
        let text = "é".repeat(SAMPLE_TEXT_BYTES);
        let s = sample_text(&text).expect("sample");
        assert!(s.len() <= SAMPLE_TEXT_BYTES);
        assert!(s.contains('…'));
    }
}
