//! `triage`: reads Cloud Logging entries (a `gcloud logging read --format=json` array, NDJSON
//! or plain text) from a file or stdin and prints the root causes, ranked, each with the issue
//! that tracks it.
//!
//! ```text
//! cargo run --release --example triage -- --known-issues fixtures/known_issues.json fixtures/staging.json
//! gcloud logging read 'resource.type="cloud_run_revision"' --format=json | cargo run --release --example triage
//! ```

use clap::{Parser, ValueEnum};
use logtriage::{Event, Group, ReadAt, Report, Sink, TriageBuilder};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Seek, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const AFTER_HELP: &str = "\
Examples:
  triage --known-issues fixtures/known_issues.json fixtures/staging.json
  gcloud logging read 'severity>=DEFAULT' --format=json --freshness=1h | triage
  triage --format ndjson --fail-on undefined_symbol,missing_module logs.ndjson | jq .category
  kubectl logs deploy/backend | triage --slow-ms 500

Exit status: 0 on success, 1 when --fail-on matched an event, 2 for bad arguments or
unreadable files. Colour is used when stdout is a terminal and NO_COLOR is not set.";

/// Turns a flood of Cloud Logging entries into a short, ranked list of root causes.
#[derive(Parser, Debug)]
#[command(name = "triage", version, about, after_help = AFTER_HELP)]
struct Args {
    /// Log file to read: a gcloud JSON array, NDJSON or plain text. Standard input when
    /// absent or `-`.
    file: Option<PathBuf>,

    /// Output: `text` for a person, `json` for the whole report as one document, `ndjson`
    /// for one event per line as soon as it is found.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,

    /// Known-issues file linking groups to tracker issues, e.g. fixtures/known_issues.json.
    #[arg(long, value_name = "FILE")]
    known_issues: Option<PathBuf>,

    /// Rules file adding or overriding categories (may be repeated; see the README).
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,

    /// A query at or above this many milliseconds is a slow_query event.
    #[arg(long, value_name = "N", default_value_t = 1000.0)]
    slow_ms: f64,

    /// Entries larger than this many bytes are skipped and counted as oversize.
    #[arg(long, value_name = "N", default_value_t = logtriage::DEFAULT_MAX_ENTRY_BYTES)]
    max_entry_bytes: usize,

    /// Parse every entry fully, for exact malformed counts (slower).
    #[arg(long)]
    validate: bool,

    /// Exit 1 when an event of one of these categories is found (comma-separated ids, or
    /// `any`), e.g. `--fail-on undefined_symbol,missing_module`.
    #[arg(long, value_name = "CATEGORY[,..]|any", value_delimiter = ',')]
    fail_on: Vec<String>,

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
}

/// Why the run stopped without a report: each maps to exit status 2.
#[derive(Debug)]
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(err: E) -> Self {
        Failure(err.to_string())
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) if !err.use_stderr() => {
            // --help and --version: print them as clap formats them.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let text = err.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("triage: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(failed) => ExitCode::from(u8::from(failed)),
        Err(Failure(why)) => {
            eprintln!("triage: {why}");
            ExitCode::from(2)
        }
    }
}

