//! RFC 3339 timestamps as instants (to the nanosecond) and microseconds since the Unix
//! epoch, and back as whole minutes. The crate's one time parser.
//!
//! Linking a symptom to its cause compares times (a request's span, 60 s before an exit),
//! timelines count events per minute, and deploys and baselines need the lengths of spans
//! (how long a revision has run, how many hours a report covers), so timestamps are read as
//! numbers; the report keeps the strings as written. Only what Cloud Logging writes is read: `YYYY-MM-DDTHH:MM:SS`,
//! an optional fraction of up to 9 digits, and `Z` or a `±HH:MM` offset (`t`, `z` and a
//! space for `T` are accepted too). Anything else reads as no time: the event is still
//! counted and grouped, only not placed in time.

/// Microseconds in one second.
pub(crate) const SECOND_US: i64 = 1_000_000;
/// Microseconds in one minute.
pub(crate) const MINUTE_US: i64 = 60 * SECOND_US;

/// An instant to the nanosecond: seconds since 1970-01-01T00:00:00Z and the nanoseconds
/// into that second. Instants compare in time order: `…:02Z` is before `…:02.5Z` (their
/// strings sort the other way), and `15:00:00+01:00` is `14:00:00Z`. Event assembly orders a
/// stream's entries by them (Cloud Logging writes up to nine digits of fraction, and lines
/// a microsecond apart must not tie), and a group's first and last seen go by them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct Instant {
    seconds: i64,
    nanos: u32,
}

impl Instant {
    /// Microseconds since the epoch (the fraction past them dropped).
    pub(crate) fn micros(self) -> i64 {
        self.seconds * SECOND_US + i64::from(self.nanos / 1000)
    }
}

/// The instant `ts` names, in microseconds since 1970-01-01T00:00:00Z; `None` when it is not
/// an RFC 3339 timestamp.
pub(crate) fn parse_micros(ts: &str) -> Option<i64> {
    parse(ts).map(Instant::micros)
}

