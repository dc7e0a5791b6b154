//! Event assembly: table tests, bounds, and a property against a naive oracle.
//!
//! These live in the crate because `Assembler` is crate-private; entries are built by hand.

use super::*;
use crate::entry::Severity;
use crate::event::model::EventKind;
use crate::event::split::*;
use crate::traceback;
use crate::traceback::Link;
use proptest::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;

const STDERR: &str = "projects/netra-staging/logs/run.googleapis.com%2Fstderr";

fn entry(id: &str, instance: &str, severity: Severity, text: &str) -> Entry<'static> {
    Entry {
        line: 0,
        insert_id: Some(Cow::Owned(id.to_string())),
        timestamp: Some(Cow::Owned(format!("2026-11-27T07:01:02.{id}Z"))),
        severity,
        log_name: Some(Cow::Borrowed(STDERR)),
        resource_type: Some(Cow::Borrowed("cloud_run_revision")),
        resource_labels: vec![
            (
                Cow::Borrowed("service_name"),
                Cow::Borrowed("netra-backend-staging"),
            ),
            (
                Cow::Borrowed("revision_name"),
                Cow::Borrowed("netra-backend-staging-00042-xyz"),
            ),
        ],
        instance_id: Some(Cow::Owned(instance.to_string())),
        text_payload: Some(Cow::Owned(text.to_string())),
        ..Entry::default()
    }
}

/// Lines of one traceback as separate entries of one instance, numbered from `first`.
fn split(instance: &str, first: usize, text: &str) -> Vec<Entry<'static>> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            entry(
                &format!("{instance}-{}", first + i),
                instance,
                Severity::Default,
                l,
            )
        })
        .collect()
}

/// What the Prefilter would let through; everything else is skipped unless state is open.
fn candidate(e: &Entry<'_>) -> bool {
    const MARKS: &[&str] = &[
        "Traceback",
        "Error",
        "ERROR",
        "CRITICAL",
        "FATAL",
        "File \"",
        "duration:",
        "Query_time",
        "Exception",
        "Memory limit",
        "Out of memory",
        "OOMKilled",
    ];
    let mut texts = e
        .text_payload
        .iter()
        .chain(e.json_strings.iter().map(|(_, v)| v));
    e.severity >= Severity::Error
        || e.duration_ms.is_some()
        || texts.any(|t| MARKS.iter().any(|m| t.contains(m)))
}

/// Drives the assembler the way `Triage::run` does.
fn run(entries: &[Entry<'_>], slow_ms: f64) -> Vec<Event> {
    let mut a = Assembler::new(slow_ms);
    let mut events = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let mut e = e.clone();
        e.line = i as u64 + 1;
        if a.has_open() || candidate(&e) {
            // As the scan: a text line (no insertId here) is not ordered by its time.
            let timed = e.insert_id.is_some();
            a.push_entry(&e, true, timed, &mut |ev| events.push(ev));
        } else {
            a.skip();
        }
    }
    a.finish(&mut |ev| events.push(ev));
    events
}

fn ids(ev: &Event) -> Vec<&str> {
    ev.insert_ids.iter().map(String::as_str).collect()
}

const NAME_ERROR: &str = r#"Traceback (most recent call last):
  File "/app/netra_backend/app/main.py", line 12, in <module>
    app = create_app()
  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns
    factory = UnifiedExecutionEngineFactory()
              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
NameError: name 'UnifiedExecutionEngineFactory' is not defined"#;

const CHAINED: &str = "Traceback (most recent call last):
  File \"/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py\", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: connection to server at \"10.20.0.3\", port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File \"/app/netra_backend/app/db/session.py\", line 41, in get_session
    with engine.begin() as conn:
sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"10.20.0.3\", port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?

