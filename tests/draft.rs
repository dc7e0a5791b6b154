//! Issue drafts: a draft's content (title, facts, the traceback cut to 60 lines and
//! scrubbed, the samples) and its Logs Explorer link, decoded back to the project, the query
//! and the time range; stable file names; the directory checks.

use logtriage::{
    prepare_dir, write_drafts, Draft, Error, NoSink, Report, TriageBuilder, DRAFT_LINES,
};
use serde_json::json;

/// Six failures of a worker whose traceback is 90 frames deep and whose message holds a
/// DSN with a password and an e-mail address, 40 seconds apart from 14:05:03 on.
fn logs() -> Vec<u8> {
    let mut tb = String::from("Traceback (most recent call last):\n");
    for i in 0..90 {
        tb.push_str(&format!(
            "  File \"/app/netra_backend/app/billing/ledger.py\", line {}, in settle_batch_{i}\n    settle_batch_{}(batch)\n",
            100 + i,
            i + 1
        ));
    }
    tb.push_str("sqlalchemy.exc.OperationalError: cannot settle batch for ops.oncall@netra-systems.example via postgresql://netra_app:Pa55w0rdXyz@10.0.0.7:5432/ledger");
    let mut out = Vec::new();
    for i in 0..6u32 {
        let entry = json!({
            "insertId": format!("lg{i:02}x7k2m9q"),
            "logName": "projects/netra-staging/logs/python",
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": "netra-billing", "revision_name": "netra-billing-00007-q2w"}},
            "severity": "ERROR",
            "timestamp": format!("2026-11-26T14:{:02}:{:02}.250Z", 5 + (3 + i * 40) / 60, (3 + i * 40) % 60),
            "jsonPayload": {"message": "Settlement failed", "stack_trace": tb},
        });
        out.extend_from_slice(entry.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn report() -> Report {
    let triage = TriageBuilder::new().build().unwrap();
    triage.run_slice(&logs(), &mut NoSink).unwrap()
}

/// `%XX` decoded once, as a browser reads a URL component.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The project, query and time range a Logs Explorer link opens.
fn decode_link(url: &str) -> (String, String, String) {
    let (path, project) = url.split_once('?').expect("?project=");
    let project = project.strip_prefix("project=").expect("project=");
    let mut params = path.split(';');
    assert_eq!(
        params.next(),
        Some("https://console.cloud.google.com/logs/query")
    );
    let mut query = None;
    let mut range = None;
    for p in params {
        match p.split_once('=') {
            Some(("query", v)) => query = Some(percent_decode(v)),
            Some(("timeRange", v)) => range = Some(percent_decode(v)),
            other => panic!("unexpected parameter {other:?}"),
        }
    }
    (
        percent_decode(project),
        query.expect("query"),
        range.expect("timeRange"),
    )
}

#[test]
fn a_draft_holds_the_facts_the_scrubbed_traceback_and_a_link_to_its_samples() {
    let report = report();
    assert_eq!(report.groups.len(), 1);
    let group = &report.groups[0];
    let draft = Draft::of(group).expect("no known issue");
    assert_eq!(
        draft.file_name,
        format!("unclassified-{}.md", group.fingerprint)
    );
    let body = &draft.body;
    // Said at the top: scrubbed.
    let first_lines: Vec<&str> = body.lines().take(2).collect();
    assert!(
        first_lines[0].starts_with("<!-- logtriage draft: "),
        "{body}"
    );
    assert!(first_lines[1].contains("scrubbed"), "{body}");
    // The facts table.
    for row in [
        "| Category | unclassified |",
        "| Events | 6 |",
        "| First seen | 2026-11-26T14:05:03.250Z |",
        "| Last seen | 2026-11-26T14:08:23.250Z |",
        "| Services | netra-billing |",
        "| Revisions | netra-billing-00007-q2w |",
        "| Exception | sqlalchemy.exc.OperationalError |",
    ] {
        assert!(body.contains(row), "{row} missing in\n{body}");
    }
    // The traceback, scrubbed, cut to 60 lines: its first lines and its end.
    let fenced: Vec<&str> = body
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a fenced traceback")
        .lines()
        .collect();
    assert_eq!(fenced.len(), DRAFT_LINES, "{body}");
    // The record's header line, the mark of the lines left out (the sample text had cut
    // some already), the innermost frames.
    assert_eq!(fenced[0], "Settlement failed");
    assert_eq!(fenced[1], "…");
    assert_eq!(
        fenced[DRAFT_LINES - 3],
        "  File \"/app/netra_backend/app/billing/ledger.py\", line 189, in settle_batch_89"
    );
    let last = fenced.last().unwrap();
    assert_eq!(*last, "sqlalchemy.exc.OperationalError: cannot settle batch for [email] via postgresql://netra_app:[Filtered]@10.0.0.7:5432/ledger");
    assert!(
        !body.contains("Pa55w0rdXyz") && !body.contains("ops.oncall@"),
        "{body}"
    );
    // The suggested title was cut inside the DSN: the cut word goes, no half secret stays.
    assert_eq!(
        draft.title,
        "sqlalchemy.exc.OperationalError: cannot settle batch for [email]…"
    );
    // Five samples, then the link that opens exactly them.
    let samples: Vec<String> = (0..5).map(|i| format!("lg{i:02}x7k2m9q")).collect();
    for id in &samples {
        assert!(body.contains(&format!("- `{id}`")), "{body}");
    }
    let url = group.logs_url.as_deref().expect("a link");
    assert!(body.contains(&format!("[Open these entries in Logs Explorer]({url})")));
    let (project, query, range) = decode_link(url);
    assert_eq!(project, "netra-staging");
    let want: Vec<String> = samples
        .iter()
        .map(|id| format!("insertId=\"{id}\""))
        .collect();
    assert_eq!(query, want.join(" OR "));
    // A minute before the first sample's second, a minute after the last one's.
    assert_eq!(range, "2026-11-26T14:04:03Z/2026-11-26T14:09:24Z");
    // The encoding keeps the query one value: no raw separator of the URL inside it.
    let raw_query = url
        .split(";query=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert!(
        !raw_query.contains([' ', '"', '=', '?', '/']),
        "{raw_query}"
    );
}

#[test]
fn a_tracked_group_has_no_draft() {
    let triage = TriageBuilder::new()
        .known_issues(
            logtriage::KnownIssues::from_json(
                r#"{"issues": [{"id": 77, "title": "ledger", "category": "unclassified"}]}"#,
                "known.json",
                logtriage::Classifier::builtin().categories(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let report = triage.run_slice(&logs(), &mut NoSink).unwrap();
    assert!(Draft::of(&report.groups[0]).is_none());
    assert!(
        report.groups[0].logs_url.is_some(),
        "every group has its link"
    );
}

#[test]
fn drafts_keep_their_names_across_runs_and_the_directory_is_checked() {
    let root = std::env::temp_dir().join(format!("logtriage-drafts-{}", std::process::id()));
    let dir = root.join("drafts").join("nested");
    let _ = std::fs::remove_dir_all(&root);
    let report = report();
    let first = write_drafts(&report, &dir).unwrap();
    assert_eq!(first.len(), 1);
    let written = std::fs::read_to_string(&first[0].path).unwrap();
    assert_eq!(written, first[0].draft.body);
    let second = write_drafts(&report, &dir).unwrap();
    assert_eq!(second, first);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "overwritten, not duplicated"
    );
    let command = first[0].gh_command();
    assert_eq!(
        command,
        format!(
            "gh issue create --title '{}' --body-file '{}'",
            first[0].draft.title,
            first[0].path.display()
        )
    );
    // A path under a file cannot be a directory.
    let file = root.join("a-file");
    std::fs::write(&file, "x").unwrap();
    match prepare_dir(&file.join("drafts")) {
        Err(e @ Error::Drafts { .. }) => assert!(e.to_string().contains("a-file/drafts"), "{e}"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&root).unwrap();
}
