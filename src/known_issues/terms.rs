//! The terms of an event that an issue filed about it would quote: its subject, exception
//! types, module paths, `host:port`, in-app function, class and file names, SQL table names,
//! and the rare words (and longest literal phrase) of its normalized message. Each term has a
//! weight: how much finding it in an issue says that the issue is about this event.
//!
//! Terms are lower case and written as [`crate::known_issues`]' text index splits an issue
//! into tokens: runs of letters, digits and `_ . : / -`, with their pieces between `/`, `:`
//! and `-`, and between dots.

use crate::category::Category;
use crate::event::Event;
use crate::fingerprint::normalize_message;
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The whole subject (a symbol, a module): what the event is about.
pub(crate) const SUBJECT: f64 = 3.0;
/// A `host:port`; the host alone; the port alone.
pub(crate) const ADDRESS: f64 = 3.0;
const HOST: f64 = 1.5;
const PORT: f64 = 0.75;
/// A dotted module path of three parts or more, of two; its last part.
const MODULE: f64 = 2.5;
const SHORT_MODULE: f64 = 1.5;
const MODULE_TAIL: f64 = 1.5;
/// A qualified exception type (`redis.exceptions.ConnectionError`); a bare one (`NameError`),
/// which many unrelated failures share.
const QUALIFIED_TYPE: f64 = 1.5;
const TYPE: f64 = 0.5;
/// An in-app function; an in-app file's name (`smd.py`).
const FUNCTION: f64 = 1.0;
const FILE: f64 = 0.75;
/// A CamelCase name of two humps (`WebSocket`), up to [`CLASS_MAX`] for longer ones.
const CLASS: f64 = 1.0;
const CLASS_MAX: f64 = 2.0;
/// A SQL table; a column, qualified (`threads.updated_at`) or named with an underscore
/// (`finished_at`).
const TABLE: f64 = 2.0;
const COLUMN: f64 = 0.5;
/// The longest literal run of the normalized message, as words.
pub(crate) const PHRASE: f64 = 2.5;
/// A rare word of the normalized message.
pub(crate) const WORD: f64 = 0.5;

/// At most this many words, columns and exception types are taken from one event.
const MAX_WORDS: usize = 12;
const MAX_COLUMNS: usize = 12;
const MAX_TYPES: usize = 8;

/// One term of an event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Term {
    /// As looked up: lower case; for a phrase, its words between single spaces.
    pub(crate) key: String,
    /// As the event wrote it, for the report.
    pub(crate) shown: String,
    pub(crate) weight: f64,
    /// A phrase is searched in an issue's words, not among its tokens.
    pub(crate) phrase: bool,
}

/// Words so common in failures that they say nothing about which one: finding them in an
/// issue never counts.
pub(crate) const COMMON: &[&str] = &[
    "about", "above", "access", "after", "again", "against", "also", "another", "application",
    "args", "attempt", "available", "because", "been", "before", "being", "call", "called",
    "cannot", "cause", "caused", "client", "code", "connect", "connected", "connecting",
    "connection", "connections", "could", "database", "debug", "defined", "denied", "direct",
    "does", "done", "during", "errno", "error", "errors", "exception", "exceptions", "exit", "exited",
    "fail", "failed", "failing", "fails", "failure", "false", "file", "following", "found",
    "from", "handling", "have", "http", "https", "info", "instance", "internal", "invalid",
    "kwargs", "last", "line", "local", "main", "message", "missing", "module", "most", "name", "named",
    "none", "null", "occurred", "packages", "python", "raise", "raised", "recent", "refused",
    "request", "requests", "response", "retry", "return", "returned", "self", "server",
    "service", "should", "site", "some", "status", "than", "that", "their", "them", "then",
    "there", "this", "timed", "timeout", "traceback", "true", "type", "unable", "unknown",
    "value", "warning", "were", "what", "when", "where", "which", "while", "will", "with",
    "without", "would", "your",
];

/// Whether `word` (lower case) is one of [`COMMON`].
pub(crate) fn is_common(word: &str) -> bool {
    COMMON.binary_search(&word).is_ok()
}

/// The terms, each once with its highest weight, in the order found.
#[derive(Default)]
struct Terms {
    list: Vec<Term>,
    at: HashMap<String, usize>,
}

