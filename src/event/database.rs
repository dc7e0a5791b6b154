//! Database server entries that belong together, put back into one event: a PostgreSQL
//! `ERROR` and the `DETAIL`, `HINT`, `CONTEXT` and `STATEMENT` lines of the same backend
//! after it; a statement logged on its own (`log_statement`) and the bare `duration: N ms`
//! that `log_duration` logs for it later; a `csvlog` record whose quoted field spans lines;
//! a MySQL slow-log block whose statement comes in the entries after its `# Query_time`.
//!
//! The assembler offers every parsed entry here first ([`Database::push`]); what is not a
//! database entry, or not one of these, goes the usual way. State is bounded as the split
//! tracebacks' is: each kind holds at most [`MAX_HELD`] items, an event waits at most
//! [`MAX_WAIT`] entries for its next line and a statement is kept [`MAX_WAIT`] entries for
//! its duration ("within the next few lines or entries": a statement further back names no
//! slow query, which then has no subject). While anything is held, the assembler says it
//! holds state, so the parallel path carries it from one block into the next.
//!
//! # Either order
//!
//! Each of these events is the same whether its stream's entries come oldest first or
//! newest first (`gcloud logging read`'s default). Nothing is decided for a stream as a
//! whole (as for split tracebacks, see `assemble`): each item goes by the evidence of its
//! own lines, their timestamps (read as instants), PostgreSQL's session line numbers
//! (`%l`, Cloud SQL's `[N-1]`) when the prefix gives them, and the shape of what comes
//! first (a `STATEMENT` line follows its error, a MySQL block's `# User@Host:` header
//! precedes its `# Query_time:`). A line earlier in time than the error held for its
//! backend continues none. How the lines read first come back is `db_reverse`'s: a
//! continuation line parsed with no error of its backend waiting is held as a tail for
//! the error read after it; an item started at the entry just pushed walks back over the
//! entries before it (which the prefilter let by unparsed) for its later lines. Ties: a
//! continuation line tied in time with an error of its backend read after it is that
//! error's (it cannot be earlier: PostgreSQL writes it after), unless the line numbers
//! say otherwise. A statement and its duration were already matched by time either way.
//!
//! The bounds read in reverse:
//!
//! - [`MAX_WAIT`]: a tail waits this many entries for its error, as an error waits for
//!   its next line reading forwards; alone, it then goes out as what reading forwards made
//!   of it (an entry of its own, an error-level line's event, or nothing). A walk back
//!   takes a line at most this many entries before the last one it took (or the item),
//!   the gap an item waits for its next line reading forwards; it also stops at the
//!   lookback's own bounds (`MAX_LOOKBACK` entries, `LOOKBACK_BYTES`) and at the first
//!   entry of the stream earlier in time, or that fits no continuation (a `#` header
//!   before a MySQL block, another message of the error's backend).
//! - [`MAX_HELD`]: tails count with the errors of their list; the oldest goes first (a
//!   tail as what reading forwards made of it).
//! - `MAX_RECORD_LINES`: a `csvlog` record walked back for its lines keeps to it too.
//! - [`MAX_LINES`](super::split::MAX_LINES): the insertIds an error keeps, tails joined
//!   included.
//!
//! Plain text is read as written (see `assemble`): only an export's entries are walked
//! back over; a tail needs a timestamp too.

use super::db_held::{find, hold, Held, Kind, Role, Took, Walk, MAX_HELD, MAX_WAIT};
use super::model::{Event, EventKind};
use super::postgres::{self, logged_statement, Level, PgLine};
use super::slow::{mysql_query_time, postgres_duration};
use crate::entry::{Entry, Severity};
use crate::time;

/// A `csvlog` record longer than this many lines is not put back together.
const MAX_RECORD_LINES: usize = 256;

/// A statement logged on its own, waiting for its duration.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Remembered {
    stream: u64,
    pid: Option<String>,
    statement: String,
    time: Option<String>,
    tick: u64,
}

/// Where a PostgreSQL line's event starts: at an entry, or at a `csvlog` record put
/// together from several.
pub(super) enum Origin<'e, 'a> {
    Entry(&'e Entry<'a>),
    Record(Box<Event>),
}

