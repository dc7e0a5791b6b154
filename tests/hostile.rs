//! Hostile input: every fixture's totals are pinned, and they always add up.

use logtriage::{Event, FnSink, NoSink, Report, TriageBuilder};
use std::path::Path;

fn triage_bytes(input: &[u8]) -> (Report, Vec<Event>) {
    let triage = TriageBuilder::new().build().expect("build");
    let mut events = Vec::new();
    let report = triage
        .run_slice(
            input,
            &mut FnSink(|ev: &Event| {
                events.push(ev.clone());
                Ok(true)
            }),
        )
        .expect("run");
    let t = &report.totals;
    assert_eq!(
        t.entries,
        t.ok + t.malformed + t.oversize,
        "totals must add up: {t:?}"
    );
    (report, events)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hostile")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (fixture, entries, ok, malformed, oversize, events)
const PINNED: &[(&str, u64, u64, u64, u64, u64)] = &[
    ("truncated_line.ndjson", 4, 3, 1, 0, 0),
    ("garbage_lines.ndjson", 6, 3, 3, 0, 0),
    ("nul_bytes.ndjson", 4, 2, 2, 0, 1),
    ("invalid_utf8.ndjson", 2, 2, 0, 0, 1),
    ("lone_surrogate.ndjson", 2, 2, 0, 0, 2),
    ("nested_10000.ndjson", 2, 2, 0, 0, 1),
    ("long_number.ndjson", 2, 1, 1, 0, 0),
    ("last_line_cut.ndjson", 3, 2, 1, 0, 0),
    ("array_no_close.json", 3, 3, 0, 0, 0),
    ("array_non_object.json", 6, 2, 4, 0, 0),
    ("mixed_line_ends.ndjson", 4, 4, 0, 0, 1),
    ("crlf_text.log", 8, 8, 0, 0, 1),
];

#[test]
fn hostile_fixtures_have_their_pinned_totals() {
    for &(name, entries, ok, malformed, oversize, events) in PINNED {
        let (report, _) = triage_bytes(&fixture(name));
        let t = &report.totals;
        assert_eq!(
            (t.entries, t.ok, t.malformed, t.oversize, t.events),
            (entries, ok, malformed, oversize, events),
            "{name}"
        );
    }
}

#[test]
fn malformed_lines_are_reported() {
    let (report, _) = triage_bytes(&fixture("garbage_lines.ndjson"));
    assert_eq!(report.totals.malformed_lines, vec![2, 4, 5]);
    let (report, _) = triage_bytes(&fixture("last_line_cut.ndjson"));
    assert_eq!(report.totals.malformed_lines, vec![3]);
}

#[test]
fn invalid_utf8_and_lone_surrogates_become_replacement_characters() {
    let (_, events) = triage_bytes(&fixture("invalid_utf8.ndjson"));
    assert!(
        events[0].classification.message.contains('\u{fffd}'),
        "{:?}",
        events[0].classification.message
    );
    let (_, events) = triage_bytes(&fixture("lone_surrogate.ndjson"));
    assert!(
        events
            .iter()
            .all(|e| e.classification.message.contains('\u{fffd}')),
        "{events:?}"
    );
}

#[test]
fn crlf_text_traceback_is_one_event_with_its_header() {
    let (_, events) = triage_bytes(&fixture("crlf_text.log"));
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].classification.exception.as_deref(),
        Some("ValueError")
    );
    assert_eq!(events[0].line, 2, "the header line starts the event");
}

#[test]
fn a_100_mib_line_is_one_oversize_entry() {
    let mut input = b"{\"insertId\":\"a\",\"severity\":\"INFO\",\"textPayload\":\"before\"}\n{\"textPayload\":\"".to_vec();
    input.resize(input.len() + (100 << 20), b'x');
    input.extend_from_slice(
        b"\"}\n{\"insertId\":\"b\",\"severity\":\"ERROR\",\"textPayload\":\"after\"}\n",
    );
    let (report, events) = triage_bytes(&input);
    assert_eq!((report.totals.entries, report.totals.oversize), (3, 1));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].line, 3);
}

#[test]
fn a_3_mib_traceback_in_one_entry_is_one_event() {
    let mut tb = String::from("Traceback (most recent call last):\n");
    let mut n = 0;
    while tb.len() < 3 << 20 {
        tb.push_str(&format!("  File \"/app/netra_backend/app/agents/step_{n}.py\", line {n}, in run_step_{n}\n    await self.next.run(ctx)\n"));
        n += 1;
    }
    tb.push_str("RuntimeError: agent pipeline exhausted");
    let entry = serde_json::json!({"insertId": "big", "severity": "ERROR", "textPayload": tb});
    let (report, events) = triage_bytes(format!("{entry}\n").as_bytes());
    assert_eq!(report.totals.events, 1);
    assert_eq!(
        events[0].classification.exception.as_deref(),
        Some("RuntimeError")
    );
}

#[test]
fn a_million_frame_recursion_in_plain_text_is_one_event() {
    let mut text = String::from("Traceback (most recent call last):\n");
    for _ in 0..1_000_000 {
        text.push_str("  File \"/app/netra_backend/app/tree.py\", line 41, in walk\n    return walk(node.parent)\n");
    }
    text.push_str("RecursionError: maximum recursion depth exceeded\nINFO:     Shutting down\n");
    let (report, events) = triage_bytes(text.as_bytes());
    assert_eq!(report.totals.entries, 2_000_003);
    assert_eq!(events.len(), 1, "one traceback is one event");
    assert_eq!(
        events[0].classification.exception.as_deref(),
        Some("RecursionError")
    );
}

#[test]
fn no_input_is_zero_everything() {
    for input in [&b""[..], b"   \n\t\n", b"[]", b"[\n]\n", b"\xEF\xBB\xBF"] {
        let (report, _) = triage_bytes(input);
        assert_eq!(report.totals.entries, 0, "{input:?}");
    }
    let report = TriageBuilder::new()
        .build()
        .unwrap()
        .run_slice(b"[", &mut NoSink)
        .unwrap();
    assert_eq!(report.totals.entries, 0);
}
