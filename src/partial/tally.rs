//! A tally: the report of a run of consecutive events, with the first event of each of its
//! groups, from which known issues are linked once the shards are merged, and the marks
//! that link its symptoms to causes.

use crate::causes::Links;
use crate::event::Event;
use crate::report::Report;
use crate::title::suggest_title;

/// The report of consecutive events and each group's first event (in order of the groups'
/// first events).
///
/// Saved with its report's link marks beside the report ([`Report::links`]): the JSON report
/// leaves them out, and without them a merge could only add up the links each shard found
/// alone, not link a failed request in one shard to its cause in another.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) report: Report,
    pub(crate) firsts: Vec<Event>,
}

/// The saved form of a tally.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved<R, L, F> {
    report: R,
    links: L,
    firsts: F,
}

impl serde::Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Saved {
            report: &self.report,
            links: self.report.links(),
            firsts: &self.firsts,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Tally {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let saved: Saved<Report, Links, Vec<Event>> = Saved::deserialize(d)?;
        let mut report = saved.report;
        report.set_links(saved.links);
        Ok(Tally {
            report,
            firsts: saved.firsts,
        })
    }
}

impl Tally {
    /// Counts the next event.
    pub(crate) fn add(&mut self, event: Event) {
        let fingerprint = event.classification.fingerprint;
        let new = !self.report.has_group(&fingerprint);
        self.report.add(&event, suggest_title);
        if new {
            self.firsts.push(event);
        }
    }

    /// Appends the tally of the events that follow.
    pub(crate) fn merge(&mut self, next: Tally) {
        let new: Vec<Event> = next
            .firsts
            .into_iter()
            .filter(|e| !self.report.has_group(&e.classification.fingerprint))
            .collect();
        self.report.merge(&next.report);
        self.firsts.extend(new);
    }
}
