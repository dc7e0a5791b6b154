//! Platform messages: Cloud Run's and the servers' own words about a dying instance or a
//! refused request. An entry whose message matches a row is an event of kind
//! [`crate::EventKind::Platform`], a symptom, whatever its severity.
//!
//! The rows are rules data: the built-in ones are the `platform` array of `src/rules.json`,
//! and a rules file may add rows or replace one by its id (format in [`crate::reference`]
//! and the `classify` module's docs). A row of kind `exit` says an instance (or a worker)
//! died; a row of kind `refusal` says the platform refused or cut a request.

use crate::error::{regex_error, Error, Item, Result};
use memchr::memmem::Finder;
use regex::Regex;
use std::sync::{Arc, OnceLock};

/// What a platform message says happened.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PlatformKind {
    /// An instance, container or worker died, or never started.
    Exit,
    /// The platform refused, aborted or cut a request.
    Refusal,
}

/// The platform message an event's text matched: the row's id and kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct PlatformMessage {
    /// The row's id, e.g. `container_exit`.
    pub id: String,
    /// What the message says happened.
    pub kind: PlatformKind,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Row {
    /// A snake_case id, e.g. `container_exit`.
    pub(crate) id: String,
    pub(crate) kind: PlatformKind,
    /// A regex over the entry's message.
    pub(crate) pattern: String,
    /// A few words for a report line, e.g. `no available instance`.
    #[serde(default)]
    pub(crate) title: Option<String>,
    /// A literal that every matching message holds, which the prefilter then searches for:
    /// needed for a message that may be logged below `ERROR`.
    #[serde(default)]
    pub(crate) literal: Option<String>,
}

impl Row {
    /// What an event that matched this row records.
    pub(crate) fn message(&self) -> PlatformMessage {
        PlatformMessage {
            id: self.id.clone(),
            kind: self.kind,
        }
    }

    /// The row's title, or its id in words.
    pub(crate) fn title(&self) -> String {
        self.title
            .clone()
            .unwrap_or_else(|| self.id.replace('_', " "))
    }
}

/// A row with what makes matching it cheap: the literal its pattern starts with, searched
/// first, and its regex, compiled the first time that literal is found. A run whose logs
/// hold no platform message compiles none: a `RegexSet` of the rows, compiled on the first
/// candidate entry, was 12% of the instructions of a run over 32 MiB with 2% failures; one
/// aho-corasick automaton of the literals cost more to build, or to search overlapping, than
/// a `memmem` search per row.
#[derive(Debug)]
struct Compiled {
    row: Row,
    gate: Option<Finder<'static>>,
    regex: OnceLock<Option<Regex>>,
}

impl Compiled {
    fn new(row: Row) -> Self {
        let gate = literal_prefix(&row.pattern)
            .filter(|p| p.len() >= 4)
            .map(|p| Finder::new(p.as_bytes()).into_owned());
        Compiled {
            row,
            gate,
            regex: OnceLock::new(),
        }
    }

    fn matches(&self, message: &str) -> bool {
        if let Some(gate) = &self.gate {
            if gate.find(message.as_bytes()).is_none() {
                return false;
            }
        }
        self.regex
            .get_or_init(|| Regex::new(&self.row.pattern).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(message))
    }
}

/// The literal every match of `pattern` starts with: its characters up to the first that
/// is not a plain one (an escaped punctuation character counts as plain); none when the
/// pattern has an alternation outside a group.
fn literal_prefix(pattern: &str) -> Option<String> {
    let mut depth = 0i32;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '(' => depth += 1,
            ')' => depth -= 1,
            '|' if depth == 0 => return None,
            _ => {}
        }
    }
    let mut prefix = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let plain = match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_punctuation() => e,
                _ => break,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => break,
            c => c,
        };
        // A quantifier makes the character before it optional.
        if matches!(chars.peek(), Some('?' | '*' | '{')) {
            break;
        }
        prefix.push(plain);
    }
    Some(prefix)
}

