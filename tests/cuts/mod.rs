//! Cutting an input at entry boundaries into shards, making each shard's partial report,
//! merging them in a chosen order and comparing the finished report with the single
//! pass's: shared by the exactness tests of partial reports.

// Each test crate uses a part of it.
#![allow(dead_code)]

use logtriage::{Format, Partial, Report, Triage};

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("json")
}

/// An input and the places where it may be cut (entry boundaries), with the format a shard
/// that does not start the input is read as.
pub struct Cuttable {
    pub bytes: Vec<u8>,
    pub bounds: Vec<usize>,
    pub format: Format,
}

/// After every `\n` (NDJSON and text: one entry per line).
pub fn lines(bytes: Vec<u8>, format: Format) -> Cuttable {
    let bounds = (1..bytes.len())
        .filter(|&i| bytes[i - 1] == b'\n')
        .collect();
    Cuttable {
        bytes,
        bounds,
        format,
    }
}

/// Between the elements of a pretty-printed array (two spaces of indentation): after the
/// `,\n` that ends one, so that every shard but the first starts with an element and every
/// one but the last ends after a `,`.
pub fn elements(bytes: Vec<u8>) -> Cuttable {
    let bounds = (3..bytes.len())
        .filter(|&i| bytes[..i].ends_with(b"},\n") && bytes[i..].starts_with(b"  {"))
        .collect();
    Cuttable {
        bytes,
        bounds,
        format: Format::Array,
    }
}

/// The partials of `input` cut at `cuts` (sorted places of `input.bounds`), each written to
/// its JSON line and read back.
pub fn partials(t: &Triage, input: &Cuttable, cuts: &[usize]) -> Vec<Partial> {
    let mut at = 0;
    let mut out = Vec::new();
    for &end in cuts.iter().chain([&input.bytes.len()]) {
        let shard = &input.bytes[at..end];
        let format = (at > 0).then_some(input.format);
        let p = t.partial(shard, format).expect("partial");
        let line = p.to_json();
        assert!(!line.contains('\n'), "a partial is one line");
        out.push(Partial::from_json(&line).expect("read back"));
        at = end;
    }
    out
}

/// Merges neighbours in the order `order` picks (an index into the partials left), until
/// one is left.
pub fn merge_in_order(t: &Triage, mut parts: Vec<Partial>, order: &[usize]) -> Partial {
    let mut picks = order.iter().cycle();
    while parts.len() > 1 {
        let i = picks.next().map_or(0, |p| p % (parts.len() - 1));
        let next = parts.remove(i + 1);
        let first = parts.remove(i);
        let merged = t.merge_partials(first, next).expect("merge");
        // A merged partial is a partial: it is written and read back as one.
        let merged = Partial::from_json(&merged.to_json()).expect("merged, read back");
        parts.insert(i, merged);
    }
    parts.pop().expect("one partial")
}

pub fn assert_exact(t: &Triage, input: &Cuttable, picks: &[usize], order: &[usize]) {
    if let Some(difference) = mismatch(t, input, picks, order) {
        panic!("{difference}");
    }
}

/// How the report merged from `input` cut at `picks` (indexes into its bounds) in the order
/// `order` differs from the single pass's; `None` when it is the same, byte for byte.
pub fn mismatch(t: &Triage, input: &Cuttable, picks: &[usize], order: &[usize]) -> Option<String> {
    let want = json(
        &t.run_slice(&input.bytes, &mut logtriage::NoSink)
            .expect("run"),
    );
    let mut cuts: Vec<usize> = picks
        .iter()
        .filter_map(|&p| input.bounds.get(p % input.bounds.len().max(1)).copied())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let merged = merge_in_order(t, partials(t, input, &cuts), order);
    let got = json(&t.finish_partial(merged));
    (got != want).then(|| {
        format!(
            "cuts {} (the first: {:?}), order {:?}\n{}",
            cuts.len(),
            &cuts[..cuts.len().min(12)],
            &order[..order.len().min(12)],
            first_difference(&got, &want)
        )
    })
}

pub fn first_difference(got: &str, want: &str) -> String {
    let at = got
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(got.lines().count().min(want.lines().count()));
    let show = |s: &str| {
        s.lines()
            .skip(at.saturating_sub(3))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!("merged:\n{}\nsingle pass:\n{}", show(got), show(want))
}
