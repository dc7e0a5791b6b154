//! The report: totals that account for every entry, and events grouped by fingerprint.
//!
//! A report is a monoid: [`Report::merge`] of the reports of two consecutive shards equals
//! the report of their concatenation, so shards of a large export can be triaged apart.
//!
//! Its JSON form (`--format json`) is the crate's output schema, written and read with
//! serde; [`SCHEMA_VERSION`] says which one a saved report follows. The marks that link
//! symptoms to causes ([`Links`]) are not part of it: a report read back keeps the links
//! its groups hold, and merged with another adds them up instead of recomputing them (a
//! partial report keeps its [`Links`] beside it to merge exactly).

use crate::baseline::GoneGroup;
use crate::causes::{sort_cause_links, Links};
use crate::deploy::{self, Deploy};
use crate::event::{Event, Role};
use crate::fingerprint::Fingerprint;
use crate::group::{Group, GroupOrder, Title};
use crate::input::Binary;
use crate::logs_url::logs_explorer_url;
use crate::seen::{seen_order, widen, Seen};
use crate::time::{self, Instant};
use std::collections::{BTreeSet, HashMap};

/// The version of the JSON report's schema, written as its `schema_version`. It changes
/// when a field changes meaning or goes away; new fields do not change it.
/// Version 2: a group's `revisions` count events per revision (objects, no longer names).
pub const SCHEMA_VERSION: u32 = 2;

/// How many malformed lines a report remembers.
pub const MALFORMED_LINES_KEPT: usize = 10;

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
    /// Symptom events (failed requests and platform messages) among the events.
    #[serde(default)]
    pub symptoms: u64,
    /// Symptom events linked to a cause.
    #[serde(default)]
    pub symptoms_explained: u64,
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
        self.symptoms += next.symptoms;
        self.symptoms_explained += next.symptoms_explained;
        let room = MALFORMED_LINES_KEPT.saturating_sub(self.malformed_lines.len());
        self.malformed_lines.extend(
            next.malformed_lines
                .iter()
                .take(room)
                .map(|l| l + line_offset),
        );
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
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Saved")]
#[non_exhaustive]
pub struct Report {
    /// The schema of the JSON form, [`SCHEMA_VERSION`].
    #[serde(serialize_with = "schema_version")]
    schema_version: (),
    /// Counts that account for every entry.
    pub totals: Totals,
    /// Derived: the services whose events came from two or more revisions, sorted by name;
    /// filled from the groups by [`Report::rank`] and [`Report::merge`].
    #[serde(default)]
    pub deploys: Vec<Deploy>,
    /// Groups, in the order their first event was found until [`Report::rank`] sorts them.
    pub groups: Vec<Group>,
    /// Derived: the groups of the baseline absent now, when a baseline was given
    /// ([`Report::set_baseline`]); `None` (`null`) without one, and after [`Report::merge`].
    #[serde(default)]
    pub gone: Option<Vec<GoneGroup>>,
    #[serde(skip)]
    index: HashMap<Fingerprint, usize>,
    /// The marks that link symptoms to causes (not part of the JSON form).
    #[serde(skip)]
    links: Links,
}

impl PartialEq for Report {
    /// Equal when they say the same: totals, deploys, groups (links and verdicts included)
    /// and the baseline's gone groups. The marks behind the links are not compared: a report
    /// read back from its JSON form has none.
    fn eq(&self, other: &Report) -> bool {
        self.totals == other.totals
            && self.deploys == other.deploys
            && self.groups == other.groups
            && self.gone == other.gone
    }
}

impl Report {
    /// Adds a classified event to its group. `suggest` makes the suggested title of a group
    /// that has no known issue, from the event it speaks for (a new group's first, or an
    /// event earlier than any before it). Links are computed when the report is ranked.
    pub fn add(&mut self, event: &Event, suggest: impl FnOnce(&Event) -> String) {
        let _ = self.add_with(event, Title::Now(suggest));
    }

    /// [`Report::add`], the suggested titles made later by [`Report::make_titles`].
    pub(crate) fn add_later(&mut self, event: &Event) {
        let _ = self.add_with(event, Title::<fn(&Event) -> String>::Later);
    }

