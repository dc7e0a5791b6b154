//! Database entries read newest first: the lines that continue an item (a PostgreSQL
//! error's `DETAIL`/`STATEMENT` lines, a MySQL block's statement, the rest of a `csvlog`
//! record) come before it in the input. Two ways bring them back, both into the held
//! items of `database`:
//!
//! - A continuation line parsed while no error of its backend waits (a `STATEMENT` entry
//!   at an error level is a candidate) is held as a tail ([`Database::hold_tail`]); the
//!   error read after it, of the same stream and backend, no later in time and, when the
//!   prefix numbers its lines (`%l`, Cloud SQL's `[N-1]`), numbered before it, takes it.
//! - An item started at the entry just pushed asks for a walk back ([`Database::walk`]):
//!   the entries before it in the input, nearest first, are its later lines in time
//!   order, fed to the same continuation code as reading forwards, while they are of its
//!   stream, no earlier in time, and fit (a block line, a line of the error's backend).
//!   Reading forwards the entry before such an item is older or no continuation of it
//!   (the block's `# User@Host:` header, another statement), so the walk stops there.

use super::database::{Database, Origin};
use super::db_held::{find, hold, Held, Kind, Role, Walk, MAX_WAIT};
use super::lookback::Step;
use super::model::{Event, EventKind};
use super::postgres::{self, Level};
use crate::entry::Entry;
use crate::time;

impl Database {
    /// Asks for a walk back from `entry`, which started a held item of `kind`.
    pub(super) fn ask_walk(
        &mut self,
        kind: Kind,
        stream: u64,
        pid: Option<String>,
        entry: &Entry<'_>,
    ) {
        let Some(time) = entry.timestamp.as_deref().and_then(time::parse) else {
            return;
        };
        let number = postgres::parse(entry.message().unwrap_or("")).and_then(|l| l.number);
        self.walk = Some(Walk {
            kind,
            stream,
            pid,
            time,
            number,
            last: 0,
            taken: true,
        });
    }

    /// Joins to `event`, an error of `stream` and `pid` (session line `number`), the lines
    /// held before it that continue it: read newest first, they came first. `true` when
    /// some did.
    pub(super) fn join_tails(
        &mut self,
        event: &mut Event,
        stream: u64,
        pid: &Option<String>,
        number: Option<u64>,
    ) -> bool {
        let at = event.timestamp.as_deref().and_then(time::parse);
        let ours = |h: &Held| {
            let Role::Tail { number: n, .. } = h.role else {
                return false;
            };
            let later = h.event.timestamp.as_deref().and_then(time::parse);
            let in_time = matches!((at, later), (Some(a), Some(l)) if l >= a);
            let in_session = match (number, n) {
                (Some(e), Some(t)) => t > e,
                _ => true,
            };
            h.stream == stream && &h.pid == pid && in_time && in_session
        };
        let mut joined = false;
        // Held in input order, newest first: the last one held is the earliest in time.
        while let Some(i) = self.errors.iter().rposition(ours) {
            let tail = self.errors.remove(i);
            event.text.push('\n');
            event.text.push_str(&tail.event.text);
            if tail.event.statement.is_some() {
                event.statement = tail.event.statement;
            }
            if event.insert_ids.len() < super::split::MAX_LINES {
                event.insert_ids.extend(tail.event.insert_ids);
            }
            event.severity = event.severity.max(tail.event.severity);
            joined = true;
        }
        joined
    }

    /// Whether the last push asks for a walk back.
    pub(crate) fn wants_walk(&self) -> bool {
        self.walk.is_some()
    }

    /// Forgets the walk asked for (the entry it was asked at is behind).
    pub(crate) fn forget_walk(&mut self) {
        self.walk = None;
    }

