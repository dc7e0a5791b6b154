//! The NDJSON form of an event: one line per event, written as soon as it is found.

use super::model::{Event, EventKind, Request, Role};
use crate::category::Category;
use crate::entry::Severity;
use crate::fingerprint::Fingerprint;
use crate::platform::PlatformMessage;
use crate::traceback::Frame;
use std::borrow::Cow;

/// One line of `--format ndjson`: an event as it is streamed, borrowed from the [`Event`]
/// when written and owned when read back.
///
/// ```
/// use logtriage::{Event, EventKind, EventRecord};
/// let event = Event::new(EventKind::Severity, "Redis connection refused");
/// let line = serde_json::to_string(&EventRecord::from(&event))?;
/// let back: EventRecord = serde_json::from_str(&line)?;
/// assert_eq!(back.message, event.classification.message);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct EventRecord<'a> {
    /// The `insertId` of the event's first entry (null for plain text).
    #[serde(borrow)]
    pub insert_id: Option<Cow<'a, str>>,
    /// The 1-based input line where that entry starts.
    pub line: u64,
    /// The `insertId` of every entry the event spans.
    #[serde(borrow)]
    pub entries: Cow<'a, [String]>,
    /// The first entry's timestamp.
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
    /// The service.
    #[serde(borrow)]
    pub service: Option<Cow<'a, str>>,
    /// The revision.
    #[serde(borrow)]
    pub revision: Option<Cow<'a, str>>,
    /// What made it an event.
    pub kind: EventKind,
    /// A cause or a symptom (failed requests and platform messages).
    #[serde(default)]
    pub role: Role,
    /// The highest severity among its entries.
    pub severity: Severity,
    /// The category.
    pub category: Category,
    /// The deciding exception type.
    #[serde(borrow)]
    pub exception: Option<Cow<'a, str>>,
    /// The deciding message.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    /// The subject.
    #[serde(borrow)]
    pub subject: Option<Cow<'a, str>>,
    /// The fingerprint.
    pub fingerprint: Fingerprint,
    /// The in-app frames of the deciding exception, outermost first.
    #[serde(borrow)]
    pub frames: Cow<'a, [Frame]>,
    /// The id of the known issue that tracks it.
    #[serde(borrow)]
    pub known_issue: Option<Cow<'a, str>>,
    /// The `trace` of its first entry.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Cow<'a, str>>,
    /// The `labels.instanceId` of its first entry.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<Cow<'a, str>>,
    /// For an event from a request log: method, route, status and latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Cow<'a, Request>>,
    /// For a platform message (or a refused request): the table row's id and kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Cow<'a, PlatformMessage>>,
}

impl<'a> From<&'a Event> for EventRecord<'a> {
    fn from(ev: &'a Event) -> Self {
        let c = &ev.classification;
        EventRecord {
            insert_id: ev.insert_ids.first().map(|s| Cow::Borrowed(s.as_str())),
            line: ev.line,
            entries: Cow::Borrowed(&ev.insert_ids),
            timestamp: ev.timestamp.as_deref().map(Cow::Borrowed),
            service: ev.service.as_deref().map(Cow::Borrowed),
            revision: ev.revision.as_deref().map(Cow::Borrowed),
            kind: ev.kind,
            role: ev.role(),
            severity: ev.severity,
            category: c.category.clone(),
            exception: c.exception.as_deref().map(Cow::Borrowed),
            message: Cow::Borrowed(&c.message),
            subject: c.subject.as_deref().map(Cow::Borrowed),
            fingerprint: c.fingerprint,
            frames: Cow::Borrowed(&c.frames),
            known_issue: c.known_issue.as_ref().map(|k| Cow::Borrowed(k.id.as_str())),
            trace: ev.trace.as_deref().map(Cow::Borrowed),
            instance: ev.instance.as_deref().map(Cow::Borrowed),
            request: ev.request.as_ref().map(Cow::Borrowed),
            platform: ev.platform.as_ref().map(Cow::Borrowed),
        }
    }
}