/// The instant `ts` names, to the nanosecond; `None` when it is not an RFC 3339 timestamp.
pub(crate) fn parse(ts: &str) -> Option<Instant> {
    let b = ts.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, d| {
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
    // A leap second (`:60`) is read as the last nanosecond of its minute's 59th second.
    if second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
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
        // Digits past the ninth are below a nanosecond.
        for i in 0..9 {
            let digit = if i < digits { num(at + i, 1)? } else { 0 };
            nanos = nanos * 10 + digit as u32;
        }
        at += digits;
    }
    let offset_s = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == b.len() && sep(at + 3, b":") => {
            let (h, m) = (num(at + 1, 2)?, num(at + 4, 2)?);
            let s = h * 3600 + m * 60;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let (second, nanos) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(Instant { seconds, nanos })
}

/// Seconds from `first` to `last` (RFC 3339), when both read as times.
pub(crate) fn seconds_between(first: &str, last: &str) -> Option<f64> {
    let (a, b) = (parse_micros(first)?, parse_micros(last)?);
    Some((b - a) as f64 / SECOND_US as f64)
}

/// The minute (minutes since the epoch, rounded down) that `micros` falls in.
pub(crate) fn minute_of(micros: i64) -> i64 {
    micros.div_euclid(MINUTE_US)
}

/// `2026-11-26T14:05:00Z` for a minute since the epoch.
pub(crate) fn format_minute(minute: i64) -> String {
    format_seconds(minute * 60)
}

/// `2026-11-26T14:05:03Z` for seconds since the epoch.
pub(crate) fn format_seconds(seconds: i64) -> String {
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
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (the inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_cloud_logging_writes_them() {
        let base = 1_795_701_600 * SECOND_US; // 2026-11-26T14:00:00Z
        let rows: &[(&str, Option<i64>)] = &[
            ("2026-11-26T14:00:00Z", Some(base)),
            ("2026-11-26T14:00:00.5Z", Some(base + 500_000)),
            ("2026-11-26T14:05:02.958210Z", Some(base + 302_958_210)),
            ("2026-11-26T14:05:02.958210999Z", Some(base + 302_958_210)),
            ("2026-11-26T15:00:00+01:00", Some(base)),
            ("2026-11-26T13:30:00-00:30", Some(base)),
            ("2026-11-26 14:00:00z", Some(base)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1969-12-31T23:59:59Z", Some(-SECOND_US)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800 * SECOND_US)),
            ("2000-03-01T00:00:00Z", Some(951_868_800 * SECOND_US)),
            ("x026-11-26T14:05:03Z", None),
            ("2026-11-26T14:00:00", None),
            ("2026-11-26T14:00:00.Z", None),
            ("2026-13-26T14:00:00Z", None),
            ("2026-11-26T24:00:00Z", None),
            ("2026-11-26", None),
            ("not a time", None),
            ("", None),
            ("2026-11-26T14:00:00Z ", None),
            ("2026-11-26T14:00:00Zjunk", None),
            ("2026-11-26T14:00:00.1234567891Z", Some(base + 123_456)),
            ("2026-11-26T15:00:00.25+01:00", Some(base + 250_000)),
            ("2026-11-26T15:00:00+0a:00", None),
            ("2026-11-26T15:00:00+01:00:00", None),
            ("2026-11-26T15:00:00+0100", None),
            ("2026-11-2éT14:00:00Z", None),
        ];
        for (ts, want) in rows {
            assert_eq!(parse_micros(ts), *want, "{ts}");
        }
        assert_eq!(
            seconds_between("2026-11-26T14:01:00Z", "2026-11-26T14:19:30.5Z"),
            Some(1110.5)
        );
        assert_eq!(seconds_between("2026-11-26T14:01:00Z", "later"), None);
    }

    #[test]
    fn minutes_format_back() {
        let at = parse_micros("2026-11-26T14:05:59.999Z").unwrap();
        assert_eq!(format_minute(minute_of(at)), "2026-11-26T14:05:00Z");
        assert_eq!(format_minute(minute_of(-1)), "1969-12-31T23:59:00Z");
        assert_eq!(format_minute(minute_of(0)), "1970-01-01T00:00:00Z");
        for secs in [0, 951_868_800, 1_709_251_199, 1_795_701_903, 4_102_444_800] {
            assert_eq!(
                parse_micros(&format_seconds(secs)),
                Some(secs * SECOND_US),
                "{secs}"
            );
        }
        for days in [-800_000i64, -1, 0, 59, 365, 10_957, 20_000, 800_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn instants_compare_in_time_order() {
        use std::cmp::Ordering;
        let rows: &[(&str, &str, Ordering)] = &[
            // A fraction sorts after no fraction as a time, before it as a string.
            (
                "2026-11-26T14:00:02Z",
                "2026-11-26T14:00:02.5Z",
                Ordering::Less,
            ),
            (
                "2026-11-26T14:00:02.5Z",
                "2026-11-26T14:00:02.500000000Z",
                Ordering::Equal,
            ),
            // A nanosecond apart: no tie.
            (
                "2026-11-26T14:00:02.000001927Z",
                "2026-11-26T14:00:02.0000019Z",
                Ordering::Greater,
            ),
            (
                "2026-11-26T15:00:00+01:00",
                "2026-11-26T14:00:00Z",
                Ordering::Equal,
            ),
            (
                "2026-11-26T13:30:00-01:00",
                "2026-11-26T14:00:00Z",
                Ordering::Greater,
            ),
            (
                "2026-11-26 14:00:00z",
                "2026-11-26T14:00:00Z",
                Ordering::Equal,
            ),
            (
                "2026-12-31T23:59:59Z",
                "2027-01-01T00:00:00Z",
                Ordering::Less,
            ),
            (
                "2024-02-29T00:00:00Z",
                "2024-03-01T00:00:00Z",
                Ordering::Less,
            ),
            (
                "1969-12-31T23:59:59.9Z",
                "1970-01-01T00:00:00Z",
                Ordering::Less,
            ),
            (
                "2026-11-26T14:00:59.999999999Z",
                "2026-11-26T14:00:60Z",
                Ordering::Equal,
            ),
        ];
        for (a, b, want) in rows {
            let (x, y) = (parse(a).expect(a), parse(b).expect(b));
            assert_eq!(x.cmp(&y), *want, "{a} vs {b}");
            assert_eq!(parse_micros(a), Some(x.micros()), "{a}");
        }
        for text in [
            "2026-11-26T14:00:02+0100",
            "2026-11-26T10:00:00.123",
            "yesterday",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
