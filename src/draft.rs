//! Issue drafts: for each group that no known issue tracks, a Markdown file ready to file
//! with `gh issue create --title ... --body-file ...`.
//!
//! A draft holds the suggested title (in a comment on its first line), a note that it was
//! scrubbed, a table of the group's facts (category, count, first and last seen, services,
//! revisions, subject, where the app raised it, fingerprint), its representative traceback
//! or message cut to [`DRAFT_LINES`] lines, its sample `insertId`s, and the Logs Explorer
//! link that opens them. Every text taken from the logs is scrubbed ([`crate::scrub`]).
//!
//! Its file name is `<category>-<fingerprint>.md`: a second run over the same failures
//! overwrites its drafts instead of adding copies.

use crate::error::{Error, Result};
use crate::group::Group;
use crate::report::Report;
use crate::scrub::{scrub, scrub_title, EMAIL, FILTERED};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The most lines of traceback or message a draft quotes.
pub const DRAFT_LINES: usize = 60;

/// One issue draft.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Draft {
    /// `<category>-<fingerprint>.md`.
    pub file_name: String,
    /// The issue's title (the group's suggested title, scrubbed).
    pub title: String,
    /// The Markdown body.
    pub body: String,
}

/// A draft written to a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WrittenDraft {
    /// Where it was written.
    pub path: PathBuf,
    /// What was written.
    pub draft: Draft,
}

impl WrittenDraft {
    /// The command that files it: `gh issue create --title '...' --body-file '...'`, each
    /// argument quoted for a POSIX shell.
    pub fn gh_command(&self) -> String {
        format!(
            "gh issue create --title {} --body-file {}",
            shell_quote(&self.draft.title),
            shell_quote(&self.path.display().to_string())
        )
    }
}

impl Draft {
    /// The draft of a group, or `None` when a known issue tracks it.
    ///
    /// ```
    /// let triage = logtriage::TriageBuilder::new().build()?;
    /// let logs = br#"{"insertId":"e1","logName":"projects/netra-staging/logs/python","timestamp":"2026-11-26T14:05:03Z","severity":"ERROR","textPayload":"Login failed for ops@netra.example with password=hunter2"}"#;
    /// let report = triage.run_slice(logs, &mut logtriage::NoSink)?;
    /// let draft = logtriage::Draft::of(&report.groups[0]).expect("no known issue tracks it");
    /// assert!(draft.file_name.starts_with("unclassified-"));
    /// assert!(draft.body.contains("password=[Filtered]") && !draft.body.contains("hunter2"));
    /// assert!(draft.body.contains("https://console.cloud.google.com/logs/query;query=insertId%3D%22e1%22"));
    /// # Ok::<(), logtriage::Error>(())
    /// ```
    pub fn of(group: &Group) -> Option<Draft> {
        // A symptom whose every event a cause explains is that cause's issue, not one of its
        // own (the cause's impact line counts it).
        if group.known_issue.is_some() || group.unexplained == Some(0) {
            return None;
        }
        let title = match &group.suggested_title {
            Some(title) => scrub_title(title),
            None => scrub_title(&group.message),
        };
        let file_name = format!("{}-{}.md", group.category, group.fingerprint);
        let body = body(group, &title);
        Some(Draft {
            file_name,
            title,
            body,
        })
    }
}

/// Creates `dir` if it is missing and checks that a file can be written in it, so that a
/// run fails before it reads its input rather than after.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    let error = |source| Error::Drafts {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    let probe = dir.join(format!(".logtriage-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(error)?;
    std::fs::remove_file(&probe).map_err(error)
}

/// Writes the draft of every group of `report` that no known issue tracks into `dir`
/// (created if missing), in report order.
pub fn write_drafts(report: &Report, dir: &Path) -> Result<Vec<WrittenDraft>> {
    prepare_dir(dir)?;
    let mut written = Vec::new();
    for draft in report.groups.iter().filter_map(Draft::of) {
        let path = dir.join(&draft.file_name);
        std::fs::write(&path, &draft.body).map_err(|source| Error::Drafts {
            dir: dir.to_path_buf(),
            source,
        })?;
        written.push(WrittenDraft { path, draft });
    }
    Ok(written)
}

