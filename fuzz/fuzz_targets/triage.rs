//! Arbitrary bytes through the whole pipeline (reader, event assembly, classification), with
//! a tiny buffer and entry limit so every growth and oversize path is reached, on one thread
//! and on two with tiny blocks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logtriage::{NoSink, TriageBuilder};

fuzz_target!(|data: &[u8]| {
    for (threads, capacity) in [(1, 7), (2, 64)] {
        let triage = TriageBuilder::new()
            .buffer_capacity(capacity)
            .max_entry_bytes(4096)
            .threads(threads)
            .block_bytes(256)
            .build()
            .expect("default options build");
        let report = triage.run_slice(data, &mut NoSink).expect("reading a slice cannot fail");
        let t = &report.totals;
        assert_eq!(t.entries, t.ok + t.malformed + t.oversize);
    }
});
