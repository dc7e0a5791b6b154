//! Small text helpers the stages share: cutting to a number of characters, the first line,
//! and a log record's words without the prefixes loggers put before them.

use crate::entry::{after_viewer_prefix, level_word, Severity};
use regex::Regex;
use std::sync::OnceLock;

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

/// Whether `line`, after a log record's `header` line, reads as more of that record's
/// message rather than a record of its own: behind the same viewer prefix as the header
/// (`backend-1  | `, digits may differ), not blank, not indented (a traceback's lines are),
/// and no timestamp, bracket, brace or level word in front, as a record's first line has.
/// celery logs `consumer: Cannot connect to ...` and `Trying again in 4.00 seconds...` as
/// one record, its traceback after them.
pub(crate) fn continues_record(header: &str, line: &str) -> bool {
    let (header_prefix, _) = split_viewer_prefix(header);
    let (prefix, rest) = split_viewer_prefix(line);
    let shape = |s: &str| {
        s.bytes()
            .filter(|b| !b.is_ascii_digit())
            .collect::<Vec<u8>>()
    };
    let t = rest.trim_end();
    shape(header_prefix) == shape(prefix)
        && !t.is_empty()
        && !t.starts_with(|c: char| {
            c.is_whitespace() || c.is_ascii_digit() || matches!(c, '[' | '{' | '<' | '"' | '|')
        })
        && level_word(t) == Severity::Default
}

/// `text` as its viewer's prefix (empty when it has none) and the rest.
fn split_viewer_prefix(text: &str) -> (&str, &str) {
    match after_viewer_prefix(text) {
        Some(rest) => (text.get(..text.len() - rest.len()).unwrap_or(""), rest),
        None => ("", text),
    }
}
