//! Durations and latencies as a mergeable log-bucket histogram: DDSketch's idea (Masson,
//! Rim and Lee, VLDB 2019) with its relative-error guarantee and without its collapsing.
//!
//! A value `x > 0` goes to bucket `i = ⌈log_γ x⌉` with `γ = (1 + α) / (1 − α)` and
//! `α = 0.01`; the bucket stands for `2γ^i / (γ + 1)`, which is within `α` (1%) of every
//! value in `(γ^(i−1), γ^i]`. A quantile is the representative of the bucket that holds
//! the value of that rank, so it is within 1% of the exact quantile whatever the data.
//! Buckets are counts, so merging two sketches adds them: merging is exact, associative
//! and commutative, which keeps [`crate::Report::merge`] exact for percentiles. The exact
//! maximum is kept beside the buckets.
//!
//! The bound on memory: values from [`MIN_VALUE`] to 10^12 use at most 1,600 buckets
//! (a handful for the durations of one statement or route); smaller values are counted
//! as zeros, larger ones in the last bucket, and NaN and infinities are not counted.

use std::collections::BTreeMap;

/// The relative accuracy of every quantile.
pub const RELATIVE_ACCURACY: f64 = 0.01;
/// Values below this (in the sketch's unit, milliseconds in a report) count as zero.
pub const MIN_VALUE: f64 = 1e-3;
/// The largest bucket index: values above `γ^MAX_INDEX` (about 10^12) share it.
const MAX_INDEX: i32 = 1_400;

/// `γ = (1 + α) / (1 − α)`.
fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

/// A mergeable histogram of non-negative values with quantiles to 1% (see the module docs).
///
/// ```
/// use logtriage::Sketch;
/// let mut a = Sketch::default();
/// let mut b = Sketch::default();
/// for ms in 1..=100 {
///     a.add(ms as f64);
///     b.add(ms as f64 * 10.0 + 100.0);
/// }
/// a.merge(&b);
/// let p50 = a.quantile(0.5).unwrap();
/// assert!((p50 - 100.0).abs() <= 100.0 * 0.01, "{p50}");
/// assert_eq!(a.max(), Some(1100.0));
/// assert_eq!(a.count(), 200);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sketch {
    /// Count per bucket index.
    bins: BTreeMap<i32, u64>,
    /// Values below [`MIN_VALUE`].
    zeros: u64,
    /// All values added.
    count: u64,
    /// The largest value added (0 when none).
    max: f64,
}

impl Sketch {
    /// Adds one value; a negative value counts as zero, NaN and infinities are not added.
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.count += 1;
        if value > self.max {
            self.max = value;
        }
        if value < MIN_VALUE {
            self.zeros += 1;
        } else {
            *self.bins.entry(index(value)).or_insert(0) += 1;
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Sketch) {
        for (i, n) in &other.bins {
            *self.bins.entry(*i).or_insert(0) += n;
        }
        self.zeros += other.zeros;
        self.count += other.count;
        if other.max > self.max {
            self.max = other.max;
        }
    }

    /// How many values were added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value added, exact; `None` when none was.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) within 1% of the exact value of rank `⌊q·(n−1)⌋` in
    /// sorted order; `None` when the sketch is empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 || q.is_nan() {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.count - 1) as f64).floor() as u64;
        if rank < self.zeros {
            return Some(0.0);
        }
        let mut seen = self.zeros;
        for (i, n) in &self.bins {
            seen += n;
            if seen > rank {
                // The true value is at most the exact maximum: clamping only moves closer.
                return Some(value(*i).min(self.max));
            }
        }
        Some(self.max)
    }

    /// The buckets as `(index, count)` and the zeros, for serialization.
    fn parts(&self) -> (Vec<(i32, u64)>, u64) {
        (
            self.bins.iter().map(|(i, n)| (*i, *n)).collect(),
            self.zeros,
        )
    }
}

/// The bucket of a value of at least [`MIN_VALUE`].
fn index(value: f64) -> i32 {
    let i = (value.ln() / gamma().ln()).ceil();
    // Saturating: an infinite value shares the last bucket.
    (i as i32).min(MAX_INDEX)
}

/// The value a bucket stands for.
fn value(index: i32) -> f64 {
    let g = gamma();
    2.0 * (f64::from(index) * g.ln()).exp() / (g + 1.0)
}

/// The JSON form: the summary a reader wants, and the buckets that make it mergeable.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    /// Derived on writing; ignored on reading (the buckets decide).
    #[serde(default)]
    p50: Option<f64>,
    #[serde(default)]
    p95: Option<f64>,
    max: f64,
    count: u64,
    sketch: SavedBins,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedBins {
    /// The relative accuracy the buckets were made with.
    alpha: f64,
    zeros: u64,
    /// `[index, count]` pairs, by index.
    bins: Vec<(i32, u64)>,
}

