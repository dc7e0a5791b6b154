//! Root-cause categories: built-in rules compiled from `src/rules.json`, user rules
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
//!
//! ## Platform rows
//!
//! A rules file may also (or only) hold a `platform` array: rows of the platform-message
//! table, whose matches are events of kind `platform` (symptoms) whatever their severity:
//!
//! ```json
//! {"platform": [
//!   {"id": "gunicorn_worker_signal", "kind": "exit", "title": "gunicorn worker killed",
//!    "pattern": "Worker with pid \\d+ was terminated due to signal 9",
//!    "literal": "was terminated due to signal"}
//! ]}
//! ```
//!
//! `id` is snake_case; a new id adds a row (tried before the built-in rows of `rules.json`),
//! a known id replaces that row. `kind` is `exit` or `refusal`; `pattern` a regex searched in
//! the message; `title` (optional) a few words for a failed request's message; `literal`
//! (optional) a string every match holds, which the prefilter then searches for, so that a
//! message logged below `ERROR` is picked. Unknown fields, a bad id and an invalid regex are
//! errors naming the file and `platform row N`. The built-in rows are listed in
//! [`crate::reference`].

use crate::category::{Categories, Category};
use crate::error::{regex_error, Error, Item, Result};
use crate::event::{Classification, Event, EventKind};
use crate::fingerprint::{self, is_in_app};
use crate::json_file::{self, Field, Kind, Unknown};
use crate::platform::PlatformTable;
use crate::text::{cut_chars, first_line, without_log_prefix};
use crate::traceback::{Exception, Frame, Traceback};
use regex::{Regex, RegexSet, SetMatches};
use sql::normalize_sql;
use std::path::Path;
use std::sync::{Arc, OnceLock};

mod sql;

/// The rank of a category a rules file adds without one.
const DEFAULT_RANK: u32 = 500;
/// Subjects and messages longer than this are cut (a minified payload is not a title).
const MAX_SUBJECT_CHARS: usize = 300;
const MAX_MESSAGE_CHARS: usize = 500;
/// Exception groups nest; deeper levels than this are not searched (bad input never recurses
/// without bound).
const MAX_GROUP_DEPTH: usize = 16;
const MAX_EXCEPTIONS: usize = 1000;

const BUILTIN_RULES: &str = include_str!("../rules.json");

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

    /// Whether the pattern may name a group (`(?P<name>` or `(?<name>`): one that cannot
    /// captures no subject, and its regex need not be compiled to learn it (32 of the 68
    /// built-in patterns; `(?i)\boom[-_ ]?kill` alone takes 0.27 ms to compile).
    fn may_name_groups(&self) -> bool {
        self.pattern.contains("(?P<") || self.pattern.contains("(?<")
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
    categories: Categories,
    /// In match priority order; `set` holds the same patterns in the same order.
    rules: Vec<Rule>,
    /// Compiled on first use and shared by clones, as each rule's regex is: a run whose logs
    /// hold no event never compiles it (a run on empty input took 2.0 instead of 4.4 ms of
    /// CPU). Compiled at once for a rules file, whose errors must show when it is loaded.
    set: Arc<OnceLock<RegexSet>>,
    /// A digest of the rules files added to the built-in rules, in order: partial reports
    /// record it, and only those made with the same rules are merged.
    digest: u64,
    /// The platform messages (built-in rows and a rules file's).
    platform: PlatformTable,
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

/// The fields of an entry of `categories`, checked before it is deserialized.
const RULE_FIELDS: [Field; 4] = [
    Field::required("id", Kind::Str),
    Field::optional("rank", Kind::Count),
    Field::optional("patterns", Kind::Strings),
    Field::optional("replace", Kind::Bool),
];

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
    pub(crate) category: Category,
    pub(crate) subject: Option<String>,
}

