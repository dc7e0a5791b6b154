//! PostgreSQL server log lines, as the server writes them to stderr (behind any
//! `log_line_prefix`, as Cloud SQL's `postgres.log` holds them) or as `csvlog` records: the
//! backend's pid, the level and the message; for `csvlog`, the statement of its `query`
//! column too.

use std::borrow::Cow;

/// What a line's level makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Level {
    /// `ERROR`, `FATAL`, `PANIC`: an event, which the lines after it may continue.
    Error,
    /// `STATEMENT`: the statement of the error before it.
    Statement,
    /// `DETAIL`, `HINT`, `CONTEXT`, `QUERY`, `LOCATION`: more words of the error before it.
    Detail,
    /// `LOG`: statements, durations and the server's own notes.
    Log,
    /// `WARNING`, `NOTICE`, `INFO`, `DEBUG1`..`DEBUG5`.
    Other,
}

/// The levels as PostgreSQL writes them, each followed by `:` and two spaces.
const LEVELS: &[(&str, Level)] = &[
    ("ERROR", Level::Error),
    ("FATAL", Level::Error),
    ("PANIC", Level::Error),
    ("STATEMENT", Level::Statement),
    ("DETAIL", Level::Detail),
    ("HINT", Level::Detail),
    ("CONTEXT", Level::Detail),
    ("QUERY", Level::Detail),
    ("LOCATION", Level::Detail),
    ("LOG", Level::Log),
    ("WARNING", Level::Other),
    ("NOTICE", Level::Other),
    ("INFO", Level::Other),
    ("DEBUG1", Level::Other),
    ("DEBUG2", Level::Other),
    ("DEBUG3", Level::Other),
    ("DEBUG4", Level::Other),
    ("DEBUG5", Level::Other),
];

/// One PostgreSQL log line (or `csvlog` record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PgLine<'t> {
    /// The backend's pid (`%p` of the prefix, `process_id` of `csvlog`), when given.
    pub(super) pid: Option<&'t str>,
    /// The session's line number (`%l` of the prefix: Cloud SQL's `[N-1]`), when given.
    pub(super) number: Option<u64>,
    pub(super) level: Level,
    /// The level as written (`ERROR`, `FATAL`, `LOG`).
    pub(super) level_name: &'t str,
    /// The message, after the level.
    pub(super) message: Cow<'t, str>,
    /// `csvlog`'s `detail`, `hint` and `context` columns, as `DETAIL:  ...` lines.
    pub(super) details: String,
    /// `csvlog`'s `query` column: the statement of an error.
    pub(super) query: Option<Cow<'t, str>>,
    /// A `csvlog` record (whole: its columns hold the error's details).
    pub(super) csv: bool,
}

/// The PostgreSQL line `text` (its first line) holds, if it is one: a level followed by
/// `:` and exactly two spaces, after nothing or after a prefix that carries a `[pid]` or
/// starts with a digit (a time). uvicorn's `ERROR:    ` has four spaces and is not one.
pub(super) fn parse(text: &str) -> Option<PgLine<'_>> {
    let line = text.lines().next().unwrap_or("");
    if starts_csvlog(line) {
        return parse_csv(text).ok().flatten();
    }
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(bytes.get(from..)?, b":  ").map(|i| i + from) {
        from = at + 3;
        if bytes.get(at + 3).is_none_or(|b| *b == b' ') {
            continue;
        }
        let before = line.get(..at)?;
        let word_start = before.rfind([' ', '\t']).map_or(0, |i| i + 1);
        let word = before.get(word_start..)?;
        let Some((name, level)) = LEVELS.iter().find(|(n, _)| *n == word) else {
            continue;
        };
        let prefix = before.get(..word_start)?;
        let pid = pid_in(prefix);
        let number = pid.and_then(|_| number_in(prefix));
        let prefixed = prefix.is_empty()
            || pid.is_some()
            || prefix.as_bytes().first().is_some_and(u8::is_ascii_digit);
        if !prefixed {
            return None;
        }
        return Some(PgLine {
            pid,
            number,
            level: *level,
            level_name: name,
            message: Cow::Borrowed(text.get(at + 3..)?.trim_end()),
            details: String::new(),
            query: None,
            csv: false,
        });
    }
    None
}

