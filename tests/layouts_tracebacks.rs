//! Tracebacks as people and tools really produce them (issue 21, classes 1 to 4 and 7): one
//! row of `fixtures/layouts/tracebacks.jsonl` per layout, with the number of events it must
//! give and the category, deciding exception type and subject of the first one. Near-misses
//! (a code sample that mentions a frame, a log line that quotes the word Traceback) are rows
//! that must give no event.
//!
//! Each row also runs read in small chunks and on two threads with tiny blocks: a layout
//! must give the same events however its input is cut.

mod support;

use logtriage::{Event, FnSink, TriageBuilder};
use serde_json::Value;
use support::Chunked;

/// One fixture row.
struct Row {
    class: u64,
    name: String,
    input: String,
    events: usize,
    category: Option<String>,
    exception: Option<String>,
    subject: Option<String>,
}

fn rows() -> Vec<Row> {
    let opt = |v: &Value| v.as_str().map(str::to_string);
    support::layout_rows("tracebacks")
        .into_iter()
        .map(|v| {
            let expect = &v["expect"];
            Row {
                class: v["class"].as_u64().expect("class"),
                name: opt(&v["name"]).expect("name"),
                input: opt(&v["input"]).expect("input"),
                events: expect["events"].as_u64().expect("expect.events") as usize,
                category: opt(&expect["category"]),
                exception: opt(&expect["exception"]),
                subject: opt(&expect["subject"]),
            }
        })
        .collect()
}

/// What a row checks of an event, and where it starts.
type Seen = (u64, String, Option<String>, Option<String>);

fn seen(events: &[Event]) -> Vec<Seen> {
    events
        .iter()
        .map(|e| {
            let c = &e.classification;
            (
                e.line,
                c.category.to_string(),
                c.exception.clone(),
                c.subject.clone(),
            )
        })
        .collect()
}

/// The events of `input`: read at once, in chunks of a few bytes, or on two threads.
fn events(input: &[u8], how: How) -> Vec<Event> {
    let mut builder = TriageBuilder::new();
    if how == How::Parallel {
        builder.threads(2).block_bytes(64);
    }
    let triage = builder.build().expect("build");
    let mut events = Vec::new();
    let mut sink = FnSink(|ev: &Event| {
        events.push(ev.clone());
        Ok(true)
    });
    match how {
        How::Whole | How::Parallel => triage.run_slice(input, &mut sink),
        How::Chunked => triage.run(
            Chunked {
                data: input,
                sizes: vec![7, 1, 64, 3],
                i: 0,
            },
            &mut sink,
        ),
    }
    .expect("run");
    events.sort_by_key(|e| e.line);
    events
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Whole,
    Chunked,
    Parallel,
}

