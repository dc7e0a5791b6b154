//! A tally: the report of a run of consecutive events, with the first event of each of its
//! groups, from which known issues are linked once the shards are merged.

use crate::event::Event;
use crate::report::Report;
use crate::title::suggest_title;

/// The report of consecutive events and each group's first event (in order of the groups'
/// first events).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Tally {
    pub(crate) report: Report,
    pub(crate) firsts: Vec<Event>,
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
