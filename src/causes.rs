//! Causes and their symptoms: which failure made the requests fail and the instances die.
//!
//! Every event is a cause (a traceback, an error entry, a slow query, an out-of-memory
//! report) or a symptom (a failed request, a platform message: see [`crate::Role`]). While
//! the report is built, each event leaves a [`Links`] mark: its group, time, `trace`,
//! instance and revision, and for a symptom whether it is a request or an exit. When the
//! report is finished ([`crate::Report::rank`], [`crate::Report::merge`]) each symptom is
//! linked to a cause by the first of these rules that applies:
//!
//! 1. **trace**: a cause from an entry with the same `trace`; of several, the first in time
//!    (then the lowest fingerprint).
//! 2. **instance**: for a symptom that carries a request (a failed request, a refusal), a
//!    cause on the same `labels.instanceId` whose time is inside the request's span
//!    (`timestamp ..= timestamp + latency`, one second of slack either side); of several,
//!    the one nearest the span's end, when the answer went out (then the earlier, then the
//!    lowest fingerprint). For any other platform message (an exit), the nearest cause on
//!    that instance at most 60 s before it (the latest at or before it; of several at that
//!    time, the lowest fingerprint).
//! 3. **revision**: in a revision whose every instance named by the input's failing entries
//!    exited after a cause linked by rule 1 or 2 (a crash loop), the failed requests and
//!    refusals still unlinked link to that revision's most frequent crash cause (then the
//!    lowest fingerprint).
//!
//! Marks are kept sorted by content, so the links do not depend on input order, and two
//! sets of marks merge by union, so the report of consecutive shards merged equals the
//! report of the whole.
//!
//! **The bound on memory**: marks are kept for failing entries only, and only those that
//! can link (a cause with a trace or an instance, a symptom with a trace, an instance or a
//! revision); at most [`MAX_MARKS`] cause marks and [`MAX_MARKS`] symptom marks, the
//! earliest in time (then by content) when there are more, each about 80 bytes plus its
//! trace (an instance or revision name is held once however many marks name it): under
//! 20 MB at worst. Past the bound the later symptoms count as unexplained. Instances that
//! only served successful requests leave no mark (their entries are never parsed), so a
//! revision whose other instances served well but logged no failure can be taken for a
//! crash loop.

use crate::event::{Event, EventKind};
use crate::fingerprint::Fingerprint;
use crate::platform::PlatformKind;
use crate::time::SECOND_US;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The most cause marks (and, apart, symptom marks) a report keeps.
pub const MAX_MARKS: usize = 1 << 16;
/// The slack around a request's span, in microseconds.
const SLACK_US: i64 = SECOND_US;
/// How long before a platform message its cause may be, in microseconds.
const EXIT_WINDOW_US: i64 = 60 * SECOND_US;

/// Which rule linked a symptom to its cause.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// The same `trace`.
    Trace,
    /// The same instance, inside the request's span or up to 60 s before an exit.
    Instance,
    /// A crash-looping revision's most frequent crash cause.
    Revision,
}

/// How many events of a symptom group a cause explains, and by which rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct CauseLink {
    /// The cause group's fingerprint.
    pub fingerprint: Fingerprint,
    /// The symptoms it explains.
    pub count: u64,
    /// The rule that linked them.
    pub evidence: Evidence,
}

/// Failed requests of one method and route that a cause explains.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RouteCount {
    /// The method (empty when not logged).
    pub method: String,
    /// The route, ids replaced by `{id}`.
    pub route: String,
    /// How many.
    pub count: u64,
}

/// What a cause group explains: failed requests (with their statuses and routes) and
/// exits (platform messages of kind exit).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Impact {
    /// Failed and refused requests linked to it.
    pub requests: u64,
    /// Those requests by status (`"500"`), when the status was logged.
    pub statuses: BTreeMap<String, u64>,
    /// Those requests by method and route, most first (then by method and route).
    pub routes: Vec<RouteCount>,
    /// Platform messages of kind exit linked to it.
    pub exits: u64,
}

impl Impact {
    /// Requests plus exits: what the report ranks causes by.
    pub fn total(&self) -> u64 {
        self.requests + self.exits
    }

    /// Adds another impact (of the same cause, from another shard).
    pub(crate) fn add(&mut self, other: &Impact) {
        self.requests += other.requests;
        self.exits += other.exits;
        for (status, n) in &other.statuses {
            *self.statuses.entry(status.clone()).or_insert(0) += n;
        }
        for r in &other.routes {
            self.add_route(&r.method, &r.route, r.count);
        }
        self.sort_routes();
    }