impl serde::Serialize for Sketch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (bins, zeros) = self.parts();
        Saved {
            p50: self.quantile(0.5),
            p95: self.quantile(0.95),
            max: self.max,
            count: self.count,
            sketch: SavedBins {
                alpha: RELATIVE_ACCURACY,
                zeros,
                bins,
            },
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Sketch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let saved = Saved::deserialize(d)?;
        if saved.sketch.alpha != RELATIVE_ACCURACY {
            return Err(D::Error::custom(format!(
                "a sketch of relative accuracy {}, this reads {RELATIVE_ACCURACY}",
                saved.sketch.alpha
            )));
        }
        let mut bins = BTreeMap::new();
        let mut total = saved.sketch.zeros;
        for (i, n) in saved.sketch.bins {
            if i > MAX_INDEX || n == 0 || bins.insert(i, n).is_some() {
                return Err(D::Error::custom(format!(
                    "a sketch bucket [{i}, {n}] is not valid"
                )));
            }
            total = total.saturating_add(n);
        }
        if total != saved.count || !(saved.max.is_finite() && saved.max >= 0.0) {
            return Err(D::Error::custom(
                "a sketch's count or max does not match its buckets",
            ));
        }
        Ok(Sketch {
            bins,
            zeros: saved.sketch.zeros,
            count: saved.count,
            max: saved.max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sketch_of(values: &[f64]) -> Sketch {
        let mut s = Sketch::default();
        values.iter().for_each(|v| s.add(*v));
        s
    }

    /// The naive oracle: the value of rank `⌊q·(n−1)⌋` in sorted order.
    fn exact(values: &[f64], q: f64) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    fn values() -> impl Strategy<Value = Vec<f64>> {
        // Durations as logged: sub-millisecond to hours, with repeats.
        prop::collection::vec(
            prop_oneof![
                (0.001f64..1.0),
                (1.0f64..10_000.0),
                (10_000.0f64..4e6),
                Just(1000.0),
                Just(0.0),
            ],
            1..300,
        )
    }

    proptest! {
        #![proptest_config(crate::proptest_config(256))]

        #[test]
        fn quantiles_are_within_one_percent(v in values(), q in 0.0f64..=1.0) {
            let s = sketch_of(&v);
            let want = exact(&v, q);
            let got = s.quantile(q).unwrap();
            let err = if want < MIN_VALUE { got } else { (got - want).abs() / want };
            prop_assert!(err <= RELATIVE_ACCURACY + 1e-12, "q={q} want {want} got {got}");
            prop_assert_eq!(s.max(), v.iter().copied().reduce(f64::max));
        }

        #[test]
        fn merging_is_associative_and_equals_one_sketch(
            a in values(), b in values(), c in values()
        ) {
            let (sa, sb, sc) = (sketch_of(&a), sketch_of(&b), sketch_of(&c));
            let mut left = sa.clone();
            left.merge(&sb);
            left.merge(&sc);
            let mut bc = sb.clone();
            bc.merge(&sc);
            let mut right = sa.clone();
            right.merge(&bc);
            let whole = sketch_of(&[a, b, c].concat());
            prop_assert_eq!(&left, &right);
            prop_assert_eq!(&left, &whole);
        }

        #[test]
        fn the_json_form_reads_back(v in values()) {
            let s = sketch_of(&v);
            let json = serde_json::to_string(&s).unwrap();
            let back: Sketch = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, s);
        }
    }

    #[test]
    fn bad_saved_sketches_are_errors() {
        let rows = [
            r#"{"max":1.0,"count":2,"sketch":{"alpha":0.01,"zeros":0,"bins":[[0,1]]}}"#,
            r#"{"max":1.0,"count":1,"sketch":{"alpha":0.02,"zeros":0,"bins":[[0,1]]}}"#,
            r#"{"max":1.0,"count":2,"sketch":{"alpha":0.01,"zeros":0,"bins":[[0,1],[0,1]]}}"#,
            r#"{"max":-1.0,"count":1,"sketch":{"alpha":0.01,"zeros":1,"bins":[]}}"#,
            r#"{"max":1.0,"count":1,"sketch":{"alpha":0.01,"zeros":0,"bins":[[99999,1]]}}"#,
        ];
        for json in rows {
            assert!(serde_json::from_str::<Sketch>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn empty_and_extreme_values() {
        let s = Sketch::default();
        assert_eq!((s.quantile(0.5), s.max(), s.count()), (None, None, 0));
        let s = sketch_of(&[f64::NAN, -3.0, f64::INFINITY, 1e300]);
        assert_eq!(s.count(), 2);
        assert_eq!(s.quantile(0.0), Some(0.0));
        let top = s.quantile(1.0).unwrap();
        assert!((top / value(MAX_INDEX) - 1.0).abs() < 1e-12, "{top}");
        assert_eq!(s.max(), Some(1e300));
    }
}
