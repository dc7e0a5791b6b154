//! The classification memo: a failure repeats (one traceback on every request, every
//! instance), and classifying runs a `RegexSet`, subject and normalization regexes and the
//! known-issue patterns. The outcome depends only on the kind, text, statement and service of
//! the event, which make the key.

use crate::event::{Classification, Event};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Classifications of events seen, by content.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    seen: HashMap<u64, Classification>,
}

/// Past this many distinct events the memo starts over: memory stays bounded.
const MEMO_CAPACITY: usize = 4096;

impl Memo {
    /// The key of an event's content.
    pub(crate) fn key(ev: &Event) -> u64 {
        // As `Entry::stream_key`: the unseeded `rustc-hash`, a fraction of SipHash's cost
        // over an event's text (1% of a run with 20% failures).
        let mut h = rustc_hash::FxHasher::default();
        (ev.kind, &ev.text, &ev.service).hash(&mut h);
        ev.slow_query.as_ref().map(|q| &q.statement).hash(&mut h);
        ev.statement.hash(&mut h);
        h.finish()
    }

    /// Fills `ev` from an earlier event of the same content; `false` when there was none.
    pub(crate) fn recall(&self, key: u64, ev: &mut Event) -> bool {
        let Some(c) = self.seen.get(&key) else {
            return false;
        };
        ev.classification.clone_from(c);
        true
    }

    pub(crate) fn remember(&mut self, key: u64, ev: &Event) {
        if self.seen.len() >= MEMO_CAPACITY {
            self.seen.clear();
        }
        self.seen.insert(key, ev.classification.clone());
    }
}
