//! What a comparison with a baseline report says: each group's [`Baseline`] verdict (`new`,
//! `regressed`, `improved`, `same`) and the [`GoneGroup`]s of the baseline that are absent
//! now. [`crate::Report::compare`] makes them; the rules are here, on plain measures.

use crate::category::Category;
use crate::event::IssueRef;
use crate::fingerprint::Fingerprint;

/// A group is `regressed` when its rate per hour is at least this many times the baseline's
/// (with at least [`REGRESSED_MIN_EVENTS`] events now), or when its p95 duration or latency
/// is at least this many times the baseline's.
pub const REGRESSED_FACTOR: f64 = 2.0;
/// The fewest events a group needs now to be `regressed` by its rate.
pub const REGRESSED_MIN_EVENTS: u64 = 5;
/// A group is `improved` when its rate per hour is at most this share of the baseline's.
pub const IMPROVED_FACTOR: f64 = 0.5;
/// A report's span counts as at least this many seconds when rates are taken, so that a
/// report of one instant has a rate.
pub const MIN_SPAN_SECONDS: f64 = 60.0;

/// A group's verdict against the baseline.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BaselineVerdict {
    /// No group of the baseline has its fingerprint.
    New,
    /// Its rate, or its p95 duration or latency, grew (see [`REGRESSED_FACTOR`]).
    Regressed,
    /// Its rate fell to at most [`IMPROVED_FACTOR`] of the baseline's.
    Improved,
    /// Neither.
    Same,
}

impl BaselineVerdict {
    /// The verdict's name as the JSON report writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineVerdict::New => "new",
            BaselineVerdict::Regressed => "regressed",
            BaselineVerdict::Improved => "improved",
            BaselineVerdict::Same => "same",
        }
    }
}

/// What a [`Baseline`] verdict was decided by.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Measure {
    /// Events per hour of each report's span.
    Rate,
    /// The 95th percentile of the slow queries' durations or the failed requests' latencies.
    P95,
}

/// A group compared with the group of the same fingerprint in a baseline report.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Baseline {
    /// The verdict.
    pub verdict: BaselineVerdict,
    /// What decided a `regressed` or `improved` verdict; `None` for `new` and `same`.
    pub by: Option<Measure>,
    /// Now over then, of the measure that decided (rounded to 2 decimals); for `same`, of the
    /// rate; `None` for `new`.
    pub factor: Option<f64>,
    /// The group's event count in the baseline (0 for `new`).
    pub baseline_count: u64,
}

/// A group of the baseline with no group of its fingerprint now.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct GoneGroup {
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
    /// Its title as the text report shows it (`NameError: name 'x' is not defined`, or a
    /// slow query's statement).
    pub title: String,
    /// Its category.
    pub category: Category,
    /// Its event count in the baseline.
    pub count: u64,
    /// The known issue that tracked it then.
    pub known_issue: Option<IssueRef>,
}

/// What a verdict needs from one side of the comparison.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Measures {
    /// The group's events.
    pub(crate) count: u64,
    /// The report's span in seconds, `None` when its events have no timestamps.
    pub(crate) span_seconds: Option<f64>,
    /// The group's p95 duration or latency, for slow-query and request groups.
    pub(crate) p95: Option<f64>,
}

/// The verdict of a group measured `now` against the same group `then`.
pub(crate) fn judge(now: &Measures, then: &Measures) -> Baseline {
    let rate = rate_factor(now, then);
    let p95 = match (now.p95, then.p95) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let by_rate = rate.filter(|f| *f >= REGRESSED_FACTOR && now.count >= REGRESSED_MIN_EVENTS);
    let by_p95 = p95.filter(|f| *f >= REGRESSED_FACTOR);
    let (verdict, by, factor) = match (by_rate, by_p95) {
        (Some(r), Some(p)) if p > r => (BaselineVerdict::Regressed, Some(Measure::P95), Some(p)),
        (Some(r), _) => (BaselineVerdict::Regressed, Some(Measure::Rate), Some(r)),
        (None, Some(p)) => (BaselineVerdict::Regressed, Some(Measure::P95), Some(p)),
        (None, None) => match rate {
            Some(r) if r <= IMPROVED_FACTOR => {
                (BaselineVerdict::Improved, Some(Measure::Rate), Some(r))
            }
            r => (BaselineVerdict::Same, None, r),
        },
    };
    Baseline {
        verdict,
        by,
        factor: factor.map(round2),
        baseline_count: then.count,
    }
}

