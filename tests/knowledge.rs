//! Known issues: validation with the file, index and reason; matching precedence; the
//! staging fixture's links; suggested titles.

mod support;

use logtriage::Item;
use logtriage::{
    suggest_title, Classifier, Error, Event, EventKind, Exception, KnownIssues, Link, Severity,
    SlowQuery, Traceback,
};
use std::path::Path;
use support::events::{exception, frame, item_error};

fn blank(kind: EventKind, text: &str, service: Option<&str>) -> Event {
    let mut ev = Event::new(kind, text);
    ev.line = 1;
    ev.service = service.map(str::to_string);
    ev.severity = Severity::Error;
    ev
}

fn classified(mut ev: Event) -> Event {
    Classifier::builtin().classify(&mut ev);
    ev
}

fn traceback(chain: Vec<Exception>, service: &str) -> Event {
    let mut ev = blank(EventKind::Traceback, "", Some(service));
    ev.traceback = Some(Traceback::new(chain));
    classified(ev)
}

fn name_error(service: &str) -> Event {
    traceback(
        vec![exception(
            "NameError",
            "name 'UnifiedExecutionEngineFactory' is not defined",
            vec![
                frame(
                    "/usr/local/lib/python3.11/site-packages/starlette/routing.py",
                    693,
                    "lifespan",
                ),
                frame("/app/netra_backend/app/smd.py", 412, "initialize_system"),
                frame(
                    "/app/netra_backend/app/smd.py",
                    1687,
                    "_initialize_factory_patterns",
                ),
            ],
        )],
        service,
    )
}

fn module_not_found() -> Event {
    traceback(
        vec![exception(
            "ModuleNotFoundError",
            "No module named 'netra_backend.app.agents.execution_engine_unified_factory'",
            vec![
                frame("<frozen importlib._bootstrap>", 1204, "_gcd_import"),
                frame(
                    "/app/netra_backend/app/agents/supervisor/execution_engine.py",
                    31,
                    "<module>",
                ),
            ],
        )],
        "netra-backend-staging",
    )
}

fn redis_refused(service: &str) -> Event {
    let mut cause = exception(
        "ConnectionRefusedError",
        "[Errno 111] Connection refused",
        vec![frame(
            "/usr/local/lib/python3.11/site-packages/redis/connection.py",
            277,
            "connect",
        )],
    );
    cause.link = Some(Link::Context);
    traceback(
        vec![
            cause,
            exception(
                "redis.exceptions.ConnectionError",
                "Error 111 connecting to 10.166.204.83:6379. Connection refused.",
                vec![frame(
                    "/app/netra_backend/app/redis_manager.py",
                    88,
                    "connect",
                )],
            ),
        ],
        service,
    )
}

fn slow_query() -> Event {
    let statement =
        "SELECT threads.id, threads.title FROM threads WHERE threads.user_id = 'u-8812' LIMIT 50";
    let mut ev = blank(
        EventKind::SlowQuery,
        &format!("2026-11-26 14:07:35.710 UTC [4175]: [1-1] db=netra_staging,user=netra_app LOG:  duration: 5123.456 ms  statement: {statement}"),
        None,
    );
    ev.slow_query = Some(SlowQuery::new(5123.456, statement));
    classified(ev)
}

fn severity(text: &str, service: &str) -> Event {
    classified(blank(EventKind::Severity, text, Some(service)))
}

fn load(json: &str) -> KnownIssues {
    KnownIssues::from_json(json, "known.json", Classifier::builtin().categories()).unwrap()
}

fn found(issues: &KnownIssues, ev: &Event) -> Option<String> {
    issues.find(ev).map(|i| i.id.clone())
}

