//! Exports read newest first (`gcloud logging read` without `--order=asc`) give the report
//! of the same export read oldest first: split tracebacks are put back together whatever
//! the order, and every other result (events, fingerprints, groups, counts, first and last
//! seen, samples) does not depend on it; on one thread or several, however the input is cut.

#[path = "support/newest.rs"]
mod newest;

use logtriage::{Event, EventKind, Report};
use newest::{export, run, run_with, Item, Line, Shape, Stamp, Via};
use proptest::prelude::*;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(path).expect("fixture")
}

/// An event as [`found`] sees it: its entries, fingerprint, kind, timestamp and text.
type Found = (Vec<String>, String, String, Option<String>, String);

/// What an event is, whatever the order it was found in: its entries (in time order), its
/// fingerprint, kind, timestamp and text.
fn found(events: &[Event]) -> Vec<Found> {
    let mut out: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.insert_ids.clone(),
                e.classification.fingerprint.to_string(),
                format!("{:?}", e.kind),
                e.timestamp.clone(),
                e.text.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

fn assert_same_report(got: &Report, want: &Report, how: &str) {
    assert_eq!(got.totals.events, want.totals.events, "{how}: events");
    assert_eq!(got.totals.entries, want.totals.entries, "{how}: entries");
    assert_eq!(got.groups, want.groups, "{how}: groups");
}

#[test]
fn the_staging_fixture_reversed_gives_the_same_groups() {
    // NDJSON, its lines reversed (one tie in it, two Cloud SQL lines of one timestamp, is
    // two events either way).
    let forward = fixture("staging.ndjson");
    let mut lines: Vec<&[u8]> = forward.split_inclusive(|&b| b == b'\n').collect();
    lines.reverse();
    let backward = lines.concat();
    let (want_events, want) = run(&forward, 1, 16 << 10, Via::Slice);
    let (events, got) = run(&backward, 1, 16 << 10, Via::Slice);
    assert_eq!(want.groups.len(), 22, "the fixture's groups");
    assert_same_report(&got, &want, "ndjson reversed");
    assert_eq!(found(&events), found(&want_events));
    for (threads, block) in [(2, 1000), (2, 4096), (3, 16 << 10)] {
        for via in [Via::Slice, Via::Stream] {
            let (e, r) = run(&backward, threads, block, via);
            let how = format!("{threads} threads, {block} B blocks, {via:?}");
            assert_eq!(e, events, "{how}");
            assert_eq!(r, got, "{how}");
        }
    }
    // gcloud's default: one pretty-printed array, newest first.
    let elements: Vec<serde_json::Value> =
        serde_json::from_slice(&fixture("staging.json")).expect("array");
    let mut reversed = elements;
    reversed.reverse();
    let array = serde_json::to_vec_pretty(&reversed).expect("json");
    let (array_events, from_array) = run(&array, 1, 16 << 10, Via::Slice);
    assert_same_report(&from_array, &want, "array reversed");
    assert_eq!(found(&array_events), found(&want_events));
    for block in [1000, 4096] {
        let (e, r) = run(&array, 2, block, Via::Slice);
        assert_eq!(e, array_events, "array, {block} B blocks");
        assert_eq!(r, from_array, "array, {block} B blocks");
    }
}

/// A stream's lines in time order: (instance, severity, text); one timestamp each, unless
/// the row says they tie.
type Rows = &'static [(&'static str, Option<&'static str>, &'static str)];

const NAME_ERROR: Rows = &[
    ("a", None, "Traceback (most recent call last):"),
    (
        "a",
        None,
        "  File \"/app/netra_backend/app/smd.py\", line 402, in _phase5_services",
    ),
    ("a", None, "    self._initialize_factory_patterns()"),
    (
        "a",
        None,
        "  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns",
    ),
    (
        "a",
        None,
        "    factory = UnifiedExecutionEngineFactory(config=self.config)",
    ),
    ("a", None, "              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"),
    (
        "a",
        None,
        "NameError: name 'UnifiedExecutionEngineFactory' is not defined",
    ),
];

