//! Deploys and baselines on the rollout fixtures (see fixtures/README.md, "The rollout
//! fixtures"): each deploy verdict, each baseline verdict, and verdicts that depend neither on
//! the input's order nor on how it was cut into shards.

use logtriage::{
    BaselineVerdict, DeployVerdict, Group, Measure, NoSink, Report, Triage, TriageBuilder,
};
use proptest::prelude::*;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn triage() -> Triage {
    TriageBuilder::new()
        .known_issues_file(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/known_issues.json"))
        .build()
        .expect("build")
}

fn report(input: &[u8]) -> Report {
    triage()
        .run_slice(input, &mut NoSink)
        .expect("in-memory run")
}

/// The fixture's group names, by what identifies each group in the report.
fn name(g: &Group) -> &'static str {
    let text = format!(
        "{} {} {}",
        g.exception.as_deref().unwrap_or(""),
        g.message,
        g.subject.as_deref().unwrap_or("")
    );
    let names = [
        ("KeyError", "thread_key_error"),
        ("AttributeError", "profile_attribute_error"),
        ("ConnectionRefusedError", "redis_refused"),
        ("WebSocket connection rejected", "websocket_subprotocol"),
        ("ReadTimeout", "upstream_timeout"),
        ("Forbidden", "gcs_forbidden"),
        ("Token validation failed", "auth_token_expired"),
        ("SELECT threads", "slow_threads"),
        ("ModuleNotFoundError", "module_not_found"),
        ("NameError", "name_error"),
    ];
    names
        .iter()
        .find(|(needle, _)| text.contains(needle))
        .map_or("other", |(_, name)| name)
}

/// Each group's deploy verdict, by fixture name, sorted.
fn deploy_verdicts(r: &Report) -> Vec<(&'static str, Option<DeployVerdict>)> {
    let mut v: Vec<_> = r.groups.iter().map(|g| (name(g), g.deploy)).collect();
    v.sort();
    v
}

#[test]
fn the_rollout_gives_new_gone_persisting_and_none_outside_a_deploy() {
    let r = report(&fixture("rollout.ndjson"));
    assert_eq!(
        deploy_verdicts(&r),
        [
            ("auth_token_expired", None),
            ("profile_attribute_error", Some(DeployVerdict::New)),
            ("redis_refused", Some(DeployVerdict::Persisting)),
            ("slow_threads", None),
            ("thread_key_error", Some(DeployVerdict::Gone)),
            ("upstream_timeout", Some(DeployVerdict::Gone)),
            ("websocket_subprotocol", Some(DeployVerdict::Persisting)),
        ]
    );
    assert_eq!(r.deploys.len(), 1, "the auth service has one revision");
    let d = &r.deploys[0];
    assert_eq!(d.service, "netra-backend-staging");
    let order: Vec<&str> = d.revisions.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(
        order,
        [
            "netra-backend-staging-00043-def",
            "netra-backend-staging-00044-ghi"
        ]
    );
    let latest = d.latest().expect("latest");
    assert_eq!(latest.events, 17);
    let minutes = latest.seconds().expect("a span") / 60.0;
    assert!((18.9..19.1).contains(&minutes), "{minutes}");
    assert!(d.settled);
    // Each group counts its events per revision.
    let redis = r
        .groups
        .iter()
        .find(|g| name(g) == "redis_refused")
        .expect("redis");
    let counts: Vec<(&str, u64)> = redis
        .revisions
        .iter()
        .map(|r| (r.revision.as_str(), r.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("netra-backend-staging-00043-def", 6),
            ("netra-backend-staging-00044-ghi", 6)
        ]
    );
}

#[test]
fn five_minutes_into_the_rollout_what_went_away_is_not_seen_yet() {
    let r = report(&fixture("rollout-early.ndjson"));
    assert_eq!(
        deploy_verdicts(&r),
        [
            ("auth_token_expired", None),
            ("profile_attribute_error", Some(DeployVerdict::New)),
            ("redis_refused", Some(DeployVerdict::Persisting)),
            ("slow_threads", None),
            ("thread_key_error", Some(DeployVerdict::NotSeenYet)),
            ("upstream_timeout", Some(DeployVerdict::NotSeenYet)),
            ("websocket_subprotocol", Some(DeployVerdict::Persisting)),
        ]
    );
    let d = &r.deploys[0];
    assert!(!d.settled);
    let minutes = d.latest().and_then(|l| l.seconds()).expect("a span") / 60.0;
    assert!((4.9..5.1).contains(&minutes), "{minutes}");
}