impl Origin<'_, '_> {
    fn event(self, kind: EventKind) -> Event {
        match self {
            Origin::Entry(entry) => Event::at(kind, entry),
            Origin::Record(event) => {
                let mut event = *event;
                event.kind = kind;
                event
            }
        }
    }

    fn time(&self) -> Option<String> {
        match self {
            Origin::Entry(entry) => entry.timestamp.as_deref().map(str::to_string),
            Origin::Record(event) => event.timestamp.clone(),
        }
    }
}

/// The database entries held while they wait for the lines that complete them. Serde both
/// ways: a partial report saves it with the rest of what its assembler held.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Database {
    pub(super) slow_ms: f64,
    /// The walk back the last push asks for (see `db_reverse`): walked before the next
    /// entry, so never saved.
    #[serde(skip)]
    pub(super) walk: Option<Walk>,
    /// PostgreSQL errors waiting for their `DETAIL`/`HINT`/`CONTEXT`/`STATEMENT` lines.
    pub(super) errors: Vec<Held>,
    /// Slow bare durations waiting for their statement in a newest-first export.
    durations: Vec<Held>,
    /// MySQL slow-log blocks waiting for their statement.
    pub(super) mysql: Vec<Held>,
    /// `csvlog` records whose quoted field goes on on the next lines.
    pub(super) records: Vec<Held>,
    statements: Vec<Remembered>,
}

impl Database {
    pub(crate) fn new(slow_ms: f64) -> Self {
        Database {
            slow_ms,
            ..Database::default()
        }
    }

    /// Whether anything is held: the state a block's scan must start with.
    #[inline]
    pub(crate) fn holds(&self) -> bool {
        // Asked for every entry the scan skips: tests of the lengths together, not five.
        self.wants_entries() || !self.statements.is_empty()
    }

    /// Whether entries that no prefilter literal marks may continue something held, and so
    /// must be parsed (a `STATEMENT:` line, a statement line of a MySQL block).
    #[inline]
    pub(crate) fn wants_entries(&self) -> bool {
        (self.errors.len() | self.durations.len() | self.mysql.len() | self.records.len()) != 0
    }

    /// Takes `entry` when it is a database entry this module puts together with others;
    /// `false` leaves it to the usual assembly. Completed events go to `out`.
    ///
    /// `walkable`: `entry` is the one just pushed, with a timestamp, so that an item held at
    /// it may ask for a walk back over the entries before it (see `db_reverse`).
    pub(crate) fn push(
        &mut self,
        entry: &Entry<'_>,
        tick: u64,
        walkable: bool,
        out: &mut dyn FnMut(Event),
    ) -> Took {
        if !self.wants_entries() && !self.maybe_database(entry) {
            return Took::No;
        }
        let stream = entry.stream_key();
        let text = entry.message().unwrap_or("");
        if let Some(done) = self.continue_record(stream, entry, text, tick) {
            if let Some(event) = done {
                let text = event.text.clone();
                if let Ok(Some(line)) = postgres::parse_csv(&text) {
                    let origin = Origin::Record(Box::new(event));
                    self.on_pg(&line, origin, stream, tick, false, out);
                }
            }
            return Took::Yes;
        }
        if self.continue_mysql(stream, entry, text, tick, out) {
            return Took::Yes;
        }
        if let Some(first) = text.lines().next().filter(|l| postgres::starts_csvlog(l)) {
            if !postgres::csv_complete(text) && first.len() == text.len() {
                let mut event = Event::at(EventKind::Severity, entry);
                event.text = text.to_string();
                hold(
                    &mut self.records,
                    (stream, None, Role::Partial),
                    event,
                    tick,
                    out,
                );
                if walkable {
                    self.ask_walk(Kind::Record, stream, None, entry);
                }
                return Took::Yes;
            }
        }
        if let Some(line) = postgres::parse(text) {
            return self.on_pg(&line, Origin::Entry(entry), stream, tick, walkable, out);
        }
        if text.starts_with('\t') {
            return self
                .continue_error_line(stream, None, entry, text, tick)
                .into();
        }
        self.start_mysql(stream, entry, text, tick, walkable, out)
            .into()
    }

