//! Deploy verdicts: one test per verdict, with the boundaries of "has run long enough".

use super::{deploys, verdict, Deploy, DeployVerdict as V, SETTLED_EVENTS};
use crate::event::{Event, EventKind};
use crate::revision::Revisions;

/// A group's revisions from `(service, revision, minute after 14:00)` events.
fn group(events: &[(&str, &str, u32)]) -> Revisions {
    let mut r = Revisions::default();
    for (service, revision, minute) in events {
        let mut e = Event::new(EventKind::Severity, "x");
        e.service = Some(service.to_string());
        e.revision = Some(revision.to_string());
        e.timestamp = Some(format!(
            "2026-11-26T{:02}:{:02}:00Z",
            14 + minute / 60,
            minute % 60
        ));
        r.add(&e);
    }
    r
}

fn judge(groups: &[Revisions]) -> (Vec<Deploy>, Vec<Option<V>>) {
    let d = deploys(groups.iter());
    let v = groups.iter().map(|g| verdict(&d, g)).collect();
    (d, v)
}

#[test]
fn new_gone_persisting_and_none_for_a_service_of_one_revision() {
    let groups = [
        group(&[("api", "api-41", 1), ("api", "api-41", 15)]),
        group(&[("api", "api-42", 22), ("api", "api-42", 30)]),
        group(&[("api", "api-41", 5), ("api", "api-42", 35)]),
        group(&[("auth", "auth-17", 3), ("auth", "auth-17", 40)]),
    ];
    let (d, v) = judge(&groups);
    assert_eq!(v, [Some(V::Gone), Some(V::New), Some(V::Persisting), None]);
    assert_eq!(d.len(), 1, "auth has one revision: no deploy");
    let api = &d[0];
    assert_eq!(api.service, "api");
    let order: Vec<&str> = api.revisions.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(order, ["api-41", "api-42"]);
    let latest = api.latest().expect("a latest revision");
    assert_eq!((latest.events, latest.seconds()), (3, Some(13.0 * 60.0)));
    assert!(api.settled);
}

#[test]
fn not_seen_yet_while_the_latest_has_run_under_10_minutes_and_200_events() {
    // The latest revision's events span 5 minutes, then exactly 10.
    let five = [
        group(&[("api", "api-41", 1)]),
        group(&[("api", "api-42", 20), ("api", "api-42", 25)]),
    ];
    assert_eq!(judge(&five).1[0], Some(V::NotSeenYet));
    assert!(!judge(&five).0[0].settled);
    let ten = [
        group(&[("api", "api-41", 1)]),
        group(&[("api", "api-42", 20), ("api", "api-42", 30)]),
    ];
    assert_eq!(judge(&ten).1[0], Some(V::Gone));
    let nine = [
        group(&[("api", "api-41", 1)]),
        group(&[("api", "api-42", 20), ("api", "api-42", 29)]),
    ];
    assert_eq!(judge(&nine).1[0], Some(V::NotSeenYet));
    // 200 events in one minute are enough; 199 are not.
    for (n, want) in [
        (SETTLED_EVENTS, V::Gone),
        (SETTLED_EVENTS - 1, V::NotSeenYet),
    ] {
        let burst: Vec<(&str, &str, u32)> = (0..n).map(|_| ("api", "api-42", 20)).collect();
        let groups = [group(&[("api", "api-41", 1)]), group(&burst)];
        assert_eq!(judge(&groups).1[0], Some(want), "{n} events");
    }
}

#[test]
fn the_latest_revision_is_the_one_that_started_last_whatever_its_name_or_the_order() {
    // 00042 was rolled back to 00041 after 00043... names do not decide, first events do.
    let groups = [
        group(&[("api", "api-00043", 10), ("api", "api-00043", 12)]),
        group(&[("api", "api-00041", 30), ("api", "api-00041", 50)]),
        group(&[("api", "api-00042", 5)]),
    ];
    let (d, v) = judge(&groups);
    let order: Vec<&str> = d[0].revisions.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(order, ["api-00042", "api-00043", "api-00041"]);
    assert_eq!(v, [Some(V::Gone), Some(V::New), Some(V::Gone)]);
    let mut reversed = groups.clone();
    reversed.reverse();
    let (d2, mut v2) = judge(&reversed);
    v2.reverse();
    assert_eq!((d2, v2), (d, v));
}

#[test]
fn a_group_in_two_services_with_deploys_takes_the_most_urgent_verdict() {
    let groups = [
        group(&[("api", "api-41", 1), ("auth", "auth-18", 30)]),
        group(&[("api", "api-42", 20), ("api", "api-42", 40)]),
        group(&[("auth", "auth-17", 2), ("auth", "auth-17", 3)]),
    ];
    let (d, v) = judge(&groups);
    assert_eq!(d.len(), 2);
    // Gone from api, new in auth: new.
    assert_eq!(v[0], Some(V::New));
    assert_eq!(d[0].verdict(&groups[0]), Some(V::Gone));
    assert_eq!(d[1].verdict(&groups[0]), Some(V::New));
}

#[test]
fn a_revision_without_a_service_is_no_deploy() {
    let mut r = Revisions::default();
    for rev in ["v1", "v2"] {
        let mut e = Event::new(EventKind::Severity, "x");
        e.revision = Some(rev.to_string());
        r.add(&e);
    }
    assert_eq!(judge(&[r]).0, Vec::new());
}
