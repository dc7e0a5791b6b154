//! Failure events: the model of one failure found in the stream, and its assembly from
//! entries (and from lines split over entries).
//!
//! An [`Event`] holds what was found (its kind, where, the text, the parsed traceback or
//! slow query) and one [`Classification`] that the later stages fill: the classifier its
//! category, deciding exception, message, subject, in-app frames and fingerprint; the known
//! issues the [`IssueRef`] that tracks it.
//!
//! Assembly (the crate-private `Assembler`) is described in the `assemble` module: whole
//! tracebacks in one entry, tracebacks split one line per entry and reassembled per stream,
//! header lines joining their traceback, and single-entry events (error levels, slow
//! queries, out-of-memory reports); in either order of time (`newest_first`, `reversed`,
//! `lookback`: an export printed newest first comes out as one printed oldest first).

mod assemble;
mod database;
mod db_held;
mod db_reverse;
mod forward;
mod held;
mod lookback;
mod model;
mod newest_first;
mod postgres;
mod record;
mod reversed;
mod single;
mod slow;
mod split;

pub(crate) use assemble::Assembler;
pub(crate) use held::Held;
pub(crate) use lookback::{History, Start};
pub use model::{
    Classification, Event, EventKind, IssueMatch, IssueRef, IssueState, MatchBy, Request, Role,
    SlowQuery,
};
pub use record::EventRecord;
pub(crate) use split::{HISTORY_BYTES, MAX_PENDING_IDLE, MAX_STREAMS};
