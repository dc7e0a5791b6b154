//! The deploy gate on the command line: a report saved with `--format json`, a second export
//! triaged against it with `--baseline`, `--fail-on new,regressed`, and the baseline files
//! that must be refused (exit 2, naming the file).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn triage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logtriage"))
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .expect("run logtriage")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory of this test process's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logtriage-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

/// `text` with every Cloud SQL `duration: N ms` five times longer.
fn five_times_slower(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("duration: ") {
        let (head, tail) = rest.split_at(at + "duration: ".len());
        let end = tail.find(" ms").expect("a duration in ms");
        let ms: f64 = tail[..end].parse().expect("a number");
        out.push_str(head);
        out.push_str(&format!("{:.3}", ms * 5.0));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `yesterday.ndjson`'s report, saved as a user saves it.
fn saved_yesterday(dir: &Path) -> String {
    let out = triage(&["--format", "json", &fixture("yesterday.ndjson")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = dir.join("yesterday.json");
    std::fs::write(&path, &out.stdout).expect("save the report");
    path.display().to_string()
}

/// `rollout.ndjson` triaged against the saved report: the JSON report's groups by title
/// words, with their `baseline` object, and the `gone` array.
#[test]
fn a_saved_report_then_a_second_export_against_it() {
    let dir = temp_dir("baseline");
    let saved = saved_yesterday(&dir);
    let out = triage(&[
        "--format",
        "json",
        "--baseline",
        &saved,
        &fixture("rollout.ndjson"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["schema_version"], 2);
    let verdict = |needle: &str| {
        let groups = report["groups"].as_array().expect("groups");
        let g = groups
            .iter()
            .find(|g| g.to_string().contains(needle))
            .unwrap_or_else(|| panic!("no group with {needle}"));
        let b = &g["baseline"];
        (
            b["verdict"].as_str().unwrap_or("-").to_string(),
            b["by"].as_str().unwrap_or("-").to_string(),
        )
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(verdict("KeyError"), pair("new", "-"));
    assert_eq!(verdict("AttributeError"), pair("new", "-"));
    assert_eq!(verdict("ConnectionRefusedError"), pair("regressed", "rate"));
    assert_eq!(verdict("ReadTimeout"), pair("improved", "rate"));
    assert_eq!(verdict("WebSocket connection rejected"), pair("same", "-"));
    // The same rate as yesterday, but a p95 duration about five times yesterday's.
    assert_eq!(verdict("SELECT threads"), pair("regressed", "p95"));
    // As written: the pretty-printed object says `"by": "p95"`.
    let json = stdout(&out);
    let slow = json
        .find("SELECT threads")
        .map(|at| &json[at..])
        .and_then(|rest| rest.find("\"baseline\": {").map(|b| &rest[b..]))
        .and_then(|object| object.find('}').map(|end| &object[..end]))
        .expect("the slow query's baseline object");
    assert!(
        slow.contains("\"verdict\": \"regressed\"") && slow.contains("\"by\": \"p95\""),
        "{slow}"
    );
    let gone = report["gone"].as_array().expect("a gone array");
    assert_eq!(gone.len(), 1);
    assert!(gone[0]["title"]
        .as_str()
        .is_some_and(|t| t.contains("Forbidden: 403")));
    assert_eq!(gone[0]["count"], 5);
    // Deploy verdicts are there too, and null outside a deploy.
    let deploy = |needle: &str| {
        let groups = report["groups"].as_array().expect("groups");
        let g = groups
            .iter()
            .find(|g| g.to_string().contains(needle))
            .expect(needle);
        g["deploy"].clone()
    };
    assert_eq!(deploy("KeyError"), "gone");
    assert_eq!(deploy("AttributeError"), "new");
    assert_eq!(deploy("ConnectionRefusedError"), "persisting");
    assert_eq!(deploy("Token validation failed"), serde_json::Value::Null);
    assert_eq!(report["deploys"][0]["service"], "netra-backend-staging");

    // The text report marks the groups beside their counts and ends with the gone ones.
    let out = triage(&["--baseline", &saved, &fixture("rollout.ndjson")]);
    let text = stdout(&out);
    assert!(
        text.contains("  baseline: 2 new, 2 regressed, 1 improved, 2 same; 1 gone (/"),
        "{text}"
    );
    assert!(
        text.contains("× REGRESSED ×4.6 ConnectionRefusedError"),
        "{text}"
    );
    assert!(
        text.contains("× REGRESSED ×5.0 p95 SELECT threads.id"),
        "{text}"
    );
    assert!(text.contains("× IMPROVED httpcore.ReadTimeout"), "{text}");
    assert!(text.contains("× NEW KeyError: 'thread_id'"), "{text}");
    let gone_at = text
        .find("── Gone since the baseline")
        .expect("a gone section");
    assert!(
        text[gone_at..].contains("5× google.api_core.exceptions.Forbidden"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_deploy_gate_exits_1_on_a_new_or_regressed_group_and_0_otherwise() {
    let dir = temp_dir("gate");
    let saved = saved_yesterday(&dir);
    let rollout = fixture("rollout.ndjson");
    let gate = |args: &[&str]| triage(args).status.code();
    // New groups (KeyError, AttributeError) and a regressed one (Redis).
    assert_eq!(
        gate(&["--baseline", &saved, "--fail-on", "new,regressed", &rollout]),
        Some(1)
    );
    assert_eq!(
        gate(&["--baseline", &saved, "--fail-on", "new", &rollout]),
        Some(1)
    );
    assert_eq!(
        gate(&["--baseline", &saved, "--fail-on", "regressed", &rollout]),
        Some(1)
    );
    // Against itself nothing is new or regressed.
    let yesterday = fixture("yesterday.ndjson");
    assert_eq!(
        gate(&[
            "--baseline",
            &saved,
            "--fail-on",
            "new,regressed",
            &yesterday
        ]),
        Some(0)
    );
    // With a baseline, new is judged against it alone: the AttributeError, new in
    // 00044-ghi, is in a baseline of the rollout itself.
    let out = triage(&["--format", "json", &rollout]);
    let itself = dir.join("rollout.json");
    std::fs::write(&itself, &out.stdout).expect("save");
    let itself = itself.display().to_string();
    assert_eq!(
        gate(&[
            "--baseline",
            &itself,
            "--fail-on",
            "new,regressed",
            &rollout
        ]),
        Some(0)
    );
    // Without a baseline, new is judged against the earlier revisions: the AttributeError
    // is new in 00044-ghi; yesterday had one revision, so nothing is new in it.
    assert_eq!(gate(&["--fail-on", "new", &rollout]), Some(1));
    assert_eq!(gate(&["--fail-on", "new", &yesterday]), Some(0));
    assert_eq!(gate(&["--fail-on", "regressed", &rollout]), Some(0));
    // The gate judges every group, whatever the text report shows (`--top 1`) and however
    // the causes rank.
    assert_eq!(
        gate(&[
            "--baseline",
            &saved,
            "--top",
            "1",
            "--fail-on",
            "regressed",
            &rollout
        ]),
        Some(1)
    );
    // Yesterday again with its Cloud SQL statements five times slower: nothing is new and
    // no rate grew, the slow query's p95 alone trips the gate.
    let slower = dir.join("yesterday-slower.ndjson");
    std::fs::write(
        &slower,
        five_times_slower(&fixture_text("yesterday.ndjson")),
    )
    .expect("write");
    let slower = slower.display().to_string();
    assert_eq!(
        gate(&["--baseline", &saved, "--fail-on", "new", &slower]),
        Some(0)
    );
    assert_eq!(
        gate(&["--baseline", &saved, "--fail-on", "regressed", &slower]),
        Some(1)
    );
    let text = stdout(&triage(&["--baseline", &saved, &slower]));
    assert!(
        text.contains("  baseline: 0 new, 1 regressed, 0 improved, 5 same; 0 gone"),
        "{text}"
    );
    // Categories and verdicts mix.
    assert_eq!(
        gate(&["--fail-on", "regressed,missing_module", &yesterday]),
        Some(0)
    );
    assert_eq!(
        gate(&["--fail-on", "regressed,timeout", &yesterday]),
        Some(1)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Refused baselines: the message names the file, on one line, and nothing is printed.
#[test]
fn a_baseline_of_another_schema_version_or_not_a_report_exits_2_naming_the_file() {
    let dir = temp_dir("bad-baseline");
    let saved = saved_yesterday(&dir);
    let old = dir.join("old.json");
    let text = std::fs::read_to_string(&saved).expect("saved");
    let v1 = text.replacen("\"schema_version\": 2", "\"schema_version\": 1", 1);
    assert_ne!(v1, text);
    std::fs::write(&old, v1).expect("write");
    let not_json = dir.join("notes.txt");
    std::fs::write(&not_json, "yesterday looked fine\n").expect("write");
    let rows = [
        (
            old.display().to_string(),
            "a report of schema_version 1; this version reads schema_version 2",
        ),
        (fixture("staging.json"), "not a logtriage JSON report"),
        (fixture("rollout.ndjson"), "not a logtriage JSON report"),
        (
            not_json.display().to_string(),
            "not a logtriage JSON report",
        ),
        (
            dir.join("missing.json").display().to_string(),
            "cannot open",
        ),
    ];
    for (file, why) in rows {
        let out = triage(&["--baseline", &file, &fixture("rollout.ndjson")]);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&file), "{file} not named: {err}");
        assert!(err.contains(why), "{why}: {err}");
        assert!(out.stdout.is_empty(), "{file}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_deploys_block_opens_the_text_report_of_a_rollout() {
    let out = triage(&[&fixture("rollout.ndjson")]);
    let text = stdout(&out);
    let block: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("── Deploys"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        block,
        [
            "  netra-backend-staging  00043-def (09:01–09:19, 21 events) → 00044-ghi (09:20–09:39, 17 events)",
            "    new           AttributeError",
            // In report order: by count now that a category's rank only breaks ties.
            "    gone          KeyError, httpcore.ReadTimeout  after 19 min of 00044-ghi",
            "    persisting    ConnectionRefusedError, WebSocket connection rejected: no suppo…",
        ]
    );
    let early = stdout(&triage(&[&fixture("rollout-early.ndjson")]));
    assert!(
        early.contains("    not seen yet  KeyError, httpcore.ReadTimeout\n"),
        "{early}"
    );
    assert!(
        early.contains("00044-ghi has run 5 min, 6 events: too little to call them gone"),
        "{early}"
    );
    // One revision per service: no block.
    let one = stdout(&triage(&[&fixture("yesterday.ndjson")]));
    assert!(!one.contains("── Deploys"), "{one}");
}

/// One entry of service `api` in `revision`, with a trace.
fn api_entry(revision: &str, at: &str, trace: &str) -> serde_json::Value {
    serde_json::json!({"timestamp": at, "severity": "ERROR",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api",
            "revision_name": revision, "project_id": "netra-staging"}},
        "trace": format!("projects/netra-staging/traces/{trace}")})
}

/// The Deploys block names what the report lists (causes, symptoms no cause explains) and
/// only counts the symptoms a cause explains, unless a row has nothing else to name.
#[test]
fn the_deploys_block_counts_explained_symptoms_beside_their_causes() {
    let cause = |revision: &str, at: &str, trace: &str, message: &str| {
        let mut e = api_entry(revision, at, trace);
        e["jsonPayload"] = serde_json::json!({ "message": message });
        e
    };
    let request = |revision: &str, at: &str, trace: &str, path: &str| {
        let mut e = api_entry(revision, at, trace);
        e["httpRequest"] = serde_json::json!({"requestMethod": "GET", "status": 500,
            "requestUrl": format!("https://api-7019.run.app{path}"), "latency": "0.2s"});
        e
    };
    // Each revision's cause explains its requests by trace; GET /health fails in both.
    let entries = [
        cause(
            "api-00001-aaa",
            "2026-11-26T14:00:00Z",
            "t1",
            "Database pool exhausted",
        ),
        request("api-00001-aaa", "2026-11-26T14:00:00.1Z", "t1", "/health"),
        request(
            "api-00001-aaa",
            "2026-11-26T14:00:00.2Z",
            "t1",
            "/api/threads/7",
        ),
        cause(
            "api-00002-bbb",
            "2026-11-26T14:10:00Z",
            "t2",
            "Redis connection refused",
        ),
        request("api-00002-bbb", "2026-11-26T14:10:00.1Z", "t2", "/health"),
    ];
    let dir = temp_dir("explained");
    let input = dir.join("api.ndjson");
    let lines: Vec<String> = entries.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(&input, lines.concat()).expect("write");
    let text = stdout(&triage(&[&input.display().to_string()]));
    let block: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("── Deploys"))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        block,
        [
            "    new           Redis connection refused",
            "    not seen yet  Database pool exhausted, +1 more",
            "                  00002-bbb has run 0 min, 2 events: too little to call them gone",
            "    persisting    GET /health → 500 in 200 ms",
        ],
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
