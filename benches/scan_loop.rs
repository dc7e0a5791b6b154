//! The scan loop as the pipeline runs it, shared by the benches and the allocation test so
//! that they measure one and the same loop.

use logtriage::internals::{Ahead, Framed, Prefilter, ReaderBuilder};
use std::hint::black_box;

/// The reader's buffer as `TriageBuilder` sets it by default.
pub const PIPELINE_BUFFER: usize = 1 << 20;

/// Entries before the next literal are counted in bulk, the others framed and prefiltered one
/// by one; returns (entries, candidates).
pub fn scan(input: &[u8], prefilter: &Prefilter) -> (u64, u64) {
    let mut reader = ReaderBuilder::new().capacity(PIPELINE_BUFFER).build(input);
    let mut ahead = Ahead::default();
    let (mut entries, mut candidates) = (0, 0);
    loop {
        entries += ahead.skip_clear(&mut reader);
        let Some((framed, candidate)) = ahead
            .next_entry(prefilter, &mut reader)
            .expect("in-memory reads do not fail")
        else {
            break;
        };
        if let Framed::Entry { bytes, .. } = framed {
            black_box(bytes);
            entries += 1;
            candidates += u64::from(candidate);
        }
    }
    (entries, candidates)
}
