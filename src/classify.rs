//! Root-cause categories (§3): built-in rules compiled from `src/rules.json`, user rules
//! from a rules file, and the chain-aware decision with subject extraction.
//!
//! # The rules file
//!
//! A rules file (`--rules FILE`, [`Classifier::add_rules_file`]) is JSON of this shape:
//!
//! ```json
//! {"categories": [
//!   {"id": "cuda_oom", "rank": 35,
//!    "patterns": ["CUDA out of memory\\. Tried to allocate (?P<subject>[\\d.]+ [KMG]iB)"]},
//!   {"id": "timeout", "patterns": ["\\bpool exhausted after \\d+s\\b"]},
//!   {"id": "connection_refused", "replace": true,
//!    "patterns": ["(?i)connection refused", "Connect call failed \\('(?P<host>[^']+)', (?P<port>\\d+)"]},
//!   {"id": "slow_query", "rank": 15}
//! ]}
//! ```
//!
//! Each entry of `categories` names a category `id` (snake_case, `[a-z][a-z0-9_]*`):
//! - a new id adds a category; it needs at least one pattern; its `rank` defaults to 500;
//! - a built-in (or earlier-file) id adds its `patterns` to that category, or, with
//!   `"replace": true`, replaces all the patterns it had so far;
//! - `rank` (optional) sets the report order: lower ranks are listed first. The built-in
//!   ranks are `undefined_symbol` 10, `missing_module` 20, `out_of_memory` 30,
//!   `connection_refused` 40, `timeout` 50, `slow_query` 60, `unclassified` 1000.
//! - `unclassified` is the fallback: it takes a `rank` but no patterns.
//!
//! Patterns are [`regex`] syntax, matched against an exception's `Type: message` text (the
//! message may span lines) or, for an event without a traceback, against the entry's text.
//! The subject is taken from a named group `subject`, or from the groups `host` and `port`
//! joined as `host:port`. Unknown fields, a bad id and an invalid regex are rejected with the
//! file, the entry's index and the reason.
//!
//! When several patterns match one text, the first one wins: a rules file's patterns are
//! tried before the built-in ones (a later file's before an earlier one's), in file order, so
//! a narrow user category can claim messages that a broad built-in pattern would take. Among
//! the built-ins, `slow_query` is tried before `timeout`, so a statement timeout is a slow query.

use crate::event::{Event, EventKind};
use crate::fingerprint::is_in_app;
use crate::traceback::{Exception, Frame, Traceback};
use crate::{Error, Result};
use regex::{Regex, RegexSet, SetMatches};
use std::path::Path;
use std::sync::{Arc, OnceLock};

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

/// The fallback category.
const UNCLASSIFIED: &str = "unclassified";
/// The rank of a category a rules file adds without one.
const DEFAULT_RANK: u32 = 500;
/// Subjects and messages longer than this are cut (a minified payload is not a title).
const MAX_SUBJECT_CHARS: usize = 300;
const MAX_MESSAGE_CHARS: usize = 500;
/// Exception groups nest; deeper levels than this are not searched (bad input never recurses
/// without bound).
const MAX_GROUP_DEPTH: usize = 16;
const MAX_EXCEPTIONS: usize = 1000;

const BUILTIN_RULES: &str = include_str!("rules.json");

#[derive(Clone, Debug)]
struct Category {
    id: String,
    rank: u32,
}

/// One pattern of a category. The `RegexSet` decides which rules match; a rule's own regex
/// is needed only then, for its subject, so it is compiled on first use: compiling all of
/// them took 12 of the 26 ms a run on empty input took.
#[derive(Clone, Debug)]
struct Rule {
    /// Index into `Classifier::categories`.
    category: usize,
    pattern: String,
    /// Shared by the clones of a classifier (every `Triage` starts from the built-in one).
    regex: Arc<OnceLock<Option<Regex>>>,
}

impl Rule {
    fn new(category: usize, pattern: &str) -> Self {
        Rule {
            category,
            pattern: pattern.to_string(),
            regex: Arc::default(),
        }
    }

