use super::framing::scan_nested;
use super::kernels::*;
use super::*;

#[test]
fn sniff_format_agrees_with_the_reader() {
    let inputs: &[&[u8]] = &[
        b"",
        b"  \n\t",
        b"\xEF\xBB\xBF{\"a\":1}\n",
        b"[\n  {\"a\": 1}\n]\n",
        b"[]",
        b"[",
        b"[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process\n",
        b"\r\n  {\"severity\":\"ERROR\"}\n",
        b"Traceback (most recent call last):\n",
    ];
    for input in inputs {
        let mut rdr = ReaderBuilder::new().build(*input);
        while rdr.next_entry().expect("in memory").is_some() {}
        assert_eq!(
            sniff_format(input),
            rdr.format(),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

/// A framed entry written short: `E3:{..}` (entry on line 3), `M3`, `O3`.
fn frames_with(input: &[u8], capacity: usize, max: usize) -> (Vec<String>, Option<Format>, u64) {
    let mut rdr = ReaderBuilder::new()
        .capacity(capacity)
        .max_entry_bytes(max)
        .build(input);
    let mut out = Vec::new();
    while let Some(f) = rdr.next_entry().unwrap() {
        out.push(match f {
            Framed::Entry { bytes, line, json } => format!(
                "{}{line}:{}",
                if json { "E" } else { "T" },
                String::from_utf8_lossy(bytes)
            ),
            Framed::Malformed { line } => format!("M{line}"),
            Framed::Oversize { line } => format!("O{line}"),
        });
    }
    assert_eq!(rdr.bytes_read(), input.len() as u64, "all input consumed");
    (out, rdr.format(), rdr.lines())
}

/// Frames `input` with the default capacity, then checks every capacity from 1 gives the
/// same answer.
fn frames_max(input: &[u8], max: usize) -> Vec<String> {
    let (want, format, lines) = frames_with(input, 64 << 10, max);
    for cap in 1..=input.len().min(40) + 1 {
        assert_eq!(
            frames_with(input, cap, max),
            (want.clone(), format, lines),
            "capacity {cap}"
        );
    }
    want
}

fn frames(input: &[u8]) -> Vec<String> {
    frames_max(input, DEFAULT_MAX_ENTRY_BYTES)
}

fn format_of(input: &[u8]) -> Option<Format> {
    frames_with(input, 64, 1 << 20).1
}

#[test]
fn empty_input() {
    assert!(frames(b"").is_empty());
    assert_eq!(format_of(b""), None);
    assert_eq!(frames_with(b"", 1, 10).2, 0);
}

#[test]
fn whitespace_only() {
    assert!(frames(b"  \n\r\n\t\n").is_empty());
    assert_eq!(format_of(b" \n \n"), None);
}

#[test]
fn empty_array() {
    assert!(frames(b"[]").is_empty());
    assert!(frames(b"[\n]\n").is_empty());
    assert_eq!(format_of(b"[]"), Some(Format::Array));
    assert_eq!(format_of(b"  [ \n ]"), Some(Format::Array));
}

#[test]
fn format_detection() {
    let rows: &[(&[u8], Format)] = &[
        (b"{\"a\":1}\n", Format::Ndjson),
        (b"\n\n  {\"a\":1}", Format::Ndjson),
        (b"[\n  {\n    \"a\": 1\n  }\n]\n", Format::Array),
        (
            b"[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process\n",
            Format::Text,
        ),
        (b"Traceback (most recent call last):\n", Format::Text),
        (b"\xEF\xBB\xBF{\"a\":1}\n", Format::Ndjson),
        (b"[", Format::Array),
    ];
    for (input, want) in rows {
        assert_eq!(
            format_of(input),
            Some(*want),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn bom_is_skipped() {
    assert_eq!(frames(b"\xEF\xBB\xBF{\"a\":1}\n"), ["E1:{\"a\":1}"]);
    assert_eq!(frames(b"\xEF\xBB\xBF[{\"a\":1}]"), ["E1:{\"a\":1}"]);
    assert_eq!(frames(b"\xEF\xBB\xBFhello\n"), ["T1:hello"]);
}

#[test]
fn crlf_ndjson_and_text() {
    assert_eq!(
        frames(b"{\"a\":1}\r\n\r\n{\"b\":2}\r\n"),
        ["E1:{\"a\":1}", "E3:{\"b\":2}"]
    );
    assert_eq!(frames(b"one\r\n\r\ntwo\r\n"), ["T1:one", "T2:", "T3:two"]);
}

#[test]
fn text_keeps_blank_lines() {
    let input = b"\nTraceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n\nNameError: x\nlast";
    assert_eq!(
        frames(input),
        [
            "T1:",
            "T2:Traceback (most recent call last):",
            "T3:  File \"app.py\", line 1, in <module>",
            "T4:",
            "T5:NameError: x",
            "T6:last"
        ]
    );
    assert_eq!(frames_with(input, 1, 100).2, 6);
}

#[test]
fn ndjson_blank_lines_are_not_entries() {
    assert_eq!(
        frames(b"\n{\"a\":1}\n\n   \n{\"b\":2}"),
        ["E2:{\"a\":1}", "E5:{\"b\":2}"]
    );
}

#[test]
fn array_strings_holding_structure() {
    let input = br#"[
  {
    "textPayload": "} ] { [ \" \\ \\\" ,",
    "x": "\\"
  },
  {
    "textPayload": "ok"
  }
]"#;
    assert_eq!(
            frames(input),
            [
                "E2:{\n    \"textPayload\": \"} ] { [ \\\" \\\\ \\\\\\\" ,\",\n    \"x\": \"\\\\\"\n  }",
                "E6:{\n    \"textPayload\": \"ok\"\n  }",
            ]
        );
}

#[test]
fn array_nested_values() {
    let input = b"[{\"a\":{\"b\":[1,{\"c\":[]}],\"d\":{}}},{\"e\":[[],[{}]]}]";
    assert_eq!(
        frames(input),
        [
            "E1:{\"a\":{\"b\":[1,{\"c\":[]}],\"d\":{}}}",
            "E1:{\"e\":[[],[{}]]}"
        ]
    );
}

#[test]
fn array_non_objects_are_malformed() {
    // (The first element must be an object, or the input is taken for text.)
    assert_eq!(
        frames(b"[\n  {},\n  1,\n  \"s,]\",\n  [1, {}],\n  null,\n  {\"a\": 1}\n]"),
        ["E2:{}", "M3", "M4", "M5", "M6", "E7:{\"a\": 1}"]
    );
    assert_eq!(
        frames(b"[{},,{\"a\":1},,]"),
        ["E1:{}", "M1", "E1:{\"a\":1}", "M1"]
    );
    assert_eq!(frames(b"[{}}{\"a\":1}]"), ["E1:{}", "M1", "E1:{\"a\":1}"]);
}

#[test]
fn array_missing_close_is_tolerated() {
    assert_eq!(
        frames(b"[\n  {\"a\": 1},\n  {\"b\": 2}\n"),
        ["E2:{\"a\": 1}", "E3:{\"b\": 2}"]
    );
    assert_eq!(frames(b"[{\"a\": 1},"), ["E1:{\"a\": 1}"]);
}

#[test]
fn truncated_last_entry() {
    assert_eq!(
        frames(b"[\n  {\"a\": 1},\n  {\"b\": \"cut her"),
        ["E2:{\"a\": 1}", "M3"]
    );
    assert_eq!(
        frames(b"{\"a\":1}\n{\n  \"b\": {\n    \"c\": 2"),
        ["E1:{\"a\":1}", "M2"]
    );
    assert_eq!(frames(b"{\"a\":1}\n{\"b\":"), ["E1:{\"a\":1}", "M2"]);
}

#[test]
fn arrays_one_after_another() {
    assert_eq!(
        frames(b"[{\"a\":1}]\n[\n  {\"b\":2}\n]\n"),
        ["E1:{\"a\":1}", "E3:{\"b\":2}"]
    );
    assert_eq!(frames(b"[{\"a\":1}] junk\n"), ["E1:{\"a\":1}", "M1"]);
}

#[test]
fn garbage_line() {
    assert_eq!(
        frames(b"{\"a\":1}\ngarbage here\n{\"b\":2}\n[1]\n"),
        ["E1:{\"a\":1}", "M2", "E3:{\"b\":2}", "M4"]
    );
}

#[test]
fn ndjson_pretty_objects() {
    let input =
        b"{\n  \"a\": \"}\",\n  \"b\": {\n    \"c\": [1]\n  }\n}\n{\n  \"d\": 2\n}\n{\"e\":3}\n";
    assert_eq!(
        frames(input),
        [
            "E1:{\n  \"a\": \"}\",\n  \"b\": {\n    \"c\": [1]\n  }\n}",
            "E7:{\n  \"d\": 2\n}",
            "E10:{\"e\":3}"
        ]
    );
}

#[test]
fn ndjson_broken_line_does_not_swallow_the_next() {
    // Cut mid-string, mid-object: each broken line is malformed alone.
    let input = b"{\"a\":\"cut\n{\"b\":1}\n{\"c\":{\"d\":1,\n{\"e\":2}\n";
    assert_eq!(frames(input), ["M1", "E2:{\"b\":1}", "M3", "E4:{\"e\":2}"]);
}

#[test]
fn ndjson_fast_path_checks_only_the_ends() {
    // `{"a":1}}` starts with `{` and ends with `}`: framed; the parser rejects it later.
    assert_eq!(frames(b"{\"a\":1}}\n"), ["E1:{\"a\":1}}"]);
    // Trailing text after a closed object: the object, then a malformed rest.
    assert_eq!(frames(b"{\"a\":1} x\n"), ["E1:{\"a\":1}", "M1"]);
}

#[test]
fn invalid_utf8_is_framed() {
    assert_eq!(frames(b"{\"a\":\"\xff\xfe\"}\n").len(), 1);
    assert_eq!(frames(b"[{\"a\":\"\xc3\"}]").len(), 1);
    assert_eq!(frames(b"caf\xc3\n").len(), 1);
}

#[test]
fn oversize_text() {
    assert_eq!(
        frames_max(b"short\nthis line is too long\nok\n", 10),
        ["T1:short", "O2", "T3:ok"]
    );
    assert_eq!(
        frames_max(b"0123456789\n01234567890", 10),
        ["T1:0123456789", "O2"]
    );
}

#[test]
fn oversize_ndjson() {
    let input = b"{\"a\":1}\n{\"b\":\"0123456789\"}\n{\n  \"c\": \"0123456789\"\n}\n{\"d\":2}\n";
    assert_eq!(
        frames_max(input, 12),
        ["E1:{\"a\":1}", "O2", "O3", "E6:{\"d\":2}"]
    );
}

#[test]
fn oversize_array() {
    let input = b"[\n  {\"a\": 1},\n  {\"b\": \"0123456789 } ]\"},\n  {\"c\": 2}\n]";
    assert_eq!(
        frames_max(input, 12),
        ["E2:{\"a\": 1}", "O3", "E4:{\"c\": 2}"]
    );
    // A truncated oversize element is oversize.
    assert_eq!(frames_max(b"[{\"b\": \"0123456789", 12), ["O1"]);
}

#[test]
fn oversize_is_not_buffered() {
    let mut input = b"{\"a\":1}\n{\"big\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 1 << 20));
    input.extend(b"\"}\n{\"b\":2}\n");
    let mut rdr = ReaderBuilder::new()
        .capacity(1024)
        .max_entry_bytes(4096)
        .build(&input[..]);
    let mut kinds = Vec::new();
    while let Some(f) = rdr.next_entry().unwrap() {
        kinds.push(matches!(f, Framed::Oversize { .. }));
    }
    assert_eq!(kinds, [false, true, false]);
    assert!(
        rdr.buf.len() <= 4096 + SLACK,
        "buffer grew to {}",
        rdr.buf.len()
    );
}

proptest::proptest! {
    #![proptest_config(crate::proptest_config(256))]

    #[test]
    fn string_end_finds_the_first_needle(
        hay in proptest::collection::vec(
            proptest::sample::select(b"ab\"\\\n\x80\xff".to_vec()), 0..200),
        ndjson: bool,
    ) {
        let naive = hay
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || (ndjson && b == b'\n'));
        proptest::prop_assert_eq!(string_end(&hay, ndjson), naive);
    }
}

/// Pretty-printed JSON values as gcloud prints entries: nested objects and arrays,
/// strings with escapes, brackets and commas inside them.
fn pretty_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z{}\\[\\],:\"\\\\\n ]{0,24}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-zA-Z_]{1,12}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(crate::proptest_config(256))]

    #[test]
    fn array_elements_end_where_the_naive_scanner_says(
        values in proptest::collection::vec(pretty_value(), 1..4),
        split in 0usize..2000,
    ) {
        // An array's elements one after another, as the reader scans them after `[`.
        let hay = serde_json::to_vec_pretty(&values).unwrap();
        let body = &hay[1..];
        let (mut from, mut a, mut b) = (0, Nest::default(), Nest::default());
        while from < body.len() {
            let rest = &body[from..];
            let split = split.min(rest.len());
            let want = scan_nested_naive(rest, &mut a, false);
            let got = match scan_nested(&rest[..split], &mut b, false) {
                Stop::More => shifted(scan_nested(&rest[split..], &mut b, false), split),
                stop => stop,
            };
            proptest::prop_assert_eq!(got, want);
            let mut c = Nest::default();
            let baseline = match window::scan_baseline(&rest[..split], &mut c) {
                Stop::More => shifted(window::scan_baseline(&rest[split..], &mut c), split),
                stop => stop,
            };
            proptest::prop_assert_eq!(baseline, want);
            from += match want {
                Stop::Close(i) | Stop::Sep(i) => i + 1,
                _ => break,
            };
            (a, b) = (Nest::default(), Nest::default());
        }
    }
}

proptest::proptest! {
    #![proptest_config(crate::proptest_config(256))]

    #[test]
    fn scan_nested_matches_naive_at_any_split(
        hay in proptest::collection::vec(
            proptest::sample::select(b"{}[],\"\\\n a:Y_y\x7f1".to_vec()), 0..120),
        split in 0usize..120,
        ndjson: bool,
        start_in_str: bool,
        depth in 0u64..3,
    ) {
        // Resuming at any byte gives what one pass over the whole slice gives.
        let split = split.min(hay.len());
        let start = Nest { depth, in_str: start_in_str, ..Nest::default() };
        let (mut a, mut b) = (start, start);
        let want = scan_nested_naive(&hay, &mut a, ndjson);
        let got = match scan_nested(&hay[..split], &mut b, ndjson) {
            Stop::More => match scan_nested(&hay[split..], &mut b, ndjson) {
                Stop::Close(i) => Stop::Close(i + split),
                Stop::Sep(i) => Stop::Sep(i + split),
                Stop::StrNewline(i) => Stop::StrNewline(i + split),
                Stop::LineBrace(i) => Stop::LineBrace(i + split),
                Stop::More => Stop::More,
            },
            stop => stop,
        };
        proptest::prop_assert_eq!(got, want);
        if !ndjson {
            let mut c = start;
            proptest::prop_assert_eq!(window::scan_baseline(&hay, &mut c), want);
        }
        if want == Stop::More {
            proptest::prop_assert_eq!(
                (a.depth, a.in_str, a.escaped, a.line_start),
                (b.depth, b.in_str, b.escaped, b.line_start)
            );
        }
    }
}

#[test]
fn string_end_past_the_short_prefix() {
    let mut hay = vec![b'x'; 1000];
    hay[700] = b'"';
    hay[900] = b'\\';
    assert_eq!(string_end(&hay, false), Some(700));
    hay[63] = b'\n';
    assert_eq!(string_end(&hay, true), Some(63));
    assert_eq!(string_end(&hay, false), Some(700));
}

#[test]
fn capacity_1() {
    let input = b"[\n  {\n    \"insertId\": \"a1\",\n    \"textPayload\": \"x\\\"}\"\n  }\n]\n";
    let (got, _, lines) = frames_with(input, 1, 1 << 20);
    assert_eq!(
        got,
        ["E2:{\n    \"insertId\": \"a1\",\n    \"textPayload\": \"x\\\"}\"\n  }"]
    );
    assert_eq!(lines, 6);
}

/// A reader that fails once with `Interrupted`, then gives one byte per read.
struct Trickle<'a>(&'a [u8], bool);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.1 {
            self.1 = true;
            return Err(io::ErrorKind::Interrupted.into());
        }
        let Some((&b, rest)) = self.0.split_first() else {
            return Ok(0);
        };
        if let Some(slot) = buf.first_mut() {
            *slot = b;
            self.0 = rest;
            return Ok(1);
        }
        Ok(0)
    }
}