impl Terms {
    fn add(&mut self, shown: &str, weight: f64) {
        let shown = trim_token(shown);
        let key = shown.to_lowercase();
        if key.is_empty() || key.len() > 200 || is_common(&key) || key.contains(char::is_whitespace)
        {
            return;
        }
        self.put(key, shown, weight, false);
    }

    fn put(&mut self, key: String, shown: &str, weight: f64, phrase: bool) {
        match self.at.get(&key).and_then(|&i| self.list.get_mut(i)) {
            Some(term) => term.weight = term.weight.max(weight),
            None => {
                self.at.insert(key.clone(), self.list.len());
                self.list.push(Term {
                    key,
                    shown: shown.to_string(),
                    weight,
                    phrase,
                });
            }
        }
    }
}

/// `text` without the punctuation a token never starts or ends with.
pub(crate) fn trim_token(text: &str) -> &str {
    text.trim_matches(|c: char| matches!(c, '.' | ':' | '/' | '-') || c.is_whitespace())
}

struct Patterns {
    address: Regex,
    dotted: Regex,
    camel: Regex,
    file: Regex,
    table: Regex,
    column: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("a constant regex");
        Patterns {
            address: re(r"\b((?:[0-9]{1,3}\.){3}[0-9]{1,3}|[A-Za-z][A-Za-z0-9.-]*[A-Za-z0-9]):([0-9]{2,5})\b"),
            dotted: re(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\b"),
            camel: re(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b"),
            file: re(r"\b[A-Za-z_][A-Za-z0-9_-]*\.(?:py|pyx|js|ts|go|rb|java)\b"),
            table: re(r#"(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+"?([A-Za-z_][A-Za-z0-9_.]*)"?"#),
            column: re(r"\b[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\b"),
        }
    })
}

/// The terms of a classified event.
pub(crate) fn terms_of(event: &Event) -> Vec<Term> {
    let c = &event.classification;
    let mut terms = Terms::default();
    let sql = c
        .subject
        .as_deref()
        .filter(|s| c.category == Category::SLOW_QUERY && is_sql(s));
    match (sql, c.subject.as_deref()) {
        (Some(statement), _) => sql_terms(&mut terms, statement),
        (None, Some(subject)) if !subject.contains(char::is_whitespace) => {
            subject_terms(&mut terms, subject);
        }
        _ => {}
    }
    let chain = event.traceback.iter().flat_map(|tb| tb.chain.iter());
    let types = chain.map(|e| e.type_name.as_str()).chain(c.exception.as_deref());
    for name in types.take(MAX_TYPES) {
        match name.rsplit_once('.') {
            Some((_, last)) => {
                terms.add(name, QUALIFIED_TYPE);
                terms.add(last, TYPE);
            }
            None => terms.add(name, TYPE),
        }
    }
    // A slow query's message is its statement: its words are SQL, not a description.
    let statement = sql.is_some() && is_sql(&c.message);
    if !statement {
        identifiers_in(&mut terms, &c.message);
    }
    for frame in &c.frames {
        let function = frame.function.as_str();
        if !(function.starts_with('<') || function.starts_with("__")) && function.len() >= 4 {
            match function.rsplit_once('.') {
                Some((class, method)) => {
                    terms.add(class, CLASS);
                    terms.add(method, FUNCTION);
                }
                None => terms.add(function, FUNCTION),
            }
        }
        let file = frame.file.rsplit(['/', '\\']).next().unwrap_or("");
        if file != "__init__.py" {
            terms.add(file, FILE);
        }
        if let Some(source) = &frame.source {
            for m in patterns().camel.find_iter(source) {
                terms.add(m.as_str(), camel_weight(m.as_str()));
            }
        }
    }
    if !statement {
        message_words(&mut terms, &normalize_message(&c.message, c.subject.as_deref()));
    }
    terms.list
}

fn is_sql(text: &str) -> bool {
    let verb = text.split_whitespace().next().unwrap_or("");
    ["SELECT", "UPDATE", "INSERT", "DELETE", "WITH"]
        .iter()
        .any(|v| verb.eq_ignore_ascii_case(v))
}

/// A subject with no space: an address, a module path or a symbol.
fn subject_terms(terms: &mut Terms, subject: &str) {
    let p = patterns();
    if let Some(caps) = p.address.captures(subject).filter(|c| {
        c.get(0).is_some_and(|m| m.len() == subject.len())
    }) {
        address_terms(terms, &caps);
    } else if p
        .dotted
        .find(subject)
        .is_some_and(|m| m.len() == subject.len())
    {
        module_terms(terms, subject);
        terms.add(subject, SUBJECT);
    } else {
        terms.add(subject, SUBJECT);
    }
}

fn address_terms(terms: &mut Terms, caps: &regex::Captures<'_>) {
    let (Some(all), Some(host), Some(port)) = (caps.get(0), caps.get(1), caps.get(2)) else {
        return;
    };
    terms.add(all.as_str(), ADDRESS);
    // A host named by a plain word (`redis`) says less than an address.
    let host_weight = match host.as_str().contains(['.', '-']) {
        true => HOST,
        false => HOST / 2.0,
    };
    terms.add(host.as_str(), host_weight);
    terms.add(port.as_str(), PORT);
}

fn module_terms(terms: &mut Terms, path: &str) {
    let parts = path.split('.').count();
    terms.add(path, if parts >= 3 { MODULE } else { SHORT_MODULE });
    if let Some((_, tail)) = path.rsplit_once('.') {
        if tail.contains('_') || tail.len() >= 8 {
            terms.add(tail, MODULE_TAIL);
        }
    }
}

/// Addresses, module paths, file names and CamelCase names written in `text`.
fn identifiers_in(terms: &mut Terms, text: &str) {
    let p = patterns();
    for caps in p.address.captures_iter(text) {
        address_terms(terms, &caps);
    }
    for m in p.file.find_iter(text) {
        terms.add(m.as_str(), FILE);
    }
    for m in p.dotted.find_iter(text) {
        let path = m.as_str();
        let is_file = p.file.find(path).is_some_and(|f| f.len() == path.len());
        if !is_file {
            module_terms(terms, path);
        }
    }
    for m in p.camel.find_iter(text) {
        terms.add(m.as_str(), camel_weight(m.as_str()));
    }
}

/// Longer CamelCase names are more specific: `UnifiedExecutionEngineFactory` more than
/// `WebSocket`.
fn camel_weight(name: &str) -> f64 {
    let humps = name.chars().filter(char::is_ascii_uppercase).count();
    (CLASS + 0.25 * humps.saturating_sub(2) as f64).min(CLASS_MAX)
}

/// The tables and qualified columns of a statement.
fn sql_terms(terms: &mut Terms, statement: &str) {
    let p = patterns();
    for caps in p.table.captures_iter(statement) {
        if let Some(table) = caps.get(1) {
            terms.add(table.as_str(), TABLE);
        }
    }
    let columns = p
        .column
        .find_iter(statement)
        .map(|m| m.as_str())
        .chain(words(statement).filter(|w| w.contains('_') && !w.starts_with('_')));
    for column in columns.take(MAX_COLUMNS) {
        terms.add(column, COLUMN);
    }
}

/// The longest literal phrase and the rare words of a normalized message.
fn message_words(terms: &mut Terms, normalized: &str) {
    // Placeholders (`<n>`, `'<str>'`) cut the message into literal runs.
    let mut best: Vec<&str> = Vec::new();
    for run in normalized.split(['<', '>', '\'', '"']) {
        let words: Vec<&str> = words(run).collect();
        if words.len() > best.len() {
            best = words;
        }
    }
    let rare = best.iter().filter(|w| is_rare_word(w)).count();
    let phrase = best.join(" ").to_lowercase();
    if best.len() >= 3 && rare >= 2 && phrase.len() >= 16 {
        terms.put(phrase.clone(), &best.join(" "), PHRASE, true);
    }
    let mut taken = 0;
    for word in words(normalized).filter(|w| is_rare_word(w)) {
        if taken == MAX_WORDS {
            break;
        }
        let before = terms.list.len();
        terms.add(word, WORD);
        taken += usize::from(terms.list.len() > before);
    }
}

/// The words of `text`: runs of letters, digits and `_` (`finished_at` is one word).
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// A word that may tell failures apart: four letters or more, not a number, not common.
fn is_rare_word(word: &&str) -> bool {
    word.chars().count() >= 4
        && word.chars().all(char::is_alphabetic)
        && !is_common(&word.to_lowercase())
}
