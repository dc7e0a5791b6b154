//! Partial reports: the report of one shard of an input, with what the shard cannot finish
//! alone, so that shards triaged apart (processes, machines, Spark tasks) merge into exactly
//! the report of the whole input.
//!
//! A shard's events depend on the shards before it only through split tracebacks (and
//! header lines waiting for one) still open where it starts. A partial therefore holds:
//! - the shard's report, kept in pieces by the *quiet places* near its start (where its scan
//!   held nothing open), with each group's first event, for known issues linked after the
//!   merge, and the marks its events left for linking symptoms to causes
//!   ([`crate::Links`]): links are made once every shard's marks are together, since a
//!   failed request may be in one shard and its cause in another;
//! - its *lead*: its first bytes, raw, up to [`LEAD_BYTES`] (all of it when it is that
//!   small), ending at a quiet place;
//! - what its scan still held open at its end ([`crate::event`]'s assembler state);
//! - its totals (lines too, so the next shard's line numbers come out right), settings,
//!   format and where in which file it lies.
//!
//! Merging `a` then `b`: when `a` held nothing at its end, `b`'s report is right as it is.
//! Otherwise `b`'s lead is scanned again with the state `a` held, up to the first quiet place
//! of `b` where that scan holds nothing too: from there on `b`'s own scan is right, and its
//! pieces from that place on are taken. The merged partial is again a partial (of `a` and
//! `b` together), so merging is associative. Its form is documented in
//! [`crate::reference`] (Partial reports).

mod form;
mod join;
mod lead;
mod tally;

pub(crate) use form::Settings;
pub use form::{Partial, LEAD_BYTES, PARTIAL_VERSION};
pub(crate) use join::Rescanned;
pub(crate) use lead::Lead;
pub(crate) use tally::Tally;
