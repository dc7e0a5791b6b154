//! Runs the command line the way a user does: on the shipped fixtures, with each output
//! format, with a closed output, and with the arguments that must fail. The tests run the
//! `logtriage` binary, which cargo builds afresh for them; the `triage` example, the README's
//! front door, is the same code and must give the same reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `logtriage` binary.
fn triage_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_logtriage"))
}

/// `cargo test` builds the examples next to the test binaries: target/<profile>/examples.
fn example_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = profile_dir
        .join("examples")
        .join(format!("triage{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not built; run the tests with `cargo test`",
        bin.display()
    );
    bin
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn triage(args: &[&str], stdin: Option<&[u8]>) -> Output {
    triage_with(args, stdin, &[])
}

/// `triage` with these environment variables set; `COLUMNS` is unset unless given.
fn triage_with(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(triage_bin())
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        // Sparklines in blocks: the locale says UTF-8 unless a test says otherwise.
        .env_remove("LC_CTYPE")
        .env("LC_ALL", "C.UTF-8")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run triage");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("triage output")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const KNOWN: &str = "--known-issues";

#[test]
fn text_report_matches_golden_file() {
    let out = triage(
        &[
            KNOWN,
            &fixture("known_issues.json"),
            &fixture("staging.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "no colour when stdout is a pipe");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/staging.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).expect("write golden file");
    }
    let want = std::fs::read_to_string(&golden).expect("tests/golden/staging.txt");
    assert_eq!(
        text, want,
        "rerun with UPDATE_GOLDEN=1 after checking the difference"
    );
}

#[test]
fn text_report_lines_fit_100_columns() {
    let out = triage(
        &[
            KNOWN,
            &fixture("known_issues.json"),
            &fixture("staging.json"),
        ],
        None,
    );
    // URLs aside: they are printed whole (an issue's, a group's Logs Explorer link).
    for line in stdout(&out).lines() {
        if line.trim_start().starts_with("https://") {
            continue;
        }
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
}

#[test]
fn name_error_group_comes_first_and_every_group_is_linked() {
    let out = triage(
        &[
            "--format",
            "json",
            KNOWN,
            &fixture("known_issues.json"),
            &fixture("staging.json"),
        ],
        None,
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let groups = report["groups"].as_array().expect("groups");
    assert_eq!(groups[0]["exception"], "NameError");
    assert_eq!(groups[0]["subject"], "UnifiedExecutionEngineFactory");
    let linked: Vec<&str> = groups
        .iter()
        .filter_map(|g| g["known_issue"]["id"].as_str())
        .collect();
    for id in ["903", "915", "921", "922", "923"] {
        assert!(
            linked.contains(&id),
            "issue {id} not linked; linked: {linked:?}"
        );
    }
}

#[test]
fn json_totals_add_up() {
    let out = triage(&["--format", "json", &fixture("staging.json")], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let t = &report["totals"];
    let n = |k: &str| t[k].as_u64().unwrap_or_else(|| panic!("totals.{k}"));
    assert!(n("entries") > 0);
    assert_eq!(n("entries"), n("ok") + n("malformed") + n("oversize"));
    let counted: u64 = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, n("events"));
    for g in report["groups"].as_array().unwrap() {
        assert!(g["fingerprint"].as_str().is_some_and(|f| f.len() == 16));
        assert!(g["known_issue"].is_null());
        assert!(g["suggested_title"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

#[test]
fn ndjson_has_one_valid_event_per_line() {
    let out = triage(
        &[
            "--format",
            "ndjson",
            KNOWN,
            &fixture("known_issues.json"),
            &fixture("staging.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().count() > 5);
    for line in text.lines() {
        let ev: serde_json::Value = serde_json::from_str(line).expect("one JSON event per line");
        for field in [
            "insert_id",
            "line",
            "entries",
            "timestamp",
            "service",
            "category",
            "exception",
            "message",
            "subject",
            "fingerprint",
            "frames",
            "known_issue",
        ] {
            assert!(ev.get(field).is_some(), "missing {field} in {line}");
        }
        assert!(ev["line"].as_u64().is_some_and(|l| l >= 1));
        assert!(ev["entries"].as_array().is_some_and(|e| !e.is_empty()));
    }
}

#[test]
fn ndjson_and_array_inputs_give_the_same_report() {
    let a = triage(&["--format", "json", &fixture("staging.json")], None);
    let b = triage(&["--format", "json", &fixture("staging.ndjson")], None);
    let a: serde_json::Value = serde_json::from_slice(&a.stdout).expect("array report");
    let b: serde_json::Value = serde_json::from_slice(&b.stdout).expect("ndjson report");
    assert_eq!(a["groups"], b["groups"]);
    assert_eq!(a["totals"]["entries"], b["totals"]["entries"]);
    assert_eq!(a["totals"]["events"], b["totals"]["events"]);
}

#[test]
fn stdin_is_read_when_no_file_is_given() {
    let bytes = std::fs::read(fixture("staging.ndjson")).expect("fixture");
    let from_stdin = triage(&["--format", "json"], Some(&bytes));
    let from_file = triage(&["--format", "json", &fixture("staging.ndjson")], None);
    assert_eq!(from_stdin.status.code(), Some(0));
    assert_eq!(stderr(&from_stdin), "", "no notice when stdin is a pipe");
    assert_eq!(from_stdin.stdout, from_file.stdout);
}

#[test]
fn fail_on_any_exits_1() {
    let out = triage(&["--fail-on", "any", &fixture("staging.json")], None);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fail_on_a_category_that_is_absent_exits_0() {
    let quiet =
        b"{\"insertId\":\"q1\",\"severity\":\"INFO\",\"textPayload\":\"GET /health 200\"}\n";
    let out = triage(&["--fail-on", "undefined_symbol"], Some(quiet));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn fail_on_an_empty_or_unknown_name_exits_2_listing_the_valid_names() {
    for value in ["", "no_such_category", "undefined_symbol,", " "] {
        let out = triage(&["--fail-on", value, &fixture("staging.json")], None);
        assert_eq!(out.status.code(), Some(2), "--fail-on {value:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(stdout(&out).is_empty(), "--fail-on {value:?}");
        let valid = err.split("valid: ").nth(1).expect("the valid names");
        let names: Vec<&str> = valid.trim().split(", ").collect();
        assert!(names.contains(&"any"), "{err}");
        for id in logtriage::Category::BUILTIN {
            assert!(names.contains(&id.as_str()), "{id} not listed: {err}");
        }
        if value == "no_such_category" {
            assert!(err.contains("'no_such_category'"), "{err}");
        }
    }
    // `--fail-on=` with nothing after it is the empty CI variable too.
    let out = triage(&["--fail-on=", &fixture("staging.json")], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn fail_on_lists_the_categories_a_rules_file_adds() {
    let dir = std::env::temp_dir().join(format!("logtriage-cli-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        r#"{"categories": [{"id": "quota_exceeded", "patterns": ["Quota exceeded"]}]}"#,
    )
    .expect("write");
    let rules = rules.display().to_string();
    let out = triage(&["--rules", &rules, "--fail-on", "bogus"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(", quota_exceeded"),
        "{}",
        stderr(&out)
    );
    let out = triage(
        &["--rules", &rules, "--fail-on", "quota_exceeded"],
        Some(b""),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn missing_file_exits_2_with_one_line() {
    let out = triage(&["/no/such/logs.json"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/no/such/logs.json"), "{err}");
}

#[test]
fn bad_argument_exits_2_with_one_line() {
    let out = triage(&["--format", "xml"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn invalid_known_issues_file_exits_2_with_its_reason() {
    let dir = std::env::temp_dir().join(format!("logtriage-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("known_issues_bad_regex.json");
    std::fs::write(
        &bad,
        r#"{"issues": [{"id": "903", "title": "t", "category": "undefined_symbol", "pattern": "Unified(("}]}"#,
    )
    .expect("write");
    let out = triage(
        &[KNOWN, &bad.display().to_string(), &fixture("staging.json")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("known_issues_bad_regex.json") && err.contains("issue 0"),
        "{err}"
    );
}

#[test]
fn help_explains_every_option_with_an_example() {
    let out = triage(&["--help"], None);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for opt in [
        "--format",
        "--known-issues",
        "--rules",
        "--slow-ms",
        "--max-entry-bytes",
        "--validate",
        "--fail-on",
        "--threads",
        "--top",
        "--show",
        "Examples:",
    ] {
        assert!(help.contains(opt), "--help lacks {opt}");
    }
}

#[test]
fn empty_input_reports_no_events() {
    let out = triage(&[], Some(b""));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("0 entries"));
}

#[test]
fn a_large_file_gives_the_same_report_on_the_default_threads_as_on_one() {
    // Over 1 MiB, so the default takes one thread per core; the staging export's lines over
    // and over, so split tracebacks straddle the 512 KiB blocks.
    let staging = std::fs::read(fixture("staging.ndjson")).expect("staging.ndjson");
    let copies = (3 << 20) / staging.len() + 1;
    let path = std::env::temp_dir().join(format!("logtriage-cli-{}.ndjson", std::process::id()));
    std::fs::write(&path, staging.repeat(copies)).expect("write the large file");
    let file = path.display().to_string();
    let default = triage(&["--format", "json", &file], None);
    let one = triage(&["--format", "json", "--threads", "1", &file], None);
    std::fs::remove_file(&path).expect("remove the large file");
    assert_eq!(default.status.code(), Some(0), "{}", stderr(&default));
    let per_copy = staging.iter().filter(|b| **b == b'\n').count();
    assert!(stdout(&one).contains(&format!("\"entries\": {}", per_copy * copies)));
    assert_eq!(stdout(&default), stdout(&one));
}

/// Runs `bin` with stdout into a pipe whose reader takes `keep` bytes and closes (0: closed
/// before the run starts, so the first write fails); returns the exit code and stderr.
fn with_closed_output(bin: &Path, args: &[&str], keep: usize) -> (Option<i32>, String) {
    use std::io::Read;
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut command = Command::new(bin);
    command
        .args(args)
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped());
    if keep == 0 {
        drop(reader);
        let out = command.output().expect("run");
        return (out.status.code(), stderr(&out));
    }
    let child = command.spawn().expect("run");
    drop(command); // its copy of the writing end
    let mut taken = vec![0; keep];
    reader.read_exact(&mut taken).expect("the first bytes");
    drop(reader);
    let out = child.wait_with_output().expect("wait");
    (out.status.code(), stderr(&out))
}

#[test]
fn a_closed_output_ends_every_format_quietly_with_status_0() {
    let staging = fixture("staging.json");
    for format in ["text", "json", "ndjson"] {
        for keep in [0, 1] {
            let args = ["--format", format, "--show", "traceback", staging.as_str()];
            let (code, err) = with_closed_output(&triage_bin(), &args, keep);
            assert_eq!(code, Some(0), "{format}, reader kept {keep} bytes: {err}");
            assert_eq!(err, "", "{format}, reader kept {keep} bytes");
        }
    }
}

#[test]
fn a_closed_output_keeps_the_fail_on_status() {
    let staging = fixture("staging.json");
    for format in ["text", "json", "ndjson"] {
        // The first ndjson event is unclassified: the gate is decided by a later event,
        // read after the output closed.
        for gate in ["any", "undefined_symbol"] {
            let args = ["--format", format, "--fail-on", gate, staging.as_str()];
            let (code, err) = with_closed_output(&triage_bin(), &args, 0);
            assert_eq!(code, Some(1), "{format}, --fail-on {gate}: {err}");
            assert_eq!(err, "", "{format}");
        }
    }
}

#[test]
fn head_c_1_in_a_pipefail_shell_succeeds_on_every_format() {
    let Ok(status) = Command::new("bash").arg("-c").arg("true").status() else {
        eprintln!("no bash: skipped");
        return;
    };
    assert!(status.success());
    for format in ["text", "json", "ndjson"] {
        let out = Command::new("bash")
            .arg("-c")
            .arg(r#"set -o pipefail; "$0" --format "$1" "$2" | head -c 1"#)
            .arg(triage_bin())
            .arg(format)
            .arg(fixture("staging.json"))
            .output()
            .expect("bash");
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{format}");
        assert_eq!(out.stdout.len(), 1, "{format}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_that_cannot_be_written_exits_2_saying_output() {
    for format in ["text", "json", "ndjson"] {
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = Command::new(triage_bin())
            .args(["--format", format, &fixture("staging.json")])
            .stdin(Stdio::null())
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{format}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("cannot write the output"), "{format}: {err}");
    }
}

#[test]
fn an_unreadable_input_exits_2_saying_input() {
    let dir = std::env::temp_dir();
    let out = triage(&[&dir.display().to_string()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("input"), "{err}");
    let out = triage(&["/no/such/logs.json"], None);
    assert!(stderr(&out).contains("input"), "{}", stderr(&out));
}

/// The line without ANSI escapes, and its width in characters.
fn visible_width(line: &str) -> usize {
    let mut width = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

#[test]
fn the_text_report_fits_columns_80_and_140_urls_aside() {
    for width in [80, 140] {
        let columns = width.to_string();
        let out = triage_with(
            &[
                "--show",
                "traceback",
                KNOWN,
                &fixture("known_issues.json"),
                &fixture("staging.json"),
            ],
            None,
            &[("COLUMNS", &columns)],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        let mut rules = 0;
        for line in text.lines() {
            if line.trim_start().starts_with("https://") {
                continue;
            }
            let w = visible_width(line);
            assert!(w <= width, "{w} > {width}: {line}");
            if line.starts_with("── ") {
                assert_eq!(w, width, "a section's rule spans the width: {line}");
                rules += 1;
            }
        }
        // The deploys block, causes, and the symptoms no cause explains.
        assert_eq!(rules, 3, "{text}");
    }
    // Not a number: the default 100.
    let out = triage_with(&[&fixture("staging.json")], None, &[("COLUMNS", "wide")]);
    let rule = stdout(&out)
        .lines()
        .find(|l| l.starts_with("── "))
        .map(visible_width);
    assert_eq!(rule, Some(100));
}

#[test]
fn top_3_prints_3_groups_and_counts_the_rest() {
    let json = triage(&["--format", "json", &fixture("staging.json")], None);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json report");
    // The text lists causes, then the symptoms no cause explains (the others are counted in
    // their cause's impact line).
    let groups: Vec<&serde_json::Value> = report["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["role"] == "cause" || g["unexplained"].as_u64() > Some(0))
        .collect();
    let rest = groups.len() - 3;
    let rest_events: u64 = groups[3..]
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();

    let out = triage(&["--top", "3", &fixture("staging.json")], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let ranks: Vec<&str> = text
        .lines()
        .filter(|l| l.contains('×'))
        .filter_map(|l| l.trim_start().split_once(". ").map(|(rank, _)| rank))
        .filter(|rank| rank.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(ranks, ["1", "2", "3"], "{text}");
    let last = text.lines().last().expect("a last line");
    assert_eq!(
        last,
        format!("… {rest} more groups ({rest_events} events) not shown with --top 3")
    );
    let entries = report["totals"]["entries"].as_u64().unwrap();
    let events = report["totals"]["events"].as_u64().unwrap();
    let all = report["groups"].as_array().unwrap().len();
    assert!(text.starts_with(&format!(
        "logtriage  {entries} entries, {events} events in {all} groups\n"
    )));
}

#[test]
fn show_traceback_prints_the_name_errors_frames() {
    let out = triage(
        &[
            "--show",
            "traceback",
            "--top",
            "1",
            &fixture("staging.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let sample: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("│ "))
        .collect();
    assert!(sample.len() <= 40, "{text}");
    assert_eq!(sample.first(), Some(&"Traceback (most recent call last):"));
    assert!(
        sample.contains(
            &r#"  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns"#
        ),
        "{text}"
    );
    assert_eq!(
        sample.last(),
        Some(&"NameError: name 'UnifiedExecutionEngineFactory' is not defined")
    );
    // Without --show, no sample.
    let plain = triage(&["--top", "1", &fixture("staging.json")], None);
    assert!(!stdout(&plain).contains('│'));
}

#[test]
fn one_entry_is_said_in_the_singular() {
    let one = b"{\"insertId\":\"e1\",\"severity\":\"ERROR\",\"textPayload\":\"Redis connection failed\"}\n";
    let out = triage(&[], Some(one));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("logtriage  1 entry, 1 event in 1 group\n"),
        "{text}"
    );
    assert!(!text.contains("1 entries") && !text.contains("1 groups"));
    let out = triage(&["--top", "0"], Some(one));
    assert!(
        stdout(&out).ends_with("… 1 more group (1 event) not shown with --top 0\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn json_totals_hold_the_span_and_services_the_text_header_shows() {
    let out = triage(&["--format", "json", &fixture("staging.json")], None);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let t = &report["totals"];
    assert_eq!(t["span"]["first"], "2026-11-26T14:01:35.300004867Z");
    assert_eq!(t["span"]["last"], "2026-11-26T14:38:08.900018682Z");
    assert_eq!(
        t["services"],
        // Cloud SQL's entries name their database as the service.
        serde_json::json!([
            "netra-auth-service",
            "netra-backend-staging",
            "netra-staging:netra-postgres-staging"
        ])
    );
    let text = stdout(&triage(&[&fixture("staging.json")], None));
    assert!(text.contains("\n  span 2026-11-26 14:01:35 .. 2026-11-26 14:38:08 UTC\n"));
    assert!(text.contains(
        "\n  services netra-auth-service, netra-backend-staging, netra-staging:netra-postgres-staging\n"
    ));
    let first = &report["groups"][0];
    assert!(first["sample_text"].as_str().is_some_and(
        |s| s.ends_with("NameError: name 'UnifiedExecutionEngineFactory' is not defined")
    ));
    let empty = triage(&["--format", "json"], Some(b""));
    let empty: serde_json::Value = serde_json::from_slice(&empty.stdout).expect("json report");
    assert!(empty["totals"]["span"].is_null());
    assert_eq!(empty["totals"]["services"], serde_json::json!([]));
}

#[test]
fn the_example_gives_the_binarys_reports_under_its_own_name() {
    let args = [
        "--format",
        "json",
        KNOWN,
        &fixture("known_issues.json"),
        &fixture("staging.json"),
    ];
    let example = Command::new(example_bin())
        .args(args)
        .output()
        .expect("triage");
    let installed = triage(&args, None);
    assert_eq!(example.status.code(), Some(0), "{}", stderr(&example));
    assert_eq!(installed.status.code(), Some(0), "{}", stderr(&installed));
    assert_eq!(example.stdout, installed.stdout);
    let text = Command::new(example_bin())
        .args([
            KNOWN,
            &fixture("known_issues.json"),
            &fixture("staging.json"),
        ])
        .env_remove("COLUMNS")
        .output()
        .expect("triage");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/staging.txt");
    let want = std::fs::read_to_string(&golden).expect("tests/golden/staging.txt");
    assert_eq!(stdout(&text), want);

    let help = |bin: &Path| {
        let out = Command::new(bin).arg("--help").output().expect("--help");
        stdout(&out)
    };
    let (example_help, binary_help) = (help(&example_bin()), help(&triage_bin()));
    assert!(example_help.contains("Usage: triage"), "{example_help}");
    assert!(example_help.contains("| triage\n"), "{example_help}");
    assert!(binary_help.contains("Usage: logtriage"), "{binary_help}");
    assert!(binary_help.contains("| logtriage\n"), "{binary_help}");
    assert!(
        !binary_help
            .lines()
            .any(|l| l.trim_start().starts_with("triage ")),
        "the example's name in: {binary_help}"
    );
    let err = Command::new(example_bin())
        .args(["--fail-on", "bogus"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(
        stderr(&err).starts_with("triage: --fail-on"),
        "{}",
        stderr(&err)
    );
}

#[test]
fn causes_show_what_they_broke_and_unexplained_symptoms_come_last() {
    let out = triage(
        &[
            KNOWN,
            &fixture("known_issues.json"),
            &fixture("staging.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let impact = text
        .lines()
        .find(|l| l.trim_start().starts_with("impact  "))
        .expect("an impact line");
    assert!(
        impact.contains("failed requests (503 ×7)") && impact.ends_with("; 8 exits"),
        "{impact}"
    );
    // The symptoms a cause explains are not listed again; the others come last, with a hint.
    assert!(
        !text.contains("Application startup failed. Exiting."),
        "{text}"
    );
    let last = text
        .split("── Symptoms with no cause in these logs")
        .nth(1)
        .expect("the section");
    assert!(
        last.contains("Ready condition status changed to False"),
        "{last}"
    );
    assert!(last.contains("hint: "), "{last}");
    assert!(text.contains("duration p50 "), "{text}");
    assert!(text.chars().any(|c| ('▁'..='█').contains(&c)), "{text}");
    // A locale that is not UTF-8 gets its sparklines in ASCII.
    let ascii = triage_with(&[&fixture("staging.json")], None, &[("LC_ALL", "C")]);
    let ascii = stdout(&ascii);
    assert!(
        !ascii.chars().any(|c| ('▁'..='█').contains(&c) || c == '·'),
        "{ascii}"
    );
    assert!(
        ascii.lines().any(|l| l.trim_start().starts_with("....")),
        "{ascii}"
    );
}

#[test]
fn gzip_input_gives_the_plain_report_and_bad_input_one_warning_line() {
    use flate2::write::GzEncoder;
    let plain = std::fs::read(fixture("staging.ndjson")).expect("fixture");
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let json = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).expect("a JSON report")
    };
    let want = triage(&["--format", "json"], Some(&plain));
    let path = std::env::temp_dir().join(format!("logtriage-cli-{}.ndjson.gz", std::process::id()));
    std::fs::write(&path, &gz).expect("write");
    let from_file = triage(&["--format", "json", &path.display().to_string()], None);
    std::fs::remove_file(&path).ok();
    for got in [from_file, triage(&["--format", "json"], Some(&gz))] {
        assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
        assert_eq!(stderr(&got), "", "a whole gzip input warns of nothing");
        let (mut got, want) = (json(&got), json(&want));
        assert_eq!(got["totals"]["gzip"], true);
        got["totals"]["gzip"] = false.into();
        assert_eq!(got, want);
    }
    let cut = triage(&["--format", "json"], Some(&gz[..gz.len() / 2]));
    assert_eq!(cut.status.code(), Some(0));
    assert_eq!(json(&cut)["totals"]["truncated"], true);
    let warning = stderr(&cut);
    assert_eq!(warning.lines().count(), 1, "{warning}");
    assert!(warning.contains("ends early or is corrupt"), "{warning}");
    let binary = triage(&[], Some(b"\x7fELF\x02\x01\x01\x00\x00ERROR\x00"));
    assert_eq!(binary.status.code(), Some(0));
    let warning = stderr(&binary);
    assert_eq!(warning.lines().count(), 1, "{warning}");
    assert!(warning.contains("binary data (NUL bytes)"), "{warning}");
}