#[test]
fn the_staging_incident_shows_the_import_error_new_in_00042() {
    let r = report(&fixture("staging.json"));
    assert_eq!(r.deploys.len(), 1);
    let d = &r.deploys[0];
    let order: Vec<&str> = d.revisions.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(
        order,
        [
            "netra-backend-staging-00041-abc",
            "netra-backend-staging-00042-xyz"
        ]
    );
    assert!(!d.settled, "00042-xyz crashed for 4.6 minutes");
    let verdicts = deploy_verdicts(&r);
    assert!(verdicts.contains(&("module_not_found", Some(DeployVerdict::New))));
    assert!(verdicts.contains(&("name_error", Some(DeployVerdict::NotSeenYet))));
    // The auth service and Cloud SQL have no deploy.
    let none = r.groups.iter().filter(|g| g.deploy.is_none()).count();
    assert!(none >= 3, "{verdicts:?}");
}

/// The rollout's verdicts against the report of the day before, saved and read back.
fn against_yesterday(today: &mut Report) {
    let saved = serde_json::to_string_pretty(&report(&fixture("yesterday.ndjson"))).expect("json");
    let baseline = Report::from_saved_json(&saved, "yesterday.json").expect("a saved report");
    let comparison = today.compare(&baseline);
    today.set_baseline(comparison);
}

