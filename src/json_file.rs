//! The JSON files a user writes or exports (known issues, rules): read as a JSON value first,
//! then checked against their documented shape, so that an error speaks the file's words
//! (`expected an object with an "issues" array, found an array`, ``missing field `title` ``)
//! instead of the deserializer's (`invalid type: sequence, expected struct IssuesFile`).

use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// What a field must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// A string, or a whole number >= 0 that is read as its decimal digits (an issue number).
    Id,
    /// `true` or `false`.
    Bool,
    /// A whole number from 0 to `u32::MAX`.
    Count,
    /// An array of strings.
    Strings,
    /// An array of objects.
    Objects,
}

/// One field an entry may hold.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
}

impl Field {
    /// A field the entry must have.
    pub(crate) const fn required(name: &'static str, kind: Kind) -> Self {
        Field {
            name,
            kind,
            required: true,
        }
    }

    /// A field the entry may leave out (or give as `null`).
    pub(crate) const fn optional(name: &'static str, kind: Kind) -> Self {
        Field {
            name,
            kind,
            required: false,
        }
    }
}

/// What an entry does with a field it does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// An error: a typo in a hand-written file (`patern`) must not go unnoticed.
    Reject,
    /// Ignored: an export may hold more fields than were asked for.
    Ignore,
}

/// Parses `json`; a syntax error names the file, line and column.
pub(crate) fn parse(json: &str, file: &str) -> Result<Value> {
    serde_json::from_str(json).map_err(|e| Error::json(file, &e))
}

/// The error about the shape of the whole file: placed where its top-level value starts.
pub(crate) fn file_error(json: &str, file: &str, reason: String) -> Error {
    let start = json
        .find(|c: char| !c.is_whitespace() && c != '\u{feff}')
        .unwrap_or(0);
    let before = json.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before.get(nl + 1..).unwrap_or("").chars().count()
    }) + 1;
    Error::File {
        file: file.to_string(),
        line,
        column,
        reason,
    }
}

/// A value as a person names it: `an object`, `an array`, `a string ("903")`, `a number
/// (-1)`, `true`, `null`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let more = if shown.len() < s.len() { "…" } else { "" };
            format!("a string ({shown:?}{more})")
        }
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// The entries of a file that must be `{"KEY": [...]}` and nothing else; the error is the
/// reason, in the file's words.
pub(crate) fn top_array(value: Value, key: &str) -> std::result::Result<Vec<Value>, String> {
    let expected = format!("expected an object with an {key:?} array");
    let Value::Object(mut top) = value else {
        return Err(format!("{expected}, found {}", describe(&value)));
    };
    if let Some(other) = top.keys().find(|k| k.as_str() != key) {
        return Err(format!(
            "unknown field `{other}` ({expected} and nothing else)"
        ));
    }
    match top.remove(key) {
        Some(Value::Array(entries)) => Ok(entries),
        Some(other) => Err(format!(
            "`{key}` must be an array, found {}",
            describe(&other)
        )),
        None => Err(format!("missing field `{key}` ({expected})")),
    }
}

/// The arrays of `keys` in an object that holds at least one of them and nothing else (an
/// absent one is empty): a rules file's `categories` and `platform`.
pub(crate) fn top_arrays<const N: usize>(
    value: Value,
    keys: [&str; N],
) -> std::result::Result<[Vec<Value>; N], String> {
    let names: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    let expected = format!("expected an object with a {} array", names.join(" or "));
    let Value::Object(mut top) = value else {
        return Err(format!("{expected}, found {}", describe(&value)));
    };
    if let Some(other) = top.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(format!(
            "unknown field `{other}` ({expected} and nothing else)"
        ));
    }
    if top.is_empty() {
        return Err(format!("missing field `{}` ({expected})", keys[0]));
    }
    let mut out: [Vec<Value>; N] = std::array::from_fn(|_| Vec::new());
    for (key, slot) in keys.iter().zip(out.iter_mut()) {
        match top.remove(*key) {
            Some(Value::Array(entries)) => *slot = entries,
            Some(other) => {
                return Err(format!(
                    "`{key}` must be an array, found {}",
                    describe(&other)
                ))
            }
            None => {}
        }
    }
    Ok(out)
}

/// Checks that `value` is an object whose fields are `fields`, each of its kind, with the
/// required ones; an [`Kind::Id`] given as a number becomes its digits. `what` names the
/// entry (`an issue`). The error is the reason, in the file's words.
pub(crate) fn check_entry(
    value: &mut Value,
    what: &str,
    fields: &[Field],
    unknown: Unknown,
) -> std::result::Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "expected {what} (an object), found {}",
            describe(value)
        ));
    };
    if unknown == Unknown::Reject {
        if let Some(other) = map.keys().find(|k| !fields.iter().any(|f| f.name == *k)) {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            return Err(format!(
                "unknown field `{other}` (the fields are {})",
                names.join(", ")
            ));
        }
    }
    for field in fields {
        check_field(map, field)?;
    }
    Ok(())
}

fn check_field(map: &mut Map<String, Value>, field: &Field) -> std::result::Result<(), String> {
    let name = field.name;
    if !field.required && map.get(name).is_none_or(Value::is_null) {
        // `null` is as good as leaving it out, for the deserializer too.
        map.remove(name);
        return Ok(());
    }
    let Some(value) = map.get_mut(name) else {
        return Err(format!("missing field `{name}`"));
    };
    let ok = match (field.kind, &*value) {
        (Kind::Str | Kind::Id, Value::String(_)) | (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Id, Value::Number(n)) => match n.as_u64() {
            Some(n) => {
                *value = Value::String(n.to_string());
                true
            }
            None => false,
        },
        (Kind::Count, Value::Number(n)) => n.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
        (Kind::Strings, Value::Array(items)) => {
            if let Some((i, bad)) = items.iter().enumerate().find(|(_, v)| !v.is_string()) {
                return Err(format!(
                    "field `{name}`: item {i} must be a string, found {}",
                    describe(bad)
                ));
            }
            true
        }
        (Kind::Objects, Value::Array(items)) => {
            if let Some((i, bad)) = items.iter().enumerate().find(|(_, v)| !v.is_object()) {
                return Err(format!(
                    "field `{name}`: item {i} must be an object, found {}",
                    describe(bad)
                ));
            }
            true
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let wanted = match field.kind {
        Kind::Str => "a string",
        Kind::Id => "a string or a whole number",
        Kind::Bool => "true or false",
        Kind::Count => "a whole number from 0 to 4294967295",
        Kind::Strings => "an array of strings",
        Kind::Objects => "an array of objects",
    };
    Err(format!(
        "field `{name}` must be {wanted}, found {}",
        describe(value)
    ))
}