    /// The compiled regex; `None` never happens for a rule of a built classifier, whose
    /// `RegexSet` compiled the same pattern.
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
    }
}

/// Classifies events: one category id, the deciding exception, message and subject.
#[derive(Clone, Debug)]
pub struct Classifier {
    categories: Vec<Category>,
    /// In match priority order; `set` holds the same patterns in the same order.
    rules: Vec<Rule>,
    /// Compiled on first use and shared by clones, as each rule's regex is: a run whose logs
    /// hold no event never compiles it (a run on empty input took 2.0 instead of 4.4 ms of
    /// CPU). Compiled at once for a rules file, whose errors must show when it is loaded.
    set: Arc<OnceLock<RegexSet>>,
}

impl Default for Classifier {
    fn default() -> Self {
        Self::builtin()
    }
}

/// When [`Classifier::add_rules`] compiles the `RegexSet`.
#[derive(Clone, Copy)]
enum Compile {
    /// At once, to report a pattern that does not compile (a rules file).
    Now,
    /// On first use (the built-in rules, which a unit test compiles).
    OnFirstUse,
}

/// The top level of a rules file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    categories: Vec<serde_json::Value>,
}

/// One entry of a rules file's `categories`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRule {
    id: String,
    #[serde(default)]
    rank: Option<u32>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    replace: bool,
}

/// What decided an event: the index of the deciding text, its category and subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) index: usize,
    pub(crate) category: String,
    pub(crate) subject: Option<String>,
}

