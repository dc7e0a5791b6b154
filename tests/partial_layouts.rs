//! Partial reports of the real-world layouts (`fixtures/layouts/*.jsonl`, issue 21) merge
//! exactly: every row cut at each of its entry boundaries, and cut at all of them, and the
//! rows of a format one after another cut at random places and merged in random orders,
//! give the single pass's JSON report byte for byte. The rows hold what a shard's end must
//! carry beyond an open traceback: a lone exception line printed before its frames
//! (Sentry), a traceback that lost its header and is not yet one, a header holding lines of
//! its record's message, database entries waiting for theirs. Each row is also cut as the
//! NDJSON export of its lines, oldest and newest first (`gcloud logging read`'s default),
//! where tracebacks and database events read newest first look back for their later lines
//! in the shards before.

mod cuts;
mod support;

use cuts::{assert_exact, lines, mismatch, Cuttable};
use logtriage::{Format, Triage, TriageBuilder};
use proptest::prelude::*;
use support::export::entries;

fn triage() -> Triage {
    TriageBuilder::new()
        .known_issues_file("fixtures/known_issues.json")
        .build()
        .expect("build")
}

/// The rows of both layout tables: name, input (uncompressed: a shard of a `.gz` row's
/// text is cut from what the reader decompresses) and format.
fn rows() -> Vec<(String, String, Format)> {
    let mut out = Vec::new();
    for file in ["tracebacks", "messages"] {
        for row in support::layout_rows(file) {
            let format = match row["format"].as_str().expect("format") {
                f if f.starts_with("ndjson") => Format::Ndjson,
                _ => Format::Text,
            };
            let name = row["name"].as_str().expect("name").to_string();
            let mut input = row["input"].as_str().expect("input").to_string();
            if !input.ends_with('\n') {
                input.push('\n');
            }
            out.push((name, input, format));
        }
    }
    out
}

/// Every row as the NDJSON export of its lines, oldest first and newest first.
fn exports() -> Vec<(String, Cuttable)> {
    let mut out = Vec::new();
    for file in ["tracebacks", "messages"] {
        for row in support::layout_rows(file) {
            let name = row["name"].as_str().expect("name");
            let mut lines = entries(&row);
            for order in ["oldest first", "newest first"] {
                let bytes: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let input = lines_of_export(bytes);
                out.push((format!("{name}, {order}"), input));
                lines.reverse();
            }
        }
    }
    out
}

fn lines_of_export(bytes: String) -> Cuttable {
    lines(bytes.into_bytes(), Format::Ndjson)
}

/// The rows of `format` one after another.
fn all_of(format: Format) -> Cuttable {
    let text: String = rows()
        .into_iter()
        .filter(|(_, _, f)| *f == format)
        .map(|(_, input, _)| input)
        .collect();
    lines(text.into_bytes(), format)
}

/// Where merging `input` cut at each entry, and at every entry (merged from the left and
/// from the right), differs from the single pass: one line per case, named by `name`.
fn cut_everywhere(t: &Triage, name: &str, input: &Cuttable, failures: &mut Vec<String>) {
    let n = input.bounds.len();
    for cut in 0..n {
        if let Some(difference) = mismatch(t, input, &[cut], &[0]) {
            failures.push(format!("{name}: one cut: {difference}"));
        }
    }
    // A shard per entry, merged from the left and from the right.
    let every: Vec<usize> = (0..n).collect();
    let right_first: Vec<usize> = (0..n).rev().collect();
    for order in [&[0][..], &right_first] {
        if let Some(difference) = mismatch(t, input, &every, order) {
            failures.push(format!("{name}: a shard per entry: {difference}"));
        }
    }
}

#[test]
fn every_layout_merges_exactly_cut_at_any_entry_and_at_every_one() {
    let t = triage();
    let rows = rows();
    assert!(rows.len() >= 100, "{} rows", rows.len());
    let mut failures = Vec::new();
    for (name, input, format) in rows {
        cut_everywhere(&t, &name, &lines(input.into_bytes(), format), &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_layout_exported_either_way_merges_exactly_cut_at_any_entry_and_at_every_one() {
    let t = triage();
    let mut failures = Vec::new();
    let exports = exports();
    assert!(exports.len() >= 200, "{} exports", exports.len());
    for (name, input) in exports {
        cut_everywhere(&t, &name, &input, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn merged_partials_of_the_layouts_give_the_single_pass_report(
        ndjson in any::<bool>(),
        picks in proptest::collection::vec(any::<usize>(), 1..40),
        order in proptest::collection::vec(any::<usize>(), 1..40),
    ) {
        let input = all_of(if ndjson { Format::Ndjson } else { Format::Text });
        assert_exact(&triage(), &input, &picks, &order);
    }
}
