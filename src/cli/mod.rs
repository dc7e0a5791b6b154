//! The command line: the `logtriage` binary and the `triage` example both call [`main`].
//!
//! Compiled with the `cli` feature (on by default). An embedder that only wants the library
//! leaves it out, and clap with it:
//!
//! ```toml
//! logtriage = { version = "0.1", default-features = false }
//! ```
//!
//! It reads Cloud Logging entries (a `gcloud logging read --format=json` array, NDJSON or
//! plain text) from a file or standard input and prints the root causes, ranked, each with
//! the issue that tracks it: as a text report fitted to the terminal, as one JSON document,
//! or as one JSON event per line while it reads (`--format`). For an input triaged in
//! shards, `--format partial` writes a shard's partial report on one line, and `merge
//! PARTIAL...` finishes the shards' partials, in input order, into the report of the whole
//! (see [`crate::Partial`]).
//!
//! Exit status: 0 on success; 1 when `--fail-on` matched an event, or (`new`, `regressed`)
//! a group of the finished report; 2 for bad arguments, an unreadable input, an invalid
//! known-issues, rules or `--baseline` file, a partial report that cannot be read or
//! merged, or an output that cannot be written. A closed standard output (`... | head`) is
//! not an error: the run ends quietly with 0, or 1 when `--fail-on` matched (it reads on,
//! printing nothing, only while `--fail-on` may still match).

mod deploys;
mod input;
mod links;
mod merge;
mod text;

use crate::{Event, Sink, TriageBuilder};
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use input::{grow_pipe, stdin_file, Progress};
use merge::InputFormat;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Seek, Write};
use std::path::PathBuf;
use std::process::ExitCode;

fn after_help(name: &str) -> String {
    format!(
        "\
Examples:
  {name} --known-issues fixtures/known_issues.json fixtures/staging.json
  gcloud logging read 'severity>=DEFAULT' --format=json --freshness=1h | {name}
  {name} --format ndjson --fail-on undefined_symbol,missing_module logs.ndjson | jq .category
  {name} --top 5 --show traceback logs.json
  gh issue list --state all --limit 1000 --json number,title,url,state,labels,body > issues.json
  {name} --known-issues issues.json --draft-issues drafts/ logs.json
  kubectl logs deploy/backend | {name} --slow-ms 500
  {name} --format json logs-yesterday.json > yesterday.json
  {name} --baseline yesterday.json --fail-on new,regressed logs-today.json

Shards of a large export, triaged apart (one process, machine or Spark task each), merge
into the report of the whole:
  {name} --format partial shard-0.ndjson > shard-0.partial   (one per shard)
  {name} merge --format json shard-*.partial                 (in input order)

Exit status: 0 on success, 1 when --fail-on matched an event (or a new or regressed
group), 2 for bad arguments, an unreadable input or file, or an output that cannot be
written. A closed output (| head) ends the run quietly. Colour is used when stdout is a
terminal and NO_COLOR is not set; the text report takes the terminal's width, else
COLUMNS, else 100 columns (60 to 160)."
    )
}

