//! What a plain-text line says about itself: the time at its start and the service its
//! prefix names, for input that has no `timestamp` or `resource.labels` fields.
//!
//! Prefixes, outermost first (each optional):
//! - a viewer's or process manager's prefix that names the service: `kubectl logs --prefix`'s
//!   `[pod/<pod>/<container>] ` (the container), `docker compose logs`' `<service>-<n>  | `
//!   (the service, without its replica number), honcho's `HH:MM:SS <process>.<n> | ` (the
//!   process), syslog's `Mmm dd HH:MM:SS <host> <tag>[<pid>]: ` (the tag, and a time without
//!   a year);
//! - a timestamp, bare or in brackets: RFC 3339 (`kubectl logs --timestamps`, `docker
//!   compose logs --timestamps`), `YYYY-MM-DD HH:MM:SS` with `,mmm` or `.fff` (Python
//!   logging, PostgreSQL, celery's `[... : ERROR/MainProcess]`), with a zone (`Z`, `UTC`,
//!   `GMT`, `+0000`, `+02:00`) or without (gunicorn's `[2026-11-26 10:00:00 +0000]`).
//!
//! Times are written as RFC 3339 in UTC (`2026-11-26T10:00:00Z`, fraction as given) when the
//! line gives a zone, without a zone when it gives none (the logger's local time), and as
//! ISO 8601's `--11-26T14:05:03` when it gives no year (syslog): strings that compare in time
//! order within one input, as Cloud Logging's do.

use crate::time::{civil_from_days, days_from_civil};

/// The time and service a plain-text line carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Own<'a> {
    /// The time at the start of the line, normalized (see the module docs).
    pub(crate) time: Option<String>,
    /// The service its prefix names.
    pub(crate) service: Option<&'a str>,
}

/// The time and service `line` carries at its start.
pub(crate) fn own(line: &str) -> Own<'_> {
    let mut own = Own::default();
    let mut rest = line;
    if let Some((service, after)) = kubectl_prefix(rest)
        .or_else(|| compose_prefix(rest))
        .or_else(|| honcho_prefix(rest))
    {
        own.service = Some(service);
        rest = after;
    } else if let Some((time, service, after)) = syslog_prefix(rest) {
        own.time = Some(time);
        own.service = Some(service);
        rest = after;
    }
    if own.time.is_none() {
        let bare = rest.strip_prefix('[').unwrap_or(rest);
        own.time = timestamp(bare);
    }
    own
}

/// `[pod/<pod>/<container>] `: the container.
fn kubectl_prefix(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix("[pod/")?;
    let (inside, rest) = inner.split_once("] ")?;
    let (_, container) = inside.rsplit_once('/')?;
    (!container.is_empty() && container.bytes().all(name_byte)).then_some((container, rest))
}

/// `<service>-<n>  | ` (compose v2) or `<service>_<n>  | ` (v1): the service.
fn compose_prefix(line: &str) -> Option<(&str, &str)> {
    let bar = memchr::memmem::find(line.as_bytes(), b" | ")?;
    let name = line.get(..bar)?.trim_end();
    if name.is_empty() || !name.bytes().all(name_byte) {
        return None;
    }
    let rest = line.get(bar + 3..)?;
    let service = name
        .rsplit_once(['-', '_'])
        .filter(|(base, n)| {
            !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        })
        .map_or(name, |(base, _)| base);
    Some((service, rest))
}

/// `HH:MM:SS <process>.<n>  | ` (honcho, foreman): the process.
fn honcho_prefix(line: &str) -> Option<(&str, &str)> {
    let clock = line.get(..8)?;
    if !is_clock(clock) || line.as_bytes().get(8) != Some(&b' ') {
        return None;
    }
    let after = line.get(9..)?;
    let bar = memchr::memmem::find(after.as_bytes(), b" | ")?;
    let name = after.get(..bar)?.trim_end();
    let (process, n) = name.rsplit_once('.')?;
    let plain = !process.is_empty() && process.bytes().all(name_byte);
    (plain && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .then_some((process, after.get(bar + 3..)?))
}

/// `Mmm dd HH:MM:SS <host> <tag>[<pid>]: ` or `... <tag>: ` (RFC 3164, journalctl's short
/// form): the time without a year, and the tag.
fn syslog_prefix(line: &str) -> Option<(String, &str, &str)> {
    let (month, day, clock, tag, rest) = syslog_parts(line)?;
    Some((format!("--{month:02}-{day:02}T{clock}"), tag, rest))
}

/// [`syslog_prefix`]'s month, day, clock, tag and the rest, borrowed.
fn syslog_parts(line: &str) -> Option<(usize, u32, &str, &str, &str)> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| line.starts_with(m))? + 1;
    let day_part = line.get(4..6)?;
    let day: u32 = day_part.trim_start().parse().ok()?;
    let clock = line.get(7..15)?;
    if line.as_bytes().get(3) != Some(&b' ') || !is_clock(clock) || !(1..=31).contains(&day) {
        return None;
    }
    let rest = line.get(15..)?;
    // journalctl's short-precise form adds a fraction to the clock.
    let rest = match rest.strip_prefix('.') {
        Some(fraction) => fraction.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    let (tag, rest) = host_and_tag(rest.strip_prefix(' ')?)?;
    Some((month, day, clock, tag, rest))
}