/// The first `[digits]` of a prefix: `%p` in `%m [%p] ` and in Cloud SQL's
/// `%m [%p]: [%l-1] db=%d,user=%u `, or a syslog tag's `postgres[812]`.
fn pid_in(prefix: &str) -> Option<&str> {
    let mut rest = prefix;
    while let Some(open) = rest.find('[') {
        let after = rest.get(open + 1..)?;
        let close = after.find(']')?;
        let inside = after.get(..close)?;
        if !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_digit()) {
            return Some(inside);
        }
        rest = after;
    }
    None
}

/// The session line number of a prefix: `N` of the first `[N-M]` (Cloud SQL's `[%l-1]`).
fn number_in(prefix: &str) -> Option<u64> {
    let mut rest = prefix;
    while let Some(open) = rest.find('[') {
        let after = rest.get(open + 1..)?;
        let close = after.find(']')?;
        let inside = after.get(..close)?;
        if let Some((n, m)) = inside.split_once('-') {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if digits(n) && digits(m) {
                return n.parse().ok();
            }
        }
        rest = after;
    }
    None
}

/// Whether `line` starts like a `csvlog` record: `YYYY-MM-DD HH:MM:SS` and, after the
/// time's fraction and zone, a comma.
pub(super) fn starts_csvlog(line: &str) -> bool {
    let b = line.as_bytes();
    let shape = b.len() > 20
        && b.get(..4).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && b.get(4) == Some(&b'-')
        && b.get(10) == Some(&b' ')
        && b.get(13) == Some(&b':');
    shape
        && line
            .get(19..)
            .and_then(|rest| rest.split_once(','))
            .is_some_and(|(zone, _)| zone.len() <= 12 && !zone.contains('"'))
}

/// Whether the quotes of `text` (a `csvlog` record so far) are balanced: a record whose
/// quoted field holds a newline goes on on the next line.
pub(super) fn csv_complete(text: &str) -> bool {
    text.bytes().filter(|b| *b == b'"').count() % 2 == 0
}

/// The `csvlog` columns read (0-based): `process_id`, `error_severity`, `message`, `detail`,
/// `hint`, `context`, `query`.
const PID: usize = 3;
const SEVERITY: usize = 11;
const MESSAGE: usize = 13;
const DETAIL: usize = 14;
const HINT: usize = 15;
const CONTEXT: usize = 18;
const QUERY: usize = 19;

/// A whole `csvlog` record as a line; `Err(())` when its quotes are not balanced yet (the
/// record goes on), `Ok(None)` when it is not a record PostgreSQL writes.
pub(super) fn parse_csv(text: &str) -> Result<Option<PgLine<'_>>, ()> {
    if !csv_complete(text) {
        return Err(());
    }
    let fields = csv_fields(text);
    let field = |i: usize| fields.get(i).cloned().unwrap_or(Cow::Borrowed(""));
    let level_name = match fields.get(SEVERITY) {
        Some(Cow::Borrowed(s)) => *s,
        _ => return Ok(None),
    };
    let Some((name, level)) = LEVELS.iter().find(|(n, _)| *n == level_name) else {
        return Ok(None);
    };
    if fields.len() <= MESSAGE {
        return Ok(None);
    }
    let pid = match fields.get(PID) {
        Some(Cow::Borrowed(p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(*p)
        }
        _ => None,
    };
    let mut details = String::new();
    for (label, i) in [("DETAIL", DETAIL), ("HINT", HINT), ("CONTEXT", CONTEXT)] {
        let value = field(i);
        if !value.is_empty() {
            details.push_str(&format!("\n{label}:  {value}"));
        }
    }
    let query = Some(field(QUERY)).filter(|q| !q.trim().is_empty());
    Ok(Some(PgLine {
        pid,
        number: None,
        level: *level,
        level_name: name,
        message: field(MESSAGE),
        details,
        query,
        csv: true,
    }))
}