/// Runs the triage and prints the report; `Ok(true)` when `--fail-on` matched.
fn run(args: &Args) -> Result<bool, Failure> {
    let file = match &args.file {
        Some(path) if path.as_os_str() != "-" => {
            Some(File::open(path).map_err(|e| Failure(format!("{}: {e}", path.display())))?)
        }
        _ => stdin_file(),
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
    if let Some(known) = &args.known_issues {
        builder.known_issues_file(known);
    }
    let triage = builder.build()?;
    let fail_on = FailOn::parse(&args.fail_on, |id| {
        triage.classifier().categories().contains(id)
    })?;
    let progress = Progress::new(io::stderr().is_terminal());
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = BufWriter::new(stdout.lock());

    let mut sink = EventSink {
        fail_on: &fail_on,
        failed: false,
        ndjson: None,
    };
    if args.format == OutputFormat::Ndjson {
        sink.ndjson = Some(&mut out);
    }
    // A regular file is read at offsets: with threads, each worker reads its own blocks.
    let report = match (file, regular) {
        (Some(mut file), Some(len)) => {
            let start = file.stream_position()?;
            let end = len.max(start);
            triage.run_at(&progress.counted(file), start..end, &mut sink)?
        }
        (Some(file), None) => {
            grow_pipe(&file);
            triage.run(progress.counted(file), &mut sink)?
        }
        (None, _) => triage.run(progress.counted(io::stdin()), &mut sink)?,
    };
    progress.done();
    let failed = sink.failed;
    match args.format {
        OutputFormat::Text => write_text(&mut out, &report, color)?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => {}
    }
    out.flush()?;
    Ok(failed)
}

/// `--threads` when not given: on two cores two threads took 0.6 to 0.75 of one thread's time
/// over a 256 MiB file, and each thread holds about 3 MiB of blocks (benches/README.md, "Memory and
/// scale"), so up to 4 stay well inside the 32 MiB the design promises. Through a pipe two
/// threads were slower than one, and below two blocks there is nothing to share.
fn default_threads(regular_len: Option<u64>) -> usize {
    match regular_len {
        Some(len) if len >= 1 << 20 => {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        }
        _ => 1,
    }
}

/// Standard input as a file, read without `Stdin`'s lock and 8 KiB buffer (measured 40%
/// faster on a redirected 256 MiB export); `None` where it has no descriptor.
fn stdin_file() -> Option<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() {
            return Some(File::from(fd));
        }
    }
    None
}

/// Grows the buffer of a pipe on stdin to 1 MiB, the most an unprivileged process may ask
/// by default (`/proc/sys/fs/pipe-max-size`). With Linux's 64 KiB each read took at most
/// that, and the writer and we took turns: `cat` of a 256 MiB export into one thread ran
/// 317 ms with 64 KiB, 202 ms with 1 MiB. A pipe that may not grow keeps its size, which
/// costs speed only.
#[cfg(target_os = "linux")]
fn grow_pipe(file: &File) {
    use std::os::unix::fs::FileTypeExt;
    if file.metadata().is_ok_and(|m| m.file_type().is_fifo()) {
        let _ = rustix::pipe::fcntl_setpipe_size(file, PIPE_BYTES);
    }
}

#[cfg(not(target_os = "linux"))]
fn grow_pipe(_: &File) {}

#[cfg(target_os = "linux")]
const PIPE_BYTES: usize = 1 << 20;

/// Which categories make the run exit 1.
enum FailOn {
    Never,
    Any,
    Categories(Vec<String>),
}

impl FailOn {
    fn parse(ids: &[String], known: impl Fn(&str) -> bool) -> Result<Self, Failure> {
        let ids: Vec<String> = ids
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if ids.is_empty() {
            return Ok(FailOn::Never);
        }
        if ids.iter().any(|id| id == "any") {
            return Ok(FailOn::Any);
        }
        if let Some(bad) = ids.iter().find(|id| !known(id)) {
            return Err(Failure(format!("--fail-on: unknown category '{bad}'")));
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

/// Sees each event as it is found: notes `--fail-on` matches and streams `ndjson`.
struct EventSink<'a, W: Write> {
    fail_on: &'a FailOn,
    failed: bool,
    ndjson: Option<&'a mut W>,
}

impl<W: Write> Sink for EventSink<'_, W> {
    fn event(&mut self, event: &Event) -> io::Result<bool> {
        self.failed |= self.fail_on.matches(event.classification.category.as_str());
        if let Some(out) = self.ndjson.as_mut() {
            serde_json::to_writer(&mut **out, &logtriage::EventRecord::from(event))?;
            out.write_all(b"\n")?;
            // A pipe should see each event as it is found, not when the buffer fills.
            out.flush()?;
        }
        Ok(true)
    }
}

/// Counts bytes read and, when stderr is a terminal, shows how far the run is. Workers read
/// at once, hence the atomics.
struct Progress {
    show: bool,
    bytes: AtomicU64,
    start: Instant,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(show: bool) -> Self {
        let now = Instant::now();
        Progress {
            show,
            bytes: AtomicU64::new(0),
            start: now,
            last: Mutex::new(now),
        }
    }