    /// A cheap look: whether `entry` may be a database entry at all.
    fn maybe_database(&self, entry: &Entry<'_>) -> bool {
        let text = entry.message().unwrap_or("");
        let b = text.as_bytes();
        finder!(":  ").find(b).is_some()
            || finder!("# Query_time: ").find(b).is_some()
            || text.starts_with('\t')
            || postgres::starts_csvlog(text)
    }

    /// Adds `text` to the `csvlog` record open in `stream`; the record when it is complete.
    /// `None` when no record is open there.
    pub(super) fn continue_record(
        &mut self,
        stream: u64,
        entry: &Entry<'_>,
        text: &str,
        tick: u64,
    ) -> Option<Option<Event>> {
        let i = self.records.iter().position(|r| r.stream == stream)?;
        let record = self.records.get_mut(i)?;
        record.event.text.push('\n');
        record.event.text.push_str(text);
        record
            .event
            .insert_ids
            .extend(entry.insert_id.iter().map(|s| s.to_string()));
        record.tick = tick;
        let lines = record.event.text.lines().count();
        if postgres::csv_complete(&record.event.text) {
            return Some(Some(self.records.remove(i).event));
        }
        if lines > MAX_RECORD_LINES {
            self.records.remove(i);
        }
        Some(None)
    }

    /// A PostgreSQL line: whether it was taken.
    pub(super) fn on_pg(
        &mut self,
        line: &PgLine<'_>,
        origin: Origin<'_, '_>,
        stream: u64,
        tick: u64,
        walkable: bool,
        out: &mut dyn FnMut(Event),
    ) -> Took {
        let pid = line.pid.map(str::to_string);
        let csv = line.csv;
        match line.level {
            Level::Error => {
                if let Some(i) = find(&self.errors, stream, &pid) {
                    out(self.errors.remove(i).event);
                }
                let origin_entry = match &origin {
                    Origin::Entry(entry) => Some(*entry),
                    Origin::Record(_) => None,
                };
                let raw = origin_entry
                    .map(|e| e.message().unwrap_or("").trim_end().to_string())
                    .unwrap_or_default();
                let mut event = origin.event(EventKind::Severity);
                event.severity = event.severity.max(Severity::Error);
                event.text = if raw.is_empty() || csv {
                    format!("{}:  {}{}", line.level_name, line.message, line.details)
                } else {
                    raw
                };
                event.statement = line.query.as_ref().map(|q| q.trim().to_string());
                if csv {
                    out(event);
                } else {
                    let joined = self.join_tails(&mut event, stream, &pid, line.number);
                    hold(
                        &mut self.errors,
                        (stream, pid.clone(), Role::Event),
                        event,
                        tick,
                        out,
                    );
                    if walkable && !joined {
                        if let Some(entry) = origin_entry {
                            self.ask_walk(Kind::Error, stream, pid, entry);
                        }
                    }
                }
                Took::Yes
            }
            Level::Statement | Level::Detail => match origin {
                Origin::Entry(entry) => {
                    let text = entry.message().unwrap_or("");
                    if self.continue_error_line(stream, Some(&pid), entry, text, tick) {
                        if line.level == Level::Statement {
                            if let Some(i) = find(&self.errors, stream, &pid) {
                                if let Some(held) = self.errors.get_mut(i) {
                                    held.event.statement = Some(line.message.trim().to_string());
                                }
                            }
                        }
                        Took::Yes
                    } else if walkable {
                        // No error waits for it: read newest first, its error comes next.
                        Took::Tail
                    } else {
                        Took::No
                    }
                }
                Origin::Record(_) => Took::No,
            },
            Level::Log => self.on_log(line, origin, stream, pid, tick, out).into(),
            Level::Other => Took::No,
        }
    }

