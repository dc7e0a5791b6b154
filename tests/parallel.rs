//! The parallel path gives the same events, in the same order, and the same report as one
//! thread, also when split tracebacks straddle the blocks the workers get.

#[path = "../benches/corpus.rs"]
mod corpus;

use logtriage::{Error, Event, FnSink, ReadAt, Report, TriageBuilder};
use proptest::prelude::*;

/// How the input reaches the triage: streamed (`run`), or read at offsets from memory
/// (`run_slice`) or from a real file (`run_file`), which cut blocks without reading the input
/// through.
#[derive(Clone, Copy, Debug)]
enum Via {
    Stream,
    Offsets,
    File,
}

fn run_via(input: &[u8], threads: usize, block_bytes: usize, via: Via) -> (Vec<Event>, Report) {
    run_until(input, threads, block_bytes, via, usize::MAX)
}

/// A run whose sink stops it after `stop_after` events.
fn run_until(
    input: &[u8],
    threads: usize,
    block_bytes: usize,
    via: Via,
    stop_after: usize,
) -> (Vec<Event>, Report) {
    let triage = TriageBuilder::new()
        .threads(threads)
        .block_bytes(block_bytes)
        .build()
        .expect("build");
    let mut events = Vec::new();
    let mut sink = FnSink(|ev: &Event| {
        events.push(ev.clone());
        Ok(events.len() < stop_after)
    });
    let report = match via {
        Via::Stream => triage.run(input, &mut sink),
        Via::Offsets => triage.run_slice(input, &mut sink),
        Via::File => {
            // One file per run: tests run at once in this process.
            static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "logtriage-parallel-{}-{n}.ndjson",
                std::process::id()
            ));
            std::fs::write(&path, input).expect("write");
            let file = std::fs::File::open(&path).expect("open");
            let report = triage.run_file(&file, &mut sink);
            std::fs::remove_file(&path).expect("remove");
            report
        }
    }
    .expect("run");
    (events, report)
}

/// A generated corpus of the given shape.
fn generated(shape: corpus::Shape, bytes: usize, failure_rate: f64, seed: u64) -> corpus::Corpus {
    corpus::generate(corpus::Spec {
        bytes,
        failure_rate,
        shape,
        seed,
    })
}

fn ndjson(bytes: usize, failure_rate: f64, seed: u64) -> corpus::Corpus {
    generated(corpus::Shape::Ndjson, bytes, failure_rate, seed)
}

fn run(input: &[u8], threads: usize, block_bytes: usize) -> (Vec<Event>, Report) {
    run_via(input, threads, block_bytes, Via::Stream)
}

fn assert_same(input: &[u8], threads: usize, block_bytes: usize) {
    assert_same_via(input, threads, block_bytes, &[Via::Stream, Via::Offsets]);
}

fn assert_same_via(input: &[u8], threads: usize, block_bytes: usize, vias: &[Via]) {
    let (want_events, want) = run(input, 1, block_bytes);
    for &via in vias {
        let (events, report) = run_via(input, threads, block_bytes, via);
        let how = format!("{threads} threads, {block_bytes} B blocks, {via:?}");
        assert_eq!(events.len(), want_events.len(), "event count, {how}");
        assert_eq!(events, want_events, "{how}");
        assert_eq!(report.totals, want.totals, "{how}");
        assert_eq!(report.groups, want.groups, "{how}");
    }
}

#[test]
fn two_threads_match_one_on_a_corpus_with_split_tracebacks() {
    let c = ndjson(2 << 20, 0.2, 7);
    let (events, report) = run(&c.bytes, 2, 64 << 10);
    assert_eq!(events.len() as u64, c.events);
    assert_eq!(report.totals.entries, c.entries);
    for block in [997, 4096, 64 << 10] {
        assert_same(&c.bytes, 2, block);
    }
    assert_same(&c.bytes, 3, 8192);
}