#[test]
fn more_matchers_win_then_file_order() {
    let issues = load(
        r#"{"issues": [
        {"id": "cat", "title": "all undefined symbols", "category": "undefined_symbol"},
        {"id": "pat1", "title": "by pattern", "category": "undefined_symbol", "pattern": "Unified"},
        {"id": "pat2", "title": "by pattern, later", "category": "undefined_symbol", "pattern": "Factory"},
        {"id": "svc", "title": "by service only", "category": "undefined_symbol", "service": "netra-backend-staging"},
        {"id": "both", "title": "pattern and service", "category": "undefined_symbol",
         "pattern": "UnifiedExecutionEngineFactory", "service": "netra-backend-staging"}
    ]}"#,
    );
    assert_eq!(issues.len(), 5);
    // Two matchers beat one, wherever they are in the file.
    assert_eq!(
        found(&issues, &name_error("netra-backend-staging")).as_deref(),
        Some("both")
    );
    // One matcher each (pat1, pat2): the first in the file.
    assert_eq!(
        found(&issues, &name_error("netra-auth-service")).as_deref(),
        Some("pat1")
    );
    // No pattern matches: the category-only issue links the whole category.
    let other = traceback(
        vec![exception(
            "NameError",
            "name 'settings' is not defined",
            vec![],
        )],
        "netra-auth-service",
    );
    assert_eq!(found(&issues, &other).as_deref(), Some("cat"));
    // Another category: nothing.
    assert_eq!(found(&issues, &module_not_found()), None);
}

#[test]
fn service_only_ties_with_pattern_only() {
    let issues = load(
        r#"{"issues": [
        {"id": "svc", "title": "t", "category": "undefined_symbol", "service": "netra-backend-staging"},
        {"id": "pat", "title": "t", "category": "undefined_symbol", "pattern": "Unified"}
    ]}"#,
    );
    assert_eq!(
        found(&issues, &name_error("netra-backend-staging")).as_deref(),
        Some("svc")
    );
    assert_eq!(found(&issues, &name_error("other")).as_deref(), Some("pat"));
}

#[test]
fn pattern_matches_type_line_or_subject() {
    let issues = load(
        r#"{"issues": [
        {"id": "type", "title": "t", "category": "undefined_symbol", "pattern": "^NameError: name '"},
        {"id": "subject", "title": "t", "category": "connection_refused", "pattern": "^10\\.166\\.204\\.83:6379$"}
    ]}"#,
    );
    assert_eq!(found(&issues, &name_error("s")).as_deref(), Some("type"));
    // The deciding message is `[Errno 111] Connection refused`; the subject names the host.
    let redis = redis_refused("netra-auth-service");
    assert_eq!(
        redis.classification.message,
        "[Errno 111] Connection refused"
    );
    assert_eq!(found(&issues, &redis).as_deref(), Some("subject"));
}

#[test]
fn empty_file_finds_nothing() {
    let issues = load(r#"{"issues": []}"#);
    assert!(issues.is_empty());
    assert_eq!(found(&issues, &name_error("s")), None);
    assert_eq!(found(&KnownIssues::default(), &name_error("s")), None);
}

fn issue_error(issue: &str, classifier: &Classifier) -> (usize, String) {
    let json = format!(
        r#"{{"issues": [
  {{"id": "1", "title": "ok", "category": "timeout"}},
  {issue}
]}}"#
    );
    let result = KnownIssues::from_json(&json, "known.json", classifier.categories());
    item_error(result, "known.json", Item::Issue)
}

