//! Partial reports of exports read newest first (issue 23) merge exactly: a split traceback
//! read newest first is found at a frame line and looks back for its later lines among the
//! entries before it, which may lie in the shard before; a reversed run may still be open
//! at a shard's end; a group's earliest event, its samples and first seen may lie in a later
//! shard. The staging fixture reversed (NDJSON and gcloud's array), cut at random, at every
//! entry and merged in any order, and generated exports of split tracebacks interleaved
//! across instances, newest first, give the single pass's JSON report byte for byte.

mod cuts;
#[path = "support/newest.rs"]
mod newest;

use cuts::{assert_exact, elements, lines, mismatch, Cuttable};
use logtriage::{Format, Triage, TriageBuilder};
use newest::{export, Shape};
use proptest::prelude::*;

fn triage() -> Triage {
    TriageBuilder::new()
        .known_issues_file("fixtures/known_issues.json")
        .build()
        .expect("build")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("fixtures/{name}")).expect("fixture")
}

/// An NDJSON fixture with its lines in reverse order: newest first.
fn reversed_lines(name: &str) -> Cuttable {
    let bytes = fixture(name);
    let mut entries: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    entries.reverse();
    lines(entries.concat(), Format::Ndjson)
}

/// gcloud's default: the staging fixture as one pretty-printed array, newest first.
fn reversed_array() -> Cuttable {
    let mut elements_of: Vec<serde_json::Value> =
        serde_json::from_slice(&fixture("staging.json")).expect("array");
    elements_of.reverse();
    let mut bytes = serde_json::to_vec_pretty(&elements_of).expect("json");
    bytes.push(b'\n');
    elements(bytes)
}

#[test]
fn the_staging_fixture_newest_first_merges_exactly_a_shard_per_entry() {
    let t = triage();
    for input in [reversed_lines("staging.ndjson"), reversed_array()] {
        let every: Vec<usize> = (0..input.bounds.len()).collect();
        let right_first: Vec<usize> = (0..input.bounds.len()).rev().collect();
        for order in [&[0][..], &right_first] {
            if let Some(difference) = mismatch(&t, &input, &every, order) {
                panic!("{:?}, a shard per entry: {difference}", input.format);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn merged_partials_of_fixtures_newest_first_give_the_single_pass_report(
        which in 0usize..4,
        picks in proptest::collection::vec(any::<usize>(), 1..24),
        order in proptest::collection::vec(any::<usize>(), 1..24),
    ) {
        let input = match which {
            0 => reversed_lines("staging.ndjson"),
            1 => reversed_array(),
            2 => reversed_lines("rollout.ndjson"),
            _ => reversed_lines("yesterday.ndjson"),
        };
        assert_exact(&triage(), &input, &picks, &order);
    }

    #[test]
    fn merged_partials_of_generated_exports_newest_first_give_the_single_pass_report(
        instances in proptest::collection::vec(proptest::collection::vec(newest::item(), 1..8), 1..5),
        picks in proptest::collection::vec(0usize..16, 1..40),
        noise in proptest::collection::vec(0usize..4, 0..40),
        array in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 1..16),
        order in proptest::collection::vec(any::<usize>(), 1..16),
    ) {
        let lines_of = newest::interleave(&instances, &picks, &noise);
        let input = match array {
            false => lines(export(&lines_of, true, Shape::Ndjson), Format::Ndjson),
            true => elements(export(&lines_of, true, Shape::Array)),
        };
        assert_exact(&triage(), &input, &cuts, &order);
    }
}

#[test]
fn a_group_names_its_earliest_events_project_however_its_shards_are_cut() {
    // Newest first: the same failure in three projects, the middle one worded otherwise,
    // the last two past what a partial keeps of its start (so one tally holds both). The
    // group speaks for its earliest event (netra-c's), which says what the latest
    // (netra-a's) says: a merge that took "says the same" for "is the same" kept netra-a.
    let entry = |id: &str, project: &str, retries: u32, second: u32| {
        serde_json::json!({
            "insertId": id,
            "logName": format!("projects/{project}/logs/run.googleapis.com%2Fstderr"),
            "severity": "ERROR",
            "jsonPayload": {"message": format!("Redis connection refused after {retries} retries")},
            "timestamp": format!("2026-11-26T14:00:{second:02}Z"),
        })
        .to_string()
            + "\n"
    };
    let filler = r#"{"insertId":"f","severity":"INFO","textPayload":"GET /health 200"}"#;
    let filler = format!("{filler}\n").repeat((3 << 20) / filler.len());
    let bytes = [
        entry("p", "netra-a", 3, 10),
        filler,
        entry("q", "netra-b", 4, 5),
        entry("r", "netra-c", 3, 1),
    ]
    .concat();
    let input = lines(bytes.into_bytes(), Format::Ndjson);
    let t = triage();
    let whole = t
        .run_slice(&input.bytes, &mut logtriage::NoSink)
        .expect("run");
    assert_eq!(whole.groups.len(), 1);
    assert_eq!(whole.groups[0].project.as_deref(), Some("netra-c"));
    let n = input.bounds.len();
    for picks in [&[0][..], &[n - 1], &[0, n - 1]] {
        for order in [&[0][..], &[1]] {
            assert_exact(&t, &input, picks, order);
        }
    }
}
