//! Deploys inside one export: the revisions of each service in the order they started, and
//! each group's verdict against its service's latest revision (did 00042 fix the NameError
//! of 00041? what is new since the deploy?).
//!
//! A revision is known from the events that came from it: only candidate entries are parsed
//! (see [`crate::reference`]), so a revision that logged no failure at all is not seen, and
//! its span and count are those of its events. The [`Deploy`]s and the verdicts are derived
//! from the groups' [`Revisions`] when a report is finished ([`crate::Report::rank`], and
//! again by [`crate::Report::merge`]), never added up themselves: shards merged give the
//! same verdicts as the whole input, in any input order.

use crate::revision::Revisions;
use crate::time::{parse_micros, seconds_between};
use std::collections::BTreeMap;

/// The latest revision has run long enough for a failure it does not show to be `gone`
/// when its events span at least this many seconds (10 minutes)...
pub const SETTLED_SECONDS: f64 = 600.0;
/// ... or when it has at least this many events.
pub const SETTLED_EVENTS: u64 = 200;

/// A group's verdict against the latest revision of its service.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeployVerdict {
    /// Seen in the latest revision only: new since the deploy.
    New,
    /// Seen in an earlier revision and not in the latest, which has run long enough
    /// ([`SETTLED_SECONDS`] or [`SETTLED_EVENTS`]): the deploy fixed it, it seems.
    Gone,
    /// Seen in an earlier revision and not (yet) in the latest, which has run less.
    NotSeenYet,
    /// Seen in the latest revision and in an earlier one.
    Persisting,
}

impl DeployVerdict {
    /// The verdict's name as the JSON report writes it (`not_seen_yet`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeployVerdict::New => "new",
            DeployVerdict::Gone => "gone",
            DeployVerdict::NotSeenYet => "not_seen_yet",
            DeployVerdict::Persisting => "persisting",
        }
    }

    /// Which verdict a group seen in several deploys gets: new first, then persisting, not
    /// seen yet, gone (the one a deploy gate must not miss comes first).
    fn urgency(self) -> u8 {
        match self {
            DeployVerdict::New => 0,
            DeployVerdict::Persisting => 1,
            DeployVerdict::NotSeenYet => 2,
            DeployVerdict::Gone => 3,
        }
    }
}

/// One revision of a service, over all groups.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RevisionSpan {
    /// The revision's name.
    pub revision: String,
    /// Its first event's timestamp.
    pub first_seen: Option<String>,
    /// Its last event's timestamp.
    pub last_seen: Option<String>,
    /// How many events came from it.
    pub events: u64,
}

impl RevisionSpan {
    /// Seconds from its first event to its last, when both timestamps read as times.
    pub fn seconds(&self) -> Option<f64> {
        seconds_between(self.first_seen.as_deref()?, self.last_seen.as_deref()?)
    }
}

/// A service whose events came from two or more revisions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Deploy {
    /// The service.
    pub service: String,
    /// Its revisions in the order they started (by their first event's time; input order
    /// does not matter), the latest last.
    pub revisions: Vec<RevisionSpan>,
    /// Whether the latest revision has run long enough ([`SETTLED_SECONDS`] or
    /// [`SETTLED_EVENTS`]) for a failure it does not show to be `gone` rather than
    /// `not_seen_yet`.
    pub settled: bool,
}

impl Deploy {
    /// The latest revision: the one that started last.
    pub fn latest(&self) -> Option<&RevisionSpan> {
        self.revisions.last()
    }

    /// The verdict of a group with these revisions against this service's latest revision;
    /// `None` when none of its events came from this service with a revision.
    pub fn verdict(&self, revisions: &Revisions) -> Option<DeployVerdict> {
        let latest = self.latest()?;
        let mut in_latest = false;
        let mut in_earlier = false;
        for r in revisions.iter() {
            if r.service.as_deref() != Some(self.service.as_str()) {
                continue;
            }
            if r.revision == latest.revision {
                in_latest = true;
            } else {
                in_earlier = true;
            }
        }
        match (in_latest, in_earlier) {
            (true, false) => Some(DeployVerdict::New),
            (true, true) => Some(DeployVerdict::Persisting),
            (false, true) if self.settled => Some(DeployVerdict::Gone),
            (false, true) => Some(DeployVerdict::NotSeenYet),
            (false, false) => None,
        }
    }
}

