//! Slow queries: PostgreSQL (Cloud SQL) `duration:` lines, MySQL's slow log, and structured
//! payloads with a numeric `duration_ms`.

use super::model::SlowQuery;
use crate::entry::Entry;
use crate::prefilter::leading_number;

/// A slow query: PostgreSQL `duration: N ms  statement: ...`, MySQL `# Query_time: N`, or a
/// JSON payload with a numeric `duration_ms` and a `query`, `statement` or `sql`.
pub(super) fn slow_query(entry: &Entry<'_>, text: &str) -> Option<SlowQuery> {
    if let Some(duration_ms) = entry.duration_ms {
        let statement = ["query", "statement", "sql"]
            .iter()
            .find_map(|k| entry.json_string(k));
        if let Some(statement) = statement {
            return Some(SlowQuery {
                duration_ms,
                statement: statement.to_string(),
            });
        }
    }
    postgres_duration(text).or_else(|| mysql_query_time(text))
}

/// `LOG:  duration: 5123.456 ms  statement: SELECT ...`, `duration: 1843.2 ms  execute
/// <unnamed>: SELECT ...` (also `parse`/`bind`); a bare `duration: N ms` has no statement.
pub(super) fn postgres_duration(text: &str) -> Option<SlowQuery> {
    let at = finder!("duration: ").find(text.as_bytes())?;
    let rest = text.get(at + "duration: ".len()..)?;
    let (duration_ms, rest) = number_in(rest)?;
    let rest = rest.strip_prefix(" ms")?.trim_start();
    let statement = if let Some(s) = rest.strip_prefix("statement: ") {
        s
    } else if ["execute ", "parse ", "bind "]
        .iter()
        .any(|p| rest.starts_with(p))
    {
        rest.split_once(": ").map_or("", |(_, s)| s)
    } else {
        ""
    };
    Some(SlowQuery {
        duration_ms,
        statement: statement.trim().to_string(),
    })
}

/// A MySQL slow-log block: `# Query_time: 3.000123  Lock_time: ...`, the statement on the
/// lines after it that are not comments or `SET timestamp=` / `use`.
pub(super) fn mysql_query_time(text: &str) -> Option<SlowQuery> {
    let at = text.find("# Query_time: ")?;
    let rest = text.get(at + "# Query_time: ".len()..)?;
    let (seconds, _) = number_in(rest)?;
    let statement: Vec<&str> = rest
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| {
            !(l.is_empty()
                || l.starts_with('#')
                || l.starts_with("SET timestamp=")
                || l.starts_with("use "))
        })
        .collect();
    Some(SlowQuery {
        duration_ms: seconds * 1000.0,
        statement: statement.join(" "),
    })
}

/// The duration at the start of `text` as the prefilter reads it, and the text after it.
fn number_in(text: &str) -> Option<(f64, &str)> {
    let (n, after) = leading_number(text.as_bytes())?;
    Some((n, text.get(text.len() - after.len()..)?))
}
