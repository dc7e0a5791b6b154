//! Hand-written known issues: `{"issues": [...]}` entries that name a category, and
//! optionally a `pattern` and a `service`, for each tracker issue.

use crate::category::{Categories, Category};
use crate::error::{regex_error, Error, Item, Result};
use crate::event::{Event, IssueMatch, IssueRef, MatchBy};
use crate::json_file::{self, Field, Kind, Unknown};
use regex::Regex;
use serde_json::Value;

/// The fields of an entry, checked before it is deserialized.
const FIELDS: [Field; 6] = [
    Field::required("id", Kind::Id),
    Field::required("title", Kind::Str),
    Field::optional("url", Kind::Str),
    Field::required("category", Kind::Str),
    Field::optional("pattern", Kind::Str),
    Field::optional("service", Kind::Str),
];

/// One entry of `issues` as written (after [`json_file::check_entry`], which turned a
/// numeric id into its digits).
#[derive(serde::Deserialize)]
struct Entry {
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

/// One validated entry with its matchers.
#[derive(Clone, Debug)]
pub(crate) struct Written {
    pub(crate) issue: IssueRef,
    pub(crate) category: Category,
    pattern: Option<Regex>,
    service: Option<String>,
    /// Where it was read: the file and its index there.
    pub(crate) origin: (String, usize),
}

impl Written {
    /// How many optional matchers the entry gives (its precedence).
    pub(crate) fn matchers(&self) -> usize {
        usize::from(self.pattern.is_some()) + usize::from(self.service.is_some())
    }

    /// The text the entry matched in `event` (nothing for an entry without a pattern), or
    /// `None` when it does not match.
    pub(crate) fn matches(&self, event: &Event) -> Option<Vec<String>> {
        let c = &event.classification;
        if self.category != c.category {
            return None;
        }
        if let Some(service) = &self.service {
            if event.service.as_deref() != Some(service.as_str()) {
                return None;
            }
        }
        let Some(re) = &self.pattern else {
            return Some(Vec::new());
        };
        let headline = c.headline();
        let found = re
            .find(&headline)
            .or_else(|| c.subject.as_deref().and_then(|s| re.find(s)))?;
        Some(vec![found.as_str().to_string()])
    }

    /// The link to the entry's issue, matched on `terms`.
    pub(crate) fn link(&self, terms: Vec<String>) -> IssueRef {
        IssueRef {
            matched: Some(IssueMatch {
                by: MatchBy::Pattern,
                score: None,
                terms,
            }),
            ..self.issue.clone()
        }
    }
}

/// The entries of a hand-written file's `issues` array, validated; `origin` names the file.
pub(crate) fn parse(
    entries: Vec<Value>,
    origin: &str,
    categories: &Categories,
) -> Result<Vec<Written>> {
    let mut written = Vec::with_capacity(entries.len());
    for (index, mut value) in entries.into_iter().enumerate() {
        let item_error = |reason: String| Error::Item {
            file: origin.to_string(),
            item: Item::Issue,
            index,
            reason,
        };
        json_file::check_entry(&mut value, "an issue", &FIELDS, Unknown::Reject)
            .map_err(item_error)?;
        let raw: Entry = serde_json::from_value(value).map_err(|e| item_error(e.to_string()))?;
        let id = raw.id.clone();
        let mut entry = validate(raw, categories).map_err(|reason| {
            // Name the entry by its id too: an index is hard to count in a long file.
            match id.trim() {
                "" => item_error(reason),
                id => item_error(format!("id {id:?}: {reason}")),
            }
        })?;
        entry.origin = (origin.to_string(), index);
        written.push(entry);
    }
    Ok(written)
}

/// Checks one entry; the error is the reason.
fn validate(raw: Entry, categories: &Categories) -> std::result::Result<Written, String> {
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
    Ok(Written {
        issue: IssueRef {
            url: raw.url,
            ..IssueRef::new(raw.id, raw.title)
        },
        category: Category::from(raw.category),
        pattern,
        service: raw.service,
        origin: (String::new(), 0),
    })
}
