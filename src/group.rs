//! A report's group: the events that share a fingerprint, with what they have in common,
//! when they happened (a per-minute [`Timeline`]), how long they took (duration and
//! latency [`Sketch`]es) and how they link to other groups (a cause's [`Impact`], a
//! symptom's [`CauseLink`]s). Everything in it merges exactly: counts add, sets unite,
//! sketches and timelines add bucket by bucket.

use crate::baseline::Baseline;
use crate::category::Category;
use crate::causes::{add_cause_links, CauseLink, Impact};
use crate::deploy::DeployVerdict;
use crate::event::{Event, EventKind, IssueRef, Role};
use crate::fingerprint::Fingerprint;
use crate::platform::PlatformMessage;
use crate::revision::Revisions;
use crate::sketch::Sketch;
use crate::timeline::Timeline;
use crate::traceback::Frame;
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
    /// The first occurrence's message.
    pub message: String,
    /// The first occurrence's subject.
    pub subject: Option<String>,
    /// The first occurrence's innermost in-app frame (where it was raised in the app).
    pub top_frame: Option<Frame>,
    /// How many events the group holds.
    pub count: u64,
    /// The earliest timestamp seen (RFC 3339 strings compare in time order).
    pub first_seen: Option<String>,
    /// The latest timestamp seen.
    pub last_seen: Option<String>,
    /// Services seen, sorted.
    pub services: BTreeSet<String>,
    /// Events per revision of each service, sorted by service then revision.
    pub revisions: Revisions,
    /// The first `insertId`s, in input order, at most [`SAMPLES_KEPT`].
    pub samples: Vec<String>,
    /// The known issue that tracks the group.
    pub known_issue: Option<IssueRef>,
    /// A title for a new issue, when no known issue matches.
    pub suggested_title: Option<String>,
    /// The first occurrence's text (its traceback, or its message), for a reader to see
    /// one whole: at most [`SAMPLE_TEXT_BYTES`], a longer one cut to its first line, a `…`
    /// line and as many of its last lines as fit. `None` (`null`) when the text is blank.
    pub sample_text: Option<String>,
    /// The first occurrence's project id, from its `logName`.
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
        }
    }

    /// Adds one event, whose timestamp reads as `at` microseconds since the epoch.
    pub(crate) fn add(&mut self, event: &Event, at: Option<i64>) {
        self.count += 1;
        if let Some(ts) = &event.timestamp {
            widen(&mut self.first_seen, &mut self.last_seen, ts, ts);
        }
        // Every event of a group names the same few services: clone only a new one.
        insert_new(&mut self.services, event.service.as_ref());
        self.revisions.add(event);
        let room = SAMPLES_KEPT.saturating_sub(self.samples.len());
        self.samples
            .extend(event.insert_ids.iter().take(room.min(1)).cloned());
        if let Some(at) = at {
            self.timeline.add_micros(at);
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
    }

    /// Adds the group of the same fingerprint from the shard that follows.
    pub(crate) fn merge(&mut self, next: &Group) {
        self.count += next.count;
        if let (Some(first), Some(last)) = (&next.first_seen, &next.last_seen) {
            widen(&mut self.first_seen, &mut self.last_seen, first, last);
        }
        self.services.extend(next.services.iter().cloned());
        self.revisions.merge(&next.revisions);
        let room = SAMPLES_KEPT.saturating_sub(self.samples.len());
        self.samples.extend(next.samples.iter().take(room).cloned());
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

/// Widens `first..=last` to hold `lo..=hi`. Timestamps mostly grow: `last` changes with
/// nearly every event, in place.
pub(crate) fn widen(first: &mut Option<String>, last: &mut Option<String>, lo: &str, hi: &str) {
    if first.as_deref().is_none_or(|f| lo < f) {
        replace(first, lo);
    }
    if last.as_deref().is_none_or(|l| hi > l) {
        replace(last, hi);
    }
}

fn replace(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(s) => value.clone_into(s),
        None => *slot = Some(value.to_string()),
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