impl Classifier {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        static BUILTIN: OnceLock<Classifier> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut empty = Classifier {
                    categories: Categories::default(),
                    rules: Vec::new(),
                    set: Arc::default(),
                    digest: 0,
                    platform: PlatformTable::default(),
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
        let top = json_file::parse(json, origin)?;
        let [entries, platform] = json_file::top_arrays(top, ["categories", "platform"])
            .map_err(|reason| json_file::file_error(json, origin, reason))?;
        let mut categories = self.categories.clone();
        let mut added: Vec<Rule> = Vec::new();
        let mut replaced: Vec<usize> = Vec::new();
        // (entry index, pattern index, pattern) of each pattern of the file, for errors.
        let mut sources: Vec<(usize, usize, String)> = Vec::new();
        for (index, mut value) in entries.into_iter().enumerate() {
            let item_error = |reason: String| Error::Item {
                file: origin.to_string(),
                item: Item::Rule,
                index,
                reason,
            };
            json_file::check_entry(&mut value, "a rule", &RULE_FIELDS, Unknown::Reject)
                .map_err(item_error)?;
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
        let platform = match platform.is_empty() {
            true => self.platform.clone(),
            false => self
                .platform
                .with_rows(platform, origin, matches!(compile, Compile::Now))?,
        };
        self.categories = categories;
        self.rules = added;
        self.set = set;
        if origin != "<builtin>" {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            (self.digest, json).hash(&mut h);
            self.digest = h.finish();
        }
        self.platform = platform;
        Ok(self)
    }

    /// A digest of the rules added to the built-in ones (0 for none), in the order added.
    pub(crate) fn rules_digest(&self) -> u64 {
        self.digest
    }

    /// The platform-message table.
    pub(crate) fn platform(&self) -> &PlatformTable {
        &self.platform
    }

    /// The rules' `RegexSet`. Its patterns compiled when they were added (a rules file) or in
    /// a unit test (the built-in ones); the empty set is only a fallback that cannot happen.
    fn set(&self) -> &RegexSet {
        self.set.get_or_init(|| {
            RegexSet::new(self.rules.iter().map(|r| r.pattern.as_str()))
                .unwrap_or_else(|_| RegexSet::empty())
        })
    }

    /// The categories it knows (built-in and from rules files), with their report ranks:
    /// lower ranks are listed first (a startup crash before a slow query).
    pub fn categories(&self) -> &Categories {
        &self.categories
    }

    /// Fills the event's [`Classification`]: `category`, `exception`, `message`, `subject`,
    /// `frames` (in-app frames of the deciding exception) and the `fingerprint` made of them.
    /// The known issue is left as it was (none): [`crate::KnownIssues::find`] gives it.
    ///
    /// - a traceback: the first exception in print order (exception-group children after
    ///   their group) whose `Type: message` matches a category decides; when none does, the
    ///   event is `unclassified` with the exception that surfaced (the last one printed);
    /// - a slow query: `slow_query`, with the statement, literals replaced by `?`, as subject
    ///   (none when the duration's statement was not within reach);
    /// - an out-of-memory report: `out_of_memory`;
    /// - a failed request: its message is the request's headline (`GET /health → 500 in
    ///   5.1 s`), its category that of the request log's own text when it has one (Cloud
    ///   Run's "maximum request timeout" is a `timeout`); its fingerprint is made of the
    ///   category, method, route, status and platform reason, so the requests of one route
    ///   and status group together whatever their latency;
    /// - any other event (platform messages among them): its text is matched; when the deciding pattern names no subject,
    ///   the statement its database entries name ([`Event::statement`]) is the subject.
    pub fn classify(&self, event: &mut Event) {
        let mut c = self.decide_event(event);
        c.fingerprint = match (&event.request, event.kind) {
            (Some(request), EventKind::Request) => fingerprint::of_request(
                &c.category,
                request.method.as_deref(),
                &request.route,
                request.status,
                event.platform.as_ref().map(|p| p.id.as_str()),
            ),
            _ => fingerprint::compute(
                &c.category,
                c.exception.as_deref(),
                &c.message,
                c.subject.as_deref(),
                &c.frames,
            ),
        };
        c.known_issue = event.classification.known_issue.take();
        event.classification = c;
    }

