//! A layout table's row as the NDJSON export of its lines (for the tests that read rows
//! newest first): an NDJSON row's own lines; a text row's lines as entries, one
//! `textPayload` entry per line, as Cloud Logging holds a tailed file. An entry's timestamp
//! is its line's own PostgreSQL time when it starts with one, else a microsecond after the
//! entry before it.

use serde_json::{json, Value};

/// A PostgreSQL line's own time (`2026-11-26 14:02:11.200 UTC`) as RFC 3339, to the
/// microsecond.
pub fn own_time(line: &str) -> Option<String> {
    let b = line.as_bytes();
    let shaped = b.len() >= 27
        && b.get(4) == Some(&b'-')
        && b.get(10) == Some(&b' ')
        && b.get(19) == Some(&b'.')
        && line.get(23..27) == Some(" UTC");
    shaped.then(|| format!("{}T{}000Z", &line[..10], &line[11..23]))
}

/// A microsecond after `ts` (`...HH:MM:SS.ffffffZ`).
pub fn after(ts: &str) -> String {
    let (head, frac) = ts.trim_end_matches('Z').rsplit_once('.').expect("fraction");
    let micros: u64 = frac.parse().expect("micros");
    assert!(micros < 999_999, "{ts}");
    format!("{head}.{:06}Z", micros + 1)
}

/// The row's entries, oldest first as given: NDJSON lines, or a text row's lines as entries.
pub fn entries(row: &Value) -> Vec<String> {
    let input = row["input"].as_str().expect("input");
    if row["format"] == "ndjson" {
        return input.lines().map(str::to_string).collect();
    }
    let mut last = "2026-11-26T14:00:00.000000Z".to_string();
    let name = row["name"].as_str().expect("name");
    input
        .lines()
        .enumerate()
        .map(|(i, line)| {
            last = own_time(line).unwrap_or_else(|| after(&last));
            json!({
                "insertId": format!("{name}-{i}"),
                "logName": "projects/netra-staging/logs/netra-db",
                "resource": {"type": "gce_instance", "labels": {"instance_id": "4711"}},
                "textPayload": line,
                "timestamp": last,
            })
            .to_string()
        })
        .collect()
}