#[test]
fn every_layout_gives_its_events() {
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        let found = events(row.input.as_bytes(), How::Whole);
        let first = found.first().map(|e| {
            let c = &e.classification;
            (
                Some(c.category.to_string()),
                c.exception.clone(),
                c.subject.clone(),
            )
        });
        let got = first.unwrap_or((None, None, None));
        let want = (
            row.category.clone(),
            row.exception.clone(),
            row.subject.clone(),
        );
        if found.len() != row.events || (row.events > 0 && got != want) {
            failures.push(format!(
                "class {} {}: want {} event(s) {:?}, got {} {:?}\n  texts: {:?}",
                row.class,
                row.name,
                row.events,
                want,
                found.len(),
                got,
                found.iter().map(|e| &e.text).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn every_layout_gives_the_same_events_however_it_is_read() {
    for row in rows() {
        let whole = seen(&events(row.input.as_bytes(), How::Whole));
        for how in [How::Chunked, How::Parallel] {
            let other = seen(&events(row.input.as_bytes(), how));
            assert_eq!(other, whole, "{} read {how:?}", row.name);
        }
    }
}

#[test]
fn the_table_covers_each_class_with_near_misses() {
    let rows = rows();
    for class in [1, 2, 3, 4, 7] {
        let n = rows.iter().filter(|r| r.class == class).count();
        assert!(n >= 4, "class {class} has {n} rows");
    }
    assert!(rows.len() >= 35, "{} rows", rows.len());
    let near_misses = rows.iter().filter(|r| r.events == 0).count();
    assert!(near_misses >= 5, "{near_misses} near-misses");
}

/// Lines a plain-text log may hold around tracebacks that lost their header; the second
/// field says whether the line is an event by itself (an error level, an out-of-memory
/// report).
const LINES: &[(&str, bool)] = &[
    ("  File \"/srv/netra/app/a.py\", line 3, in f", false),
    ("File \"/srv/netra/app/b.py\", line 9, in g", false),
    ("    return g(x)", false),
    ("    ERROR: disk full on /var/lib/netra", true),
    ("ERROR: job 17 failed", true),
    ("Out of memory: Killed process 4388 (python3)", true),
    ("KeyError: 'a'", false),
    ("NameError: name 'h' is not defined", false),
    ("Trying again in 4.00 seconds...", false),
    ("INFO: tick", false),
    ("Traceback (most recent call last):", false),
    ("", false),
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// A traceback that lost its header is taken only once its shape is whole, and while it
    /// waits it takes no line that is an event by itself: every such line still ends up in
    /// an event, whatever lines surround it and however the input is read.
    #[test]
    fn no_event_line_is_lost_to_a_traceback_without_header(
        picks in proptest::collection::vec(0..LINES.len(), 1..40),
    ) {
        let text: String = picks.iter().map(|&i| format!("{}\n", LINES[i].0)).collect();
        let found = events(text.as_bytes(), How::Whole);
        for &i in &picks {
            let (line, alone) = LINES[i];
            if alone {
                proptest::prop_assert!(
                    found.iter().any(|e| e.text.contains(line.trim())),
                    "{line:?} is in no event of {text:?}"
                );
            }
        }
        proptest::prop_assert_eq!(seen(&events(text.as_bytes(), How::Chunked)), seen(&found));
        proptest::prop_assert_eq!(seen(&events(text.as_bytes(), How::Parallel)), seen(&found));
    }
}

#[test]
fn an_event_line_ends_a_traceback_that_lost_its_header() {
    // The indented line would be the frame's source; it is an error record of its own.
    let text = "  File \"/srv/netra/app/a.py\", line 3, in f\n    ERROR: disk full on /var/lib/netra\nINFO: tick\n";
    let found = events(text.as_bytes(), How::Whole);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 2);
}

#[test]
fn a_split_traceback_without_header_among_other_instances_is_one_event() {
    let line = |id: usize, instance: &str, text: &str| {
        serde_json::json!({
            "insertId": format!("{instance}-{id}"),
            "labels": {"instanceId": instance},
            "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": "netra-backend-staging"}},
            "textPayload": text,
        })
        .to_string()
    };
    let frames = [
        "  File \"/app/netra_backend/app/agents/__init__.py\", line 4, in <module>",
        "    from .supervisor import Supervisor",
        "  File \"/app/netra_backend/app/agents/supervisor.py\", line 9, in <module>",
        "    from .factory import build",
        "ModuleNotFoundError: No module named 'netra_backend.app.agents.factory'",
    ];
    let mut input = String::new();
    for (i, text) in frames.iter().enumerate() {
        input.push_str(&line(i, "00a1", text));
        input.push('\n');
        input.push_str(&line(i, "00b2", "GET /health 200"));
        input.push('\n');
    }
    for how in [How::Whole, How::Chunked, How::Parallel] {
        let found = events(input.as_bytes(), how);
        assert_eq!(found.len(), 1, "{how:?}: {found:?}");
        let ids: Vec<&str> = found[0].insert_ids.iter().map(String::as_str).collect();
        assert_eq!(
            ids,
            ["00a1-0", "00a1-1", "00a1-2", "00a1-3", "00a1-4"],
            "{how:?}"
        );
        assert_eq!(
            found[0].classification.subject.as_deref(),
            Some("netra_backend.app.agents.factory")
        );
    }
}
