//! # logtriage
//!
//! Turns a flood of Google Cloud Logging entries into a short, ranked list of root causes,
//! each linked to the issue that already tracks it.
//!
//! ## The pipeline
//!
//! ```text
//! input ──▶ prefilter ──▶ entry ──▶ event assembly ──▶ classify ──▶ known issues ──▶ report
//! (framing)  (literals)   (serde)   (tracebacks,       (category,    (tracker        (groups,
//!                                    split lines)       fingerprint)  links)          totals)
//! ```
//!
//! The input is framed into entries in one reusable buffer (a gcloud JSON array, NDJSON or
//! plain text); a prefilter picks the few entries that may hold a failure from their raw
//! bytes; only those are parsed, into views that borrow the buffer; event assembly turns
//! them into [`Event`]s (whole and split Python tracebacks, error entries, slow queries,
//! out-of-memory reports); the [`Classifier`] gives each a [`Category`], subject and stable
//! [`Fingerprint`]; [`KnownIssues`] link them to a tracker; the [`Report`] groups repeats.
//! [`TriageBuilder`] puts them together and a [`Sink`] sees each event as it is found. The
//! formats and rules all of this follows are in [`reference`](mod@reference).
//!
//! ```
//! use logtriage::{Category, NoSink, TriageBuilder};
//!
//! let triage = TriageBuilder::new()
//!     .known_issues_file("fixtures/known_issues.json")
//!     .build()?;
//! let logs = std::fs::read("fixtures/staging.ndjson")?;
//! let report = triage.run_slice(&logs, &mut NoSink)?;
//! let top = &report.groups[0];
//! assert_eq!(top.category, Category::UNDEFINED_SYMBOL);
//! assert_eq!(top.subject.as_deref(), Some("UnifiedExecutionEngineFactory"));
//! assert_eq!(top.known_issue.as_ref().map(|i| i.id.as_str()), Some("903"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// The array scanner's SIMD (`input::window`: SSE2 compares, and AVX2 where the CPU has it)
// is the only `unsafe`, each block with a `SAFETY:` argument and a measured gain; everything
// else stays safe.
#![deny(unsafe_code)]
#![deny(missing_docs)]

/// A `memchr::memmem::Finder` for a literal, built on first use and kept: `str::find` and
/// `contains` build a searcher on every call, which was 6% of a run with 20% failures where
/// they ran for every entry.
macro_rules! finder {
    ($needle:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}

mod baseline;
mod category;
mod causes;
mod classify;
#[cfg(feature = "cli")]
pub mod cli;
mod compare;
mod deploy;
mod draft;
mod entry;
mod error;
mod event;
mod fingerprint;
mod group;
mod input;
mod json_file;
mod known_issues;
mod logs_url;
mod partial;
mod pipeline;
mod platform;
mod prefilter;
mod quiet;
pub mod reference;
mod report;
mod revision;
mod route;
mod scrub;
mod seen;
mod sketch;
mod text;
mod time;
mod timeline;
mod title;
mod traceback;

pub use baseline::{
    Baseline, BaselineVerdict, GoneGroup, Measure, IMPROVED_FACTOR, MIN_SPAN_SECONDS,
    REGRESSED_FACTOR, REGRESSED_MIN_EVENTS,
};
pub use category::{Categories, Category};
pub use causes::{CauseLink, Evidence, Impact, Links, RouteCount, MAX_MARKS};
pub use classify::Classifier;
pub use compare::Comparison;
pub use deploy::{Deploy, DeployVerdict, RevisionSpan, SETTLED_EVENTS, SETTLED_SECONDS};
pub use draft::{prepare_dir, write_drafts, Draft, WrittenDraft, DRAFT_LINES};
pub use entry::Severity;
pub use error::{Error, Item, PartialError, Result};
pub use event::{
    Classification, Event, EventKind, EventRecord, IssueMatch, IssueRef, IssueState, MatchBy,
    Request, Role, SlowQuery,
};
pub use fingerprint::{is_in_app, normalize_message, Fingerprint};
pub use group::{Group, RequestKey, SAMPLES_KEPT, SAMPLE_TEXT_BYTES};
pub use input::{Binary, Format, DEFAULT_MAX_ENTRY_BYTES};
pub use known_issues::KnownIssues;
pub use partial::{Partial, LEAD_BYTES, PARTIAL_VERSION};
pub use pipeline::{FnSink, NoSink, ReadAt, Sink, Triage, TriageBuilder};
pub use platform::{PlatformKind, PlatformMessage};
pub use report::{Report, Span, Totals, MALFORMED_LINES_KEPT, SCHEMA_VERSION};
pub use revision::{RevisionCount, Revisions};
pub use route::route_of;
pub use scrub::{scrub, Redact, EMAIL, FILTERED, LONG_TOKEN};
pub use sketch::{Sketch, RELATIVE_ACCURACY};
pub use timeline::{Timeline, BUCKET_SECONDS};
pub use title::suggest_title;
pub use traceback::{parse as parse_traceback, Exception, Frame, Link, Traceback};

/// The stages below the public API, for the crate's own benches and fuzz targets. Not part
/// of the API: anything here may change in any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::entry::{Entry, EntryError};
    pub use crate::input::{Format, Framed, Reader, ReaderBuilder};
    pub use crate::prefilter::{Ahead, Prefilter};
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The proptest configuration of the unit tests: `cases` cases, and shrunk failures kept
/// beside the source file (`src/input.proptest-regressions`) and replayed first on every
/// run. Proptest's default keeps them in a `proptest-regressions/` tree at the crate's top.
#[cfg(test)]
pub(crate) fn proptest_config(cases: u32) -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::prelude::ProptestConfig::default()
    }
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::Triage>();
        assert_send_sync::<crate::Report>();
        assert_send_sync::<crate::Event>();
        assert_send_sync::<crate::Classifier>();
        assert_send_sync::<crate::KnownIssues>();
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::internals::Prefilter>();
        assert_send_sync::<crate::internals::Reader<std::io::Stdin>>();
    }
}
