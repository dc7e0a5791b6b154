//! The parallel paths: blocks cut at entry boundaries, scanned by rayon workers with fresh
//! state, merged in input order. A file or slice is read at offsets by the workers
//! themselves ([`positional`]), also a pretty-printed array; a stream (NDJSON or text) is
//! read into blocks by the first thread ([`stream`]). Both merge as [`merge`] says.

mod merge;
mod positional;
mod stream;

pub(crate) use merge::Parallel;
pub(crate) use positional::run as run_positional;
pub(crate) use stream::run as run_stream;
