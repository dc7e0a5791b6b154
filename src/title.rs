//! Suggested titles for groups that no known issue tracks.

use crate::event::Event;
use crate::text::{cut_chars, without_log_prefix};

/// The longest suggested title, in chars.
const MAX_TITLE_CHARS: usize = 100;

/// A short title for a new issue, e.g.
/// `NameError: UnifiedExecutionEngineFactory undefined in smd.py _initialize_factory_patterns`.
///
/// The shape depends on the category: the symbol or module and where the app raised it, the
/// refused `host:port` and the client's exception, the slow statement and its duration;
/// otherwise `Type: message in file function`. At most 100 chars: the place is shortened,
/// then left out, before the title is cut (on a word, with `…`).
pub fn suggest_title(event: &Event) -> String {
    // The place where the app raised it goes first when the title is too long.
    let places = [where_raised(event, true), where_raised(event, false)];
    let mut title = String::new();
    for place in places.iter().map(String::as_str).chain([""]) {
        title = compose_title(event, place)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if title.chars().count() <= MAX_TITLE_CHARS {
            return title;
        }
    }
    let cut = cut_chars(&title, MAX_TITLE_CHARS - 1);
    // End on a word when one ends near the limit, rather than mid-word.
    let cut = match cut.rfind(' ') {
        Some(space) if space >= cut.len().saturating_sub(20) => cut.get(..space).unwrap_or(&cut),
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// The title before it is cut, with `place` (` in smd.py function`) where one fits.
fn compose_title(event: &Event, place: &str) -> String {
    let c = &event.classification;
    let exception = c.exception.as_deref();
    // The exception that surfaced names the client (`redis.exceptions.ConnectionError`), the
    // deciding one is often a bare `ConnectionRefusedError`.
    let surfaced = event
        .traceback
        .as_ref()
        .and_then(|tb| tb.chain.last())
        .map(|e| e.type_name.as_str())
        .or(exception);
    let subject = c.subject.as_deref();
    match (c.category.as_str(), subject) {
        ("undefined_symbol", Some(s)) => {
            format!("{}: {s} undefined{place}", exception.unwrap_or("Error"))
        }
        ("missing_module", Some(s)) => {
            format!("{}: {s} missing{place}", exception.unwrap_or("ImportError"))
        }
        ("connection_refused", _) => {
            let to = subject.map(|s| format!(" to {s}")).unwrap_or_default();
            match surfaced {
                Some(t) => format!("Connection refused{to} ({t})"),
                None => format!("Connection refused{to}: {}", c.message),
            }
        }
        ("slow_query", _) => match (&event.slow_query, subject, exception) {
            (Some(q), _, _) => format!(
                "Slow query ({:.0} ms): {}",
                q.duration_ms,
                subject.unwrap_or(&c.message)
            ),
            (None, Some(statement), _) => format!("Statement timeout: {statement}"),
            (None, None, Some(t)) => format!("Statement timeout ({t}){place}"),
            (None, None, None) => {
                format!("Statement timeout: {}", without_log_prefix(&c.message))
            }
        },
        ("timeout", Some(s)) => {
            format!("Timeout talking to {s} ({})", surfaced.unwrap_or("timeout"))
        }
        ("out_of_memory", _) => {
            // Cloud Run follows the fact with advice: the first sentence is the title.
            let fact = without_log_prefix(&c.message);
            let fact = fact.split(". ").next().unwrap_or("");
            let fact = fact.trim_end_matches('.');
            match &event.service {
                Some(service) => format!("Out of memory in {service}: {fact}"),
                None => format!("Out of memory: {fact}"),
            }
        }
        _ => match exception {
            Some(t) if c.message.is_empty() => format!("{t}{place}"),
            Some(t) => format!("{t}: {}{place}", c.message),
            None if c.message.trim().is_empty() => no_message(event),
            None => without_log_prefix(&c.message).to_string(),
        },
    }
}

/// A title for an entry that says nothing (a request log of a 500 with no payload).
fn no_message(event: &Event) -> String {
    let severity = format!("{:?}", event.severity).to_uppercase();
    match &event.service {
        Some(service) => format!("{severity} entry with no message in {service}"),
        None => format!("{severity} entry with no message"),
    }
}

/// ` in smd.py _initialize_factory_patterns` for the innermost in-app frame, or nothing.
fn where_raised(event: &Event, with_function: bool) -> String {
    let Some(frame) = event.classification.frames.last() else {
        return String::new();
    };
    let file = frame.file.rsplit(['/', '\\']).next().unwrap_or(&frame.file);
    if frame.function.is_empty() || !with_function {
        format!(" in {file}")
    } else {
        format!(" in {file} {}", frame.function)
    }
}