fn body(g: &Group, title: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "<!-- logtriage draft: {} -->",
        title.replace("--", "- -")
    );
    let _ = writeln!(
        md,
        "> Drafted by logtriage from Cloud Logging entries. Secrets and e-mail addresses were \
         scrubbed: credentials and tokens read `{FILTERED}`, addresses `{EMAIL}`.\n"
    );
    md.push_str("| | |\n|---|---|\n");
    let mut row = |name: &str, value: String| {
        if !value.is_empty() {
            let _ = writeln!(md, "| {name} | {} |", cell(&value));
        }
    };
    row("Category", g.category.to_string());
    row("Events", g.count.to_string());
    row("First seen", g.first_seen.clone().unwrap_or_default());
    row("Last seen", g.last_seen.clone().unwrap_or_default());
    row("Services", list(&g.services));
    let revisions: Vec<&str> = g.revisions.iter().map(|r| r.revision.as_str()).collect();
    row("Revisions", revisions.join(", "));
    row("Exception", g.exception.clone().unwrap_or_default());
    row(
        "Subject",
        g.subject
            .as_deref()
            .map(|s| scrub(s).into_owned())
            .unwrap_or_default(),
    );
    if let Some(f) = &g.top_frame {
        let at = match f.line {
            Some(line) => format!("{}:{line} in {}", f.file, f.function),
            None => format!("{} in {}", f.file, f.function),
        };
        row("Raised at", at);
    }
    row("Fingerprint", g.fingerprint.to_string());
    let (heading, text) = match (&g.exception, &g.sample_text) {
        (Some(_), Some(text)) => ("Traceback", text.as_str()),
        (None, Some(text)) => ("Message", text.as_str()),
        (_, None) => ("Message", g.message.as_str()),
    };
    let text = scrub(text);
    let quoted = cut_lines(&text, DRAFT_LINES);
    let fence = "`".repeat(longest_backtick_run(&quoted).max(2) + 1);
    let _ = writeln!(md, "\n## {heading}\n\n{fence}text\n{quoted}\n{fence}");
    if !g.samples.is_empty() {
        let _ = writeln!(md, "\n## Samples\n");
        for id in &g.samples {
            let _ = writeln!(md, "- `{id}`");
        }
    }
    match &g.logs_url {
        Some(url) => {
            let _ = writeln!(md, "\n[Open these entries in Logs Explorer]({url})");
        }
        None => {
            let _ = writeln!(
                md,
                "\nNo Logs Explorer link: the entries name no project or no `insertId` \
                 (plain text input)."
            );
        }
    }
    md
}

/// A table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn list(items: &std::collections::BTreeSet<String>) -> String {
    items
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` in at most `max` lines: its first line (the record's header, or `Traceback ...`),
/// a `...<N lines>...` line, and its last lines (the innermost frames and the exception),
/// as [`Group::sample_text`] keeps a long text. When the lines left out hold that cut's own
/// `…` line, how many were left out in all is unknown, and the mark is `…` again.
fn cut_lines(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    if lines.len() <= max || max < 3 {
        return lines.join("\n");
    }
    let tail = max - 2;
    let dropped = lines.get(1..lines.len() - tail).unwrap_or_default();
    let mark = match dropped.contains(&"…") {
        true => "…".to_string(),
        false => format!("...<{} lines>...", dropped.len()),
    };
    let mut out = vec![lines[0].to_string(), mark];
    out.extend(lines.iter().skip(lines.len() - tail).map(|l| l.to_string()));
    out.join("\n")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// `text` in single quotes for a POSIX shell (`'` written as `'\''`).
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
