//! The configured stages of a run, shared by every worker: reading settings, the prefilter,
//! the classifier, the known issues and the classification memo.

use super::memo::Memo;
use crate::classify::Classifier;
use crate::event::{Assembler, Event, HISTORY_BYTES};
use crate::input::{Format, Reader, ReaderBuilder};
use crate::known_issues::KnownIssues;
use crate::prefilter::Prefilter;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// What every scan of a [`crate::Triage`] uses, sequential or on a worker.
#[derive(Clone, Debug)]
pub(crate) struct Stages {
    pub(crate) classifier: Classifier,
    pub(crate) known: KnownIssues,
    /// Holds the slow-query threshold, which event assembly reads from it.
    pub(crate) prefilter: Prefilter,
    /// Classification outcomes shared by all runs and workers of this triage.
    pub(crate) memo: Arc<Mutex<Memo>>,
    pub(crate) max_entry_bytes: usize,
    pub(crate) capacity: usize,
    pub(crate) validate: bool,
}

impl Stages {
    /// Classification, fingerprint and known issue of one assembled event.
    pub(crate) fn finish_event(&self, event: &mut Event) {
        self.classifier.classify(event);
        self.link(event);
    }

    /// The known issue of a classified event.
    pub(crate) fn link(&self, event: &mut Event) {
        event.classification.known_issue = self.known.find(event);
    }

    /// [`Stages::finish_event`] through the memo: an event whose content was seen before is
    /// not classified again. A poisoned memo (a panic elsewhere) is only skipped.
    pub(crate) fn finish_memoized(&self, ev: &mut Event) {
        let key = Memo::key(ev);
        if self.memo.lock().is_ok_and(|memo| memo.recall(key, ev)) {
            return;
        }
        self.finish_event(ev);
        if let Ok(mut memo) = self.memo.lock() {
            memo.remember(key, ev);
        }
    }

    /// The events `assembler` still holds at the end of the input, classified, in order.
    pub(crate) fn finish_held(&self, assembler: &mut Assembler) -> Vec<Event> {
        let mut held = Vec::new();
        assembler.finish(&mut |ev| held.push(ev));
        for ev in &mut held {
            self.finish_event(ev);
        }
        held
    }

    /// A reader of `rdr` with the run's settings; `format` for input that starts at an entry
    /// boundary mid-stream, `None` to detect it. It keeps the bytes a lookback may walk.
    pub(crate) fn reader<R: Read>(&self, rdr: R, format: Option<Format>) -> Reader<R> {
        ReaderBuilder::new()
            .capacity(self.capacity)
            .max_entry_bytes(self.max_entry_bytes)
            .format(format)
            .history(HISTORY_BYTES)
            .build(rdr)
    }

    /// A fresh assembler.
    pub(crate) fn assembler(&self) -> Assembler {
        Assembler::new(self.prefilter.slow_ms()).with_platform(self.classifier.platform().clone())
    }
}