    /// Makes the suggested titles [`Report::add_later`] left to make.
    pub(crate) fn make_titles(&mut self, suggest: impl Fn(&Event) -> String) {
        for group in &mut self.groups {
            group.make_title(&suggest);
        }
    }

    /// [`Report::add`], `true` when the event now speaks for its group (its first, or an
    /// earlier event that says something else): a partial report keeps that event.
    pub(crate) fn add_speaking(
        &mut self,
        event: &Event,
        suggest: impl FnOnce(&Event) -> String,
    ) -> bool {
        self.add_with(event, Title::Now(suggest))
    }

    fn add_with<F: FnOnce(&Event) -> String>(&mut self, event: &Event, title: Title<F>) -> bool {
        self.totals.events += 1;
        if event.role() == Role::Symptom {
            self.totals.symptoms += 1;
        }
        let fingerprint = event.classification.fingerprint;
        let at: Option<Instant> = event.timestamp.as_deref().and_then(time::parse);
        let spoke = match self.index.get(&fingerprint) {
            Some(&i) => self
                .groups
                .get_mut(i)
                .is_some_and(|group| group.add(event, at, title)),
            None => {
                let mut group = Group::first(event, title);
                group.add(event, at, Title::<F>::Later);
                self.index.insert(fingerprint, self.groups.len());
                self.groups.push(group);
                true
            }
        };
        self.links.add(event, fingerprint, at.map(Instant::micros));
        spoke
    }