/// Turns a flood of Cloud Logging entries into a short, ranked list of root causes.
#[derive(Parser, Debug)]
#[command(name = "logtriage", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,

    /// Log file to read: a gcloud JSON array, NDJSON or plain text. Standard input when
    /// absent or `-`.
    file: Option<PathBuf>,

    /// Output: `text` for a person, `json` for the whole report as one document, `ndjson`
    /// for one event per line as soon as it is found, `partial` for this shard's partial
    /// report (one line) that `merge` finishes with the other shards'.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    format: OutputFormat,

    /// Read the input as this format instead of detecting it: `array` for a shard cut from
    /// the middle of a gcloud JSON array (between its elements).
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,

    /// Known-issues file linking groups to tracker issues: hand-written (e.g.
    /// fixtures/known_issues.json) or the output of `gh issue list --state all --limit 1000
    /// --json number,title,url,state,labels,body`. May be repeated.
    #[arg(long, value_name = "FILE", global = true)]
    known_issues: Vec<PathBuf>,

    /// Write a Markdown issue draft for each group with no known issue into DIR (created if
    /// missing; named <category>-<fingerprint>.md), and print on stderr the `gh issue
    /// create` command that files each.
    #[arg(long, value_name = "DIR", global = true)]
    draft_issues: Option<PathBuf>,

    /// Scrub secrets (passwords in URLs, tokens, API keys, e-mail addresses) from the report
    /// and events, as issue drafts always are.
    #[arg(long, global = true)]
    redact: bool,

    /// Rules file adding or overriding categories (may be repeated; see the README).
    #[arg(long, value_name = "FILE", global = true)]
    rules: Vec<PathBuf>,

    /// A query at or above this many milliseconds is a slow_query event.
    #[arg(long, value_name = "N", default_value_t = 1000.0)]
    slow_ms: f64,

    /// Entries larger than this many bytes are skipped and counted as oversize.
    #[arg(long, value_name = "N", default_value_t = crate::DEFAULT_MAX_ENTRY_BYTES)]
    max_entry_bytes: usize,

    /// Parse every entry fully, for exact malformed counts (slower).
    #[arg(long)]
    validate: bool,

    /// Exit 1 when an event of one of these categories is found (comma-separated ids, or
    /// `any`), e.g. `--fail-on undefined_symbol,missing_module`; `new` and `regressed` exit 1
    /// when a group is new (against --baseline, else against the earlier revisions of its
    /// service) or regressed against --baseline. An empty or unknown name is an error.
    #[arg(
        long,
        value_name = "CATEGORY[,..]|any|new|regressed",
        value_delimiter = ',',
        global = true
    )]
    fail_on: Vec<String>,

    /// A report saved earlier with `--format json`: each group is marked new, regressed,
    /// improved or same against it (by fingerprint), and its groups absent now are listed
    /// as gone.
    #[arg(long, value_name = "FILE", global = true)]
    baseline: Option<PathBuf>,

    /// Text report: only the N groups that rank first, then one line counting the rest.
    #[arg(long, value_name = "N", global = true)]
    top: Option<usize>,

    /// Text report: under each group, its first event's traceback or message (`traceback`),
    /// cut to 40 lines.
    #[arg(
        long,
        value_enum,
        value_name = "WHAT",
        value_delimiter = ',',
        global = true
    )]
    show: Vec<Show>,

    /// Worker threads. By default one per core, up to 4, for a regular file of 1 MiB or
    /// more (each worker reads its own blocks of it), and 1 for a pipe, whose writer needs a
    /// core of its own.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Ndjson,
    Partial,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Merge the partial reports of an input's shards (`--format partial`), given in input
    /// order, into its report: the same as one run over the whole input. `--known-issues`,
    /// `--fail-on`, `--draft-issues` and `--redact` apply to the merged report; `--format
    /// partial` merges into a partial again, for merging in stages.
    Merge {
        /// Partial report files (each may hold several, one per line), or `-` for standard
        /// input, one partial per line.
        #[arg(value_name = "PARTIAL", required = true)]
        partials: Vec<PathBuf>,
    },
}

/// What the text report shows beyond its default lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Show {
    /// The group's representative traceback or message.
    Traceback,
}

/// Why the run stopped without a report: each maps to exit status 2.
#[derive(Debug)]
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(err: E) -> Self {
        Failure(err.to_string())
    }
}

