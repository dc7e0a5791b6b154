//! Timestamps as times: an RFC 3339 string (`LogEntry.timestamp`) read as the instant it
//! names, so that two of them compare by time.
//!
//! Comparing the strings is not enough: `14:00:02.5Z` sorts before `14:00:02Z` (`.` is below
//! `Z`), fractions have from 0 to 9 digits, and an offset other than `Z` (`+02:00`) names
//! another instant than the same digits with `Z`. Event assembly orders a stream's entries by
//! these instants, and the report keeps first and last seen by them.

/// An instant, in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Instant(i128);

/// The instant an RFC 3339 timestamp names: `YYYY-MM-DDTHH:MM:SS`, an optional fraction
/// (digits past the ninth are ignored), then `Z`, `+HH:MM`/`-HH:MM` or nothing (a local time,
/// read as UTC). A lower-case `t` or `z`, or a space between date and time, are read too.
/// Anything else is `None`.
pub(crate) fn parse(text: &str) -> Option<Instant> {
    let b = text.as_bytes();
    let head: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    // A digit's value, 10 or more for any other byte.
    let d = |i: usize| head[i].wrapping_sub(b'0');
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if DIGITS.iter().any(|&i| d(i) > 9)
        || head[4] != b'-'
        || head[7] != b'-'
        || !matches!(head[10], b'T' | b't' | b' ')
        || head[13] != b':'
        || head[16] != b':'
    {
        return None;
    }
    let two = |i: usize| i64::from(d(i)) * 10 + i64::from(d(i + 1));
    let year = two(0) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let (hour, minute, second) = (two(11), two(14), two(17));
    // A leap second (`:60`) is read as the second after `:59`.
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos: i64 = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let digits = b
            .get(at..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        for (k, c) in b.get(at..at + digits.min(9))?.iter().enumerate() {
            nanos += i64::from(c - b'0') * POWERS[k];
        }
        at += digits;
    }
    let offset = match b.get(at..)? {
        // No zone: a plain-text line's local time, read as if it were UTC (such times only
        // compare among themselves).
        [] => 0,
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |c: &u8| i64::from(c.wrapping_sub(b'0'));
            if [h1, h2, m1, m2].iter().any(|c| !c.is_ascii_digit()) {
                return None;
            }
            let (h, m) = (digit(h1) * 10 + digit(h2), digit(m1) * 10 + digit(m2));
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(Instant(
        i128::from(secs) * 1_000_000_000 + i128::from(nanos),
    ))
}

/// The nanoseconds of the fraction's digits, first to ninth.
const POWERS: [i64; 9] = [
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn timestamps_compare_as_the_instants_they_name() {
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
        ];
        for (a, b, want) in rows {
            let (x, y) = (parse(a).expect(a), parse(b).expect(b));
            assert_eq!(x.cmp(&y), *want, "{a} vs {b}");
        }
        assert_eq!(parse("1970-01-01T00:00:01Z"), Some(Instant(1_000_000_000)));
        assert_eq!(
            parse("2026-11-26T10:00:00.123"),
            parse("2026-11-26T10:00:00.123Z")
        );
        assert_eq!(
            parse("2026-11-26T14:00:02Z").map(|i| i.0 / 1_000_000_000),
            Some(1_795_701_602)
        );
    }

    #[test]
    fn what_is_not_a_timestamp_is_none() {
        for text in [
            "",
            "2026-11-26",
            "2026-11-26T14:00:02.Z",
            "2026-13-26T14:00:02Z",
            "2026-11-27T07:01:02.a-3Z",
            "2a26-11-26T14:00:02Z",
            "2026-11-26T14:00:02+0a:00",
            "2026-11-26T14:00:02+0100",
            "yesterday",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