/// `<host> <tag>[<pid>]: `: the tag and the rest.
fn host_and_tag(rest: &str) -> Option<(&str, &str)> {
    let (host, rest) = rest.split_once(' ')?;
    let (tag, rest) = rest.split_once(": ")?;
    let tag = tag.split_once('[').map_or(tag, |(name, _)| name);
    let plain = |s: &str| !s.is_empty() && s.bytes().all(name_byte);
    (plain(host) && plain(tag)).then_some((tag, rest))
}

/// `line` after the prefix of a viewer or process manager it starts with (`kubectl logs
/// --prefix`, `docker compose`, honcho, foreman, syslog and journald, also `journalctl -o
/// short-iso`'s RFC 3339 time, torchrun's `[rank0]: `): the line's own level word comes
/// after it. This runs for candidate lines whose first words name no level; an indented
/// line (most of a traceback's) has no prefix and is passed at once.
pub(crate) fn after_viewer_prefix(line: &str) -> Option<&str> {
    if line.is_empty() || line.starts_with([' ', '\t']) {
        return None;
    }
    kubectl_prefix(line)
        .or_else(|| compose_prefix(line))
        .or_else(|| honcho_prefix(line))
        .map(|(_, rest)| rest)
        .or_else(|| syslog_parts(line).map(|(.., rest)| rest))
        .or_else(|| iso_syslog_rest(line))
        .or_else(|| torchrun_rest(line))
}

/// `2026-11-26T14:05:03+00:00 <host> <tag>[<pid>]: ` (`journalctl -o short-iso`): the rest.
fn iso_syslog_rest(line: &str) -> Option<&str> {
    let (time, rest) = line.split_once(' ')?;
    let iso = time.starts_with(|c: char| c.is_ascii_digit()) && time.contains('T');
    iso.then(|| host_and_tag(rest).map(|(_, rest)| rest))?
}

/// `[rank0]: ` (torchrun, one prefix per worker process): the rest.
fn torchrun_rest(line: &str) -> Option<&str> {
    let inner = line.strip_prefix("[rank")?;
    let (rank, rest) = inner.split_once("]: ")?;
    rank.bytes().all(|b| b.is_ascii_digit()).then_some(rest)
}

fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// `HH:MM:SS`.
fn is_clock(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b.iter().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                *c == b':'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// The normalized time at the start of `s`: `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, an
/// optional fraction after `.` or `,`, and an optional zone.
fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b' '))
        && is_clock(s.get(11..19)?);
    if !shape {
        return None;
    }
    let mut end = 19;
    let mut fraction = "";
    if matches!(b.get(19), Some(b'.' | b',')) {
        let n = b
            .get(20..)?
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if n > 0 {
            fraction = s.get(20..20 + n)?;
            end = 20 + n;
        }
    }
    let date = s.get(..10)?;
    let clock = s.get(11..19)?;
    let frac = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    let at = Civil::parse(date, clock)?;
    match zone(s.get(end..).unwrap_or("")) {
        Some(0) => Some(format!("{date}T{clock}{frac}Z")),
        Some(offset) => Some(format!("{}{frac}Z", at.minus_minutes(offset).rfc3339())),
        None => Some(format!("{date}T{clock}{frac}")),
    }
}

/// The zone right after a time, as minutes east of UTC: `Z`, ` UTC`, ` GMT`, `+0000`,
/// ` +02:00`, `-0500`. `None` when no zone is given (or one by name other than UTC/GMT).
fn zone(s: &str) -> Option<i64> {
    let t = s.strip_prefix(' ').unwrap_or(s);
    if t.starts_with('Z') || t.starts_with("UTC") || t.starts_with("GMT") {
        return Some(0);
    }
    let sign = match t.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hh: i64 = t.get(1..3)?.parse().ok()?;
    let mm_at = if t.as_bytes().get(3) == Some(&b':') {
        4
    } else {
        3
    };
    let mm: i64 = t.get(mm_at..mm_at + 2)?.parse().ok()?;
    (hh < 24 && mm < 60).then_some(sign * (hh * 60 + mm))
}