/// The rows in match order (a rules file's first, then the built-in ones), shared by clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct PlatformTable {
    rows: Arc<Vec<Compiled>>,
}

impl PlatformTable {
    /// The first row (in match order) whose pattern matches `message`.
    pub(crate) fn find(&self, message: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.matches(message))
            .map(|r| &r.row)
    }

    /// The rows' literals, for the prefilter.
    pub(crate) fn literals(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().filter_map(|r| r.row.literal.as_deref())
    }

    /// The table with `rows` (a rules file's `platform` array, from `origin`) added: a row
    /// with a new id goes before the rows there were, a row with a known id replaces that
    /// row in its place. With `now`, checked and compiled at once: a bad row is an error
    /// naming the file and the row's index; without (the built-in rows, which a unit test
    /// compiles), compiled on first use.
    pub(crate) fn with_rows(
        &self,
        rows: Vec<serde_json::Value>,
        origin: &str,
        now: bool,
    ) -> Result<Self> {
        let mut table: Vec<Row> = self.rows.iter().map(|r| r.row.clone()).collect();
        let mut added = Vec::new();
        for (index, value) in rows.into_iter().enumerate() {
            let error = |reason: String| Error::Item {
                file: origin.to_string(),
                item: Item::Platform,
                index,
                reason,
            };
            let row: Row = serde_json::from_value(value).map_err(|e| error(e.to_string()))?;
            check_row(&row, now).map_err(error)?;
            match table.iter_mut().find(|r| r.id == row.id) {
                Some(slot) => *slot = row,
                None => added.push(row),
            }
        }
        added.extend(table);
        Ok(PlatformTable {
            rows: Arc::new(added.into_iter().map(Compiled::new).collect()),
        })
    }
}

/// A row's id must be snake_case, its pattern a regex, its literal not empty.
fn check_row(row: &Row, compile: bool) -> std::result::Result<(), String> {
    let mut chars = row.id.chars();
    let snake = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake {
        return Err(format!(
            "id must be snake_case ([a-z][a-z0-9_]*), not {:?}",
            row.id
        ));
    }
    if let Err(e) = compile.then(|| regex::Regex::new(&row.pattern)).transpose() {
        return Err(format!(
            "pattern {:?} is not a valid regex: {}",
            row.pattern,
            regex_error(&e)
        ));
    }
    if row.literal.as_deref() == Some("") {
        return Err("literal must not be empty".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes() {
        let rows: &[(&str, Option<&str>)] = &[
            (
                r"Container called exit\(-?0*[1-9][0-9]*\)\.",
                Some("Container called exit("),
            ),
            (
                r"Shutting down: Master(?:\.2)?",
                Some("Shutting down: Master"),
            ),
            (r"abc?d", Some("ab")),
            (r"(?i)refused", Some("")),
            (r"a|b", None),
            (r"(a|b)c", Some("")),
            (r"\bword", Some("")),
        ];
        for (pattern, want) in rows {
            assert_eq!(literal_prefix(pattern).as_deref(), *want, "{pattern}");
        }
    }

    #[test]
    fn the_built_in_rows_compile() {
        let table = crate::classify::Classifier::builtin().platform().clone();
        let rows: Vec<serde_json::Value> = Vec::new();
        let checked = table
            .with_rows(rows, "<builtin>", true)
            .expect("built-in rows compile");
        for r in checked.rows.iter() {
            check_row(&r.row, true).expect("a valid row");
            let gate = literal_prefix(&r.row.pattern).unwrap_or_default();
            assert!(gate.len() >= 4, "{}: no literal to search first", r.row.id);
        }
        assert_eq!(
            checked
                .find("Container called exit(1).")
                .map(|r| r.id.as_str()),
            Some("container_exit")
        );
        assert!(checked.find("Container called exit(0).").is_none());
    }
}