fn baseline_verdicts(r: &Report) -> Vec<(&'static str, BaselineVerdict, Option<Measure>)> {
    let mut v: Vec<_> = r
        .groups
        .iter()
        .map(|g| {
            let b = g.baseline.as_ref().expect("a verdict for every group");
            (name(g), b.verdict, b.by)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn against_yesterday_new_regressed_improved_same_and_gone() {
    let mut today = report(&fixture("rollout.ndjson"));
    against_yesterday(&mut today);
    use BaselineVerdict as V;
    assert_eq!(
        baseline_verdicts(&today),
        [
            ("auth_token_expired", V::Same, None),
            ("profile_attribute_error", V::New, None),
            ("redis_refused", V::Regressed, Some(Measure::Rate)),
            // The same rate, a p95 about five times yesterday's.
            ("slow_threads", V::Regressed, Some(Measure::P95)),
            ("thread_key_error", V::New, None),
            ("upstream_timeout", V::Improved, Some(Measure::Rate)),
            ("websocket_subprotocol", V::Same, None),
        ]
    );
    let redis = today
        .groups
        .iter()
        .find(|g| name(g) == "redis_refused")
        .expect("redis");
    let b = redis.baseline.as_ref().expect("verdict");
    // 12 events in 37.7 minutes against 4 in 52 (about 4.6 times the rate).
    let factor = b.factor.expect("a factor");
    assert!((4.0..5.0).contains(&factor), "{factor}");
    assert_eq!(b.baseline_count, 4);
    // The exact p95s (rank ⌊0.95·(n−1)⌋ of fixtures/rollout.py's SLOW_MS): 7410.0 ms of 4
    // today, 1455.75 ms of 6 yesterday; each sketch is within 1%, the factor within 2.1%.
    let slow = today
        .groups
        .iter()
        .find(|g| name(g) == "slow_threads")
        .and_then(|g| g.baseline.as_ref())
        .expect("slow_threads");
    let exact = 7410.0 / 1455.75;
    let factor = slow.factor.expect("a factor");
    assert!((factor / exact - 1.0).abs() < 0.021, "{factor} vs {exact}");
    assert_eq!(slow.baseline_count, 6);
    let gone = today.gone.as_ref().expect("gone groups");
    assert_eq!(gone.len(), 1);
    assert!(gone[0]
        .title
        .starts_with("google.api_core.exceptions.Forbidden: 403"));
    assert_eq!(gone[0].count, 5);
    // The verdicts are part of the JSON report and read back.
    let json = serde_json::to_string(&today).expect("json");
    let back = Report::from_saved_json(&json, "today.json").expect("reads back");
    assert_eq!(back, today);
    // A merge drops them: the rates they came from are no longer the report's.
    let mut merged = today.clone();
    merged.merge(&Report::default());
    assert!(merged.gone.is_none() && merged.groups.iter().all(|g| g.baseline.is_none()));
}

#[test]
fn a_report_is_the_same_as_itself() {
    let today = report(&fixture("rollout.ndjson"));
    let c = today.compare(&today);
    assert!(c.gone.is_empty());
    assert!(c
        .groups
        .iter()
        .all(|(_, b)| b.verdict == BaselineVerdict::Same && b.factor == Some(1.0)));
}

/// Failed requests of one route, ten minutes apart, with these latencies in
/// seconds, on the day `day` of November 2026: NDJSON as Cloud Run's request log writes it.
fn requests(day: u32, latencies_s: &[f64]) -> Vec<u8> {
    let mut out = String::new();
    for (i, latency) in latencies_s.iter().enumerate() {
        let entry = serde_json::json!({
            "insertId": format!("req-{day}-{i}"),
            "timestamp": format!("2026-11-{day:02}T09:{:02}:00Z", i * 10),
            "severity": "ERROR",
            "logName": "projects/netra-staging/logs/run.googleapis.com%2Frequests",
            "resource": {"type": "cloud_run_revision", "labels": {
                "service_name": "netra-backend-staging",
                "revision_name": "netra-backend-staging-00043-def",
                "project_id": "netra-staging"}},
            "httpRequest": {"requestMethod": "GET", "status": 500,
                "requestUrl": format!("https://netra-backend-staging-7019.us-central1.run.app/api/threads/{}", 1000 + i),
                "latency": format!("{latency:.6}s")},
        });
        out.push_str(&entry.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

/// A request group (its latencies, not durations) judged by p95 against a baseline with the
/// same rate: one row per side of the 2x rule, the factor checked against the exact p95s.
#[test]
fn a_request_group_slower_at_the_same_rate_is_regressed_by_p95() {
    let then = [0.9, 1.1, 1.0, 1.2, 1.05, 0.95];
    // Today's latencies, the verdict, what decided it.
    let rows: &[(&[f64], BaselineVerdict, Option<Measure>)] = &[
        (
            &[5.1, 4.8, 5.6, 6.0, 5.3, 4.9],
            BaselineVerdict::Regressed,
            Some(Measure::P95),
        ),
        (
            &[2.4, 2.5, 2.3, 2.6, 2.45, 2.35],
            BaselineVerdict::Regressed,
            Some(Measure::P95),
        ),
        (
            &[1.9, 2.0, 2.1, 2.05, 1.95, 2.02],
            BaselineVerdict::Same,
            None,
        ),
        (&[1.0, 1.1, 0.9, 1.2, 1.0, 1.1], BaselineVerdict::Same, None),
    ];
    // The exact p95: rank ⌊0.95·(n−1)⌋ in sorted order, in milliseconds.
    let p95 = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[(0.95 * (v.len() - 1) as f64).floor() as usize] * 1000.0
    };
    let baseline = report(&requests(25, &then));
    for (now, verdict, by) in rows {
        let today = report(&requests(26, now));
        let [g] = today.groups.as_slice() else {
            panic!("one group: {:?}", today.groups);
        };
        assert!(g.request.is_some() && g.latency_ms.is_some(), "{g:?}");
        assert_eq!(baseline.groups[0].fingerprint, g.fingerprint);
        let b = today
            .compare(&baseline)
            .verdict(g.fingerprint)
            .cloned()
            .expect("a verdict");
        assert_eq!((b.verdict, b.by), (*verdict, *by), "{now:?}");
        if b.by == Some(Measure::P95) {
            let exact = p95(now) / p95(&then);
            let factor = b.factor.expect("a factor");
            assert!((factor / exact - 1.0).abs() < 0.021, "{factor} vs {exact}");
        }
    }
}

/// The input's NDJSON lines newest first, as `gcloud logging read` prints by default.
fn newest_first(input: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
    lines.reverse();
    lines.concat()
}

/// What a deploy gate reads: the deploys, each group's deploy verdict and its verdict
/// against yesterday, by fingerprint.
fn verdicts(mut r: Report) -> impl PartialEq + std::fmt::Debug {
    against_yesterday(&mut r);
    let mut groups: Vec<_> = r
        .groups
        .iter()
        .map(|g| {
            (
                g.fingerprint,
                g.deploy,
                g.baseline.clone(),
                g.revisions.clone(),
            )
        })
        .collect();
    groups.sort_by_key(|g| g.0);
    (r.deploys, groups, r.gone)
}

#[test]
fn newest_first_gives_the_same_verdicts() {
    // Every event of these is one entry (a split traceback read backwards is the work of
    // the assembler, not of the verdicts).
    for name in ["rollout.ndjson", "rollout-early.ndjson"] {
        let input = fixture(name);
        assert_eq!(
            verdicts(report(&newest_first(&input))),
            verdicts(report(&input)),
            "{name}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Shards cut at any lines, in either order of time, merged with `Report::merge` and
    /// ranked, give the verdicts of the whole input.
    #[test]
    fn shards_merged_give_the_verdicts_of_the_whole(
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..4),
        reversed in any::<bool>(),
    ) {
        let mut input = fixture("rollout.ndjson");
        if reversed {
            input = newest_first(&input);
        }
        let lines: Vec<&[u8]> = input.split_inclusive(|&b| b == b'\n').collect();
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(lines.len() + 1)).collect();
        at.push(0);
        at.push(lines.len());
        at.sort_unstable();
        let triage = triage();
        let mut merged = Report::default();
        for w in at.windows(2) {
            let shard = lines[w[0]..w[1]].concat();
            merged.merge(&triage.run_slice(&shard, &mut NoSink).expect("run"));
        }
        merged.rank(|c| triage.classifier().categories().rank(c));
        prop_assert_eq!(verdicts(merged), verdicts(report(&input)));
    }
}