impl Classifier {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        static BUILTIN: OnceLock<Classifier> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut empty = Classifier {
                    categories: Vec::new(),
                    rules: Vec::new(),
                    set: Arc::default(),
                };
                // The built-in rules are part of the source; a unit test loads and compiles
                // them, so this cannot fail in a released build.
                if let Err(e) = empty.add_rules(BUILTIN_RULES, "<builtin>", Compile::OnFirstUse) {
                    panic!("src/rules.json is invalid: {e}");
                }
                empty
            })
            .clone()
    }

    /// Adds (or overrides) rules from a rules file (format in the module docs and README).
    pub fn add_rules_file(&mut self, path: &Path) -> Result<&mut Self> {
        let json = std::fs::read_to_string(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        self.add_rules_json(&json, &path.display().to_string())
    }

    /// Adds (or overrides) rules from rules JSON; `origin` names it in errors.
    ///
    /// On error the classifier is unchanged.
    pub fn add_rules_json(&mut self, json: &str, origin: &str) -> Result<&mut Self> {
        self.add_rules(json, origin, Compile::Now)
    }

    fn add_rules(&mut self, json: &str, origin: &str, compile: Compile) -> Result<&mut Self> {
        let file: RulesFile = serde_json::from_str(json).map_err(|e| Error::File {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        let mut categories = self.categories.clone();
        let mut added: Vec<Rule> = Vec::new();
        let mut replaced: Vec<usize> = Vec::new();
        // (entry index, pattern index, pattern) of each pattern of the file, for errors.
        let mut sources: Vec<(usize, usize, String)> = Vec::new();
        for (index, value) in file.categories.into_iter().enumerate() {
            let item_error = |reason: String| Error::Item {
                origin: origin.to_string(),
                what: "rule",
                index,
                reason,
            };
            let rule: CategoryRule =
                serde_json::from_value(value).map_err(|e| item_error(e.to_string()))?;
            let category = apply_category(&mut categories, &rule).map_err(item_error)?;
            if rule.replace {
                replaced.push(category);
                added.retain(|r| r.category != category);
            }
            for (n, pattern) in rule.patterns.iter().enumerate() {
                added.push(Rule::new(category, pattern));
                sources.push((index, n, pattern.clone()));
            }
        }
        let kept = self
            .rules
            .iter()
            .filter(|r| !replaced.contains(&r.category))
            .cloned();
        added.extend(kept);
        let set = match compile {
            Compile::Now => match RegexSet::new(added.iter().map(|r| r.pattern.as_str())) {
                Ok(set) => Arc::new(OnceLock::from(set)),
                Err(e) => return Err(pattern_error(&sources, origin, &e)),
            },
            Compile::OnFirstUse => Arc::default(),
        };
        self.categories = categories;
        self.rules = added;
        self.set = set;
        Ok(self)
    }

    /// The rules' `RegexSet`. Its patterns compiled when they were added (a rules file) or in
    /// a unit test (the built-in ones); the empty set is only a fallback that cannot happen.
    fn set(&self) -> &RegexSet {
        self.set.get_or_init(|| {
            RegexSet::new(self.rules.iter().map(|r| r.pattern.as_str()))
                .unwrap_or_else(|_| RegexSet::empty())
        })
    }

    /// The ids of the known categories: the built-in ones, then those rules files added.
    pub fn category_ids(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|c| c.id.as_str())
    }

    /// Whether `id` is a known category (built-in or from a rules file).
    pub fn has_category(&self, id: &str) -> bool {
        self.categories.iter().any(|c| c.id == id)
    }

    /// The rank of a category in a report: lower ranks are listed first (a startup crash
    /// before a slow query). Unknown ids rank last.
    pub fn rank(&self, id: &str) -> u32 {
        self.categories
            .iter()
            .find(|c| c.id == id)
            .map_or(u32::MAX, |c| c.rank)
    }

    /// Fills `category`, `exception`, `message`, `subject` and `frames` (in-app frames of the
    /// deciding exception) of an assembled event.
    ///
    /// - a traceback: the first exception in print order (exception-group children after
    ///   their group) whose `Type: message` matches a category decides; when none does, the
    ///   event is `unclassified` with the exception that surfaced (the last one printed);
    /// - a slow query: `slow_query`, with the statement, literals replaced by `?`, as subject;
    /// - an out-of-memory report: `out_of_memory`;
    /// - any other event: its text is matched.
    pub fn classify(&self, event: &mut Event) {
        event.category = UNCLASSIFIED.to_string();
        event.exception = None;
        event.message.clear();
        event.subject = None;
        event.frames.clear();
        let traceback = event.traceback.take();
        let done = match (&traceback, event.kind) {
            (Some(tb), EventKind::Traceback) => self.classify_traceback(event, tb),
            _ => false,
        };
        event.traceback = traceback;
        if done {
            return;
        }
        if event.kind == EventKind::SlowQuery {
            if let Some(statement) = event.slow_query.as_ref().map(|q| q.statement.clone()) {
                if !statement.trim().is_empty() {
                    event.category = "slow_query".to_string();
                    event.message = first_line(&statement, MAX_MESSAGE_CHARS);
                    event.subject = Some(normalize_sql(&statement));
                    return;
                }
            }
        }
        // The words of the record, not its logger's timestamp, pid and level prefix.
        event.message = first_line(
            crate::knowledge::without_log_prefix(&event.text),
            MAX_MESSAGE_CHARS,
        );
        if event.kind == EventKind::OutOfMemory {
            event.category = "out_of_memory".to_string();
            return;
        }
        if let Some(d) = self.decide(&[event.text.as_str()]) {
            event.category = d.category;
            event.subject = d.subject;
        }
    }

    /// Classifies from a parsed traceback; `false` when it holds no exception.
    fn classify_traceback(&self, event: &mut Event, tb: &Traceback) -> bool {
        let mut flat = Vec::new();
        flatten(tb, 0, &mut flat);
        let Some(surfaced) = tb.chain.last().or(flat.last().copied()) else {
            return false;
        };
        let lines: Vec<String> = flat.iter().map(|e| exception_line(e)).collect();
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (deciding, rest) = match self.decide(&texts) {
            Some(d) => {
                event.category = d.category;
                event.subject = d.subject;
                let rest = flat.get(d.index..).unwrap_or_default();
                (flat.get(d.index).copied().unwrap_or(surfaced), rest)
            }
            None => (surfaced, &[][..]),
        };
        event.exception = Some(deciding.type_name.clone());
        event.message = first_line(&deciding.message, MAX_MESSAGE_CHARS);
        event.frames = in_app_frames(deciding);
        if event.frames.is_empty() {
            // The original cause is often raised inside a library (asyncpg, redis-py) and
            // caught there; the frames that locate the bug in the app are on the wrapper.
            if let Some(frames) = rest
                .iter()
                .map(|e| in_app_frames(e))
                .find(|f| !f.is_empty())
            {
                event.frames = frames;
            }
        }
        true
    }

    /// The category of the first of `texts` that matches one, with its subject: taken from
    /// that text or, when it names none, from a later text of the same category (a
    /// `ConnectionRefusedError` names no host, the `redis.exceptions.ConnectionError` raised
    /// while handling it does).
    pub(crate) fn decide(&self, texts: &[&str]) -> Option<Decision> {
        for (index, text) in texts.iter().enumerate() {
            let matches = self.set().matches(text);
            let Some(first) = matches.iter().next() else {
                continue;
            };
            let category = self.rules.get(first)?.category;
            let mut subject = self.subject_in(text, &matches, category);
            for later in texts.iter().skip(index + 1) {
                if subject.is_some() {
                    break;
                }
                subject = self.subject_in(later, &self.set().matches(later), category);
            }
            let id = self.categories.get(category)?.id.clone();
            let subject = subject.map(|s| match id.as_str() {
                "slow_query" => normalize_sql(&s),
                _ => s,
            });
            return Some(Decision {
                index,
                category: id,
                subject,
            });
        }
        None
    }

    /// The subject named by the first matching pattern of `category` that captures one.
    fn subject_in(&self, text: &str, matches: &SetMatches, category: usize) -> Option<String> {
        matches
            .iter()
            .filter_map(|i| self.rules.get(i))
            .filter(|r| r.category == category)
            .filter_map(Rule::regex)
            .filter(|re| has_subject_groups(re))
            .find_map(|re| subject_of(re, text))
    }
}

/// The error for a set of patterns that does not compile: the first pattern of the file
/// that does not compile alone, or the set as a whole (too large together).
fn pattern_error(
    sources: &[(usize, usize, String)],
    origin: &str,
    set_error: &regex::Error,
) -> Error {
    for (index, n, pattern) in sources {
        let (index, n) = (*index, *n);
        if let Err(e) = Regex::new(pattern) {
            return Error::Item {
                origin: origin.to_string(),
                what: "rule",
                index,
                reason: format!(
                    "pattern {n} ({pattern:?}) is not a valid regex: {}",
                    regex_error(&e)
                ),
            };
        }
    }
    Error::File {
        origin: origin.to_string(),
        reason: format!(
            "the patterns do not compile together: {}",
            regex_error(set_error)
        ),
    }
}

/// Applies one rules-file entry to the category list; returns the category's index.
fn apply_category(
    categories: &mut Vec<Category>,
    rule: &CategoryRule,
) -> std::result::Result<usize, String> {
    if !is_snake_case(&rule.id) {
        return Err(format!(
            "id must be snake_case ([a-z][a-z0-9_]*), not {:?}",
            rule.id
        ));
    }
    if rule.id == UNCLASSIFIED && (!rule.patterns.is_empty() || rule.replace) {
        return Err("unclassified is the fallback and takes no patterns".to_string());
    }
    if let Some(i) = categories.iter().position(|c| c.id == rule.id) {
        if let (Some(rank), Some(c)) = (rule.rank, categories.get_mut(i)) {
            c.rank = rank;
        }
        return Ok(i);
    }
    if rule.patterns.is_empty() && rule.id != UNCLASSIFIED {
        return Err(format!(
            "new category {:?} needs at least one pattern",
            rule.id
        ));
    }
    categories.push(Category {
        id: rule.id.clone(),
        rank: rule.rank.unwrap_or(DEFAULT_RANK),
    });
    Ok(categories.len() - 1)
}

/// A regex error on one line (the `regex` crate draws the pattern and a caret over several):
/// a CLI reports a bad file in one line.
pub(crate) fn regex_error(e: &regex::Error) -> String {
    let text = match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map_or(s.as_str(), |l| l.trim_start_matches("error: ")),
        _ => {
            return e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_snake_case(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn has_subject_groups(regex: &Regex) -> bool {
    let names: Vec<&str> = regex.capture_names().flatten().collect();
    names.contains(&"subject") || (names.contains(&"host") && names.contains(&"port"))
}

/// The subject a regex captures in `text`: the `subject` group, or `host:port` (an IPv6 host
/// in brackets).
fn subject_of(regex: &Regex, text: &str) -> Option<String> {
    let caps = regex.captures(text)?;
    let subject = match caps.name("subject") {
        Some(s) => s.as_str().trim().to_string(),
        None => {
            let host = caps.name("host")?.as_str().trim();
            let port = caps.name("port")?.as_str().trim();
            if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        }
    };
    (!subject.is_empty()).then(|| cut_chars(&subject, MAX_SUBJECT_CHARS))
}

/// The exceptions of a traceback in print order: each exception, then the children of an
/// exception group.
fn flatten<'t>(tb: &'t Traceback, depth: usize, out: &mut Vec<&'t Exception>) {
    for exception in &tb.chain {
        if out.len() >= MAX_EXCEPTIONS {
            return;
        }
        out.push(exception);
        if depth < MAX_GROUP_DEPTH {
            for child in &exception.children {
                flatten(child, depth + 1, out);
            }
        }
    }
}

/// `Type: message`, or `Type` alone when the message is empty, as CPython prints it.
fn exception_line(exception: &Exception) -> String {
    if exception.message.is_empty() {
        exception.type_name.clone()
    } else {
        format!("{}: {}", exception.type_name, exception.message)
    }
}

fn in_app_frames(exception: &Exception) -> Vec<Frame> {
    exception
        .frames
        .iter()
        .filter(|f| is_in_app(&f.file))
        .cloned()
        .collect()
}

/// The first non-blank line of `text`, trimmed and cut to `max` chars.
pub(crate) fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    cut_chars(line.unwrap_or(""), max)
}

/// `text` cut to at most `max` chars (not bytes: never inside a UTF-8 sequence).
pub(crate) fn cut_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text.get(..end).unwrap_or(text).to_string(),
        None => text.to_string(),
    }
}

