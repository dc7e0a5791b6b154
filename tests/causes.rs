//! Causes and symptoms (issue 18): platform messages in their real wording, route
//! templating, each link rule at its boundaries, newest-first input, a symptom with no
//! cause; and a property: links and impact do not depend on the order of whole entries
//! (each stream's order kept) nor on sharding merged with `Report::merge`.

use logtriage::{EventKind, Evidence, Group, NoSink, Report, Role, TriageBuilder};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const REV: &str = "netra-backend-staging-00042-xyz";
const REV_OLD: &str = "netra-backend-staging-00041-abc";

/// `2026-11-26T14:00:00Z` plus `s` seconds, to the microsecond.
fn ts(s: f64) -> String {
    let us = (s * 1e6).round() as i64;
    let (secs, micros) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    format!(
        "2026-11-26T14:{:02}:{:02}.{micros:06}Z",
        secs / 60,
        secs % 60
    )
}

fn resource(revision: &str) -> Value {
    json!({"type": "cloud_run_revision", "labels": {
        "service_name": "netra-backend-staging", "revision_name": revision,
        "location": "us-central1", "project_id": "netra-staging"}})
}

fn log(name: &str) -> String {
    format!("projects/netra-staging/logs/run.googleapis.com%2F{name}")
}

fn trace(t: &str) -> String {
    format!("projects/netra-staging/traces/{t}")
}

/// An app error on `instance` (structured, severity ERROR), with an optional trace.
fn cause(at: f64, instance: &str, trace_id: Option<&str>, message: &str) -> Value {
    cause_in(REV, at, instance, trace_id, message)
}

fn cause_in(
    revision: &str,
    at: f64,
    instance: &str,
    trace_id: Option<&str>,
    message: &str,
) -> Value {
    let mut e = json!({"timestamp": ts(at), "severity": "ERROR", "logName": log("stdout"),
        "resource": resource(revision), "labels": {"instanceId": instance},
        "jsonPayload": {"message": message, "logger": "netra_backend.app"}});
    if let Some(t) = trace_id {
        e["trace"] = trace(t).into();
    }
    e
}

/// A request log entry; severity as Cloud Run writes it for the status.
#[allow(clippy::too_many_arguments)]
fn request(
    revision: &str,
    at: f64,
    instance: Option<&str>,
    trace_id: &str,
    method: &str,
    path: &str,
    status: u16,
    latency_s: f64,
    text: Option<&str>,
) -> Value {
    let severity = match status {
        500.. => "ERROR",
        400.. => "WARNING",
        _ => "INFO",
    };
    let mut e = json!({"timestamp": ts(at), "severity": severity, "logName": log("requests"),
        "resource": resource(revision), "trace": trace(trace_id),
        "httpRequest": {"requestMethod": method, "status": status,
            "requestUrl": format!("https://netra-backend-staging-7019.us-central1.run.app{path}"),
            "latency": format!("{latency_s:.6}s"), "protocol": "HTTP/1.1"}});
    if let Some(i) = instance {
        e["labels"] = json!({"instanceId": i});
    }
    if let Some(t) = text {
        e["textPayload"] = t.into();
    }
    e
}

/// A failed request on `REV` with no text of its own.
fn fail(
    at: f64,
    instance: Option<&str>,
    trace_id: &str,
    path: &str,
    status: u16,
    lat: f64,
) -> Value {
    request(REV, at, instance, trace_id, "GET", path, status, lat, None)
}

/// A `varlog/system` entry of `instance`.
fn system(at: f64, instance: &str, severity: &str, text: &str) -> Value {
    system_in(REV, at, instance, severity, text)
}

fn system_in(revision: &str, at: f64, instance: &str, severity: &str, text: &str) -> Value {
    json!({"timestamp": ts(at), "severity": severity, "logName": log("varlog%2Fsystem"),
        "resource": resource(revision), "labels": {"instanceId": instance},
        "textPayload": text})
}

