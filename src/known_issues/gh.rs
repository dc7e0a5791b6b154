//! A tracker's own export: the JSON array that
//! `gh issue list --state all --limit 1000 --json number,title,url,state,labels,body` prints.
//!
//! Each element is an object with `number` (an integer) and `title`, and optionally `url`,
//! `state` (`OPEN` or `CLOSED`), `labels` (objects) and `body` (Markdown, `""` when empty).
//! Other fields are ignored: `--json` may have asked for more. Such issues name no category
//! and no pattern; they are linked by the text they share with a group.

use crate::error::{Error, Item, Result};
use crate::event::{IssueRef, IssueState};
use crate::json_file::{self, Field, Kind, Unknown};
use serde_json::Value;

/// The fields read; any other is ignored.
const FIELDS: [Field; 6] = [
    Field::required("number", Kind::Count),
    Field::required("title", Kind::Str),
    Field::optional("url", Kind::Str),
    Field::optional("state", Kind::Str),
    Field::optional("labels", Kind::Objects),
    Field::optional("body", Kind::Str),
];

/// One element as gh writes it (after [`json_file::check_entry`]).
#[derive(serde::Deserialize)]
struct Entry {
    number: u32,
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

/// An issue of a tracker's export.
#[derive(Clone, Debug)]
pub(crate) struct TrackerIssue {
    /// Its link: `#number` as the id, title, url and state; no match yet.
    pub(crate) issue: IssueRef,
    /// The Markdown body (empty when it has none).
    pub(crate) body: String,
}

/// Whether a top-level array is gh's output: it is empty, or its first element has a
/// `number`. (An array of hand-written entries, missing their `{"issues": ...}`, is not.)
pub(crate) fn is_export(entries: &[Value]) -> bool {
    entries
        .first()
        .is_none_or(|first| first.get("number").is_some())
}

/// The issues of an export, in file order; `origin` names the file in errors.
pub(crate) fn parse(entries: Vec<Value>, origin: &str) -> Result<Vec<TrackerIssue>> {
    let mut issues = Vec::with_capacity(entries.len());
    for (index, mut value) in entries.into_iter().enumerate() {
        let number = value.get("number").and_then(Value::as_u64);
        let item_error = |reason: String| Error::Item {
            file: origin.to_string(),
            item: Item::Issue,
            index,
            reason: match number {
                Some(n) => format!("#{n}: {reason}"),
                None => reason,
            },
        };
        json_file::check_entry(
            &mut value,
            "an issue as gh issue list --json writes it",
            &FIELDS,
            Unknown::Ignore,
        )
        .map_err(item_error)?;
        let raw: Entry = serde_json::from_value(value).map_err(|e| item_error(e.to_string()))?;
        if raw.title.trim().is_empty() {
            return Err(item_error("field `title` is empty".to_string()));
        }
        let state = match raw.state.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None => None,
            Some("OPEN") => Some(IssueState::Open),
            Some("CLOSED") => Some(IssueState::Closed),
            Some(_) => {
                return Err(item_error(format!(
                    "field `state` must be \"OPEN\" or \"CLOSED\", found {:?}",
                    raw.state.unwrap_or_default()
                )))
            }
        };
        issues.push(TrackerIssue {
            issue: IssueRef {
                url: raw.url.filter(|u| !u.trim().is_empty()),
                state,
                ..IssueRef::new(raw.number.to_string(), raw.title)
            },
            body: raw.body.unwrap_or_default(),
        });
    }
    Ok(issues)
}