    pub(crate) fn add_route(&mut self, method: &str, route: &str, n: u64) {
        match self
            .routes
            .iter_mut()
            .find(|r| r.method == method && r.route == route)
        {
            Some(r) => r.count += n,
            None => self.routes.push(RouteCount {
                method: method.to_string(),
                route: route.to_string(),
                count: n,
            }),
        }
    }

    pub(crate) fn sort_routes(&mut self) {
        self.routes.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.method.cmp(&b.method))
                .then_with(|| a.route.cmp(&b.route))
        });
    }
}

/// Adds `links` (of the same symptom group, from another shard) to `into`, by cause and
/// evidence, most first.
pub(crate) fn add_cause_links(into: &mut Vec<CauseLink>, links: &[CauseLink]) {
    for l in links {
        match into
            .iter_mut()
            .find(|m| m.fingerprint == l.fingerprint && m.evidence == l.evidence)
        {
            Some(m) => m.count += l.count,
            None => into.push(l.clone()),
        }
    }
    sort_cause_links(into);
}

pub(crate) fn sort_cause_links(links: &mut [CauseLink]) {
    links.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
}

/// What a mark stands for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
enum MarkKind {
    Cause,
    /// A failed or refused request.
    Request,
    /// A platform message of kind exit.
    Exit,
}

/// What one event leaves for linking. Ordered by time first: the bound keeps the earliest.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Mark {
    /// Microseconds since the epoch, when the timestamp could be read.
    at: Option<i64>,
    group: Fingerprint,
    kind: MarkKind,
    status: Option<u16>,
    /// A request's latency in microseconds.
    span: Option<i64>,
    trace: Option<Arc<str>>,
    instance: Option<Arc<str>>,
    revision: Option<Arc<str>>,
}

/// The marks of a report's events (see the module docs); serde both ways, for a partial
/// report that is merged later.
#[derive(Clone, Debug, Default)]
pub struct Links {
    causes: Vec<Mark>,
    symptoms: Vec<Mark>,
    /// Some events left no mark here (a report read back from its JSON form): the links
    /// its groups hold cannot be recomputed, only added up.
    partial: bool,
    /// Instance and revision names, each held once.
    names: rustc_hash::FxHashSet<Arc<str>>,
}

/// One symptom linked to a cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Linked {
    pub(crate) symptom: Fingerprint,
    pub(crate) cause: Fingerprint,
    pub(crate) evidence: Evidence,
    /// A request (else an exit), and its status.
    pub(crate) request: bool,
    pub(crate) status: Option<u16>,
}

impl Links {
    /// Links that stand for events they hold no marks of.
    pub(crate) fn partial() -> Self {
        Links {
            partial: true,
            ..Links::default()
        }
    }

    /// Whether it holds the marks of every event of its report, so links can be computed.
    pub fn is_complete(&self) -> bool {
        !self.partial
    }

    /// The marks held: causes, then symptoms.
    pub fn len(&self) -> (usize, usize) {
        (
            self.causes.len().min(MAX_MARKS),
            self.symptoms.len().min(MAX_MARKS),
        )
    }

    /// Records `event` of group `group` at `at` (microseconds since the epoch).
    pub(crate) fn add(&mut self, event: &Event, group: Fingerprint, at: Option<i64>) {
        let kind = match (event.kind, &event.request, &event.platform) {
            (EventKind::Request, _, _) | (_, Some(_), _) => MarkKind::Request,
            (_, _, Some(p)) if p.kind == PlatformKind::Refusal => MarkKind::Request,
            (EventKind::Platform, _, _) => MarkKind::Exit,
            _ => MarkKind::Cause,
        };
        let cause = kind == MarkKind::Cause;
        let linkable = event.trace.is_some()
            || event.instance.is_some()
            || (!cause && event.revision.is_some());
        if !linkable {
            return;
        }
        let request = event.request.as_ref();
        let mark = Mark {
            at,
            group,
            kind,
            status: request.and_then(|r| r.status),
            span: request
                .and_then(|r| r.latency_ms)
                .map(|ms| (ms * 1000.0).round() as i64),
            trace: event.trace.as_deref().map(Arc::from),
            instance: self.name(event.instance.as_deref()),
            revision: self.name(event.revision.as_deref()),
        };
        let marks = if cause {
            &mut self.causes
        } else {
            &mut self.symptoms
        };
        marks.push(mark);
        if marks.len() >= 2 * MAX_MARKS {
            self.bound();
        }
    }

    fn name(&mut self, name: Option<&str>) -> Option<Arc<str>> {
        let name = name?;
        if let Some(held) = self.names.get(name) {
            return Some(held.clone());
        }
        let held: Arc<str> = Arc::from(name);
        self.names.insert(held.clone());
        Some(held)
    }

