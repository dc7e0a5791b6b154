//! The scans behind partial reports: a shard's own scan, which keeps its lead and its quiet
//! places near the start; the scan of a lead again with the state carried from the shard
//! before, when partials merge; and the finish of a merged partial into the report.

use super::scan::{Before, Core, Quieting};
use super::stages::Stages;
use crate::error::Result;
use crate::event::{Event, Held, Start, HISTORY_BYTES};
use crate::input::decode::HEAD_BYTES;
use crate::input::{Format, ReaderBuilder};
use crate::partial::{Lead, Partial, Rescanned, Settings, Tally, LEAD_BYTES, PARTIAL_VERSION};
use crate::quiet::Quiet;
use crate::report::{Report, Totals};
use crate::title::suggest_title;
use std::cell::Cell;
use std::io::Read;

/// At most this many events of the lead are kept apart by place (so many in a few MiB
/// means a flood of events; the places after them are not recorded).
const LEAD_EVENTS: usize = 1 << 14;

/// The partial report of the shard `rdr`, read as `format` (`None`: detected).
pub(crate) fn scan<R: Read>(stages: &Stages, rdr: R, format: Option<Format>) -> Result<Partial> {
    let read = Cell::new(0);
    let mut tee = Tee {
        inner: rdr,
        kept: Vec::new(),
        tail: Vec::new(),
        bytes: &read,
    };
    let mut reader = stages.reader(&mut tee, format);
    // Whether the shard starts the input is not known: a lookback that gets to its first
    // byte says so (`cut`), and the merge with the shard before scans its lead again.
    let before = Before {
        bytes: &[],
        start: Start::Boundary,
    };
    let mut core = Core::new(stages, stages.assembler(), 0, before);
    let mut lead_events: Vec<Event> = Vec::new();
    let mut rest = Tally::default();
    // An event found before a quiet place of the lead was found with less than a buffer
    // read past the lead: later ones are tallied at once, not held.
    let buffer = (stages.capacity + stages.max_entry_bytes + 4 * HISTORY_BYTES) as u64 + 64;
    let mut emit = |ev: Event| {
        if lead_events.len() < LEAD_EVENTS && read.get() <= LEAD_BYTES + buffer {
            lead_events.push(ev);
        } else {
            rest.add(ev);
        }
        Ok(true)
    };
    let mut quieting = Quieting::Record {
        until: LEAD_BYTES,
        max_events: LEAD_EVENTS,
        all: true,
        blocks: false,
        points: Vec::new(),
    };
    core.scan(&mut reader, &mut quieting, &mut emit)?;
    let format = reader.format();
    drop(reader);
    let mut points = match quieting {
        Quieting::Record { points, .. } => points,
        _ => Vec::new(),
    };
    // A place is one to go on from only when no lookback after it looked before it.
    keep_unlooked(&mut points, &core.lookbacks);
    let bytes = read.get();
    let whole = bytes <= LEAD_BYTES;
    let head = tee
        .kept
        .get(..HEAD_BYTES.min(tee.kept.len()))
        .unwrap_or(&[])
        .to_vec();
    let mut tail = tee.tail;
    tail.drain(..tail.len().saturating_sub(HISTORY_BYTES));
    let tail = Lead {
        whole: tail.len() as u64 == bytes,
        bytes: tail,
    };
    let mut lead = tee.kept;
    if !whole {
        let end = points.last().map_or(0, |p| p.offset);
        lead.truncate(usize::try_from(end).unwrap_or(usize::MAX));
    }
    // The events from each place to the next; the last tally runs to the end.
    let mut events = lead_events.into_iter();
    let mut tallies: Vec<Tally> = Vec::with_capacity(points.len());
    let mut taken = 0;
    for point in points.iter().skip(1) {
        let mut tally = Tally::default();
        for event in events.by_ref().take(point.events.saturating_sub(taken)) {
            tally.add(event);
        }
        taken = taken.max(point.events);
        tallies.push(tally);
    }
    let mut last = Tally::default();
    for event in events {
        last.add(event);
    }
    last.merge(rest);
    tallies.push(last);
    let mut partial = Partial {
        partial_version: PARTIAL_VERSION,
        settings: settings(stages),
        format,
        first: None,
        last: None,
        bytes,
        totals: core.totals,
        lead: Lead { bytes: lead, whole },
        points,
        tallies,
        head: None,
        tail,
        cut: core.cut,
        held: core.assembler.take_held(),
    };
    partial.keep_head(&head);
    Ok(partial)
}

/// The settings a partial records.
pub(crate) fn settings(stages: &Stages) -> Settings {
    Settings {
        slow_ms: stages.prefilter.slow_ms(),
        max_entry_bytes: stages.max_entry_bytes as u64,
        validate: stages.validate,
        rules: stages.classifier.rules_digest(),
    }
}

