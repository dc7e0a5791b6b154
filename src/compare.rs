//! Comparing a report with a baseline saved earlier (`--format json`): reading the saved
//! report back ([`Report::load`]), the verdicts ([`Report::compare`]) and keeping them in the
//! report for its JSON and text forms ([`Report::set_baseline`]).
//!
//! Groups are matched by fingerprint. Rates are events per hour of each report's span (the
//! first to the last timestamp of its events); the rules are those of
//! [`BaselineVerdict`](crate::BaselineVerdict).

use crate::baseline::{judge, new_group, Baseline, GoneGroup, Measures};
use crate::error::{Error, Result};
use crate::fingerprint::Fingerprint;
use crate::group::Group;
use crate::report::{Report, SCHEMA_VERSION};
use crate::time::parse_micros;
use std::collections::HashMap;
use std::path::Path;

/// The verdicts of a report against a baseline: one per group, and the baseline's groups
/// that are absent now.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Comparison {
    /// Each group's verdict, by fingerprint, in the report's group order.
    pub groups: Vec<(Fingerprint, Baseline)>,
    /// The baseline's groups with no group of their fingerprint now, in the baseline's order.
    pub gone: Vec<GoneGroup>,
}

impl Comparison {
    /// The verdict of the group with `fingerprint`.
    pub fn verdict(&self, fingerprint: Fingerprint) -> Option<&Baseline> {
        self.groups
            .iter()
            .find(|(f, _)| *f == fingerprint)
            .map(|(_, b)| b)
    }
}

impl Report {
    /// Compares this report with `baseline`, a report of the same services saved earlier:
    /// each group is `new`, `regressed`, `improved` or `same`, and the baseline's groups
    /// absent now are `gone`.
    ///
    /// ```
    /// use logtriage::{BaselineVerdict, NoSink, TriageBuilder};
    /// let triage = TriageBuilder::new().build()?;
    /// let yesterday = triage.run_slice(
    ///     br#"{"severity":"ERROR","timestamp":"2026-11-25T14:00:00Z","textPayload":"Redis connection refused"}
    /// {"severity":"ERROR","timestamp":"2026-11-25T15:00:00Z","textPayload":"Disk quota exceeded"}"#,
    ///     &mut NoSink,
    /// )?;
    /// let today = triage.run_slice(
    ///     br#"{"severity":"ERROR","timestamp":"2026-11-26T14:00:00Z","textPayload":"Redis connection refused"}
    /// {"severity":"ERROR","timestamp":"2026-11-26T15:00:00Z","textPayload":"Worker timeout"}"#,
    ///     &mut NoSink,
    /// )?;
    /// let c = today.compare(&yesterday);
    /// let verdicts: Vec<_> = today
    ///     .groups
    ///     .iter()
    ///     .map(|g| (g.message.as_str(), c.verdict(g.fingerprint).map(|b| b.verdict)))
    ///     .collect();
    /// assert!(verdicts.contains(&("Redis connection refused", Some(BaselineVerdict::Same))));
    /// assert!(verdicts.contains(&("Worker timeout", Some(BaselineVerdict::New))));
    /// assert_eq!(c.gone[0].title, "Disk quota exceeded");
    /// # Ok::<(), logtriage::Error>(())
    /// ```
    pub fn compare(&self, baseline: &Report) -> Comparison {
        let now_span = span_seconds(self);
        let then_span = span_seconds(baseline);
        let then: HashMap<Fingerprint, &Group> =
            baseline.groups.iter().map(|g| (g.fingerprint, g)).collect();
        let groups = self
            .groups
            .iter()
            .map(|g| {
                let verdict = match then.get(&g.fingerprint) {
                    Some(old) => judge(&measures(g, now_span), &measures(old, then_span)),
                    None => new_group(),
                };
                (g.fingerprint, verdict)
            })
            .collect();
        let now: HashMap<Fingerprint, ()> =
            self.groups.iter().map(|g| (g.fingerprint, ())).collect();
        let gone = baseline
            .groups
            .iter()
            .filter(|g| !now.contains_key(&g.fingerprint))
            .map(|g| GoneGroup {
                fingerprint: g.fingerprint,
                title: title(g),
                category: g.category.clone(),
                count: g.count,
                known_issue: g.known_issue.clone(),
            })
            .collect();
        Comparison { groups, gone }
    }

    /// Keeps `comparison` in the report: each group's `baseline` verdict and the report's
    /// `gone` groups, as the JSON report writes them. A later [`Report::merge`] drops them
    /// (the rates they were taken from have changed): compare the merged report again.
    pub fn set_baseline(&mut self, comparison: Comparison) {
        let verdicts: HashMap<Fingerprint, Baseline> = comparison.groups.into_iter().collect();
        for g in &mut self.groups {
            g.baseline = verdicts.get(&g.fingerprint).cloned();
        }
        self.gone = Some(comparison.gone);
    }

