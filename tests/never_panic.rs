//! Never panic, never lose an entry: arbitrary bytes and real entries mutated the ways a
//! crashing writer mutates them (bytes flipped, cut, duplicated, spliced).

use logtriage::{NoSink, TriageBuilder};
use proptest::prelude::*;

const REAL: &[u8] = include_bytes!("../fixtures/staging.ndjson");

/// One thread, and two with the input read at offsets and as a stream: no panic, every entry
/// accounted for, and the same totals every way.
fn check(input: &[u8], capacity: usize) {
    let mut totals = Vec::new();
    for threads in [1, 2] {
        let triage = TriageBuilder::new()
            .buffer_capacity(capacity)
            .max_entry_bytes(2048)
            .threads(threads)
            .block_bytes(512)
            .build()
            .expect("build");
        let at_offsets = triage.run_slice(input, &mut NoSink);
        let streamed = triage.run(input, &mut NoSink);
        for report in [at_offsets, streamed] {
            let t = report.expect("a slice always reads").totals;
            assert_eq!(t.entries, t.ok + t.malformed + t.oversize, "{t:?}");
            totals.push(t);
        }
    }
    for t in &totals {
        assert_eq!(Some(t), totals.first(), "{totals:?}");
    }
}

/// A window of the real fixture, so mutations hit real entries.
fn real_window() -> impl Strategy<Value = Vec<u8>> {
    (0..REAL.len(), 256usize..8192).prop_map(|(start, len)| {
        let end = (start + len).min(REAL.len());
        REAL.get(start..end).unwrap_or(&[]).to_vec()
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Duplicate(usize, usize),
    Splice(usize, Vec<u8>),
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip(at, mask) => {
                if let Some(b) = bytes.get_mut(at % n) {
                    *b ^= mask;
                }
            }
            Mutation::Cut(at) => bytes.truncate(at % n),
            Mutation::Duplicate(at, len) => {
                let start = at % n;
                let end = (start + len).min(bytes.len());
                let copy = bytes.get(start..end).unwrap_or(&[]).to_vec();
                bytes.splice(start..start, copy);
            }
            Mutation::Splice(at, junk) => {
                let at = (at % n).min(bytes.len());
                bytes.splice(at..at, junk.iter().copied());
            }
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(a, m)| Mutation::Flip(a, m)),
        any::<usize>().prop_map(Mutation::Cut),
        (any::<usize>(), 1usize..400).prop_map(|(a, l)| Mutation::Duplicate(a, l)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(a, j)| Mutation::Splice(a, j)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..4096), capacity in 1usize..300) {
        check(&input, capacity);
    }

    #[test]
    fn mutated_real_entries_never_panic(
        window in real_window(),
        mutations in proptest::collection::vec(mutation(), 1..6),
        capacity in 1usize..300,
    ) {
        check(&mutate(window, &mutations), capacity);
    }

    #[test]
    fn mutated_arrays_never_panic(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut array = b"[\n".to_vec();
        let lines: Vec<&[u8]> = REAL.split(|&b| b == b'\n').filter(|l| !l.is_empty()).take(20).collect();
        array.extend_from_slice(&lines.join(&b",\n"[..]));
        array.extend_from_slice(b"\n]\n");
        check(&mutate(array, &mutations), 64);
    }
}