(Background on this error at: https://sqlalche.me/e/20/e3q8)";

const GROUP: &str = r#"  + Exception Group Traceback (most recent call last):
  |   File "/app/netra_backend/app/startup.py", line 40, in run_checks
  |     async with asyncio.TaskGroup() as tg:
  | ExceptionGroup: startup checks failed (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.
    +---------------- 2 ----------------
    | ConnectionRefusedError: [Errno 111] Connect call failed ('10.20.0.3', 5432)
    +------------------------------------"#;

const SYNTAX: &str = r#"  File "/app/netra_backend/app/smd.py", line 1690
    def _initialize_factory_patterns(self:
                                        ^
SyntaxError: invalid syntax"#;

const RECURSION: &str = r#"Traceback (most recent call last):
  File "/app/netra_backend/app/agents/tree.py", line 40, in <module>
    walk(root)
  File "/app/netra_backend/app/agents/tree.py", line 12, in walk
    return walk(node.parent)
           ^^^^^^^^^^^^^^^^^
  [Previous line repeated 996 more times]
RecursionError: maximum recursion depth exceeded"#;

const TEMPLATES: &[&str] = &[NAME_ERROR, CHAINED, GROUP, SYNTAX, RECURSION];

const GUNICORN: &str = "[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process";

#[test]
fn whole_traceback_in_each_payload_place() {
    let text = entry("a1", "i1", Severity::Error, NAME_ERROR);
    let mut message = entry("a2", "i1", Severity::Error, "");
    message.text_payload = None;
    message.json_strings = vec![(Cow::Borrowed("message"), Cow::Borrowed(NAME_ERROR))];
    let mut field = entry("a3", "i1", Severity::Error, "");
    field.text_payload = None;
    field.json_strings = vec![
        (
            Cow::Borrowed("message"),
            Cow::Borrowed("Exception on /api/agents [POST]"),
        ),
        (Cow::Borrowed("stack_trace"), Cow::Borrowed(NAME_ERROR)),
    ];
    let mut exc_info = entry("a4", "i1", Severity::Default, "");
    exc_info.text_payload = None;
    exc_info.json_strings = vec![(Cow::Borrowed("exc_info"), Cow::Borrowed(NAME_ERROR))];
    for e in [text, message, field, exc_info] {
        let events = run(std::slice::from_ref(&e), 1000.0);
        assert_eq!(events.len(), 1, "{e:?}");
        let ev = &events[0];
        assert_eq!(ev.kind, EventKind::Traceback);
        assert_eq!(ev.insert_ids, [e.insert_id.as_deref().unwrap()]);
        let tb = ev.traceback.as_ref().unwrap();
        assert_eq!(tb.chain[0].type_name, "NameError");
        assert_eq!(ev.service.as_deref(), Some("netra-backend-staging"));
        assert_eq!(
            ev.revision.as_deref(),
            Some("netra-backend-staging-00042-xyz")
        );
    }
    let events = run(&[field_entry()], 1000.0);
    assert!(events[0]
        .text
        .starts_with("Exception on /api/agents [POST]\nTraceback"));
}

fn field_entry() -> Entry<'static> {
    let mut e = entry("a3", "i1", Severity::Error, "");
    e.text_payload = None;
    e.json_strings = vec![
        (
            Cow::Borrowed("message"),
            Cow::Borrowed("Exception on /api/agents [POST]"),
        ),
        (Cow::Borrowed("traceback"), Cow::Borrowed(NAME_ERROR)),
    ];
    e
}

#[test]
fn split_traceback_is_one_event_with_every_insert_id() {
    for template in TEMPLATES {
        let entries = split("i1", 0, template);
        let events = run(&entries, 1000.0);
        assert_eq!(events.len(), 1, "{template}");
        let ev = &events[0];
        assert_eq!(ev.kind, EventKind::Traceback);
        assert_eq!(ev.insert_ids.len(), entries.len());
        assert_eq!(ev.text, *template);
        assert_eq!(ev.line, 1);
        assert_eq!(ev.timestamp.as_deref(), Some("2026-11-27T07:01:02.i1-0Z"));
        assert_eq!(ev.traceback, traceback::parse(template));
    }
}

#[test]
fn interleaved_instances_and_other_streams() {
    let a = split("a", 0, NAME_ERROR);
    let b = split("b", 0, CHAINED);
    let mut router = entry(
        "r-0",
        "r",
        Severity::Error,
        "upstream connect error or disconnect/reset before headers",
    );
    router.log_name = Some(Cow::Borrowed("projects/netra-staging/logs/requests"));
    let mut mixed = Vec::new();
    let (mut ia, mut ib) = (a.iter(), b.iter());
    loop {
        let (x, y) = (ia.next(), ib.next());
        if x.is_none() && y.is_none() {
            break;
        }
        mixed.extend(x.cloned());
        mixed.push(entry("n", "c", Severity::Info, "GET /health 200"));
        mixed.extend(y.cloned());
        if mixed.len() == 9 {
            mixed.push(router.clone());
        }
    }
    let events = run(&mixed, 1000.0);
    assert_eq!(events.len(), 3, "{events:#?}");
    let tb_a = events.iter().find(|e| e.insert_ids[0] == "a-0").unwrap();
    assert_eq!(tb_a.insert_ids.len(), a.len());
    assert!(tb_a.insert_ids.iter().all(|id| id.starts_with("a-")));
    let tb_b = events.iter().find(|e| e.insert_ids[0] == "b-0").unwrap();
    assert_eq!(tb_b.insert_ids.len(), b.len());
    let chain = &tb_b.traceback.as_ref().unwrap().chain;
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].link, Some(Link::Cause));
    let r = events.iter().find(|e| e.insert_ids == ["r-0"]).unwrap();
    assert_eq!(r.kind, EventKind::Severity);
}

