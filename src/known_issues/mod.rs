//! Known issues: which tracker issue already tracks a group.
//!
//! Two formats are read, told apart by their shape:
//!
//! - a hand-written file, an object with an `issues` array (see [`hand_written`]):
//!
//!   ```json
//!   {"issues": [
//!     {"id": "903", "title": "Backend startup: UnifiedExecutionEngineFactory undefined",
//!      "url": "https://github.com/netra-systems/netra-apex/issues/903",
//!      "category": "undefined_symbol", "pattern": "UnifiedExecutionEngineFactory",
//!      "service": "netra-backend-staging"}
//!   ]}
//!   ```
//!
//!   `id` (a string or a number), `title` and `category` are required and non-empty; `url`,
//!   `pattern` and `service` are optional. `category` must be a built-in category or one a
//!   rules file added. `pattern` is a regex searched in the event's `Type: message` line (the
//!   message alone when there is no exception type) and in its subject; `service` must equal
//!   the event's service. Any other field is an error. One id may appear in several entries,
//!   to link one tracker issue to several kinds of event (a crash and the "startup failed"
//!   line it causes).
//! - a tracker's export, the array `gh issue list --json number,title,url,state,labels,body`
//!   prints (see [`gh`]): its issues name no category and no pattern, and are linked by the
//!   text they share with an event (see [`text_match`] and [`terms`]).
//!
//! Several files may be given ([`KnownIssues::extend`]). A hand-written entry that matches
//! wins over a text match.

mod gh;
mod hand_written;
mod terms;
mod text_match;

use crate::category::{Categories, Category};
use crate::error::{Error, Result};
use crate::event::{Event, IssueMatch, IssueRef, MatchBy};
use crate::fingerprint::Fingerprint;
use crate::json_file;
use gh::TrackerIssue;
use hand_written::Written;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use text_match::TextIndex;

/// Past this many groups the cache of text matches starts over: memory stays bounded.
const TEXT_LINKS_KEPT: usize = 4096;

/// The known issues of one or more known-issues files, in file order.
#[derive(Clone, Debug, Default)]
pub struct KnownIssues {
    written: Vec<Written>,
    tracker: Vec<TrackerIssue>,
    /// The tracker issues' titles and bodies, indexed when a first event needs it.
    index: Arc<OnceLock<TextIndex>>,
    /// The text match of each fingerprint seen: terms are the same for every event of a
    /// group, so the issues are scored once per group, not once per event.
    text_links: Arc<Mutex<HashMap<Fingerprint, Option<IssueRef>>>>,
}

impl KnownIssues {
    /// Loads and validates a known-issues file, hand-written or a tracker's export;
    /// categories are checked against `categories` (a classifier's,
    /// [`crate::Classifier::categories`]).
    pub fn load(path: &Path, categories: &Categories) -> Result<Self> {
        let json = std::fs::read_to_string(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json, &path.display().to_string(), categories)
    }

    /// Parses and validates known-issues JSON, hand-written or a tracker's export; `origin`
    /// names it in errors.
    ///
    /// ```
    /// use logtriage::{Classifier, KnownIssues};
    /// let classifier = Classifier::builtin();
    /// let categories = classifier.categories();
    /// let json = r#"{"issues": [{"id": 923, "title": "Redis refused", "category": "connection_refused", "pattern": "6379"}]}"#;
    /// let known = KnownIssues::from_json(json, "issues.json", categories)?;
    /// assert_eq!(known.len(), 1);
    /// let gh = r#"[{"body":"","labels":[],"number":914,"state":"OPEN","title":"E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup","url":"https://github.com/netra-systems/netra-apex/issues/914"}]"#;
    /// assert_eq!(KnownIssues::from_json(gh, "gh.json", categories)?.len(), 1);
    /// let wrong = KnownIssues::from_json(r#"[{"id": "903"}]"#, "wrong.json", categories).unwrap_err();
    /// assert!(wrong.to_string().contains(r#"expected an object with an "issues" array"#));
    /// # Ok::<(), logtriage::Error>(())
    /// ```
    pub fn from_json(json: &str, origin: &str, categories: &Categories) -> Result<Self> {
        let value = json_file::parse(json, origin)?;
        let file_error = |reason: String| json_file::file_error(json, origin, reason);
        let mut known = KnownIssues::default();
        match value {
            Value::Array(entries) if gh::is_export(&entries) => {
                known.tracker = gh::parse(entries, origin)?;
            }
            Value::Array(_) => {
                return Err(file_error(format!(
                    "expected an object with an \"issues\" array, found an array whose first \
                     entry has no \"number\" (put hand-written entries under \"issues\"; {GH} \
                     gives each issue a \"number\")"
                )))
            }
            Value::Object(_) => {
                let entries = json_file::top_array(value, "issues").map_err(file_error)?;
                known.written = hand_written::parse(entries, origin, categories)?;
            }
            other => {
                return Err(file_error(format!(
                    "expected an object with an \"issues\" array, or the array that {GH} \
                     prints, found {}",
                    json_file::describe(&other)
                )))
            }
        }
        known.reindex();
        Ok(known)
    }

