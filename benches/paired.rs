//! What event extraction costs on top of the scan loop, measured in pairs: the scan loop
//! (framing and the prefilter, as the pipeline runs them) and the whole pipeline run one after
//! the other on the same corpus, many times, and the medians of each are compared.
//!
//! On a shared machine two criterion benches run minutes apart see different loads (the same
//! bench moved by 30% between runs here); alternating them makes both see the same load.
//! `cargo bench --bench paired` (set `PAIRS` for more or fewer pairs; default 41).

#[path = "corpus.rs"]
mod corpus;
#[path = "scan_loop.rs"]
mod scan_loop;

use logtriage::internals::Prefilter;
use logtriage::{NoSink, TriageBuilder};
use scan_loop::scan;
use std::time::{Duration, Instant};

const BYTES: usize = 32 << 20;
const RATES: &[(&str, f64)] = &[("0.1%", 0.001), ("2%", 0.02), ("20%", 0.2)];

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let pairs: usize = std::env::var("PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(41);
    let prefilter = Prefilter::default();
    let triage = TriageBuilder::new().build().expect("default build");
    println!("{pairs} pairs per rate, 32 MiB NDJSON; medians");
    println!(
        "{:<6} {:>10} {:>10} {:>12} {:>12} {:>8}",
        "rate", "scan ms", "e2e ms", "scan GiB/s", "e2e GiB/s", "e2e/scan"
    );
    for &(name, rate) in RATES {
        let c = corpus::generate(corpus::Spec {
            bytes: BYTES,
            failure_rate: rate,
            shape: corpus::Shape::Ndjson,
            seed: 42,
        });
        let (mut scans, mut runs) = (Vec::new(), Vec::new());
        for i in 0..pairs + 1 {
            let s = timed(|| assert_eq!(scan(&c.bytes, &prefilter), (c.entries, c.candidates)));
            let e = timed(|| {
                let report = triage.run_slice(&c.bytes, &mut NoSink).expect("in memory");
                assert_eq!(report.totals.events, c.events);
            });
            // The first pair warms the caches and the classification memo.
            if i > 0 {
                scans.push(s);
                runs.push(e);
            }
        }
        let (s, e) = (median(scans), median(runs));
        let gib = |d: Duration| c.bytes.len() as f64 / d.as_secs_f64() / f64::from(1u32 << 30);
        println!(
            "{:<6} {:>10.2} {:>10.2} {:>12.2} {:>12.2} {:>8.3}",
            name,
            s.as_secs_f64() * 1e3,
            e.as_secs_f64() * 1e3,
            gib(s),
            gib(e),
            e.as_secs_f64() / s.as_secs_f64()
        );
    }
}