/// A statement with its literals replaced by `?`: quoted strings, numbers and `$N`
/// parameters; an `IN (...)` list of them collapsed to `IN (?)`; whitespace collapsed.
pub(crate) fn normalize_sql(statement: &str) -> String {
    static IN_LIST: OnceLock<Regex> = OnceLock::new();
    let mut out = String::with_capacity(statement.len());
    let mut chars = statement.chars().peekable();
    let mut prev: char = ' ';
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                // A quoted literal; '' inside is an escaped quote.
                while let Some(q) = chars.next() {
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                out.push('?');
                prev = '?';
            }
            '$' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                out.push('?');
                prev = '?';
            }
            d if d.is_ascii_digit() && !(prev.is_alphanumeric() || prev == '_') => {
                while chars
                    .peek()
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.')
                {
                    chars.next();
                }
                out.push('?');
                prev = '?';
            }
            w if w.is_whitespace() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                prev = ' ';
            }
            other => {
                out.push(other);
                prev = other;
            }
        }
    }
    let in_list = IN_LIST.get_or_init(|| {
        Regex::new(r"(?i)\b(IN)\s*\(\s*\?(?:\s*,\s*\?)*\s*\)").expect("a constant regex")
    });
    let collapsed = in_list.replace_all(out.trim_end(), "${1} (?)");
    cut_chars(&collapsed, MAX_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_with_every_builtin_category() {
        let c = Classifier::builtin();
        for id in BUILTIN_CATEGORIES {
            assert!(c.has_category(id), "{id}");
        }
        assert!(!c.has_category("cuda_oom"));
        assert_eq!(c.categories.len(), BUILTIN_CATEGORIES.len());
        // Loading them compiles nothing; `set` falls back to an empty set if they did not.
        let patterns = c.rules.iter().map(|r| r.pattern.as_str());
        assert!(RegexSet::new(patterns).is_ok());
        assert_eq!(c.set().len(), c.rules.len());
    }

    #[test]
    fn builtin_ranks() {
        let c = Classifier::builtin();
        let ranks: Vec<u32> = [
            "undefined_symbol",
            "missing_module",
            "out_of_memory",
            "connection_refused",
            "timeout",
            "slow_query",
            "unclassified",
            "nope",
        ]
        .iter()
        .map(|id| c.rank(id))
        .collect();
        assert_eq!(ranks, [10, 20, 30, 40, 50, 60, 1000, u32::MAX]);
    }

    #[test]
    fn decide_takes_subject_from_a_later_text() {
        let c = Classifier::builtin();
        let d = c.decide(&[
            "ValueError: bad",
            "ConnectionRefusedError: [Errno 111] Connection refused",
            "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
        ]);
        assert_eq!(
            d,
            Some(Decision {
                index: 1,
                category: "connection_refused".to_string(),
                subject: Some("10.0.0.5:6379".to_string()),
            })
        );
        assert_eq!(c.decide(&["KeyError: 'user_id'"]), None);
    }

    #[test]
    fn normalize_sql_table() {
        let rows = [
            ("SELECT 1", "SELECT ?"),
            (
                "SELECT * FROM threads WHERE user_id = 'u-42' AND n > 10",
                "SELECT * FROM threads WHERE user_id = ? AND n > ?",
            ),
            (
                "SELECT a FROM t WHERE id IN (1, 2, 3)",
                "SELECT a FROM t WHERE id IN (?)",
            ),
            (
                "select a from t where id in ($1,$2)",
                "select a from t where id in (?)",
            ),
            ("SELECT 'it''s'  ,\n  x2 FROM t2", "SELECT ? , x2 FROM t2"),
            (
                "UPDATE t SET v = 3.25 WHERE k = 'a'",
                "UPDATE t SET v = ? WHERE k = ?",
            ),
            ("SELECT 'unterminated", "SELECT ?"),
        ];
        for (input, want) in rows {
            assert_eq!(normalize_sql(input), want, "{input}");
        }
    }

    #[test]
    fn regex_errors_are_one_line() {
        // Built at run time: clippy rejects an invalid regex literal.
        let bad = |s: &str| Regex::new(s).unwrap_err();
        assert_eq!(regex_error(&bad("Unified((")), "unclosed group");
        let e = bad("a{99999999}");
        assert!(!regex_error(&e).contains('\n'));
    }

    #[test]
    fn a_bad_pattern_is_named_by_its_entry_and_place() {
        let json = r#"{"categories": [
            {"id": "a", "patterns": ["fine"]},
            {"id": "b", "patterns": ["also fine", "(unclosed", "x"]}
        ]}"#;
        let mut c = Classifier::builtin();
        let e = c
            .add_rules_json(json, "rules.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with(r#"rule 1: pattern 1 ("(unclosed") is not a valid regex: unclosed group"#),
            "{e}"
        );
        assert!(!c.has_category("a"), "a failed file changes nothing");
    }

    #[test]
    fn rules_compile_on_first_use_and_clones_share_them() {
        // Not the built-in classifier: other tests share (and compile) its rules.
        let mut c = Classifier {
            categories: Vec::new(),
            rules: Vec::new(),
            set: Arc::default(),
        };
        let json = r#"{"categories": [{"id": "a", "patterns": ["refused (?P<subject>\\S+)"]}]}"#;
        c.add_rules_json(json, "rules.json").expect("valid");
        let rule = c.rules.first().expect("one rule");
        let copy = c.clone();
        assert!(rule.regex.get().is_none());
        assert!(rule.regex().is_some());
        assert!(copy.rules.first().is_some_and(|r| r.regex.get().is_some()));
    }

    #[test]
    fn cut_chars_never_splits_a_char() {
        assert_eq!(cut_chars("héllo", 2), "hé");
        assert_eq!(cut_chars("hé", 5), "hé");
        assert_eq!(first_line("\n  \n  first  \nsecond", 100), "first");
    }
}
