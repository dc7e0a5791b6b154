//! A report's group: the events that share a fingerprint, with what they have in common,
//! when they happened (a per-minute [`Timeline`]), how long they took (duration and
//! latency [`Sketch`]es) and how they link to other groups (a cause's [`Impact`], a
//! symptom's [`CauseLink`]s). Everything in it merges exactly: counts add, sets unite,
//! sketches and timelines add bucket by bucket.
//!
//! What a group says of its events does not depend on the order they came in (an export
//! read oldest or newest first): see [`Group`].

use crate::baseline::Baseline;
use crate::category::Category;
use crate::causes::{add_cause_links, CauseLink, Impact};
use crate::deploy::DeployVerdict;
use crate::event::{Event, EventKind, IssueRef, Role};
use crate::fingerprint::Fingerprint;
use crate::platform::PlatformMessage;
use crate::revision::Revisions;
use crate::seen::{replace, seen_order, widen, Seen};
use crate::sketch::Sketch;
use crate::time::Instant;
use crate::timeline::Timeline;
use crate::traceback::Frame;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// How many sample `insertId`s a group keeps.
pub const SAMPLES_KEPT: usize = 5;
/// The most bytes of its first event's text a group keeps as [`Group::sample_text`].
pub const SAMPLE_TEXT_BYTES: usize = 4096;

/// What the failed requests of a request group share: method, route and status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RequestKey {
    /// The method, when logged.
    pub method: Option<String>,
    /// The route, ids replaced by `{id}`.
    pub route: String,
    /// The status, when logged.
    pub status: Option<u16>,
}

/// Events that share a fingerprint.
///
/// What a group says of its events does not depend on the order they came in (an export
/// read oldest or newest first): its message, subject, frame, known issue, sample text,
/// request and platform row are those of its earliest event (by timestamp, read as an
/// instant, one instant written two ways by the text; among events of one timestamp, the
/// one with the smallest first `insertId`; events without a timestamp come after: the
/// first found speaks for a group of only such events, and as samples they go by
/// `insertId`), and its samples are the first `insertId`s of its earliest events, in that
/// order.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Group {
    /// The shared fingerprint.
    pub fingerprint: Fingerprint,
    /// The category.
    pub category: Category,
    /// Whether its events are causes or symptoms.
    #[serde(default)]
    pub role: Role,
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
    /// Events per revision of each service, sorted by service then revision.
    pub revisions: Revisions,
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
    /// The Logs Explorer link that opens the samples (set by [`crate::Report::rank`]; `null`
    /// without a project or a sample).
    #[serde(default)]
    pub logs_url: Option<String>,
    /// For a group of failed requests: their method, route and status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestKey>,
    /// For a group of platform messages (or of requests the platform refused): the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformMessage>,
    /// For a cause: the symptoms it explains (zeros when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    /// For a symptom: the causes of its events, most first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<Vec<CauseLink>>,
    /// For a symptom: how many of its events no cause in the input explains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unexplained: Option<u64>,
    /// For slow queries: their durations in milliseconds (p50, p95, max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<Sketch>,
    /// For failed requests: their latencies in milliseconds (p50, p95, max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Sketch>,
    /// Events per minute.
    #[serde(default)]
    pub timeline: Timeline,
    /// Derived: the verdict against the latest revision of its service, where the service
    /// has two or more revisions (see [`crate::Report::deploys`]); filled by
    /// [`crate::Report::rank`] and [`crate::Report::merge`].
    #[serde(default)]
    pub deploy: Option<DeployVerdict>,
    /// Derived: the verdict against a baseline report, when one was given
    /// ([`crate::Report::set_baseline`]); dropped by [`crate::Report::merge`].
    #[serde(default)]
    pub baseline: Option<Baseline>,
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
    /// The instants `first_seen` and `last_seen` name; not saved.
    #[serde(skip)]
    seen_at: SeenAt,
}

/// The instants of a group's first and last seen as [`Group::add`] last read or set them,
/// so that adding an event reads only the event's own timestamp (reading the group's two
/// again was 0.3% of a one-thread run's instructions). Not part of a group's equality.
#[derive(Clone, Copy, Debug, Default)]
struct SeenAt {
    first: ReadTime,
    last: ReadTime,
}

