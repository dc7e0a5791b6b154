//! Properties of the reader and the prefilter: the same entries give the same framing, totals
//! and candidates whatever the format (NDJSON or a gcloud array), the chunking of the input
//! and the buffer's starting capacity, and agree with a naive, obviously-correct oracle.

use logtriage::internals::{Ahead, Format, Framed, Prefilter, ReaderBuilder};
use proptest::prelude::*;
use serde_json::{json, Value};
mod support;

use std::io::Read;
use support::Chunked;

/// Message texts as Cloud Run services print them; some are candidates, some hold JSON's
/// structural characters inside strings.
const MESSAGES: &[&str] = &[
    "GET /health 200",
    "POST /api/agents/run 201 in 35ms",
    "INFO:     169.254.1.1:43210 - \"GET /api/threads HTTP/1.1\" 200 OK",
    "cache hit for key user:{42}:profile [warm]",
    "path C:\\Users\\netra\\app with \"quotes\" and {braces} ] [",
    "Traceback (most recent call last):\n  File \"/app/netra_backend/app/main.py\", line 12, in <module>\n    from app.factory import UnifiedExecutionEngineFactory\nImportError: cannot import name 'UnifiedExecutionEngineFactory' from 'app.factory' (/app/app/factory.py)",
    "ERROR:root:Exception on /api/agents [POST]",
    "Memory limit of 512 MiB exceeded with 530 MiB used. Consider increasing the memory limit.",
    "2026-11-27 07:01:02.123 UTC [42]: [3-1] db=netra,user=app LOG:  duration: 5123.456 ms  statement: SELECT * FROM threads WHERE id = '7'",
    "2026-11-27 07:01:02.456 UTC [43]: [4-1] db=netra,user=app LOG:  duration: 999.875 ms  statement: SELECT 1",
    "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
    "émoji ✓ ünïcödé \u{1F600}",
    "",
];

const SEVERITIES: &[&str] = &[
    "DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL",
];

/// One realistic `LogEntry` (Cloud Run request or stderr log).
fn log_entry() -> impl Strategy<Value = Value> {
    (
        0u64..1 << 40,
        0..SEVERITIES.len(),
        0..MESSAGES.len(),
        any::<bool>(),
        proptest::option::of(0u32..5000),
        0u8..3,
    )
        .prop_map(|(id, sev, msg, structured, duration, instance)| {
            let message = MESSAGES[msg];
            let mut entry = json!({
                "insertId": format!("{id:024x}"),
                "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
                "receiveTimestamp": "2026-11-27T07:01:02.345678Z",
                "resource": {
                    "labels": {
                        "configuration_name": "netra-backend-staging",
                        "location": "us-central1",
                        "project_id": "netra-staging",
                        "revision_name": "netra-backend-staging-00042-xyz",
                        "service_name": "netra-backend-staging"
                    },
                    "type": "cloud_run_revision"
                },
                "labels": {"instanceId": format!("00f46b9285a1c2{instance}")},
                "severity": SEVERITIES[sev],
                "timestamp": "2026-11-27T07:01:02.123456Z",
            });
            let obj = entry.as_object_mut().expect("an object");
            if structured {
                let mut payload = json!({"message": message, "logger": "netra_backend.app"});
                if let Some(ms) = duration {
                    payload["duration_ms"] = json!(ms);
                    payload["query"] = json!("SELECT 1");
                }
                obj.insert("jsonPayload".into(), payload);
            } else {
                obj.insert("textPayload".into(), json!(message));
            }
            if id % 3 == 0 {
                obj.insert(
                    "httpRequest".into(),
                    json!({"requestMethod": "GET", "status": 200, "latency": "0.012s", "requestUrl": "https://netra-backend-staging.run.app/health"}),
                );
            }
            entry
        })
}

/// What a run of the reader saw: each entry (parsed back to a value), its line, whether the
/// prefilter picked it, and the totals.
#[derive(Debug, PartialEq)]
struct Seen {
    entries: Vec<(Option<Value>, u64, bool)>,
    malformed: Vec<u64>,
    oversize: Vec<u64>,
    format: Option<Format>,
    lines: u64,
}

impl Seen {
    /// The same, without line numbers (which differ between formats).
    fn without_lines(&self) -> (Vec<(Option<Value>, bool)>, usize, usize) {
        (
            self.entries
                .iter()
                .map(|(v, _, c)| (v.clone(), *c))
                .collect(),
            self.malformed.len(),
            self.oversize.len(),
        )
    }
}

