//! An owned entry's saved form: every field of an [`Entry`], by name, as a partial report
//! keeps the entries a traceback read newest first still holds at its shard's end. (An
//! entry's own serde reads a Cloud Logging `LogEntry`, which this is not.)

use super::{Entry, HttpRequest, Severity};
use std::borrow::Cow;

/// An [`Entry`]'s fields, owned.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    line: u64,
    insert_id: Option<String>,
    timestamp: Option<String>,
    severity: Severity,
    log_name: Option<String>,
    resource_type: Option<String>,
    resource_labels: Vec<(String, String)>,
    instance_id: Option<String>,
    pod_template_hash: Option<String>,
    text_payload: Option<String>,
    json_strings: Vec<(String, String)>,
    duration_ms: Option<f64>,
    trace: Option<String>,
    text_service: Option<String>,
    http_request: Option<SavedRequest>,
    status_message: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedRequest {
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
    latency_ms: Option<f64>,
}

fn text(s: &Option<Cow<'_, str>>) -> Option<String> {
    s.as_deref().map(str::to_string)
}

fn pairs(v: &[(Cow<'_, str>, Cow<'_, str>)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn cow(s: Option<String>) -> Option<Cow<'static, str>> {
    s.map(Cow::Owned)
}

fn cows(v: Vec<(String, String)>) -> Vec<(Cow<'static, str>, Cow<'static, str>)> {
    v.into_iter()
        .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
        .collect()
}

/// Serializes `entry` field by field (`#[serde(with = "crate::entry::saved")]`).
pub(crate) fn serialize<S: serde::Serializer>(entry: &Entry<'_>, s: S) -> Result<S::Ok, S::Error> {
    // Destructured whole: a new field of `Entry` must be saved too.
    let Entry {
        line,
        insert_id,
        timestamp,
        severity,
        log_name,
        resource_type,
        resource_labels,
        instance_id,
        pod_template_hash,
        text_payload,
        json_strings,
        duration_ms,
        trace,
        text_service,
        http_request,
        status_message,
    } = entry;
    let saved = Saved {
        line: *line,
        insert_id: text(insert_id),
        timestamp: text(timestamp),
        severity: *severity,
        log_name: text(log_name),
        resource_type: text(resource_type),
        resource_labels: pairs(resource_labels),
        instance_id: text(instance_id),
        pod_template_hash: text(pod_template_hash),
        text_payload: text(text_payload),
        json_strings: pairs(json_strings),
        duration_ms: *duration_ms,
        trace: text(trace),
        text_service: text(text_service),
        http_request: http_request.as_ref().map(|r| SavedRequest {
            method: text(&r.method),
            url: text(&r.url),
            status: r.status,
            latency_ms: r.latency_ms,
        }),
        status_message: text(status_message),
    };
    serde::Serialize::serialize(&saved, s)
}

/// Reads an entry [`serialize`] saved.
pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Entry<'static>, D::Error> {
    let s: Saved = serde::Deserialize::deserialize(d)?;
    Ok(Entry {
        line: s.line,
        insert_id: cow(s.insert_id),
        timestamp: cow(s.timestamp),
        severity: s.severity,
        log_name: cow(s.log_name),
        resource_type: cow(s.resource_type),
        resource_labels: cows(s.resource_labels),
        instance_id: cow(s.instance_id),
        pod_template_hash: cow(s.pod_template_hash),
        text_payload: cow(s.text_payload),
        json_strings: cows(s.json_strings),
        duration_ms: s.duration_ms,
        trace: cow(s.trace),
        text_service: cow(s.text_service),
        http_request: s.http_request.map(|r| HttpRequest {
            method: cow(r.method),
            url: cow(r.url),
            status: r.status,
            latency_ms: r.latency_ms,
        }),
        status_message: cow(s.status_message),
    })
}
