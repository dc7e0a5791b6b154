//! The command line with the tracker's export, issue drafts and `--redact`: run as a user
//! runs the `logtriage` binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logtriage"))
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run logtriage");
    let mut input = child.stdin.take().expect("stdin");
    // A run that stops before it reads closes its end: that write may fail.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logtriage-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_gh_export_links_the_staging_groups_and_says_regression_of_a_closed_issue() {
    let gh = fixture("known_issues_gh.json");
    let out = run(&["--known-issues", &gh, &fixture("staging.json")], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("regression of closed #923 E2E-DEPLOY-Redis-Connection-Refused-Backend-And-Auth-Service"),
        "{report}"
    );
    assert!(report.contains("issue #903 E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup"));
    // JSON: the match and the state of each link.
    let out = run(
        &[
            "--format",
            "json",
            "--known-issues",
            &gh,
            &fixture("staging.json"),
        ],
        b"",
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let first = &report["groups"][0]["known_issue"];
    assert_eq!(first["id"], "903");
    assert_eq!(first["state"], "open");
    assert_eq!(first["match"]["by"], "text");
    assert!(first["match"]["score"].as_f64().is_some_and(|s| s > 2.5));
    assert_eq!(first["match"]["terms"][0], "UnifiedExecutionEngineFactory");
    for group in report["groups"].as_array().unwrap() {
        let url = group["logs_url"]
            .as_str()
            .expect("every group has its link");
        assert!(url.starts_with("https://console.cloud.google.com/logs/query;query=insertId%3D%22"));
        assert!(url.ends_with("?project=netra-staging"), "{url}");
    }
}

#[test]
fn known_issues_may_be_given_twice() {
    let args = [
        "--format",
        "json",
        "--known-issues",
        &fixture("known_issues.json"),
        "--known-issues",
        &fixture("known_issues_gh.json"),
        &fixture("staging.json"),
    ];
    let out = run(&args, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // The hand-written entry wins: its title, matched by pattern.
    let first = &report["groups"][0]["known_issue"];
    assert_eq!(
        first["title"],
        "Backend startup: UnifiedExecutionEngineFactory undefined"
    );
    assert_eq!(first["match"]["by"], "pattern");
    assert_eq!(first["match"]["terms"][0], "UnifiedExecutionEngineFactory");
}

#[test]
fn drafts_are_written_for_the_groups_no_issue_tracks_with_a_gh_line_each() {
    let dir = temp_dir("drafts");
    let dir_arg = dir.join("new").display().to_string();
    let args = [
        "--known-issues",
        &fixture("known_issues.json"),
        "--draft-issues",
        &dir_arg,
        &fixture("staging.json"),
    ];
    for _ in 0..2 {
        let out = run(&args, b"");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        // The groups no issue tracks are symptoms; all but one are explained by a cause
        // (whose issue covers them): one draft.
        assert_eq!(lines.len(), 1, "{err}");
        for line in &lines {
            assert!(line.starts_with("gh issue create --title '"), "{line}");
            assert!(
                line.contains(&format!("--body-file '{dir_arg}/unclassified-")),
                "{line}"
            );
        }
        // The second run overwrites: still one draft.
        let names: Vec<String> = std::fs::read_dir(dir.join("new"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names
            .iter()
            .all(|n| n.starts_with("unclassified-") && n.ends_with(".md")));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unusable_draft_directory_exits_2_before_the_input_is_read() {
    let dir = temp_dir("drafts-file");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let bad = file.join("drafts").display().to_string();
    // The input would be an event; no report is printed.
    let logs = br#"{"severity":"ERROR","textPayload":"Redis connection refused"}"#;
    let out = run(&["--draft-issues", &bad], logs);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "logtriage: {bad}: cannot write issue drafts there:"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn redact_scrubs_the_report_and_the_events() {
    let logs = concat!(
        r#"{"insertId":"r1","logName":"projects/netra-staging/logs/python","severity":"ERROR","textPayload":"postgresql://app:Pa55w0rdXyz@10.0.0.5:5432/db refused ops@netra.example"}"#,
        "\n"
    );
    for format in ["text", "json", "ndjson"] {
        let plain = run(&["--format", format], logs.as_bytes());
        assert!(
            text(&plain.stdout).contains("Pa55w0rdXyz"),
            "{format}: without --redact the report is as logged"
        );
        let out = run(&["--format", format, "--redact"], logs.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let shown = text(&out.stdout);
        assert!(
            !shown.contains("Pa55w0rdXyz") && !shown.contains("ops@"),
            "{format}: {shown}"
        );
        assert!(
            shown.contains("app:[Filtered]@10.0.0.5:5432"),
            "{format}: {shown}"
        );
    }
}
