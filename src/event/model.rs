//! The model of a failure event: what was found, and the [`Classification`] that later
//! stages fill.

use crate::category::Category;
use crate::entry::{Entry, Severity};
use crate::fingerprint::Fingerprint;
use crate::logs_url::project_of_log_name;
use crate::platform::PlatformMessage;
use crate::traceback::{self, Frame, Traceback};

/// What made an entry (or run of entries) an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A Python traceback, whole in one entry or reassembled from one line per entry.
    Traceback,
    /// An entry of severity `ERROR` or above without a traceback.
    Severity,
    /// A slow query at or above the threshold.
    SlowQuery,
    /// A platform's out-of-memory report.
    OutOfMemory,
    /// A failed request: a request log entry (`httpRequest`) with a status of 500 or more.
    /// A symptom.
    Request,
    /// A platform message (Cloud Run's, gunicorn's, uvicorn's words about a dying instance
    /// or a refused request), recognised from the platform table. A symptom.
    Platform,
}

impl EventKind {
    /// Whether events of this kind are causes or symptoms: failed requests and platform
    /// messages are symptoms, every other kind is a cause.
    pub fn role(self) -> Role {
        match self {
            EventKind::Request | EventKind::Platform => Role::Symptom,
            _ => Role::Cause,
        }
    }
}

/// Whether an event (or group) is a failure of its own or the visible effect of one.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// A traceback, an error entry, a slow query, an out-of-memory report.
    #[default]
    Cause,
    /// A failed request or a platform message: the report links it to the cause it came
    /// from when the logs say which.
    Symptom,
}

/// The request a request log entry describes, as a failed request's event keeps it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Request {
    /// `requestMethod` (`GET`), when logged.
    pub method: Option<String>,
    /// The URL's path with id-like segments replaced by `{id}` (see [`crate::route_of`]).
    pub route: String,
    /// The HTTP status, when logged.
    pub status: Option<u16>,
    /// `latency` in milliseconds, when logged.
    pub latency_ms: Option<f64>,
}

impl Request {
    /// A request of `method` to `url` that answered `status` after `latency_ms`.
    pub fn new(
        method: Option<&str>,
        url: &str,
        status: Option<u16>,
        latency_ms: Option<f64>,
    ) -> Self {
        Request {
            method: method.map(str::to_string),
            route: crate::route::route_of(url),
            status,
            latency_ms,
        }
    }

    /// `GET /api/threads/{id} → 500 in 5.1 s` (`in 21 ms` under a second; no `in` part
    /// without a latency, no method or status when not logged).
    ///
    /// ```
    /// let r = logtriage::Request::new(Some("GET"), "https://x.run.app/api/threads/th_5d1c0e", Some(500), Some(5123.4));
    /// assert_eq!(r.headline(), "GET /api/threads/{id} → 500 in 5.1 s");
    /// ```
    pub fn headline(&self) -> String {
        let mut line = String::new();
        if let Some(m) = &self.method {
            line.push_str(m);
            line.push(' ');
        }
        line.push_str(&self.route);
        if let Some(status) = self.status {
            line.push_str(&format!(" → {status}"));
        }
        match self.latency_ms {
            Some(ms) if ms >= 1000.0 => line.push_str(&format!(" in {:.1} s", ms / 1000.0)),
            Some(ms) => line.push_str(&format!(" in {ms:.0} ms")),
            None => {}
        }
        line
    }
}

/// A slow query found in a PostgreSQL, MySQL or JSON entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct SlowQuery {
    /// The duration in milliseconds.
    pub duration_ms: f64,
    /// The statement as logged.
    pub statement: String,
}

impl SlowQuery {
    /// A query of `statement` that took `duration_ms` milliseconds.
    pub fn new(duration_ms: f64, statement: &str) -> Self {
        SlowQuery {
            duration_ms,
            statement: statement.to_string(),
        }
    }
}

/// The link from an event or group to the tracker issue that tracks it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct IssueRef {
    /// The tracker's id, e.g. `903`.
    pub id: String,
    /// The issue's title.
    pub title: String,
    /// The issue's address, when given.
    pub url: Option<String>,
    /// Whether the issue is open or closed, when the tracker's export said (`null` for a
    /// hand-written entry).
    #[serde(default)]
    pub state: Option<IssueState>,
    /// How the issue was matched (`null` in a report saved before matches were recorded).
    #[serde(default, rename = "match")]
    pub matched: Option<IssueMatch>,
}

impl IssueRef {
    /// A link to issue `id` titled `title`, with no address, state or match.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        IssueRef {
            id: id.into(),
            title: title.into(),
            url: None,
            state: None,
            matched: None,
        }
    }

    /// Whether the tracker says the issue is closed: a group that matches it is a regression.
    pub fn is_closed(&self) -> bool {
        self.state == Some(IssueState::Closed)
    }
}

/// The state of a tracker issue, as `gh issue list --json state` gives it (`OPEN`,
/// `CLOSED`); written in lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IssueState {
    /// Still open.
    Open,
    /// Closed: fixed, or not planned.
    Closed,
}

/// How a known issue was matched to an event or group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct IssueMatch {
    /// By a hand-written entry (its category, pattern and service) or by shared text.
    pub by: MatchBy,
    /// For a text match, the score that passed the threshold (the sum of the weights of the
    /// terms found); `null` for a hand-written entry.
    pub score: Option<f64>,
    /// For a text match, the terms found in the issue, strongest first; for a pattern, the
    /// text it matched (none for an entry with no pattern).
    pub terms: Vec<String>,
}