#[test]
fn header_line_joins_its_traceback() {
    let headers = [
        GUNICORN,
        "ERROR:root:Exception on /api/agents [POST]",
        "ERROR:    Exception in ASGI application",
    ];
    for header in headers {
        let mut entries = vec![entry("h", "i1", Severity::Default, header)];
        entries.extend(split("i1", 0, NAME_ERROR));
        let events = run(&entries, 1000.0);
        assert_eq!(events.len(), 1, "{header}");
        assert_eq!(events[0].insert_ids[0], "h");
        assert_eq!(events[0].insert_ids.len(), entries.len());
        assert_eq!(events[0].text, format!("{header}\n{NAME_ERROR}"));
        assert_eq!(events[0].severity, Severity::Error);
        assert_eq!(
            events[0].traceback.as_ref().unwrap().chain[0].type_name,
            "NameError"
        );
        // Every traceback shape takes its header, a group or a bare SyntaxError too.
        for template in TEMPLATES {
            let mut entries = vec![entry("h", "i1", Severity::Default, header)];
            entries.extend(split("i1", 0, template));
            let events = run(&entries, 1000.0);
            assert_eq!(events.len(), 1, "{header} {template}");
            assert_eq!(events[0].text, format!("{header}\n{template}"));
            let tb = events[0].traceback.as_ref().unwrap();
            assert!(!tb.chain.last().unwrap().type_name.is_empty());
        }
        // The header also joins a traceback that comes whole in the next entry.
        let whole = [
            entry("h", "i1", Severity::Default, header),
            entry("t", "i1", Severity::Default, NAME_ERROR),
        ];
        let events = run(&whole, 1000.0);
        assert_eq!(events.len(), 1);
        assert_eq!(ids(&events[0]), ["h", "t"]);
    }
}

#[test]
fn header_without_traceback_is_a_severity_event() {
    let entries = [
        entry("h", "i1", Severity::Default, GUNICORN),
        entry("n", "i1", Severity::Info, "Worker exiting (pid: 7)"),
    ];
    let events = run(&entries, 1000.0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Severity);
    assert_eq!(ids(&events[0]), ["h"]);
    assert_eq!(events[0].text, GUNICORN);
}

#[test]
fn a_header_of_another_stream_does_not_join() {
    let mut entries = vec![entry("h", "other", Severity::Error, GUNICORN)];
    entries.extend(split("i1", 0, NAME_ERROR));
    let events = run(&entries, 1000.0);
    assert_eq!(events.len(), 2);
    let tb = events
        .iter()
        .find(|e| e.kind == EventKind::Traceback)
        .unwrap();
    assert_eq!(tb.insert_ids[0], "i1-0");
}

#[test]
fn info_mentions_are_no_event() {
    let rows = [
        "Request to auth service timeout after 5s, retrying",
        "connection refused by 10.0.0.5:6379, will retry in 1s",
        "the ERROR budget is fine; no timeout",
        "GET /api/threads 200 (timeout=30)",
    ];
    for text in rows {
        for sev in [Severity::Info, Severity::Default, Severity::Warning] {
            let events = run(&[entry("x", "i1", sev, text)], 1000.0);
            assert!(events.is_empty(), "{text:?} {sev:?}: {events:?}");
        }
    }
}

#[test]
fn severity_events() {
    let rows: &[(Severity, &str, bool)] = &[
        (Severity::Error, "Redis connection failed: Error 111", true),
        (Severity::Critical, "startup failed", true),
        (Severity::Alert, "disk full", true),
        (Severity::Emergency, "node down", true),
        (Severity::Warning, "slow response", false),
        (Severity::Default, "CRITICAL: startup failed", true),
        (
            Severity::Default,
            "FATAL:  password authentication failed for user \"netra\"",
            true,
        ),
        (
            Severity::Default,
            "INFO:     Started server process [1]",
            false,
        ),
    ];
    for (sev, text, want) in rows {
        let events = run(&[entry("x", "i1", *sev, text)], 1000.0);
        assert_eq!(events.len(), usize::from(*want), "{text:?}");
        if *want {
            assert_eq!(events[0].kind, EventKind::Severity);
            assert_eq!(events[0].text, *text);
        }
    }
}

#[test]
fn error_entry_with_traceback_is_one_event() {
    let text = format!("{GUNICORN}\n{NAME_ERROR}");
    let events = run(&[entry("x", "i1", Severity::Error, &text)], 1000.0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Traceback);
}

#[test]
fn slow_queries() {
    let rows: &[(&str, Option<(f64, &str)>)] = &[
        (
            "2026-11-27 07:01:02.123 UTC [2211]: [3-1] db=netra,user=netra LOG:  duration: 5123.456 ms  statement: SELECT * FROM agent_runs WHERE user_id = 42",
            Some((5123.456, "SELECT * FROM agent_runs WHERE user_id = 42")),
        ),
        (
            "LOG:  duration: 1843.2 ms  execute <unnamed>: SELECT id FROM threads WHERE user_id = $1",
            Some((1843.2, "SELECT id FROM threads WHERE user_id = $1")),
        ),
        (
            "LOG:  duration: 1200.000 ms  execute S_1: UPDATE runs SET state = $1",
            Some((1200.0, "UPDATE runs SET state = $1")),
        ),
        ("LOG:  duration: 1000.000 ms", Some((1000.0, ""))),
        ("LOG:  duration: 999.999 ms  statement: SELECT 1", None),
        (
            "# Time: 2026-11-27T07:01:02.123456Z\n# User@Host: netra[netra] @  [10.0.0.3]  Id: 12\n# Query_time: 3.000123  Lock_time: 0.000045 Rows_sent: 1  Rows_examined: 1000000\nSET timestamp=1795762862;\nSELECT COUNT(*) FROM events;",
            Some((3000.123, "SELECT COUNT(*) FROM events;")),
        ),
        ("# Query_time: 0.5  Lock_time: 0.0", None),
        ("statement timeout is 30s", None),
    ];
    for (text, want) in rows {
        let events = run(&[entry("q", "sql", Severity::Info, text)], 1000.0);
        match want {
            Some((ms, statement)) => {
                assert_eq!(events.len(), 1, "{text:?}");
                assert_eq!(events[0].kind, EventKind::SlowQuery);
                let q = events[0].slow_query.as_ref().unwrap();
                assert!(
                    (q.duration_ms - ms).abs() < 1e-6,
                    "{text:?}: {}",
                    q.duration_ms
                );
                assert_eq!(q.statement, *statement);
            }
            None => assert!(events.is_empty(), "{text:?}"),
        }
    }
    let mut json = entry("j", "i1", Severity::Info, "");
    json.text_payload = None;
    json.duration_ms = Some(2500.0);
    json.json_strings = vec![
        (Cow::Borrowed("message"), Cow::Borrowed("query finished")),
        (
            Cow::Borrowed("query"),
            Cow::Borrowed("SELECT * FROM messages WHERE thread_id = 7"),
        ),
    ];
    let events = run(&[json.clone()], 1000.0);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].slow_query.as_ref().unwrap().statement,
        "SELECT * FROM messages WHERE thread_id = 7"
    );
    assert!(run(&[json], 3000.0).is_empty());
}