    /// A `LOG` line: a statement logged alone, or a duration.
    fn on_log(
        &mut self,
        line: &PgLine<'_>,
        origin: Origin<'_, '_>,
        stream: u64,
        pid: Option<String>,
        tick: u64,
        out: &mut dyn FnMut(Event),
    ) -> bool {
        let time = origin.time();
        if let Some(statement) = logged_statement(&line.message) {
            // A newest-first export: the duration came first, and its statement is earlier
            // in time.
            let waiting = find(&self.durations, stream, &pid).filter(|&i| {
                let at = self
                    .durations
                    .get(i)
                    .and_then(|d| d.event.timestamp.as_deref());
                matches!((time.as_deref(), at), (Some(t), Some(d)) if t <= d)
            });
            if let Some(i) = waiting {
                let mut event = self.durations.remove(i).event;
                if let Some(q) = event.slow_query.as_mut() {
                    q.statement = statement.to_string();
                }
                out(event);
                return true;
            }
            if let Some(i) = find_remembered(&self.statements, stream, &pid) {
                self.statements.remove(i);
            }
            if self.statements.len() >= MAX_HELD {
                self.statements.remove(0);
            }
            self.statements.push(Remembered {
                stream,
                pid,
                statement: statement.to_string(),
                time,
                tick,
            });
            return true;
        }
        let Some(mut slow) = Some(&*line.message)
            .filter(|m| m.starts_with("duration: "))
            .and_then(postgres_duration)
        else {
            return false;
        };
        if let Some(i) = find_remembered(&self.statements, stream, &pid) {
            // The statement a duration closes came before it in time; in a newest-first
            // export the one before in the input is the next query's.
            let remembered = self.statements.remove(i);
            let before = match (remembered.time.as_deref(), time.as_deref()) {
                (Some(s), Some(d)) => s <= d,
                _ => true,
            };
            if slow.statement.is_empty() && before {
                slow.statement = remembered.statement;
            }
        }
        if slow.duration_ms < self.slow_ms {
            return true;
        }
        let text = match &origin {
            Origin::Entry(entry) => entry.message().unwrap_or("").trim_end().to_string(),
            Origin::Record(_) => format!("{}:  {}", line.level_name, line.message),
        };
        let mut event = origin.event(EventKind::SlowQuery);
        event.text = text;
        let waits = slow.statement.is_empty() && event.timestamp.is_some();
        event.slow_query = Some(slow);
        if waits {
            hold(
                &mut self.durations,
                (stream, pid, Role::Event),
                event,
                tick,
                out,
            );
        } else {
            out(event);
        }
        true
    }

    /// Adds a `DETAIL`/`STATEMENT`/... line, or a TAB continuation line, to the error held
    /// in `stream` for `pid` (for a continuation line: the one last continued there).
    pub(super) fn continue_error_line(
        &mut self,
        stream: u64,
        pid: Option<&Option<String>>,
        entry: &Entry<'_>,
        text: &str,
        tick: u64,
    ) -> bool {
        let held = match pid {
            Some(pid) => find(&self.errors, stream, pid),
            None => self
                .errors
                .iter()
                .enumerate()
                .filter(|(_, h)| h.stream == stream)
                .max_by_key(|(_, h)| h.tick)
                .map(|(i, _)| i),
        };
        let Some(held) = held.and_then(|i| self.errors.get_mut(i)) else {
            return false;
        };
        // A line earlier than the error is none of its: the stream is read newest first.
        let at = |ts: Option<&str>| ts.and_then(time::parse);
        if let (Some(line), Some(error)) = (
            at(entry.timestamp.as_deref()),
            at(held.event.timestamp.as_deref()),
        ) {
            if line < error {
                return false;
            }
        }
        held.event.text.push('\n');
        held.event.text.push_str(text.trim_end());
        if held.event.insert_ids.len() < super::split::MAX_LINES {
            held.event
                .insert_ids
                .extend(entry.insert_id.iter().map(|s| s.to_string()));
        }
        held.event.severity = held.event.severity.max(entry.level());
        held.tick = tick;
        true
    }

