//! Merging a partial with the one that follows it: the next shard's pieces are taken as
//! they are when nothing was held open between them, or from the place where a scan of its
//! lead with the carried state meets its own scan. The scan itself is the caller's (the
//! pipeline's), given as a closure.

use super::form::{Partial, Position, LEAD_BYTES};
use super::lead::Lead;
use crate::error::PartialError;
use crate::event::{Event, Held, HISTORY_BYTES};
use crate::input::decode::{binary, HEAD_BYTES};
use crate::quiet::Quiet;
use crate::report::Totals;

use super::tally::Tally;

/// What a scan of the next partial's lead with the carried state found, with lines numbered
/// from the start of the partial before.
pub(crate) struct Rescanned {
    /// The events it found, classified, in order.
    pub(crate) events: Vec<Event>,
    /// The places where it held nothing before it met the next shard's own scan, with the
    /// events found before each (`Quiet::events`).
    pub(crate) own: Vec<Quiet>,
    /// The index of the next partial's place where it met that shard's own scan.
    pub(crate) met: Option<usize>,
    /// Its counts up to there (or the lead's end).
    pub(crate) totals: Totals,
    /// What it held at the lead's end, when it did not meet; else where it met (nothing
    /// open, but the streams' used lines).
    pub(crate) held: Held,
    /// A lookback reached the first byte of the tail it was given and might have gone on.
    pub(crate) cut: bool,
    /// How many bytes before the lead's start its lookbacks looked (`u64::MAX` when cut):
    /// the places of the partial before that lie there are no places to go on from.
    pub(crate) reach_before: u64,
}

/// The next partial seen from the start of the one before: its places from its own start,
/// the tally of the events before the first of them, one tally per place, its counts (lines
/// numbered from the earlier start, without `lines`), and what it held at its end.
struct Part {
    before: Tally,
    points: Vec<Quiet>,
    tallies: Vec<Tally>,
    totals: Totals,
    held: Held,
}

impl Partial {
    /// This partial followed by `next` (the partial of the shard right after), as one.
    /// `rescan` scans `next`'s lead again with the state this one held at its end, after
    /// this one's tail, lines numbered after the given count.
    pub(crate) fn join(
        self,
        next: Partial,
        rescan: impl FnOnce(Held, &Lead, &Partial, u64) -> Rescanned,
    ) -> Result<Partial, PartialError> {
        self.check_next(&next)?;
        // A single pass looks at the input's first bytes for binary data: those of this
        // partial, and of the next one when this one is shorter. (A gzip input's are its
        // first decompressed bytes, which its partial looked at.)
        let mut head = self.head().to_vec();
        let known = head.len() as u64 >= self.bytes.min(HEAD_BYTES as u64);
        let binary = if self.totals.gzip || !known || self.bytes >= HEAD_BYTES as u64 {
            self.totals.binary
        } else {
            let room = HEAD_BYTES - head.len();
            let next_head = next.head();
            head.extend_from_slice(next_head.get(..room.min(next_head.len())).unwrap_or(&[]));
            binary(&head)
        };
        let shift = self.totals.lines;
        let tail = joined_tail(&self.tail, &next.tail);
        let mut a = self;
        let b = next;
        // `b`'s own scan is right as it is when nothing was held open into it and none of
        // its lookbacks wanted the input before it.
        let part = if a.held.is_empty() && !b.cut {
            let mut totals = Totals::default();
            totals.add_counts(&b.totals, shift);
            let mut held = b.held;
            held.shift_lines(shift);
            held.inherit(std::mem::take(&mut a.held));
            Part {
                before: Tally::default(),
                points: b.points,
                tallies: b.tallies,
                totals,
                held,
            }
        } else {
            let r = rescan(std::mem::take(&mut a.held), &a.tail, &b, shift);
            a.cut |= r.cut;
            a.drop_places_after(a.bytes.saturating_sub(r.reach_before));
            carried(r, b.points, b.tallies, &b.totals, b.held, &b.lead, shift)?
        };
        let rest = Rest {
            flags: (b.totals.gzip, b.totals.truncated),
            lead: b.lead,
            bytes: b.bytes,
            lines: b.totals.lines,
            format: b.format,
            first: b.first,
            last: b.last,
        };
        let mut joined = a.then(part, rest);
        joined.tail = tail;
        joined.totals.binary = binary;
        joined.keep_head(&head);
        Ok(joined)
    }

    /// The checks before merging `next` after this one.
    fn check_next(&self, next: &Partial) -> Result<(), PartialError> {
        if let Some(setting) = self.settings.differs(&next.settings) {
            return Err(PartialError::Settings { setting });
        }
        if let (Some(before), Some(this)) = (self.format, next.format) {
            if before != this {
                let name = |f| serde_json::to_string(&f).unwrap_or_default();
                return Err(PartialError::Format {
                    before: name(before).trim_matches('"').to_string(),
                    this: name(this).trim_matches('"').to_string(),
                });
            }
        }
        if let (Some(before), Some(this)) = (&self.last, &next.first) {
            if before.source == this.source && before.end != this.start {
                return Err(PartialError::OutOfOrder {
                    input: this.source.clone(),
                    start: this.start,
                    end: next.last.as_ref().map_or(this.end, |l| l.end),
                    before_end: before.end,
                });
            }
        }
        Ok(())
    }

