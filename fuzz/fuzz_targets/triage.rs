//! Arbitrary bytes through the whole pipeline (reader, event assembly, classification), with
//! a tiny buffer and entry limit so every growth and oversize path is reached, on one thread
//! and on two with tiny blocks, read at offsets and as a stream: the totals must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logtriage::{NoSink, Triage, TriageBuilder};
use std::sync::OnceLock;

/// Built once: compiling the rules per input would leave little time for the input.
fn triages() -> &'static [Triage; 2] {
    static TRIAGES: OnceLock<[Triage; 2]> = OnceLock::new();
    TRIAGES.get_or_init(|| {
        let build = |threads, capacity| {
            TriageBuilder::new()
                .buffer_capacity(capacity)
                .max_entry_bytes(4096)
                .threads(threads)
                .block_bytes(256)
                .build()
                .expect("default options build")
        };
        [build(1, 7), build(2, 64)]
    })
}

fuzz_target!(|data: &[u8]| {
    let mut first = None;
    for triage in triages() {
        for report in [triage.run_slice(data, &mut NoSink), triage.run(data, &mut NoSink)] {
            let t = report.expect("reading a slice cannot fail").totals;
            assert_eq!(t.entries, t.ok + t.malformed + t.oversize);
            assert_eq!(first.get_or_insert_with(|| t.clone()), &t);
        }
    }
});