    /// Reads a report saved with `--format json` (or `serde_json::to_writer`) from `path`.
    ///
    /// A file that cannot be read is [`Error::Open`]; one that is not a logtriage report
    /// (not JSON, a log export, another document) is [`Error::File`]; a report of another
    /// [`SCHEMA_VERSION`] is [`Error::SchemaVersion`]. Each names the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Report> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Report::from_saved_json(&text, &path.display().to_string())
    }

    /// Reads a saved report from `text`; `file` names it in errors (see [`Report::load`]).
    ///
    /// ```
    /// use logtriage::{Error, Report};
    /// let old = r#"{"schema_version": 1, "totals": {}, "groups": []}"#;
    /// assert!(matches!(
    ///     Report::from_saved_json(old, "yesterday.json"),
    ///     Err(Error::SchemaVersion { found: 1, .. })
    /// ));
    /// let logs = r#"[{"severity": "ERROR", "textPayload": "boom"}]"#;
    /// let err = Report::from_saved_json(logs, "logs.json").unwrap_err();
    /// assert!(err.to_string().starts_with("logs.json"), "{err}");
    /// ```
    pub fn from_saved_json(text: &str, file: &str) -> Result<Report> {
        /// The one field read before the rest: another version's fields may differ.
        #[derive(serde::Deserialize)]
        struct Probe {
            schema_version: Option<serde_json::Value>,
        }
        let not_a_report = |e: &serde_json::Error| {
            let mut err = Error::json(file, e);
            if let Error::File { reason, .. } = &mut err {
                *reason =
                    format!("not a logtriage JSON report (save one with --format json): {reason}");
            }
            err
        };
        let probe: Probe = match serde_json::from_str(text) {
            Ok(p) => p,
            Err(e) => return Err(not_a_report(&e)),
        };
        match probe.schema_version.as_ref().map(serde_json::Value::as_u64) {
            Some(Some(found)) if found != u64::from(SCHEMA_VERSION) => {
                return Err(Error::SchemaVersion {
                    file: file.to_string(),
                    found,
                })
            }
            Some(Some(_)) => {}
            _ => {
                return Err(Error::File {
                    file: file.to_string(),
                    line: 0,
                    column: 0,
                    reason: "not a logtriage JSON report (save one with --format json): \
                             no schema_version"
                        .to_string(),
                })
            }
        }
        serde_json::from_str(text).map_err(|e| not_a_report(&e))
    }
}

/// The quantile of a group's durations or latencies that [`Measures::p95`] compares.
const P95: f64 = 0.95;

/// A group's counts and p95 with its report's span. The p95 is that of its slow queries'
/// durations, or else of its failed requests' latencies (a group holds one kind), read
/// from the group's sketch: within 1% of the exact value, and the same for any input
/// order or sharding, since sketches merge exactly.
fn measures(g: &Group, span_seconds: Option<f64>) -> Measures {
    Measures {
        count: g.count,
        span_seconds,
        p95: g
            .duration_ms
            .as_ref()
            .or(g.latency_ms.as_ref())
            .and_then(|s| s.quantile(P95)),
    }
}

/// The seconds from the report's first event to its last, from the groups (a report need not
/// be ranked for it); `None` when no event has a timestamp that reads as a time.
fn span_seconds(report: &Report) -> Option<f64> {
    let times = report
        .groups
        .iter()
        .flat_map(|g| [g.first_seen.as_deref(), g.last_seen.as_deref()])
        .flatten()
        .filter_map(parse_micros);
    let (lo, hi) = times.fold((None::<i64>, None::<i64>), |(lo, hi), t| {
        (
            Some(lo.map_or(t, |l| l.min(t))),
            Some(hi.map_or(t, |h| h.max(t))),
        )
    });
    Some((hi? - lo?) as f64 / 1e6)
}

/// A group's title as the text report shows it: `Type: message`, a slow query's statement,
/// or the message.
fn title(g: &Group) -> String {
    let slow = g.category == "slow_query" && g.exception.is_none();
    match (&g.exception, &g.subject) {
        (None, Some(statement)) if slow => statement.clone(),
        (Some(ty), _) if !g.message.is_empty() => format!("{ty}: {}", g.message),
        (Some(ty), _) => ty.clone(),
        (None, _) if g.message.trim().is_empty() => "(an ERROR entry with no message)".into(),
        (None, _) => g.message.clone(),
    }
}
