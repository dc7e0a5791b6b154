//! Hostile input: any bytes, cut anywhere, never panic, are consumed to the end, and frame
//! the same whatever the chunking, the starting capacity and the entry size limit's buffer.

use logtriage::internals::{Entry, Framed, ReaderBuilder};
use proptest::prelude::*;
mod support;

use std::io::Read;
use support::Chunked;

/// Bytes biased towards JSON's structure, so the scanners' corner cases come up often.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => proptest::sample::select(b"{}[]\",\\:\n\r \tTa1".to_vec()),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(byte, 0..300)
}

/// Everything a run reports, entries parsed as `LogEntry` (which must not panic either).
fn run(rdr: impl Read, len: usize, capacity: usize, max: usize) -> (Vec<String>, u64) {
    let mut reader = ReaderBuilder::new()
        .capacity(capacity)
        .max_entry_bytes(max)
        .build(rdr);
    let mut out = Vec::new();
    let mut scratch = String::new();
    while let Some(framed) = reader.next_entry().unwrap() {
        out.push(match framed {
            Framed::Entry { bytes, line, json } => {
                assert!(bytes.len() <= max, "an entry over the limit");
                if json {
                    let ok = Entry::from_json(bytes, line, &mut scratch).is_ok();
                    format!("E{line}:{ok}:{bytes:?}")
                } else {
                    format!("T{line}:{bytes:?}")
                }
            }
            Framed::Malformed { line } => format!("M{line}"),
            Framed::Oversize { line } => format!("O{line}"),
        });
    }
    assert_eq!(
        reader.bytes_read(),
        len as u64,
        "input not consumed to the end"
    );
    (out, reader.lines())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_frame_the_same_however_read(
        prefix in prop_oneof![Just(&b""[..]), Just(&b"[{"[..]), Just(&b"{"[..]), Just(&b"\xEF\xBB\xBF[\n  {"[..])],
        body in hostile_bytes(),
        sizes in proptest::collection::vec(1usize..64, 1..6),
        capacity in 1usize..128,
        max in prop_oneof![Just(1usize << 20), 1usize..64],
    ) {
        let mut input = prefix.to_vec();
        input.extend(&body);
        let want = run(&input[..], input.len(), 1 << 16, max);
        let got = run(Chunked { data: &input, sizes, i: 0 }, input.len(), capacity, max);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn any_bytes_parse_without_panic(bytes in hostile_bytes()) {
        let mut scratch = String::new();
        let _ = Entry::from_json(&bytes, 1, &mut scratch);
    }
}

#[test]
fn deep_nesting_is_framed_without_overflow() {
    let mut input = b"[{\"a\":".to_vec();
    input.extend(std::iter::repeat_n(b'[', 100_000));
    input.extend(std::iter::repeat_n(b']', 100_000));
    input.extend(b"}]");
    let (got, _) = run(&input[..], input.len(), 1, 1 << 20);
    assert_eq!(got.len(), 1);
    // The ignored value is skipped by serde_json without recursing: parsed, no overflow.
    assert!(got[0].starts_with("E1:true:"), "{}", &got[0][..20]);
    // Where the value is read (a severity), the recursion limit applies: an error.
    let mut deep = b"{\"severity\":".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    deep.extend(std::iter::repeat_n(b']', 100_000));
    deep.push(b'}');
    let (got, _) = run(&deep[..], deep.len(), 1 << 10, 1 << 20);
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("E1:"), "{}", &got[0][..20]);
}

/// REGRESSION: an oversize NDJSON object cut off by a `{` at the start of the next line, the
/// `{` arriving in a later read than the discarded bytes: that `{` was eaten.
#[test]
fn oversize_object_cut_by_a_line_start_brace_in_a_later_read() {
    let input: &[u8] = b"{,,[,{{{,{,{{{{{\n{}{";
    let want = (vec!["O1".to_string(), "O2".into(), "M2".into()], 2);
    assert_eq!(run(input, input.len(), 1 << 16, 1), want);
    for size in [1, 16, 17, 18] {
        let got = run(
            Chunked {
                data: input,
                sizes: vec![size],
                i: 0,
            },
            input.len(),
            17,
            1,
        );
        assert_eq!(got, want, "reads of {size}");
    }
}
