//! Database events that span several entries (`fixtures/layouts/messages.jsonl`, classes 6
//! and 10: a PostgreSQL error and its `DETAIL`/`STATEMENT` lines, a statement and its later
//! duration, a MySQL slow-log block one line per entry, a `csvlog` record over several
//! lines) are the same events whether a stream's entries come oldest first or newest first
//! (`gcloud logging read`'s default): same count, categories, subjects, texts, services,
//! first and last seen. One row per layout: the row's entries as given, then newest first.
//!
//! A text row becomes the NDJSON export of the same lines (one `textPayload` entry per line,
//! as Cloud Logging holds a tailed file): plain text is read as written, an export is what
//! comes newest first. An entry's timestamp is its line's own PostgreSQL time when it starts
//! with one, else a microsecond after the entry before it.

mod support;

use logtriage::{Event, FnSink, TriageBuilder};
use serde_json::Value;
use support::export::entries;

fn rows() -> Vec<Value> {
    support::layout_rows("messages")
}

/// What an event must be in both orders: category, subject, text, service, timestamp.
type Seen = (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

fn run(lines: &[String], threads: usize) -> Vec<Seen> {
    let input = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let triage = TriageBuilder::new()
        .threads(threads)
        .block_bytes(256)
        .build()
        .expect("build");
    let mut events: Vec<Event> = Vec::new();
    let mut sink = FnSink(|ev: &Event| {
        events.push(ev.clone());
        Ok(true)
    });
    triage.run_slice(input.as_bytes(), &mut sink).expect("run");
    let mut seen: Vec<Seen> = events
        .iter()
        .map(|e| {
            (
                e.classification.category.to_string(),
                e.classification.subject.clone(),
                e.text.clone(),
                e.service.clone(),
                e.timestamp.clone(),
            )
        })
        .collect();
    seen.sort();
    seen
}

/// The rows of classes 6 and 10 and every other row with database entries in several
/// entries of one stream.
fn database_rows() -> Vec<Value> {
    rows()
        .into_iter()
        .filter(|r| {
            let class = r["class"].as_u64();
            let input = r["input"].as_str().unwrap_or("");
            class == Some(6)
                || class == Some(10)
                || (r["format"] == "ndjson"
                    && input.lines().count() > 1
                    && (input.contains("cloudsql.googleapis.com") || input.contains("LOG:  ")))
        })
        .collect()
}

#[test]
fn database_events_are_the_same_newest_first() {
    let rows = database_rows();
    assert!(rows.len() >= 27, "{} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let name = row["name"].as_str().expect("name");
        let forward = entries(row);
        let mut backward = forward.clone();
        backward.reverse();
        let want = run(&forward, 1);
        // The row's own expectation holds for the export as given.
        if want.len() as u64 != row["expect"]["events"].as_u64().expect("events") {
            failures.push(format!("{name}: {} events forwards", want.len()));
        }
        for threads in [1, 2] {
            let got = run(&backward, threads);
            if got != want {
                failures.push(format!(
                    "{name} newest first, {threads} threads:\n  got  {got:?}\n  want {want:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
