//! Framing and prefiltering non-candidate entries allocates nothing per entry: the number of
//! allocations does not grow with the number of entries .

#[path = "../benches/scan_loop.rs"]
mod scan_loop;

use logtriage::internals::Prefilter;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts the allocations made by the current thread.
struct Counting;

thread_local! {
    // `const` init without a destructor: using it never allocates, so it is safe to touch
    // from inside the allocator.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: during thread teardown the slot may be gone; such allocations are not ours.
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract `System` meets is met here too; counting touches only a
// thread-local `Cell` that needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` through this type.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` through this type.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// A Cloud Run request log entry that holds no event.
fn request_entry(i: usize) -> String {
    format!(
        r#"{{"httpRequest":{{"latency":"0.0{lat}s","protocol":"HTTP/1.1","remoteIp":"169.254.1.{ip}","requestMethod":"GET","requestSize":"412","requestUrl":"https://netra-backend-staging-abc123-uc.a.run.app/api/threads/{i}","responseSize":"1834","serverIp":"10.8.0.3","status":200,"userAgent":"Mozilla/5.0 (X11; Linux x86_64)"}},"insertId":"{i:024x}","labels":{{"instanceId":"00f46b9285a1c2"}},"logName":"projects/netra-staging/logs/run.googleapis.com%2Frequests","receiveTimestamp":"2026-11-27T07:01:02.345678Z","resource":{{"labels":{{"configuration_name":"netra-backend-staging","location":"us-central1","project_id":"netra-staging","revision_name":"netra-backend-staging-00042-xyz","service_name":"netra-backend-staging"}},"type":"cloud_run_revision"}},"severity":"INFO","spanId":"{i:016x}","timestamp":"2026-11-27T07:01:02.123456Z","trace":"projects/netra-staging/traces/{i:032x}"}}"#,
        lat = i % 10,
        ip = i % 250,
    )
}

fn ndjson(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend(request_entry(i).as_bytes());
        out.push(b'\n');
    }
    out
}

fn array(n: usize) -> Vec<u8> {
    let values: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::from_str(&request_entry(i)).unwrap())
        .collect();
    serde_json::to_vec_pretty(&values).unwrap()
}

/// Allocations made while framing and prefiltering all of `input`; also the entry count.
fn scan_allocs(input: &[u8], prefilter: &Prefilter) -> (u64, usize) {
    let before = allocs();
    // The pipeline's loop, as the benches measure it.
    let (entries, candidates) = scan_loop::scan(input, prefilter);
    assert_eq!(candidates, 0);
    (allocs() - before, entries as usize)
}

#[test]
fn scanning_allocates_nothing_per_entry() {
    let prefilter = Prefilter::default();
    for (name, make) in [("ndjson", ndjson as fn(usize) -> Vec<u8>), ("array", array)] {
        let small = make(10_000);
        let large = make(100_000);
        let (small_allocs, small_entries) = scan_allocs(&small, &prefilter);
        let (large_allocs, large_entries) = scan_allocs(&large, &prefilter);
        assert_eq!((small_entries, large_entries), (10_000, 100_000), "{name}");
        assert_eq!(small_allocs, large_allocs, "{name}: allocations grew");
        // The buffer, and nothing much else.
        assert!(large_allocs <= 4, "{name}: {large_allocs} allocations");
    }
}

#[test]
fn counting_allocator_counts() {
    // The test above must be able to fail: a per-entry allocation shows.
    let before = allocs();
    let v: Vec<Box<u32>> = (0..100).map(Box::new).collect();
    assert!(allocs() - before >= 100);
    drop(v);
}
