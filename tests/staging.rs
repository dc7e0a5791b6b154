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
        "request" => EventKind::Request,
        "platform" => EventKind::Platform,
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
    assert_eq!(
        report.totals.entries,
        expected["staging.json"]["entries"].as_u64().unwrap(),
        "{name}"
    );
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

/// The expected links of `fixtures/README.md` ("Expected links"), as the generator recorded
/// them in `expected.json`, against the JSON report: each symptom group's `caused_by` (cause
/// group, evidence, count) and `unexplained`, each cause's impact, and the totals.
fn check_links(name: &str, threads: usize) {
    let expected = expected();
    let want = &expected["staging.json"];
    let (report, events) = triage(name, threads);
    let json: Value = serde_json::to_value(&report).expect("the report serializes");
    // Each expected group's fingerprint, from its events.
    let mut group_of: BTreeMap<String, String> = BTreeMap::new();
    for (ev, w) in events.iter().zip(want["event_list"].as_array().unwrap()) {
        let group = w["group"].as_str().unwrap().to_string();
        group_of.insert(ev.classification.fingerprint.to_string(), group);
    }
    let groups = json["groups"].as_array().expect("groups");
    let by_name = |name: &str| {
        groups
            .iter()
            .find(|g| {
                group_of
                    .get(g["fingerprint"].as_str().unwrap())
                    .map(String::as_str)
                    == Some(name)
            })
            .unwrap_or_else(|| panic!("{name}: no group in the report"))
    };
    let mut symptoms = 0;
    let mut explained = 0;
    let mut impact: BTreeMap<String, u64> = BTreeMap::new();
    for g in want["groups"].as_array().unwrap() {
        let name = g["group"].as_str().unwrap();
        let got = by_name(name);
        let Some(links) = g.get("caused_by") else {
            assert_eq!(got["role"], "cause", "{name}");
            assert!(got.get("caused_by").is_none(), "{name}");
            continue;
        };
        assert_eq!(got["role"], "symptom", "{name}");
        assert!(got.get("impact").is_none(), "{name}");
        let want_links: BTreeSet<(String, String, u64)> = links
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["group"].as_str().unwrap().to_string(),
                    l["evidence"].as_str().unwrap().to_string(),
                    l["count"].as_u64().unwrap(),
                )
            })
            .collect();
        let got_links: BTreeSet<(String, String, u64)> = got["caused_by"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no caused_by"))
            .iter()
            .map(|l| {
                let cause = group_of
                    .get(l["fingerprint"].as_str().unwrap())
                    .cloned()
                    .unwrap_or_else(|| format!("not an expected group: {l}"));
                (
                    cause,
                    l["evidence"].as_str().unwrap().to_string(),
                    l["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got_links, want_links, "{name}: caused_by");
        assert_eq!(got["unexplained"], g["unexplained"], "{name}: unexplained");
        let count = g["count"].as_u64().unwrap();
        symptoms += count;
        explained += count - g["unexplained"].as_u64().unwrap();
        for (cause, _, n) in &want_links {
            *impact.entry(cause.clone()).or_insert(0) += n;
        }
    }
    assert_eq!(json["totals"]["symptoms"], symptoms, "{name}");
    assert_eq!(json["totals"]["symptoms_explained"], explained, "{name}");
    for g in groups.iter().filter(|g| g["role"] == "cause") {
        let name = &group_of[g["fingerprint"].as_str().unwrap()];
        let i = &g["impact"];
        let total = i["requests"].as_u64().unwrap() + i["exits"].as_u64().unwrap();
        assert_eq!(
            total,
            impact.get(name).copied().unwrap_or(0),
            "{name}: impact {i}"
        );
    }
    // Nothing reads "(no message)": every group says something.
    for g in groups {
        assert!(!g["message"].as_str().unwrap().trim().is_empty(), "{g}");
    }
}

#[test]
fn staging_links_match_the_readme() {
    check_links("staging.json", 1);
    check_links("staging.ndjson", 2);
}

#[test]
fn staging_causes_rank_by_impact() {
    let (report, _) = triage("staging.ndjson", 1);
    let causes: Vec<u64> = report
        .groups
        .iter()
        .take_while(|g| g.role == logtriage::Role::Cause)
        .map(|g| g.impact_total())
        .collect();
    assert!(causes.windows(2).all(|w| w[0] >= w[1]), "{causes:?}");
    assert!(report
        .groups
        .iter()
        .skip(causes.len())
        .all(|g| g.role == logtriage::Role::Symptom));
    // The NameError explains the most: 8 platform messages and 7 refused requests.
    let top = &report.groups[0];
    let impact = top.impact.as_ref().expect("a cause has an impact");
    assert_eq!((impact.requests, impact.exits), (7, 8));
    assert_eq!(impact.statuses.get("503"), Some(&7));
    let slow = report
        .groups
        .iter()
        .find(|g| g.duration_ms.is_some())
        .expect("a slow-query group");
    let d = slow.duration_ms.as_ref().unwrap();
    assert!(d.quantile(0.5).unwrap() <= d.quantile(0.95).unwrap());
    assert!(d.quantile(0.95).unwrap() <= d.max().unwrap());
    let health = report
        .groups
        .iter()
        .find(|g| {
            g.request
                .as_ref()
                .is_some_and(|r| r.route == "/health" && r.status == Some(500))
        })
        .expect("the /health 500 group");
    assert_eq!(
        health.message.split(" in ").next(),
        Some("GET /health → 500")
    );
    assert!(health.latency_ms.as_ref().unwrap().quantile(0.5).unwrap() > 4900.0);
    assert_eq!(health.timeline.total(), 3);
}
