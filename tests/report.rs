//! Reports of consecutive shards merge into the report of the whole: shards of a large
//! export can be triaged apart, on other machines, and combined.

#[path = "../benches/corpus.rs"]
mod corpus;

use logtriage::{NoSink, Report, TriageBuilder};
use proptest::prelude::*;

fn report(input: &[u8]) -> Report {
    let triage = TriageBuilder::new().build().expect("build");
    triage.run_slice(input, &mut NoSink).expect("in-memory run")
}

/// Groups in a canonical order, so that reports merged in different orders compare equal.
fn canonical(mut r: Report) -> Report {
    r.rank(|category| if category == "unclassified" { 1 } else { 0 });
    r
}

/// The byte offsets where a shard may end: after a line end, and not within 40 entries after
/// an un-structured stderr line, which may belong to a traceback split one line per entry.
/// A split traceback cut in two is two events in the shards' reports and one in the whole's:
/// shards are cut between events (by time, as `gcloud logging read` windows do).
fn boundaries(input: &[u8]) -> Vec<usize> {
    let lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    let split_line = |l: &[u8]| {
        let l = String::from_utf8_lossy(l);
        l.contains("run.googleapis.com%2Fstderr") && !l.contains("\"severity\"")
    };
    let mut quiet_since = 0;
    let (mut offset, mut ends) = (0, Vec::new());
    for (n, line) in lines.iter().enumerate() {
        offset += line.len();
        if split_line(line) {
            quiet_since = n + 1;
        } else if n >= quiet_since + 40 {
            ends.push(offset);
        }
    }
    ends
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn merge_is_associative_and_equals_the_report_of_the_concatenation(
        seed in 0u64..1000,
        rate in 0.0f64..0.1,
        cut1 in any::<prop::sample::Index>(),
        cut2 in any::<prop::sample::Index>(),
    ) {
        let c = corpus::generate(corpus::Spec { bytes: 96 << 10, failure_rate: rate, shape: corpus::Shape::Ndjson, seed });
        let ends = boundaries(&c.bytes);
        prop_assume!(ends.len() >= 2);
        let (mut i, mut j) = (cut1.index(ends.len() + 1), cut2.index(ends.len() + 1));
        if i > j {
            std::mem::swap(&mut i, &mut j);
        }
        let at = |k: usize| if k == 0 { 0 } else { ends[k - 1] };
        let (a, rest) = c.bytes.split_at(at(i));
        let (b, d) = rest.split_at(at(j) - at(i));
        let (ra, rb, rd) = (report(a), report(b), report(d));

        let mut left = ra.clone();
        left.merge(&rb);
        left.merge(&rd);
        let mut bd = rb.clone();
        bd.merge(&rd);
        let mut right = ra.clone();
        right.merge(&bd);

        let whole = canonical(report(&c.bytes));
        let left = canonical(left);
        prop_assert_eq!(&left, &canonical(right));
        prop_assert_eq!(&left.totals, &whole.totals);
        prop_assert_eq!(&left.groups, &whole.groups);
    }
}

#[test]
fn malformed_lines_of_a_later_shard_are_placed_after_the_earlier_one() {
    let a = b"{\"insertId\":\"a1\",\"severity\":\"INFO\",\"textPayload\":\"ok\"}\nnot json\n";
    let b = b"{\"insertId\":\"b1\",\"severity\":\"INFO\",\"textPayload\":\"ok\"}\nstill not json\n";
    let mut merged = report(a);
    merged.merge(&report(b));
    let whole = report(&[&a[..], &b[..]].concat());
    assert_eq!(merged.totals.malformed_lines, vec![2, 4]);
    assert_eq!(merged.totals, whole.totals);
}

#[test]
fn the_span_and_services_of_the_totals_are_the_groups() {
    let a = b"{\"insertId\":\"a1\",\"severity\":\"ERROR\",\"timestamp\":\"2026-11-26T14:05:00Z\",\"resource\":{\"labels\":{\"service_name\":\"api\"}},\"textPayload\":\"Redis connection refused\"}\n";
    let b = b"{\"insertId\":\"b1\",\"severity\":\"ERROR\",\"timestamp\":\"2026-11-26T14:01:00Z\",\"resource\":{\"labels\":{\"service_name\":\"auth\"}},\"textPayload\":\"Worker exited with code 3\"}\n";
    let whole = report(&[&a[..], &b[..]].concat());
    let span = whole.totals.span.as_ref().expect("a span");
    assert_eq!(
        (span.first.as_str(), span.last.as_str()),
        ("2026-11-26T14:01:00Z", "2026-11-26T14:05:00Z")
    );
    let services: Vec<&str> = whole.totals.services.iter().map(String::as_str).collect();
    assert_eq!(services, ["api", "auth"]);
    let mut merged = report(a);
    merged.merge(&report(b));
    assert_eq!(merged.totals, whole.totals);
    let quiet = report(b"{\"severity\":\"INFO\",\"textPayload\":\"ok\"}\n");
    assert_eq!((quiet.totals.span, quiet.totals.services.len()), (None, 0));
}