#[test]
fn out_of_memory() {
    let rows = [
        "Memory limit of 512 MiB exceeded with 519 MiB used. Consider increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits",
        "Out of memory: Killed process 1234 (python) total-vm:2048000kB, anon-rss:1024000kB",
        "Container terminated: reason OOMKilled, exit code 137",
    ];
    for text in rows {
        let events = run(&[entry("m", "i1", Severity::Info, text)], 1000.0);
        assert_eq!(events.len(), 1, "{text}");
        assert_eq!(events[0].kind, EventKind::OutOfMemory);
    }
}

#[test]
fn never_closing_stream_stays_bounded() {
    let mut a = Assembler::new(1000.0);
    let mut events = Vec::new();
    let start = entry(
        "s",
        "i1",
        Severity::Default,
        "Traceback (most recent call last):",
    );
    a.push(&start, &mut |ev| events.push(ev));
    let frame = entry(
        "f",
        "i1",
        Severity::Default,
        "  File \"/app/netra_backend/app/agents/tree.py\", line 12, in walk",
    );
    for _ in 0..10_000 {
        a.push(&frame, &mut |ev| events.push(ev));
        assert!(a.open.len() <= 1);
        assert!(a
            .open
            .iter()
            .all(|o| o.head_lines + o.tail.len() <= MAX_LINES));
        assert!(a.open.iter().all(|o| o.event.insert_ids.len() <= MAX_LINES));
    }
    // One traceback stays one event, however long it runs; memory stays bounded.
    assert!(events.is_empty());
    a.finish(&mut |ev| events.push(ev));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].insert_ids.len(), MAX_LINES);
    assert!(
        events[0].text.contains("...<9745 lines>..."),
        "{}",
        &events[0].text[..200]
    );
}

#[test]
fn a_whole_traceback_over_the_line_bound_keeps_its_ends() {
    // A RecursionError's traceback in one entry: 1 header, 2 x 400 frame lines, 1 message.
    let frames = "  File \"/app/netra_backend/app/agents/tree.py\", line 12, in walk\n    return walk(node.child)\n";
    let text = format!(
        "Traceback (most recent call last):\n{}RecursionError: maximum recursion depth exceeded",
        frames.repeat(400)
    );
    let mut a = Assembler::new(1000.0);
    let mut events = Vec::new();
    a.push(&entry("r", "i1", Severity::Error, &text), &mut |ev| {
        events.push(ev)
    });
    a.finish(&mut |ev| events.push(ev));
    assert_eq!(events.len(), 1);
    let lines: Vec<&str> = events[0].text.lines().collect();
    assert_eq!(lines.len(), MAX_LINES + 1);
    assert_eq!(lines.first(), Some(&"Traceback (most recent call last):"));
    assert_eq!(lines.get(MAX_LINES / 2), Some(&"    ...<546 lines>..."));
    assert_eq!(
        lines.last(),
        Some(&"RecursionError: maximum recursion depth exceeded")
    );
}

#[test]
fn idle_traceback_is_flushed_by_skips() {
    let mut a = Assembler::new(1000.0);
    let mut events = Vec::new();
    for e in split("i1", 0, NAME_ERROR).iter().take(3) {
        a.push(e, &mut |ev| events.push(ev));
    }
    for _ in 0..=MAX_IDLE {
        a.skip();
    }
    assert!(a.open.is_empty());
    assert!(a.has_open(), "the flushed event waits in `ready`");
    a.push(
        &entry("n", "i2", Severity::Info, "GET /health 200"),
        &mut |ev| events.push(ev),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].insert_ids.len(), 3);
    assert!(!a.has_open());
}

