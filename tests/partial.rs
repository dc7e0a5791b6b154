//! Partial reports merge exactly: the JSON report of merged partials, over any cut of an
//! input at entry boundaries and any order of merging neighbours, is byte for byte the
//! single pass's; bad partials are errors, never a wrong report.

#[path = "../benches/corpus.rs"]
mod corpus;
mod cuts;
mod linked;

use cuts::{assert_exact, elements, first_difference, json, lines, partials, Cuttable};
use linked::{array_of, linked, ndjson_of};

use logtriage::{Format, Partial, PartialError, Triage, TriageBuilder};
use proptest::prelude::*;

fn triage() -> Triage {
    TriageBuilder::new()
        .known_issues_file("fixtures/known_issues.json")
        .build()
        .expect("build")
}

/// Plain text with tracebacks split over lines: the text payloads of a generated corpus,
/// one per line.
fn text_of(ndjson: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in ndjson.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).expect("json line");
        let text = v["textPayload"]
            .as_str()
            .or(v["jsonPayload"]["message"].as_str())
            .unwrap_or("");
        out.extend_from_slice(text.replace('\n', " ").as_bytes());
        out.push(b'\n');
    }
    out
}

/// `ndjson` with a line cut mid-write after the entries `after` names: their line numbers
/// must come out right in the merged report too.
fn with_garbage(ndjson: &[u8], after: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in ndjson.split_inclusive(|&b| b == b'\n').enumerate() {
        out.extend_from_slice(line);
        if after.contains(&i) {
            out.extend_from_slice(b"{\"insertId\":\"cut-\n");
        }
    }
    out
}

fn generated(shape: corpus::Shape, bytes: usize, rate: f64, seed: u64) -> Vec<u8> {
    corpus::generate(corpus::Spec {
        bytes,
        failure_rate: rate,
        shape,
        seed,
    })
    .bytes
}

/// The entries of a one-entry-per-line input.
fn want_entries(input: &Cuttable) -> u64 {
    input.bounds.len() as u64 + 1
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("fixtures/{name}")).expect("fixture")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn merged_partials_of_the_fixtures_give_the_single_pass_report(
        which in 0usize..6,
        picks in proptest::collection::vec(any::<usize>(), 1..12),
        order in proptest::collection::vec(any::<usize>(), 1..12),
    ) {
        let input = match which {
            0 => lines(fixture("staging.ndjson"), Format::Ndjson),
            1 => elements(fixture("staging.json")),
            2 => lines(fixture("staging.txt"), Format::Text),
            // Rollouts: groups counted per revision, and the deploy verdicts drawn from
            // them, across the cuts.
            3 => lines(fixture("rollout.ndjson"), Format::Ndjson),
            4 => lines(fixture("rollout-early.ndjson"), Format::Ndjson),
            _ => lines(fixture("yesterday.ndjson"), Format::Ndjson),
        };
        assert_exact(&triage(), &input, &picks, &order);
    }

    #[test]
    fn merged_partials_of_generated_corpora_give_the_single_pass_report(
        shape in 0usize..3,
        seed in 0u64..1000,
        rate in 0.0f64..0.5,
        picks in proptest::collection::vec(any::<usize>(), 1..10),
        order in proptest::collection::vec(any::<usize>(), 1..10),
        garbage in proptest::collection::vec(0usize..100, 0..14),
    ) {
        let input = match shape {
            0 => lines(with_garbage(&generated(corpus::Shape::Ndjson, 64 << 10, rate, seed), &garbage), Format::Ndjson),
            1 => elements(generated(corpus::Shape::Array, 64 << 10, rate, seed)),
            _ => lines(text_of(&generated(corpus::Shape::Ndjson, 64 << 10, rate, seed)), Format::Text),
        };
        assert_exact(&triage(), &input, &picks, &order);
    }

    #[test]
    fn merged_partials_of_linked_corpora_give_the_single_pass_report(
        array in any::<bool>(),
        seed in 0u64..1000,
        incidents in 1usize..60,
        picks in proptest::collection::vec(any::<usize>(), 1..16),
        order in proptest::collection::vec(any::<usize>(), 1..16),
    ) {
        let entries = linked(seed, incidents);
        let input = match array {
            false => lines(ndjson_of(&entries), Format::Ndjson),
            true => elements(array_of(&entries)),
        };
        assert_exact(&triage(), &input, &picks, &order);
    }
}

