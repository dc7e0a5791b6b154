//! Fingerprints: one bug on any instance, revision or day is one group; another frame,
//! type or category is another; the value itself never drifts.

mod support;

use logtriage::{
    normalize_message, Classifier, Event, EventKind, Exception, Link, Severity, Traceback,
};
use proptest::prelude::*;
use support::events::{exception, frame};

/// A classified traceback event as one instance of one revision logged it on one day.
fn event(chain: Vec<Exception>, timestamp: &str, revision: &str, instance_line: u64) -> Event {
    let mut ev = Event::new(EventKind::Traceback, "");
    ev.line = instance_line;
    ev.insert_ids = vec![format!("65f1a2b3000{instance_line}")];
    ev.timestamp = Some(timestamp.to_string());
    ev.service = Some("netra-backend-staging".to_string());
    ev.revision = Some(revision.to_string());
    ev.severity = Severity::Error;
    ev.traceback = Some(Traceback::new(chain));
    Classifier::builtin().classify(&mut ev);
    ev
}

/// The staging startup crash; `smd_line` moves between revisions.
fn name_error(smd_line: u32, python: &str) -> Vec<Exception> {
    vec![exception(
        "NameError",
        "name 'UnifiedExecutionEngineFactory' is not defined",
        vec![
            frame(
                &format!("/usr/local/lib/{python}/site-packages/starlette/routing.py"),
                693,
                "lifespan",
            ),
            frame("/app/netra_backend/app/smd.py", 412, "initialize_system"),
            frame(
                "/app/netra_backend/app/smd.py",
                smd_line,
                "_initialize_factory_patterns",
            ),
        ],
    )]
}

fn redis_refused(ip: &str, object: &str) -> Vec<Exception> {
    let mut cause = exception(
        "ConnectionRefusedError",
        "[Errno 111] Connection refused",
        vec![],
    );
    cause.link = Some(Link::Context);
    vec![
        cause,
        exception(
            "redis.exceptions.ConnectionError",
            &format!("Error 111 connecting to {ip}:6379. Connection refused. ({object})"),
            vec![
                frame("/app/netra_backend/app/redis_manager.py", 57, "connect"),
                frame(
                    "/usr/local/lib/python3.11/site-packages/redis/connection.py",
                    357,
                    "connect",
                ),
            ],
        ),
    ]
}

#[test]
fn same_bug_on_two_instances_revisions_and_days_is_one_fingerprint() {
    let a = event(
        name_error(1687, "python3.11"),
        "2026-11-26T07:01:02.123456Z",
        "netra-backend-staging-00041-xq2",
        12,
    );
    let b = event(
        name_error(1702, "python3.12"),
        "2026-11-27T09:15:44.000001Z",
        "netra-backend-staging-00042-k7d",
        90_210,
    );
    assert_eq!(a.classification.category, "undefined_symbol");
    assert_eq!(a.classification.fingerprint, b.classification.fingerprint);

    let c = event(
        redis_refused(
            "10.0.0.5",
            "<redis.connection.Connection object at 0x7f3b2c1d4e50>",
        ),
        "2026-11-26T07:01:02Z",
        "r1",
        1,
    );
    let d = event(
        redis_refused(
            "10.0.0.6",
            "<redis.connection.Connection object at 0x7fa0099e1c10>",
        ),
        "2026-11-27T07:01:02Z",
        "r2",
        2,
    );
    assert_eq!(c.classification.category, "connection_refused");
    assert_eq!(c.classification.fingerprint, d.classification.fingerprint);
    assert_ne!(a.classification.fingerprint, c.classification.fingerprint);
}

#[test]
fn another_in_app_frame_is_another_fingerprint() {
    let a = event(name_error(1687, "python3.11"), "t", "r", 1);
    let mut chain = name_error(1687, "python3.11");
    chain[0].frames[2].function = "_initialize_tool_registry".to_string();
    let b = event(chain, "t", "r", 1);
    assert_ne!(a.classification.fingerprint, b.classification.fingerprint);

    let mut chain = name_error(1687, "python3.11");
    chain[0].frames[2].file = "/app/netra_backend/app/startup.py".to_string();
    let c = event(chain, "t", "r", 1);
    assert_ne!(a.classification.fingerprint, c.classification.fingerprint);

    // A library frame is not in-app: it does not split the group.
    let mut chain = name_error(1687, "python3.11");
    chain[0].frames[0].function = "startup".to_string();
    let d = event(chain, "t", "r", 1);
    assert_eq!(a.classification.fingerprint, d.classification.fingerprint);
}