impl PartialEq for SeenAt {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A timestamp's instant beside a hash of its string: a string changed since is read again.
#[derive(Clone, Copy, Debug, Default)]
struct ReadTime(Option<(u64, Option<Instant>)>);

impl ReadTime {
    /// `text` as [`Seen`], read again only when it is not the string last read or set.
    fn read<'a>(&mut self, text: &'a str) -> Seen<'a> {
        let key = text_hash(text);
        match self.0 {
            Some((k, at)) if k == key => Seen(text, at),
            _ => {
                let seen = Seen::of(text);
                self.0 = Some((key, seen.1));
                seen
            }
        }
    }

    fn set(&mut self, seen: Seen<'_>) {
        self.0 = Some((text_hash(seen.0), seen.1));
    }
}

fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    text.hash(&mut h);
    h.finish()
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
pub(crate) enum Title<F> {
    /// Now, by this function.
    Now(F),
    /// At `Report::make_titles`: read newest first, every event is earlier than the ones
    /// before it, and making the title of each cost more than the rest of its report work.
    Later,
}

/// A hash of what the event a group speaks for gives the group: its kind and text (its
/// classification, request and platform row follow from them), its service (a known issue
/// or a title may name it) and its project. An earlier event with the same would say the
/// same (read newest first, every event is earlier, and a title costs more than the rest of
/// a report's work for it); one from another project or service would not, however alike
/// its text, and then speaks. Not part of a group's equality.
#[derive(Clone, Copy, Debug, Default)]
struct Shown(Option<u64>);

impl Shown {
    fn of(event: &Event) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        event.kind.hash(&mut h);
        event.text.hash(&mut h);
        event.service.hash(&mut h);
        event.project.hash(&mut h);
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

/// A group's [`Group::order`], saved beside it in a partial report.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct GroupOrder {
    shown: Option<u64>,
    sample_times: Vec<SampleKey>,
}

/// A kept sample's place among a group's, owned to be saved; compared as a [`SampleRef`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct SampleKey {
    untimed: bool,
    time: Option<Instant>,
    text: Option<String>,
    id: String,
}

/// Where an event goes among a group's: by its time (none after any; one instant written
/// two ways, by the text), then its first `insertId`. Borrowed from an event or a
/// [`SampleKey`]: most events are not kept as samples, and building an owned key only to
/// drop it cost two strings per event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SampleRef<'a> {
    untimed: bool,
    time: Option<Instant>,
    text: Option<&'a str>,
    id: &'a str,
}

impl<'a> SampleRef<'a> {
    fn of(event: &'a Event, time: Option<Instant>) -> Option<Self> {
        Some(SampleRef {
            untimed: time.is_none(),
            time,
            text: event.timestamp.as_deref(),
            id: event.insert_ids.first()?,
        })
    }

    fn to_key(self) -> SampleKey {
        SampleKey {
            untimed: self.untimed,
            time: self.time,
            text: self.text.map(str::to_string),
            id: self.id.to_string(),
        }
    }
}

impl SampleKey {
    fn as_ref(&self) -> SampleRef<'_> {
        SampleRef {
            untimed: self.untimed,
            time: self.time,
            text: self.text.as_deref(),
            id: &self.id,
        }
    }
}

