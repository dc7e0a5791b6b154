//! The partial report's form: what it holds, its version, and reading and writing it.

use super::lead::Lead;
use super::tally::Tally;
use crate::error::PartialError;
use crate::event::{Held, HISTORY_BYTES};
use crate::input::decode::HEAD_BYTES;
use crate::input::Format;
use crate::quiet::Quiet;
use crate::report::Totals;

/// The version of the partial report's form, written first as its `partial_version`. Only
/// partials of the same version merge; it changes with any change of the form.
pub const PARTIAL_VERSION: u32 = 1;

/// How many bytes of its start a partial keeps raw, at most: a split traceback carried
/// into a shard ends within its first entries (an unfinished one waits at most 1,000
/// entries for its next line), and this holds a few thousand Cloud Logging entries.
pub const LEAD_BYTES: u64 = 2 << 20;

/// The report of one shard of an input, with what the shard cannot finish alone: merge
/// partials in input order ([`crate::Triage::merge_partials`]) and finish the last
/// ([`crate::Triage::finish_partial`]) for the report of the whole input.
///
/// Serde both ways (one JSON object, one line as the command line writes it); reading checks
/// the version first.
///
/// ```
/// let triage = logtriage::TriageBuilder::new().build()?;
/// let logs = concat!(
///     r#"{"insertId":"a","severity":"ERROR","textPayload":"Traceback (most recent call last):"}"#, "\n",
///     r#"{"insertId":"b","severity":"ERROR","textPayload":"  File \"/app/main.py\", line 3, in run"}"#, "\n",
///     r#"{"insertId":"c","severity":"ERROR","textPayload":"NameError: name 'x' is not defined"}"#, "\n",
/// );
/// let cut = logs.find("\n{\"insertId\":\"b\"").unwrap() + 1;
/// let first = triage.partial(&logs.as_bytes()[..cut], None)?;
/// let saved = first.to_json();
/// let first = logtriage::Partial::from_json(&saved)?;
/// let second = triage.partial(&logs.as_bytes()[cut..], None)?;
/// let merged = triage.merge_partials(first, second)?;
/// let report = triage.finish_partial(merged);
/// assert_eq!(report, triage.run_slice(logs.as_bytes(), &mut logtriage::NoSink)?);
/// assert_eq!(report.groups[0].count, 1);
/// # Ok::<(), logtriage::Error>(())
/// ```
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Partial {
    /// [`PARTIAL_VERSION`]; checked before the rest is read.
    pub(crate) partial_version: u32,
    pub(crate) settings: Settings,
    /// The format the shard was read as; `None` for an empty shard.
    pub(crate) format: Option<Format>,
    /// Where its first and last shards lie in their files, when they were read from files.
    pub(crate) first: Option<Position>,
    pub(crate) last: Option<Position>,
    /// Bytes of input it covers.
    pub(crate) bytes: u64,
    /// Its counts; `events` is counted by the tallies.
    pub(crate) totals: Totals,
    pub(crate) lead: Lead,
    /// Its first bytes, up to [`HEAD_BYTES`], when its lead holds fewer (a split traceback
    /// still open for its first MiBs): a single pass looks at an input's first bytes for
    /// binary data, and so does a merge, across shards shorter than that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) head: Option<Lead>,
    /// Its last bytes, up to [`HISTORY_BYTES`] (`whole`: all of them): a traceback read
    /// newest first in the next shard looks back at the entries before its first frame.
    pub(crate) tail: Lead,
    /// A lookback of its scan reached its first byte and might have gone on (into the
    /// shards before): a merge with the one before scans its lead again.
    pub(crate) cut: bool,
    /// Its quiet places in the lead, from its start (the first at 0), in order.
    pub(crate) points: Vec<Quiet>,
    /// The events found from each quiet place to the next (the last: to its end), one
    /// tally per place.
    pub(crate) tallies: Vec<Tally>,
    /// What its scan still held at its end.
    pub(crate) held: Held,
}

/// The settings that decide what a scan finds: partials merge only when made alike.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Settings {
    pub(crate) slow_ms: f64,
    pub(crate) max_entry_bytes: u64,
    pub(crate) validate: bool,
    /// A digest of the rules files added to the built-in rules (0: none).
    pub(crate) rules: u64,
}