    /// Adds the marks of another report (of another shard).
    pub(crate) fn merge(&mut self, other: &Links) {
        self.partial |= other.partial;
        for (mine, theirs) in [
            (&mut self.causes, &other.causes),
            (&mut self.symptoms, &other.symptoms),
        ] {
            mine.extend(theirs.iter().cloned());
        }
        let names: Vec<Arc<str>> = other.names.iter().cloned().collect();
        self.names.extend(names);
        self.bound();
    }

    /// Sorts the marks and keeps the first [`MAX_MARKS`] of each role; the names no kept
    /// mark holds are let go.
    fn bound(&mut self) {
        self.causes.sort_unstable();
        self.symptoms.sort_unstable();
        let over = self.causes.len() > MAX_MARKS || self.symptoms.len() > MAX_MARKS;
        self.causes.truncate(MAX_MARKS);
        self.symptoms.truncate(MAX_MARKS);
        if over {
            self.names = self
                .causes
                .iter()
                .chain(&self.symptoms)
                .flat_map(|m| [m.instance.clone(), m.revision.clone()])
                .flatten()
                .collect();
        }
    }

    /// Links every symptom mark it can (see the module docs), in the marks' order.
    pub(crate) fn resolve(&mut self) -> Vec<Linked> {
        if self.symptoms.is_empty() {
            return Vec::new();
        }
        self.bound();
        let mut first_on_trace: HashMap<&str, &Mark> = HashMap::new();
        let mut on_instance: HashMap<&str, Vec<(i64, Fingerprint)>> = HashMap::new();
        for c in &self.causes {
            if let Some(trace) = c.trace.as_deref() {
                first_on_trace.entry(trace).or_insert(c);
            }
            if let (Some(instance), Some(at)) = (c.instance.as_deref(), c.at) {
                on_instance.entry(instance).or_default().push((at, c.group));
            }
        }
        for causes in on_instance.values_mut() {
            causes.sort_unstable();
        }
        let mut links: Vec<Option<(Fingerprint, Evidence)>> = self
            .symptoms
            .iter()
            .map(|s| {
                let by_trace = s.trace.as_deref().and_then(|t| first_on_trace.get(t));
                if let Some(c) = by_trace {
                    return Some((c.group, Evidence::Trace));
                }
                let causes = on_instance.get(s.instance.as_deref()?)?;
                let at = s.at?;
                let cause = match s.kind {
                    MarkKind::Exit => nearest_before(causes, at),
                    _ => nearest_end(causes, at, at + s.span.unwrap_or(0).max(0)),
                };
                cause.map(|c| (c, Evidence::Instance))
            })
            .collect();
        let crash_causes = self.crash_causes(&links);
        for (s, link) in self.symptoms.iter().zip(links.iter_mut()) {
            if link.is_none() && s.kind == MarkKind::Request {
                if let Some(cause) = s.revision.as_deref().and_then(|r| crash_causes.get(r)) {
                    *link = Some((*cause, Evidence::Revision));
                }
            }
        }
        self.symptoms
            .iter()
            .zip(links)
            .filter_map(|(s, link)| {
                let (cause, evidence) = link?;
                Some(Linked {
                    symptom: s.group,
                    cause,
                    evidence,
                    request: s.kind == MarkKind::Request,
                    status: s.status,
                })
            })
            .collect()
    }

    /// The crash-looping revisions (every instance named by a mark of the revision exited
    /// after a linked cause) and the cause most of their exits link to.
    fn crash_causes(
        &self,
        links: &[Option<(Fingerprint, Evidence)>],
    ) -> HashMap<&str, Fingerprint> {
        let mut instances: HashMap<&str, HashSet<&str>> = HashMap::new();
        for m in self.causes.iter().chain(&self.symptoms) {
            if let (Some(r), Some(i)) = (m.revision.as_deref(), m.instance.as_deref()) {
                instances.entry(r).or_default().insert(i);
            }
        }
        let mut exited: HashSet<&str> = HashSet::new();
        let mut crashes: HashMap<&str, HashMap<Fingerprint, u64>> = HashMap::new();
        for (s, link) in self.symptoms.iter().zip(links) {
            let (Some((cause, _)), MarkKind::Exit) = (link, s.kind) else {
                continue;
            };
            if let Some(i) = s.instance.as_deref() {
                exited.insert(i);
            }
            if let Some(r) = s.revision.as_deref() {
                *crashes.entry(r).or_default().entry(*cause).or_insert(0) += 1;
            }
        }
        crashes
            .into_iter()
            .filter(|(r, _)| {
                instances
                    .get(r)
                    .is_some_and(|all| !all.is_empty() && all.iter().all(|i| exited.contains(i)))
            })
            .filter_map(|(r, counts)| {
                let top = counts
                    .into_iter()
                    .min_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)))?;
                Some((r, top.0))
            })
            .collect()
    }
}