/// REGRESSION (found by the fuzz target): a stream's first block must be cut after the bytes
/// that decide its format. `[` then a line of text is text, but a first block cut after the
/// `[` line alone looked like an array (nothing after `[` in it) and lost an entry.
#[test]
fn the_first_block_of_a_stream_keeps_what_decides_its_format() {
    let mut input = b"[\n1\",\"severity\":\"ERROR\",\"".to_vec();
    input.extend(std::iter::repeat_n(b'1', 225));
    for block_bytes in [16, 64, 256] {
        assert_same(&input, 2, block_bytes);
    }
    let (_, report) = run(&input, 2, 256);
    assert_eq!(report.totals.entries, 2);
}

#[test]
fn malformed_lines_after_a_carried_traceback_keep_their_numbers() {
    let c = ndjson(512 << 10, 0.2, 5);
    // A line cut mid-write every 40 lines: many fall in blocks whose first scan was redone
    // from a split traceback carried into them, after the place where that scan stopped.
    let mut input = Vec::new();
    for (i, line) in c.bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        input.extend_from_slice(line);
        if i % 40 == 39 {
            input.extend_from_slice(b"{\"insertId\":\"cut-\n");
        }
    }
    for block in [2048, 8192] {
        assert_same(&input, 2, block);
    }
}

/// One Cloud Run stderr line of instance `00a1`, as Cloud Logging exports it.
fn stderr_line(second: u32, text: &str) -> String {
    serde_json::json!({
        "insertId": format!("s{second:02}"),
        "labels": {"instanceId": "00a1"},
        "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "netra-backend-staging"}},
        "textPayload": text,
        "timestamp": format!("2026-11-26T14:{:02}:{:02}Z", second / 60, second % 60),
    })
    .to_string()
        + "\n"
}

#[test]
fn a_malformed_line_inside_a_carried_traceback_is_kept_once() {
    // CPython's traceback, one stderr line per entry, with a line cut mid-write inside it.
    let lines = [
        "Traceback (most recent call last):",
        "  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns",
        "    factory = UnifiedExecutionEngineFactory()",
        "              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "NameError: name 'UnifiedExecutionEngineFactory' is not defined",
        "INFO:     Waiting for application startup.",
        "INFO:     Application startup complete.",
    ];
    // Startup lines before and after it, so that a block starting inside the traceback (at
    // `start`, the block size) runs on to `2 * start`. The failed health checks after it are
    // candidates, where a scan looks whether its assembler holds nothing (the lines between
    // are counted in bulk): at one of them both scans hold nothing.
    let startup = |second: u32| match second {
        60.. if second.is_multiple_of(5) => {
            stderr_line(second, "ERROR:    health check failed with status 500")
        }
        _ => stderr_line(second, "INFO:     Started server process [1]"),
    };
    let mut input: String = (0..48).map(startup).collect();
    let mut starts = Vec::new();
    for (second, text) in (48..).zip(lines) {
        starts.push(input.len());
        input += &stderr_line(second, text);
        if second == 50 {
            starts.push(input.len());
            input += "{\"insertId\":\"cut-\n";
        }
    }
    input.extend((60..140).map(startup));
    let (_, one_thread) = run(input.as_bytes(), 1, 64 << 10);
    assert_eq!(one_thread.totals.malformed_lines, [52], "the cut line");
    // The second block starts at each line of the traceback in turn. Its first scan, with
    // nothing open, counts the cut line before the place where the scan with the carried
    // traceback meets it again, and from where it keeps the first scan's counts: only the
    // carried scan's count of the cut line may be kept, as one thread keeps it.
    for &start in starts.get(1..5).expect("traceback lines") {
        assert_same_via(input.as_bytes(), 2, start, &[Via::Stream, Via::Offsets]);
    }
}

/// One Cloud Run stderr line of `instance` at `second`, as Cloud Logging exports it.
fn instance_line(instance: &str, second: u32, severity: &str, text: &str) -> String {
    serde_json::json!({
        "insertId": format!("{instance}-{second:03}"),
        "labels": {"instanceId": instance},
        "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "netra-backend-staging"}},
        "severity": severity,
        "textPayload": text,
        "timestamp": format!("2026-11-26T14:{:02}:{:02}Z", second / 60, second % 60),
    })
    .to_string()
        + "\n"
}