/// Keeps the places that no lookback after them looked before (`lookbacks`: where each
/// started, how many bytes back it looked; `u64::MAX` for one cut at the first byte), and
/// the first, at 0, where a shard's tallies start (a merge never goes on from it: see
/// `Quieting::Rescan`).
fn keep_unlooked(points: &mut Vec<Quiet>, lookbacks: &[(u64, u64)]) {
    // Only those that looked before the last place count (a shard's places lie in its
    // first MiBs; a long one made lookbacks all through).
    let last = points.last().map_or(0, |p| p.offset);
    let near: Vec<(u64, u64)> = lookbacks
        .iter()
        .copied()
        .filter(|&(at, reach)| at.checked_sub(reach).is_none_or(|from| from < last))
        .collect();
    points.retain(|q| {
        q.offset == 0
            || near.iter().all(|&(at, reach)| {
                at < q.offset || at.checked_sub(reach).is_some_and(|from| from >= q.offset)
            })
    });
}

/// `next`'s lead scanned again with `held`, the state of the shards before, after `tail`,
/// their last bytes, its lines numbered after `first_line`: up to the first of `next`'s
/// quiet places where this scan holds nothing too, or to the lead's end.
pub(crate) fn rescan(
    stages: &Stages,
    held: Held,
    tail: &Lead,
    next: &Partial,
    first_line: u64,
) -> Rescanned {
    let mut assembler = stages.assembler();
    assembler.restore(held);
    let bytes = next.lead.bytes.clone();
    let len = bytes.len();
    let mut reader = ReaderBuilder::new()
        .max_entry_bytes(stages.max_entry_bytes)
        .format(next.format)
        .build_filled(bytes, len);
    // A whole tail starts at an entry boundary, perhaps not the input's start; a longer
    // one was cut where no lookback reaches.
    let before = Before {
        bytes: &tail.bytes,
        start: if tail.whole {
            Start::Boundary
        } else {
            Start::Mid
        },
    };
    let mut core = Core::new(stages, assembler, first_line, before);
    let mut events = Vec::new();
    let mut emit = |ev: Event| {
        events.push(ev);
        Ok(true)
    };
    let mut quieting = Quieting::Rescan {
        points: &next.points,
        own: Vec::new(),
        met: None,
    };
    // Bytes in memory cannot fail to read, and `emit` does not fail.
    let _ = core.scan(&mut reader, &mut quieting, &mut emit);
    let (mut own, mut met) = match quieting {
        Quieting::Rescan { own, met, .. } => (own, met),
        _ => (Vec::new(), None),
    };
    // A quiet stretch may run to the lead's end in one step, past its last place.
    let end = reader.bytes_read();
    if met.is_none() && !core.assembler.has_open() {
        let at = next.points.iter().position(|p| p.offset == end);
        if let Some(i) = at.filter(|&i| next.points[i].splices(&core.totals)) {
            met = Some(i);
            own.retain(|p| p.offset < end);
        }
    }
    keep_unlooked(&mut own, &core.lookbacks);
    let reach_before = core
        .lookbacks
        .iter()
        .map(|&(at, reach)| reach.saturating_sub(at))
        .max()
        .unwrap_or(0);
    core.totals.lines = 0;
    Rescanned {
        events,
        own,
        met,
        totals: core.totals,
        held: core.assembler.take_held(),
        cut: core.cut,
        reach_before,
    }
}

/// The report of a (merged) partial: its tallies in order, then the events it still held,
/// linked to known issues from each group's first event.
pub(crate) fn finish(stages: &Stages, partial: Partial) -> Report {
    let mut tally = Tally::default();
    for t in partial.tallies {
        tally.merge(t);
    }
    let mut assembler = stages.assembler();
    assembler.restore(partial.held);
    for ev in stages.finish_held(&mut assembler) {
        tally.add(ev);
    }
    let Tally { mut report, firsts } = tally;
    report.totals = Totals {
        events: report.totals.events,
        ..partial.totals
    };
    report.relink(&firsts, |ev| stages.link(ev), suggest_title);
    report
}

/// The input, with its first [`LEAD_BYTES`] and its last [`HISTORY_BYTES`] kept and the
/// bytes read counted.
struct Tee<'a, R> {
    inner: R,
    kept: Vec<u8>,
    tail: Vec<u8>,
    bytes: &'a Cell<u64>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = buf.get(..n).unwrap_or(&[]);
        let room = usize::try_from(LEAD_BYTES.saturating_sub(self.bytes.get())).unwrap_or(0);
        self.kept
            .extend_from_slice(got.get(..room.min(n)).unwrap_or(&[]));
        self.bytes.set(self.bytes.get() + n as u64);
        // Moved down only once it holds twice what it keeps.
        self.tail.extend_from_slice(got);
        if self.tail.len() > 2 * HISTORY_BYTES {
            let cut = self.tail.len() - HISTORY_BYTES;
            self.tail.drain(..cut);
        }
        Ok(n)
    }
}