/// An un-structured stderr line of `instance`, as gunicorn and uvicorn write them.
fn stderr(at: f64, instance: &str, text: &str) -> Value {
    json!({"timestamp": ts(at), "logName": log("stderr"), "resource": resource(REV),
        "labels": {"instanceId": instance}, "textPayload": text})
}

/// Cloud Run's audit entry with a status message.
fn audit(at: f64, message: &str) -> Value {
    json!({"timestamp": ts(at), "severity": "ERROR",
        "logName": "projects/netra-staging/logs/cloudaudit.googleapis.com%2Fsystem_event",
        "resource": resource(REV),
        "protoPayload": {"methodName": "/Services.ReplaceService", "status": {"code": 9, "message": message}}})
}

fn run(entries: &[Value]) -> Report {
    let ndjson: String = entries.iter().map(|e| format!("{e}\n")).collect();
    TriageBuilder::new()
        .build()
        .expect("build")
        .run_slice(ndjson.as_bytes(), &mut NoSink)
        .expect("run")
}

fn group<'r>(report: &'r Report, message: &str) -> &'r Group {
    report
        .groups
        .iter()
        .find(|g| g.message.starts_with(message))
        .unwrap_or_else(|| {
            let all: Vec<&str> = report.groups.iter().map(|g| g.message.as_str()).collect();
            panic!("no group starts with {message:?}: {all:?}")
        })
}

/// What a row expects.
enum Want {
    /// A group whose message starts with this, of this kind, from this platform row.
    Event(&'static str, EventKind, Option<&'static str>),
    /// No event at all.
    Nothing,
    /// The symptom group (message prefix) is linked, all of it, to the cause group (message
    /// prefix) by that evidence; `None`: it is unexplained.
    Link(&'static str, Option<(&'static str, Evidence)>),
}

fn kind_of(report: &Report, g: &Group) -> EventKind {
    let _ = report;
    match (g.role, &g.request) {
        (Role::Symptom, Some(_)) => EventKind::Request,
        (Role::Symptom, None) => EventKind::Platform,
        _ => EventKind::Severity,
    }
}

fn check(name: &str, report: &Report, want: &Want) {
    match want {
        Want::Nothing => assert!(report.groups.is_empty(), "{name}: {:?}", report.groups),
        Want::Event(message, kind, platform) => {
            let g = group(report, message);
            assert_eq!(kind_of(report, g), *kind, "{name}");
            assert_eq!(
                g.platform.as_ref().map(|p| p.id.as_str()),
                *platform,
                "{name}"
            );
        }
        Want::Link(symptom, cause) => {
            let s = group(report, symptom);
            assert_eq!(s.role, Role::Symptom, "{name}");
            let links = s.caused_by.as_deref().unwrap_or_default();
            match cause {
                None => {
                    assert!(links.is_empty(), "{name}: {links:?}");
                    assert_eq!(s.unexplained, Some(s.count), "{name}");
                }
                Some((cause, evidence)) => {
                    let c = group(report, cause);
                    assert_eq!(links.len(), 1, "{name}: {links:?}");
                    assert_eq!(
                        (links[0].fingerprint, links[0].evidence, links[0].count),
                        (c.fingerprint, *evidence, s.count),
                        "{name}: linked to {:?}",
                        report
                            .groups
                            .iter()
                            .find(|g| g.fingerprint == links[0].fingerprint)
                            .map(|g| &g.message)
                    );
                    assert_eq!(s.unexplained, Some(0), "{name}");
                    assert!(c.impact_total() >= s.count, "{name}");
                }
            }
        }
    }
}

const BOOM: &str = "Pipeline crashed: NameError in smd";
const OTHER: &str = "Agent registry failed to load";
const I1: &str = "00fe129a793db74c1";
const I2: &str = "00fe129a793db74c2";

