//! RFC 3339 timestamps as microseconds since the Unix epoch, for the lengths of spans: how
//! long a revision has run, how many hours a report covers. The report keeps the strings as
//! written; only these durations need numbers.
//!
//! What Cloud Logging writes is read: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of any
//! number of digits (microseconds are kept), and `Z` or a `±HH:MM` offset (`t`, `z` and a
//! space for `T` too). Anything else reads as no time.

/// The instant `ts` names, in microseconds since 1970-01-01T00:00:00Z; `None` when it is not
/// an RFC 3339 timestamp.
pub(crate) fn parse_micros(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        b.get(from..from + len)?.iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, want: &[u8]| b.get(at).is_some_and(|c| want.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut at = 19;
    let mut micros = 0;
    if sep(at, b".,") {
        at += 1;
        let digits = b
            .get(at..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        for i in 0..6 {
            micros = micros * 10 + if i < digits { num(at + i, 1)? } else { 0 };
        }
        at += digits;
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == b.len() && sep(at + 3, b":") => {
            let s = num(at + 1, 2)? * 3600 + num(at + 4, 2)? * 60;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    // A leap second (`:60`) reads as the next second's start; spans need no better.
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(secs * 1_000_000 + micros)
}

/// Seconds from `first` to `last` (RFC 3339), when both read as times.
pub(crate) fn seconds_between(first: &str, last: &str) -> Option<f64> {
    let (a, b) = (parse_micros(first)?, parse_micros(last)?);
    Some((b - a) as f64 / 1e6)
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::{parse_micros, seconds_between};

    #[test]
    fn reads_what_cloud_logging_writes() {
        let rows: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1970-01-01T00:00:01.5Z", Some(1_500_000)),
            ("2026-11-26T14:00:00Z", Some(1_795_701_600_000_000)),
            (
                "2026-11-26T14:00:00.123456789Z",
                Some(1_795_701_600_123_456),
            ),
            ("2026-11-26T15:00:00+01:00", Some(1_795_701_600_000_000)),
            ("2026-11-26 13:30:00-00:30", Some(1_795_701_600_000_000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000)),
            ("2026-11-26", None),
            ("2026-11-26T14:00:00", None),
            ("2026-13-26T14:00:00Z", None),
            ("2026-11-26T14:00:00.Z", None),
            ("2026-11-26T14:00:00Zjunk", None),
            ("", None),
        ];
        for (ts, want) in rows {
            assert_eq!(parse_micros(ts), *want, "{ts}");
        }
        assert_eq!(
            seconds_between("2026-11-26T14:01:00Z", "2026-11-26T14:19:30.5Z"),
            Some(1110.5)
        );
    }
}