/// Held state is let go by skips alone, at its bound and not before, also when the push that
/// made it came right before them: a skip looks only past the earliest expiry, which a push
/// must set again.
#[test]
fn held_state_made_by_the_last_push_is_let_go_by_skips_at_its_bound() {
    let whole = "Traceback (most recent call last):\n  File \"/app/smd.py\", line 1687, in init\n    factory = Factory()\nNameError: name 'Factory' is not defined";
    let rows = [
        (
            "a split traceback's first line",
            Severity::Default,
            "Traceback (most recent call last):",
            MAX_IDLE,
        ),
        (
            "a header waiting for its traceback",
            Severity::Error,
            "[ERROR] Exception in worker process",
            MAX_PENDING_IDLE,
        ),
        (
            "a header that may be a traceback's newest line",
            Severity::Error,
            "ValueError: bad",
            MAX_LOOKBACK,
        ),
        (
            "a whole traceback waiting for a header read after it",
            Severity::Error,
            whole,
            MAX_PENDING_IDLE,
        ),
    ];
    for (what, severity, text, bound) in rows {
        let mut a = Assembler::new(1000.0);
        a.push(
            &entry("1", "i1", Severity::Info, "GET /health 200"),
            &mut |_| {},
        );
        a.push(&entry("2", "i1", severity, text), &mut |_| {
            panic!("{what}: let go at its push")
        });
        assert_let_go_by_skips_at(&mut a, bound, what);
    }
}

/// Skips `bound` entries and one more: what `a` holds is let go at the last, not before.
fn assert_let_go_by_skips_at(a: &mut Assembler, bound: u64, what: &str) {
    for _ in 0..bound {
        a.skip();
    }
    assert!(!a.holds_ready(), "{what}: let go before its bound");
    a.skip();
    assert!(a.holds_ready(), "{what}: not let go at its bound");
}

/// What a partial report carried goes on expiring by skips alone in the assembler that
/// restores it, also one that had looked at its own state before (and found nothing).
#[test]
fn restored_state_is_let_go_by_skips_at_its_bound() {
    let mut from = Assembler::new(1000.0);
    let first = entry(
        "1",
        "i1",
        Severity::Default,
        "Traceback (most recent call last):",
    );
    from.push(&first, &mut |_| panic!("let go at its push"));
    let mut to = Assembler::new(1000.0);
    to.push(
        &entry("2", "i2", Severity::Info, "GET /health 200"),
        &mut |_| {},
    );
    to.skip();
    let held = from.take_held();
    to.restore(held);
    assert_let_go_by_skips_at(&mut to, MAX_IDLE, "a restored traceback");
}

#[test]
fn open_streams_are_capped() {
    let mut a = Assembler::new(1000.0);
    let mut events = Vec::new();
    for i in 0..200 {
        let e = entry(
            &format!("s{i}"),
            &format!("inst{i}"),
            Severity::Default,
            "Traceback (most recent call last):",
        );
        a.push(&e, &mut |ev| events.push(ev));
        assert!(a.open.len() + a.pending.len() <= MAX_STREAMS);
    }
    assert_eq!(events.len(), 200 - MAX_STREAMS);
    assert_eq!(events[0].insert_ids, ["s0"]);
    a.finish(&mut |ev| events.push(ev));
    assert_eq!(events.len(), 200);
}

#[test]
fn stray_line_inside_a_traceback_is_its_own_entry() {
    let mut entries = split("i1", 0, NAME_ERROR);
    entries.insert(
        2,
        entry("stray", "i1", Severity::Error, "worker 3: job failed"),
    );
    let events = run(&entries, 1000.0);
    assert_eq!(events.len(), 2, "{events:#?}");
    let tb = events
        .iter()
        .find(|e| e.kind == EventKind::Traceback)
        .unwrap();
    assert_eq!(tb.insert_ids.len(), entries.len() - 1);
    assert!(events.iter().any(|e| ids(e) == ["stray"]));
}

#[test]
fn plain_text_with_compose_prefixes() {
    let lines = [
        "web-1     | [2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process",
        "web-1     | Traceback (most recent call last):",
        "web-1     |   File \"/app/netra_backend/app/main.py\", line 12, in <module>",
        "worker-1  | INFO: polling queue",
        "web-1     |     app = create_app()",
        "worker-1  | ERROR: job 17 failed",
        "web-1     | NameError: name 'UnifiedExecutionEngineFactory' is not defined",
        "web-1     | [2026-11-27 07:01:03 +0000] [7] [INFO] Worker exiting (pid: 7)",
    ];
    let entries: Vec<Entry<'_>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Entry::from_text(Cow::Borrowed(*l), i as u64 + 1))
        .collect();
    let events = run(&entries, 1000.0);
    assert_eq!(events.len(), 2, "{events:#?}");
    let tb = events
        .iter()
        .find(|e| e.kind == EventKind::Traceback)
        .unwrap();
    assert_eq!(tb.line, 1);
    assert!(tb.insert_ids.is_empty());
    assert_eq!(
        tb.text,
        "[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process\nTraceback (most recent call last):\n  File \"/app/netra_backend/app/main.py\", line 12, in <module>\n    app = create_app()\nNameError: name 'UnifiedExecutionEngineFactory' is not defined"
    );
    let other = events
        .iter()
        .find(|e| e.kind == EventKind::Severity)
        .unwrap();
    assert_eq!(other.line, 6);
}

