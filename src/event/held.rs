//! What an [`Assembler`] holds between entries, as data: the split tracebacks still open
//! (read forwards, and whole ones a header read after them may join), the header lines
//! waiting for one, the tracebacks being read newest first, a lone exception line that a
//! traceback without header in the next entry may take (Sentry), the events flushed but not
//! yet given out, the last line each stream used, and the entry count their waits are
//! measured in. A partial report saves it at its shard's end, and the merge goes on from it
//! into the next shard.

use super::assemble::Assembler;
use super::database::Database;
use super::model::Event;
use super::reversed::Reversed;
use super::split::{Before, Floors, Open, Pending};

/// The state an assembler carries from one entry to the next (its settings are not part of
/// it). Serde both ways; its form is part of the partial report's.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Held {
    /// Entries seen (parsed or skipped): waits are differences of it.
    tick: u64,
    open: Vec<Open>,
    /// Tracebacks whole in one entry that a header read after them may still join.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    wholes: Vec<Open>,
    pending: Vec<Pending>,
    /// Tracebacks being read newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reversed: Vec<Reversed>,
    ready: Vec<Event>,
    /// The last lone exception line of a stream: the entry right after it may take it, or
    /// a traceback read newest first replayed in time order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<Before>,
    /// Database entries waiting for the lines that complete them.
    database: Database,
    /// The last line of each stream that an event used: a lookback from the next shard
    /// takes none of them again.
    #[serde(default)]
    floors: Floors,
}

impl Held {
    /// Whether nothing is held that the next shard's entries may change: its own scan is
    /// then right as it is, unless it looked back past its start (the floors are for that
    /// scan again).
    pub(crate) fn is_empty(&self) -> bool {
        self.open.is_empty()
            && self.wholes.is_empty()
            && self.pending.is_empty()
            && self.reversed.is_empty()
            && self.ready.is_empty()
            // Older, it is taken only by a run read newest first replaying its lines, and
            // that run is held too.
            && self.before.as_ref().is_none_or(|b| b.tick != self.tick)
            && !self.database.holds()
    }

    /// Adds `offset` to the line numbers it holds (a later shard's lines are numbered after
    /// the earlier shards'), as the assembler does.
    pub(crate) fn shift_lines(&mut self, offset: u64) {
        let mut assembler = Assembler::new(0.0);
        assembler.restore(std::mem::take(self));
        assembler.shift_lines(offset);
        *self = assembler.take_held();
    }

    /// Takes in the floors of the state this one goes on from (its own are later), as
    /// [`Assembler::inherit`] does.
    pub(crate) fn inherit(&mut self, earlier: Held) {
        self.floors.inherit(earlier.floors);
    }
}

impl Assembler {
    /// What it holds, taken out: it holds nothing after. A lookback asked for is walked
    /// before this (the scan does it after each entry).
    pub(crate) fn take_held(&mut self) -> Held {
        self.end_look();
        self.end_gap(false);
        let tick = self.tick;
        Held {
            tick,
            open: std::mem::take(&mut self.open),
            wholes: std::mem::take(&mut self.wholes),
            pending: std::mem::take(&mut self.pending),
            reversed: std::mem::take(&mut self.reversed),
            ready: std::mem::take(&mut self.ready),
            before: self.before.take(),
            database: std::mem::replace(&mut self.database, Database::new(self.slow_ms)),
            floors: std::mem::take(&mut self.floors),
        }
    }

    /// Goes on from `held`, what an assembler with the same settings held.
    pub(crate) fn restore(&mut self, held: Held) {
        self.tick = held.tick;
        self.open = held.open;
        self.wholes = held.wholes;
        self.pending = held.pending;
        self.reversed = held.reversed;
        self.ready = held.ready;
        self.before = held.before;
        self.database = held.database;
        self.floors = held.floors;
        self.quiet_until = 0;
    }
}
