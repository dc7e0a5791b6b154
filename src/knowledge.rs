//! Known issues (§5): which tracker issue already tracks a group, and a title for a new one.
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

use crate::classify::{cut_chars, regex_error, Classifier};
use crate::event::Event;
use crate::{Error, Result};
use regex::Regex;
use std::path::Path;
use std::sync::OnceLock;

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

/// One validated issue with its matchers.
#[derive(Clone, Debug)]
struct Issue {
    issue: IssueRef,
    category: String,
    pattern: Option<Regex>,
    service: Option<String>,
}

impl Issue {
    /// How many optional matchers the issue gives (its precedence).
    fn matchers(&self) -> usize {
        usize::from(self.pattern.is_some()) + usize::from(self.service.is_some())
    }

    fn matches(&self, event: &Event) -> bool {
        if self.category != event.category {
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
                re.is_match(&type_and_message(event))
                    || event.subject.as_deref().is_some_and(|s| re.is_match(s))
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
    /// Loads and validates a known-issues file; categories are checked against `classifier`.
    pub fn load(path: &Path, classifier: &Classifier) -> Result<Self> {
        let json = std::fs::read_to_string(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json, &path.display().to_string(), classifier)
    }

    /// Parses and validates known-issues JSON; `origin` names it in errors.
    pub fn from_json(json: &str, origin: &str, classifier: &Classifier) -> Result<Self> {
        let file: IssuesFile = serde_json::from_str(json).map_err(|e| Error::File {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        let mut issues: Vec<Issue> = Vec::with_capacity(file.issues.len());
        for (index, value) in file.issues.into_iter().enumerate() {
            let item_error = |reason: String| Error::Item {
                origin: origin.to_string(),
                what: "issue",
                index,
                reason,
            };
            let raw: IssueJson =
                serde_json::from_value(value).map_err(|e| item_error(e.to_string()))?;
            let issue = validate(raw, classifier).map_err(item_error)?;
            issues.push(issue);
        }
        Ok(KnownIssues { issues })
    }

    /// How many issues the file holds.
    pub fn len(&self) -> usize {
        self.issues.len()
    }

    /// Whether the file holds no issue.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// The issue that tracks a classified event, by the precedence rules of §5: the category
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
fn validate(raw: IssueJson, classifier: &Classifier) -> std::result::Result<Issue, String> {
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
    if !classifier.has_category(&raw.category) {
        return Err(format!(
            "unknown category {:?} (built-in: {}; others come from a rules file)",
            raw.category,
            crate::classify::BUILTIN_CATEGORIES.join(", ")
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
        category: raw.category,
        pattern,
        service: raw.service,
    })
}

/// The event's `Type: message` line, or the message when it has no exception type.
fn type_and_message(event: &Event) -> String {
    match &event.exception {
        Some(t) if !event.message.is_empty() => format!("{t}: {}", event.message),
        Some(t) => t.clone(),
        None => event.message.clone(),
    }
}

/// The longest suggested title, in chars.
const MAX_TITLE_CHARS: usize = 100;

/// A short title for a new issue, e.g.
/// `NameError: UnifiedExecutionEngineFactory undefined in smd.py _initialize_factory_patterns`.
///
/// The shape depends on the category: the symbol or module and where the app raised it, the
/// refused `host:port` and the client's exception, the slow statement and its duration;
/// otherwise `Type: message in file function`. At most 100 chars: the place is shortened,
/// then left out, before the title is cut (on a word, with `…`).
pub fn suggest_title(event: &Event) -> String {
    // The place where the app raised it goes first when the title is too long.
    let places = [where_raised(event, true), where_raised(event, false)];
    let mut title = String::new();
    for place in places.iter().map(String::as_str).chain([""]) {
        title = compose_title(event, place)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if title.chars().count() <= MAX_TITLE_CHARS {
            return title;
        }
    }
    let cut = cut_chars(&title, MAX_TITLE_CHARS - 1);
    // End on a word when one ends near the limit, rather than mid-word.
    let cut = match cut.rfind(' ') {
        Some(space) if space >= cut.len().saturating_sub(20) => cut.get(..space).unwrap_or(&cut),
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// The title before it is cut, with `place` (` in smd.py function`) where one fits.
fn compose_title(event: &Event, place: &str) -> String {
    let exception = event.exception.as_deref();
    // The exception that surfaced names the client (`redis.exceptions.ConnectionError`), the
    // deciding one is often a bare `ConnectionRefusedError`.
    let surfaced = event
        .traceback
        .as_ref()
        .and_then(|tb| tb.chain.last())
        .map(|e| e.type_name.as_str())
        .or(exception);
    let subject = event.subject.as_deref();
    match (event.category.as_str(), subject) {
        ("undefined_symbol", Some(s)) => {
            format!("{}: {s} undefined{place}", exception.unwrap_or("Error"))
        }
        ("missing_module", Some(s)) => {
            format!("{}: {s} missing{place}", exception.unwrap_or("ImportError"))
        }
        ("connection_refused", _) => {
            let to = subject.map(|s| format!(" to {s}")).unwrap_or_default();
            match surfaced {
                Some(t) => format!("Connection refused{to} ({t})"),
                None => format!("Connection refused{to}: {}", event.message),
            }
        }
        ("slow_query", _) => match (&event.slow_query, subject, exception) {
            (Some(q), _, _) => format!(
                "Slow query ({:.0} ms): {}",
                q.duration_ms,
                subject.unwrap_or(&event.message)
            ),
            (None, Some(statement), _) => format!("Statement timeout: {statement}"),
            (None, None, Some(t)) => format!("Statement timeout ({t}){place}"),
            (None, None, None) => {
                format!("Statement timeout: {}", without_log_prefix(&event.message))
            }
        },
        ("timeout", Some(s)) => {
            format!("Timeout talking to {s} ({})", surfaced.unwrap_or("timeout"))
        }
        ("out_of_memory", _) => {
            // Cloud Run follows the fact with advice: the first sentence is the title.
            let fact = without_log_prefix(&event.message);
            let fact = fact.split(". ").next().unwrap_or("");
            let fact = fact.trim_end_matches('.');
            match &event.service {
                Some(service) => format!("Out of memory in {service}: {fact}"),
                None => format!("Out of memory: {fact}"),
            }
        }
        _ => match exception {
            Some(t) if event.message.is_empty() => format!("{t}{place}"),
            Some(t) => format!("{t}: {}{place}", event.message),
            None if event.message.trim().is_empty() => no_message(event),
            None => without_log_prefix(&event.message).to_string(),
        },
    }
}

/// The message without the prefixes loggers put before it: a `docker compose logs` service
/// column, timestamps, `[pid]`, Cloud SQL's `[1-1] db=...,user=...`, level words
/// (`ERROR:root:`, `[ERROR]`, `ERROR:`) and a bracketed logger name. A title needs the words
/// after them.
pub(crate) fn without_log_prefix(message: &str) -> &str {
    static PREFIX: OnceLock<Regex> = OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        Regex::new(concat!(
            r"^(?:[0-9A-Za-z_.-]+\s+\|\s+",
            r"|\[?[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?:Z|\s?[+-][0-9]{2}:?[0-9]{2}|\s?UTC)?\]?:?\s+",
            r"|\[[0-9]+(?:-[0-9]+)?\]:?\s+",
            r"|db=[^,\s]*,user=\S*\s+",
            r"|\[?(?:DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|CRITICAL|FATAL|ALERT|EMERGENCY|PANIC)(?-u:\b)\]?(?::[0-9A-Za-z_.]*:|:)?\s*",
            r"|\[[0-9A-Za-z_.]+\]\s+)",
        ))
        .expect("a constant regex")
    });
    let mut rest = message.trim();
    // Each pass strips one prefix; real lines have a handful.
    for _ in 0..8 {
        match prefix.find(rest) {
            Some(m) if m.end() > 0 && m.end() < rest.len() => {
                rest = rest.get(m.end()..).unwrap_or(rest).trim_start();
            }
            _ => break,
        }
    }
    rest
}

/// A title for an entry that says nothing (a request log of a 500 with no payload).
fn no_message(event: &Event) -> String {
    let severity = format!("{:?}", event.severity).to_uppercase();
    match &event.service {
        Some(service) => format!("{severity} entry with no message in {service}"),
        None => format!("{severity} entry with no message"),
    }
}

/// ` in smd.py _initialize_factory_patterns` for the innermost in-app frame, or nothing.
fn where_raised(event: &Event, with_function: bool) -> String {
    let Some(frame) = event.frames.last() else {
        return String::new();
    };
    let file = frame.file.rsplit(['/', '\\']).next().unwrap_or(&frame.file);
    if frame.function.is_empty() || !with_function {
        format!(" in {file}")
    } else {
        format!(" in {file} {}", frame.function)
    }
}
