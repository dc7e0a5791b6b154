//! What one entry holds on its own: a traceback whole in one of its strings (or folded
//! into one line), a failed request, an out-of-memory report, a slow query, a platform
//! message or an error-level message.

use super::model::{Event, EventKind, Request};
use super::slow::slow_query;
use crate::entry::Entry;
use crate::platform::PlatformTable;
use crate::traceback;
use memchr::memmem::Finder;

/// The event of an entry that holds no traceback: a failed request, out of memory, a slow
/// query (of at least `slow_ms`), a platform message of `platform`, or an error-level
/// message. Failed requests and platform messages start only at a `candidate` (see
/// `Assembler::push_entry`).
pub(super) fn event_of(
    entry: &Entry<'_>,
    candidate: bool,
    slow_ms: f64,
    platform: &PlatformTable,
) -> Option<Event> {
    let text = entry
        .message()
        .or_else(|| entry.json_strings.first().map(|(_, v)| v.as_ref()))
        .unwrap_or("");
    if candidate {
        if let Some(event) = request_event(entry, text, platform) {
            return Some(event);
        }
    }
    if is_out_of_memory(text) {
        let mut event = Event::at(EventKind::OutOfMemory, entry);
        event.text = text.trim_end().to_string();
        return Some(event);
    }
    if let Some(slow) = slow_query(entry, text).filter(|q| q.duration_ms >= slow_ms) {
        let mut event = Event::at(EventKind::SlowQuery, entry);
        event.text = text.trim_end().to_string();
        event.slow_query = Some(slow);
        return Some(event);
    }
    if let Some(row) = candidate.then(|| platform.find(text)).flatten() {
        let mut event = Event::at(EventKind::Platform, entry);
        event.text = text.trim_end().to_string();
        event.platform = Some(row.message());
        event.request = entry.http_request.as_ref().map(|r| {
            Request::new(
                r.method.as_deref(),
                r.url.as_deref().unwrap_or(""),
                r.status,
                r.latency_ms,
            )
        });
        return Some(event);
    }
    let severity = entry.level();
    if severity.is_error() {
        let mut event = Event::at(EventKind::Severity, entry);
        event.severity = severity;
        event.text = text.trim_end().to_string();
        return Some(event);
    }
    None
}

/// A failed request: a request log entry with a status of 500 or more. Its text is the
/// request's headline (with the platform's reason when its message is a refusal), then the
/// entry's own message.
fn request_event(entry: &Entry<'_>, text: &str, platform: &PlatformTable) -> Option<Event> {
    let r = entry.http_request.as_ref()?;
    let status = r.status.filter(|s| *s >= 500)?;
    let request = Request::new(
        r.method.as_deref(),
        r.url.as_deref().unwrap_or(""),
        Some(status),
        r.latency_ms,
    );
    let mut event = Event::at(EventKind::Request, entry);
    let text = text.trim_end();
    let row = match text.is_empty() {
        true => None,
        false => platform.find(text),
    };
    event.text = request.headline();
    if let Some(row) = row {
        event.text.push_str(&format!(" ({})", row.title()));
        event.platform = Some(row.message());
    }
    if !text.is_empty() {
        event.text.push('\n');
        event.text.push_str(text);
    }
    event.request = Some(request);
    Some(event)
}

/// A header event continued by `entry`'s traceback.
pub(super) fn join(mut header: Event, entry: &Entry<'_>) -> Event {
    header
        .insert_ids
        .extend(entry.insert_id.iter().map(|s| s.to_string()));
    header.severity = header.severity.max(entry.level());
    header
}

/// The text of a traceback held whole in one entry: a string that spans lines and has a
/// traceback start in it. From a field other than the message, the message goes first (it
/// is the log record's header line).
pub(super) fn whole_traceback(entry: &Entry<'_>) -> Option<String> {
    let strings = entry.text_payload.iter().map(|s| ("", s.as_ref())).chain(
        entry
            .json_strings
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref())),
    );
    for (key, value) in strings {
        if !holds_traceback(value) {
            continue;
        }
        if key.is_empty() || key == "message" {
            return Some(value.to_string());
        }
        return Some(match entry.message().filter(|m| !m.trim().is_empty()) {
            Some(header) => format!("{}\n{}", header.trim_end(), value),
            None => value.to_string(),
        });
    }
    // A traceback inside a one-line message: flattened, or escaped in a JSON document.
    entry
        .message()
        .filter(|m| !m.trim_end().contains('\n'))
        .and_then(traceback::unfold)
}

fn holds_traceback(value: &str) -> bool {
    let bytes = value.as_bytes();
    value.trim_end().contains('\n')
        && (finder!("Traceback (most recent call last):")
            .find(bytes)
            .is_some()
            || finder!("File \"").find(bytes).is_some())
        && traceback::has_start(value)
}

/// Cloud Run's `Memory limit of 512 MiB exceeded with 519 MiB used`, a kernel
/// `Out of memory: Killed process 1234 (python)`, a container's `OOMKilled` status.
fn is_out_of_memory(text: &str) -> bool {
    let has = |f: &Finder<'_>| f.find(text.as_bytes()).is_some();
    (has(finder!("Memory limit of ")) && has(finder!(" exceeded with ")))
        || has(finder!("Out of memory: Killed process"))
        || has(finder!("OOMKilled"))
}