    /// `inner` (a stream or an input read at offsets) with its reads counted.
    fn counted<R>(&self, inner: R) -> Counted<'_, R> {
        Counted {
            inner,
            progress: self,
        }
    }

    fn count(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        // Short runs stay silent: the first line appears after half a second.
        if !self.show || self.start.elapsed() < Duration::from_millis(500) {
            return;
        }
        let Ok(mut last) = self.last.try_lock() else {
            return;
        };
        if last.elapsed() > Duration::from_millis(250) {
            *last = Instant::now();
            self.report(false);
        }
    }

    /// Clears the progress line, if one was shown.
    fn done(&self) {
        if self.show && self.start.elapsed() > Duration::from_millis(500) {
            self.report(true);
        }
    }

    fn report(&self, done: bool) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let mib = self.bytes.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2Kread {mib:.1} MiB, {:.0} MiB/s", mib / secs);
        if done {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = err.flush();
    }
}

/// An input whose reads [`Progress`] counts.
struct Counted<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.count(n);
        Ok(n)
    }
}

impl<R: ReadAt> ReadAt for Counted<'_, R> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.read_at(buf, offset)?;
        self.progress.count(n);
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// The text report: laid out for a 100-column terminal.

const WIDTH: usize = 100;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    fn red(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    fn cyan(&self, t: &str) -> String {
        self.paint("36", t)
    }
}

/// Cuts `text` to `width` characters, ending in an ellipsis when cut; newlines become spaces.
fn clip(text: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        return flat;
    }
    let mut cut: String = flat.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `2026-11-26T14:02:11.123456Z` as `2026-11-26 14:02:11`.
fn short_time(ts: &str) -> String {
    let t = ts.replace('T', " ");
    t.chars().take(19).collect()
}

fn write_text(out: &mut impl Write, report: &Report, color: bool) -> io::Result<()> {
    let s = Style { color };
    write_header(out, report, &s)?;
    let mut category = "";
    for (i, group) in report.groups.iter().enumerate() {
        if group.category != category {
            category = group.category.as_str();
            let rule = "─".repeat(WIDTH.saturating_sub(category.len() + 4));
            writeln!(
                out,
                "\n{} {}",
                s.bold(&format!("── {category}")),
                s.dim(&rule)
            )?;
        }
        write_group(out, i + 1, group, &s)?;
    }
    if report.groups.is_empty() {
        writeln!(out, "\n{}", s.green("No failure events found."))?;
    }
    Ok(())
}

fn write_header(out: &mut impl Write, report: &Report, s: &Style) -> io::Result<()> {
    let t = &report.totals;
    writeln!(
        out,
        "{}  {} entries, {} events in {} groups",
        s.bold("logtriage"),
        t.entries,
        t.events,
        report.groups.len()
    )?;
    let bad = format!("malformed {}, oversize {}", t.malformed, t.oversize);
    let bad = if t.malformed + t.oversize > 0 {
        s.yellow(&bad)
    } else {
        s.dim(&bad)
    };
    let mut line = format!("  ok {}, {bad}", t.ok);
    if !t.malformed_lines.is_empty() {
        let lines: Vec<String> = t.malformed_lines.iter().map(u64::to_string).collect();
        line.push_str(&s.dim(&format!(" (first at line {})", lines.join(", "))));
    }
    writeln!(out, "{line}")?;
    let first = report
        .groups
        .iter()
        .filter_map(|g| g.first_seen.as_deref())
        .min();
    let last = report
        .groups
        .iter()
        .filter_map(|g| g.last_seen.as_deref())
        .max();
    if let (Some(first), Some(last)) = (first, last) {
        writeln!(
            out,
            "  span {} .. {} UTC",
            short_time(first),
            short_time(last)
        )?;
    }
    let services: std::collections::BTreeSet<&str> = report
        .groups
        .iter()
        .flat_map(|g| g.services.iter().map(String::as_str))
        .collect();
    if !services.is_empty() {
        let list = services.into_iter().collect::<Vec<_>>().join(", ");
        writeln!(out, "  services {}", clip(&list, WIDTH - 11))?;
    }
    Ok(())
}

