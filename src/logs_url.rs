//! Logs Explorer links: the console address that opens exactly a group's sample entries.
//!
//! `https://console.cloud.google.com/logs/query;query=Q;timeRange=START%2FEND?project=P`:
//! the query `insertId="a" OR insertId="b"` and the time range are matrix parameters (each
//! after a `;`), percent-encoded with only RFC 3986's unreserved characters kept, as the
//! console writes them (`%20` for a space, `%22` for a quote); the project id goes last, as
//! the query string. The range runs from a minute before the first sample's time to a
//! minute after the last one's: the console's default window is the last hour, so a link
//! without a range would show nothing for older entries.

use crate::time::{format_seconds, parse_micros, SECOND_US};
use std::fmt::Write;

/// The console page the links open.
const BASE: &str = "https://console.cloud.google.com/logs/query";
/// The time range is widened by this many seconds on each side.
const PAD_SECONDS: i64 = 60;

/// The project id in a `logName`: `netra-staging` in
/// `projects/netra-staging/logs/run.googleapis.com%2Fstderr`; `None` for the log names of
/// organizations, folders and billing accounts.
pub(crate) fn project_of_log_name(log_name: &str) -> Option<&str> {
    let rest = log_name.strip_prefix("projects/")?;
    let (project, _) = rest.split_once('/')?;
    (!project.is_empty()).then_some(project)
}

/// The link that opens the entries `insert_ids` of `project`, whose times lie between
/// `first` and `last` (RFC 3339). `None` without a project or an id. Without both times,
/// the link has no range.
pub(crate) fn logs_explorer_url(
    project: &str,
    insert_ids: &[String],
    first: Option<&str>,
    last: Option<&str>,
) -> Option<String> {
    if project.is_empty() || insert_ids.is_empty() {
        return None;
    }
    let query = insert_ids
        .iter()
        .map(|id| format!("insertId=\"{}\"", id.replace(['\\', '"'], "")))
        .collect::<Vec<_>>()
        .join(" OR ");
    let mut url = format!("{BASE};query={}", percent_encode(&query));
    let seconds = |ts: &str| parse_micros(ts.trim()).map(|us| us.div_euclid(SECOND_US));
    let range = first.and_then(seconds).zip(last.and_then(seconds));
    if let Some((start, end)) = range {
        let (start, end) = (start.min(end), start.max(end));
        // `end` is the last sample's second: its fraction is inside the next second.
        let _ = write!(
            url,
            ";timeRange={}%2F{}",
            format_seconds(start - PAD_SECONDS),
            format_seconds(end + 1 + PAD_SECONDS)
        );
    }
    let _ = write!(url, "?project={}", percent_encode(project));
    Some(url)
}

/// `text` with every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`)
/// written as `%XX`.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_from_log_name() {
        assert_eq!(
            project_of_log_name("projects/netra-staging/logs/run.googleapis.com%2Fstderr"),
            Some("netra-staging")
        );
        assert_eq!(project_of_log_name("organizations/123/logs/x"), None);
        assert_eq!(project_of_log_name("projects//logs/x"), None);
    }

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(
            percent_encode(r#"insertId="a-1_b.c~" OR x;y?z/w:v"#),
            "insertId%3D%22a-1_b.c~%22%20OR%20x%3By%3Fz%2Fw%3Av"
        );
    }
}
