//! The scanning loop alone: framing entries in the reader's buffer and running the prefilter
//! over each, on a generated corpus of Cloud Run logs (request logs with ~2% candidates).
//! Every measured run asserts the entry and candidate counts, so a fast wrong answer fails.
//!
//! `cargo bench --bench scan` (add `-- --quick` for a short run).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use logtriage::{Framed, Prefilter, ReaderBuilder};
use std::hint::black_box;
use std::time::Duration;

/// Size of the NDJSON corpus.
const CORPUS_BYTES: usize = 32 << 20;

/// One in this many entries is a candidate.
const CANDIDATE_EVERY: usize = 50;

/// A Cloud Run request log entry, as the request log sink exports it.
fn request_entry(i: usize) -> String {
    format!(
        r#"{{"httpRequest":{{"latency":"0.0{lat}{i}s","protocol":"HTTP/1.1","remoteIp":"169.254.1.{ip}","requestMethod":"GET","requestSize":"412","requestUrl":"https://netra-backend-staging-abc123-uc.a.run.app/api/threads/{i}/messages?limit=50","responseSize":"1834","serverIp":"10.8.0.3","status":200,"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}},"insertId":"{i:024x}","labels":{{"instanceId":"00f46b9285a1c2b7e0d4"}},"logName":"projects/netra-staging/logs/run.googleapis.com%2Frequests","receiveTimestamp":"2026-11-27T07:01:02.345678Z","resource":{{"labels":{{"configuration_name":"netra-backend-staging","location":"us-central1","project_id":"netra-staging","revision_name":"netra-backend-staging-00042-xyz","service_name":"netra-backend-staging"}},"type":"cloud_run_revision"}},"severity":"INFO","spanId":"{i:016x}","timestamp":"2026-11-27T07:01:02.123456Z","trace":"projects/netra-staging/traces/{i:032x}","traceSampled":true}}"#,
        lat = i % 10,
        ip = i % 250,
    )
}

/// A stderr entry carrying a traceback, or an ERROR entry: the candidates.
fn failure_entry(i: usize) -> String {
    if i % 2 == 0 {
        format!(
            r#"{{"insertId":"{i:024x}","labels":{{"instanceId":"00f46b9285a1c2b7e0d4"}},"logName":"projects/netra-staging/logs/run.googleapis.com%2Fstderr","receiveTimestamp":"2026-11-27T07:01:02.345678Z","resource":{{"labels":{{"configuration_name":"netra-backend-staging","location":"us-central1","project_id":"netra-staging","revision_name":"netra-backend-staging-00042-xyz","service_name":"netra-backend-staging"}},"type":"cloud_run_revision"}},"textPayload":"Traceback (most recent call last):\n  File \"/app/netra_backend/app/db/session.py\", line 88, in get_session\n    await conn.execute(text(\"SELECT 1\"))\nConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 5432)","timestamp":"2026-11-27T07:01:02.123456Z"}}"#
        )
    } else {
        format!(
            r#"{{"insertId":"{i:024x}","jsonPayload":{{"logger":"netra_backend.app.services.agent","message":"Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused."}},"labels":{{"instanceId":"00f46b9285a1c2b7e0d4"}},"logName":"projects/netra-staging/logs/run.googleapis.com%2Fstdout","receiveTimestamp":"2026-11-27T07:01:02.345678Z","resource":{{"labels":{{"configuration_name":"netra-backend-staging","location":"us-central1","project_id":"netra-staging","revision_name":"netra-backend-staging-00042-xyz","service_name":"netra-backend-staging"}},"type":"cloud_run_revision"}},"severity":"ERROR","timestamp":"2026-11-27T07:01:02.123456Z"}}"#
        )
    }
}

/// The corpus entries (compact JSON), about `bytes` long, and the number of candidates.
fn corpus_entries(bytes: usize) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut total = 0;
    let mut candidates = 0;
    while total < bytes {
        let i = out.len();
        let e = if i % CANDIDATE_EVERY == CANDIDATE_EVERY - 1 {
            candidates += 1;
            failure_entry(i)
        } else {
            request_entry(i)
        };
        total += e.len() + 1;
        out.push(e);
    }
    (out, candidates)
}

fn ndjson(entries: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 1).sum());
    for e in entries {
        out.extend(e.as_bytes());
        out.push(b'\n');
    }
    out
}

/// As `gcloud logging read --format=json` prints: one pretty array, keys sorted, 2-space
/// indent. Built element by element to keep the setup's memory small.
fn gcloud_array(entries: &[String]) -> Vec<u8> {
    let mut out = b"[\n".to_vec();
    for (i, e) in entries.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(e).expect("valid JSON");
        let pretty = serde_json::to_string_pretty(&value).expect("serializable");
        for (j, line) in pretty.lines().enumerate() {
            if j > 0 {
                out.push(b'\n');
            }
            out.extend(b"  ");
            out.extend(line.as_bytes());
        }
        out.extend(if i + 1 < entries.len() {
            &b",\n"[..]
        } else {
            b"\n"
        });
    }
    out.extend(b"]\n");
    out
}

/// The loop under test: frame every entry, prefilter it; returns (entries, candidates).
fn scan(input: &[u8], prefilter: Option<&Prefilter>) -> (usize, usize) {
    let mut reader = ReaderBuilder::new().build(input);
    let (mut entries, mut candidates) = (0, 0);
    while let Some(framed) = reader.next_entry().expect("in-memory reads do not fail") {
        if let Framed::Entry { bytes, .. } = framed {
            entries += 1;
            if let Some(p) = prefilter {
                candidates += usize::from(p.is_candidate(black_box(bytes)));
            }
        }
    }
    (entries, candidates)
}

fn scanning(c: &mut Criterion) {
    let (entries, candidates) = corpus_entries(CORPUS_BYTES);
    let prefilter = Prefilter::default();
    let mut group = c.benchmark_group("scan");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));

    let input = ndjson(&entries);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("ndjson_frame", |b| {
        b.iter(|| assert_eq!(scan(&input, None), (entries.len(), 0)))
    });
    group.bench_function("ndjson_frame_prefilter", |b| {
        b.iter(|| assert_eq!(scan(&input, Some(&prefilter)), (entries.len(), candidates)))
    });
    drop(input);

    let input = gcloud_array(&entries);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("array_frame_prefilter", |b| {
        b.iter(|| assert_eq!(scan(&input, Some(&prefilter)), (entries.len(), candidates)))
    });
    group.finish();
}

criterion_group!(benches, scanning);
criterion_main!(benches);
