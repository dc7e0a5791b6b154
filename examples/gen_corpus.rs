//! Writes the deterministic benchmark corpus to stdout (the same generator the benches use).
//!
//! ```text
//! cargo run --release --example gen_corpus -- --mib 256 --failure-rate 0.02 > /tmp/corpus.ndjson
//! cargo run --release --example gen_corpus -- --mib 64 --array > /tmp/corpus.json
//! ```

#[path = "../benches/corpus.rs"]
mod corpus;

use clap::Parser;
use std::io::Write;

/// Generates realistic Cloud Run and Cloud SQL entries with a known number of failures.
#[derive(Parser)]
#[command(name = "gen_corpus")]
struct Args {
    /// Size in MiB.
    #[arg(long, default_value_t = 64)]
    mib: usize,
    /// Share of entries that start a failure event.
    #[arg(long, default_value_t = 0.02)]
    failure_rate: f64,
    /// Write a pretty-printed gcloud array instead of NDJSON.
    #[arg(long)]
    array: bool,
    /// PRNG seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let shape = if args.array {
        corpus::Shape::Array
    } else {
        corpus::Shape::Ndjson
    };
    let spec = corpus::Spec {
        bytes: args.mib << 20,
        failure_rate: args.failure_rate,
        shape,
        seed: args.seed,
    };
    let corpus = corpus::generate(spec);
    std::io::stdout().lock().write_all(&corpus.bytes)?;
    eprintln!(
        "{} bytes, {} entries, {} failure events",
        corpus.bytes.len(),
        corpus.entries,
        corpus.events
    );
    Ok(())
}