#[test]
fn symptoms_and_links_table() {
    let gunicorn =
        |level: &str, msg: &str| format!("[2026-11-26 14:05:42 +0000] [1] [{level}] {msg}");
    let probe_fail = r#"Default STARTUP TCP probe failed 1 time consecutively for container "netra-backend-staging-1" on port 8000. The instance was not started."#;
    let rows: Vec<(&str, Vec<Value>, Want)> = vec![
        // Platform messages, in their real wording.
        ("container exit 1", vec![system(10.0, I1, "WARNING", "Container called exit(1).")],
            Want::Event("Container called exit(1).", EventKind::Platform, Some("container_exit"))),
        ("container exit 137", vec![system(10.0, I1, "WARNING", "Container called exit(137).")],
            Want::Event("Container called exit(137).", EventKind::Platform, Some("container_exit"))),
        ("container exit 0 is a clean end", vec![system(10.0, I1, "WARNING", "Container called exit(0).")],
            Want::Nothing),
        ("startup probe failed", vec![system(10.0, I1, "ERROR", probe_fail)],
            Want::Event("Default STARTUP TCP probe failed", EventKind::Platform, Some("startup_probe_failed"))),
        ("startup HTTP probe, 3 times", vec![system(10.0, I1, "ERROR", r#"STARTUP HTTP probe failed 3 times consecutively for container "app" on port 8080 path "/ready". The instance was not started."#)],
            Want::Event("STARTUP HTTP probe failed", EventKind::Platform, Some("startup_probe_failed"))),
        ("startup probe succeeded is not an event", vec![system(10.0, I1, "INFO", r#"Default STARTUP TCP probe succeeded after 1 attempt for container "app" on port 8000."#)],
            Want::Nothing),
        ("liveness probe failed", vec![system(10.0, I1, "ERROR", r#"LIVENESS HTTP probe failed 3 times consecutively for container "app" on port 8080 path "/livez". The instance has been shut down."#)],
            Want::Event("LIVENESS HTTP probe failed", EventKind::Platform, Some("liveness_probe_failed"))),
        ("port not listening, audit status", vec![audit(10.0, "Ready condition status changed to False for Revision netra-backend-staging-00042-xyz with message: The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout.")],
            Want::Event("Ready condition status changed to False", EventKind::Platform, Some("port_not_listening"))),
        ("port not listening, older words", vec![system(10.0, I1, "ERROR", "Cloud Run error: Container failed to start. Failed to start and then listen on the port defined by the PORT environment variable. Logs for this revision might contain more information.")],
            Want::Event("Cloud Run error: Container failed to start.", EventKind::Platform, Some("port_not_listening"))),
        ("429 no available instance (WARNING)", vec![request(REV, 10.0, None, "t429", "GET", "/health", 429, 0.01, Some("The request was aborted because there was no available instance."))],
            Want::Event("The request was aborted because there was no available instance", EventKind::Platform, Some("no_available_instance"))),
        ("500 no available instance", vec![request(REV, 10.0, None, "t500", "GET", "/health", 500, 10.0, Some("The request was aborted because there was no available instance. Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#abort-request"))],
            Want::Event("GET /health → 500 in 10.0 s (no available instance)", EventKind::Request, Some("no_available_instance"))),
        ("503 malformed response", vec![request(REV, 10.0, Some(I1), "t503", "POST", "/api/agents/run", 503, 2.5, Some("The request failed because either the HTTP response was malformed or connection to the instance had an error. Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#malformed-response-or-connection-error"))],
            Want::Event("POST /api/agents/run → 503 in 2.5 s (malformed response", EventKind::Request, Some("malformed_response"))),
        ("504 request timeout", vec![request(REV, 10.0, Some(I1), "t504", "GET", "/api/threads", 504, 300.0, Some("The request has been terminated because it has reached the maximum request timeout. To change this limit, see https://cloud.google.com/run/docs/configuring/request-timeout"))],
            Want::Event("GET /api/threads → 504 in 300.0 s (request timeout)", EventKind::Request, Some("request_timeout"))),
        ("500 instance could not start", vec![request(REV, 10.0, None, "t5", "GET", "/", 500, 0.2, Some("The request failed because the instance could not start successfully."))],
            Want::Event("GET / → 500 in 200 ms (instance could not start)", EventKind::Request, Some("instance_failed_to_start"))),
        ("gunicorn worker exited", vec![stderr(10.0, I1, &gunicorn("ERROR", "Worker (pid:7) exited with code 3"))],
            Want::Event("Worker (pid:7) exited with code 3", EventKind::Platform, Some("gunicorn_worker_exit"))),
        ("gunicorn worker exited, with its period", vec![stderr(10.0, I1, &gunicorn("ERROR", "Worker (pid:12) exited with code 1."))],
            Want::Event("Worker (pid:12) exited with code 1.", EventKind::Platform, Some("gunicorn_worker_exit"))),
        ("gunicorn worker SIGKILL", vec![stderr(10.0, I1, &gunicorn("ERROR", "Worker (pid:21) was sent SIGKILL! Perhaps out of memory?"))],
            Want::Event("Worker (pid:21) was sent SIGKILL!", EventKind::Platform, Some("gunicorn_worker_killed"))),
        ("gunicorn worker SIGTERM is not an event", vec![stderr(10.0, I1, &gunicorn("INFO", "Worker (pid:21) was sent SIGTERM!"))],
            Want::Nothing),
        ("gunicorn shutting down after a failure", vec![stderr(10.0, I1, &gunicorn("ERROR", "Shutting down: Master"))],
            Want::Event("Shutting down: Master", EventKind::Platform, Some("gunicorn_master_shutdown"))),
        ("gunicorn shutting down cleanly is not an event", vec![stderr(10.0, I1, &gunicorn("INFO", "Shutting down: Master"))],
            Want::Nothing),
        ("gunicorn worker failed to boot", vec![stderr(10.0, I1, &gunicorn("ERROR", "Reason: Worker failed to boot."))],
            Want::Event("Reason: Worker failed to boot.", EventKind::Platform, Some("gunicorn_boot_failed"))),
        ("gunicorn app failed to load", vec![stderr(10.0, I1, &gunicorn("ERROR", "Reason: App failed to load."))],
            Want::Event("Reason: App failed to load.", EventKind::Platform, Some("gunicorn_boot_failed"))),
        ("uvicorn startup failed", vec![stderr(10.0, I1, "ERROR:    Application startup failed. Exiting.")],
            Want::Event("Application startup failed. Exiting.", EventKind::Platform, Some("uvicorn_startup_failed"))),
        // Routes.
        ("route with a mixed token and a query", vec![fail(10.0, None, "r1", "/api/threads/th_5d1c0e?limit=50", 500, 5.123)],
            Want::Event("GET /api/threads/{id} → 500 in 5.1 s", EventKind::Request, None)),
        ("route with a number", vec![fail(10.0, None, "r2", "/api/users/42/avatar", 502, 0.021)],
            Want::Event("GET /api/users/{id}/avatar → 502 in 21 ms", EventKind::Request, None)),
        ("route with a UUID", vec![fail(10.0, None, "r3", "/v1/runs/550e8400-e29b-41d4-a716-446655440000", 500, 1.0)],
            Want::Event("GET /v1/runs/{id} → 500 in 1.0 s", EventKind::Request, None)),
        ("route with versions kept", vec![fail(10.0, None, "r4", "/api/v2/oauth2/token", 500, 0.5)],
            Want::Event("GET /api/v2/oauth2/token → 500 in 500 ms", EventKind::Request, None)),
        ("route of a bare host", vec![fail(10.0, None, "r5", "", 503, 0.0)],
            Want::Event("GET / → 503 in 0 ms", EventKind::Request, None)),
        ("route with long hex", vec![fail(10.0, None, "r6", "/files/5d1c0e8a9b#top", 500, 2.0)],
            Want::Event("GET /files/{id} → 500 in 2.0 s", EventKind::Request, None)),
        ("a 4xx is not an event", vec![fail(10.0, None, "r7", "/health", 404, 0.01)],
            Want::Nothing),
        // Rule 1: trace.
        ("trace, other instance", vec![cause(10.0, I2, Some("T1"), BOOM), fail(3.0, Some(I1), "T1", "/api/chat", 500, 0.5)],
            Want::Link("GET /api/chat", Some((BOOM, Evidence::Trace)))),
        ("trace before instance", vec![cause(10.0, I1, Some("T1"), BOOM), cause(10.2, I1, None, OTHER), fail(10.0, Some(I1), "T1", "/api/chat", 500, 0.25)],
            Want::Link("GET /api/chat", Some((BOOM, Evidence::Trace)))),
        ("trace with two causes: the first", vec![cause(10.5, I1, Some("T1"), OTHER), cause(10.1, I1, Some("T1"), BOOM), fail(10.0, Some(I1), "T1", "/api/chat", 500, 1.0)],
            Want::Link("GET /api/chat", Some((BOOM, Evidence::Trace)))),
        // Rule 2: instance, a request's span with one second of slack.
        ("instance, inside the span", vec![cause(12.0, I1, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", Some((BOOM, Evidence::Instance)))),
        ("instance, at the end plus one second", vec![cause(16.0, I1, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", Some((BOOM, Evidence::Instance)))),
        ("instance, one second (and a bit) outside the span", vec![cause(16.001, I1, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", None)),
        ("instance, one second before the start", vec![cause(9.0, I1, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", Some((BOOM, Evidence::Instance)))),
        ("instance, more than one second before the start", vec![cause(8.999, I1, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", None)),
        ("instance, another instance", vec![cause(12.0, I2, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", None)),
        ("instance, of two in the span the one nearest its end", vec![cause(10.5, I1, None, OTHER), cause(14.8, I1, None, BOOM), fail(10.0, Some(I1), "x", "/health", 500, 5.0)],
            Want::Link("GET /health", Some((BOOM, Evidence::Instance)))),
        // Rule 2: instance, up to 60 s before a platform message.
        ("exit 60 s after its cause", vec![cause(10.0, I1, None, BOOM), system(70.0, I1, "WARNING", "Container called exit(1).")],
            Want::Link("Container called exit", Some((BOOM, Evidence::Instance)))),
        ("exit 61 s after its cause", vec![cause(10.0, I1, None, BOOM), system(71.0, I1, "WARNING", "Container called exit(1).")],
            Want::Link("Container called exit", None)),
        ("exit before the error", vec![cause(10.5, I1, None, BOOM), system(10.0, I1, "WARNING", "Container called exit(1).")],
            Want::Link("Container called exit", None)),
        ("exit: the nearest of two causes", vec![cause(10.0, I1, None, OTHER), cause(40.0, I1, None, BOOM), stderr(41.0, I1, "ERROR:    Application startup failed. Exiting.")],
            Want::Link("Application startup failed", Some((BOOM, Evidence::Instance)))),
        // Rule 3: a crash-looping revision.
        ("revision crash loop", vec![
            cause(10.0, I1, None, BOOM), system(10.5, I1, "WARNING", "Container called exit(1)."),
            cause(20.0, I2, None, BOOM), system(20.5, I2, "WARNING", "Container called exit(1)."),
            request(REV, 30.0, None, "n1", "GET", "/health", 503, 10.0, Some("The request was aborted because there was no available instance."))],
            Want::Link("GET /health → 503", Some((BOOM, Evidence::Revision)))),
        ("revision where one instance served", vec![
            cause(10.0, I1, None, BOOM), system(10.5, I1, "WARNING", "Container called exit(1)."),
            fail(15.0, Some(I2), "s1", "/api/chat", 500, 0.1),
            request(REV, 30.0, None, "n1", "GET", "/health", 503, 10.0, Some("The request was aborted because there was no available instance."))],
            Want::Link("GET /health → 503", None)),
        ("revision: the most frequent crash cause", vec![
            cause(10.0, I1, None, OTHER), system(10.5, I1, "WARNING", "Container called exit(1)."),
            cause(20.0, I2, None, BOOM), system(20.5, I2, "WARNING", "Container called exit(1)."),
            stderr(20.6, I2, "ERROR:    Application startup failed. Exiting."),
            request(REV, 30.0, None, "n1", "GET", "/health", 503, 10.0, None)],
            Want::Link("GET /health → 503", Some((BOOM, Evidence::Revision)))),
        ("revision: another revision's crash loop does not count", vec![
            cause_in(REV_OLD, 10.0, I1, None, BOOM), system_in(REV_OLD, 10.5, I1, "WARNING", "Container called exit(1)."),
            request(REV, 30.0, None, "n1", "GET", "/health", 503, 10.0, None)],
            Want::Link("GET /health → 503", None)),
        ("revision: a late exit is not linked by revision", vec![
            cause(10.0, I1, None, BOOM), system(10.5, I1, "WARNING", "Container called exit(1)."),
            stderr(200.0, I1, "ERROR:    Application startup failed. Exiting.")],
            Want::Link("Application startup failed", None)),
        // No cause in the logs.
        ("a 503 with no app log at all", vec![request(REV, 30.0, Some(I1), "n1", "GET", "/health", 503, 0.2, None)],
            Want::Link("GET /health → 503", None)),
        ("an exit with no error before it", vec![system(10.0, I1, "WARNING", "Container called exit(1).")],
            Want::Link("Container called exit", None)),
    ];
    assert!(rows.len() >= 40, "{} rows", rows.len());
    for (name, entries, want) in &rows {
        check(name, &run(entries), want);
        // Newest first, as `gcloud logging read` prints by default: the same answer.
        let newest_first: Vec<Value> = entries.iter().rev().cloned().collect();
        check(&format!("{name}, newest first"), &run(&newest_first), want);
    }
}

#[test]
fn impact_counts_requests_by_status_and_route_and_exits() {
    let report = run(&[
        cause(10.0, I1, Some("T1"), BOOM),
        fail(9.8, Some(I1), "T1", "/api/threads/th_5d1c0e", 500, 0.5),
        fail(9.9, Some(I1), "T1", "/api/threads/th_9a7f31", 500, 0.5),
        request(
            REV,
            9.95,
            Some(I1),
            "T1",
            "POST",
            "/api/chat",
            503,
            0.2,
            None,
        ),
        system(10.4, I1, "WARNING", "Container called exit(1)."),
        fail(50.0, Some(I2), "T9", "/health", 500, 0.1),
    ]);
    let c = group(&report, BOOM);
    let impact = c.impact.as_ref().expect("impact");
    assert_eq!((impact.requests, impact.exits), (3, 1));
    assert_eq!(impact.statuses.get("500"), Some(&2));
    assert_eq!(impact.statuses.get("503"), Some(&1));
    let routes: Vec<(&str, &str, u64)> = impact
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.route.as_str(), r.count))
        .collect();
    assert_eq!(
        routes,
        [("GET", "/api/threads/{id}", 2), ("POST", "/api/chat", 1)]
    );
    assert_eq!(report.totals.symptoms, 5);
    assert_eq!(report.totals.symptoms_explained, 4);
    // The cause with the impact ranks first, before more frequent causes.
    let mut more = vec![cause(100.0, I2, None, OTHER); 5];
    more.extend([
        cause(10.0, I1, Some("T1"), BOOM),
        fail(9.8, Some(I1), "T1", "/x", 500, 0.5),
    ]);
    let report = run(&more);
    assert!(report.groups[0].message.starts_with(BOOM));
    assert!(report.groups[1].message.starts_with(OTHER));
    // The JSON form: impact on causes, caused_by and unexplained on symptoms.
    let json: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["groups"][0]["impact"]["requests"], 1);
    assert_eq!(json["groups"][0]["role"], "cause");
    assert_eq!(json["groups"][2]["role"], "symptom");
    assert_eq!(json["groups"][2]["caused_by"][0]["evidence"], "trace");
    assert_eq!(json["groups"][2]["unexplained"], 0);
    assert_eq!(json["groups"][2]["latency_ms"]["max"], 500.0);
    assert_eq!(json["groups"][2]["timeline"]["bucket_s"], 60);
}

/// The links of a report, by group fingerprint: what must not depend on order or sharding.
fn links_of(report: &Report) -> BTreeMap<String, String> {
    report
        .groups
        .iter()
        .map(|g| {
            let what = format!(
                "{:?} {:?} {:?} {:?}",
                g.impact, g.caused_by, g.unexplained, g.count
            );
            (g.fingerprint.to_string(), what)
        })
        .chain([(
            "totals".to_string(),
            format!(
                "{} {}",
                report.totals.symptoms, report.totals.symptoms_explained
            ),
        )])
        .collect()
}

/// A small incident: per instance (of two revisions), errors, requests and exits at random
/// times; each instance's entries are its streams. Returns the streams, each in time order.
fn incident() -> impl Strategy<Value = Vec<Vec<Value>>> {
    let item = (0u8..7, 0u32..600, 0u8..4, 0u8..3);
    prop::collection::vec(prop::collection::vec(item, 1..12), 1..5).prop_map(|instances| {
        let mut streams = Vec::new();
        for (n, items) in instances.iter().enumerate() {
            let instance = format!("00fe{n}");
            let revision = if n % 3 == 2 { REV_OLD } else { REV };
            let (mut app, mut reqs, mut sys) = (Vec::new(), Vec::new(), Vec::new());
            let mut items = items.clone();
            items.sort_by_key(|i| i.1);
            for (what, at, t, which) in items {
                let at = 10.0 + f64::from(at) * 0.25;
                let trace_id = format!("T{t}");
                let msg = [BOOM, OTHER, "Redis refused"][usize::from(which)];
                match what {
                    0 | 1 => app.push(cause_in(revision, at, &instance, (what == 0).then_some(trace_id.as_str()), msg)),
                    2 => reqs.push(request(revision, at, Some(&instance), &trace_id, "GET", "/api/threads/th_1a2b3c", 500, f64::from(which) * 2.0, None)),
                    3 => reqs.push(request(revision, at, None, &trace_id, "GET", "/health", 503, 10.0, Some("The request was aborted because there was no available instance."))),
                    4 => sys.push(system_in(revision, at, &instance, "WARNING", "Container called exit(1).")),
                    5 => app.push(json!({"timestamp": ts(at), "logName": log("stderr"), "resource": resource(revision),
                        "labels": {"instanceId": instance}, "textPayload": "ERROR:    Application startup failed. Exiting."})),
                    _ => reqs.push(request(revision, at, Some(&instance), &trace_id, "POST", "/api/chat", 502, 0.5, None)),
                }
            }
            streams.extend([app, reqs, sys].into_iter().filter(|s| !s.is_empty()));
        }
        streams
    })
}

/// Interleaves streams, keeping each one's order, by a list of choices.
fn interleave(streams: &[Vec<Value>], choices: &[usize]) -> Vec<Value> {
    let mut at = vec![0; streams.len()];
    let mut out = Vec::new();
    let mut k = 0;
    while out.len() < streams.iter().map(Vec::len).sum() {
        let open: Vec<usize> = (0..streams.len())
            .filter(|&s| at[s] < streams[s].len())
            .collect();
        let s = open[choices.get(k).copied().unwrap_or(0) % open.len()];
        k += 1;
        out.push(streams[s][at[s]].clone());
        at[s] += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn links_do_not_depend_on_order_or_sharding(
        streams in incident(),
        choices in prop::collection::vec(0usize..8, 0..120),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let time_order = interleave(&streams, &[]);
        let whole = run(&time_order);
        let want = links_of(&whole);
        prop_assert_eq!(&links_of(&run(&interleave(&streams, &choices))), &want);
        let newest_first: Vec<Value> = time_order.iter().rev().cloned().collect();
        prop_assert_eq!(&links_of(&run(&newest_first)), &want);
        // Shards cut at entry boundaries, each triaged alone, merged in order.
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(time_order.len() + 1)).collect();
        at.sort_unstable();
        let mut merged = Report::default();
        let mut from = 0;
        for to in at.into_iter().chain([time_order.len()]) {
            merged.merge(&run(&time_order[from..to]));
            from = to;
        }
        prop_assert_eq!(&links_of(&merged), &want);
        merged.rank(|_| 0);
        let mut whole = whole;
        whole.rank(|_| 0);
        prop_assert_eq!(&merged.groups, &whole.groups);
    }
}

#[test]
fn a_rules_file_adds_platform_rows_with_their_literal() {
    let line = stderr(
        10.0,
        I1,
        "[2026-11-26 14:05:42 +0000] [1] [WARNING] Worker with pid 7 was terminated due to signal 9",
    );
    let ndjson = format!("{line}\n");
    let builtin = TriageBuilder::new().build().unwrap();
    let report = builtin.run_slice(ndjson.as_bytes(), &mut NoSink).unwrap();
    assert!(
        report.groups.is_empty(),
        "a WARNING with no literal is not picked"
    );
    let mut classifier = logtriage::Classifier::builtin();
    classifier
        .add_rules_json(
            r#"{"platform": [{"id": "gunicorn_worker_signal", "kind": "exit",
                "pattern": "Worker with pid \\d+ was terminated due to signal 9",
                "literal": "terminated due to signal"}]}"#,
            "rules.json",
        )
        .expect("a valid row");
    let triage = TriageBuilder::new().classifier(classifier).build().unwrap();
    let report = triage.run_slice(ndjson.as_bytes(), &mut NoSink).unwrap();
    let g = group(&report, "Worker with pid 7");
    assert_eq!(g.role, Role::Symptom);
    assert_eq!(
        g.platform.as_ref().map(|p| p.id.as_str()),
        Some("gunicorn_worker_signal")
    );
    for (row, reason) in [
        (
            r#"{"id": "Bad Id", "kind": "exit", "pattern": "x"}"#,
            "snake_case",
        ),
        (
            r#"{"id": "a", "kind": "crash", "pattern": "x"}"#,
            "unknown variant",
        ),
        (
            r#"{"id": "a", "kind": "exit", "pattern": "("}"#,
            "not a valid regex",
        ),
        (
            r#"{"id": "a", "kind": "exit", "pattern": "x", "literal": ""}"#,
            "literal",
        ),
        (
            r#"{"id": "a", "kind": "exit", "pattern": "x", "color": "red"}"#,
            "unknown field",
        ),
    ] {
        let mut c = logtriage::Classifier::builtin();
        let json = format!(r#"{{"platform": [{row}]}}"#);
        let err = c.add_rules_json(&json, "rules.json").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("rules.json: platform row 0: "), "{text}");
        assert!(text.contains(reason), "{row}: {text}");
    }
}

#[test]
fn a_saved_report_with_its_links_merges_exactly_and_without_them_adds_up() {
    let first = vec![
        cause(10.0, I1, None, BOOM),
        system(10.5, I1, "WARNING", "Container called exit(1)."),
        cause(20.0, I2, Some("T2"), OTHER),
    ];
    let second = vec![
        fail(19.5, Some(I1), "T2", "/api/chat", 500, 1.0),
        request(REV, 30.0, None, "n1", "GET", "/health", 503, 10.0, None),
        system(31.0, I2, "WARNING", "Container called exit(1)."),
    ];
    let mut whole = run(&[first.clone(), second.clone()].concat());
    whole.rank(|_| 0);
    let (a, b) = (run(&first), run(&second));
    // The report and its marks saved apart, as a partial report keeps them.
    let saved = serde_json::to_string(&a).unwrap();
    let marks = serde_json::to_string(a.links()).unwrap();
    let mut back: Report = serde_json::from_str(&saved).unwrap();
    assert!(!back.links().is_complete());
    back.set_links(serde_json::from_str(&marks).unwrap());
    assert!(back.links().is_complete());
    back.merge(&b);
    back.rank(|_| 0);
    assert_eq!(back.groups, whole.groups);
    assert_eq!(
        back.totals.symptoms_explained,
        whole.totals.symptoms_explained
    );
    // Without its marks a report keeps its links and adds up the other's: the request
    // linked by trace across the cut is not found.
    let mut plain: Report = serde_json::from_str(&saved).unwrap();
    plain.merge(&b);
    assert_eq!(plain.totals.symptoms, whole.totals.symptoms);
    assert!(plain.totals.symptoms_explained < whole.totals.symptoms_explained);
}