impl Group {
    pub(crate) fn new(event: &Event, suggested_title: Option<String>) -> Self {
        let c = &event.classification;
        let role = event.role();
        let request = match (event.kind, &event.request) {
            (EventKind::Request, Some(r)) => Some(RequestKey {
                method: r.method.clone(),
                route: r.route.clone(),
                status: r.status,
            }),
            _ => None,
        };
        Group {
            fingerprint: c.fingerprint,
            category: c.category.clone(),
            role,
            exception: c.exception.clone(),
            message: c.message.clone(),
            subject: c.subject.clone(),
            top_frame: c.frames.last().cloned(),
            count: 0,
            first_seen: None,
            last_seen: None,
            services: BTreeSet::new(),
            revisions: Revisions::default(),
            samples: Vec::new(),
            known_issue: c.known_issue.clone(),
            suggested_title,
            sample_text: sample_text(&event.text),
            project: event.project.clone(),
            logs_url: None,
            request,
            platform: event.platform.clone(),
            impact: (role == Role::Cause).then(Impact::default),
            caused_by: (role == Role::Symptom).then(Vec::new),
            unexplained: (role == Role::Symptom).then_some(0),
            duration_ms: None,
            latency_ms: None,
            timeline: Timeline::default(),
            deploy: None,
            baseline: None,
            sample_times: SampleTimes::default(),
            shown: Shown::of(event),
            speaker: Speaker::default(),
            seen_at: SeenAt::default(),
        }
    }

    /// A group of its first event, `event`; `title` makes its suggested title.
    pub(crate) fn first<F: FnOnce(&Event) -> String>(event: &Event, title: Title<F>) -> Self {
        let untracked = event.classification.known_issue.is_none();
        let (title, speaker) = match title {
            Title::Now(suggest) => (untracked.then(|| suggest(event)), None),
            Title::Later => (None, untracked.then(|| Box::new(event.clone()))),
        };
        let mut group = Group::new(event, title);
        group.speaker = Speaker(speaker);
        group
    }

    /// Makes the suggested title [`Title::Later`] left to make.
    pub(crate) fn make_title(&mut self, suggest: impl Fn(&Event) -> String) {
        if let Some(event) = self.speaker.0.take() {
            self.suggested_title = Some(suggest(&event));
        }
    }

    /// Adds one event, whose timestamp reads as the instant `at`; `title` makes the
    /// suggested title should it become the earliest. `true` when it now speaks for the
    /// group.
    pub(crate) fn add<F: FnOnce(&Event) -> String>(
        &mut self,
        event: &Event,
        at: Option<Instant>,
        title: Title<F>,
    ) -> bool {
        let seen = event.timestamp.as_deref().map(|ts| Seen(ts, at));
        let first_at = &mut self.seen_at.first;
        let first = self.first_seen.as_deref().map(|f| first_at.read(f));
        let earlier = self.count > 0 && self.is_earlier(event, seen, first);
        let new_first = seen.is_some_and(|s| first.is_none_or(|f| s.order(f) == Ordering::Less));
        self.count += 1;
        let spoke = earlier && self.speak_for(event, title);
        if let Some(seen) = seen {
            if new_first {
                replace(&mut self.first_seen, seen.0);
                self.seen_at.first.set(seen);
            }
            let last_at = &mut self.seen_at.last;
            let last = self.last_seen.as_deref().map(|l| last_at.read(l));
            if last.is_none_or(|l| seen.order(l) == Ordering::Greater) {
                replace(&mut self.last_seen, seen.0);
                self.seen_at.last.set(seen);
            }
        }
        // Every event of a group names the same few services: clone only a new one.
        insert_new(&mut self.services, event.service.as_ref());
        self.revisions.add(event);
        if let Some(key) = SampleRef::of(event, at) {
            self.keep_sample(key);
        }
        if let Some(at) = at {
            self.timeline.add_micros(at.micros());
        }
        if let Some(q) = &event.slow_query {
            self.duration_ms
                .get_or_insert_with(Sketch::default)
                .add(q.duration_ms);
        }
        if let (EventKind::Request, Some(ms)) = (
            event.kind,
            event.request.as_ref().and_then(|r| r.latency_ms),
        ) {
            self.latency_ms.get_or_insert_with(Sketch::default).add(ms);
        }
        if let Some(n) = &mut self.unexplained {
            *n += 1;
        }
        spoke
    }