impl Settings {
    /// The first setting that differs from `other`'s, named as the command line names it.
    pub(crate) fn differs(&self, other: &Settings) -> Option<&'static str> {
        [
            ("slow-ms", self.slow_ms != other.slow_ms),
            (
                "max-entry-bytes",
                self.max_entry_bytes != other.max_entry_bytes,
            ),
            ("validate", self.validate != other.validate),
            ("rules", self.rules != other.rules),
        ]
        .into_iter()
        .find_map(|(name, differs)| differs.then_some(name))
    }
}

/// Where a shard lies in the file it was read from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Position {
    /// The file, as named to the command.
    pub(crate) source: String,
    /// The bytes of it the shard covers.
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// Only the version, read first: another version's form may differ in anything else.
#[derive(serde::Deserialize)]
struct Version {
    partial_version: u64,
}

impl Partial {
    /// The partial as one line of JSON (no line break in it).
    pub fn to_json(&self) -> String {
        // Every part serializes: maps have string keys, numbers are finite.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a partial written by [`Partial::to_json`], checking its version first.
    pub fn from_json(json: &str) -> Result<Partial, PartialError> {
        match serde_json::from_str::<Version>(json) {
            Ok(v) if v.partial_version != u64::from(PARTIAL_VERSION) => {
                return Err(PartialError::Version {
                    found: v.partial_version,
                    want: PARTIAL_VERSION,
                })
            }
            _ => {}
        }
        let partial: Partial = serde_json::from_str(json).map_err(|e| PartialError::Invalid {
            reason: e.to_string(),
        })?;
        partial.check()?;
        Ok(partial)
    }

    /// Records that the shard is bytes `start..end` of the file `source`: the merge checks
    /// that partials of the same file follow each other.
    pub fn set_position(&mut self, source: &str, start: u64, end: u64) {
        let at = Position {
            source: source.to_string(),
            start,
            end,
        };
        self.first = Some(at.clone());
        self.last = Some(at);
    }

    /// The slow-query threshold, largest entry and validation it was made with, which a
    /// merge must use too.
    pub fn scan_settings(&self) -> (f64, usize, bool) {
        let s = &self.settings;
        let max = usize::try_from(s.max_entry_bytes).unwrap_or(usize::MAX);
        (s.slow_ms, max, s.validate)
    }

    /// Its first bytes, up to [`HEAD_BYTES`] (all of them when it is shorter).
    pub(crate) fn head(&self) -> &[u8] {
        let bytes = match &self.head {
            Some(head) => &head.bytes,
            None => &self.lead.bytes,
        };
        bytes.get(..HEAD_BYTES.min(bytes.len())).unwrap_or(&[])
    }

    /// Keeps `head` (its first bytes, or more) beside the lead when the lead holds fewer of
    /// them than [`HEAD_BYTES`].
    pub(crate) fn keep_head(&mut self, head: &[u8]) {
        let want = usize::try_from(self.bytes).map_or(HEAD_BYTES, |b| b.min(HEAD_BYTES));
        self.head = (self.lead.bytes.len() < want).then(|| Lead {
            bytes: head.get(..want.min(head.len())).unwrap_or(&[]).to_vec(),
            whole: self.bytes <= HEAD_BYTES as u64,
        });
    }

    /// The invariants a read partial must hold, so that a damaged one is an error rather
    /// than a wrong report.
    fn check(&self) -> Result<(), PartialError> {
        let invalid = |reason: &str| {
            Err(PartialError::Invalid {
                reason: reason.to_string(),
            })
        };
        let lead = self.lead.bytes.len() as u64;
        let ordered = self.points.windows(2).all(|w| w[0].offset < w[1].offset);
        if self.points.first().map(|p| p.offset) != Some(0) || !ordered {
            return invalid("its quiet places must start at 0 and grow");
        }
        if self.points.len() != self.tallies.len() {
            return invalid("one tally per quiet place");
        }
        let last = self.points.last().map_or(0, |p| p.offset);
        if lead > self.bytes || (!self.lead.whole && lead != last) || last > lead {
            return invalid("its lead does not end at its last quiet place");
        }
        if self.lead.whole && lead != self.bytes {
            return invalid("a whole lead holds every byte");
        }
        let tail = self.tail.bytes.len() as u64;
        if tail != self.bytes.min(HISTORY_BYTES as u64) || self.tail.whole != (tail == self.bytes) {
            return invalid("its tail is not its last bytes");
        }
        let head = self.head.as_ref().map_or(0, |h| h.bytes.len());
        if head > HEAD_BYTES || head as u64 > self.bytes {
            return invalid("its head holds more than its first bytes");
        }
        Ok(())
    }
}