/// Runs the command line with the process's arguments and returns its exit status.
///
/// `name` is the command's name in its help, its examples and its messages (`logtriage`
/// for the binary, `triage` for the example). The status is 0 on success, 1 when
/// `--fail-on` matched an event, 2 for bad arguments, an unreadable input or file, or an
/// output that cannot be written; see the [module docs](self).
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     logtriage::cli::main("logtriage")
/// }
/// ```
pub fn main(name: &str) -> ExitCode {
    let command = Args::command()
        .name(name.to_owned())
        .bin_name(name.to_owned())
        .after_help(after_help(name));
    let args = match command
        .try_get_matches()
        .and_then(|m| Args::from_arg_matches(&m))
    {
        Ok(args) => args,
        Err(err) if !err.use_stderr() => {
            // --help and --version: print them as clap formats them (a closed output is
            // no failure here either).
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let text = err.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            complain(name, first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(name, &args) {
        Ok(failed) => ExitCode::from(u8::from(failed)),
        Err(Failure(why)) => {
            complain(name, &why);
            ExitCode::from(2)
        }
    }
}

/// One line on stderr; a closed stderr is no reason to panic, as `eprintln!` would.
fn complain(name: &str, why: &str) {
    let _ = writeln!(io::stderr(), "{name}: {why}");
}

/// Runs the triage and prints the report; `Ok(true)` when `--fail-on` matched.
fn run(name: &str, args: &Args) -> Result<bool, Failure> {
    if let Some(Command::Merge { partials }) = &args.command {
        return run_merge(args, partials);
    }
    if args.format == OutputFormat::Partial {
        let report_only = !args.known_issues.is_empty() || !args.fail_on.is_empty();
        if report_only || args.baseline.is_some() || args.draft_issues.is_some() || args.redact {
            return Err(Failure(
                "--format partial: --known-issues, --fail-on, --baseline, --draft-issues and \
                 --redact apply to the merged report (give them to `merge`)"
                    .to_string(),
            ));
        }
    } else if args.input_format.is_some() {
        return Err(Failure(
            "--input-format applies to --format partial (a shard of an input)".to_string(),
        ));
    }
    let file = match &args.file {
        Some(path) if path.as_os_str() != "-" => Some(File::open(path).map_err(|e| {
            Failure(format!(
                "{}: cannot open the log input: {e}",
                path.display()
            ))
        })?),
        _ => {
            if io::stdin().is_terminal() {
                complain(name, STDIN_NOTICE);
            }
            stdin_file()
        }
    };
    // The length of a regular file, which is read at offsets; `None` for a pipe or terminal.
    let regular = file
        .as_ref()
        .and_then(|f| f.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut builder = TriageBuilder::new();
    builder
        .slow_ms(args.slow_ms)
        .max_entry_bytes(args.max_entry_bytes)
        .validate(args.validate)
        .threads(args.threads.unwrap_or_else(|| default_threads(regular)));
    for rules in &args.rules {
        builder.rules_file(rules);
    }
    for known in &args.known_issues {
        builder.known_issues_file(known);
    }
    let triage = builder.build()?;
    // Before the input is read: a run must not end without the drafts it was asked for.
    if let Some(dir) = &args.draft_issues {
        crate::prepare_dir(dir)?;
    }
    let fail_on = FailOn::of(args, &triage)?;
    let gate = Gate::parse(&args.fail_on);
    // Read before the logs: a wrong file stops the run at once.
    let baseline = load_baseline(args)?;
    let progress = Progress::new(io::stderr().is_terminal());
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.format == OutputFormat::Partial {
        let format = args.input_format.map(crate::Format::from);
        let partial = merge::partial_of(
            &triage,
            file,
            regular,
            args.file.as_deref(),
            format,
            &progress,
        )?;
        for warning in input_warnings(&partial.totals) {
            complain(name, &warning);
        }
        finish_output(merge::write_partial(&mut out, &partial))?;
        return Ok(false);
    }

    let mut sink = EventSink {
        fail_on: &fail_on,
        failed: false,
        closed: false,
        read_to_end: gate.new || gate.regressed,
        redact: args.redact,
        ndjson: None,
    };
    if args.format == OutputFormat::Ndjson {
        sink.ndjson = Some(&mut out);
    }
    // A regular file is read at offsets: with threads, each worker reads its own blocks.
    let result = match (file, regular) {
        (Some(mut file), Some(len)) => {
            let start = file.stream_position()?;
            let end = len.max(start);
            triage.run_at(&progress.counted(file), start..end, &mut sink)
        }
        (Some(file), None) => {
            grow_pipe(&file);
            triage.run(progress.counted(file), &mut sink)
        }
        (None, _) => triage.run(progress.counted(io::stdin()), &mut sink),
    };
    progress.done();
    let mut failed = sink.failed;
    let mut report = match result {
        Ok(report) => report,
        // The sink keeps a closed pipe to itself; were it to pass one on, the same holds.
        Err(crate::Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(failed),
        Err(e) => return Err(e.into()),
    };
    for warning in input_warnings(&report.totals) {
        complain(name, &warning);
    }
    if let Some(baseline) = &baseline {
        judge(&mut report, baseline);
    }
    failed |= gate.matches(&report);
    write_report(&mut out, report, args)?;
    Ok(failed)
}

/// `merge`: the partials folded in order, then finished into the report (or written as one
/// partial again); `Ok(true)` when `--fail-on` matched a group.
fn run_merge(args: &Args, paths: &[PathBuf]) -> Result<bool, Failure> {
    if args.format == OutputFormat::Ndjson {
        return Err(Failure(
            "merge: --format ndjson streams events as they are read; a merge has the report \
             (use json, text or partial)"
                .to_string(),
        ));
    }
    if args.format == OutputFormat::Partial && (args.baseline.is_some() || !args.fail_on.is_empty())
    {
        return Err(Failure(
            "merge --format partial: --baseline and --fail-on apply to the finished report"
                .to_string(),
        ));
    }
    if let Some(dir) = &args.draft_issues {
        crate::prepare_dir(dir)?;
    }
    // Read before the partials: a wrong file stops the merge at once.
    let baseline = load_baseline(args)?;
    let (triage, merged) = merge::merged(paths, &args.rules, &args.known_issues)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.format == OutputFormat::Partial {
        finish_output(merge::write_partial(&mut out, &merged))?;
        return Ok(false);
    }
    let fail_on = FailOn::of(args, &triage)?;
    let mut report = triage.finish_partial(merged);
    // As after a run: the baseline is compared with the merged report, then the gate.
    if let Some(baseline) = &baseline {
        judge(&mut report, baseline);
    }
    let failed = report
        .groups
        .iter()
        .any(|g| fail_on.matches(g.category.as_str()))
        || Gate::parse(&args.fail_on).matches(&report);
    write_report(&mut out, report, args)?;
    Ok(failed)
}

/// The `--baseline` report, read (before the logs or partials: a wrong file stops at once).
fn load_baseline(args: &Args) -> Result<Option<crate::Report>, Failure> {
    match &args.baseline {
        Some(path) => Ok(Some(crate::Report::load(path)?)),
        None => Ok(None),
    }
}

/// Marks each group of a finished report against the baseline, and lists its gone groups.
fn judge(report: &mut crate::Report, baseline: &crate::Report) {
    let comparison = report.compare(baseline);
    report.set_baseline(comparison);
}

/// Writes drafts (`--draft-issues`), then the report in `--format` (`ndjson` wrote its
/// lines already), scrubbed with `--redact`.
fn write_report(
    out: &mut impl Write,
    mut report: crate::Report,
    args: &Args,
) -> Result<(), Failure> {
    if let Some(dir) = &args.draft_issues {
        for draft in crate::write_drafts(&report, dir)? {
            let _ = writeln!(io::stderr(), "{}", draft.gh_command());
        }
    }
    if args.redact {
        crate::Redact::redact(&mut report);
    }
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let layout = text::Layout {
        width: text::width(stdout.is_terminal()),
        color,
        top: args.top,
        traceback: args.show.contains(&Show::Traceback),
        baseline: args.baseline.as_ref().map(|p| p.display().to_string()),
        utf8: links::utf8_locale(|name| std::env::var(name).ok()),
    };
    let written = match args.format {
        OutputFormat::Text => text::write_report(&mut *out, &report, &layout),
        OutputFormat::Json => serde_json::to_writer_pretty(&mut *out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        OutputFormat::Ndjson | OutputFormat::Partial => Ok(()),
    };
    finish_output(written.and_then(|()| out.flush()))
}

/// The end of the output: a closed pipe is the reader's choice (`| head`), not a failure.
fn finish_output(written: io::Result<()>) -> Result<(), Failure> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure(format!("cannot write the output: {e}"))),
    }
}

/// One line each on stderr for what the input's first bytes said is wrong with it, so that
/// a report with no failure in it is not taken for a clean bill of health.
fn input_warnings(totals: &crate::Totals) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(binary) = totals.binary {
        warnings.push(format!(
            "warning: the input is {binary}; its report means little"
        ));
    }
    if totals.truncated {
        warnings.push(
            "warning: the gzip input ends early or is corrupt: it was read up to there, the \
             rest is lost"
                .to_string(),
        );
    }
    warnings
}

/// Said on stderr when standard input is a terminal: a user who typed the command alone
/// learns why nothing happens.
#[cfg(not(windows))]
const STDIN_NOTICE: &str = "reading logs from standard input (pipe `gcloud logging read ... \
    --format=json` in, or give a file; Ctrl-D ends)";
#[cfg(windows)]
const STDIN_NOTICE: &str = "reading logs from standard input (pipe `gcloud logging read ... \
    --format=json` in, or give a file; Ctrl-Z then Enter ends)";

/// `--threads` when not given: on two cores two threads took 0.6 to 0.75 of one thread's time
/// over a 256 MiB file, and each thread holds about 3 MiB of blocks (benches/README.md, "Memory
/// and scale"), so up to 4 stay well inside the 32 MiB the design promises. Through a pipe two
/// threads were slower than one, and below two blocks there is nothing to share.
fn default_threads(regular_len: Option<u64>) -> usize {
    match regular_len {
        Some(len) if len >= 1 << 20 => {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        }
        _ => 1,
    }
}

/// Which categories make the run exit 1.
#[derive(Debug, PartialEq, Eq)]
enum FailOn {
    Never,
    Any,
    Categories(Vec<String>),
}

impl FailOn {
    /// `--fail-on` checked against the categories `triage` knows (built-in and from rules).
    fn of(args: &Args, triage: &crate::Triage) -> Result<Self, Failure> {
        let categories: Vec<&str> = triage
            .classifier()
            .categories()
            .iter()
            .map(crate::Category::as_str)
            .collect();
        Self::parse(&args.fail_on, &categories)
    }

    /// `--fail-on`'s values, checked against the category ids `known`. An empty value is
    /// an error, not "never": an unset CI variable must not turn a gate off unseen.
    fn parse(ids: &[String], known: &[&str]) -> Result<Self, Failure> {
        if ids.is_empty() {
            return Ok(FailOn::Never);
        }
        let ids: Vec<String> = ids.iter().map(|s| s.trim().to_string()).collect();
        let valid = || format!("valid: any, new, regressed, {}", known.join(", "));
        if ids.iter().any(String::is_empty) {
            return Err(Failure(format!(
                "--fail-on: empty category name; {}",
                valid()
            )));
        }
        if ids.iter().any(|id| id == "any") {
            return Ok(FailOn::Any);
        }
        // `new` and `regressed` are the report's verdicts, judged by [`Gate`].
        let ids: Vec<String> = ids
            .into_iter()
            .filter(|id| !Gate::NAMES.contains(&id.as_str()))
            .collect();
        if let Some(bad) = ids.iter().find(|id| !known.contains(&id.as_str())) {
            return Err(Failure(format!(
                "--fail-on: unknown category '{bad}'; {}",
                valid()
            )));
        }
        if ids.is_empty() {
            return Ok(FailOn::Never);
        }
        Ok(FailOn::Categories(ids))
    }

    fn matches(&self, category: &str) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Any => true,
            FailOn::Categories(ids) => ids.iter().any(|id| id == category),
        }
    }
}