#[test]
fn plain_text_with_timestamps() {
    let lines = [
        "2026-11-27T07:01:02.123456789Z Traceback (most recent call last):",
        "2026-11-27T07:01:02.1234Z   File \"/app/worker.py\", line 40, in main",
        "2026-11-27T07:01:02.2Z     r.ping()",
        "2026-11-27T07:01:02.3Z redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
        "2026-11-27T07:01:03.3Z INFO shutting down",
    ];
    let entries: Vec<Entry<'_>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Entry::from_text(Cow::Borrowed(*l), i as u64 + 1))
        .collect();
    let events = run(&entries, 1000.0);
    assert_eq!(events.len(), 1);
    let tb = events[0].traceback.as_ref().unwrap();
    assert_eq!(tb.chain[0].type_name, "redis.exceptions.ConnectionError");
    assert_eq!(tb.chain[0].frames[0].source.as_deref(), Some("r.ping()"));
}

// ---- the oracle ----------------------------------------------------------------------

/// A generated log line: what an instance printed, one entry each.
#[derive(Clone, Debug)]
enum Item {
    Noise,
    Mention,
    ErrorLine,
    Slow,
    Tb { template: usize, header: bool },
    Whole { template: usize, header: bool },
}

fn item_lines(item: &Item) -> Vec<(Severity, String)> {
    match item {
        Item::Noise => vec![(Severity::Info, "GET /health 200".into())],
        Item::Mention => vec![(
            Severity::Info,
            "auth call timeout, retrying; connection refused by 10.0.0.9".into(),
        )],
        Item::ErrorLine => vec![(
            Severity::Error,
            "Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused."
                .into(),
        )],
        Item::Slow => vec![(
            Severity::Info,
            "LOG:  duration: 5123.456 ms  statement: SELECT 1".into(),
        )],
        Item::Tb { template, header } => {
            let mut out = Vec::new();
            if *header {
                out.push((Severity::Default, GUNICORN.to_string()));
            }
            let text = TEMPLATES[template % TEMPLATES.len()];
            out.extend(text.lines().map(|l| (Severity::Default, l.to_string())));
            out
        }
        Item::Whole { template, header } => {
            let mut out = Vec::new();
            if *header {
                out.push((Severity::Default, GUNICORN.to_string()));
            }
            let text = TEMPLATES[template % TEMPLATES.len()];
            out.push((Severity::Error, text.to_string()));
            out
        }
    }
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        Just(Item::Noise),
        Just(Item::Mention),
        Just(Item::ErrorLine),
        Just(Item::Slow),
        (0..TEMPLATES.len(), any::<bool>())
            .prop_map(|(template, header)| Item::Tb { template, header }),
        (0..TEMPLATES.len(), any::<bool>())
            .prop_map(|(template, header)| Item::Whole { template, header }),
    ]
}

/// Interleaves the instances' lines in the order `picks` says, keeping each one's order.
fn interleave(instances: &[Vec<Item>], picks: &[usize]) -> Vec<Entry<'static>> {
    let mut queues: Vec<std::collections::VecDeque<(Severity, String)>> = instances
        .iter()
        .map(|items| items.iter().flat_map(item_lines).collect())
        .collect();
    let mut counters = vec![0usize; queues.len()];
    let mut out = Vec::new();
    let mut p = picks.iter().cycle();
    while queues.iter().any(|q| !q.is_empty()) {
        let live: Vec<usize> = (0..queues.len())
            .filter(|i| !queues[*i].is_empty())
            .collect();
        let who = live[p.next().copied().unwrap_or(0) % live.len()];
        let Some((sev, text)) = queues[who].pop_front() else {
            continue;
        };
        let inst = format!("i{who}");
        let e = entry(&format!("{inst}-{}", counters[who]), &inst, sev, &text);
        counters[who] += 1;
        out.push(e);
    }
    out
}