/// The fields of a CSV record: `,` separated, `"` quoted with `""` for a quote inside.
fn csv_fields(text: &str) -> Vec<Cow<'_, str>> {
    let mut fields = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            while j < b.len() {
                if b.get(j) == Some(&b'"') {
                    if b.get(j + 1) == Some(&b'"') {
                        escaped = true;
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            let raw = text.get(start..j.min(b.len())).unwrap_or("");
            fields.push(if escaped {
                Cow::Owned(raw.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(raw)
            });
            i = j + 1;
        } else {
            let end = memchr::memchr(b',', b.get(i..).unwrap_or(&[])).map_or(b.len(), |n| i + n);
            fields.push(Cow::Borrowed(text.get(i..end).unwrap_or("").trim_end()));
            i = end;
        }
        // After a field: a comma and the next one, or the end.
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return fields,
        }
    }
}

/// The statement a `LOG` message logs on its own: `statement: S` (`log_statement`), or
/// `execute <name>: S` (the extended protocol).
pub(super) fn logged_statement(message: &str) -> Option<&str> {
    if let Some(s) = message.strip_prefix("statement: ") {
        return Some(s.trim());
    }
    let rest = message.strip_prefix("execute ")?;
    rest.split_once(": ").map(|(_, s)| s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_lines() {
        type Parsed<'a> = Option<(Option<&'a str>, Level, &'a str)>;
        let rows: &[(&str, Parsed<'_>)] = &[
            (
                "2026-11-26 14:02:11.200 UTC [3918] LOG:  statement: SELECT 1",
                Some((Some("3918"), Level::Log, "statement: SELECT 1")),
            ),
            (
                "2026-11-26 14:15:55.710 UTC [4185]: [1-1] db=netra_staging,user=netra_app ERROR:  canceling statement due to statement timeout",
                Some((Some("4185"), Level::Error, "canceling statement due to statement timeout")),
            ),
            (
                "Nov 26 14:05:03 db-1 postgres[812]: [3-1] STATEMENT:  SELECT 1",
                Some((Some("812"), Level::Statement, "SELECT 1")),
            ),
            ("FATAL:  the database system is starting up", Some((None, Level::Error, "the database system is starting up"))),
            ("ERROR:    Exception in ASGI application", None),
            ("WARNING:  StatReload detected changes", Some((None, Level::Other, "StatReload detected changes"))),
            ("app said ERROR:  x", None),
            ("INFO:     10.0.0.1:5000 - \"GET /health HTTP/1.1\" 200 OK", None),
            ("", None),
        ];
        for (line, want) in rows {
            let got = parse(line).map(|p| (p.pid, p.level, p.message.into_owned()));
            let want = want.map(|(pid, level, m)| (pid, level, m.to_string()));
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn csvlog_records() {
        let line = "2026-11-26 14:18:00.730 UTC,\"netra_app\",\"netra_staging\",12395,\"10.0.0.7:52360\",6745a1f2.306b,3,\"SELECT\",2026-11-26 14:17:46 UTC,21/623,0,ERROR,57014,\"canceling statement due to statement timeout\",,,,,\"in relation \"\"threads\"\"\",\"SELECT 'a''b'\",,,\"netra-backend\",\"client backend\",,-88";
        let p = parse(line).expect("a record");
        assert_eq!(p.pid, Some("12395"));
        assert_eq!(p.level, Level::Error);
        assert_eq!(p.message, "canceling statement due to statement timeout");
        assert_eq!(p.query.as_deref(), Some("SELECT 'a''b'"));
        assert_eq!(p.details, "\nCONTEXT:  in relation \"threads\"");
        let open = "2026-11-26 14:19:02.415 UTC,\"u\",\"d\",5678,\"h\",s,3,\"UPDATE\",2026-11-26 14:18:59 UTC,3/7,742,ERROR,40P01,\"deadlock detected\",\"Process 5678 waits";
        assert!(starts_csvlog(open));
        assert_eq!(parse_csv(open), Err(()));
        assert!(!starts_csvlog(
            "2026-11-26 14:02:11.200 UTC [3918] LOG:  statement: SELECT 1, 2"
        ));
        assert_eq!(parse_csv("2026-11-26 14:00:00 UTC,a,b"), Ok(None));
    }

    #[test]
    fn statements_logged_alone() {
        assert_eq!(logged_statement("statement: SELECT 1"), Some("SELECT 1"));
        assert_eq!(
            logged_statement("execute <unnamed>: SELECT $1"),
            Some("SELECT $1")
        );
        assert_eq!(logged_statement("duration: 1.0 ms"), None);
        assert_eq!(logged_statement("connection received: host=x"), None);
    }
}