/// What matched a known issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MatchBy {
    /// A hand-written entry: its category, and its `pattern` and `service` when given.
    Pattern,
    /// The identifiers and rare words the event shares with the issue's title and body.
    Text,
}

/// What the stages after assembly decided about an event.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Classification {
    /// The category; [`Category::UNCLASSIFIED`] until the classifier runs.
    pub category: Category,
    /// The deciding exception type, when there is one.
    pub exception: Option<String>,
    /// The deciding message (first line of the exception message, or of the text).
    pub message: String,
    /// The category's subject (a symbol, a module, `host:port`, a statement), when named.
    pub subject: Option<String>,
    /// The in-app frames of the deciding exception, outermost first.
    pub frames: Vec<Frame>,
    /// The stable fingerprint that groups repeats.
    pub fingerprint: Fingerprint,
    /// The known issue that tracks it, if one matches.
    pub known_issue: Option<IssueRef>,
}

impl Classification {
    /// The `Type: message` line as CPython prints it, the type alone when the message is
    /// empty, or the message when there is no exception type.
    pub fn headline(&self) -> String {
        match &self.exception {
            Some(t) if !self.message.is_empty() => format!("{t}: {}", self.message),
            Some(t) => t.clone(),
            None => self.message.clone(),
        }
    }
}

/// One failure found in the stream, with its classification once the pipeline filled it.
///
/// Serde both ways: a partial report ([`crate::Partial`]) carries the events a shard still
/// held open at its end, and each group's first event.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// What made it an event.
    pub kind: EventKind,
    /// The 1-based input line where its first entry starts (first in time: read newest first,
    /// the last of its entries in the input).
    pub line: u64,
    /// The `insertId` of every entry it spans, in time order, whichever order the input
    /// had (empty for plain text).
    pub insert_ids: Vec<String>,
    /// The first entry's timestamp.
    pub timestamp: Option<String>,
    /// The first entry's service (`resource.labels.service_name`, ...).
    pub service: Option<String>,
    /// The first entry's revision (`resource.labels.revision_name`, ...).
    pub revision: Option<String>,
    /// The first entry's project id, from its `logName` (`projects/P/logs/...`).
    pub project: Option<String>,
    /// The highest severity among its entries (after level words).
    pub severity: Severity,
    /// The event's text: header line(s) and traceback lines, or the message.
    pub text: String,
    /// The parsed traceback, for [`EventKind::Traceback`].
    pub traceback: Option<Traceback>,
    /// The slow query, for [`EventKind::SlowQuery`].
    pub slow_query: Option<SlowQuery>,
    /// The SQL statement the event's database entries name: a PostgreSQL `STATEMENT:` line
    /// after an error, or the `query` column of a `csvlog` record. It is the subject when the
    /// deciding pattern names none.
    pub statement: Option<String>,
    /// The first entry's `trace` (`projects/P/traces/T`).
    pub trace: Option<String>,
    /// The first entry's `labels.instanceId`.
    pub instance: Option<String>,
    /// The request, for an event from a request log ([`EventKind::Request`], and a platform
    /// message that a request log carries).
    pub request: Option<Request>,
    /// The platform-table row its message matched: for [`EventKind::Platform`], and for a
    /// failed request whose log says why the platform refused it.
    pub platform: Option<PlatformMessage>,
    /// What the classifier and the known issues decided.
    pub classification: Classification,
}

impl Event {
    /// An unclassified event of `kind` with `text`, as an embedder makes one from a message
    /// or traceback found elsewhere; a traceback event's text is parsed.
    ///
    /// ```
    /// use logtriage::{Category, Classifier, Event, EventKind};
    /// let text = "Traceback (most recent call last):\n  File \"/app/smd.py\", line 1687, in _initialize_factory_patterns\n    factory = UnifiedExecutionEngineFactory()\nNameError: name 'UnifiedExecutionEngineFactory' is not defined";
    /// let mut event = Event::new(EventKind::Traceback, text);
    /// Classifier::builtin().classify(&mut event);
    /// assert_eq!(event.classification.category, Category::UNDEFINED_SYMBOL);
    /// assert_eq!(event.classification.subject.as_deref(), Some("UnifiedExecutionEngineFactory"));
    /// ```
    pub fn new(kind: EventKind, text: impl Into<String>) -> Self {
        let text = text.into();
        let traceback = match kind {
            EventKind::Traceback => traceback::parse(&text),
            _ => None,
        };
        Event {
            kind,
            line: 0,
            insert_ids: Vec::new(),
            timestamp: None,
            service: None,
            revision: None,
            project: None,
            severity: Severity::Default,
            text,
            traceback,
            slow_query: None,
            statement: None,
            trace: None,
            instance: None,
            request: None,
            platform: None,
            classification: Classification::default(),
        }
    }

    /// Whether it is a cause or a symptom (see [`EventKind::role`]).
    pub fn role(&self) -> Role {
        self.kind.role()
    }

    /// An unclassified event of `kind` starting at `entry`, with no text yet.
    pub(crate) fn at(kind: EventKind, entry: &Entry<'_>) -> Self {
        Event {
            line: entry.line,
            insert_ids: entry.insert_id.iter().map(|s| s.to_string()).collect(),
            timestamp: entry.timestamp.as_ref().map(|s| s.to_string()),
            service: entry.service().map(str::to_string),
            revision: entry.revision().map(str::to_string),
            trace: entry.trace.as_ref().map(|s| s.to_string()),
            instance: entry.instance_id.as_ref().map(|s| s.to_string()),
            project: entry
                .log_name
                .as_deref()
                .and_then(project_of_log_name)
                .map(str::to_string),
            severity: entry.level(),
            ..Event::new(kind, String::new())
        }
    }
}