/// The cause in the span `start ..= end` (with the slack either side) nearest `end`; of
/// two as near, the earlier; of several at one time, the lowest fingerprint.
fn nearest_end(causes: &[(i64, Fingerprint)], start: i64, end: i64) -> Option<Fingerprint> {
    let (lo, hi) = (start - SLACK_US, end + SLACK_US);
    let from = causes.partition_point(|(at, _)| *at < lo);
    let to = causes.partition_point(|(at, _)| *at <= hi);
    // Sorted by time then fingerprint: `min_by_key` keeps the first of equal keys.
    causes
        .get(from..to)?
        .iter()
        .min_by_key(|(at, _)| ((at - end).abs(), *at))
        .map(|(_, fp)| *fp)
}

/// The latest cause at or before `at` and at most 60 s before it; of several at that
/// time, the lowest fingerprint.
fn nearest_before(causes: &[(i64, Fingerprint)], at: i64) -> Option<Fingerprint> {
    let j = causes.partition_point(|(t, _)| *t <= at);
    let (t, _) = *causes.get(j.checked_sub(1)?)?;
    if at - t > EXIT_WINDOW_US {
        return None;
    }
    let first = causes.partition_point(|(u, _)| *u < t);
    causes.get(first).map(|(_, fp)| *fp)
}

impl PartialEq for Links {
    /// Equal when they hold the same marks (in any order, within the bound).
    fn eq(&self, other: &Links) -> bool {
        fn sorted(marks: &[Mark]) -> Vec<&Mark> {
            let mut v: Vec<&Mark> = marks.iter().collect();
            v.sort_unstable();
            v.truncate(MAX_MARKS);
            v
        }
        self.partial == other.partial
            && sorted(&self.causes) == sorted(&other.causes)
            && sorted(&self.symptoms) == sorted(&other.symptoms)
    }
}

/// The JSON form: the marks in their sorted order, each instance and revision name written
/// once in `names` and given in a mark by its index there (an instance id of Cloud Run is
/// about 100 characters: written in every mark, it was most of a mark).
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    partial: bool,
    #[serde(default)]
    names: Vec<Arc<str>>,
    causes: Vec<SavedMark>,
    symptoms: Vec<SavedMark>,
}

/// A [`Mark`] as saved: its names by their index in [`Saved::names`].
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedMark {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<i64>,
    group: Fingerprint,
    kind: MarkKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    span: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revision: Option<u32>,
}

impl serde::Serialize for Links {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut sorted = self.clone();
        sorted.bound();
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut index: HashMap<Arc<str>, u32> = HashMap::new();
        let mut save = |m: Mark| {
            let mut at = |name: Option<Arc<str>>| {
                let name = name?;
                let next = names.len() as u32;
                Some(*index.entry(name.clone()).or_insert_with(|| {
                    names.push(name);
                    next
                }))
            };
            SavedMark {
                instance: at(m.instance),
                revision: at(m.revision),
                at: m.at,
                group: m.group,
                kind: m.kind,
                status: m.status,
                span: m.span,
                trace: m.trace,
            }
        };
        let causes = sorted.causes.into_iter().map(&mut save).collect();
        let symptoms = sorted.symptoms.into_iter().map(&mut save).collect();
        Saved {
            partial: sorted.partial,
            names,
            causes,
            symptoms,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Links {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let saved = Saved::deserialize(d)?;
        let causes_ok = saved.causes.iter().all(|m| m.kind == MarkKind::Cause);
        let symptoms_ok = saved.symptoms.iter().all(|m| m.kind != MarkKind::Cause);
        if !(causes_ok && symptoms_ok) {
            return Err(D::Error::custom(
                "a cause mark among symptoms or the reverse",
            ));
        }
        let mut links = Links {
            partial: saved.partial,
            ..Links::default()
        };
        let name = |i: Option<u32>| match i {
            None => Ok(None),
            Some(i) => match saved.names.get(i as usize) {
                Some(name) => Ok(Some(name.clone())),
                None => Err(D::Error::custom("a mark names no name in `names`")),
            },
        };
        for m in saved.causes.iter().chain(&saved.symptoms) {
            // Each name held once again.
            let mark = Mark {
                at: m.at,
                group: m.group,
                kind: m.kind,
                status: m.status,
                span: m.span,
                trace: m.trace.clone(),
                instance: links.name(name(m.instance)?.as_deref()),
                revision: links.name(name(m.revision)?.as_deref()),
            };
            match mark.kind {
                MarkKind::Cause => links.causes.push(mark),
                _ => links.symptoms.push(mark),
            }
        }
        links.bound();
        Ok(links)
    }
}