#[test]
fn symptoms_link_to_causes_in_other_shards() {
    // Shards of seven entries, cut at each of the seven offsets: each incident's cause and
    // symptoms straddle a cut in some run, and a crash-looping revision's causes lie in
    // other shards than the requests it refused.
    let t = triage();
    let input = lines(ndjson_of(&linked(7, 40)), Format::Ndjson);
    let whole = t
        .run_slice(&input.bytes, &mut logtriage::NoSink)
        .expect("run");
    let mut evidence: Vec<String> = whole
        .groups
        .iter()
        .flat_map(|g| g.caused_by.iter().flatten())
        .map(|l| format!("{:?}", l.evidence))
        .collect();
    evidence.sort();
    evidence.dedup();
    assert_eq!(
        evidence,
        ["Instance", "Revision", "Trace"],
        "each rule links"
    );
    assert!(whole.totals.symptoms_explained * 10 >= whole.totals.symptoms * 9);
    for offset in 0..7 {
        let picks: Vec<usize> = (offset..input.bounds.len()).step_by(7).collect();
        assert_exact(&t, &input, &picks, &[0]);
    }
}

#[test]
fn a_shard_per_entry_merges_into_the_single_pass_report() {
    let t = triage();
    let input = lines(fixture("staging.ndjson"), Format::Ndjson);
    let want = json(
        &t.run_slice(&input.bytes, &mut logtriage::NoSink)
            .expect("run"),
    );
    let parts = partials(&t, &input, &input.bounds);
    assert_eq!(parts.len() as u64, want_entries(&input));
    let mut merged = None;
    for p in parts {
        merged = Some(match merged {
            None => p,
            Some(m) => t.merge_partials(m, p).expect("merge"),
        });
    }
    let got = json(&t.finish_partial(merged.expect("partials")));
    assert!(got == want, "{}", first_difference(&got, &want));
}

#[test]
fn a_shard_larger_than_the_lead_merges_exactly_with_tracebacks_across_its_ends() {
    // Shards of about 3 MiB, more than a partial keeps of their start, cut just after a split
    // traceback's first line, and one, two and five lines later.
    let t = triage();
    let input = lines(
        generated(corpus::Shape::Ndjson, 9 << 20, 0.3, 5),
        Format::Ndjson,
    );
    let n = input.bounds.len();
    let start = |from: usize| {
        (from..n)
            .find(|&i| {
                let line = &input.bytes[input.bounds[i - 1]..input.bounds[i]];
                line.windows(36)
                    .any(|w| w == b"\"Traceback (most recent call last):\"")
            })
            .expect("a split traceback")
    };
    let (one, two) = (start(n / 3), start(2 * n / 3));
    for k in [0, 1, 2, 5] {
        let cuts = [input.bounds[one + k], input.bounds[two + k]];
        let parts = partials(&t, &input, &cuts);
        for p in &parts[1..] {
            // Its lead, not the shard: what else it holds is by group, place and mark.
            let v: serde_json::Value = serde_json::from_str(&p.to_json()).expect("json");
            let lead = v["lead"]["text"].as_str().expect("a text lead").len() as u64;
            assert!(
                lead <= logtriage::LEAD_BYTES && v["lead"]["whole"] == false,
                "kept its lead only"
            );
        }
        assert!(
            !parts[0].to_json().contains("\"open\":[]"),
            "held a traceback open"
        );
        assert_exact(&t, &input, &[one + k, two + k], &[0]);
    }
    // Twelve shards of 0.75 MiB, each kept whole, merged from the right: the merged leads
    // grow past what a partial keeps and are cut back, then scanned again.
    let picks: Vec<usize> = (1..12).map(|i| start(i * n / 12)).collect();
    let right_first: Vec<usize> = (0..11).rev().collect();
    assert_exact(&t, &input, &picks, &right_first);
}