fn run(rdr: impl Read, capacity: usize, max: usize) -> Seen {
    let prefilter = Prefilter::default();
    let mut reader = ReaderBuilder::new()
        .capacity(capacity)
        .max_entry_bytes(max)
        .build(rdr);
    let mut seen = Seen {
        entries: Vec::new(),
        malformed: Vec::new(),
        oversize: Vec::new(),
        format: None,
        lines: 0,
    };
    // The pipeline's way (one search ahead over many entries) against the prefilter's
    // answer for each entry on its own.
    let mut ahead = Ahead::default();
    while let Some((framed, candidate)) = ahead.next_entry(&prefilter, &mut reader).unwrap() {
        match framed {
            Framed::Entry { bytes, line, json } => {
                let value = if json {
                    serde_json::from_slice(bytes).ok()
                } else {
                    Some(Value::String(String::from_utf8_lossy(bytes).into_owned()))
                };
                assert_eq!(candidate, prefilter.is_candidate(bytes), "line {line}");
                seen.entries.push((value, line, candidate));
            }
            Framed::Malformed { line } => seen.malformed.push(line),
            Framed::Oversize { line } => seen.oversize.push(line),
        }
    }
    seen.format = reader.format();
    seen.lines = reader.lines();
    seen
}

/// What the pipeline needs of an input: (entries, lines of candidates, malformed lines,
/// oversize lines, lines).
type Summary = (u64, Vec<u64>, Vec<u64>, Vec<u64>, u64);

fn summary(seen: &Seen) -> Summary {
    let candidates = seen.entries.iter().filter(|e| e.2).map(|e| e.1).collect();
    let entries = (seen.entries.len() + seen.malformed.len() + seen.oversize.len()) as u64;
    (
        entries,
        candidates,
        seen.malformed.clone(),
        seen.oversize.clone(),
        seen.lines,
    )
}

/// The pipeline's loop: entries that end before the next literal are skipped in bulk, the
/// others framed one by one.
fn summary_skipping(rdr: impl Read, capacity: usize, max: usize) -> Summary {
    let prefilter = Prefilter::default();
    let mut reader = ReaderBuilder::new()
        .capacity(capacity)
        .max_entry_bytes(max)
        .build(rdr);
    let mut ahead = Ahead::default();
    let mut out: Summary = (0, Vec::new(), Vec::new(), Vec::new(), 0);
    loop {
        out.0 += ahead.skip_clear(&mut reader);
        let Some((framed, candidate)) = ahead.next_entry(&prefilter, &mut reader).unwrap() else {
            break;
        };
        out.0 += 1;
        match framed {
            Framed::Entry { line, .. } if candidate => out.1.push(line),
            Framed::Entry { .. } => {}
            Framed::Malformed { line } => out.2.push(line),
            Framed::Oversize { line } => out.3.push(line),
        }
    }
    out.4 = reader.lines();
    out
}

fn ndjson(entries: &[Value], crlf: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend(serde_json::to_vec(e).unwrap());
        out.extend(if crlf { &b"\r\n"[..] } else { b"\n" });
    }
    out
}

fn array(entries: &[Value]) -> Vec<u8> {
    serde_json::to_vec_pretty(entries).unwrap()
}

