//! Known issues (§5): which tracker issue already tracks a group, and a title for a new one.
//!
//! SKELETON: the real implementation (issue 4) replaces the bodies, keeping the API.

use crate::classify::Classifier;
use crate::event::Event;
use crate::Result;
use std::path::Path;

/// The part of a known issue that reports and events carry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IssueRef {
    /// The tracker's id, e.g. `903`.
    pub id: String,
    /// The issue's title.
    pub title: String,
    /// The issue's address, when given.
    pub url: Option<String>,
}

/// The known issues of a known-issues file, in file order.
#[derive(Clone, Debug, Default)]
pub struct KnownIssues {
    _private: (),
}

impl KnownIssues {
    /// Loads and validates a known-issues file; categories are checked against `classifier`.
    pub fn load(path: &Path, classifier: &Classifier) -> Result<Self> {
        let _ = (path, classifier);
        todo!("issue 4")
    }

    /// Parses and validates known-issues JSON; `origin` names it in errors.
    pub fn from_json(json: &str, origin: &str, classifier: &Classifier) -> Result<Self> {
        let _ = (json, origin, classifier);
        todo!("issue 4")
    }

    /// The issue that tracks a classified event, by the precedence rules of §5.
    pub fn find(&self, event: &Event) -> Option<&IssueRef> {
        let _ = event;
        todo!("issue 4")
    }
}

/// A short title for a new issue, e.g.
/// `NameError: UnifiedExecutionEngineFactory undefined in smd.py _initialize_factory_patterns`.
pub fn suggest_title(event: &Event) -> String {
    let _ = event;
    todo!("issue 4")
}
