//! Compressed and binary input: a gzip copy of the staging export gives the report of the
//! plain file on every way in (a slice, a stream read a few bytes at a time, a file, one and
//! two threads), multi-member files included; a gzip file cut short or corrupted is read up
//! to where it goes bad and reported, never a panic or an error; binary data is flagged.

mod support;

use flate2::write::GzEncoder;
use flate2::Compression;
use logtriage::{Binary, NoSink, Report, Triage, TriageBuilder};
use std::io::Write;
use support::Chunked;

fn staging() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/staging.ndjson");
    std::fs::read(path).expect("fixtures/staging.ndjson")
}

/// `parts` gzip-compressed, one member each, one after another (as `cat a.gz b.gz` makes).
fn gzip(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(part).expect("gzip");
        out.extend(gz.finish().expect("gzip"));
    }
    out
}

fn triage(threads: usize) -> Triage {
    TriageBuilder::new()
        .known_issues_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/known_issues.json"
        ))
        .threads(threads)
        .block_bytes(16 << 10)
        .build()
        .expect("build")
}

/// The report with the input's own flags cleared, to compare with a plain input's.
fn without_flags(mut report: Report) -> Report {
    assert!(report.totals.gzip, "the gzip input is flagged");
    report.totals.gzip = false;
    report
}

#[test]
fn gzip_staging_gives_the_plain_report_every_way_in() {
    let plain = staging();
    let cut = plain.len() / 3;
    let cut = cut
        + plain[cut..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("a line end")
        + 1;
    for gz in [gzip(&[&plain]), gzip(&[&plain[..cut], &plain[cut..]])] {
        for threads in [1, 2] {
            let triage = triage(threads);
            let want = triage.run_slice(&plain, &mut NoSink).expect("plain");
            assert!(!want.totals.gzip && want.totals.binary.is_none());
            assert_eq!(
                want.totals.entries,
                plain.iter().filter(|b| **b == b'\n').count() as u64
            );
            let slice = triage.run_slice(&gz, &mut NoSink).expect("slice");
            assert_eq!(without_flags(slice), want, "slice, {threads} threads");
            let chunked = Chunked {
                data: &gz,
                sizes: vec![1, 2, 700, 4096],
                i: 0,
            };
            let stream = triage.run(chunked, &mut NoSink).expect("stream");
            assert_eq!(without_flags(stream), want, "stream, {threads} threads");
            let path = std::env::temp_dir().join(format!(
                "logtriage-compressed-{}-{threads}.ndjson.gz",
                std::process::id()
            ));
            std::fs::write(&path, &gz).expect("write");
            let file = std::fs::File::open(&path).expect("open");
            let from_file = triage.run_file(&file, &mut NoSink).expect("file");
            std::fs::remove_file(&path).ok();
            assert_eq!(without_flags(from_file), want, "file, {threads} threads");
        }
    }
}

#[test]
fn cut_or_corrupt_gzip_is_read_up_to_the_damage_and_reported() {
    let plain = staging();
    let gz = gzip(&[&plain]);
    let whole = triage(1).run_slice(&plain, &mut NoSink).expect("plain");
    for threads in [1, 2] {
        let triage = triage(threads);
        for cut in [
            2,
            3,
            11,
            100,
            gz.len() / 4,
            gz.len() / 2,
            gz.len() - 9,
            gz.len() - 1,
        ] {
            let report = triage.run_slice(&gz[..cut], &mut NoSink).expect("no error");
            let t = &report.totals;
            assert!(t.truncated, "cut at {cut}: {t:?}");
            assert_eq!(t.entries, t.ok + t.malformed + t.oversize, "cut at {cut}");
            assert!(
                t.entries <= whole.totals.entries && t.events <= whole.totals.events,
                "cut at {cut}"
            );
        }
        let mut corrupt = gz.clone();
        for b in &mut corrupt[gz.len() / 2..gz.len() / 2 + 64] {
            *b ^= 0x5a;
        }
        let report = triage.run_slice(&corrupt, &mut NoSink).expect("no error");
        // Deflate may decode some garbage before the damage shows: only the flag and the
        // accounting are certain.
        let t = &report.totals;
        assert!(t.truncated && t.gzip);
        assert_eq!(t.entries, t.ok + t.malformed + t.oversize);
    }
    let whole = triage(1).run_slice(&gz, &mut NoSink).expect("whole");
    assert!(!whole.totals.truncated);
}

#[test]
fn binary_input_is_flagged_not_reported_clean() {
    let elf: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00ERROR\x00\x00\n\x00\x01";
    let rows: &[(&[u8], Option<Binary>)] = &[
        (elf, Some(Binary::NulBytes)),
        (b"\x28\xb5\x2f\xfd\x04\x58\x91\x00", Some(Binary::Zstd)),
        (b"PK\x03\x04\x14\x00\x00\x00", Some(Binary::Zip)),
        (b"ERROR: plain text\n", None),
    ];
    for (input, want) in rows {
        for threads in [1, 2] {
            let report = triage(threads).run_slice(input, &mut NoSink).expect("run");
            assert_eq!(report.totals.binary, *want, "{input:?}");
            let t = &report.totals;
            assert_eq!(t.entries, t.ok + t.malformed + t.oversize);
        }
        let gz = gzip(&[input]);
        let report = triage(1).run_slice(&gz, &mut NoSink).expect("run");
        assert_eq!(report.totals.binary, *want, "gzip of {input:?}");
    }
    let json = serde_json::to_value(triage(1).run_slice(elf, &mut NoSink).expect("run").totals)
        .expect("json");
    assert_eq!(json["binary"], "nul_bytes");
}
