//! `--format partial` and `merge` as a user runs them: shards made apart merge into the
//! single pass's report, in any output format and with known issues and `--fail-on` applied
//! after the merge; bad partials exit 2 naming the file.

use logtriage::{Format, TriageBuilder};
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

fn triage(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logtriage"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run logtriage");
    let mut input = child.stdin.take().expect("stdin");
    // A run refused before it reads its input closes the pipe: not the test's failure.
    match input.write_all(stdin) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

/// A file of this test run (tests run at once in this process).
fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logtriage-cli-partial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const KNOWN: &str = "--known-issues";

#[test]
fn a_thousand_partials_of_one_entry_each_merge_into_the_single_pass_report() {
    // The staging fixture's entries (804), one per partial, with an empty shard (as Spark's
    // empty partitions give) after every fourth until there are 1,000 partials, one per line.
    let input = std::fs::read(fixture("staging.ndjson")).expect("fixture");
    let t = TriageBuilder::new().build().expect("build");
    let entries = input.split_inclusive(|&b| b == b'\n').count();
    let mut empties = 1000 - entries;
    let mut lines = String::new();
    for (i, entry) in input.split_inclusive(|&b| b == b'\n').enumerate() {
        let format = (i > 0).then_some(Format::Ndjson);
        lines += &t.partial(entry, format).expect("partial").to_json();
        lines.push('\n');
        if i % 4 == 3 && empties > 0 {
            empties -= 1;
            lines += &t.partial(&b""[..], None).expect("partial").to_json();
            lines.push('\n');
        }
    }
    assert_eq!(lines.lines().count(), 1000);
    let known = fixture("known_issues.json");
    let want = triage(
        &[
            "--format",
            "json",
            KNOWN,
            &known,
            &fixture("staging.ndjson"),
        ],
        b"",
    );
    assert_eq!(want.status.code(), Some(0), "{}", text(&want.stderr));
    let merged = triage(
        &["merge", "--format", "json", KNOWN, &known, "-"],
        lines.as_bytes(),
    );
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert!(merged.stdout == want.stdout, "the merged report differs");
    // Known issues were linked after the merge: the partials had none.
    assert!(text(&merged.stdout).contains("\"known_issue\": {"));
}

#[test]
fn shards_made_from_files_and_pipes_merge_in_any_format_and_in_stages() {
    let input = std::fs::read(fixture("staging.ndjson")).expect("fixture");
    let thirds: Vec<usize> = [1, 2]
        .iter()
        .map(|k| {
            let at = input.len() * k / 3;
            at + input[at..]
                .iter()
                .position(|&b| b == b'\n')
                .expect("a line end")
                + 1
        })
        .collect();
    let shards = [
        &input[..thirds[0]],
        &input[thirds[0]..thirds[1]],
        &input[thirds[1]..],
    ];
    let mut partials = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let out = if i == 1 {
            triage(&["--format", "partial", "-"], shard)
        } else {
            let path = temp(&format!("shard-{i}.ndjson"), shard);
            triage(&["--format", "partial", &path.display().to_string()], b"")
        };
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            out.stdout.iter().filter(|&&b| b == b'\n').count(),
            1,
            "one line"
        );
        partials.push(temp(&format!("shard-{i}.partial"), &out.stdout));
    }
    let p: Vec<String> = partials.iter().map(|p| p.display().to_string()).collect();
    let known = fixture("known_issues.json");
    let whole = fixture("staging.ndjson");
    for format in ["json", "text"] {
        let want = triage(&["--format", format, KNOWN, &known, &whole], b"");
        let got = triage(
            &[
                "merge", "--format", format, KNOWN, &known, &p[0], &p[1], &p[2],
            ],
            b"",
        );
        assert_eq!(got.status.code(), Some(0), "{}", text(&got.stderr));
        assert!(
            got.stdout == want.stdout,
            "{format}:\n{}",
            text(&got.stdout)
        );
    }
    // The first two merged into one partial, then with the third.
    let staged = triage(&["merge", "--format", "partial", &p[0], &p[1]], b"");
    assert_eq!(staged.status.code(), Some(0), "{}", text(&staged.stderr));
    let staged = temp("first-two.partial", &staged.stdout);
    let got = triage(
        &[
            "merge",
            "--format",
            "json",
            &staged.display().to_string(),
            &p[2],
        ],
        b"",
    );
    let want = triage(&["--format", "json", &whole], b"");
    assert!(got.stdout == want.stdout);
    // --fail-on applies to the merged report.
    let gate = triage(
        &[
            "merge",
            "--fail-on",
            "undefined_symbol",
            &p[0],
            &p[1],
            &p[2],
        ],
        b"",
    );
    assert_eq!(gate.status.code(), Some(1));
    let gate = triage(
        &["merge", "--fail-on", "out_of_memory", &p[0], &p[1], &p[2]],
        b"",
    );
    assert_eq!(gate.status.code(), Some(0), "{}", text(&gate.stderr));
}