#[test]
fn a_traceback_still_open_past_the_next_lead_is_an_error_not_a_wrong_report() {
    // A traceback whose frames keep coming, one line per entry, for 3 MiB after the cut.
    let t = triage();
    let head = b"Traceback (most recent call last):\n".to_vec();
    let frame = "  File \"/app/netra_backend/app/loop.py\", line 12, in spin\n    spin()\n";
    let tail = frame.repeat((3 << 20) / frame.len()).into_bytes();
    let a = t.partial(&head[..], None).expect("partial");
    let b = t.partial(&tail[..], Some(Format::Text)).expect("partial");
    match t.merge_partials(a, b) {
        Err(logtriage::Error::Partial(PartialError::NotExact { kept })) => {
            assert!(kept <= logtriage::LEAD_BYTES, "{kept}");
        }
        other => panic!("{:?}", other.map(|_| "a merged partial")),
    }
    // Within the lead, the same traceback merges into the single pass's one event.
    let short = &tail[..tail.len() / 4];
    let a = t.partial(&head[..], None).expect("partial");
    let b = t.partial(short, Some(Format::Text)).expect("partial");
    let merged = t.finish_partial(t.merge_partials(a, b).expect("merge"));
    let whole = [&head[..], short].concat();
    let want = t.run_slice(&whole, &mut logtriage::NoSink).expect("run");
    assert_eq!(json(&merged), json(&want));
    assert_eq!(merged.totals.events, 1);
}