    fn decide_event(&self, event: &Event) -> Classification {
        let mut c = Classification::default();
        if let (Some(tb), EventKind::Traceback) = (&event.traceback, event.kind) {
            if self.classify_traceback(&mut c, tb) {
                if c.subject.is_none() && c.category != Category::UNCLASSIFIED {
                    c.subject = self.subject_in_header(&event.text, &c.category);
                }
                return c;
            }
        }
        if event.kind == EventKind::SlowQuery {
            if let Some(statement) = event.slow_query.as_ref().map(|q| &q.statement) {
                if !statement.trim().is_empty() {
                    c.category = Category::SLOW_QUERY;
                    c.message = first_line(statement, MAX_MESSAGE_CHARS);
                    c.subject = Some(normalize_sql(statement));
                    return c;
                }
            }
        }
        if event.kind == EventKind::Request {
            let (headline, own) = event.text.split_once('\n').unwrap_or((&event.text, ""));
            c.message = first_line(headline, MAX_MESSAGE_CHARS);
            if let Some(d) = self.decide(&[own]).filter(|_| !own.is_empty()) {
                c.category = d.category;
            }
            return c;
        }
        // The words of the record, not its logger's timestamp, pid and level prefix.
        c.message = first_line(without_log_prefix(&event.text), MAX_MESSAGE_CHARS);
        match event.kind {
            EventKind::OutOfMemory => {
                c.category = Category::OUT_OF_MEMORY;
                return c;
            }
            // A duration whose statement was not within reach: still a slow query.
            EventKind::SlowQuery => {
                c.category = Category::SLOW_QUERY;
                return c;
            }
            _ => {}
        }
        if let Some(d) = self.decide(&[event.text.as_str()]) {
            c.category = d.category;
            c.subject = d.subject;
        }
        // A database error names its statement on a line of its own.
        if c.subject.is_none() {
            c.subject = event
                .statement
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(normalize_sql);
        }
        c
    }

    /// Classifies from a parsed traceback; `false` when it holds no exception.
    fn classify_traceback(&self, event: &mut Classification, tb: &Traceback) -> bool {
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
        // A traceback cut before its exception line has frames and no type.
        event.exception = Some(deciding.type_name.clone()).filter(|t| !t.is_empty());
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

    /// The subject that the log record's header lines (the event's text before its
    /// traceback) name for `category`, when no exception of the traceback names one:
    /// celery's `consumer: Cannot connect to amqp://...@rabbitmq-1:5672//: ...` before a
    /// Python 2 `error: [Errno 111] Connection refused`.
    fn subject_in_header(&self, text: &str, category: &Category) -> Option<String> {
        let end = finder!("Traceback (most recent call last):").find(text.as_bytes())?;
        let header = text.get(..end)?.trim();
        if header.is_empty() {
            return None;
        }
        self.decide(&[header])
            .filter(|d| &d.category == category)
            .and_then(|d| d.subject)
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
            let id = self.categories.get(category)?.clone();
            let subject = subject.map(|s| match id == Category::SLOW_QUERY {
                true => normalize_sql(&s),
                false => s,
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
            .filter(|r| r.category == category && r.may_name_groups())
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
                file: origin.to_string(),
                item: Item::Rule,
                index,
                reason: format!(
                    "pattern {n} ({pattern:?}) is not a valid regex: {}",
                    regex_error(&e)
                ),
            };
        }
    }
    Error::File {
        file: origin.to_string(),
        line: 0,
        column: 0,
        reason: format!(
            "the patterns do not compile together: {}",
            regex_error(set_error)
        ),
    }
}

/// Applies one rules-file entry to the category list; returns the category's index.
fn apply_category(
    categories: &mut Categories,
    rule: &CategoryRule,
) -> std::result::Result<usize, String> {
    let Some(id) = Category::new(&rule.id) else {
        return Err(format!(
            "id must be snake_case ([a-z][a-z0-9_]*), not {:?}",
            rule.id
        ));
    };
    if id == Category::UNCLASSIFIED && (!rule.patterns.is_empty() || rule.replace) {
        return Err("unclassified is the fallback and takes no patterns".to_string());
    }
    if rule.patterns.is_empty() && !categories.contains(&rule.id) && id != Category::UNCLASSIFIED {
        return Err(format!(
            "new category {:?} needs at least one pattern",
            rule.id
        ));
    }
    Ok(categories.upsert(id, rule.rank, DEFAULT_RANK))
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

#[cfg(test)]
mod tests;