/// One reversed layout: its lines oldest first, and what the traceback event the row is
/// about must be (its exception type as the classifier decides it, and how many entries it
/// spans), besides being the same read newest first.
struct Layout {
    name: &'static str,
    lines: Vec<Line>,
    exception: Option<&'static str>,
    entries: usize,
}

fn layout(
    name: &'static str,
    rows: &[(&'static str, Option<&'static str>, &'static str)],
    exception: Option<&'static str>,
    entries: usize,
) -> Layout {
    Layout {
        name,
        lines: rows
            .iter()
            .map(|&(instance, severity, text)| Line::stderr(instance, severity, text))
            .collect(),
        exception,
        entries,
    }
}

fn layouts() -> Vec<Layout> {
    let mut rows = vec![
        layout(
            "one frame, no source line",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/worker.py\", line 12, in <module>"),
                ("a", None, "KeyError: 'th_5d1c0e'"),
            ],
            Some("KeyError"),
            3,
        ),
        layout("two frames with carets", NAME_ERROR, Some("NameError"), 7),
        layout(
            "chain by cause, message continued by a tab, no blank entries",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py\", line 122, in connect"),
                ("a", None, "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)"),
                ("a", None, "psycopg2.OperationalError: connection to server at \"10.0.0.5\", port 5432 failed: Connection refused"),
                ("a", None, "\tIs the server running on that host and accepting TCP/IP connections?"),
                ("a", None, "The above exception was the direct cause of the following exception:"),
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/db/session.py\", line 41, in get_session"),
                ("a", None, "    with engine.begin() as conn:"),
                ("a", None, "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"10.0.0.5\", port 5432 failed: Connection refused"),
            ],
            Some("psycopg2.OperationalError"),
            10,
        ),
        layout(
            "chain by context with blank entries around the sentence",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/usr/local/lib/python3.11/asyncio/streams.py\", line 48, in open_connection"),
                ("a", None, "ConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 6379)"),
                ("a", None, ""),
                ("a", None, "During handling of the above exception, another exception occurred:"),
                ("a", None, ""),
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/redis_manager.py\", line 77, in connect"),
                ("a", None, "    await self.client.ping()"),
                ("a", None, "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused."),
            ],
            Some("ConnectionRefusedError"),
            10,
        ),
        layout(
            "message lines after the exception line (SQLAlchemy)",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/routes/threads.py\", line 88, in list_threads"),
                ("a", None, "    rows = await session.execute(stmt)"),
                ("a", None, "sqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.QueryCanceledError'>: canceling statement due to statement timeout"),
                ("a", None, "[SQL: SELECT threads.id FROM threads WHERE threads.user_id = $1]"),
                ("a", None, "(Background on this error at: https://sqlalche.me/e/20/dbapi)"),
            ],
            Some("sqlalchemy.exc.DBAPIError"),
            6,
        ),
        layout(
            "uvicorn's header line before the traceback",
            &[
                ("a", None, "ERROR:    Exception in ASGI application"),
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/main.py\", line 30, in dispatch"),
                ("a", None, "    return await call_next(request)"),
                ("a", None, "ValueError: invalid literal for int() with base 10: 'abc'"),
            ],
            Some("ValueError"),
            5,
        ),
        layout(
            "gunicorn's header waiting for its traceback",
            &[
                ("a", None, "[2026-11-26 14:00:00 +0000] [7] [ERROR] Exception in worker process"),
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/usr/local/lib/python3.11/site-packages/gunicorn/arbiter.py\", line 609, in spawn_worker"),
                ("a", None, "    worker.init_process()"),
                ("a", None, "ModuleNotFoundError: No module named 'netra_auth.tokens'"),
            ],
            Some("ModuleNotFoundError"),
            5,
        ),
        layout(
            "uvicorn's ERROR: prefix on the start line only, then its own error line",
            &[
                ("a", None, "ERROR:    Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns"),
                ("a", None, "    factory = UnifiedExecutionEngineFactory()"),
                ("a", None, "NameError: name 'UnifiedExecutionEngineFactory' is not defined"),
                ("a", None, "ERROR:    Application startup failed. Exiting."),
            ],
            Some("NameError"),
            4,
        ),
        layout(
            "two instances interleaved line by line",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("b", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns"),
                ("b", None, "  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns"),
                ("a", None, "    factory = UnifiedExecutionEngineFactory()"),
                ("b", None, "    factory = UnifiedExecutionEngineFactory()"),
                ("a", None, "NameError: name 'UnifiedExecutionEngineFactory' is not defined"),
                ("b", None, "NameError: name 'UnifiedExecutionEngineFactory' is not defined"),
            ],
            Some("NameError"),
            4,
        ),
        layout(
            "two tracebacks in a row with no header (sys.excepthook)",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/main.py\", line 12, in <module>"),
                ("a", None, "ModuleNotFoundError: No module named 'netra_backend.app.agents.supervisor'"),
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/worker.py\", line 9, in <module>"),
                ("a", None, "KeyError: 'th_5d1c0e'"),
            ],
            Some("ModuleNotFoundError"),
            3,
        ),
        layout(
            "every line at an error severity (GKE's stderr), two tracebacks in a row",
            &[
                ("a", Some("ERROR"), "Traceback (most recent call last):"),
                ("a", Some("ERROR"), "  File \"/app/netra_backend/app/main.py\", line 12, in <module>"),
                ("a", Some("ERROR"), "    app = create_app()"),
                ("a", Some("ERROR"), "NameError: name 'create_app' is not defined"),
                ("a", Some("ERROR"), "Traceback (most recent call last):"),
                ("a", Some("ERROR"), "  File \"/app/netra_backend/app/worker.py\", line 9, in <module>"),
                ("a", Some("ERROR"), "KeyError: 'th_5d1c0e'"),
            ],
            Some("NameError"),
            4,
        ),
        layout(
            "another thread's print among the frames",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/main.py\", line 12, in <module>"),
                ("a", None, "    app = create_app()"),
                ("a", None, "INFO:     Waiting for application startup."),
                ("a", None, "  File \"/app/netra_backend/app/smd.py\", line 1687, in create_app"),
                ("a", None, "    factory = UnifiedExecutionEngineFactory()"),
                ("a", None, "NameError: name 'UnifiedExecutionEngineFactory' is not defined"),
            ],
            Some("NameError"),
            6,
        ),
        layout(
            "a traceback that lost its header: two frames, then the exception line",
            &[
                ("a", None, "  File \"/app/netra_backend/app/api/threads.py\", line 41, in get_thread"),
                ("a", None, "    thread = service.load_thread(thread_id)"),
                ("a", None, "  File \"/app/netra_backend/app/services/thread_service.py\", line 88, in load_thread"),
                ("a", None, "    return self.cache[thread_id]"),
                ("a", None, "KeyError: 'th_5d1c0e'"),
            ],
            Some("KeyError"),
            5,
        ),
        layout(
            "a traceback, a log line, then a traceback that lost its header",
            &[
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/app/netra_backend/app/worker.py\", line 9, in <module>"),
                ("a", None, "    run()"),
                ("a", None, "KeyError: 'th_5d1c0e'"),
                ("a", None, "INFO:     Started server process [1]"),
                ("a", None, "  File \"/app/netra_backend/app/api/threads.py\", line 41, in get_thread"),
                ("a", None, "    thread = service.load_thread(thread_id)"),
                ("a", None, "  File \"/app/netra_backend/app/services/thread_service.py\", line 88, in load_thread"),
                ("a", None, "    return self.cache[thread_id]"),
                ("a", None, "ValueError: invalid literal for int() with base 10: 'abc'"),
            ],
            Some("KeyError"),
            4,
        ),
        layout(
            "celery's header and a line that goes on with its message before the traceback",
            &[
                ("a", None, "[2026-11-26 14:10:28,947: ERROR/MainProcess] consumer: Cannot connect to amqp://netra:**@10.0.0.5:5672//: [Errno 111] Connection refused."),
                ("a", None, "Trying again in 4.00 seconds..."),
                ("a", None, "Traceback (most recent call last):"),
                ("a", None, "  File \"/usr/local/lib/python3.11/site-packages/amqp/transport.py\", line 161, in _connect"),
                ("a", None, "    self.sock.connect(sa)"),
                ("a", None, "ConnectionRefusedError: [Errno 111] Connection refused"),
            ],
            Some("ConnectionRefusedError"),
            // The held line is in the event's text; its insertId is not listed (as forwards).
            5,
        ),
        layout(
            "a SyntaxError's location line with no header",
            &[
                ("a", None, "  File \"/app/netra_backend/app/smd.py\", line 1690"),
                ("a", None, "    def _initialize_factory_patterns(self:"),
                ("a", None, "                                        ^"),
                ("a", None, "SyntaxError: invalid syntax"),
            ],
            Some("SyntaxError"),
            4,
        ),
    ];
    // The lines of one traceback share one timestamp: newest first, they come in their own
    // order as one block.
    let mut tie = layout(
        "a traceback whose lines share one timestamp",
        NAME_ERROR,
        Some("NameError"),
        7,
    );
    tie.lines.iter_mut().for_each(|l| l.tie = true);
    rows.push(tie);
    // ... and its header line a moment earlier: read newest first, the header comes after.
    let mut late = layout(
        "a tied traceback with its header a moment earlier",
        &[("a", None, "ERROR:    Exception in ASGI application")],
        Some("NameError"),
        8,
    );
    late.lines
        .extend(NAME_ERROR.iter().enumerate().map(|(k, &(i, s, t))| Line {
            tie: k > 0,
            ..Line::stderr(i, s, t)
        }));
    rows.push(late);
    // Timestamps with an offset and fractions of every length: read as instants.
    let mut offsets = layout(
        "timestamps with offsets and short fractions",
        NAME_ERROR,
        Some("NameError"),
        7,
    );
    for (k, line) in offsets.lines.iter_mut().enumerate() {
        line.stamp = [Stamp::Offset, Stamp::Trimmed, Stamp::Nanos][k % 3];
    }
    rows.push(offsets);
    // Other streams between every line: request logs of the same instance, Cloud SQL.
    let mut busy = layout(
        "other streams between every line",
        NAME_ERROR,
        Some("NameError"),
        7,
    );
    busy.lines = busy
        .lines
        .into_iter()
        .flat_map(|l| [l, Line::request("a"), Line::cloud_sql()])
        .collect();
    rows.push(busy);
    // A runaway recursion: more lines than a traceback keeps.
    let mut deep = vec![("a", None, "Traceback (most recent call last):")];
    for _ in 0..300 {
        deep.push((
            "a",
            None,
            "  File \"/app/netra_backend/app/agents/tree.py\", line 40, in walk",
        ));
        deep.push(("a", None, "    return walk(node.parent)"));
    }
    deep.push((
        "a",
        None,
        "RecursionError: maximum recursion depth exceeded",
    ));
    rows.push(layout(
        "a recursion longer than the lines kept",
        &deep,
        Some("RecursionError"),
        256,
    ));
    rows
}

