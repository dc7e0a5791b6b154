//! A tally: the report of a run of consecutive events, with the event each of its groups
//! speaks for, from which known issues are linked once the shards are merged, and the
//! marks that link its symptoms to causes.

use crate::causes::Links;
use crate::event::Event;
use crate::group::GroupOrder;
use crate::report::Report;
use crate::title::suggest_title;

/// The report of consecutive events and the event each group speaks for (its earliest,
/// see [`crate::Group`]), in order of the groups' first events.
///
/// Saved with its report's link marks beside the report ([`Report::links`]): the JSON report
/// leaves them out, and without them a merge could only add up the links each shard found
/// alone, not link a failed request in one shard to its cause in another. So are what its
/// groups' speakers say and their samples' times ([`Report::orders`]), without which a
/// group of a later shard with earlier events (an export read newest first) would not merge
/// as its events added one by one do.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) report: Report,
    pub(crate) firsts: Vec<Event>,
}

/// The saved form of a tally.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved<R, L, O, F> {
    report: R,
    links: L,
    #[serde(default)]
    orders: O,
    firsts: F,
}

impl serde::Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Saved {
            report: &self.report,
            links: self.report.links(),
            orders: self.report.orders(),
            firsts: &self.firsts,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Tally {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let saved: Saved<Report, Links, Vec<GroupOrder>, Vec<Event>> = Saved::deserialize(d)?;
        let mut report = saved.report;
        report.set_links(saved.links);
        report.set_orders(saved.orders);
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
        if self.report.add_speaking(&event, suggest_title) {
            let mine = self
                .firsts
                .iter_mut()
                .find(|e| e.classification.fingerprint == fingerprint);
            match mine {
                Some(first) => *first = event,
                None => self.firsts.push(event),
            }
        }
    }

    /// Appends the tally of the events that follow.
    pub(crate) fn merge(&mut self, next: Tally) {
        for event in next.firsts {
            let fingerprint = event.classification.fingerprint;
            let Some(mine) = self.report.group(&fingerprint) else {
                self.firsts.push(event);
                continue;
            };
            let takes = next
                .report
                .group(&fingerprint)
                .is_some_and(|theirs| mine.takes_speaker(theirs));
            if takes {
                if let Some(first) = self
                    .firsts
                    .iter_mut()
                    .find(|e| e.classification.fingerprint == fingerprint)
                {
                    *first = event;
                }
            }
        }
        self.report.merge(&next.report);
    }
}