    /// Appends the report of the shard that follows this one, and links the symptoms of
    /// both anew (or, when either was read back from its JSON form, adds up their links).
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
        self.links.merge(&next.links);
        self.link();
        // The baseline's verdicts were taken from rates this merge changes.
        self.gone = None;
        for g in &mut self.groups {
            g.baseline = None;
        }
        self.judge_deploys();
    }

    /// What each group keeps beside its saved form for a partial report, in group order.
    pub(crate) fn orders(&self) -> Vec<GroupOrder> {
        self.groups.iter().map(Group::order).collect()
    }

    /// Puts back what [`Report::orders`] kept.
    pub(crate) fn set_orders(&mut self, orders: Vec<GroupOrder>) {
        for (group, order) in self.groups.iter_mut().zip(orders) {
            group.set_order(order);
        }
    }

    /// The group of `fingerprint`.
    pub(crate) fn group(&self, fingerprint: &Fingerprint) -> Option<&Group> {
        self.index
            .get(fingerprint)
            .and_then(|&i| self.groups.get(i))
    }

    /// Links each group to a known issue again from the event it speaks for (of `firsts`):
    /// `link` fills the event's known issue, and the group takes its known issue, or a
    /// title from `suggest` when it has none, as if the events had been linked as they were
    /// found.
    pub(crate) fn relink(
        &mut self,
        firsts: &[Event],
        link: impl Fn(&mut Event),
        suggest: impl Fn(&Event) -> String,
    ) {
        let firsts: HashMap<Fingerprint, &Event> = firsts
            .iter()
            .map(|e| (e.classification.fingerprint, e))
            .collect();
        for group in &mut self.groups {
            let Some(&first) = firsts.get(&group.fingerprint) else {
                continue;
            };
            let mut event = first.clone();
            link(&mut event);
            let title = event
                .classification
                .known_issue
                .is_none()
                .then(|| suggest(&event));
            group.known_issue = event.classification.known_issue;
            group.suggested_title = title;
        }
    }

    /// Links symptoms to causes (see [`crate::reference`]) and sorts groups for a reader:
    /// causes first, by impact (failed requests plus exits they explain), then most
    /// frequent, with the rank of their category (lower first, see
    /// [`crate::Categories::rank`]) only breaking ties, then first seen (as an instant;
    /// groups without a timestamp first), then by fingerprint; symptoms after them, most
    /// frequent first. The order does not depend on the order events came in.
    /// Also fills the span and services of the totals from the groups, sets each group's
    /// [`Group::logs_url`] from its samples, and fills the [`Report::deploys`] and each
    /// group's `deploy` verdict from the groups.
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
        self.link();
        self.groups.sort_by(|a, b| {
            a.role
                .cmp(&b.role)
                .then(b.impact_total().cmp(&a.impact_total()))
                .then(b.count.cmp(&a.count))
                .then_with(|| {
                    category_rank(a.category.as_str()).cmp(&category_rank(b.category.as_str()))
                })
                .then_with(|| seen(&a.first_seen, &b.first_seen))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        for g in &mut self.groups {
            let project = g.project.as_deref().unwrap_or("");
            let (first, last) = (g.first_seen.as_deref(), g.last_seen.as_deref());
            g.logs_url = logs_explorer_url(project, &g.samples, first, last);
        }
        self.reindex();
        self.judge_deploys();
    }

    /// Fills [`Report::deploys`] and each group's `deploy` verdict from the groups'
    /// revisions.
    fn judge_deploys(&mut self) {
        self.deploys = deploy::deploys(self.groups.iter().map(|g| &g.revisions));
        for g in &mut self.groups {
            g.deploy = deploy::verdict(&self.deploys, &g.revisions);
        }
    }

    /// The marks behind the links, for a partial report that is merged later.
    pub fn links(&self) -> &Links {
        &self.links
    }

    /// Puts back the marks of a report read back from its JSON form (saved beside it with
    /// [`Report::links`]), and links its symptoms anew.
    pub fn set_links(&mut self, links: Links) {
        self.links = links;
        self.link();
    }

    /// Computes each cause's impact and each symptom's causes from the marks, when the
    /// marks are all there, and the symptom totals from the groups.
    fn link(&mut self) {
        if self.links.is_complete() {
            for g in &mut self.groups {
                match g.role {
                    Role::Cause => g.impact = Some(Default::default()),
                    _ => {
                        g.caused_by = Some(Vec::new());
                        g.unexplained = Some(g.count);
                    }
                }
            }
            for l in self.links.resolve() {
                let (Some(&s), Some(&c)) = (self.index.get(&l.symptom), self.index.get(&l.cause))
                else {
                    continue;
                };
                let route = self.groups.get(s).and_then(|g| g.request.clone());
                if let Some(symptom) = self.groups.get_mut(s) {
                    if let Some(n) = &mut symptom.unexplained {
                        *n = n.saturating_sub(1);
                    }
                    let links = symptom.caused_by.get_or_insert_with(Vec::new);
                    match links
                        .iter_mut()
                        .find(|k| k.fingerprint == l.cause && k.evidence == l.evidence)
                    {
                        Some(k) => k.count += 1,
                        None => links.push(crate::causes::CauseLink {
                            fingerprint: l.cause,
                            count: 1,
                            evidence: l.evidence,
                        }),
                    }
                }
                let Some(impact) = self.groups.get_mut(c).and_then(|g| g.impact.as_mut()) else {
                    continue;
                };
                if !l.request {
                    impact.exits += 1;
                    continue;
                }
                impact.requests += 1;
                if let Some(status) = l.status {
                    *impact.statuses.entry(status.to_string()).or_insert(0) += 1;
                }
                if let Some(r) = route {
                    impact.add_route(r.method.as_deref().unwrap_or(""), &r.route, 1);
                }
            }
            for g in &mut self.groups {
                if let Some(impact) = &mut g.impact {
                    impact.sort_routes();
                }
                if let Some(links) = &mut g.caused_by {
                    sort_cause_links(links);
                }
            }
        }
        let symptoms = self.groups.iter().filter(|g| g.role == Role::Symptom);
        self.totals.symptoms = symptoms.clone().map(|g| g.count).sum();
        self.totals.symptoms_explained = symptoms.map(Group::explained).sum();
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
    #[serde(default)]
    deploys: Vec<Deploy>,
    groups: Vec<Group>,
    #[serde(default)]
    gone: Option<Vec<GoneGroup>>,
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
        // Without its marks, a report's links can only be added up when merged.
        let links = match saved.groups.is_empty() {
            true => Links::default(),
            false => Links::partial(),
        };
        let mut report = Report {
            totals: saved.totals,
            deploys: saved.deploys,
            groups: saved.groups,
            gone: saved.gone,
            links,
            ..Report::default()
        };
        report.reindex();
        Ok(report)
    }
}