#[test]
fn a_whole_traceback_carried_into_a_block_goes_out_where_one_thread_lets_it_go() {
    // A traceback whole in one entry waits 32 entries for a header read after it (as
    // newest first). A block that starts while it waits is not scanned again when no
    // entry of its stream comes before it stops waiting: the merge puts it among the
    // block's events where one thread lets it go, between the events before and after.
    let whole = "Traceback (most recent call last):\n  File \"/app/netra_backend/app/db.py\", \
                 line 88, in connect\n    conn = psycopg2.connect(dsn)\n\
                 psycopg2.OperationalError: connection to server at \"10.0.0.5\", port 5432 \
                 failed: Connection refused";
    let other = |second: u32| match second % 5 {
        0 => instance_line(
            "00a1",
            second,
            "ERROR",
            "Redis connection failed: Error 111 \
                 connecting to 10.166.204.83:6379. Connection refused.",
        ),
        _ => instance_line("00a1", second, "INFO", "GET /health 200"),
    };
    for late_header in [false, true] {
        let mut input: String = (0..40).map(other).collect();
        let mut starts = vec![input.len()];
        input += &instance_line("00b2", 40, "ERROR", whole);
        for second in 41..140 {
            starts.push(input.len());
            input += &match second {
                // Its header, read after it (newest first): it joins, so no block may
                // start with it still waiting without a scan again.
                52 if late_header => instance_line(
                    "00b2",
                    39,
                    "ERROR",
                    "[2026-11-26 14:00:39 +0000] [7] [ERROR] Exception in worker process",
                ),
                _ => other(second),
            };
        }
        let (events, _) = run(input.as_bytes(), 1, 64 << 10);
        let joined = events.iter().find(|e| e.text.contains("OperationalError"));
        let joined = joined.expect("the traceback");
        assert_eq!(
            joined.text.contains("Exception in worker process"),
            late_header
        );
        for &start in starts.get(1..16).expect("lines after it") {
            assert_same_via(input.as_bytes(), 2, start, &[Via::Stream, Via::Offsets]);
        }
    }
}

#[test]
fn a_header_carried_into_a_block_joins_the_whole_traceback_that_opens_it() {
    // gunicorn's record header as one stderr entry, its traceback whole in the next: one
    // event. A block that starts at the traceback scans it first with nothing carried, and
    // holds it, waiting for a header read after it (as newest first); the scan with the
    // header carried holds nothing once it joined. The two meet only where both hold the
    // same: meeting anywhere both hold no more than whole tracebacks would keep the first
    // scan's lone traceback as well.
    let whole = "Traceback (most recent call last):\n  File \"/app/netra_backend/app/smd.py\", \
                 line 1687, in _initialize_factory_patterns\n    factory = \
                 UnifiedExecutionEngineFactory()\nNameError: name \
                 'UnifiedExecutionEngineFactory' is not defined";
    let startup = |second: u32| match second {
        60.. if second.is_multiple_of(5) => {
            stderr_line(second, "ERROR:    health check failed with status 500")
        }
        _ => stderr_line(second, "INFO:     Started server process [1]"),
    };
    let mut input: String = (0..47).map(startup).collect();
    input += &stderr_line(
        47,
        "[2026-11-26 14:00:47 +0000] [7] [ERROR] Exception in worker process",
    );
    let start = input.len();
    input += &stderr_line(48, whole);
    input.extend((49..160).map(startup));
    let (events, _) = run(input.as_bytes(), 1, 64 << 10);
    let joined = events
        .iter()
        .filter(|e| e.text.contains("NameError"))
        .collect::<Vec<_>>();
    assert_eq!(joined.len(), 1, "{events:#?}");
    assert!(
        joined[0].text.starts_with("[2026-11-26 14:00:47"),
        "{}",
        joined[0].text
    );
    assert_same_via(input.as_bytes(), 2, start, &[Via::Stream, Via::Offsets]);
}

