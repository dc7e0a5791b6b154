//! Exports of Cloud Run stderr with split tracebacks, written oldest or newest first, and
//! the runs that read them (for `tests/newest_first.rs`).

#![allow(dead_code)]

use logtriage::{Event, FnSink, Report, TriageBuilder};
use proptest::prelude::*;
use std::path::Path;

/// How a timestamp is written (all name the same instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// `...:01.000250Z`, as the generator's corpus.
    Micros,
    /// `...:01.000250000Z`, as Cloud Logging prints most.
    Nanos,
    /// `...:01.00025Z`: trailing zeros left out.
    Trimmed,
    /// `...T15:00:01.000250+01:00`.
    Offset,
}

/// One entry of an export.
#[derive(Clone, Debug)]
pub struct Line {
    pub instance: &'static str,
    /// The last part of the log name: `stderr`, `requests`, `postgres.log`.
    pub log: &'static str,
    pub severity: Option<&'static str>,
    /// The `textPayload` (several lines: a whole traceback).
    pub text: String,
    pub stamp: Stamp,
    /// Shares the timestamp of the line before it.
    pub tie: bool,
    /// The split traceback it is a line of (numbered from 1), 0 for none.
    pub traceback: usize,
}

impl Line {
    /// An un-structured stderr line of a Cloud Run instance.
    pub fn stderr(instance: &'static str, severity: Option<&'static str>, text: &str) -> Line {
        Line {
            instance,
            log: "stderr",
            severity,
            text: text.to_string(),
            stamp: Stamp::Nanos,
            tie: false,
            traceback: 0,
        }
    }

    /// A request log entry of the instance: no event.
    pub fn request(instance: &'static str) -> Line {
        Line {
            log: "requests",
            severity: Some("INFO"),
            text: "GET /health 200".into(),
            ..Line::stderr(instance, None, "")
        }
    }

    /// A fast Cloud SQL statement: no event.
    pub fn cloud_sql() -> Line {
        Line {
            instance: "",
            log: "postgres.log",
            severity: Some("INFO"),
            text: "2026-11-26 14:03:11.412 UTC [2841]: [3-1] db=netra,user=app LOG:  duration: 12.500 ms  statement: SELECT 1".into(),
            ..Line::stderr("", None, "")
        }
    }
}

/// NDJSON or gcloud's pretty-printed array.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Ndjson,
    Array,
}

/// `lines` (in time order) as an export: their timestamps grow by 0.25 ms a line (a tied
/// line keeps the one before), and the entries are sorted by them, oldest or newest first;
/// entries of one timestamp keep their order either way.
pub fn export(lines: &[Line], newest_first: bool, shape: Shape) -> Vec<u8> {
    let mut micros = 0u64;
    let mut stamped: Vec<(u64, serde_json::Value)> = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if !line.tie || n == 0 {
            micros += 250;
        }
        stamped.push((micros, entry(n, line, micros)));
    }
    if newest_first {
        // Stable: entries of one timestamp keep their order.
        stamped.sort_by_key(|s| std::cmp::Reverse(s.0));
    }
    let values: Vec<serde_json::Value> = stamped.into_iter().map(|(_, v)| v).collect();
    match shape {
        Shape::Ndjson => values
            .iter()
            .flat_map(|v| {
                let mut line = serde_json::to_vec(v).expect("json");
                line.push(b'\n');
                line
            })
            .collect(),
        Shape::Array => {
            let mut out = serde_json::to_vec_pretty(&values).expect("json");
            out.push(b'\n');
            out
        }
    }
}

fn timestamp(micros: u64, stamp: Stamp) -> String {
    let (secs, frac) = (micros / 1_000_000, micros % 1_000_000);
    let (minute, second) = (secs / 60, secs % 60);
    match stamp {
        Stamp::Micros => format!("2026-11-26T14:{minute:02}:{second:02}.{frac:06}Z"),
        Stamp::Nanos => format!("2026-11-26T14:{minute:02}:{second:02}.{frac:06}000Z"),
        Stamp::Trimmed => {
            let digits = format!("{frac:06}");
            let digits = digits.trim_end_matches('0');
            if digits.is_empty() {
                format!("2026-11-26T14:{minute:02}:{second:02}Z")
            } else {
                format!("2026-11-26T14:{minute:02}:{second:02}.{digits}Z")
            }
        }
        Stamp::Offset => format!("2026-11-26T15:{minute:02}:{second:02}.{frac:06}+01:00"),
    }
}

