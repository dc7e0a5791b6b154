//! Which revisions of which services a group's events came from: a count and the first and
//! last time per revision, kept on each [`crate::Group`] as [`Revisions`].
//!
//! They are what the deploy verdicts ([`crate::Deploy`]) are made of, and they merge exactly
//! (counts add, times widen), so the report of shards merged has the same revisions as the
//! report of the whole input.

use crate::event::Event;

/// The events of a group that came from one revision of one service.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RevisionCount {
    /// The service (`resource.labels.service_name`, ...), when the events named one.
    pub service: Option<String>,
    /// The revision: Cloud Run's `revision_name`, App Engine's `version_id`, GKE's
    /// `k8s-pod/pod-template-hash`.
    pub revision: String,
    /// How many of the group's events came from it.
    pub count: u64,
    /// The earliest timestamp among them.
    pub first_seen: Option<String>,
    /// The latest timestamp among them.
    pub last_seen: Option<String>,
}

/// A group's events per revision, sorted by service (none first) then revision name. Events
/// without a revision are not in it: the group's `count` holds them.
///
/// In JSON, an array of [`RevisionCount`]s:
/// `[{"service": "netra-backend-staging", "revision": "netra-backend-staging-00041-abc",
/// "count": 6, "first_seen": "...", "last_seen": "..."}]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Revisions(Vec<RevisionCount>);

impl Revisions {
    /// The revisions, sorted by service then name.
    pub fn iter(&self) -> std::slice::Iter<'_, RevisionCount> {
        self.0.iter()
    }

    /// How many revisions there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no event named a revision.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The events of `revision` of `service`, if any came from it.
    pub fn get(&self, service: Option<&str>, revision: &str) -> Option<&RevisionCount> {
        self.find(service, revision)
            .ok()
            .and_then(|i| self.0.get(i))
    }

    /// Counts one event. A revision seen before costs a binary search among the group's few
    /// revisions and no allocation; only a new one is cloned.
    pub(crate) fn add(&mut self, event: &Event) {
        let Some(revision) = event.revision.as_deref() else {
            return;
        };
        let service = event.service.as_deref();
        let i = match self.find(service, revision) {
            Ok(i) => i,
            Err(i) => {
                let new = RevisionCount {
                    service: service.map(str::to_string),
                    revision: revision.to_string(),
                    count: 0,
                    first_seen: None,
                    last_seen: None,
                };
                self.0.insert(i, new);
                i
            }
        };
        if let Some(r) = self.0.get_mut(i) {
            r.count += 1;
            if let Some(ts) = &event.timestamp {
                widen(&mut r.first_seen, &mut r.last_seen, ts, ts);
            }
        }
    }

    /// Adds the revisions of the same group in another shard.
    pub(crate) fn merge(&mut self, next: &Revisions) {
        for theirs in &next.0 {
            self.absorb(theirs);
        }
    }

    fn absorb(&mut self, theirs: &RevisionCount) {
        match self.find(theirs.service.as_deref(), &theirs.revision) {
            Ok(i) => {
                if let Some(mine) = self.0.get_mut(i) {
                    mine.count += theirs.count;
                    if let (Some(first), Some(last)) = (&theirs.first_seen, &theirs.last_seen) {
                        widen(&mut mine.first_seen, &mut mine.last_seen, first, last);
                    }
                }
            }
            Err(i) => self.0.insert(i, theirs.clone()),
        }
    }

    fn find(&self, service: Option<&str>, revision: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|r| {
            r.service
                .as_deref()
                .cmp(&service)
                .then_with(|| r.revision.as_str().cmp(revision))
        })
    }
}

impl<'a> IntoIterator for &'a Revisions {
    type Item = &'a RevisionCount;
    type IntoIter = std::slice::Iter<'a, RevisionCount>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Read back sorted, with a revision listed twice counted once (as a merge would), so that
/// lookups hold for any saved file.
impl<'de> serde::Deserialize<'de> for Revisions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = Revisions::default();
        for r in Vec::<RevisionCount>::deserialize(d)? {
            out.absorb(&r);
        }
        Ok(out)
    }
}

/// Widens `first..=last` to hold `lo..=hi` (RFC 3339 strings from one source compare in time
/// order), reusing the strings' allocations.
fn widen(first: &mut Option<String>, last: &mut Option<String>, lo: &str, hi: &str) {
    for (slot, value, wins) in [
        (first, lo, std::cmp::Ordering::Less),
        (last, hi, std::cmp::Ordering::Greater),
    ] {
        match slot {
            Some(s) if value.cmp(s.as_str()) == wins => value.clone_into(s),
            Some(_) => {}
            None => *slot = Some(value.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Revisions;
    use crate::event::{Event, EventKind};

    fn event(service: Option<&str>, revision: Option<&str>, ts: &str) -> Event {
        let mut e = Event::new(EventKind::Severity, "x");
        e.service = service.map(str::to_string);
        e.revision = revision.map(str::to_string);
        e.timestamp = Some(ts.to_string());
        e
    }

    #[test]
    fn counts_per_revision_of_each_service_sorted_and_merged() {
        let evs = [
            event(Some("api"), Some("api-00042"), "2026-11-26T14:22:00Z"),
            event(Some("api"), Some("api-00041"), "2026-11-26T14:05:00Z"),
            event(Some("api"), Some("api-00041"), "2026-11-26T14:01:00Z"),
            event(Some("auth"), Some("api-00041"), "2026-11-26T14:03:00Z"),
            event(None, Some("v1"), "2026-11-26T14:04:00Z"),
            event(Some("api"), None, "2026-11-26T14:04:00Z"),
        ];
        let mut whole = Revisions::default();
        evs.iter().for_each(|e| whole.add(e));
        let rows: Vec<(Option<&str>, &str, u64)> = whole
            .iter()
            .map(|r| (r.service.as_deref(), r.revision.as_str(), r.count))
            .collect();
        assert_eq!(
            rows,
            [
                (None, "v1", 1),
                (Some("api"), "api-00041", 2),
                (Some("api"), "api-00042", 1),
                (Some("auth"), "api-00041", 1),
            ]
        );
        let r = whole.get(Some("api"), "api-00041").expect("counted");
        assert_eq!(r.first_seen.as_deref(), Some("2026-11-26T14:01:00Z"));
        assert_eq!(r.last_seen.as_deref(), Some("2026-11-26T14:05:00Z"));
        for cut in 0..=evs.len() {
            let (mut a, mut b) = (Revisions::default(), Revisions::default());
            evs[..cut].iter().for_each(|e| a.add(e));
            evs[cut..].iter().for_each(|e| b.add(e));
            a.merge(&b);
            assert_eq!(a, whole, "cut at {cut}");
        }
        let json = serde_json::to_string(&whole).expect("serializes");
        assert!(json.starts_with(r#"[{"service":null,"revision":"v1","count":1,"#));
        let back: Revisions = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, whole);
    }
}