/// Lines cut off the oldest-first export: read newest first, the run is cut by the input's
/// end (`start`) or its start (`end`).
fn cut(lines: &[Line], from: usize, to: usize) -> Vec<Line> {
    lines.get(from..to).unwrap_or(&[]).to_vec()
}

#[test]
fn reversed_layouts_give_what_they_give_read_forwards() {
    let rows = layouts();
    assert!(rows.len() >= 15);
    for row in &rows {
        let forward = export(&row.lines, false, Shape::Ndjson);
        let backward = export(&row.lines, true, Shape::Ndjson);
        let (want, want_report) = run(&forward, 1, 4096, Via::Slice);
        let (got, got_report) = run(&backward, 1, 4096, Via::Slice);
        assert_eq!(found(&got), found(&want), "{}: events", row.name);
        assert_same_report(&got_report, &want_report, row.name);
        // The traceback event the row is about, as it should be read forwards.
        let first = want
            .iter()
            .filter(|e| e.kind == EventKind::Traceback)
            .min_by_key(|e| e.timestamp.clone())
            .unwrap_or_else(|| panic!("{}: no traceback event", row.name));
        assert_eq!(
            first.classification.exception.as_deref(),
            row.exception,
            "{}",
            row.name
        );
        assert_eq!(first.insert_ids.len(), row.entries, "{}", row.name);
        // Both ways in, the array too, on two threads with small blocks.
        let array = export(&row.lines, true, Shape::Array);
        let (from_array, _) = run(&array, 1, 4096, Via::Slice);
        assert_eq!(found(&from_array), found(&want), "{}: array", row.name);
        for block in [256, 1000] {
            for via in [Via::Slice, Via::Stream] {
                let (e, r) = run(&backward, 2, block, via);
                assert_eq!(e, got, "{}: {block} B blocks, {via:?}", row.name);
                assert_eq!(r, got_report, "{}: {block} B blocks, {via:?}", row.name);
            }
        }
    }
    // A run cut by the input's end, or by its start, reads as the same cut forwards.
    let name_error = &rows[1].lines;
    for (from, to) in [(0, 3), (0, 5), (2, 7), (4, 7)] {
        let part = cut(name_error, from, to);
        let (want, _) = run(&export(&part, false, Shape::Ndjson), 1, 4096, Via::Slice);
        let (got, _) = run(&export(&part, true, Shape::Ndjson), 1, 4096, Via::Slice);
        assert_eq!(found(&got), found(&want), "lines {from}..{to}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn newest_first_exports_give_the_groups_of_oldest_first(
        instances in proptest::collection::vec(proptest::collection::vec(newest::item(), 1..8), 1..5),
        picks in proptest::collection::vec(0usize..16, 1..40),
        noise in proptest::collection::vec(0usize..4, 0..40),
        stamps in proptest::collection::vec(0usize..4, 1..8),
        array in any::<bool>(),
        block in 64usize..4096,
        threads in 2usize..4,
    ) {
        let mut lines = newest::interleave(&instances, &picks, &noise);
        // Within the bound of a lookback (as a forward traceback, read newest first, waits
        // up to 1000 entries for its exception line; a lookback goes 128 back).
        prop_assume!(newest::lookback_span(&lines) <= 100);
        // Timestamps written in every way that names the same instants.
        let ways = [Stamp::Nanos, Stamp::Micros, Stamp::Trimmed, Stamp::Offset];
        for (k, line) in lines.iter_mut().enumerate() {
            line.stamp = ways[stamps[k % stamps.len()]];
        }
        let shape = if array { Shape::Array } else { Shape::Ndjson };
        let forward = export(&lines, false, shape);
        let backward = export(&lines, true, shape);
        let (want, want_report) = run(&forward, 1, block, Via::Slice);
        let (got, got_report) = run(&backward, 1, block, Via::Slice);
        prop_assert_eq!(found(&got), found(&want));
        prop_assert_eq!(&got_report.groups, &want_report.groups);
        prop_assert_eq!(got_report.totals.events, want_report.totals.events);
        for via in [Via::Slice, Via::Stream] {
            let (e, r) = run_with(&backward, threads, block, via);
            prop_assert_eq!(&e, &got, "{} threads, {} B blocks, {:?}", threads, block, via);
            prop_assert_eq!(&r, &got_report, "{} threads, {} B blocks, {:?}", threads, block, via);
        }
    }
}

#[test]
fn items_cover_every_layout_of_the_property() {
    // The property's items, each alone in a stream and in both orders: a generator that
    // stopped making one of them would leave it untested.
    for item in newest::all_items() {
        let lines = newest::interleave(&[vec![item.clone()]], &[0], &[]);
        let (want, _) = run(&export(&lines, false, Shape::Ndjson), 1, 4096, Via::Slice);
        let (got, _) = run(&export(&lines, true, Shape::Ndjson), 1, 4096, Via::Slice);
        assert_eq!(found(&got), found(&want), "{item:?}");
        let traceback = matches!(item, Item::Split { .. } | Item::Whole { .. });
        assert_eq!(
            want.iter().any(|e| e.kind == EventKind::Traceback),
            traceback,
            "{item:?}"
        );
    }
}
