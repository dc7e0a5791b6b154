//! How two cores scale on the part of a run that needs no triage at all: reading a file at
//! offsets in 512 KiB blocks (as `--threads 2` does), alone and with `rg -c`'s three-literal
//! search over each block, on one thread and on two (each thread its own blocks). Medians of
//! rounds taken in turn, the file in the page cache. The speed-up two threads can reach on
//! this machine before logtriage does any work of its own is the last column.
//!
//! ```text
//! cargo run --release --example read_scale -- /tmp/logtriage-compare/corpus-256-0.02.ndjson
//! ```

use aho_corasick::{AhoCorasick, MatchKind};
use clap::Parser;
use logtriage::ReadAt;
use std::fs::File;
use std::time::{Duration, Instant};

/// Times reading (and searching) a file on one thread and on two.
#[derive(Parser)]
#[command(name = "read_scale")]
struct Args {
    /// The file to read; it is read once first, to bring it into the page cache.
    file: std::path::PathBuf,
    /// Rounds of each measurement.
    #[arg(long, default_value_t = 15)]
    rounds: usize,
}

const BLOCK: u64 = 512 << 10;

/// The literals of the `rg -c` command that `benches/compare.sh` runs.
const RG_LITERALS: &[&str] = &["Traceback", "\"severity\":\"ERROR\"", "duration: "];

/// Reads `file` in blocks on `threads` threads, block `i` on thread `i % threads`, searching
/// each block with `search` when given; returns the time and the matches found.
fn run(
    file: &File,
    threads: u64,
    search: Option<&AhoCorasick>,
) -> std::io::Result<(Duration, usize)> {
    let len = file.metadata()?.len();
    let start = Instant::now();
    let found = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                scope.spawn(move || -> std::io::Result<usize> {
                    let mut buf = vec![0; BLOCK as usize];
                    let (mut found, mut i) = (0, first);
                    while i * BLOCK < len {
                        let n = file.read_at(&mut buf, i * BLOCK)?;
                        let block = buf.get(..n).unwrap_or_default();
                        found += search.map_or(0, |ac| ac.find_iter(block).count());
                        i += threads;
                    }
                    Ok(found)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .sum::<std::io::Result<usize>>()
    })?;
    Ok((start.elapsed(), found))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let file = File::open(&args.file)?;
    std::io::copy(&mut &file, &mut std::io::sink())?;
    // Leftmost-first, as logtriage's prefilter: the kind that keeps the SIMD search.
    let search = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(RG_LITERALS)?;
    for (name, search) in [("read", None), ("read + search", Some(&search))] {
        let (mut one, mut two) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            one.push(run(&file, 1, search)?.0);
            two.push(run(&file, 2, search)?.0);
        }
        let (one, two) = (median(one), median(two));
        println!(
            "{name:<14} 1 thread {:7.1} ms   2 threads {:7.1} ms   speed-up {:.2}",
            one.as_secs_f64() * 1e3,
            two.as_secs_f64() * 1e3,
            one.as_secs_f64() / two.as_secs_f64()
        );
    }
    Ok(())
}
