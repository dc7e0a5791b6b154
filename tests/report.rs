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

/// An event of one fingerprint at `timestamp` with `id`, saying `message`.
fn event(id: &str, timestamp: Option<&str>, message: &str) -> logtriage::Event {
    let mut ev = logtriage::Event::new(logtriage::EventKind::Severity, message);
    ev.insert_ids = vec![id.to_string()];
    ev.timestamp = timestamp.map(str::to_string);
    ev.classification.message = message.to_string();
    ev.classification.fingerprint = logtriage::Fingerprint(7);
    ev
}

fn grouped(events: &[logtriage::Event]) -> Report {
    let mut r = Report::default();
    for ev in events {
        r.add(ev, |e| format!("title of {}", e.classification.message));
    }
    r.rank(|_| 0);
    r
}

#[test]
fn a_group_speaks_for_its_earliest_event_whatever_their_order() {
    // Fractions of every length, an offset (`a` is the earliest, though its text sorts
    // last), a tie broken by the first insertId (`b` before `c`), and an event without a
    // timestamp.
    let events = [
        event("f", Some("2026-11-26T14:00:02.5Z"), "at 2.5"),
        event("e", Some("2026-11-26T14:00:02Z"), "at 2"),
        event(
            "d",
            Some("2026-11-26T14:00:01.000000001Z"),
            "a nanosecond later",
        ),
        event("c", Some("2026-11-26T14:00:01Z"), "tied, c"),
        event("b", Some("2026-11-26T14:00:01Z"), "tied, b"),
        event("a", Some("2026-11-26T15:00:00.5+01:00"), "earliest"),
        event("g", None, "no time"),
    ];
    let forward = grouped(&events);
    let mut reversed = events.to_vec();
    reversed.reverse();
    let mut shuffled = events.to_vec();
    shuffled.rotate_left(2);
    for other in [grouped(&reversed), grouped(&shuffled)] {
        assert_eq!(other.groups, forward.groups);
    }
    let g = &forward.groups[0];
    assert_eq!(g.message, "earliest");
    assert_eq!(g.suggested_title.as_deref(), Some("title of earliest"));
    assert_eq!(g.samples, ["a", "b", "c", "d", "e"]);
    assert_eq!(g.first_seen.as_deref(), Some("2026-11-26T15:00:00.5+01:00"));
    assert_eq!(g.last_seen.as_deref(), Some("2026-11-26T14:00:02.5Z"));
    // Shards merged either way round keep the earliest samples and speaker.
    let (late, early) = (grouped(&events[..3]), grouped(&events[3..]));
    let mut tied = grouped(&events[..4]);
    tied.merge(&grouped(&events[4..5]));
    tied.rank(|_| 0);
    assert_eq!(tied.groups[0].message, "tied, b");
    for (a, b) in [(&late, &early), (&early, &late)] {
        let mut merged = a.clone();
        merged.merge(b);
        merged.rank(|_| 0);
        assert_eq!(merged.groups[0].samples, g.samples);
        assert_eq!(merged.groups[0].message, g.message);
    }
}

#[test]
fn first_and_last_seen_changed_by_hand_are_read_again() {
    // A group remembers the instants of its first and last seen: strings set since, by
    // hand, must count, not the instants remembered for the ones before.
    let mut r = grouped(&[event("b", Some("2026-11-26T14:00:05Z"), "at 5")]);
    r.groups[0].first_seen = Some("2026-11-26T14:00:01Z".into());
    r.groups[0].last_seen = Some("2026-11-26T14:00:09Z".into());
    r.add(&event("c", Some("2026-11-26T14:00:03Z"), "at 3"), |_| {
        String::new()
    });
    let g = &r.groups[0];
    assert_eq!(g.first_seen.as_deref(), Some("2026-11-26T14:00:01Z"));
    assert_eq!(g.last_seen.as_deref(), Some("2026-11-26T14:00:09Z"));
    assert_eq!(g.message, "at 5", "no earlier event came");
}

#[test]
fn groups_of_one_count_rank_by_first_seen_as_instants() {
    let mut second = event("x", Some("2026-11-26T14:00:02.5Z"), "later");
    second.classification.fingerprint = logtriage::Fingerprint(1);
    let first = event("y", Some("2026-11-26T14:00:02Z"), "earlier");
    // As strings, `…:02.5Z` sorts before `…:02Z`.
    let r = grouped(&[second, first]);
    let order: Vec<&str> = r.groups.iter().map(|g| g.message.as_str()).collect();
    assert_eq!(order, ["earlier", "later"]);
}
