//! The real-world layouts of messages, slow queries, database entries, plain-text time and
//! service, ids in messages and compressed input (`fixtures/layouts/messages.jsonl`, one row
//! per layout; see `fixtures/README.md`): each row's events, the first event's category,
//! exception and subject, and where a row says so its groups, services, first and last
//! time and input flags. Every row is also run through a reader that hands out a few bytes at
//! a time and through two threads cutting small blocks: both must find the same events.

mod support;

use logtriage::{Event, FnSink, Report, TriageBuilder};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use support::Chunked;

fn rows() -> Vec<Value> {
    support::layout_rows("messages")
}

/// The row's input as bytes: its text, gzip-compressed when its format ends in `.gz`.
fn input_of(row: &Value) -> Vec<u8> {
    let text = row["input"].as_str().expect("input");
    let format = row["format"].as_str().expect("format");
    let mut bytes = text.as_bytes().to_vec();
    if format.ends_with(".gz") {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&bytes).expect("gzip");
        bytes = gz.finish().expect("gzip");
    }
    bytes
}

/// What must be equal however the input is read.
type Seen = Vec<(u64, String, Option<String>, String)>;

fn seen(events: &[Event]) -> Seen {
    events
        .iter()
        .map(|e| {
            let c = &e.classification;
            (
                e.line,
                c.category.to_string(),
                c.subject.clone(),
                c.fingerprint.to_string(),
            )
        })
        .collect()
}

fn run(input: &[u8], threads: usize, chunked: bool) -> (Report, Vec<Event>) {
    let triage = TriageBuilder::new()
        .threads(threads)
        .block_bytes(64)
        .build()
        .expect("build");
    let mut events = Vec::new();
    let mut sink = FnSink(|ev: &Event| {
        events.push(ev.clone());
        Ok(true)
    });
    let report = if chunked {
        let reader = Chunked {
            data: input,
            sizes: vec![1, 7, 3, 64],
            i: 0,
        };
        triage.run(reader, &mut sink)
    } else {
        triage.run_slice(input, &mut sink)
    }
    .expect("run");
    events.sort_by_key(|e| e.line);
    (report, events)
}

fn opt(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

#[test]
fn layouts_of_messages() {
    let rows = rows();
    assert!(rows.len() >= 30, "{} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let name = row["name"].as_str().expect("name");
        let want = &row["expect"];
        let input = input_of(row);
        let (report, events) = run(&input, 1, false);
        let mut check = |what: &str, got: String, want: String| {
            if got != want {
                failures.push(format!("{name}: {what}: got {got}, want {want}"));
            }
        };
        check(
            "events",
            events.len().to_string(),
            want["events"].to_string(),
        );
        if let Some(first) = events.first() {
            let c = &first.classification;
            check(
                "category",
                format!("{:?}", Some(c.category.to_string())),
                format!("{:?}", opt(&want["category"])),
            );
            check(
                "exception",
                format!("{:?}", c.exception),
                format!("{:?}", opt(&want["exception"])),
            );
            check(
                "subject",
                format!("{:?}", c.subject),
                format!("{:?}", opt(&want["subject"])),
            );
        }
        if let Some(groups) = want["groups"].as_u64() {
            check(
                "groups",
                report.groups.len().to_string(),
                groups.to_string(),
            );
        }
        if let Some(services) = want["services"].as_array() {
            let got: BTreeSet<String> = events.iter().filter_map(|e| e.service.clone()).collect();
            let want: BTreeSet<String> = services.iter().filter_map(opt).collect();
            check("services", format!("{got:?}"), format!("{want:?}"));
        }
        let times: Vec<&str> = events
            .iter()
            .filter_map(|e| e.timestamp.as_deref())
            .collect();
        for (key, got) in [
            ("first_seen", times.iter().min()),
            ("last_seen", times.iter().max()),
        ] {
            if let Some(want) = want.get(key) {
                check(key, format!("{got:?}"), format!("{:?}", want.as_str()));
            }
        }
        for key in ["gzip", "truncated"] {
            if let Some(flag) = want.get(key) {
                let totals = serde_json::to_value(&report.totals).expect("totals");
                check(key, totals[key].to_string(), flag.to_string());
            }
        }
        if let Some(binary) = want.get("binary") {
            let totals = serde_json::to_value(&report.totals).expect("totals");
            check("binary", totals["binary"].to_string(), binary.to_string());
        }
        let one = seen(&events);
        for (threads, chunked) in [(1, true), (2, false), (2, true)] {
            let (_, other) = run(&input, threads, chunked);
            check(
                &format!("events with {threads} threads, chunked {chunked}"),
                format!("{:?}", seen(&other)),
                format!("{one:?}"),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
