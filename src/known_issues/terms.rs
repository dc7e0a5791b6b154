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
use std::collections::HashMap;

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
    "about",
    "above",
    "access",
    "after",
    "again",
    "against",
    "also",
    "another",
    "application",
    "args",
    "attempt",
    "available",
    "because",
    "been",
    "before",
    "being",
    "call",
    "called",
    "cannot",
    "cause",
    "caused",
    "client",
    "code",
    "connect",
    "connected",
    "connecting",
    "connection",
    "connections",
    "could",
    "database",
    "debug",
    "defined",
    "denied",
    "direct",
    "does",
    "done",
    "during",
    "errno",
    "error",
    "errors",
    "exception",
    "exceptions",
    "exit",
    "exited",
    "fail",
    "failed",
    "failing",
    "fails",
    "failure",
    "false",
    "file",
    "following",
    "found",
    "from",
    "handling",
    "have",
    "http",
    "https",
    "info",
    "instance",
    "internal",
    "invalid",
    "kwargs",
    "last",
    "line",
    "local",
    "main",
    "message",
    "missing",
    "module",
    "most",
    "name",
    "named",
    "none",
    "null",
    "occurred",
    "packages",
    "python",
    "raise",
    "raised",
    "recent",
    "refused",
    "request",
    "requests",
    "response",
    "retry",
    "return",
    "returned",
    "self",
    "server",
    "service",
    "should",
    "site",
    "some",
    "status",
    "than",
    "that",
    "their",
    "them",
    "then",
    "there",
    "this",
    "timed",
    "timeout",
    "traceback",
    "true",
    "type",
    "unable",
    "unknown",
    "value",
    "warning",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "without",
    "would",
    "your",
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

/// The raw tokens of `text`: runs of letters, digits and `_ . : / -`, trimmed of
/// `. : / -` at their ends (as an issue's tokens are, before their case is folded).
fn raw_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-')))
        .map(trim_token)
        .filter(|t| !t.is_empty())
}

/// `name` is a Python identifier in ASCII: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `a.b.C`: two identifiers or more between dots.
fn is_dotted(token: &str) -> bool {
    token.contains('.') && token.split('.').all(is_identifier)
}

/// A CamelCase name of two humps or more: `WebSocket`, `UnifiedExecutionEngineFactory`.
fn is_camel(token: &str) -> bool {
    let starts_upper = token.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    let humps = token.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = token.bytes().any(|b| b.is_ascii_lowercase());
    starts_upper
        && humps >= 2
        && lower
        && token.bytes().all(|b| b.is_ascii_alphanumeric())
        // `HTTPError` and `ERROR` are shouted words, not names of two humps.
        && !token.as_bytes().windows(2).all(|w| w[0].is_ascii_uppercase() || !w[1].is_ascii_uppercase())
}

/// A source file's name: `smd.py`.
fn is_file(token: &str) -> bool {
    match token.rsplit_once('.') {
        Some((stem, ext)) => {
            ["py", "pyx", "js", "ts", "go", "rb", "java"].contains(&ext)
                && !stem.is_empty()
                && stem
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        None => false,
    }
}

/// `host:port`: an IPv4 address or a host name, and a port of 2 to 5 digits.
fn address(token: &str) -> Option<(&str, &str)> {
    let (host, port) = token.rsplit_once(':')?;
    let port_ok = (2..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit());
    let ipv4 = host.split('.').count() == 4
        && host
            .split('.')
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let name = host.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    (port_ok && (ipv4 || name)).then_some((host, port))
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
    let types = chain
        .map(|e| e.type_name.as_str())
        .chain(c.exception.as_deref());
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
            for token in raw_tokens(source).filter(|t| is_camel(t)) {
                terms.add(token, camel_weight(token));
            }
        }
    }
    if !statement {
        message_words(
            &mut terms,
            &normalize_message(&c.message, c.subject.as_deref()),
        );
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
    if let Some((host, port)) = address(subject) {
        address_terms(terms, subject, host, port);
    } else if is_dotted(subject) {
        module_terms(terms, subject);
        terms.add(subject, SUBJECT);
    } else {
        terms.add(subject, SUBJECT);
    }
}

fn address_terms(terms: &mut Terms, all: &str, host: &str, port: &str) {
    terms.add(all, ADDRESS);
    // A host named by a plain word (`redis`) says less than an address.
    let host_weight = match host.contains(['.', '-']) {
        true => HOST,
        false => HOST / 2.0,
    };
    terms.add(host, host_weight);
    terms.add(port, PORT);
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
    for token in raw_tokens(text) {
        if let Some((host, port)) = address(token) {
            address_terms(terms, token, host, port);
            continue;
        }
        for piece in token.split(['/', ':']).map(trim_token) {
            if is_file(piece) {
                terms.add(piece, FILE);
            } else if is_dotted(piece) {
                module_terms(terms, piece);
            } else if is_camel(piece) {
                terms.add(piece, camel_weight(piece));
            }
        }
    }
}

/// Longer CamelCase names are more specific: `UnifiedExecutionEngineFactory` more than
/// `WebSocket`.
fn camel_weight(name: &str) -> f64 {
    let humps = name.chars().filter(char::is_ascii_uppercase).count();
    (CLASS + 0.25 * humps.saturating_sub(2) as f64).min(CLASS_MAX)
}

/// The tables and columns of a statement: the word after `FROM`, `JOIN`, `UPDATE` and
/// `INTO`; qualified columns (`threads.user_id`); names with an underscore (`finished_at`).
fn sql_terms(terms: &mut Terms, statement: &str) {
    let mut after_keyword = false;
    let mut columns = 0;
    for token in raw_tokens(statement) {
        let token = token.trim_matches('"');
        if after_keyword && is_identifier(token.split('.').next_back().unwrap_or("")) {
            terms.add(token, TABLE);
        }
        after_keyword = ["FROM", "JOIN", "UPDATE", "INTO"]
            .iter()
            .any(|k| token.eq_ignore_ascii_case(k));
        let column = (is_dotted(token) && token.split('.').count() == 2)
            || (token.contains('_') && !token.starts_with('_') && is_identifier(token));
        if column && columns < MAX_COLUMNS && !after_keyword {
            terms.add(token, COLUMN);
            columns += 1;
        }
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
    for word in words(normalized).filter(is_rare_word) {
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