#[test]
fn bad_partials_are_errors() {
    let t = triage();
    let input = fixture("staging.ndjson");
    let cut = input.len() / 2
        + input[input.len() / 2..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap()
        + 1;
    let line = t.partial(&input[..cut], None).expect("partial").to_json();
    // Truncated.
    assert!(matches!(
        Partial::from_json(&line[..line.len() / 2]),
        Err(PartialError::Invalid { .. })
    ));
    // Another version.
    let other = line.replacen(
        &format!("\"partial_version\":{}", logtriage::PARTIAL_VERSION),
        "\"partial_version\":99",
        1,
    );
    assert_eq!(
        Partial::from_json(&other).err(),
        Some(PartialError::Version {
            found: 99,
            want: logtriage::PARTIAL_VERSION
        })
    );
    // Out of order by their places in the file.
    let mut a = t.partial(&input[..cut], None).expect("partial");
    let mut b = t
        .partial(&input[cut..], Some(Format::Ndjson))
        .expect("partial");
    a.set_position("day.ndjson", 0, cut as u64);
    b.set_position("day.ndjson", cut as u64, input.len() as u64);
    let err = t.merge_partials(b, a).expect_err("out of order");
    assert!(err.to_string().starts_with("out of order"), "{err}");
    // Made with another threshold.
    // Made with a rules file the merge was not given.
    let mut rules = logtriage::Classifier::builtin();
    let json = r#"{"categories": [{"id": "quota", "patterns": ["Quota exceeded"]}]}"#;
    rules.add_rules_json(json, "rules.json").expect("rules");
    let ruled = TriageBuilder::new()
        .classifier(rules)
        .build()
        .expect("build");
    let a = ruled.partial(&input[..cut], None).expect("partial");
    let b = t.partial(&input[cut..], None).expect("partial");
    assert!(matches!(
        t.merge_partials(a, b),
        Err(logtriage::Error::Partial(PartialError::Settings {
            setting: "rules"
        }))
    ));
    let slow = TriageBuilder::new().slow_ms(5.0).build().expect("build");
    let a = slow.partial(&input[..cut], None).expect("partial");
    let b = t.partial(&input[cut..], None).expect("partial");
    assert!(matches!(
        t.merge_partials(a, b),
        Err(logtriage::Error::Partial(PartialError::Settings {
            setting: "slow-ms"
        }))
    ));
}

#[test]
fn a_merged_lead_past_the_malformed_lines_kept_ends_at_its_last_quiet_place() {
    // A traceback opened in the first shard; ten lines cut mid-write and a frame of it in
    // the second (small: kept whole); 3 MiB after. The second and third merge first: past
    // the ten malformed lines their places are dropped, and the merged lead must end at
    // the last one left, then be scanned again with the traceback carried in.
    let line = |id: &str, text: &str| {
        serde_json::json!({
            "insertId": id,
            "labels": {"instanceId": "00a1"},
            "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
            "resource": {"type": "cloud_run_revision",
                         "labels": {"service_name": "netra-backend-staging"}},
            "severity": "ERROR",
            "textPayload": text,
        })
        .to_string()
            + "\n"
    };
    let mut bytes = line("z1", "Traceback (most recent call last):").into_bytes();
    let first = bytes.len();
    for _ in 0..10 {
        bytes.extend_from_slice(b"{\"insertId\":\"cut-\n");
    }
    bytes.extend_from_slice(line("z2", "  File \"/app/main.py\", line 3, in run").as_bytes());
    let second = bytes.len();
    bytes.extend(generated(corpus::Shape::Ndjson, 3 << 20, 0.2, 9));
    let input = Cuttable {
        bounds: vec![first, second],
        bytes,
        format: Format::Ndjson,
    };
    assert_exact(&triage(), &input, &[0, 1], &[1, 0]);
}

#[test]
fn a_partials_link_marks_write_each_instance_name_once() {
    // Cloud Run's instance ids are about 100 characters: in every mark they were most of a
    // partial's marks.
    let t = triage();
    let entries = linked(3, 50);
    let bytes = ndjson_of(&entries);
    let v: serde_json::Value =
        serde_json::from_str(&t.partial(&bytes[..], None).expect("partial").to_json())
            .expect("json");
    let tallies = v["tallies"].as_array().expect("tallies");
    let mut marks = 0;
    for id in entries
        .iter()
        .filter_map(|e| e["labels"]["instanceId"].as_str())
    {
        for tally in tallies {
            let links = tally["links"].to_string();
            assert!(links.matches(id).count() <= 1, "{id} more than once");
        }
    }
    for tally in tallies {
        marks += tally["links"]["causes"].as_array().map_or(0, Vec::len);
    }
    assert!(marks > 20, "the corpus leaves marks: {marks}");
}

#[test]
fn binary_data_is_looked_for_in_the_inputs_first_bytes_across_shards() {
    // A single pass looks at its input's first 4 KiB: NUL bytes further on are not looked
    // at, NUL bytes in a second shard within them are.
    let t = triage();
    let ok = b"INFO request served\n";
    let nul = b"\0\0\0 core dumped\n";
    let far = [ok.repeat(300), nul.to_vec()].concat();
    let near = [ok.repeat(10), nul.to_vec(), ok.repeat(300)].concat();
    for bytes in [far, near] {
        let input = lines(bytes, Format::Text);
        let every: Vec<usize> = (0..input.bounds.len()).collect();
        for picks in [&every[..1], &every[9..11], &every[..20], &every] {
            assert_exact(&t, &input, picks, &[0]);
        }
    }
    // A second shard whose scan holds a traceback open for its first MiBs keeps no lead:
    // its first bytes are kept apart for this look.
    let frame = "  File \"/app/netra_backend/app/loop.py\", line 12, in spin\n    spin()\n";
    let head = "INFO start\nTraceback (most recent call last):\n  File \"\0\"\n";
    let open = [
        head.as_bytes(),
        &frame.repeat((3 << 20) / frame.len()).into_bytes(),
    ]
    .concat();
    let input = lines(open, Format::Text);
    let whole = t
        .run_slice(&input.bytes, &mut logtriage::NoSink)
        .expect("run");
    assert_eq!(whole.totals.binary, Some(logtriage::Binary::NulBytes));
    let second = t
        .partial(&input.bytes[input.bounds[0]..], Some(Format::Text))
        .expect("partial");
    let v: serde_json::Value = serde_json::from_str(&second.to_json()).expect("json");
    assert_eq!(v["lead"]["text"], "", "no quiet place in its lead");
    assert_exact(&t, &input, &[0], &[0]);
}

#[test]
fn a_partials_size_is_bounded_by_its_groups_and_open_state_not_by_its_shard() {
    // The staging fixture 8 and 32 times over: the same groups and minutes, four times the
    // entries and events. Past its lead and its link marks (each bounded: `LEAD_BYTES`,
    // `MAX_MARKS` of each kind), a partial does not grow with its shard.
    let t = triage();
    let base = fixture("staging.ndjson");
    let rest = |times: usize| {
        let bytes = base.repeat(times);
        let p = t.partial(&bytes[..], None).expect("partial");
        let json = p.to_json();
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        let lead = v["lead"]["text"].as_str().expect("a text lead").len();
        assert!(lead as u64 <= logtriage::LEAD_BYTES);
        let tallies = v["tallies"].as_array().expect("tallies");
        let mut links = 0;
        for tally in tallies {
            links += tally["links"].to_string().len();
            for kind in ["causes", "symptoms"] {
                let marks = tally["links"][kind].as_array().map_or(0, Vec::len);
                assert!(marks <= logtriage::MAX_MARKS, "{kind}: {marks}");
            }
        }
        (bytes.len(), json.len() - lead - links)
    };
    let (small, small_rest) = rest(8);
    let (large, large_rest) = rest(32);
    assert_eq!(large, 4 * small);
    assert!(
        large_rest < small_rest + small_rest / 20,
        "{small} bytes: {small_rest}; {large} bytes: {large_rest}"
    );
}
