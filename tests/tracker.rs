//! Known issues from the tracker's own export (`gh issue list --json ...`): the text matching
//! table, the staging fixture against the hand-written file, several files at once, and the
//! errors of a bad export.

mod support;

use logtriage::{
    Classifier, Error, Event, EventKind, IssueRef, IssueState, Item, KnownIssues, MatchBy, NoSink,
    SlowQuery, TriageBuilder,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use support::events::item_error;

/// Issues every row's export holds besides its own: a tracker is mostly about other things,
/// and the rarity of a term is counted among all of them.
const BACKGROUND: &[(u32, &str, &str, &str)] = &[
    (
        101,
        "OPEN",
        "Frontend: chat input loses focus after sending a message",
        "After pressing Enter the textarea loses focus, so a second message needs a click.",
    ),
    (
        102,
        "CLOSED",
        "Upgrade SQLAlchemy to 2.0.36 and asyncpg to 0.30",
        "Bump both and run the DB test suite.",
    ),
    (
        103,
        "OPEN",
        "Docs: write down the staging deploy checklist",
        "",
    ),
    (
        104,
        "OPEN",
        "GCP-STAGING-Cloud-Run-Cold-Start-Takes-Over-10s",
        "The startup probe passes late; consider min instances and CPU boost.",
    ),
    (
        105,
        "CLOSED",
        "E2E-DEPLOY-JWT-Secret-Mismatch-Auth-Service",
        "jwt.exceptions.InvalidSignatureError: Signature verification failed after the rotation.",
    ),
    (
        106,
        "OPEN",
        "Flaky test: test_agent_registry_reload",
        "Fails one run in twenty on CI with a KeyError in the registry fixture.",
    ),
];

/// A gh export of `issues` and the background ones, as gh writes it (keys in order).
fn gh(issues: &[(u32, &str, &str, &str)]) -> String {
    let all: Vec<serde_json::Value> = issues
        .iter()
        .chain(BACKGROUND)
        .map(|(number, state, title, body)| {
            json!({"body": body, "labels": [], "number": number, "state": state, "title": title,
                   "url": format!("https://github.com/netra-systems/netra-apex/issues/{number}")})
        })
        .collect();
    serde_json::to_string(&all).expect("json")
}

fn classified(mut ev: Event) -> Event {
    Classifier::builtin().classify(&mut ev);
    ev
}

fn tb(text: &str) -> Event {
    classified(Event::new(EventKind::Traceback, text))
}

fn sev(text: &str) -> Event {
    classified(Event::new(EventKind::Severity, text))
}

fn slow(statement: &str) -> Event {
    let mut ev = Event::new(
        EventKind::SlowQuery,
        format!("LOG:  duration: 3210.5 ms  statement: {statement}"),
    );
    ev.slow_query = Some(SlowQuery::new(3210.5, statement));
    classified(ev)
}

const NAME_ERROR: &str = "Traceback (most recent call last):
  File \"/app/netra_backend/app/smd.py\", line 412, in initialize_system
    await self._phase5_services()
  File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns
    execution_factory = UnifiedExecutionEngineFactory(
NameError: name 'UnifiedExecutionEngineFactory' is not defined";

const OTHER_NAME_ERROR: &str = "Traceback (most recent call last):
  File \"/app/netra_backend/app/smd.py\", line 1690, in _initialize_factory_patterns
    registry = AgentRegistry(settings)
NameError: name 'settings' is not defined";

const MODULE_ERROR: &str = "Traceback (most recent call last):
  File \"/app/netra_backend/app/agents/supervisor/execution_engine.py\", line 33, in <module>
    from netra_backend.app.agents.execution_engine_unified_factory import (
ModuleNotFoundError: No module named 'netra_backend.app.agents.execution_engine_unified_factory'";

const REDIS_ERROR: &str = "Traceback (most recent call last):
  File \"/usr/local/lib/python3.11/site-packages/redis/asyncio/connection.py\", line 274, in connect
    await self.retry.call_with_retry(
ConnectionRefusedError: [Errno 111] Connection refused

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"/app/netra_backend/app/redis_manager.py\", line 147, in _ping
    await self._client.ping()
redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.";

const DOCKER_REDIS_ERROR: &str = "Traceback (most recent call last):
  File \"/app/netra_backend/app/redis_manager.py\", line 147, in _ping
    await self._client.ping()
redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.";

const KEY_ERROR: &str = "Traceback (most recent call last):
  File \"/app/netra_backend/app/routes/threads.py\", line 58, in get_thread
    return cache[thread_id]
KeyError: 'th_5d1c0e'";

/// What `known` links `event` to: the id, and whether by pattern or text.
fn link(known: &KnownIssues, event: &Event) -> Option<(String, MatchBy)> {
    let issue = known.find(event)?;
    let by = issue
        .matched
        .as_ref()
        .map(|m| m.by)
        .expect("a link says how it matched");
    Some((issue.id, by))
}

fn from_gh(issues: &[(u32, &str, &str, &str)]) -> KnownIssues {
    let json = gh(issues);
    KnownIssues::from_json(&json, "issues.json", Classifier::builtin().categories())
        .expect("valid export")
}

struct Row {
    name: &'static str,
    issues: Vec<(u32, &'static str, &'static str, &'static str)>,
    event: Event,
    want: Option<u32>,
}

fn row(
    name: &'static str,
    issues: Vec<(u32, &'static str, &'static str, &'static str)>,
    event: Event,
    want: Option<u32>,
) -> Row {
    Row {
        name,
        issues,
        event,
        want,
    }
}

#[test]
fn text_matching_table() {
    let rows = vec![
        row("the subject in the title", vec![(903, "OPEN", "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup", "")], tb(NAME_ERROR), Some(903)),
        row("the subject in the body only", vec![(903, "OPEN", "Backend never becomes ready on staging", "```\nNameError: name 'UnifiedExecutionEngineFactory' is not defined\n```")], tb(NAME_ERROR), Some(903)),
        row("a closed issue links too", vec![(903, "CLOSED", "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup", "Fixed in #910.")], tb(NAME_ERROR), Some(903)),
        row("two issues quote the same traceback: no link", vec![
            (903, "OPEN", "Backend never becomes ready", "NameError: name 'UnifiedExecutionEngineFactory' is not defined in smd.py _initialize_factory_patterns"),
            (910, "OPEN", "Staging deploy broken", "NameError: name 'UnifiedExecutionEngineFactory' is not defined in smd.py _initialize_factory_patterns"),
        ], tb(NAME_ERROR), None),
        row("two issues, one with the subject in the title: still too close", vec![
            (903, "OPEN", "UnifiedExecutionEngineFactory undefined", "In smd.py."),
            (910, "OPEN", "Startup crash", "NameError: name 'UnifiedExecutionEngineFactory' is not defined in smd.py _initialize_factory_patterns"),
        ], tb(NAME_ERROR), None),
        row("the clear best of two: the one that quotes more", vec![
            (923, "OPEN", "E2E-DEPLOY-Redis-Connection-Refused", "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused. In redis_manager.py, _ping."),
            (914, "CLOSED", "E2E-DEPLOY-Redis-Connection-Failure-Session-Management", "redis.exceptions.TimeoutError: Timeout reading from 10.0.0.5:6379 in session_store.py"),
        ], tb(REDIS_ERROR), Some(923)),
        row("only common words: no link", vec![(930, "OPEN", "Connection error: request failed", "The service returned an error while connecting; the connection failed.")], sev("ERROR: connection failed: error while connecting to the service"), None),
        row("common words in the title, in capitals: no link", vec![(930, "OPEN", "ERROR-CONNECTION-FAILED-TIMEOUT", "")], sev("Connection failed with a timeout error"), None),
        row("a bare exception type alone: no link", vec![(931, "OPEN", "KeyError in the registry", "")], tb(KEY_ERROR), None),
        row("a function name alone: no link", vec![(932, "OPEN", "get_thread is slow", "")], tb(KEY_ERROR), None),
        row("same place, another undefined name: no link", vec![(903, "OPEN", "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup", "File \"/app/netra_backend/app/smd.py\", line 1687, in _initialize_factory_patterns")], tb(OTHER_NAME_ERROR), None),
        row("a longer name that contains the subject: no link", vec![(903, "OPEN", "UnifiedExecutionEngineFactoryV2 rollout", "")], tb(NAME_ERROR), None),
        row("the subject in another case", vec![(903, "OPEN", "unifiedexecutionenginefactory is missing after the refactor", "")], tb(NAME_ERROR), Some(903)),
        row("the subject in backticks and parentheses", vec![(903, "OPEN", "Startup fails (`UnifiedExecutionEngineFactory`).", "")], tb(NAME_ERROR), Some(903)),
        row("a body with CRLF line ends", vec![(903, "OPEN", "Startup fails", "Seen after the deploy.\r\n\r\n```\r\nNameError: name 'UnifiedExecutionEngineFactory' is not defined\r\n```\r\n")], tb(NAME_ERROR), Some(903)),
        row("a dotted module path a.b.C", vec![(915, "OPEN", "Supervisor import crashes", "No module named netra_backend.app.agents.execution_engine_unified_factory")], tb(MODULE_ERROR), Some(915)),
        row("a dotted module path in a file path", vec![(915, "OPEN", "Supervisor import crashes", "The image lacks netra_backend/app/agents/execution_engine_unified_factory.py and ModuleNotFoundError follows in execution_engine.py")], tb(MODULE_ERROR), Some(915)),
        row("host:port 10.0.0.5:6379 in the body", vec![(923, "OPEN", "Redis down on staging", "Every call to 10.0.0.5:6379 is refused.")], tb(REDIS_ERROR), Some(923)),
        row("host and port apart in the title", vec![(923, "OPEN", "E2E-DEPLOY-Redis-10.0.0.5-port-6379-refused", "")], tb(REDIS_ERROR), Some(923)),
        row("another host on the same port: no link", vec![(923, "OPEN", "Redis at 10.0.0.9:6379 refuses connections", "")], tb(REDIS_ERROR), None),
        row("a docker host name redis:6379", vec![(940, "OPEN", "Local compose: backend cannot reach redis:6379", "redis.exceptions.ConnectionError in redis_manager.py _ping")], tb(DOCKER_REDIS_ERROR), Some(940)),
        row("a file name smd.py and its function", vec![(903, "OPEN", "Startup crash in smd.py", "`_initialize_factory_patterns` raises NameError for UnifiedExecutionEngineFactory")], tb(NAME_ERROR), Some(903)),
        row("a file name smd.py:1687 with its line", vec![(903, "OPEN", "Crash at smd.py:1687", "UnifiedExecutionEngineFactory is not imported.")], tb(NAME_ERROR), Some(903)),
        row("a qualified exception type and the address", vec![(923, "OPEN", "Sessions lost", "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379")], tb(REDIS_ERROR), Some(923)),
        row("the message's phrase and rare words", vec![(903, "OPEN", "Backend exits at boot", "The logs end with `ERROR:    Application startup failed. Exiting.`")], sev("ERROR:    Application startup failed. Exiting."), Some(903)),
        row("the same phrase in two issues: no link", vec![
            (903, "OPEN", "Backend exits at boot", "Application startup failed. Exiting."),
            (950, "CLOSED", "Worker exits at boot", "Application startup failed. Exiting."),
        ], sev("ERROR:    Application startup failed. Exiting."), None),
        row("rare words of the message, in another order", vec![(960, "OPEN", "Ledger mismatch in payment reconciliation settlement batches", "")], sev("Payment reconciliation found a ledger mismatch for settlement batch 77"), Some(960)),
        row("one rare word: no link", vec![(961, "OPEN", "Ledger export is slow", "")], sev("Payment reconciliation found a ledger mismatch for settlement batch 77"), None),
        row("a slow query's table in the title", vec![(922, "OPEN", "Slow agent_runs updates on staging", "")], slow("UPDATE agent_runs SET status=$1, finished_at=$2 WHERE agent_runs.id = $3"), Some(922)),
        row("a slow query's statement quoted in the body", vec![(922, "OPEN", "PostgreSQL 50x slower", "LOG:  duration: 5123.456 ms  statement: SELECT threads.id, threads.title FROM threads WHERE threads.user_id = 'u-1'")], slow("SELECT threads.id, threads.title FROM threads WHERE threads.user_id = 'u-8812'"), Some(922)),
        row("a slow query on another table: no link", vec![(922, "OPEN", "Slow agent_runs updates on staging", "")], slow("SELECT users.id, users.email FROM users WHERE users.org_id = 7"), None),
        row("the right issue among unrelated ones", vec![
            (903, "OPEN", "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup", ""),
            (915, "OPEN", "E2E-DEPLOY-ModuleNotFoundError-execution_engine_unified_factory", ""),
            (923, "CLOSED", "E2E-DEPLOY-Redis-Connection-Refused", "10.0.0.5:6379"),
        ], tb(MODULE_ERROR), Some(915)),
        row("an export of unrelated issues only: no link", vec![], tb(NAME_ERROR), None),
    ];
    assert!(rows.len() >= 30, "{} rows", rows.len());
    for r in rows {
        let known = from_gh(&r.issues);
        let got = link(&known, &r.event);
        let want = r.want.map(|id| (id.to_string(), MatchBy::Text));
        assert_eq!(
            got,
            want,
            "{}: {:?}",
            r.name,
            known.find(&r.event).and_then(|i| i.matched)
        );
    }
}

#[test]
fn an_empty_export_links_nothing() {
    let known =
        KnownIssues::from_json("[]\n", "issues.json", Classifier::builtin().categories()).unwrap();
    assert!(known.is_empty());
    assert_eq!(known.find(&tb(NAME_ERROR)), None);
}

#[test]
fn a_text_link_names_its_state_score_and_terms() {
    let known = from_gh(&[(
        923,
        "CLOSED",
        "E2E-DEPLOY-Redis-Connection-Refused",
        "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379",
    )]);
    let issue = known.find(&tb(REDIS_ERROR)).expect("linked");
    assert_eq!(issue.state, Some(IssueState::Closed));
    assert!(issue.is_closed());
    let m = issue.matched.as_ref().expect("match");
    assert_eq!(m.by, MatchBy::Text);
    assert!(m.score.is_some_and(|s| s >= 2.5), "{m:?}");
    assert_eq!(
        m.terms.first().map(String::as_str),
        Some("10.0.0.5:6379"),
        "{m:?}"
    );
    // The JSON form: `state` in lower case, `match` with `by`, `score`, `terms`; and back.
    let text = serde_json::to_value(&issue).unwrap();
    assert_eq!(text["state"], "closed");
    assert_eq!(text["match"]["by"], "text");
    assert_eq!(text["match"]["terms"][0], "10.0.0.5:6379");
    let back: IssueRef = serde_json::from_value(text).unwrap();
    assert_eq!(back, issue);
    // A link saved before `state` and `match` existed still reads.
    let old: IssueRef =
        serde_json::from_str(r#"{"id": "903", "title": "t", "url": null}"#).unwrap();
    assert_eq!((old.state, old.matched), (None, None));
}

#[test]
fn a_pattern_entry_wins_over_a_text_match() {
    let classifier = Classifier::builtin();
    let categories = classifier.categories();
    let mut known = from_gh(&[(
        903,
        "OPEN",
        "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup",
        "",
    )]);
    let hand = r#"{"issues": [{"id": 1203, "title": "hand-written", "category": "undefined_symbol", "pattern": "Unified\\w+"}]}"#;
    known.extend(KnownIssues::from_json(hand, "known.json", categories).unwrap());
    let issue = known.find(&tb(NAME_ERROR)).expect("linked");
    assert_eq!(issue.id, "1203");
    let m = issue.matched.expect("match");
    assert_eq!((m.by, m.score), (MatchBy::Pattern, None));
    assert_eq!(m.terms, ["UnifiedExecutionEngineFactory"]);
    // A hand-written entry of another category does not stand in the way.
    let other = r#"{"issues": [{"id": "7", "title": "t", "category": "timeout"}]}"#;
    let mut known = from_gh(&[(
        903,
        "OPEN",
        "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup",
        "",
    )]);
    known.extend(KnownIssues::from_json(other, "other.json", categories).unwrap());
    assert_eq!(
        link(&known, &tb(NAME_ERROR)),
        Some(("903".into(), MatchBy::Text))
    );
    // A hand-written entry with only a category wins too: the user wrote it.
    let broad = r#"{"issues": [{"id": "8", "title": "t", "category": "undefined_symbol"}]}"#;
    known.extend(KnownIssues::from_json(broad, "broad.json", categories).unwrap());
    assert_eq!(
        link(&known, &tb(NAME_ERROR)),
        Some(("8".into(), MatchBy::Pattern))
    );
}

#[test]
fn the_same_export_twice_links_as_once() {
    let issues = [(
        903,
        "OPEN",
        "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup",
        "",
    )];
    let mut known = from_gh(&issues);
    known.extend(from_gh(&issues));
    assert_eq!(known.len(), 1 + BACKGROUND.len());
    assert_eq!(
        link(&known, &tb(NAME_ERROR)),
        Some(("903".into(), MatchBy::Text))
    );
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Each group's fingerprint and the id of its known issue, after a run with `files`.
fn links(files: &[&str]) -> BTreeMap<String, Option<String>> {
    let mut builder = TriageBuilder::new();
    for file in files {
        builder.known_issues_file(fixture(file));
    }
    let triage = builder.build().expect("valid files");
    let logs = std::fs::read(fixture("staging.json")).expect("staging.json");
    let report = triage.run_slice(&logs, &mut NoSink).expect("run");
    report
        .groups
        .iter()
        .map(|g| {
            let id = g.known_issue.as_ref().map(|k| k.id.clone());
            (g.fingerprint.to_string(), id)
        })
        .collect()
}

#[test]
fn the_gh_fixture_links_what_the_hand_written_file_links_and_nothing_else() {
    let hand = links(&["known_issues.json"]);
    let gh = links(&["known_issues_gh.json"]);
    assert_eq!(hand.len(), 22);
    assert_eq!(gh, hand);
    // The hand-written file leaves ten groups unlinked (all of them symptoms: failed requests
    // and platform messages); so does the export.
    assert_eq!(gh.values().filter(|id| id.is_none()).count(), 10);
    // Both files at once: the same links again.
    assert_eq!(links(&["known_issues.json", "known_issues_gh.json"]), hand);
}

#[test]
fn the_gh_fixture_has_gh_s_shape() {
    let text = std::fs::read_to_string(fixture("known_issues_gh.json")).unwrap();
    // One line, as gh writes an export to a file.
    assert_eq!(text.lines().count(), 1);
    let issues: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let numbers: Vec<u64> = issues
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [923, 922, 921, 920, 919, 918, 917, 916, 915, 914, 903]
    );
    for issue in &issues {
        let keys: Vec<&str> = issue
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["body", "labels", "number", "state", "title", "url"]);
        assert!(["OPEN", "CLOSED"].contains(&issue["state"].as_str().unwrap()));
    }
    // Pretty-printed, as gh prints it on a terminal, it reads the same.
    let pretty = serde_json::to_string_pretty(&issues).unwrap();
    let classifier = Classifier::builtin();
    let categories = classifier.categories();
    let a = KnownIssues::from_json(&text, "a", categories).unwrap();
    let b = KnownIssues::from_json(&pretty, "b", categories).unwrap();
    assert_eq!(a.len(), 11);
    let event = tb(NAME_ERROR);
    assert_eq!(a.find(&event), b.find(&event));
}

#[test]
fn numeric_ids_in_the_hand_written_format() {
    let json = r#"{"issues": [{"id": 903, "title": "t", "category": "undefined_symbol", "pattern": "Unified"}]}"#;
    let known =
        KnownIssues::from_json(json, "known.json", Classifier::builtin().categories()).unwrap();
    assert_eq!(
        known.find(&tb(NAME_ERROR)).map(|i| i.id),
        Some("903".to_string())
    );
}

fn export_error(json: &str) -> (usize, String) {
    item_error(
        KnownIssues::from_json(json, "issues.json", Classifier::builtin().categories()),
        "issues.json",
        Item::Issue,
    )
}

#[test]
fn a_bad_export_names_the_file_the_entry_and_the_reason() {
    let ok = r#"{"body":"","labels":[],"number":1,"state":"OPEN","title":"t","url":"u"}"#;
    let cases: &[(&str, &str)] = &[
        (r#"{"number":2,"state":"MERGED","title":"t"}"#, "#2: field `state` must be \"OPEN\" or \"CLOSED\", found \"MERGED\""),
        (r#"{"number":2,"title":null}"#, "#2: field `title` must be a string, found null"),
        (r#"{"number":2,"title":" "}"#, "#2: field `title` is empty"),
        (r#"{"number":"2","title":"t"}"#, "field `number` must be a whole number from 0 to 4294967295, found a string (\"2\")"),
        (r#"{"title":"t"}"#, "missing field `number`"),
        (r#"{"number":2,"title":"t","labels":["bug"]}"#, "#2: field `labels`: item 0 must be an object, found a string (\"bug\")"),
        (r#"{"number":2,"title":"t","body":7}"#, "#2: field `body` must be a string, found a number (7)"),
        (r##""#914""##, "expected an issue as gh issue list --json writes it (an object), found a string (\"#914\")"),
    ];
    for (entry, reason) in cases {
        let (index, got) = export_error(&format!("[{ok}, {entry}]"));
        assert_eq!(index, 1, "{entry}");
        assert_eq!(got, *reason, "{entry}");
    }
    // More fields than asked for are fine: `--json` may have asked for them.
    let extra = r#"[{"number":2,"title":"t","createdAt":"2026-11-26T14:00:00Z","assignees":[]}]"#;
    assert!(
        KnownIssues::from_json(extra, "issues.json", Classifier::builtin().categories()).is_ok()
    );
    // The whole file's shape, at the place its value starts.
    match KnownIssues::from_json("\n\n  42", "issues.json", Classifier::builtin().categories()) {
        Err(e @ Error::File { line: 3, column: 3, .. }) => assert_eq!(
            e.to_string(),
            "issues.json:3:3: expected an object with an \"issues\" array, or the array that `gh issue list --json number,title,url,state,labels,body` prints, found a number (42)"
        ),
        other => panic!("{other:?}"),
    }
}