    /// Makes `event`, earlier than the one it spoke for, speak for the group (unless it
    /// says the same); `true` when it does.
    fn speak_for<F: FnOnce(&Event) -> String>(&mut self, event: &Event, title: Title<F>) -> bool {
        let shown = Shown::of(event);
        if shown.0 == self.shown.0 {
            return false;
        }
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
        if fresh.request.is_some() {
            self.request = fresh.request;
        }
        if fresh.platform.is_some() {
            self.platform = fresh.platform;
        }
        true
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
    fn keep_sample(&mut self, key: SampleRef<'_>) {
        let times = &mut self.sample_times.0;
        if times.len() != self.samples.len() {
            // Read back without times: the saved order stands, new samples come after.
            if self.samples.len() < SAMPLES_KEPT {
                self.samples.push(key.id.to_string());
            }
            return;
        }
        let at = times.partition_point(|k| k.as_ref() <= key);
        if at >= SAMPLES_KEPT {
            return;
        }
        self.samples.insert(at, key.id.to_string());
        times.insert(at, key.to_key());
        self.samples.truncate(SAMPLES_KEPT);
        times.truncate(SAMPLES_KEPT);
    }

    /// Adds the group of the same fingerprint from the shard that follows.
    pub(crate) fn merge(&mut self, next: &Group) {
        let earlier = self.is_earlier_group(next);
        if self.takes_speaker(next) {
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
            if next.request.is_some() {
                self.request = next.request.clone();
            }
            if next.platform.is_some() {
                self.platform = next.platform.clone();
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
        self.revisions.merge(&next.revisions);
        self.merge_samples(next, earlier);
        if self.project.is_none() {
            self.project.clone_from(&next.project);
        }
        self.timeline.merge(&next.timeline);
        merge_sketch(&mut self.duration_ms, &next.duration_ms);
        merge_sketch(&mut self.latency_ms, &next.latency_ms);
        // Summed here; recomputed from the marks when the report holds them all.
        if let (Some(mine), Some(theirs)) = (&mut self.impact, &next.impact) {
            mine.add(theirs);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.caused_by, &next.caused_by) {
            add_cause_links(mine, theirs);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.unexplained, next.unexplained) {
            *mine += theirs;
        }
    }

    /// Whether the earliest event of `next` is earlier than this group's.
    fn is_earlier_group(&self, next: &Group) -> bool {
        match (&next.first_seen, &self.first_seen) {
            (Some(theirs), Some(mine)) => match seen_order(theirs, mine) {
                Ordering::Equal => next.samples.first() < self.samples.first(),
                order => order == Ordering::Less,
            },
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// Whether merging `next` (the group of a shard that follows) makes its speaker this
    /// group's, as adding its events one by one would: it is earlier and says something
    /// else (when both know what they say).
    pub(crate) fn takes_speaker(&self, next: &Group) -> bool {
        let same = self.shown.0.is_some() && self.shown.0 == next.shown.0;
        self.is_earlier_group(next) && !same
    }

    /// What a partial report keeps of the group beside its saved form, so that it merges as
    /// adding its events would: what its speaker says and its samples' times.
    pub(crate) fn order(&self) -> GroupOrder {
        GroupOrder {
            shown: self.shown.0,
            sample_times: self.sample_times.0.clone(),
        }
    }

    /// Puts back what [`Group::order`] kept.
    pub(crate) fn set_order(&mut self, order: GroupOrder) {
        self.shown = Shown(order.shown);
        self.sample_times = SampleTimes(order.sample_times);
    }

    /// Takes in the samples of `next` (`earlier`: its earliest event is earlier).
    fn merge_samples(&mut self, next: &Group, earlier: bool) {
        let timed = |g: &Group| g.sample_times.0.len() == g.samples.len();
        if timed(self) && timed(next) {
            for key in &next.sample_times.0 {
                self.keep_sample(key.as_ref());
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

    /// What the group explains: requests plus exits (0 for a symptom).
    pub fn impact_total(&self) -> u64 {
        self.impact.as_ref().map_or(0, Impact::total)
    }

    /// How many of its events are linked to a cause (0 for a cause).
    pub fn explained(&self) -> u64 {
        self.unexplained
            .map_or(0, |unexplained| self.count.saturating_sub(unexplained))
    }
}

fn merge_sketch(mine: &mut Option<Sketch>, theirs: &Option<Sketch>) {
    if let Some(theirs) = theirs {
        mine.get_or_insert_with(Sketch::default).merge(theirs);
    }
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
