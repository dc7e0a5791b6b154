//! Known issues: which tracker issue already tracks a group.
//!
//! A known-issues file:
//!
//! ```json
//! {"issues": [
//!   {"id": "903", "title": "Backend startup: UnifiedExecutionEngineFactory undefined",
//!    "url": "https://github.com/netra-systems/netra-apex/issues/903",
//!    "category": "undefined_symbol", "pattern": "UnifiedExecutionEngineFactory",
//!    "service": "netra-backend-staging"}
//! ]}
//! ```
//!
//! `id`, `title` and `category` are required and non-empty; `url`, `pattern` and `service`
//! are optional. `category` must be a built-in category or one a rules file added. `pattern`
//! is a regex searched in the event's `Type: message` line (the message alone when there is
//! no exception type) and in its subject; `service` must equal the event's service. Any
//! other field is an error. One id may appear in several entries, to link one tracker issue
//! to several kinds of event (a crash and the "startup failed" line it causes).

use crate::category::{Categories, Category};
use crate::error::{regex_error, Error, Item, Result};
use crate::event::{Event, IssueRef};
use regex::Regex;
use std::path::Path;

/// One validated issue with its matchers.
#[derive(Clone, Debug)]
struct Issue {
    issue: IssueRef,
    category: Category,
    pattern: Option<Regex>,
    service: Option<String>,
    /// Where it was read: the file and its index there.
    origin: (String, usize),
}

impl Issue {
    /// How many optional matchers the issue gives (its precedence).
    fn matchers(&self) -> usize {
        usize::from(self.pattern.is_some()) + usize::from(self.service.is_some())
    }

    fn matches(&self, event: &Event) -> bool {
        let c = &event.classification;
        if self.category != c.category {
            return false;
        }
        if let Some(service) = &self.service {
            if event.service.as_deref() != Some(service.as_str()) {
                return false;
            }
        }
        match &self.pattern {
            None => true,
            Some(re) => {
                re.is_match(&c.headline()) || c.subject.as_deref().is_some_and(|s| re.is_match(s))
            }
        }
    }
}

/// The known issues of a known-issues file, in file order.
#[derive(Clone, Debug, Default)]
pub struct KnownIssues {
    issues: Vec<Issue>,
}

/// The top level of a known-issues file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuesFile {
    issues: Vec<serde_json::Value>,
}

/// One entry of `issues` as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueJson {
    id: String,
    title: String,
    #[serde(default)]
    url: Option<String>,
    category: String,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

impl KnownIssues {
    /// Loads and validates a known-issues file; categories are checked against `categories`
    /// (a classifier's, [`crate::Classifier::categories`]).
    pub fn load(path: &Path, categories: &Categories) -> Result<Self> {
        let json = std::fs::read_to_string(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json, &path.display().to_string(), categories)
    }

    /// Parses and validates known-issues JSON; `origin` names it in errors.
    ///
    /// ```
    /// use logtriage::{Classifier, KnownIssues};
    /// let json = r#"{"issues": [{"id": "923", "title": "Redis refused", "category": "connection_refused", "pattern": "6379"}]}"#;
    /// let known = KnownIssues::from_json(json, "issues.json", Classifier::builtin().categories())?;
    /// assert_eq!(known.len(), 1);
    /// # Ok::<(), logtriage::Error>(())
    /// ```
    pub fn from_json(json: &str, origin: &str, categories: &Categories) -> Result<Self> {
        let file: IssuesFile = serde_json::from_str(json).map_err(|e| Error::json(origin, &e))?;
        let mut issues: Vec<Issue> = Vec::with_capacity(file.issues.len());
        for (index, value) in file.issues.into_iter().enumerate() {
            let item_error = |reason: String| Error::Item {
                file: origin.to_string(),
                item: Item::Issue,
                index,
                reason,
            };
            let raw: IssueJson =
                serde_json::from_value(value).map_err(|e| item_error(e.to_string()))?;
            let mut issue = validate(raw, categories).map_err(item_error)?;
            issue.origin = (origin.to_string(), index);
            issues.push(issue);
        }
        Ok(KnownIssues { issues })
    }

    /// The first issue whose category is not among `categories`: its file, index and
    /// category.
    pub(crate) fn unknown_category(
        &self,
        categories: &Categories,
    ) -> Option<(&str, usize, &Category)> {
        self.issues
            .iter()
            .find(|i| !categories.contains(i.category.as_str()))
            .map(|i| (i.origin.0.as_str(), i.origin.1, &i.category))
    }

    /// How many issues the file holds.
    pub fn len(&self) -> usize {
        self.issues.len()
    }

    /// Whether the file holds no issue.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// The issue that tracks a classified event, by these precedence rules: the category
    /// must be equal and every matcher given must match; the issue with more matchers wins;
    /// on a tie, the first in the file.
    pub fn find(&self, event: &Event) -> Option<&IssueRef> {
        let mut best: Option<&Issue> = None;
        for issue in self.issues.iter().filter(|i| i.matches(event)) {
            if best.is_none_or(|b| issue.matchers() > b.matchers()) {
                best = Some(issue);
            }
        }
        best.map(|i| &i.issue)
    }
}

/// Checks one issue; the error is the reason.
fn validate(raw: IssueJson, categories: &Categories) -> std::result::Result<Issue, String> {
    let required = [
        ("id", &raw.id),
        ("title", &raw.title),
        ("category", &raw.category),
    ];
    if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(format!("field `{name}` is empty"));
    }
    let optional = [
        ("url", &raw.url),
        ("pattern", &raw.pattern),
        ("service", &raw.service),
    ];
    if let Some((name, _)) = optional
        .iter()
        .find(|(_, v)| v.as_deref().is_some_and(|s| s.trim().is_empty()))
    {
        return Err(format!("field `{name}` is empty (leave it out instead)"));
    }
    if !categories.contains(&raw.category) {
        return Err(format!(
            "unknown category {:?} (known: {}; others come from a rules file)",
            raw.category,
            categories.names()
        ));
    }
    let pattern = match &raw.pattern {
        Some(p) => Some(
            Regex::new(p)
                .map_err(|e| format!("pattern {p:?} is not a valid regex: {}", regex_error(&e)))?,
        ),
        None => None,
    };
    Ok(Issue {
        issue: IssueRef {
            id: raw.id,
            title: raw.title,
            url: raw.url,
        },
        category: Category::from(raw.category),
        pattern,
        service: raw.service,
        origin: (String::new(), 0),
    })
}