/// The naive assembler: for each stream on its own, walk its lines and cut out tracebacks
/// with the plain grammar (header or start line; indented lines; one exception line; blank
/// lines and separators leading to the next header).
fn oracle(entries: &[Entry<'_>], slow_ms: f64) -> Vec<(EventKind, Vec<String>)> {
    let mut streams: Vec<u64> = Vec::new();
    for e in entries {
        if !streams.contains(&e.stream_key()) {
            streams.push(e.stream_key());
        }
    }
    let mut events = Vec::new();
    for key in streams {
        let items: Vec<&Entry<'_>> = entries.iter().filter(|e| e.stream_key() == key).collect();
        let text = |i: usize| items[i].message().unwrap_or("");
        let id = |i: usize| items[i].insert_id.as_deref().unwrap_or("").to_string();
        let mut i = 0;
        while i < items.len() {
            let header = items[i].effective_severity().is_error()
                && !starts(text(i))
                && !text(i).contains('\n')
                && i + 1 < items.len()
                && (starts(text(i + 1)) || whole(text(i + 1)));
            let from = i;
            if header {
                i += 1;
            }
            if whole(text(i)) {
                events.push((EventKind::Traceback, (from..=i).map(id).collect()));
                i += 1;
                continue;
            }
            if starts(text(i)) {
                let end = tb_end(&(0..items.len()).map(text).collect::<Vec<_>>(), i);
                events.push((EventKind::Traceback, (from..end).map(id).collect()));
                i = end;
                continue;
            }
            let t = text(i);
            if let Some(ms) = t
                .split_once("duration: ")
                .and_then(|(_, r)| r.split_once(" ms"))
                .and_then(|(n, _)| n.parse::<f64>().ok())
                .filter(|ms| *ms >= slow_ms)
            {
                let _ = ms;
                events.push((EventKind::SlowQuery, vec![id(i)]));
            } else if items[i].effective_severity().is_error() {
                events.push((EventKind::Severity, vec![id(i)]));
            }
            i += 1;
        }
    }
    events.sort();
    events
}

/// An entry that holds a whole traceback.
fn whole(text: &str) -> bool {
    text.contains('\n') && text.lines().next().is_some_and(starts)
}

fn starts(line: &str) -> bool {
    line == "Traceback (most recent call last):"
        || line == "  + Exception Group Traceback (most recent call last):"
        || (line.starts_with("  File \"") && !line.contains(", in "))
}

fn tb_end(lines: &[&str], start: usize) -> usize {
    const SEPARATORS: [&str; 2] = [
        "The above exception was the direct cause of the following exception:",
        "During handling of the above exception, another exception occurred:",
    ];
    let mut j = start + 1;
    let mut after_separator = false;
    let mut after_exception = false;
    while let Some(line) = lines.get(j) {
        if line.contains('\n') {
            break;
        }
        let next_sep = lines[j..]
            .iter()
            .find(|l| !l.is_empty())
            .is_some_and(|l| SEPARATORS.contains(l) || l.starts_with("(Background"));
        let ok = if starts(line) {
            after_separator
        } else if line.is_empty() {
            next_sep || after_separator
        } else if SEPARATORS.contains(line) {
            after_exception
        } else if line.starts_with([' ', '\t']) || line.starts_with("(Background") {
            true
        } else {
            !after_exception && line.split(": ").next().is_some_and(is_type)
        };
        if !ok {
            break;
        }
        if SEPARATORS.contains(line) {
            after_separator = true;
            after_exception = false;
        } else if !line.is_empty() {
            after_separator = false;
            if !line.starts_with([' ', '\t']) && !line.starts_with("(Background") && !starts(line) {
                after_exception = true;
            }
        }
        j += 1;
    }
    j
}

fn is_type(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && word.chars().any(|c| c.is_ascii_lowercase())
}

fn found(events: &[Event]) -> Vec<(EventKind, Vec<String>)> {
    let mut got: Vec<(EventKind, Vec<String>)> = events
        .iter()
        .map(|e| (e.kind, e.insert_ids.clone()))
        .collect();
    got.sort();
    got
}

impl PartialOrd for EventKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EventKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

#[test]
fn oracle_agrees_on_a_fixed_stream() {
    let instances = vec![
        vec![
            Item::Tb {
                template: 1,
                header: true,
            },
            Item::Noise,
            Item::ErrorLine,
        ],
        vec![
            Item::Mention,
            Item::Tb {
                template: 2,
                header: false,
            },
            Item::Tb {
                template: 3,
                header: false,
            },
        ],
    ];
    let entries = interleave(&instances, &[0, 1, 1, 0, 1]);
    let want = oracle(&entries, 1000.0);
    assert_eq!(
        want.iter()
            .filter(|(k, _)| *k == EventKind::Traceback)
            .count(),
        3
    );
    assert_eq!(found(&run(&entries, 1000.0)), want);
}

proptest! {
    // Shrunk failures are kept beside this file and replayed first on every run.
    #![proptest_config(crate::proptest_config(128))]

    #[test]
    fn assembler_matches_oracle(
        instances in prop::collection::vec(prop::collection::vec(item(), 1..6), 2..=4),
        picks in prop::collection::vec(0usize..8, 1..40),
    ) {
        let entries = interleave(&instances, &picks);
        let events = run(&entries, 1000.0);
        let got = found(&events);
        prop_assert_eq!(&got, &oracle(&entries, 1000.0));
        // No entry is in two events.
        let mut seen: Vec<&String> = events.iter().flat_map(|e| &e.insert_ids).collect();
        let n = seen.len();
        seen.sort();
        seen.dedup();
        prop_assert_eq!(seen.len(), n);
        // Every traceback parses to what the same lines parse to whole.
        for e in events.iter().filter(|e| e.kind == EventKind::Traceback) {
            let tb = e.traceback.as_ref().unwrap();
            prop_assert!(!tb.chain.is_empty());
            prop_assert!(!tb.chain.last().unwrap().type_name.is_empty(), "{}", e.text);
        }
    }
}

#[test]
fn header_of_another_compose_service_does_not_join() {
    let lines = [
        "worker-1  | ERROR: job 17 failed",
        "web-1     | Traceback (most recent call last):",
        "web-1     |   File \"/app/main.py\", line 3, in <module>",
        "web-1     | KeyError: 'JOB_ID'",
    ];
    let entries: Vec<Entry<'_>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Entry::from_text(Cow::Borrowed(*l), i as u64 + 1))
        .collect();
    let events = run(&entries, 1000.0);
    let kinds: Vec<(EventKind, u64)> = events.iter().map(|e| (e.kind, e.line)).collect();
    assert_eq!(kinds, [(EventKind::Severity, 1), (EventKind::Traceback, 2)]);
}

#[test]
fn only_entries_of_the_open_stream_may_continue_it() {
    let mut a = Assembler::new(1000.0);
    assert!(!a.may_continue(br#"{"textPayload":"anything"}"#));
    let lines = split("00f46b92", 0, NAME_ERROR);
    for e in lines.iter().take(2) {
        a.push(e, &mut |_| {});
    }
    let raw = |log: &str, instance: &str| {
        format!(
            r#"{{"labels":{{"instanceId":"{instance}"}},"logName":"{}","textPayload":"    app = create_app()"}}"#,
            log.replace('/', "\\/")
        )
    };
    let requests = "projects/netra-staging/logs/run.googleapis.com%2Frequests";
    // Same instance and log (slashes escaped or not): parse it.
    assert!(a.may_continue(raw(STDERR, "00f46b92").as_bytes()));
    assert!(a.may_continue(raw(STDERR, "00f46b92").replace("\\/", "/").as_bytes()));
    // Another instance, or the request log of the same instance: another stream.
    assert!(!a.may_continue(raw(STDERR, "00aa0001").as_bytes()));
    assert!(!a.may_continue(raw(requests, "00f46b92").as_bytes()));
}

#[test]
fn a_split_tracebacks_text_loses_only_the_blank_lines_at_its_end() {
    let rows: &[(&str, &str)] = &[
        ("a\nb\n", "a\nb"),
        ("a\n \n\t\n\n", "a"),
        ("a\n\nb\n\n", "a\n\nb"),
        (" \n\n", ""),
        ("", ""),
    ];
    for (lines, want) in rows {
        assert_eq!(without_blank_tail(lines), *want, "{lines:?}");
    }
}

#[test]
fn a_streams_needle_is_built_once_and_the_cache_stays_bounded() {
    let mut needles = Needles::default();
    let a = entry("a", "00f46b92", Severity::Error, "x");
    let first = needles.of(&a).expect("a plain instance id");
    let again = needles
        .of(&entry("b", "00f46b92", Severity::Default, "y"))
        .expect("same");
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(
        first.len(),
        2,
        "the log name's last segment and the instance id"
    );
    let other = needles
        .of(&entry("c", "00aa", Severity::Error, "z"))
        .expect("other");
    assert!(!Arc::ptr_eq(&first, &other));
    let raw = br#"{"logName":"projects/p/logs/run.googleapis.com%2Fstderr","labels":{"instanceId":"00f46b92"}}"#;
    assert!(first.iter().all(|f| f.find(raw).is_some()));
    assert!(!other.iter().all(|f| f.find(raw).is_some()));
    let mut odd_id = entry("e", "00f4 6b92", Severity::Error, "v");
    assert!(
        needles.of(&odd_id).is_none(),
        "an id with a space is not searched for"
    );
    odd_id.log_name = Some(Cow::Borrowed("projects/p/logs/my log"));
    odd_id.instance_id = Some(Cow::Borrowed("00f46b92"));
    let id_alone = needles
        .of(&odd_id)
        .expect("a plain id under an odd log name");
    assert_eq!(id_alone.len(), 1, "the odd log name is left out");
    assert!(!Arc::ptr_eq(&first, &id_alone));
    let id_alone_again = needles.of(&odd_id).expect("cached");
    assert!(Arc::ptr_eq(&id_alone, &id_alone_again));
    assert!(Arc::ptr_eq(&first, &needles.of(&a).expect("still cached")));
    odd_id.log_name = None;
    let no_log = needles.of(&odd_id).expect("no log name");
    assert!(
        Arc::ptr_eq(&id_alone, &no_log),
        "a missing log name is an odd one"
    );
    for i in 0..3 * MAX_STREAMS {
        needles.of(&entry("d", &format!("{i:04}"), Severity::Error, "w"));
    }
    assert_eq!(needles.0.len(), MAX_STREAMS);
}

#[test]
fn a_whole_tracebacks_lines_are_counted_as_lines_counts_them() {
    let line = "  File \"/app/netra_backend/app/smd.py\", line 1687, in <module>";
    for n in [0, 1, MAX_LINES - 1, MAX_LINES, MAX_LINES + 1] {
        for end in ["", "\n", "\r\n", "\n\n", "\n\r\n"] {
            let text = vec![line; n].join("\n") + end;
            let kept = matches!(bounded(&text), Cow::Borrowed(_));
            let want = text.lines().count() <= MAX_LINES;
            assert_eq!(kept, want, "{n} lines ending {end:?}");
        }
    }
    let long = vec![line; MAX_LINES + 3].join("\n");
    let cut = bounded(&long);
    assert_eq!(
        cut.lines().count(),
        MAX_LINES + 1,
        "the kept lines and the elision"
    );
    assert!(cut.contains("...<3 lines>..."));
}