    /// Adds the issues of another file after this one's. A tracker issue already held (the
    /// same id and address) is kept once: the same export given twice links as once.
    pub fn extend(&mut self, other: KnownIssues) {
        self.written.extend(other.written);
        for issue in other.tracker {
            let held = self
                .tracker
                .iter()
                .any(|t| t.issue.id == issue.issue.id && t.issue.url == issue.issue.url);
            if !held {
                self.tracker.push(issue);
            }
        }
        self.reindex();
    }

    /// Drops the text index (the rarity of a term depends on every tracker issue), to be
    /// built again when an event needs it, and forgets the text matches made with it.
    fn reindex(&mut self) {
        self.index = Arc::default();
        self.text_links = Arc::default();
    }

    /// The text index of the tracker issues, built on first use: a run whose events all
    /// match hand-written entries never builds it.
    fn index(&self) -> &TextIndex {
        self.index.get_or_init(|| {
            let docs = self
                .tracker
                .iter()
                .map(|t| (t.issue.title.as_str(), t.body.as_str()));
            TextIndex::new(docs)
        })
    }

    /// The first hand-written entry whose category is not among `categories`: its file,
    /// index and category.
    pub(crate) fn unknown_category(
        &self,
        categories: &Categories,
    ) -> Option<(&str, usize, &Category)> {
        self.written
            .iter()
            .find(|i| !categories.contains(i.category.as_str()))
            .map(|i| (i.origin.0.as_str(), i.origin.1, &i.category))
    }

    /// How many issues the files hold: hand-written entries and tracker issues.
    pub fn len(&self) -> usize {
        self.written.len() + self.tracker.len()
    }

    /// Whether the files hold no issue.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The issue that tracks a classified event, with how it matched.
    ///
    /// Hand-written entries first, by these precedence rules: the category must be equal and
    /// every matcher given must match; the entry with more matchers wins; on a tie, the first
    /// in the file. When none matches, the tracker issue that the event's terms clearly
    /// point to (see the module docs), scored once per fingerprint.
    pub fn find(&self, event: &Event) -> Option<IssueRef> {
        self.find_written(event).or_else(|| self.find_text(event))
    }

    fn find_written(&self, event: &Event) -> Option<IssueRef> {
        let mut best: Option<(&Written, Vec<String>)> = None;
        for issue in &self.written {
            let Some(terms) = issue.matches(event) else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(b, _)| issue.matchers() > b.matchers())
            {
                best = Some((issue, terms));
            }
        }
        best.map(|(issue, terms)| issue.link(terms))
    }

    fn find_text(&self, event: &Event) -> Option<IssueRef> {
        if self.tracker.is_empty() {
            return None;
        }
        let fingerprint = event.classification.fingerprint;
        if let Some(link) = self
            .text_links
            .lock()
            .ok()
            .and_then(|links| links.get(&fingerprint).cloned())
        {
            return link;
        }
        let link = self.score_text(event);
        if let Ok(mut links) = self.text_links.lock() {
            if links.len() >= TEXT_LINKS_KEPT {
                links.clear();
            }
            links.insert(fingerprint, link.clone());
        }
        link
    }

    /// The text match of an event, without the cache.
    fn score_text(&self, event: &Event) -> Option<IssueRef> {
        let hit = self.index().best(&terms::terms_of(event))?;
        let issue = self.tracker.get(hit.doc)?;
        Some(IssueRef {
            matched: Some(IssueMatch {
                by: MatchBy::Text,
                score: Some(hit.score),
                terms: hit.terms,
            }),
            ..issue.issue.clone()
        })
    }
}

/// The command whose output is the export format, as errors name it.
const GH: &str = "`gh issue list --json number,title,url,state,labels,body`";

#[cfg(test)]
mod tests;
