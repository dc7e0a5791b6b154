//! The shipped staging incident against the facts its generator wrote down
//! (`fixtures/expected.json`): every event found, none invented, grouped and linked.

use logtriage::{Event, EventKind, FnSink, Report, TriageBuilder};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn expected() -> Value {
    let text = std::fs::read_to_string(path("expected.json")).expect("fixtures/expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn triage(name: &str, threads: usize) -> (Report, Vec<Event>) {
    let triage = TriageBuilder::new()
        .known_issues_file(path("known_issues.json"))
        .threads(threads)
        .block_bytes(16 << 10)
        .build()
        .expect("build");
    let input = std::fs::File::open(path(name)).expect("fixture");
    let mut events = Vec::new();
    let report = triage
        .run(
            input,
            &mut FnSink(|ev: &Event| {
                events.push(ev.clone());
                Ok(true)
            }),
        )
        .expect("run");
    events.sort_by_key(|e| e.line);
    (report, events)
}

fn kind(k: &str) -> EventKind {
    match k {
        "traceback" => EventKind::Traceback,
        "severity" => EventKind::Severity,
        "slow_query" => EventKind::SlowQuery,
        "out_of_memory" => EventKind::OutOfMemory,
        other => panic!("unknown kind {other}"),
    }
}

/// The issue each expected group must be linked to (fixtures/known_issues.json).
fn issue_of(group: &str) -> Option<&'static str> {
    match group {
        // The known-issues file links uvicorn's "Application startup failed" line, the
        // NameError's consequence, to the same issue.
        "name_error" | "startup_failed_line" => Some("903"),
        "module_not_found" => Some("915"),
        "redis_backend" | "redis_auth" => Some("923"),
        "websocket_subprotocol" => Some("921"),
        g if g.starts_with("slow_") || g.contains("statement_timeout") => Some("922"),
        _ => None,
    }
}

fn check_json_fixture(name: &str, line_key: &str, threads: usize) {
    let expected = expected();
    let want = expected["staging.json"]["event_list"]
        .as_array()
        .expect("event_list");
    let (report, events) = triage(name, threads);
    assert_eq!(report.totals.entries, 800, "{name}");
    assert_eq!(
        report.totals.malformed + report.totals.oversize,
        0,
        "{name}"
    );
    let found: Vec<(u64, &[String])> = events
        .iter()
        .map(|e| (e.line, e.insert_ids.as_slice()))
        .collect();
    let wanted: Vec<(u64, Vec<String>)> = want
        .iter()
        .map(|w| {
            let ids = w["insert_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_string());
            (w[line_key].as_u64().unwrap(), ids.collect())
        })
        .collect();
    assert_eq!(
        found
            .iter()
            .map(|(l, ids)| (*l, ids.to_vec()))
            .collect::<Vec<_>>(),
        wanted,
        "{name}: events (line, insertIds) found vs expected"
    );
    let mut fingerprints: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (ev, w) in events.iter().zip(want) {
        let group = w["group"].as_str().unwrap();
        assert_eq!(
            ev.kind,
            kind(w["kind"].as_str().unwrap()),
            "{group} at line {}",
            ev.line
        );
        assert_eq!(
            ev.classification.category,
            w["category"].as_str().unwrap(),
            "{group} at line {}",
            ev.line
        );
        assert_eq!(
            ev.classification.exception.as_deref(),
            w["exception"].as_str(),
            "{group} at line {}",
            ev.line
        );
        if ev.classification.category != "slow_query" {
            assert_eq!(
                ev.classification.subject.as_deref(),
                w["subject"].as_str(),
                "{group} at line {}",
                ev.line
            );
        }
        assert_eq!(
            ev.service.as_deref(),
            w["service"].as_str(),
            "{group} at line {}",
            ev.line
        );
        assert_eq!(
            ev.classification
                .known_issue
                .as_ref()
                .map(|k| k.id.as_str()),
            issue_of(group),
            "{group} at line {}",
            ev.line
        );
        fingerprints
            .entry(group)
            .or_default()
            .insert(ev.classification.fingerprint.to_string());
    }
    for (group, prints) in &fingerprints {
        assert_eq!(
            prints.len(),
            1,
            "{name}: group {group} split into {prints:?}"
        );
    }
    let distinct: BTreeSet<&String> = fingerprints.values().flatten().collect();
    let merged_slow = [
        "slow_threads",
        "slow_messages",
        "slow_agent_runs_unnamed",
        "slow_agent_runs_update",
    ];
    assert!(
        distinct.len() >= fingerprints.len() - merged_slow.len(),
        "{name}: distinct failures share a fingerprint: {fingerprints:?}"
    );
}

#[test]
fn staging_json_events_match_the_generator() {
    check_json_fixture("staging.json", "json_line", 1);
}

#[test]
fn staging_ndjson_events_match_the_generator() {
    check_json_fixture("staging.ndjson", "ndjson_line", 1);
}

#[test]
fn staging_ndjson_on_two_threads_matches_the_generator() {
    check_json_fixture("staging.ndjson", "ndjson_line", 2);
}

#[test]
fn staging_text_events_match_the_generator() {
    let expected = expected();
    let want = expected["staging.txt"]["event_list"]
        .as_array()
        .expect("event_list");
    let (_, events) = triage("staging.txt", 1);
    let found: Vec<(u64, EventKind, &str)> = events
        .iter()
        .map(|e| (e.line, e.kind, e.classification.category.as_str()))
        .collect();
    let wanted: Vec<(u64, EventKind, &str)> = want
        .iter()
        .map(|w| {
            (
                w["line"].as_u64().unwrap(),
                kind(w["kind"].as_str().unwrap()),
                w["category"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, wanted);
}

#[test]
fn name_error_group_ranks_first_with_its_frame() {
    let (report, _) = triage("staging.json", 1);
    let top = &report.groups[0];
    assert_eq!(top.exception.as_deref(), Some("NameError"));
    assert_eq!(top.known_issue.as_ref().map(|k| k.id.as_str()), Some("903"));
    let frame = top.top_frame.as_ref().expect("an in-app frame");
    assert_eq!(frame.file, "/app/netra_backend/app/smd.py");
    assert_eq!(frame.line, Some(1687));
    assert_eq!(frame.function, "_initialize_factory_patterns");
    let sample = top.sample_text.as_deref().expect("the traceback's text");
    assert!(sample.starts_with("Traceback (most recent call last):\n"));
    assert!(sample.contains(
        "\n  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns\n"
    ));
    assert!(sample.ends_with("\nNameError: name 'UnifiedExecutionEngineFactory' is not defined"));
}