    /// Holds `entry`, a line [`Database::push`] called a tail, for the error read after it;
    /// `fallback` is what the usual assembly made of it, which goes out if none takes it.
    pub(crate) fn hold_tail(
        &mut self,
        entry: &Entry<'_>,
        fallback: Option<Event>,
        tick: u64,
        out: &mut dyn FnMut(Event),
    ) {
        let text = entry.message().unwrap_or("");
        let Some(line) = postgres::parse(text) else {
            out_opt(fallback, out);
            return;
        };
        let mut event = Event::at(EventKind::Severity, entry);
        event.text = text.trim_end().to_string();
        event.severity = entry.level();
        if line.level == Level::Statement {
            event.statement = Some(line.message.trim().to_string());
        }
        let role = Role::Tail {
            fallback: fallback.map(Box::new),
            number: line.number,
        };
        let key = (entry.stream_key(), line.pid.map(str::to_string), role);
        hold(&mut self.errors, key, event, tick, out);
    }

    /// One entry met walking back, `back` entries before the one that asked; `tick` is
    /// the assembler's. Completed events go to `out`.
    pub(crate) fn walk_over(
        &mut self,
        entry: &Entry<'_>,
        back: u64,
        tick: u64,
        out: &mut dyn FnMut(Event),
    ) -> Step {
        let Some(walk) = self.walk.as_mut() else {
            return Step::Stop;
        };
        // As long as reading forwards an item waits for its next line.
        if back.saturating_sub(walk.last) > MAX_WAIT {
            return Step::Stop;
        }
        let stream = walk.stream;
        if entry.stream_key() != stream {
            return Step::Next;
        }
        let in_time = entry
            .timestamp
            .as_deref()
            .and_then(time::parse)
            .is_some_and(|t| t >= walk.time);
        let text = entry.message().unwrap_or("");
        if !in_time || text.trim_end_matches(['\n', '\r']).contains('\n') {
            return Step::Stop;
        }
        let (kind, pid, number, after_taken) =
            (walk.kind, walk.pid.clone(), walk.number, walk.taken);
        let took = match kind {
            Kind::Mysql => {
                let line = text.trim();
                if line.starts_with('#') {
                    return Step::Stop;
                }
                self.continue_mysql(stream, entry, text, tick, out);
                if !self.mysql.iter().any(|h| h.stream == stream) {
                    return Step::Stop;
                }
                true
            }
            Kind::Record => match self.continue_record(stream, entry, text, tick) {
                Some(Some(event)) => {
                    let text = event.text.clone();
                    if let Ok(Some(line)) = postgres::parse_csv(&text) {
                        let origin = Origin::Record(Box::new(event));
                        self.on_pg(&line, origin, stream, tick, false, out);
                    }
                    return Step::Stop;
                }
                Some(None) => true,
                None => return Step::Stop,
            },
            Kind::Error => match postgres::parse(text) {
                Some(line) if line.pid.map(str::to_string) == pid => {
                    let continues = matches!(line.level, Level::Statement | Level::Detail);
                    let in_session = match (number, line.number) {
                        (Some(e), Some(n)) => n > e,
                        _ => true,
                    };
                    if !continues || !in_session {
                        return Step::Stop;
                    }
                    if let Some(held) = self.held_error(stream, &pid) {
                        if line.level == Level::Statement {
                            held.event.statement = Some(line.message.trim().to_string());
                        }
                    }
                    self.continue_error_line(stream, Some(&pid), entry, text, tick)
                }
                Some(_) => false,
                None if text.starts_with('\t') && after_taken => {
                    self.continue_error_line(stream, Some(&pid), entry, text, tick)
                }
                None => false,
            },
        };
        if let Some(walk) = self.walk.as_mut() {
            walk.taken = took;
            if took {
                walk.last = back;
            }
        }
        Step::Next
    }

    fn held_error(&mut self, stream: u64, pid: &Option<String>) -> Option<&mut Held> {
        let i = find(&self.errors, stream, pid)?;
        self.errors.get_mut(i)
    }
}

fn out_opt(event: Option<Event>, out: &mut dyn FnMut(Event)) {
    if let Some(event) = event {
        out(event);
    }
}