#[test]
fn interrupted_reads_are_retried() {
    let mut rdr = Reader::new(Trickle(b"{\"a\":1}\n", false));
    assert!(matches!(
        rdr.next_entry().unwrap(),
        Some(Framed::Entry { .. })
    ));
    assert!(rdr.next_entry().unwrap().is_none());
    assert_eq!(rdr.lines(), 1);
}

#[test]
fn read_errors_are_returned() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    assert!(Reader::new(Broken).next_entry().is_err());
}

/// A reader that keeps history holds at least that many bytes before each entry it frames
/// (or all of the input before it), in order and unchanged, whatever the reads' sizes: the
/// double buffer hands the consumed bytes over instead of copying them.
#[test]
fn history_holds_the_bytes_before_each_entry() {
    let input: Vec<u8> = (0..400)
        .flat_map(|n| format!("{{\"n\":{n},\"pad\":\"{}\"}}\n", "x".repeat(n % 37)).into_bytes())
        .collect();
    for (capacity, keep, read) in [
        (64, 300, 7),
        (1000, 500, 4096),
        (1, 64, 1),
        (4096, 1000, 333),
    ] {
        let chunks = vec![read];
        let mut rdr = ReaderBuilder::new()
            .capacity(capacity)
            .history(keep)
            .build(crate::input::tests::Chunks::new(&input, chunks));
        let mut entries = 0;
        while let Some(ahead) = rdr.next_entry_ahead().expect("in memory") {
            let at = ahead.entry_at;
            entries += 1;
            let (earlier, current, from_start) = rdr.history(at);
            let held = [earlier, current].concat();
            let at = at as usize;
            assert!(
                held.len() >= keep.min(at),
                "{capacity} {keep} {read}: {} at {at}",
                held.len()
            );
            assert_eq!(held.as_slice(), &input[at - held.len()..at]);
            assert_eq!(from_start, held.len() == at);
        }
        assert_eq!(entries, 400);
    }
}

/// Hands `data` out in reads of the given sizes, cycled.
pub(crate) struct Chunks<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl<'a> Chunks<'a> {
    pub(crate) fn new(data: &'a [u8], sizes: Vec<usize>) -> Self {
        Chunks { data, sizes, i: 0 }
    }
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