/// The naive oracle: what a slow, obviously-correct pass finds.
fn oracle(entries: &[Value]) -> (Vec<(Option<Value>, bool)>, usize, usize) {
    let prefilter = Prefilter::default();
    let framed = entries
        .iter()
        .map(|e| {
            let text = serde_json::to_string(e).unwrap();
            (Some(e.clone()), prefilter.is_candidate(text.as_bytes()))
        })
        .collect();
    (framed, 0, 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ndjson_and_array_agree(entries in proptest::collection::vec(log_entry(), 0..40), crlf in any::<bool>()) {
        let want = oracle(&entries);
        let nd = run(&ndjson(&entries, crlf)[..], 64 << 10, 1 << 20);
        let arr = run(&array(&entries)[..], 64 << 10, 1 << 20);
        prop_assert_eq!(&nd.without_lines(), &want);
        prop_assert_eq!(&arr.without_lines(), &want);
        if !entries.is_empty() {
            prop_assert_eq!(nd.format, Some(Format::Ndjson));
            prop_assert_eq!(arr.format, Some(Format::Array));
        }
        // NDJSON: entry i on line i + 1.
        let lines: Vec<u64> = nd.entries.iter().map(|e| e.1).collect();
        prop_assert_eq!(lines, (1..=entries.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn chunking_and_capacity_do_not_matter(
        entries in proptest::collection::vec(log_entry(), 1..12),
        sizes in proptest::collection::vec(1usize..300, 1..8),
        capacity in 1usize..2048,
        pretty in any::<bool>(),
    ) {
        let input = if pretty { array(&entries) } else { ndjson(&entries, false) };
        let want = run(&input[..], 64 << 10, 1 << 20);
        let got = run(Chunked { data: &input, sizes, i: 0 }, capacity, 1 << 20);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn oversize_does_not_depend_on_chunking(
        entries in proptest::collection::vec(log_entry(), 1..12),
        sizes in proptest::collection::vec(1usize..300, 1..8),
        capacity in 1usize..2048,
        max in 200usize..1500,
        pretty in any::<bool>(),
    ) {
        let input = if pretty { array(&entries) } else { ndjson(&entries, false) };
        let want = run(&input[..], 1 << 20, max);
        let got = run(Chunked { data: &input, sizes, i: 0 }, capacity, max);
        prop_assert_eq!(&got, &want);
        // The oracle: NDJSON lines longer than `max` are oversize, the others are entries.
        if !pretty {
            let long = input
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .filter(|l| l.len() > max)
                .count();
            prop_assert_eq!(got.oversize.len(), long);
            prop_assert_eq!(got.entries.len(), entries.len() - long);
        }
    }

    #[test]
    fn ndjson_with_garbage_matches_line_oracle(
        lines in proptest::collection::vec(
            prop_oneof![
                log_entry().prop_map(|e| serde_json::to_string(&e).unwrap()),
                "[a-z0-9 :=\\[\\]\"\\\\]{0,40}".prop_map(|s| format!("x{s}")),
                Just(String::new()),
                Just("   ".to_string()),
            ],
            1..30,
        ),
        capacity in 1usize..512,
    ) {
        // Start with an object, so the input is NDJSON.
        let mut input = b"{\"insertId\":\"first\"}\n".to_vec();
        for l in &lines {
            input.extend(l.as_bytes());
            input.push(b'\n');
        }
        let seen = run(&input[..], capacity, 1 << 20);
        let mut want_entries = vec![(Some(json!({"insertId": "first"})), 1)];
        let mut want_malformed = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let line = i as u64 + 2;
            if l.trim().is_empty() {
                continue;
            }
            if l.starts_with('{') {
                want_entries.push((serde_json::from_str(l).ok(), line));
            } else {
                want_malformed.push(line);
            }
        }
        let got: Vec<(Option<Value>, u64)> = seen.entries.iter().map(|e| (e.0.clone(), e.1)).collect();
        prop_assert_eq!(got, want_entries);
        prop_assert_eq!(seen.malformed, want_malformed);
        prop_assert_eq!(seen.lines, lines.len() as u64 + 1);
    }

    #[test]
    fn text_matches_line_oracle(
        lines in proptest::collection::vec("[ -~]{0,30}", 1..30),
        crlf in any::<bool>(),
        capacity in 1usize..256,
    ) {
        let mut text = String::from("Traceback (most recent call last):\n");
        for l in &lines {
            text.push_str(l);
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let seen = run(text.as_bytes(), capacity, 1 << 20);
        prop_assert_eq!(seen.format, Some(Format::Text));
        let want: Vec<Option<Value>> = text
            .lines()
            .map(|l| Some(Value::String(l.to_string())))
            .collect();
        let got: Vec<Option<Value>> = seen.entries.iter().map(|e| e.0.clone()).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(seen.lines, lines.len() as u64 + 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn skipping_clear_entries_counts_what_framing_finds(
        lines in proptest::collection::vec(
            prop_oneof![
                4 => log_entry().prop_map(|e| serde_json::to_string(&e).unwrap()),
                1 => "[a-z0-9 :=\\[\\]\"\\\\{}]{0,40}".prop_map(|s| format!("x{s}")),
                1 => Just(String::new()),
                1 => Just("  \r".to_string()),
                1 => Just("{\"insertId\": \"pretty\",\n  \"severity\": \"ERROR\"}".to_string()),
            ],
            1..30,
        ),
        // Large reads too: a bulk skip needs whole lines already in the buffer.
        sizes in proptest::collection::vec(prop_oneof![1usize..300, 300usize..8192], 1..8),
        capacity in prop_oneof![1usize..2048, 2048usize..16384],
        max in 100usize..3000,
        text in any::<bool>(),
    ) {
        let mut input = if text {
            b"Traceback (most recent call last):\n".to_vec()
        } else {
            b"{\"insertId\":\"first\"}\n".to_vec()
        };
        for l in &lines {
            input.extend(l.as_bytes());
            input.push(b'\n');
        }
        let want = summary(&run(&input[..], 64 << 10, max));
        let got = summary_skipping(Chunked { data: &input, sizes, i: 0 }, capacity, max);
        prop_assert_eq!(got, want);
    }
}

#[test]
fn candidates_are_the_same_in_both_formats() {
    // Pretty printing puts a space after `:`; the severity literal must not care.
    let entries = vec![
        json!({"insertId": "a", "severity": "ERROR", "textPayload": "boom"}),
        json!({"insertId": "b", "severity": "INFO", "textPayload": "GET /health 200"}),
        json!({"insertId": "c", "severity": "INFO", "jsonPayload": {"duration_ms": 2300, "query": "SELECT 1"}}),
    ];
    let nd = run(&ndjson(&entries, false)[..], 1, 1 << 20);
    let arr = run(&array(&entries)[..], 1, 1 << 20);
    let cands = |s: &Seen| s.entries.iter().map(|e| e.2).collect::<Vec<_>>();
    assert_eq!(cands(&nd), [true, false, true]);
    assert_eq!(cands(&arr), [true, false, true]);
}
