//! What an [`Assembler`](super::Assembler) holds between entries, as data: the split
//! tracebacks still open, the header lines waiting for one, a lone exception line that a
//! traceback without header in the next entry may take (Sentry), the events flushed but not
//! yet given out, and the entry count their waits are measured in. A partial report saves it at
//! its shard's end, and the merge goes on from it into the next shard.

use super::database::Database;
use super::model::Event;
use super::split::{Before, Open, Pending};

/// The state an assembler carries from one entry to the next (its settings are not part of
/// it). Serde both ways; its form is part of the partial report's.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Held {
    /// Entries seen (parsed or skipped): waits are differences of it.
    pub(super) tick: u64,
    pub(super) open: Vec<Open>,
    pub(super) pending: Vec<Pending>,
    pub(super) ready: Vec<Event>,
    /// The last entry, when it was a lone exception line (only the entry right after it
    /// may take it: kept only when it was the last one seen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) before: Option<Before>,
    /// Database entries waiting for the lines that complete them.
    pub(super) database: Database,
}

impl Held {
    /// Whether nothing is held: the next shard's own scan is then right as it is.
    pub(crate) fn is_empty(&self) -> bool {
        self.open.is_empty()
            && self.pending.is_empty()
            && self.ready.is_empty()
            && self.before.is_none()
            && !self.database.holds()
    }

    /// Adds `offset` to the line numbers of the events held (a later shard's lines are
    /// numbered after the earlier shards').
    pub(crate) fn shift_lines(&mut self, offset: u64) {
        let events = self.open.iter_mut().map(|o| &mut o.event);
        let events = events.chain(self.pending.iter_mut().map(|p| &mut p.event));
        let events = events.chain(self.before.iter_mut().map(|b| &mut b.event));
        for event in events.chain(self.ready.iter_mut()) {
            event.line += offset;
        }
        self.database.shift_lines(offset);
    }
}