/// A civil date and time, for moving a time with an offset to UTC.
#[derive(Clone, Copy)]
struct Civil {
    days: i64,
    seconds: i64,
}

impl Civil {
    fn parse(date: &str, clock: &str) -> Option<Civil> {
        let y: i64 = date.get(0..4)?.parse().ok()?;
        let m: i64 = date.get(5..7)?.parse().ok()?;
        let d: i64 = date.get(8..10)?.parse().ok()?;
        let h: i64 = clock.get(0..2)?.parse().ok()?;
        let mi: i64 = clock.get(3..5)?.parse().ok()?;
        let s: i64 = clock.get(6..8)?.parse().ok()?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        Some(Civil {
            days: days_from_civil(y, m, d),
            seconds: h * 3600 + mi * 60 + s,
        })
    }

    fn minus_minutes(self, minutes: i64) -> Civil {
        let total = self.days * 86_400 + self.seconds - minutes * 60;
        Civil {
            days: total.div_euclid(86_400),
            seconds: total.rem_euclid(86_400),
        }
    }

    fn rfc3339(self) -> String {
        let (y, m, d) = civil_from_days(self.days);
        let s = self.seconds;
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_table() {
        let rows: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "[2026-11-26 10:00:01 +0000] [7] [ERROR] x",
                Some("2026-11-26T10:00:01Z"),
                None,
            ),
            (
                "[2026-11-26 00:30:00 +0200] [7] [ERROR] x",
                Some("2026-11-25T22:30:00Z"),
                None,
            ),
            (
                "[2026-12-31 23:30:00 -0100] x",
                Some("2027-01-01T00:30:00Z"),
                None,
            ),
            (
                "[2024-03-01 00:00:00 +01:00] leap",
                Some("2024-02-29T23:00:00Z"),
                None,
            ),
            (
                "2026-11-26T14:20:07.412331002Z ERROR: x",
                Some("2026-11-26T14:20:07.412331002Z"),
                None,
            ),
            (
                "2026-11-26 10:02:15,918 ERROR [a.b] x",
                Some("2026-11-26T10:02:15.918"),
                None,
            ),
            (
                "2026-11-26 14:02:11.200 UTC [3918] LOG:  x",
                Some("2026-11-26T14:02:11.200Z"),
                None,
            ),
            (
                "[2026-11-26 14:09:02,118: ERROR/MainProcess] x",
                Some("2026-11-26T14:09:02.118"),
                None,
            ),
            (
                "web-1  | 2026-11-26T14:30:00.000000000Z ERROR: x",
                Some("2026-11-26T14:30:00.000000000Z"),
                Some("web"),
            ),
            ("netra-backend-1  | ERROR: x", None, Some("netra-backend")),
            ("netra_auth_2 | x", None, Some("netra_auth")),
            ("redis | x", None, Some("redis")),
            (
                "[pod/netra-auth-5f7d9c8b4-qq2lm/auth] [2026-11-26 10:00:01 +0000] x",
                Some("2026-11-26T10:00:01Z"),
                Some("auth"),
            ),
            (
                "14:05:03 db.1     | 2026-11-26 14:05:03.100 UTC [812] LOG:  x",
                Some("2026-11-26T14:05:03.100Z"),
                Some("db"),
            ),
            (
                "Nov 26 14:05:03 db-1 postgres[812]: [3-1] LOG:  x",
                Some("--11-26T14:05:03"),
                Some("postgres"),
            ),
            (
                "Nov  6 04:05:03 api-1 netra-api: x",
                Some("--11-06T04:05:03"),
                Some("netra-api"),
            ),
            ("INFO:     Started server process [1]", None, None),
            ("2026-13-26 10:00:00 bad month", None, None),
            ("2026-11-26 10:00 no seconds", None, None),
            ("two words | x", None, None),
            ("Novel 26 ideas", None, None),
            ("", None, None),
            ("[", None, None),
            ("2026-11-26 10:00:00,", Some("2026-11-26T10:00:00"), None),
        ];
        for (line, time, service) in rows {
            let own = own(line);
            assert_eq!(own.time.as_deref(), *time, "{line}");
            assert_eq!(own.service, *service, "{line}");
        }
    }
}
