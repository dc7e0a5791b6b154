//! Logs Explorer links: the console address that opens exactly a group's sample entries.
//!
//! `https://console.cloud.google.com/logs/query;query=Q;timeRange=START%2FEND?project=P`:
//! the query `insertId="a" OR insertId="b"` and the time range are matrix parameters (each
//! after a `;`), percent-encoded with only RFC 3986's unreserved characters kept, as the
//! console writes them (`%20` for a space, `%22` for a quote); the project id goes last, as
//! the query string. The range runs from a minute before the first sample's time to a
//! minute after the last one's: the console's default window is the last hour, so a link
//! without a range would show nothing for older entries.

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
    let range = first
        .and_then(unix_seconds)
        .zip(last.and_then(unix_seconds));
    if let Some((start, end)) = range {
        let (start, end) = (start.min(end), start.max(end));
        // `end` is the last sample's second: its fraction is inside the next second.
        let _ = write!(
            url,
            ";timeRange={}%2F{}",
            rfc3339(start - PAD_SECONDS),
            rfc3339(end + 1 + PAD_SECONDS)
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

/// The seconds since 1970 of an RFC 3339 time (`2026-11-26T14:05:03.123Z`, or with an
/// offset `+02:00`); the fraction is dropped.
pub(crate) fn unix_seconds(ts: &str) -> Option<i64> {
    let b = ts.trim().as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| b.get(i) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let minutes = num(i + 1, 2)? * 60 + num(i + 4, 2)?;
            if sign == b'+' {
                minutes * 60
            } else {
                -minutes * 60
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// `2026-11-26T14:05:03Z` for seconds since 1970.
pub(crate) fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_seconds() {
        let rows = [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-11-26T14:05:03.123456789Z", 1_795_701_903),
            ("2026-11-26T16:05:03+02:00", 1_795_701_903),
            ("2024-02-29T23:59:59Z", 1_709_251_199),
            ("2000-03-01T00:00:00Z", 951_868_800),
        ];
        for (ts, secs) in rows {
            assert_eq!(unix_seconds(ts), Some(secs), "{ts}");
        }
        for secs in [0, 951_868_800, 1_709_251_199, 1_795_701_903, 4_102_444_800] {
            assert_eq!(unix_seconds(&rfc3339(secs)), Some(secs));
        }
        for bad in [
            "",
            "2026-11-26",
            "2026-13-01T00:00:00Z",
            "2026-11-26T14:05:03",
            "x026-11-26T14:05:03Z",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }

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
