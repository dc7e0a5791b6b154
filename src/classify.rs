//! Root-cause categories (§3): built-in rules compiled from `src/rules.json`, user rules
//! from a rules file, and the chain-aware decision with subject extraction.
//!
//! SKELETON: the real implementation (issue 4) replaces the bodies, keeping the API.

use crate::event::Event;
use crate::Result;
use std::path::Path;

/// The built-in category ids (§3), stable across releases.
pub const BUILTIN_CATEGORIES: &[&str] = &[
    "undefined_symbol",
    "missing_module",
    "connection_refused",
    "slow_query",
    "timeout",
    "out_of_memory",
    "unclassified",
];

/// Classifies events: one category id, the deciding exception, message and subject.
#[derive(Clone, Debug)]
pub struct Classifier {
    _private: (),
}

impl Default for Classifier {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Classifier {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        Classifier { _private: () }
    }

    /// Adds (or overrides) rules from a rules file (format in the README).
    pub fn add_rules_file(&mut self, path: &Path) -> Result<&mut Self> {
        let _ = path;
        todo!("issue 4")
    }

    /// Adds (or overrides) rules from rules JSON; `origin` names it in errors.
    pub fn add_rules_json(&mut self, json: &str, origin: &str) -> Result<&mut Self> {
        let _ = (json, origin);
        todo!("issue 4")
    }

    /// Whether `id` is a known category (built-in or from a rules file).
    pub fn has_category(&self, id: &str) -> bool {
        let _ = id;
        todo!("issue 4")
    }

    /// The rank of a category in a report: lower ranks are listed first (a startup crash
    /// before a slow query). Unknown ids rank last.
    pub fn rank(&self, id: &str) -> u32 {
        let _ = id;
        todo!("issue 4")
    }

    /// Fills `category`, `exception`, `message`, `subject` and `frames` (in-app frames of the
    /// deciding exception) of an assembled event.
    pub fn classify(&self, event: &mut Event) {
        let _ = event;
        todo!("issue 4")
    }
}