/// Now's rate per hour over then's; when either report has no span (no timestamps), counts
/// are compared as if both spans were equal.
fn rate_factor(now: &Measures, then: &Measures) -> Option<f64> {
    if then.count == 0 {
        return None;
    }
    let (a, b) = match (now.span_seconds, then.span_seconds) {
        (Some(a), Some(b)) => (a.max(MIN_SPAN_SECONDS), b.max(MIN_SPAN_SECONDS)),
        _ => (1.0, 1.0),
    };
    Some((now.count as f64 / a) / (then.count as f64 / b))
}

/// Rounded to 2 decimals: a factor for a person, and one that reads back from JSON as the
/// same `f64`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A baseline verdict for a group that the baseline does not have.
pub(crate) fn new_group() -> Baseline {
    Baseline {
        verdict: BaselineVerdict::New,
        by: None,
        factor: None,
        baseline_count: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::{judge, BaselineVerdict as V, Measure, Measures};

    fn m(count: u64, minutes: Option<f64>, p95: Option<f64>) -> Measures {
        Measures {
            count,
            span_seconds: minutes.map(|m| m * 60.0),
            p95,
        }
    }

    /// Now, then, the verdict, what decided it, the factor.
    type Row = (Measures, Measures, V, Option<Measure>, Option<f64>);

    /// One row per rule and boundary.
    #[test]
    fn verdicts_by_rate_and_by_p95() {
        let h = Some(60.0);
        let rows: &[Row] = &[
            // Twice the rate with 5 events: regressed; with 4: not.
            (
                m(5, h, None),
                m(2, Some(48.0), None),
                V::Regressed,
                Some(Measure::Rate),
                Some(2.0),
            ),
            (m(4, h, None), m(2, h, None), V::Same, None, Some(2.0)),
            (m(19, h, None), m(10, h, None), V::Same, None, Some(1.9)),
            // The same count over a third of the time is three times the rate.
            (
                m(6, Some(20.0), None),
                m(6, h, None),
                V::Regressed,
                Some(Measure::Rate),
                Some(3.0),
            ),
            // Half the rate: improved; a little more than half: same.
            (
                m(5, h, None),
                m(10, h, None),
                V::Improved,
                Some(Measure::Rate),
                Some(0.5),
            ),
            (m(6, h, None), m(10, h, None), V::Same, None, Some(0.6)),
            // The p95 doubled at the same rate, with few events: regressed by p95.
            (
                m(3, h, Some(9000.0)),
                m(3, h, Some(1500.0)),
                V::Regressed,
                Some(Measure::P95),
                Some(6.0),
            ),
            (
                m(3, h, Some(2900.0)),
                m(3, h, Some(1500.0)),
                V::Same,
                None,
                Some(1.0),
            ),
            // Both grew: the larger factor is told.
            (
                m(30, h, Some(3000.0)),
                m(10, h, Some(1000.0)),
                V::Regressed,
                Some(Measure::Rate),
                Some(3.0),
            ),
            (
                m(30, h, Some(5000.0)),
                m(10, h, Some(1000.0)),
                V::Regressed,
                Some(Measure::P95),
                Some(5.0),
            ),
            // A slower p95 wins over a lower rate.
            (
                m(1, h, Some(5000.0)),
                m(10, h, Some(1000.0)),
                V::Regressed,
                Some(Measure::P95),
                Some(5.0),
            ),
            // No timestamps on one side: counts compare as rates over equal spans.
            (
                m(10, None, None),
                m(4, h, None),
                V::Regressed,
                Some(Measure::Rate),
                Some(2.5),
            ),
            // A report of one instant counts as one minute.
            (
                m(5, Some(0.0), None),
                m(60, h, None),
                V::Regressed,
                Some(Measure::Rate),
                Some(5.0),
            ),
        ];
        for (i, (now, then, verdict, by, factor)) in rows.iter().enumerate() {
            let b = judge(now, then);
            assert_eq!(
                (b.verdict, b.by, b.factor),
                (*verdict, *by, *factor),
                "row {i}"
            );
            assert_eq!(b.baseline_count, then.count);
        }
    }
}