/// The services with two or more revisions among the groups' revisions, sorted by name.
/// Revisions of events that named no service are left out: a deploy is a service's.
pub(crate) fn deploys<'a>(groups: impl IntoIterator<Item = &'a Revisions>) -> Vec<Deploy> {
    let mut spans: BTreeMap<(&str, &str), RevisionSpan> = BTreeMap::new();
    for revisions in groups {
        for r in revisions {
            let Some(service) = r.service.as_deref() else {
                continue;
            };
            let span = spans
                .entry((service, r.revision.as_str()))
                .or_insert_with(|| RevisionSpan {
                    revision: r.revision.clone(),
                    first_seen: None,
                    last_seen: None,
                    events: 0,
                });
            span.events += r.count;
            earliest(&mut span.first_seen, r.first_seen.as_deref());
            latest(&mut span.last_seen, r.last_seen.as_deref());
        }
    }
    let mut by_service: BTreeMap<&str, Vec<RevisionSpan>> = BTreeMap::new();
    for ((service, _), span) in spans {
        by_service.entry(service).or_default().push(span);
    }
    by_service
        .into_iter()
        .filter(|(_, revisions)| revisions.len() >= 2)
        .map(|(service, mut revisions)| {
            revisions.sort_by(|a, b| start_key(a).cmp(&start_key(b)));
            let settled = revisions.last().is_some_and(|l| {
                l.events >= SETTLED_EVENTS || l.seconds().is_some_and(|s| s >= SETTLED_SECONDS)
            });
            Deploy {
                service: service.to_string(),
                revisions,
                settled,
            }
        })
        .collect()
}

/// The verdict of a group with `revisions` over all `deploys`: the most urgent one when its
/// events came from several services with deploys (see [`DeployVerdict`]).
pub(crate) fn verdict(deploys: &[Deploy], revisions: &Revisions) -> Option<DeployVerdict> {
    deploys
        .iter()
        .filter_map(|d| d.verdict(revisions))
        .min_by_key(|v| v.urgency())
}

/// Orders revisions by when they started: the first event's time, read as a time (strings
/// of mixed precision do not compare in time order); a revision with no timestamp after the
/// others; then by name, so that the order is total.
fn start_key(span: &RevisionSpan) -> (bool, i64, &str, &str) {
    let first = span.first_seen.as_deref();
    let micros = first.and_then(parse_micros);
    (
        micros.is_none(),
        micros.unwrap_or(0),
        first.unwrap_or(""),
        span.revision.as_str(),
    )
}

/// Keeps the earlier of `slot` and `ts` (compared as times when both read as times).
fn earliest(slot: &mut Option<String>, ts: Option<&str>) {
    pick(slot, ts, std::cmp::Ordering::Less);
}

/// Keeps the later of `slot` and `ts`.
fn latest(slot: &mut Option<String>, ts: Option<&str>) {
    pick(slot, ts, std::cmp::Ordering::Greater);
}

fn pick(slot: &mut Option<String>, ts: Option<&str>, wins: std::cmp::Ordering) {
    let Some(ts) = ts else { return };
    let better = match slot.as_deref() {
        None => true,
        Some(have) => match (parse_micros(ts), parse_micros(have)) {
            // The same instant written two ways: the text decides, so that any order of
            // merging keeps the same one.
            (Some(a), Some(b)) => a.cmp(&b).then_with(|| ts.cmp(have)) == wins,
            _ => ts.cmp(have) == wins,
        },
    };
    if better {
        *slot = Some(ts.to_string());
    }
}

#[cfg(test)]
mod tests;