fn write_group(out: &mut impl Write, rank: usize, g: &Group, s: &Style) -> io::Result<()> {
    // A slow query reads best as its statement with the literals replaced: the subject.
    let slow = g.category == "slow_query" && g.exception.is_none();
    let head = match (&g.exception, &g.subject) {
        (None, Some(statement)) if slow => statement.clone(),
        (Some(ty), _) if !g.message.is_empty() => format!("{ty}: {}", g.message),
        (Some(ty), _) => ty.clone(),
        (None, _) if g.message.trim().is_empty() => {
            String::from("(an ERROR entry with no message)")
        }
        (None, _) => g.message.clone(),
    };
    let count = format!("{:>5}×", g.count);
    writeln!(
        out,
        "{:>3}. {} {}",
        rank,
        s.red(&count),
        s.bold(&clip(&head, WIDTH - 12))
    )?;
    let pad = "            ";
    let room = WIDTH - pad.len();
    let mut facts = Vec::new();
    let mut used = 0;
    if let Some(subject) = g.subject.as_ref().filter(|_| !slow) {
        let subject = clip(subject, 44);
        used += "subject ".len() + subject.chars().count() + 3;
        facts.push(format!("subject {}", s.cyan(&subject)));
    }
    if let Some(f) = &g.top_frame {
        let file = f.file.rsplit('/').next().unwrap_or(&f.file);
        let at = match f.line {
            Some(n) => format!("{file}:{n} in {}", f.function),
            None => format!("{file} in {}", f.function),
        };
        facts.push(format!("at {}", clip(&at, room.saturating_sub(used + 3))));
    }
    if !facts.is_empty() {
        writeln!(out, "{pad}{}", facts.join("   "))?;
    }
    let seen = match (&g.first_seen, &g.last_seen) {
        (Some(a), Some(b)) if a == b => format!("seen {}", short_time(a)),
        (Some(a), Some(b)) => format!("seen {} .. {}", short_time(a), short_time(b)),
        _ => String::from("seen (no timestamps)"),
    };
    let where_ = where_seen(g);
    writeln!(
        out,
        "{pad}{}",
        s.dim(&clip(&format!("{seen}   {where_}"), WIDTH - pad.len()))
    )?;
    match (&g.known_issue, &g.suggested_title) {
        (Some(issue), _) => {
            let text = format!("issue #{} {}", issue.id, issue.title);
            writeln!(out, "{pad}{}", s.green(&clip(&text, WIDTH - pad.len())))?;
            if let Some(url) = &issue.url {
                writeln!(out, "{pad}{}", s.dim(&clip(url, WIDTH - pad.len())))?;
            }
        }
        (None, Some(title)) => {
            let text = format!("no known issue; suggested title: {title}");
            writeln!(out, "{pad}{}", s.yellow(&clip(&text, WIDTH - pad.len())))?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// `netra-backend-staging (00041-abc, 00042-xyz)`: services, with revisions shortened by
/// their service's name.
fn where_seen(g: &Group) -> String {
    let mut parts = Vec::new();
    for service in &g.services {
        let revs: Vec<&str> = g
            .revisions
            .iter()
            .filter_map(|r| {
                r.strip_prefix(service.as_str())
                    .map(|r| r.trim_start_matches('-'))
            })
            .collect();
        if revs.is_empty() {
            parts.push(service.clone());
        } else {
            parts.push(format!("{service} ({})", revs.join(", ")));
        }
    }
    parts.join(", ")
}
