//! Timestamps as a report keeps them: as written (the report shows the string the entry
//! carried), compared as the instants they name.
//!
//! Comparing the strings is not enough: `14:00:02.5Z` sorts before `14:00:02Z` (`.` is below
//! `Z`), and `15:00:00+01:00` is `14:00:00Z`. A group's first and last seen, the report's
//! span and the order of groups and samples go by instants, so that they do not depend on
//! the order the events came in (an export read oldest or newest first) nor on how a
//! timestamp was written. Timestamps that do not read as times (see [`crate::time`]) come
//! after all others and compare as strings among themselves.

use crate::time::{self, Instant};
use std::cmp::Ordering;

/// A timestamp as written and as read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seen<'a>(pub(crate) &'a str, pub(crate) Option<Instant>);

impl<'a> Seen<'a> {
    pub(crate) fn of(text: &'a str) -> Self {
        Seen(text, time::parse(text))
    }

    /// By instant; ones that cannot be read come after, as strings (one instant written
    /// two ways, by the text).
    pub(crate) fn order(self, other: Seen<'_>) -> Ordering {
        (self.1.is_none(), self.1)
            .cmp(&(other.1.is_none(), other.1))
            .then_with(|| self.0.cmp(other.0))
    }
}

/// Orders two timestamps as [`Seen::order`] does.
pub(crate) fn seen_order(a: &str, b: &str) -> Ordering {
    Seen::of(a).order(Seen::of(b))
}

/// Widens `first..=last` to hold `lo..=hi`. Timestamps mostly grow: `last` changes with
/// nearly every event, in place.
pub(crate) fn widen(
    first: &mut Option<String>,
    last: &mut Option<String>,
    lo: Seen<'_>,
    hi: Seen<'_>,
) {
    if first
        .as_deref()
        .is_none_or(|f| lo.order(Seen::of(f)) == Ordering::Less)
    {
        replace(first, lo.0);
    }
    if last
        .as_deref()
        .is_none_or(|l| hi.order(Seen::of(l)) == Ordering::Greater)
    {
        replace(last, hi.0);
    }
}

/// Sets `slot` to `value`, reusing its allocation.
pub(crate) fn replace(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(s) => value.clone_into(s),
        None => *slot = Some(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_order_as_instants_then_unread_ones_as_strings() {
        let rows: &[(&str, &str, Ordering)] = &[
            (
                "2026-11-26T14:00:02Z",
                "2026-11-26T14:00:02.5Z",
                Ordering::Less,
            ),
            (
                "2026-11-26T15:00:00+01:00",
                "2026-11-26T14:00:01Z",
                Ordering::Less,
            ),
            // One instant written two ways: by the text.
            (
                "2026-11-26T15:00:00+01:00",
                "2026-11-26T14:00:00Z",
                Ordering::Greater,
            ),
            (
                "2026-11-26T14:00:00Z",
                "2026-11-26T14:00:00Z",
                Ordering::Equal,
            ),
            // Unread ones come after any time.
            (
                "2026-11-26 14:00:00,123",
                "2026-11-26T14:00:00Z",
                Ordering::Greater,
            ),
            ("later", "earlier", Ordering::Greater),
        ];
        for (a, b, want) in rows {
            assert_eq!(seen_order(a, b), *want, "{a} vs {b}");
            assert_eq!(seen_order(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn widen_keeps_the_strings_as_written() {
        let (mut first, mut last) = (None, None);
        for ts in [
            "2026-11-26T14:00:02.5Z",
            "2026-11-26T14:00:02Z",
            "2026-11-26T15:00:03+01:00",
        ] {
            widen(&mut first, &mut last, Seen::of(ts), Seen::of(ts));
        }
        assert_eq!(first.as_deref(), Some("2026-11-26T14:00:02Z"));
        // 14:00:03Z, after 14:00:02.5Z.
        assert_eq!(last.as_deref(), Some("2026-11-26T15:00:03+01:00"));
    }
}
