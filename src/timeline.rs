//! A group's events per minute: sparse while counting (only minutes with events hold a
//! count), so merging two timelines adds counts per minute, exactly and in any order.
//!
//! Its JSON form is dense from the group's first minute to its last:
//! `{"start": "2026-11-26T14:05:00Z", "bucket_s": 60, "counts": [3, 0, 1]}`
//! (`"start": null, "counts": []` when no event had a readable timestamp).

use crate::time::{format_minute, minute_of, parse_micros};
use std::collections::BTreeMap;

/// The width of a timeline bucket in seconds.
pub const BUCKET_SECONDS: u32 = 60;

/// Events per minute (see the module docs).
///
/// ```
/// use logtriage::Timeline;
/// let mut t = Timeline::default();
/// t.add_timestamp("2026-11-26T14:05:59Z");
/// t.add_timestamp("2026-11-26T14:07:00Z");
/// assert_eq!(serde_json::to_string(&t)?,
///     r#"{"start":"2026-11-26T14:05:00Z","bucket_s":60,"counts":[1,0,1]}"#);
/// assert_eq!(t.cells(t.span().unwrap(), 2), vec![1, 1]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Count per minute since the epoch; no zero counts.
    minutes: BTreeMap<i64, u64>,
}

impl Timeline {
    /// Counts one event at `micros` since the epoch.
    pub(crate) fn add_micros(&mut self, micros: i64) {
        *self.minutes.entry(minute_of(micros)).or_insert(0) += 1;
    }

    /// Counts one event at an RFC 3339 timestamp; `false` (and nothing counted) when it
    /// cannot be read.
    pub fn add_timestamp(&mut self, timestamp: &str) -> bool {
        match parse_micros(timestamp) {
            Some(at) => {
                self.add_micros(at);
                true
            }
            None => false,
        }
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &Timeline) {
        for (minute, n) in &other.minutes {
            *self.minutes.entry(*minute).or_insert(0) += n;
        }
    }

    /// The first and last minute (minutes since the epoch) with an event.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((
            *self.minutes.keys().next()?,
            *self.minutes.keys().next_back()?,
        ))
    }

    /// The events counted.
    pub fn total(&self) -> u64 {
        self.minutes.values().sum()
    }

    /// The counts of `span` (first and last minute, inclusive) in `cells` equal cells (at
    /// least one minute each, so fewer cells when the span is shorter): what a sparkline
    /// over a report's span draws for a group.
    pub fn cells(&self, span: (i64, i64), cells: usize) -> Vec<u64> {
        let (from, to) = (span.0, span.1.max(span.0));
        let minutes = (to - from + 1) as u64;
        let cells = (cells.max(1) as u64).min(minutes);
        let mut out = vec![0; cells as usize];
        for (minute, n) in self.minutes.range(from..=to) {
            let cell = ((minute - from) as u64 * cells / minutes) as usize;
            if let Some(slot) = out.get_mut(cell) {
                *slot += n;
            }
        }
        out
    }
}

/// The JSON form.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    start: Option<String>,
    bucket_s: u32,
    counts: Vec<u64>,
}

impl serde::Serialize for Timeline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let saved = match self.span() {
            Some((from, to)) => Saved {
                start: Some(format_minute(from)),
                bucket_s: BUCKET_SECONDS,
                counts: (from..=to)
                    .map(|m| self.minutes.get(&m).copied().unwrap_or(0))
                    .collect(),
            },
            None => Saved {
                start: None,
                bucket_s: BUCKET_SECONDS,
                counts: Vec::new(),
            },
        };
        saved.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Timeline {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let saved = Saved::deserialize(d)?;
        if saved.bucket_s != BUCKET_SECONDS {
            return Err(D::Error::custom(format!(
                "a timeline of {} s buckets, this reads {BUCKET_SECONDS} s",
                saved.bucket_s
            )));
        }
        let Some(start) = saved.start else {
            return match saved.counts.iter().all(|n| *n == 0) {
                true => Ok(Timeline::default()),
                false => Err(D::Error::custom("a timeline with counts has no start")),
            };
        };
        let first = parse_micros(&start)
            .map(minute_of)
            .ok_or_else(|| D::Error::custom(format!("a timeline start {start:?} is not a time")))?;
        let minutes = saved
            .counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (first + i as i64, *n))
            .collect();
        Ok(Timeline { minutes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn timeline(minutes: &[i64]) -> Timeline {
        let mut t = Timeline::default();
        for m in minutes {
            t.add_micros(m * 60_000_000 + 59_999_999);
        }
        t
    }

    proptest! {
        #![proptest_config(crate::proptest_config(128))]

        #[test]
        fn merge_adds_in_any_order_and_reads_back(
            a in prop::collection::vec(29_000_000i64..29_000_300, 0..40),
            b in prop::collection::vec(29_000_000i64..29_000_300, 0..40),
        ) {
            let (ta, tb) = (timeline(&a), timeline(&b));
            let mut ab = ta.clone();
            ab.merge(&tb);
            let mut ba = tb.clone();
            ba.merge(&ta);
            prop_assert_eq!(&ab, &ba);
            prop_assert_eq!(&ab, &timeline(&[a, b].concat()));
            let back: Timeline = serde_json::from_str(&serde_json::to_string(&ab).unwrap()).unwrap();
            prop_assert_eq!(&back, &ab);
            if let Some(span) = ab.span() {
                for cells in [1, 7, 40, 1000] {
                    prop_assert_eq!(ab.cells(span, cells).iter().sum::<u64>(), ab.total());
                }
            }
        }
    }

    #[test]
    fn cells_cover_the_span_evenly() {
        let t = timeline(&[0, 1, 2, 3, 9]);
        assert_eq!(t.cells((0, 9), 40), vec![1, 1, 1, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(t.cells((0, 9), 5), vec![2, 2, 0, 0, 1]);
        assert_eq!(t.cells((0, 19), 2), vec![5, 0]);
        assert_eq!(t.cells((5, 5), 40), vec![0]);
    }

    #[test]
    fn bad_saved_timelines_are_errors() {
        for json in [
            r#"{"start":"2026-11-26T14:05:00Z","bucket_s":30,"counts":[1]}"#,
            r#"{"start":null,"bucket_s":60,"counts":[1]}"#,
            r#"{"start":"yesterday","bucket_s":60,"counts":[1]}"#,
        ] {
            assert!(serde_json::from_str::<Timeline>(json).is_err(), "{json}");
        }
        let empty: Timeline =
            serde_json::from_str(r#"{"start":null,"bucket_s":60,"counts":[]}"#).unwrap();
        assert_eq!(empty, Timeline::default());
    }
}