fn entry(n: usize, line: &Line, micros: u64) -> serde_json::Value {
    let ts = timestamp(micros, line.stamp);
    let mut e = if line.log == "postgres.log" {
        serde_json::json!({
            "logName": "projects/netra-staging/logs/cloudsql.googleapis.com%2Fpostgres.log",
            "resource": {"type": "cloudsql_database",
                         "labels": {"database_id": "netra-staging:netra-postgres-staging"}},
        })
    } else {
        serde_json::json!({
            "labels": {"instanceId": format!("00f46b9285c1{}", line.instance.repeat(8))},
            "logName": format!("projects/netra-staging/logs/run.googleapis.com%2F{}", line.log),
            "resource": {"type": "cloud_run_revision",
                         "labels": {"service_name": "netra-backend-staging",
                                    "revision_name": "netra-backend-staging-00041-abc"}},
        })
    };
    e["insertId"] = format!("6b083b62{n:08x}").into();
    e["timestamp"] = ts.clone().into();
    e["receiveTimestamp"] = ts.into();
    e["textPayload"] = line.text.clone().into();
    if let Some(severity) = line.severity {
        e["severity"] = severity.into();
    }
    e
}

/// How a run reads its input.
#[derive(Clone, Copy, Debug)]
pub enum Via {
    /// Read at offsets (`run_slice`).
    Slice,
    /// Streamed (`run`).
    Stream,
}

/// A triage of `input` with the fixture's known issues; its events and report.
pub fn run(input: &[u8], threads: usize, block_bytes: usize, via: Via) -> (Vec<Event>, Report) {
    run_with(input, threads, block_bytes, via)
}

/// [`run`].
pub fn run_with(
    input: &[u8],
    threads: usize,
    block_bytes: usize,
    via: Via,
) -> (Vec<Event>, Report) {
    let known = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/known_issues.json");
    let triage = TriageBuilder::new()
        .known_issues_file(known)
        .threads(threads)
        .block_bytes(block_bytes)
        .build()
        .expect("build");
    let mut events = Vec::new();
    let mut sink = FnSink(|ev: &Event| {
        events.push(ev.clone());
        Ok(true)
    });
    let report = match via {
        Via::Slice => triage.run_slice(input, &mut sink),
        Via::Stream => triage.run(input, &mut sink),
    }
    .expect("run");
    (events, report)
}

/// Split tracebacks of the property, one line per entry, oldest first.
const TEMPLATES: &[&str] = &[
    // One frame.
    "Traceback (most recent call last):\n  File \"/app/netra_backend/app/worker.py\", line 12, in <module>\nKeyError: 'th_5d1c0e'",
    // Frames with source and carets.
    "Traceback (most recent call last):\n  File \"/app/netra_backend/app/smd.py\", line 402, in _phase5_services\n    self._initialize_factory_patterns()\n  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns\n    factory = UnifiedExecutionEngineFactory(config=self.config)\n              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nNameError: name 'UnifiedExecutionEngineFactory' is not defined",
    // A chain by cause (no blank entries, as Cloud Run drops them).
    "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py\", line 122, in connect\n    conn = _connect(dsn)\npsycopg2.OperationalError: connection to server at \"10.0.0.5\", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\nThe above exception was the direct cause of the following exception:\nTraceback (most recent call last):\n  File \"/app/netra_backend/app/db/session.py\", line 41, in get_session\n    with engine.begin() as conn:\nsqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"10.0.0.5\", port 5432 failed: Connection refused",
    // A chain by context, with blank entries.
    "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.11/asyncio/streams.py\", line 48, in open_connection\nConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 6379)\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/app/netra_backend/app/redis_manager.py\", line 77, in connect\n    await self.client.ping()\nredis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
    // Message lines after the exception line.
    "Traceback (most recent call last):\n  File \"/app/netra_backend/app/routes/threads.py\", line 88, in list_threads\n    rows = await session.execute(stmt)\nsqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.QueryCanceledError'>: canceling statement due to statement timeout\n[SQL: SELECT threads.id FROM threads WHERE threads.user_id = $1]\n(Background on this error at: https://sqlalche.me/e/20/dbapi)",
];

/// Log record headers: uvicorn's, gunicorn's, and uvicorn's prefix on the start line.
const HEADERS: &[&str] = &[
    "ERROR:    Exception in ASGI application",
    "[2026-11-26 14:00:00 +0000] [7] [ERROR] Exception in worker process",
];

/// What an instance writes.
#[derive(Clone, Debug)]
pub enum Item {
    /// A line that is no event.
    Info,
    /// A line at an error level.
    Error,
    /// A traceback, one line per entry: a header before it (0: none, 1..: `HEADERS`, last:
    /// uvicorn's `ERROR:` prefix on the start line), every line at an error severity (GKE),
    /// its lines sharing one timestamp.
    Split {
        template: usize,
        header: usize,
        gke: bool,
        tie: bool,
    },
    /// A traceback in one entry.
    Whole { template: usize },
}

pub fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        1 => Just(Item::Info),
        1 => Just(Item::Error),
        4 => (0..TEMPLATES.len(), 0..HEADERS.len() + 2, any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(template, header, gke, tie)| Item::Split { template, header, gke, tie }),
        1 => (0..TEMPLATES.len()).prop_map(|template| Item::Whole { template }),
    ]
}