#[test]
fn an_array_read_at_offsets_gives_what_one_thread_gives() {
    let c = generated(corpus::Shape::Array, 1 << 20, 0.2, 3);
    let (events, report) = run_via(&c.bytes, 2, 4096, Via::Offsets);
    assert_eq!(events.len() as u64, c.events);
    assert_eq!(report.totals.entries, c.entries);
    for block in [997, 4096, 64 << 10] {
        assert_same_via(&c.bytes, 2, block, &[Via::Stream, Via::Offsets, Via::File]);
    }
    assert_same_via(&c.bytes, 3, 8192, &[Via::Offsets]);
}

/// `value` pretty-printed with `pad` as its indentation, as an element of an array that is.
fn element(value: &serde_json::Value, pad: &str) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(pad.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut ser).expect("json");
    let text = String::from_utf8(out).expect("utf-8");
    text.lines()
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_line_longer_than_a_block_and_the_entry_limit_is_oversize_either_way() {
    let mut input = Vec::new();
    input.extend_from_slice(
        b"{\"insertId\":\"a\",\"severity\":\"ERROR\",\"textPayload\":\"boom\"}\n",
    );
    input.extend_from_slice(b"{\"textPayload\":\"");
    input.resize(input.len() + 300_000, b'x');
    input.extend_from_slice(
        b"\"}\n{\"insertId\":\"b\",\"severity\":\"ERROR\",\"textPayload\":\"boom again\"}\n",
    );
    let triage = TriageBuilder::new()
        .threads(2)
        .block_bytes(1024)
        .max_entry_bytes(100_000)
        .build()
        .expect("build");
    for report in [
        triage.run(&input[..], &mut logtriage::NoSink),
        triage.run_slice(&input, &mut logtriage::NoSink),
    ] {
        let report = report.expect("run");
        assert_eq!(report.totals.oversize, 1);
        assert_eq!(report.totals.entries, 3);
        assert_eq!(report.totals.events, 2);
        assert_eq!(report.totals.lines, 3);
    }
}

#[test]
fn a_file_read_at_offsets_gives_what_its_bytes_give() {
    let c = ndjson(1 << 20, 0.2, 11);
    assert_same_via(&c.bytes, 2, 16 << 10, &[Via::File]);
    assert_eq!(run(&c.bytes, 1, 16 << 10).1.totals.events, c.events);
}

#[test]
fn a_sink_that_stops_early_gets_the_first_events_on_every_path() {
    let c = ndjson(1 << 20, 0.2, 13);
    let (want, _) = run(&c.bytes, 1, 8192);
    for threads in [2, 3] {
        for via in [Via::Stream, Via::Offsets, Via::File] {
            for n in [1, 40, want.len() / 2] {
                let (events, _) = run_until(&c.bytes, threads, 8192, via, n);
                let how = format!("{threads} threads, {via:?}, stop after {n}");
                assert_eq!(events.len(), n, "{how}");
                assert_eq!(events, want.get(..n).expect("enough events"), "{how}");
            }
        }
    }
}

/// Bytes in memory whose reads fail from `fail_from` on, as a disk that goes away.
struct FailingAt<'a> {
    bytes: &'a [u8],
    fail_from: u64,
}

impl ReadAt for FailingAt<'_> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        if offset + buf.len() as u64 > self.fail_from {
            return Err(std::io::Error::other("disk went away"));
        }
        self.bytes.read_at(buf, offset)
    }
}

