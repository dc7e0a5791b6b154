//! # logtriage
//!
//! Turns a flood of Google Cloud Logging entries into a short, ranked list of root causes,
//! each linked to the issue that already tracks it.
//!
//! The pipeline, one module per concept:
//! [`Reader`] frames entries in one reusable buffer; the [`Prefilter`] picks the few that may
//! hold a failure; those are parsed into borrowed [`Entry`] views; event assembly turns them
//! into [`Event`]s (whole and split Python [`Traceback`]s, error entries, slow queries, OOM
//! kills); the [`Classifier`] gives each a category and subject; a stable [`Fingerprint`]
//! groups repeats; [`KnownIssues`] links groups to a tracker; the [`Report`] holds it all.
//! [`TriageBuilder`] puts them together.
//!
//! ```
//! use logtriage::{NoSink, TriageBuilder};
//!
//! let triage = TriageBuilder::new().build()?;
//! let logs = br#"{"insertId":"a1","severity":"INFO","textPayload":"GET /health 200"}
//! {"insertId":"a2","severity":"ERROR","textPayload":"Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused."}
//! "#;
//! let report = triage.run_slice(logs, &mut NoSink)?;
//! assert_eq!(report.totals.entries, 2);
//! assert_eq!(report.totals.events, 1);
//! # Ok::<(), logtriage::Error>(())
//! ```
// The array scanner's SIMD (`reader::window`: SSE2 compares, and AVX2 where the CPU has it)
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

mod classify;
#[cfg(feature = "cli")]
pub mod cli;
mod entry;
mod error;
mod event;
mod fingerprint;
mod knowledge;
mod reader;
mod report;
mod traceback;
mod triage;

pub use classify::{Classifier, BUILTIN_CATEGORIES};
pub use entry::{Ahead, Entry, EntryError, Prefilter, Severity};
pub use error::{Error, Result};
pub use event::{Event, EventKind, SlowQuery};
pub use fingerprint::{is_in_app, normalize_message, Fingerprint};
pub use knowledge::{suggest_title, IssueRef, KnownIssues};
pub use reader::{Format, Framed, Reader, ReaderBuilder, DEFAULT_MAX_ENTRY_BYTES};
pub use report::{
    Group, Report, Span, Totals, MALFORMED_LINES_KEPT, SAMPLES_KEPT, SAMPLE_TEXT_BYTES,
};
pub use traceback::{parse as parse_traceback, Exception, Frame, Link, Traceback};
pub use triage::{FnSink, NoSink, ReadAt, Sink, Triage, TriageBuilder};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The proptest configuration of the unit tests: `cases` cases, and shrunk failures kept
/// beside the source file (`src/reader.proptest-regressions`) and replayed first on every
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
        assert_send_sync::<crate::Prefilter>();
        assert_send_sync::<crate::Reader<std::io::Stdin>>();
    }
}