/// One item of every kind and shape.
pub fn all_items() -> Vec<Item> {
    let mut items = vec![Item::Info, Item::Error];
    for template in 0..TEMPLATES.len() {
        for header in 0..HEADERS.len() + 2 {
            for (gke, tie) in [(false, false), (true, false), (false, true)] {
                items.push(Item::Split {
                    template,
                    header,
                    gke,
                    tie,
                });
            }
        }
        items.push(Item::Whole { template });
    }
    items
}

fn lines_of(item: &Item, instance: &'static str) -> Vec<Line> {
    match item {
        Item::Info => vec![Line::stderr(
            instance,
            None,
            "INFO:     169.254.1.1:40122 - \"GET /health HTTP/1.1\" 200 OK",
        )],
        Item::Error => vec![Line::stderr(
            instance,
            None,
            "ERROR:    Application startup failed. Exiting.",
        )],
        Item::Split {
            template,
            header,
            gke,
            tie,
        } => {
            let severity = gke.then_some("ERROR");
            let text = TEMPLATES[template % TEMPLATES.len()];
            let mut lines: Vec<Line> = Vec::new();
            if let Some(h) = header.checked_sub(1).and_then(|h| HEADERS.get(h)) {
                lines.push(Line::stderr(instance, severity, h));
            }
            for (k, l) in text.lines().enumerate() {
                let prefixed = if k == 0 && *header == HEADERS.len() + 1 {
                    format!("ERROR:    {l}")
                } else {
                    l.to_string()
                };
                lines.push(Line::stderr(instance, severity, &prefixed));
            }
            if *tie {
                for l in lines.iter_mut().skip(1) {
                    l.tie = true;
                }
            }
            lines
        }
        Item::Whole { template } => vec![Line::stderr(
            instance,
            Some("ERROR"),
            TEMPLATES[template % TEMPLATES.len()],
        )],
    }
}

const INSTANCES: [&str; 4] = ["a", "b", "c", "d"];

/// The instances' items, their lines interleaved in the order `picks` says (each
/// instance's own order kept; a tied traceback's lines kept together, as one write), and
/// after some lines entries of other streams (`noise`: 1, a request log; 2, Cloud SQL; 3,
/// twenty Cloud SQL lines).
pub fn interleave(instances: &[Vec<Item>], picks: &[usize], noise: &[usize]) -> Vec<Line> {
    let mut serial = 0;
    let mut queues: Vec<std::collections::VecDeque<Vec<Line>>> = instances
        .iter()
        .zip(INSTANCES)
        .map(|(items, name)| {
            // A tied traceback is one piece; other lines are pieces of their own.
            let mut pieces = Vec::new();
            for item in items {
                let mut lines = lines_of(item, name);
                if matches!(item, Item::Split { .. }) {
                    serial += 1;
                    lines.iter_mut().for_each(|l| l.traceback = serial);
                }
                if lines.iter().any(|l| l.tie) {
                    pieces.push(lines);
                } else {
                    pieces.extend(lines.into_iter().map(|l| vec![l]));
                }
            }
            pieces.into()
        })
        .collect();
    let mut out = Vec::new();
    let mut p = picks.iter().cycle();
    let mut n = noise.iter().cycle();
    while queues.iter().any(|q| !q.is_empty()) {
        let live: Vec<usize> = (0..queues.len())
            .filter(|i| !queues[*i].is_empty())
            .collect();
        let who = live[p.next().copied().unwrap_or(0) % live.len()];
        if let Some(piece) = queues[who].pop_front() {
            out.extend(piece);
        }
        match n.next() {
            Some(1) => out.push(Line::request(INSTANCES[who])),
            Some(2) => out.push(Line::cloud_sql()),
            // A burst of other entries: longer than a traceback waits after its exception.
            Some(3) => out.extend((0..20).map(|_| Line::cloud_sql())),
            _ => {}
        }
    }
    out
}

/// The most entries between the innermost frame line of a split traceback (of each one of
/// a chain) and its last line: read newest first, the lines after the frame are looked back
/// for among the entries before it (at most `MAX_LOOKBACK`, 128, of them).
pub fn lookback_span(lines: &[Line]) -> usize {
    let mut span = 0;
    let last = lines.iter().map(|l| l.traceback).max().unwrap_or(0);
    for t in 1..=last {
        let of: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].traceback == t)
            .collect();
        // The parts of a chain: each from its start to the line before a separator (blank
        // lines after its message are its own).
        let mut frame = None;
        let mut end = None;
        for &i in &of {
            let text = lines[i].text.trim();
            if text.ends_with("Traceback (most recent call last):")
                || text.starts_with("The above exception")
                || text.starts_with("During handling")
            {
                if let (Some(f), Some(e)) = (frame, end) {
                    span = span.max(e - f);
                }
                frame = None;
                end = None;
                continue;
            }
            if text.starts_with("File \"") {
                frame = Some(i);
            }
            end = Some(i);
        }
        if let (Some(f), Some(e)) = (frame, end) {
            span = span.max(e - f);
        }
    }
    span
}