#[test]
fn each_invalid_issue_is_rejected_with_its_reason() {
    let builtin = Classifier::builtin();
    let cases: &[(&str, &str)] = &[
        (
            r#"{"id": "2", "title": "t", "category": "timeout", "pattern": "(unclosed"}"#,
            "pattern \"(unclosed\" is not a valid regex: unclosed group",
        ),
        (
            r#"{"id": "2", "title": "t", "category": "cuda_oom"}"#,
            "unknown category \"cuda_oom\"",
        ),
        (
            r#"{"id": "2", "title": "t", "category": "timeout", "severity": "ERROR"}"#,
            "unknown field `severity`",
        ),
        (
            r#"{"id": "2", "category": "timeout"}"#,
            "missing field `title`",
        ),
        (
            r#"{"title": "t", "category": "timeout"}"#,
            "missing field `id`",
        ),
        (r#"{"id": "2", "title": "t"}"#, "missing field `category`"),
        (
            r#"{"id": " ", "title": "t", "category": "timeout"}"#,
            "field `id` is empty",
        ),
        (
            r#"{"id": "2", "title": "", "category": "timeout"}"#,
            "field `title` is empty",
        ),
        (
            r#"{"id": "2", "title": "t", "category": "timeout", "pattern": ""}"#,
            "field `pattern` is empty",
        ),
        (
            r#"{"id": 2.5, "title": "t", "category": "timeout"}"#,
            "field `id` must be a string or a whole number, found a number (2.5)",
        ),
        (
            r#"{"id": "2", "title": ["t"], "category": "timeout"}"#,
            "field `title` must be a string, found an array",
        ),
        (
            r#"{"id": 2, "title": "t", "category": "cuda_oom"}"#,
            "id \"2\": unknown category \"cuda_oom\"",
        ),
        (
            r#""903""#,
            "expected an issue (an object), found a string (\"903\")",
        ),
    ];
    for (issue, reason) in cases {
        let (index, got) = issue_error(issue, &builtin);
        assert_eq!(index, 1, "{issue}");
        // The CLI prints it as its one line on stderr.
        assert_eq!(got.lines().count(), 1, "{got}");
        assert!(got.contains(reason), "{issue}: {got}");
    }
}

#[test]
fn a_category_from_a_rules_file_is_known() {
    let issue = r#"{"id": "2", "title": "t", "category": "cuda_oom"}"#;
    let mut classifier = Classifier::builtin();
    classifier
        .add_rules_json(
            r#"{"categories": [{"id": "cuda_oom", "patterns": ["CUDA out of memory"]}]}"#,
            "rules.json",
        )
        .unwrap();
    let json = format!(r#"{{"issues": [{issue}]}}"#);
    assert!(KnownIssues::from_json(&json, "known.json", classifier.categories()).is_ok());
}

#[test]
fn bad_json_is_rejected_with_line_and_column() {
    let cases: &[(&str, &str, usize)] = &[
        (
            "{\"issues\": [\n  {\"id\": \"903\",}\n]}",
            "trailing comma",
            2,
        ),
        ("", "EOF while parsing", 1),
        (
            "\n  [{\"id\": \"903\", \"title\": \"t\", \"category\": \"timeout\"}]",
            "expected an object with an \"issues\" array, found an array whose first entry has no \"number\"",
            2,
        ),
        (
            r#""903""#,
            "expected an object with an \"issues\" array, or the array that `gh issue list",
            1,
        ),
        (
            r#"{"issues": {"id": "903"}}"#,
            "`issues` must be an array, found an object",
            1,
        ),
        (
            r#"{"issues": [], "version": 2}"#,
            "unknown field `version`",
            1,
        ),
        (r#"{}"#, "missing field `issues`", 1),
    ];
    for (json, reason, at_line) in cases {
        match KnownIssues::from_json(json, "known.json", Classifier::builtin().categories()) {
            Err(e @ Error::File { line, .. }) => {
                let text = e.to_string();
                assert_eq!(line, *at_line, "{json:?}: {text}");
                assert!(text.starts_with(&format!("known.json:{at_line}")), "{text}");
                assert!(text.contains(reason), "{json:?}: {text}");
            }
            other => panic!("{json:?}: {other:?}"),
        }
    }
}

#[test]
fn load_names_the_file() {
    let dir = std::env::temp_dir().join(format!("logtriage-knowledge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("known_issues.json");
    std::fs::write(
        &path,
        r#"{"issues": [{"id": "9", "title": "t", "category": "timeout", "url": ""}]}"#,
    )
    .unwrap();
    let err = KnownIssues::load(&path, Classifier::builtin().categories()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: issue 0: id \"9\": field `url` is empty (leave it out instead)",
            path.display()
        )
    );
    let missing = dir.join("nope.json");
    assert!(matches!(
        KnownIssues::load(&missing, Classifier::builtin().categories()),
        Err(Error::Open { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn staging_fixture_links_every_incident_failure() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/known_issues.json");
    let issues = KnownIssues::load(&path, Classifier::builtin().categories()).unwrap();
    let rows: Vec<(&str, Event, Option<&str>)> = vec![
        ("name_error", name_error("netra-backend-staging"), Some("903")),
        ("module_not_found", module_not_found(), Some("915")),
        ("redis_backend", redis_refused("netra-backend-staging"), Some("923")),
        ("redis_auth", redis_refused("netra-auth-service"), Some("923")),
        ("slow_threads", slow_query(), Some("922")),
        (
            "statement_timeout",
            severity("2026-11-26 14:07:35.710 UTC [4175]: [1-1] db=netra_staging,user=netra_app ERROR:  canceling statement due to statement timeout", "netra-staging:netra-pg"),
            Some("922"),
        ),
        (
            "websocket_subprotocol",
            severity("WebSocket connection rejected: no supported subprotocol (client offered ['jwt-auth', 'jwt.eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.E_XDwn2Oy3wcMsvPJ9TDUXVr'])", "netra-backend-staging"),
            Some("921"),
        ),
        (
            "websocket_subprotocol in docker compose logs",
            classified(blank(
                EventKind::Severity,
                "backend-1  | 2026-11-26 14:00:28,821 ERROR [netra_backend.app.routes.websocket] WebSocket connection rejected: no supported subprotocol (client offered ['jwt-auth', 'jwt.eyJhbGciOiJIUzI1NiJ9'])",
                None,
            )),
            Some("921"),
        ),
        (
            "startup_failed_line",
            severity("ERROR:    Application startup failed. Exiting.", "netra-backend-staging"),
            Some("903"),
        ),
        (
            "run_no_instance",
            severity("The request was aborted because there was no available instance. Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#abort-request", "netra-backend-staging"),
            None,
        ),
    ];
    for (group, ev, want) in rows {
        let got = issues.find(&ev);
        assert_eq!(
            got.as_ref().map(|i| i.id.as_str()),
            want,
            "{group}: {} {:?}",
            ev.classification.category,
            ev.classification.message
        );
        if let Some(issue) = got {
            let url = issue.url.as_deref().unwrap();
            assert_eq!(
                url,
                format!(
                    "https://github.com/netra-systems/netra-apex/issues/{}",
                    issue.id
                )
            );
        }
    }
}

#[test]
fn suggested_titles() {
    let rows: Vec<(Event, &str)> = vec![
        (
            name_error("netra-backend-staging"),
            "NameError: UnifiedExecutionEngineFactory undefined in smd.py _initialize_factory_patterns",
        ),
        (
            module_not_found(),
            "ModuleNotFoundError: netra_backend.app.agents.execution_engine_unified_factory missing",
        ),
        (
            redis_refused("netra-backend-staging"),
            "Connection refused to 10.166.204.83:6379 (redis.exceptions.ConnectionError)",
        ),
        (
            slow_query(),
            "Slow query (5123 ms): SELECT threads.id, threads.title FROM threads WHERE threads.user_id = ?…",
        ),
        (
            severity("Memory limit of 512 MiB exceeded with 515 MiB used. Consider increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits", "netra-backend-staging"),
            "Out of memory in netra-backend-staging: Memory limit of 512 MiB exceeded with 515 MiB used",
        ),
        (
            traceback(
                vec![exception(
                    "requests.exceptions.ReadTimeout",
                    "HTTPSConnectionPool(host='api.openai.com', port=443): Read timed out. (read timeout=30)",
                    vec![frame("/app/netra_backend/app/llm/client.py", 120, "complete")],
                )],
                "netra-backend-staging",
            ),
            "Timeout talking to api.openai.com:443 (requests.exceptions.ReadTimeout)",
        ),
        (
            traceback(
                vec![exception(
                    "KeyError",
                    "'thread_id'",
                    vec![frame("/app/netra_backend/app/routes/threads.py", 77, "get_thread")],
                )],
                "netra-backend-staging",
            ),
            "KeyError: 'thread_id' in threads.py get_thread",
        ),
        (
            severity("WebSocket connection rejected: no supported subprotocol", "netra-backend-staging"),
            "WebSocket connection rejected: no supported subprotocol",
        ),
        (
            severity("[2026-11-26 14:05:42 +0000] [1] [ERROR] Worker (pid:7) exited with code 3", "netra-auth-service"),
            "Worker (pid:7) exited with code 3",
        ),
        (
            severity("backend-1  | 2026-11-26 14:00:28,821 ERROR [netra_backend.app.routes.websocket] WebSocket connection rejected: no supported subprotocol", "netra-backend-staging"),
            "WebSocket connection rejected: no supported subprotocol",
        ),
        (
            severity("ERROR:root:Agent run failed: budget exceeded", "netra-backend-staging"),
            "Agent run failed: budget exceeded",
        ),
        (
            severity("2026-11-26 14:07:35.710 UTC [4175]: [1-1] db=netra_staging,user=netra_app ERROR:  canceling statement due to statement timeout", "netra-staging:netra-pg"),
            "Statement timeout: canceling statement due to statement timeout",
        ),
        (
            severity("ERROR", "netra-backend-staging"),
            "ERROR",
        ),
        (
            severity("", "netra-backend-staging"),
            "ERROR entry with no message in netra-backend-staging",
        ),
    ];
    for (ev, want) in rows {
        let title = suggest_title(&ev);
        assert_eq!(title, want);
        assert!(title.chars().count() <= 100, "{title}");
    }
}
