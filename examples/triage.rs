//! `triage`: reads Cloud Logging entries (a `gcloud logging read --format=json` array, NDJSON
//! or plain text) from a file or stdin and prints the root causes, ranked, each with the issue
//! that tracks it. The same command line as the installed `logtriage` binary
//! ([`logtriage::cli`]).
//!
//! ```text
//! cargo run --release --example triage -- --known-issues fixtures/known_issues.json fixtures/staging.json
//! gcloud logging read 'resource.type="cloud_run_revision"' --format=json | cargo run --release --example triage
//! ```

fn main() -> std::process::ExitCode {
    logtriage::cli::main("triage")
}