#[test]
fn a_shard_cut_from_the_middle_of_an_array_is_read_as_one() {
    let input = std::fs::read(fixture("staging.json")).expect("fixture");
    let half = input.len() / 2;
    let cut = half
        + input[half..]
            .windows(6)
            .position(|w| w == b"},\n  {")
            .expect("element")
        + 3;
    let first = temp("array-0.json", &input[..cut]);
    let second = temp("array-1.json", &input[cut..]);
    let p0 = triage(&["--format", "partial", &first.display().to_string()], b"");
    let p1 = triage(
        &[
            "--format",
            "partial",
            "--input-format",
            "array",
            &second.display().to_string(),
        ],
        b"",
    );
    let both = [p0.stdout, p1.stdout].concat();
    let got = triage(&["merge", "--format", "json", "-"], &both);
    let want = triage(&["--format", "json", &fixture("staging.json")], b"");
    assert_eq!(got.status.code(), Some(0), "{}", text(&got.stderr));
    assert!(got.stdout == want.stdout);
}

#[test]
fn bad_partials_exit_2_naming_the_file() {
    let whole = fixture("staging.ndjson");
    let out = triage(&["--format", "partial", &whole], b"");
    let line = text(&out.stdout);
    let good = temp("good.partial", line.as_bytes());
    let truncated = temp("truncated.partial", &line.as_bytes()[..line.len() / 2]);
    let version = temp(
        "version.partial",
        line.replacen("\"partial_version\":1", "\"partial_version\":2", 1)
            .as_bytes(),
    );
    let empty = temp("empty.partial", b"");
    let good = good.display().to_string();
    for (bad, says) in [
        (
            truncated.display().to_string(),
            "not a whole partial report",
        ),
        (version.display().to_string(), "partial_version 2"),
        (empty.display().to_string(), "no partial report in it"),
        // The same shard twice: it starts at byte 0 of the file the one before ended.
        (good.clone(), "out of order"),
    ] {
        let out = triage(&["merge", "--format", "json", &good, &bad], b"");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "no report for {bad}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{bad}: ")) && err.contains(says),
            "{err}"
        );
    }
    // Two halves of one file given the wrong way round (their places recorded as a job that
    // reads byte ranges records them): the second given starts where neither ended.
    let input = std::fs::read(&whole).expect("fixture");
    let cut = input.len() / 2
        + input[input.len() / 2..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("a line end")
        + 1;
    let t = TriageBuilder::new().build().expect("build");
    let mut halves = Vec::new();
    for (i, range) in [0..cut, cut..input.len()].into_iter().enumerate() {
        let format = (i > 0).then_some(Format::Ndjson);
        let mut p = t.partial(&input[range.clone()], format).expect("partial");
        p.set_position(&whole, range.start as u64, range.end as u64);
        let path = temp(&format!("half-{i}.partial"), p.to_json().as_bytes());
        halves.push(path.display().to_string());
    }
    let out = triage(&["merge", &halves[1], &halves[0]], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{}: out of order", halves[0])),
        "{err}"
    );
    let out = triage(&["merge", "--format", "json", &halves[0], &halves[1]], b"");
    let want = triage(&["--format", "json", &whole], b"");
    assert!(out.stdout == want.stdout, "{}", text(&out.stderr));
    let slow = triage(&["--format", "partial", "--slow-ms", "5", &whole], b"");
    let slow = temp("slow.partial", &slow.stdout);
    let out = triage(&["merge", &good, &slow.display().to_string()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("another slow-ms"),
        "{}",
        text(&out.stderr)
    );
    // Options that belong to the merge, or to the partial.
    let out = triage(
        &[
            "--format",
            "partial",
            KNOWN,
            &fixture("known_issues.json"),
            &whole,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = triage(&["--input-format", "array", &whole], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn merge_compares_with_a_baseline_and_gates_after_the_merge() {
    // Yesterday's report as the baseline; today's rollout in three shards, each cut inside
    // the rollout so that a group's revisions are counted in more than one shard.
    let yesterday = triage(&["--format", "json", &fixture("yesterday.ndjson")], b"");
    assert_eq!(
        yesterday.status.code(),
        Some(0),
        "{}",
        text(&yesterday.stderr)
    );
    let saved = temp("yesterday.json", &yesterday.stdout)
        .display()
        .to_string();
    let rollout = fixture("rollout.ndjson");
    let input = std::fs::read(&rollout).expect("fixture");
    let ends: Vec<usize> = input
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let cuts = [
        0,
        ends[ends.len() / 3],
        ends[2 * ends.len() / 3],
        input.len(),
    ];
    let mut partials = String::new();
    for w in cuts.windows(2) {
        let out = triage(&["--format", "partial", "-"], &input[w[0]..w[1]]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        partials += &text(&out.stdout);
    }
    for format in ["json", "text"] {
        let gate = ["--baseline", &saved, "--fail-on", "new,regressed"];
        let mut run = vec!["--format", format];
        run.extend(gate);
        run.push(&rollout);
        let want = triage(&run, b"");
        let mut merge = vec!["merge", "--format", format];
        merge.extend(gate);
        merge.push("-");
        let got = triage(&merge, partials.as_bytes());
        assert_eq!(want.status.code(), Some(1), "{}", text(&want.stderr));
        assert_eq!(got.status.code(), Some(1), "{}", text(&got.stderr));
        assert!(
            got.stdout == want.stdout,
            "{format}: the merged report differs"
        );
        if format == "json" {
            let report = text(&got.stdout);
            for verdict in ["new", "regressed", "same"] {
                let field = format!("\"verdict\": \"{verdict}\"");
                assert!(report.contains(&field), "{field}");
            }
            assert!(report.contains("\"gone\": ["), "gone groups listed");
        }
    }
    // The baseline applies to the finished report, not to a shard's partial.
    let refused = triage(
        &["--format", "partial", "--baseline", &saved, "-"],
        &input[..cuts[1]],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("--baseline"));
}

#[test]
fn gzip_files_and_files_redirected_into_standard_input_are_shards_too() {
    use flate2::write::GzEncoder;
    let input = std::fs::read(fixture("staging.ndjson")).expect("fixture");
    let at = input.len() / 2;
    let cut = at
        + input[at..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("a line end")
        + 1;
    let gzip = |bytes: &[u8]| {
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).expect("gzip");
        gz.finish().expect("gzip")
    };
    let (a, b) = (gzip(&input[..cut]), gzip(&input[cut..]));
    let paths = [temp("half-0.ndjson.gz", &a), temp("half-1.ndjson.gz", &b)];
    // A run reads `cat a.gz b.gz` member after member.
    let both = temp("both.ndjson.gz", &[a, b].concat());
    let want = triage(&["--format", "json", &both.display().to_string()], b"");
    assert_eq!(want.status.code(), Some(0), "{}", text(&want.stderr));
    assert!(text(&want.stdout).contains("\"gzip\": true"));
    let mut partials = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let out = triage(&["--format", "partial", &path.display().to_string()], b"");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        partials.push(temp(&format!("half-{i}.gz.partial"), &out.stdout));
    }
    let p: Vec<String> = partials.iter().map(|p| p.display().to_string()).collect();
    let got = triage(&["merge", "--format", "json", &p[0], &p[1]], b"");
    assert_eq!(got.status.code(), Some(0), "{}", text(&got.stderr));
    assert!(got.stdout == want.stdout, "{}", text(&got.stdout));

    // Shards given as `triage --format partial < shard`: standard input is a regular file,
    // but names none, so two of them are not taken for one file's bytes out of order.
    let halves = [&input[..cut], &input[cut..]];
    let mut partials = Vec::new();
    for (i, half) in halves.iter().enumerate() {
        let path = temp(&format!("redirected-{i}.ndjson"), half);
        let out = Command::new(env!("CARGO_BIN_EXE_logtriage"))
            .args(["--format", "partial", "--input-format", "ndjson"])
            .stdin(std::fs::File::open(&path).expect("open"))
            .output()
            .expect("run logtriage");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        partials.push(temp(&format!("redirected-{i}.partial"), &out.stdout));
    }
    let p: Vec<String> = partials.iter().map(|p| p.display().to_string()).collect();
    let got = triage(&["merge", "--format", "json", &p[0], &p[1]], b"");
    assert_eq!(got.status.code(), Some(0), "{}", text(&got.stderr));
    let want = triage(&["--format", "json", &fixture("staging.ndjson")], b"");
    assert!(got.stdout == want.stdout, "{}", text(&got.stdout));
}
