//! Exports read newest first (`gcloud logging read` without `--order=asc`) give the report
//! of the same export read oldest first: split tracebacks are put back together whatever
//! the order, and every other result does not depend on it.

use logtriage::{Event, FnSink, Report, TriageBuilder};
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(path).expect("fixture")
}

fn run(input: &[u8], threads: usize, block_bytes: usize) -> (Vec<Event>, Report) {
    let triage = TriageBuilder::new()
        .known_issues_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/known_issues.json"))
        .threads(threads)
        .block_bytes(block_bytes)
        .build()
        .expect("build");
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
    (events, report)
}

/// NDJSON lines in reverse order.
fn reversed_lines(input: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    lines.reverse();
    lines.concat()
}

#[test]
fn the_staging_fixture_reversed_gives_the_same_groups() {
    let forward = fixture("staging.ndjson");
    let backward = reversed_lines(&forward);
    let (_, want) = run(&forward, 1, 16 << 10);
    let (_, got) = run(&backward, 1, 16 << 10);
    assert_eq!(got.totals, want.totals);
    for (g, w) in got.groups.iter().zip(&want.groups) {
        assert_eq!(g, w);
    }
    assert_eq!(got.groups, want.groups);
}

#[test]
fn zz_debug_events() {
    let forward = fixture("staging.ndjson");
    let backward = reversed_lines(&forward);
    let (fe, want) = run(&forward, 1, 16 << 10);
    let (be, got) = run(&backward, 1, 16 << 10);
    eprintln!(
        "{} {} groups {} {}",
        fe.len(),
        be.len(),
        want.groups.len(),
        got.groups.len()
    );
    let key = |e: &Event| (e.insert_ids.clone(), e.classification.fingerprint);
    let mut a: Vec<_> = fe.iter().map(key).collect();
    let mut b: Vec<_> = be.iter().map(key).collect();
    a.sort();
    b.sort();
    for x in &a {
        if !b.contains(x) {
            eprintln!("missing {:?}", x);
        }
    }
    for x in &b {
        if !a.contains(x) {
            eprintln!("extra {:?}", x);
        }
    }
    for g in &got.groups {
        eprintln!(
            "{} {} {:?} {}",
            g.count,
            g.category,
            g.exception,
            g.message.chars().take(60).collect::<String>()
        );
    }
    for block in [1000, 4096, 16 << 10] {
        for threads in [2, 3] {
            let (pe, pr) = run(&backward, threads, block);
            assert_eq!(pe, be, "{threads} {block}");
            assert_eq!(pr.groups, got.groups);
        }
    }
    let arr: Vec<serde_json::Value> = serde_json::from_slice(&fixture("staging.json")).unwrap();
    let mut rev = arr.clone();
    rev.reverse();
    let text = serde_json::to_vec_pretty(&rev).unwrap();
    let (ae, ar) = run(&text, 1, 16 << 10);
    assert_eq!(ar.groups, want.groups);
    for block in [1000, 4096] {
        let (pe, pr) = run(&text, 2, block);
        assert_eq!(pe, ae, "array {block}");
        assert_eq!(pr.groups, want.groups);
    }
}