    /// This partial with the next one's part after it.
    fn then(mut self, part: Part, next: Rest) -> Partial {
        let at_end = self.totals.clone();
        self.totals.add_counts(&part.totals, 0);
        self.totals.lines += next.lines;
        let (gzip, truncated) = next.flags;
        self.totals.gzip |= gzip;
        self.totals.truncated |= truncated;
        if let Some(last) = self.tallies.last_mut() {
            last.merge(part.before);
        }
        let mut pieces = part.points.into_iter().zip(part.tallies);
        if self.lead.whole {
            // This partial's own scan goes on into the next shard: so do its places.
            let start = Quiet::at(0, &Totals::default(), 0);
            for (point, tally) in pieces.by_ref() {
                let moved = point.moved(self.bytes, &start, &at_end);
                match self.points.last() {
                    Some(last) if moved.offset > last.offset => {
                        self.points.push(moved);
                        self.tallies.push(tally);
                    }
                    _ => self.fold(tally),
                }
            }
            self.lead.bytes.extend_from_slice(&next.lead.bytes);
            self.lead.whole = next.lead.whole;
            if !self.lead.whole {
                // A lead that is not whole ends at its last place (it does already when the
                // next one's did; this keeps the rule whatever the places kept).
                let end = self.points.last().map_or(0, |p| p.offset);
                self.lead
                    .bytes
                    .truncate(usize::try_from(end).unwrap_or(usize::MAX));
            }
        }
        for (_, tally) in pieces {
            self.fold(tally);
        }
        self.bytes += next.bytes;
        self.held = part.held;
        self.format = self.format.or(next.format);
        self.first = self.first.or(next.first);
        self.last = next.last.or(self.last.take());
        self.keep_lead_bounded();
        self
    }

    /// Drops the places after `offset` but the first (a lookback from the next shard looked
    /// before them), their tallies added to the ones before.
    fn drop_places_after(&mut self, offset: u64) {
        let keep = self
            .points
            .iter()
            .rposition(|p| p.offset <= offset)
            .unwrap_or(0);
        for tally in self.tallies.split_off(keep + 1) {
            self.fold(tally);
        }
        self.points.truncate(keep + 1);
        if !self.lead.whole {
            let end = self.points.last().map_or(0, |p| p.offset);
            self.lead
                .bytes
                .truncate(usize::try_from(end).unwrap_or(usize::MAX));
        }
    }

    /// Adds a tally to the last one.
    fn fold(&mut self, tally: Tally) {
        if let Some(last) = self.tallies.last_mut() {
            last.merge(tally);
        }
    }

    /// Cuts the lead back to [`LEAD_BYTES`], at its last quiet place within them.
    fn keep_lead_bounded(&mut self) {
        if self.lead.bytes.len() as u64 <= LEAD_BYTES {
            return;
        }
        let keep = self
            .points
            .iter()
            .rposition(|p| p.offset <= LEAD_BYTES)
            .unwrap_or(0);
        for tally in self.tallies.split_off(keep + 1) {
            self.fold(tally);
        }
        self.points.truncate(keep + 1);
        let end = self.points.last().map_or(0, |p| p.offset);
        self.lead
            .bytes
            .truncate(usize::try_from(end).unwrap_or(usize::MAX));
        self.lead.whole = false;
    }
}

/// The last [`HISTORY_BYTES`] of `first`'s bytes then `next`'s, given their tails.
fn joined_tail(first: &Lead, next: &Lead) -> Lead {
    if !next.whole {
        return next.clone();
    }
    let mut bytes = first.bytes.clone();
    bytes.extend_from_slice(&next.bytes);
    let cut = bytes.len().saturating_sub(HISTORY_BYTES);
    bytes.drain(..cut);
    Lead {
        bytes,
        whole: first.whole && cut == 0,
    }
}

/// What else a merge takes from the next partial.
struct Rest {
    /// What its input was: gzip, truncated (as [`Totals::merge`] takes them).
    flags: (bool, bool),
    lead: super::lead::Lead,
    bytes: u64,
    lines: u64,
    format: Option<crate::input::Format>,
    first: Option<Position>,
    last: Option<Position>,
}

/// The next partial's part after a scan of its lead with carried state (`r`).
fn carried(
    r: Rescanned,
    points: Vec<Quiet>,
    mut tallies: Vec<Tally>,
    totals: &Totals,
    held: Held,
    lead: &super::lead::Lead,
    shift: u64,
) -> Result<Part, PartialError> {
    // The events before its first own place, then those from each place to the next.
    let mut events = r.events.into_iter();
    let mut before = Tally::default();
    let mut own_tallies: Vec<Tally> = Vec::with_capacity(r.own.len());
    let mut taken = 0;
    for point in &r.own {
        let tally = own_tallies.last_mut().unwrap_or(&mut before);
        for event in events.by_ref().take(point.events.saturating_sub(taken)) {
            tally.add(event);
        }
        taken = taken.max(point.events);
        own_tallies.push(Tally::default());
    }
    let last = own_tallies.last_mut().unwrap_or(&mut before);
    for event in events {
        last.add(event);
    }
    let mut own = r.own;
    match r.met {
        Some(i) => {
            let Some(&at) = points.get(i) else {
                return Err(PartialError::Invalid {
                    reason: "a quiet place out of range".to_string(),
                });
            };
            let mut part_totals = r.totals.clone();
            part_totals.add_counts(&at.counts_after(totals), shift);
            let later = tallies.split_off(i);
            let later_points = points.get(i..).unwrap_or(&[]).iter();
            own.extend(later_points.map(|p| p.moved(0, &at, &r.totals)));
            own_tallies.extend(later);
            let mut held = held;
            held.shift_lines(shift);
            held.inherit(r.held);
            Ok(Part {
                before,
                points: own,
                tallies: own_tallies,
                totals: part_totals,
                held,
            })
        }
        None if lead.whole => {
            let mut part_totals = r.totals;
            part_totals.lines = 0;
            Ok(Part {
                before,
                points: own,
                tallies: own_tallies,
                totals: part_totals,
                held: r.held,
            })
        }
        None => Err(PartialError::NotExact {
            kept: lead.bytes.len() as u64,
        }),
    }
}
