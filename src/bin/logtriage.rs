//! `logtriage`: the command line, installed with `cargo install logtriage` (or
//! `cargo install --path .` in a clone). `logtriage --help` explains every option.

fn main() -> std::process::ExitCode {
    logtriage::cli::main("logtriage")
}