/// The verdicts of the finished report that make the run exit 1: the deploy gate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Gate {
    /// `--fail-on new`: a group new against the baseline, or, without one, new in the latest
    /// revision of its service.
    new: bool,
    /// `--fail-on regressed`: a group regressed against the baseline (never without one).
    regressed: bool,
}

impl Gate {
    /// The `--fail-on` names that are verdicts, not categories.
    const NAMES: [&'static str; 2] = ["new", "regressed"];

    fn parse(ids: &[String]) -> Gate {
        let has = |name: &str| ids.iter().any(|id| id.trim() == name);
        Gate {
            new: has("new"),
            regressed: has("regressed"),
        }
    }

    /// Whether a group of the finished report (compared with the baseline when there is one)
    /// trips the gate.
    fn matches(&self, report: &crate::Report) -> bool {
        use crate::{BaselineVerdict, DeployVerdict};
        let with_baseline = report.gone.is_some();
        report.groups.iter().any(|g| {
            let verdict = g.baseline.as_ref().map(|b| b.verdict);
            let new = if with_baseline {
                verdict == Some(BaselineVerdict::New)
            } else {
                g.deploy == Some(DeployVerdict::New)
            };
            (self.new && new) || (self.regressed && verdict == Some(BaselineVerdict::Regressed))
        })
    }
}

/// Sees each event as it is found: notes `--fail-on` matches and streams `ndjson`.
struct EventSink<'a, W: Write> {
    fail_on: &'a FailOn,
    failed: bool,
    /// The `ndjson` reader has gone (a closed pipe).
    closed: bool,
    /// The gate judges the whole report: read to the end even without a reader.
    read_to_end: bool,
    /// `--redact`: events are scrubbed before they are written.
    redact: bool,
    ndjson: Option<&'a mut W>,
}

impl<W: Write> Sink for EventSink<'_, W> {
    fn event(&mut self, event: &Event) -> io::Result<bool> {
        self.failed |= self.fail_on.matches(event.classification.category.as_str());
        if let Some(out) = self.ndjson.as_mut() {
            match write_line(out, event, self.redact) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    self.closed = true;
                    self.ndjson = None;
                }
                Err(e) => return Err(e),
            }
        }
        // With the reader gone, read on only while --fail-on may still match.
        let pending = (*self.fail_on != FailOn::Never || self.read_to_end) && !self.failed;
        Ok(!self.closed || pending)
    }
}

/// One `--format ndjson` line, flushed: a pipe sees each event as it is found, not when the
/// buffer fills.
fn write_line(out: &mut impl Write, event: &Event, redact: bool) -> io::Result<()> {
    let mut record = crate::EventRecord::from(event);
    if redact {
        crate::Redact::redact(&mut record);
    }
    serde_json::to_writer(&mut *out, &record)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests;