    /// A MySQL `# Query_time` entry without its statement, at or over the threshold: held
    /// for the entries that bring the statement.
    fn start_mysql(
        &mut self,
        stream: u64,
        entry: &Entry<'_>,
        text: &str,
        tick: u64,
        walkable: bool,
        out: &mut dyn FnMut(Event),
    ) -> bool {
        let Some(slow) = mysql_query_time(text) else {
            return false;
        };
        if !slow.statement.is_empty() || slow.duration_ms < self.slow_ms {
            return false;
        }
        let mut event = Event::at(EventKind::SlowQuery, entry);
        event.text = text.trim_end().to_string();
        event.slow_query = Some(slow);
        hold(
            &mut self.mysql,
            (stream, None, Role::Event),
            event,
            tick,
            out,
        );
        if walkable {
            self.ask_walk(Kind::Mysql, stream, None, entry);
        }
        true
    }

    /// An entry of a stream whose MySQL block waits for its statement: `use`, `SET
    /// timestamp=` and comment lines are part of the block, other lines are the statement,
    /// which ends with `;`. A new block's `#` header ends the one before without a statement.
    pub(super) fn continue_mysql(
        &mut self,
        stream: u64,
        entry: &Entry<'_>,
        text: &str,
        tick: u64,
        out: &mut dyn FnMut(Event),
    ) -> bool {
        let Some(i) = self.mysql.iter().position(|h| h.stream == stream) else {
            return false;
        };
        let line = text.trim();
        if ["# Time:", "# User@Host:", "# Query_time:"]
            .iter()
            .any(|h| line.starts_with(h))
        {
            out(self.mysql.remove(i).event);
            return false;
        }
        let Some(held) = self.mysql.get_mut(i) else {
            return false;
        };
        held.event.text.push('\n');
        held.event.text.push_str(line);
        held.event
            .insert_ids
            .extend(entry.insert_id.iter().map(|s| s.to_string()));
        held.tick = tick;
        let setup = line.is_empty()
            || line.starts_with('#')
            || line.starts_with("SET timestamp=")
            || line.starts_with("use ");
        if setup {
            return true;
        }
        let Some(q) = held.event.slow_query.as_mut() else {
            return true;
        };
        if !q.statement.is_empty() {
            q.statement.push(' ');
        }
        q.statement.push_str(line);
        if line.ends_with(';') {
            out(self.mysql.remove(i).event);
        }
        true
    }

    /// Moves the events that waited too long to `ready`; forgets old statements and
    /// records.
    pub(crate) fn expire(&mut self, tick: u64, ready: &mut Vec<Event>) {
        let stale = |h: &Held| tick.saturating_sub(h.tick) > MAX_WAIT;
        for list in [&mut self.errors, &mut self.durations, &mut self.mysql] {
            let mut i = 0;
            while let Some(h) = list.get(i) {
                if stale(h) {
                    ready.extend(list.remove(i).into_event());
                } else {
                    i += 1;
                }
            }
        }
        self.records.retain(|h| !stale(h));
        self.statements
            .retain(|s| tick.saturating_sub(s.tick) <= MAX_WAIT);
    }

    /// The events still held at the end of the input, with the tick each last moved at.
    pub(crate) fn finish(&mut self, all: &mut Vec<(u64, Event)>) {
        for list in [&mut self.errors, &mut self.durations, &mut self.mysql] {
            all.extend(
                list.drain(..)
                    .filter_map(|h| Some((h.tick, h.into_event()?))),
            );
        }
        self.records.clear();
        self.statements.clear();
    }

    /// Adds `offset` to the line numbers of the events held.
    pub(crate) fn shift_lines(&mut self, offset: u64) {
        for list in [
            &mut self.errors,
            &mut self.durations,
            &mut self.mysql,
            &mut self.records,
        ] {
            for h in list.iter_mut() {
                h.event.line += offset;
                if let Role::Tail {
                    fallback: Some(f), ..
                } = &mut h.role
                {
                    f.line += offset;
                }
            }
        }
    }
}

fn find_remembered(list: &[Remembered], stream: u64, pid: &Option<String>) -> Option<usize> {
    list.iter()
        .position(|s| s.stream == stream && &s.pid == pid)
}