#[test]
fn another_type_or_symbol_is_another_fingerprint() {
    let a = event(name_error(1687, "python3.11"), "t", "r", 1);
    let mut chain = name_error(1687, "python3.11");
    chain[0].type_name = "UnboundLocalError".to_string();
    chain[0].message =
        "cannot access local variable 'UnifiedExecutionEngineFactory' where it is not associated with a value"
            .to_string();
    let b = event(chain, "t", "r", 1);
    assert_eq!(b.classification.category, "undefined_symbol");
    assert_ne!(a.classification.fingerprint, b.classification.fingerprint);

    let mut chain = name_error(1687, "python3.11");
    chain[0].message = "name 'ExecutionEngineFactory' is not defined".to_string();
    let c = event(chain, "t", "r", 1);
    assert_ne!(a.classification.fingerprint, c.classification.fingerprint);
}

#[test]
fn pinned_fingerprint_value() {
    // If this changes, every stored group id changes: bump the version tag on purpose
    // (`logtriage-fp-2`, ids inside messages, changed it from 8c926bfd9591e7e7).
    let a = event(name_error(1687, "python3.11"), "t", "r", 1);
    assert_eq!(a.classification.fingerprint.to_string(), "5b9348eceafccc24");
    let json = serde_json::to_string(&a.classification.fingerprint).unwrap();
    assert_eq!(json, format!("\"{}\"", a.classification.fingerprint));
}

#[test]
fn normalize_keeps_the_subject_and_drops_volatile_parts() {
    let rows: &[(&str, Option<&str>, &str)] = &[
        (
            "cannot import name 'ExecutionEngineFactory' from 'netra_backend.app.agents' (/app/netra_backend/app/agents/__init__.py)",
            Some("ExecutionEngineFactory"),
            "cannot import name 'ExecutionEngineFactory' from '<str>' (/app/netra_backend/app/agents/__init__.py)",
        ),
        (
            "HTTPConnectionPool(host='localhost', port=8081): Max retries exceeded with url: /api/health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3b2c1d4e50>: Failed to establish a new connection: [Errno 111] Connection refused'))",
            Some("localhost:8081"),
            "HTTPConnectionPool(host='<str>', port=<n>): Max retries exceeded with url: /api/health (Caused by NewConnectionError('<str>'))",
        ),
        (
            "[Errno 111] Connect call failed ('10.20.0.3', 5432)",
            Some("10.20.0.3:5432"),
            "[Errno <n>] Connect call failed ('<str>', <n>)",
        ),
        (
            "connection to server at \"10.20.0.3\", port 5432 failed: Connection refused",
            Some("10.20.0.3:5432"),
            "connection to server at \"<str>\", port <n> failed: Connection refused",
        ),
        (
            "/usr/local/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister",
            Some("ncclCommRegister"),
            "<site-packages>/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister",
        ),
        (
            "Thread 9b2c4e1a-7f3d-4c2b-9a8e-1f2d3c4b5a6e not found for user 8812",
            None,
            "Thread <uuid> not found for user <n>",
        ),
        (
            "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:10.0.0.7:50051: Connection refused",
            None,
            "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:<ip>: Connection refused",
        ),
    ];
    for (message, subject, want) in rows {
        assert_eq!(normalize_message(message, *subject), *want, "{message}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn normalize_never_panics_and_is_idempotent(s in "[ -~\\n\\té'\"0-9a-f:./]{0,80}") {
        let once = normalize_message(&s, None);
        prop_assert_eq!(normalize_message(&once, None), once);
    }

    #[test]
    fn fingerprint_ignores_numbers_in_messages(a in 0u32..100_000, b in 0u32..100_000) {
        let chain = |n: u32| vec![exception(
            "ValueError",
            &format!("batch {n} of size {n} failed at 0x{n:x}"),
            vec![frame("/app/worker.py", n, "run")],
        )];
        let x = event(chain(a), "t", "r", 1);
        let y = event(chain(b), "t", "r", 1);
        prop_assert_eq!(x.classification.fingerprint, y.classification.fingerprint);
    }
}
