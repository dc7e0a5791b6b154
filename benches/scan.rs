//! Benchmarks by stage, on the deterministic corpus of `benches/corpus.rs` (Cloud Run request,
//! app, stderr and Cloud SQL entries) at failure rates of 0.1%, 2% and 20%:
//!
//! - `scan`: framing plus the prefilter, the hot loop;
//! - `parse`: `Entry::from_json` over the candidate entries;
//! - `traceback`: `parse_traceback` over the event texts;
//! - `classify`: category, fingerprint and known issue of assembled events;
//! - `end_to_end`: reader to report, NDJSON and gcloud array, one thread and two.
//!
//! Every measured closure asserts its count (entries, candidates or events) against what the
//! generator wrote, so a fast wrong answer fails. `cargo bench --bench scan` (add `-- --quick`
//! for a short run, or a filter such as `scan/`).

#[path = "corpus.rs"]
mod corpus;
#[path = "scan_loop.rs"]
mod scan_loop;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use logtriage::internals::{Entry, Framed, Prefilter, ReaderBuilder};
use logtriage::{Event, FnSink, NoSink, TriageBuilder};
use scan_loop::scan;
use std::time::Duration;

/// Corpus size: large enough to leave the caches, small enough for a shared 2-core machine.
const BYTES: usize = 32 << 20;
const RATES: &[(&str, f64)] = &[("0.1%", 0.001), ("2%", 0.02), ("20%", 0.2)];

fn corpus(rate: f64, shape: corpus::Shape) -> corpus::Corpus {
    corpus::generate(corpus::Spec {
        bytes: BYTES,
        failure_rate: rate,
        shape,
        seed: 42,
    })
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

/// The candidate entries' bytes, as the pipeline would parse them.
fn candidates(input: &[u8], prefilter: &Prefilter) -> Vec<Vec<u8>> {
    let mut reader = ReaderBuilder::new().build(input);
    let mut out = Vec::new();
    while let Some(framed) = reader.next_entry().expect("in-memory reads do not fail") {
        if let Framed::Entry { bytes, .. } = framed {
            if prefilter.is_candidate(bytes) {
                out.push(bytes.to_vec());
            }
        }
    }
    out
}

fn events(input: &[u8]) -> Vec<Event> {
    let triage = TriageBuilder::new().build().expect("default build");
    let mut events = Vec::new();
    triage
        .run_slice(
            input,
            &mut FnSink(|ev: &Event| {
                events.push(ev.clone());
                Ok(true)
            }),
        )
        .expect("in-memory run");
    events
}

fn stages(c: &mut Criterion) {
    let prefilter = Prefilter::default();
    for &(name, rate) in RATES {
        let ndjson = corpus(rate, corpus::Shape::Ndjson);
        let array = corpus(rate, corpus::Shape::Array);

        let mut group = c.benchmark_group("scan");
        configure(&mut group);
        for (shape, c) in [("ndjson", &ndjson), ("array", &array)] {
            group.throughput(Throughput::Bytes(c.bytes.len() as u64));
            group.bench_function(format!("{shape}/{name}"), |b| {
                b.iter(|| assert_eq!(scan(&c.bytes, &prefilter), (c.entries, c.candidates)))
            });
        }
        group.finish();

        let parsed = candidates(&ndjson.bytes, &prefilter);
        assert_eq!(parsed.len() as u64, ndjson.candidates);
        let mut group = c.benchmark_group("parse");
        configure(&mut group);
        group.throughput(Throughput::Bytes(
            parsed.iter().map(|e| e.len() as u64).sum(),
        ));
        group.bench_function(format!("candidates/{name}"), |b| {
            let mut scratch = String::new();
            b.iter(|| {
                let ok = parsed
                    .iter()
                    .filter(|e| Entry::from_json(e, 1, &mut scratch).is_ok())
                    .count();
                assert_eq!(ok, parsed.len());
            })
        });
        group.finish();

        let found = events(&ndjson.bytes);
        assert_eq!(found.len() as u64, ndjson.events);
        let texts: Vec<&str> = found
            .iter()
            .filter(|e| e.traceback.is_some())
            .map(|e| e.text.as_str())
            .collect();
        let mut group = c.benchmark_group("traceback");
        configure(&mut group);
        group.throughput(Throughput::Bytes(
            texts.iter().map(|t| t.len() as u64).sum(),
        ));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| {
                let n = texts
                    .iter()
                    .filter_map(|t| logtriage::parse_traceback(t))
                    .count();
                assert_eq!(n, texts.len());
            })
        });
        group.finish();

        let triage = TriageBuilder::new()
            .known_issues_file("fixtures/known_issues.json")
            .build()
            .expect("build");
        let mut group = c.benchmark_group("classify");
        configure(&mut group);
        group.throughput(Throughput::Bytes(
            found.iter().map(|e| e.text.len() as u64).sum(),
        ));
        group.bench_function(format!("events/{name}"), |b| {
            b.iter(|| {
                let mut linked = 0;
                for mut ev in found.iter().cloned() {
                    triage.finish_event(&mut ev);
                    linked += usize::from(ev.classification.known_issue.is_some());
                }
                assert_eq!(
                    linked,
                    found.len()
                        - found
                            .iter()
                            .filter(|e| e.classification.category == "unclassified")
                            .count()
                );
            })
        });
        group.finish();

        let mut group = c.benchmark_group("end_to_end");
        configure(&mut group);
        for (shape, c) in [("ndjson", &ndjson), ("array", &array)] {
            // `run_slice` reads the input at offsets (each worker its own blocks); `stream`
            // is `run` over the same bytes as a stream, the path a pipe takes.
            for (threads, via) in [(1, ""), (2, ""), (2, "-stream")] {
                if shape == "array" && threads == 2 {
                    continue; // arrays take the sequential path
                }
                let triage = TriageBuilder::new()
                    .threads(threads)
                    .build()
                    .expect("build");
                group.throughput(Throughput::Bytes(c.bytes.len() as u64));
                group.bench_function(format!("{shape}/{name}/{threads}thr{via}"), |b| {
                    b.iter(|| {
                        let report = if via.is_empty() {
                            triage.run_slice(&c.bytes, &mut NoSink)
                        } else {
                            triage.run(&c.bytes[..], &mut NoSink)
                        }
                        .expect("in-memory run");
                        assert_eq!(
                            (report.totals.entries, report.totals.events),
                            (c.entries, c.events)
                        );
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
