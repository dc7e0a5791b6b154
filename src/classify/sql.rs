//! Slow-query subjects: a statement with its literals replaced, so one query with other
//! values is one group.

use crate::text::cut_chars;
use regex::Regex;
use std::sync::OnceLock;

/// Statements longer than this are cut.
const MAX_STATEMENT_CHARS: usize = 500;

/// A statement with its literals replaced by `?`: quoted strings, numbers and `$N`
/// parameters; an `IN (...)` list of them collapsed to `IN (?)`; whitespace collapsed; a
/// trailing `;` (MySQL's slow log ends every statement with one) dropped.
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
    let trimmed = out.trim_end().trim_end_matches(';').trim_end();
    let collapsed = in_list.replace_all(trimmed, "${1} (?)");
    cut_chars(&collapsed, MAX_STATEMENT_CHARS)
}
