//! The items `database` holds while they wait for the lines that complete them, and how
//! many: what each is when nothing more comes, and the walk back an item read newest first
//! asks for (`db_reverse`).

use super::model::Event;
use crate::time::Instant;

/// How many entries an event waits for a line that continues it, and a statement for its
/// duration.
pub(crate) const MAX_WAIT: u64 = 32;
/// How many items of each kind are held at once; the oldest goes first.
pub(crate) const MAX_HELD: usize = 64;

/// An event waiting for lines of its stream (and backend).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Held {
    pub(super) stream: u64,
    pub(super) pid: Option<String>,
    pub(super) event: Event,
    /// The tick of the entry that last continued it.
    pub(super) tick: u64,
    pub(super) role: Role,
}

/// What a held item is.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) enum Role {
    /// An event that later lines may continue.
    Event,
    /// A `csvlog` record not yet complete: no event until it is.
    Partial,
    /// A `DETAIL`/`STATEMENT`/... line read before its error (newest first): it joins the
    /// error read after it; alone, it is what reading forwards made of it (`fallback`).
    Tail {
        fallback: Option<Box<Event>>,
        number: Option<u64>,
    },
}

/// Which held items a walk back fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Error,
    Mysql,
    Record,
}

/// A walk back asked for by the entry just pushed, which started a held item that may have
/// been read newest first: the entries before it in the input may be its later lines.
#[derive(Debug)]
pub(crate) struct Walk {
    pub(super) kind: Kind,
    pub(super) stream: u64,
    pub(super) pid: Option<String>,
    /// The item's time: a line earlier than it is none of its.
    pub(super) time: Instant,
    /// The item's session line number (PostgreSQL's `%l`), when its prefix gives one.
    pub(super) number: Option<u64>,
    /// Entries back of the last entry taken (0: the item's own).
    pub(super) last: u64,
    /// Whether the last entry of the stream walked over was taken (a TAB line goes on
    /// with it).
    pub(super) taken: bool,
}

/// Whether [`Database::push`] took an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Took {
    /// Not a database entry it puts together: the usual assembly's.
    No,
    Yes,
    /// A line that continues an error not read yet (newest first): the caller makes what
    /// it would make of the entry and holds it with [`Database::hold_tail`].
    Tail,
}

impl From<bool> for Took {
    fn from(taken: bool) -> Self {
        if taken {
            Took::Yes
        } else {
            Took::No
        }
    }
}

/// Holds `event` in `list`, making room first (the oldest goes out).
pub(super) fn hold(
    list: &mut Vec<Held>,
    (stream, pid, role): (u64, Option<String>, Role),
    event: Event,
    tick: u64,
    out: &mut dyn FnMut(Event),
) {
    if list.len() >= MAX_HELD {
        let oldest = list.remove(0);
        if let Some(event) = oldest.into_event() {
            out(event);
        }
    }
    list.push(Held {
        stream,
        pid,
        event,
        tick,
        role,
    });
}

impl Held {
    /// The event it is when nothing more comes: a record not yet complete is none, a line
    /// read before its error what reading forwards made of it.
    pub(super) fn into_event(self) -> Option<Event> {
        match self.role {
            Role::Event => Some(self.event),
            Role::Partial => None,
            Role::Tail { fallback, .. } => fallback.map(|e| *e),
        }
    }
}

/// The event held in `list` for `stream` and `pid` (not a line waiting for its error).
pub(super) fn find(list: &[Held], stream: u64, pid: &Option<String>) -> Option<usize> {
    list.iter()
        .position(|h| h.stream == stream && &h.pid == pid && !matches!(h.role, Role::Tail { .. }))
}