#[test]
fn a_read_error_midway_ends_every_path_with_that_error() {
    let c = ndjson(1 << 20, 0.02, 17);
    let input = FailingAt {
        bytes: &c.bytes,
        fail_from: c.bytes.len() as u64 / 3,
    };
    for threads in [1, 2, 3] {
        let triage = TriageBuilder::new()
            .threads(threads)
            .block_bytes(16 << 10)
            .build()
            .expect("build");
        let run = triage.run_at(&input, 0..c.bytes.len() as u64, &mut logtriage::NoSink);
        match run {
            Err(Error::Input(e)) => {
                assert_eq!(e.to_string(), "disk went away", "{threads} threads")
            }
            other => panic!("{threads} threads: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_array_layout_and_block_size_gives_the_same_result(
        seed in 0u64..1000,
        rate in 0.0f64..0.5,
        block in 64usize..8192,
        threads in 2usize..4,
        indent in 0usize..5,
        odd in proptest::collection::vec((0usize..40, 0usize..4), 0..6),
    ) {
        // The elements indented by `indent` spaces and, after some of them, an odd one where
        // a block may be cut inside an element or outside the array: a nested array of
        // objects indented like the elements, a string holding raw newlines and a cut's
        // look, the array closed early, a scalar element.
        let c = generated(corpus::Shape::Array, 24 << 10, rate, seed);
        let values: Vec<serde_json::Value> = serde_json::from_slice(&c.bytes).expect("json");
        let pad = " ".repeat(indent);
        let mut input = String::from("[\n");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                input.push_str(",\n");
            }
            input.push_str(&element(v, &pad));
            for &(_, kind) in odd.iter().filter(|(at, _)| *at == i) {
                input.push_str(&match kind {
                    0 => format!(",\n{pad}{{\"a\": [\n{pad}{{\"b\": 1}},\n{pad}{{\"c\": 2}}\n{pad}]}}"),
                    1 => format!(",\n{pad}{{\"textPayload\": \"x,\n{pad}{{y\"}}"),
                    2 => format!("\n],\n{pad}{{\"a\": 1}}"),
                    _ => ",\n5".to_string(),
                });
            }
        }
        input.push_str("\n]\n");
        assert_same_via(input.as_bytes(), threads, block, &[Via::Offsets]);
    }

    #[test]
    fn any_block_size_and_thread_count_gives_the_same_result(
        seed in 0u64..1000,
        rate in 0.0f64..0.5,
        block in 64usize..8192,
        threads in 2usize..4,
        garbage in proptest::collection::vec(0usize..100, 0..4),
        pretty in proptest::collection::vec(0usize..100, 0..8),
    ) {
        let c = ndjson(48 << 10, rate, seed);
        // Lines cut mid-write, after some of the entries: their line numbers must agree too.
        // Pretty-printed entries span lines that must not start a block.
        let (mut input, mut cut) = (Vec::new(), 0);
        for (i, line) in c.bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(v) if pretty.contains(&i) => {
                    input.extend_from_slice(serde_json::to_string_pretty(&v).expect("json").as_bytes());
                    input.push(b'\n');
                }
                _ => input.extend_from_slice(line),
            }
            if garbage.contains(&i) {
                input.extend_from_slice(b"{\"insertId\":\"cut-\n");
                cut += 1;
            }
        }
        assert_same(&input, threads, block);
        let (_, report) = run(&input, threads, block);
        prop_assert_eq!(report.totals.malformed_lines.len(), cut);
    }
}

#[test]
fn a_sink_error_ends_every_path_as_an_output_error() {
    let c = ndjson(1 << 20, 0.02, 19);
    for threads in [1, 2, 3] {
        let triage = TriageBuilder::new()
            .threads(threads)
            .block_bytes(16 << 10)
            .build()
            .expect("build");
        let mut seen = 0;
        let mut sink = FnSink(|_: &Event| {
            seen += 1;
            if seen == 3 {
                return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
            }
            Ok(true)
        });
        let run = triage.run_at(&c.bytes[..], 0..c.bytes.len() as u64, &mut sink);
        match run {
            Err(e @ Error::Output(_)) => {
                assert!(e.to_string().starts_with("cannot write the output"), "{e}");
                let Error::Output(io) = e else { unreachable!() };
                assert_eq!(io.kind(), std::io::ErrorKind::BrokenPipe);
            }
            other => panic!("{threads} threads: {other:?}"),
        }
        let run = triage.run(
            &c.bytes[..],
            &mut FnSink(|_: &Event| Err(std::io::Error::other("disk full"))),
        );
        assert!(
            matches!(run, Err(Error::Output(_))),
            "{threads} threads, streamed: {run:?}"
        );
    }
}
