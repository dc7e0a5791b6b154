//! The text report: a header (and the baseline's summary, when one was given), the deploys
//! block when a service has two or more revisions, then the causes, each in a few lines that
//! fit the width (URLs aside: they are printed whole, so that a terminal can open them) with
//! what it explains, then the symptoms no cause explains, and last the groups gone since the
//! baseline. A symptom a cause explains is not listed again: its count is in that cause's
//! impact line.

use super::deploys::{self, short_revision, Span, Tone};
use super::links::{hint, impact_line, percentiles, report_minutes, sparkline};
use crate::{Group, Report, Role};
use std::io::{self, Write};

/// The width when standard output is not a terminal and `COLUMNS` is not set.
const DEFAULT_WIDTH: usize = 100;
/// The narrowest and widest report, whatever the terminal says.
const WIDTHS: std::ops::RangeInclusive<usize> = 60..=160;
/// A group's lines after the first start here.
const PAD: &str = "            ";
/// `--show traceback` prints at most this many lines per group...
const SAMPLE_ROWS: usize = 40;
/// ...and a line of the text takes at most this many of them.
const ROWS_PER_LINE: usize = 3;

/// How the text report is laid out.
pub(super) struct Layout {
    /// Columns; every line fits, except a URL's.
    pub(super) width: usize,
    /// ANSI colours.
    pub(super) color: bool,
    /// Only this many groups, then a line counting the rest.
    pub(super) top: Option<usize>,
    /// Each group's sample text under it.
    pub(super) traceback: bool,
    /// The baseline report's file, when one was given.
    pub(super) baseline: Option<String>,
    /// Sparklines in block characters (else ASCII).
    pub(super) utf8: bool,
}

/// The report's width: the terminal's when standard output is one, else `COLUMNS` when it is
/// a number, else 100; always within 60 to 160.
pub(super) fn width(stdout_is_terminal: bool) -> usize {
    let terminal = stdout_is_terminal
        .then(terminal_size::terminal_size)
        .flatten()
        .map(|(w, _)| usize::from(w.0));
    choose_width(terminal, std::env::var("COLUMNS").ok().as_deref())
}

fn choose_width(terminal: Option<usize>, columns: Option<&str>) -> usize {
    let columns = || columns?.trim().parse::<usize>().ok();
    terminal
        .filter(|&w| w > 0)
        .or_else(columns)
        .unwrap_or(DEFAULT_WIDTH)
        .clamp(*WIDTHS.start(), *WIDTHS.end())
}

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
    fn tone(&self, tone: Tone, t: &str) -> String {
        match tone {
            Tone::Plain => t.to_string(),
            Tone::Bold => self.bold(t),
            Tone::Dim => self.dim(t),
            Tone::Red => self.red(t),
            Tone::Yellow => self.yellow(t),
            Tone::Green => self.green(t),
        }
    }
    /// Toned spans on one line, cut to `w` characters (their spaces kept).
    fn spans(&self, spans: &[Span], w: usize) -> String {
        let mut line = String::new();
        let mut used = 0;
        for (tone, text) in spans {
            let text = printable(text);
            let room = w.saturating_sub(used);
            let text = if text.chars().count() > room {
                clip(&text, room)
            } else {
                text
            };
            used += text.chars().count();
            line.push_str(&self.tone(*tone, &text));
        }
        line
    }
}

/// `1 entry`, `2 entries`.
fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` with tabs as spaces and other control characters (an escape sequence in a log
/// line would reach the terminal) as `�`.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Cuts `text` to `width` characters, ending in an ellipsis when cut; runs of whitespace
/// (newlines too) become one space.
fn clip(text: &str, width: usize) -> String {
    let flat = printable(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    if flat.chars().count() <= width {
        return flat;
    }
    let mut cut: String = flat.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        cut.push('…');
    }
    cut
}

/// `2026-11-26T14:02:11.123456Z` as `2026-11-26 14:02:11`.
fn short_time(ts: &str) -> String {
    printable(&ts.replace('T', " ")).chars().take(19).collect()
}

/// Writes the whole text report.
pub(super) fn write_report(
    out: &mut impl Write,
    report: &Report,
    layout: &Layout,
) -> io::Result<()> {
    let s = Style {
        color: layout.color,
    };
    let w = layout.width;
    write_header(out, report, &s, w)?;
    write_deploys(out, report, layout, &s)?;
    let causes: Vec<&Group> = report
        .groups
        .iter()
        .filter(|g| g.role == Role::Cause)
        .collect();
    let unexplained: Vec<&Group> = report
        .groups
        .iter()
        .filter(|g| g.role == Role::Symptom && g.unexplained.unwrap_or(g.count) > 0)
        .collect();
    // `--top N`: the first N of the causes, then of the unexplained symptoms.
    let listed = causes.len() + unexplained.len();
    let shown = layout.top.unwrap_or(usize::MAX).min(listed);
    let (groups, _) = causes.split_at(shown.min(causes.len()));
    let symptoms = unexplained.get(..shown - groups.len()).unwrap_or_default();
    let rest: Vec<&Group> = causes[groups.len()..]
        .iter()
        .chain(&unexplained[symptoms.len()..])
        .copied()
        .collect();
    let span = report_minutes(report);
    let lines = Lines {
        s: &s,
        w,
        span,
        utf8: layout.utf8,
    };
    if !groups.is_empty() {
        section(out, &s, w, "Causes, by what they broke")?;
    }
    for (i, group) in groups.iter().enumerate() {
        write_group(out, i + 1, group, deploys::mark(report, group), &lines)?;
        if layout.traceback {
            write_sample(out, group, &s, w)?;
        }
    }
    if !symptoms.is_empty() {
        section(out, &s, w, "Symptoms with no cause in these logs")?;
        for (i, group) in symptoms.iter().enumerate() {
            let mark = deploys::mark(report, group);
            write_group(out, groups.len() + i + 1, group, mark, &lines)?;
            let line = clip(&format!("hint: {}", hint(group)), w - PAD.len());
            writeln!(out, "{PAD}{}", s.yellow(&line))?;
            if layout.traceback {
                write_sample(out, group, &s, w)?;
            }
        }
    }
    if !rest.is_empty() {
        let events: u64 = rest.iter().map(|g| g.count).sum();
        let groups = if rest.len() == 1 { "group" } else { "groups" };
        let line = format!(
            "… {} more {groups} ({}) not shown with --top {shown}",
            rest.len(),
            plural(events, "event", "events"),
        );
        writeln!(out, "\n{}", s.dim(&clip(&line, w)))?;
    }
    if report.groups.is_empty() {
        writeln!(out, "\n{}", s.green("No failure events found."))?;
    }
    write_gone(out, report, &s, w)
}

/// The baseline's summary line, then the deploys block when a service has two or more
/// revisions.
fn write_deploys(out: &mut impl Write, r: &Report, layout: &Layout, s: &Style) -> io::Result<()> {
    let w = layout.width;
    if let Some(line) = layout
        .baseline
        .as_deref()
        .and_then(|f| deploys::baseline_line(r, f))
    {
        writeln!(out, "{}", s.spans(&line, w))?;
    }
    let lines = deploys::deploy_lines(r, w);
    if !lines.is_empty() {
        section(out, s, w, "Deploys")?;
    }
    for line in lines {
        writeln!(out, "{}", s.spans(&line, w))?;
    }
    Ok(())
}

/// The groups of the baseline that are absent now.
fn write_gone(out: &mut impl Write, report: &Report, s: &Style, w: usize) -> io::Result<()> {
    let lines = deploys::gone_lines(report);
    if !lines.is_empty() {
        section(out, s, w, "Gone since the baseline")?;
    }
    for line in lines {
        writeln!(out, "{}", s.spans(&line, w))?;
    }
    Ok(())
}

/// `── name ─────`, a section's rule across the width.
fn section(out: &mut impl Write, s: &Style, w: usize, name: &str) -> io::Result<()> {
    let name = clip(name, w - 8);
    let rule = "─".repeat(w.saturating_sub(name.chars().count() + 4));
    writeln!(out, "\n{} {}", s.bold(&format!("── {name}")), s.dim(&rule))
}

/// What every group's lines need: the style, the width, the report's span in minutes and
/// whether sparklines may use block characters.
struct Lines<'a> {
    s: &'a Style,
    w: usize,
    span: Option<(i64, i64)>,
    utf8: bool,
}

fn write_header(out: &mut impl Write, report: &Report, s: &Style, w: usize) -> io::Result<()> {
    let t = &report.totals;
    let counts = format!(
        "{}, {} in {}",
        plural(t.entries, "entry", "entries"),
        plural(t.events, "event", "events"),
        plural(report.groups.len() as u64, "group", "groups"),
    );
    writeln!(out, "{}  {}", s.bold("logtriage"), clip(&counts, w - 11))?;

    let ok = format!("  ok {}, ", t.ok);
    let bad = format!("malformed {}, oversize {}", t.malformed, t.oversize);
    let mut line = ok.clone();
    line.push_str(&if t.malformed + t.oversize > 0 {
        s.yellow(&bad)
    } else {
        s.dim(&bad)
    });
    if !t.malformed_lines.is_empty() {
        let lines: Vec<String> = t.malformed_lines.iter().map(u64::to_string).collect();
        let word = if lines.len() == 1 { "line" } else { "lines" };
        let note = format!("(first at {word} {})", lines.join(", "));
        let room = w.saturating_sub(ok.chars().count() + bad.chars().count() + 1);
        line.push(' ');
        line.push_str(&s.dim(&clip(&note, room)));
    }
    writeln!(out, "{line}")?;
    if let Some(span) = &t.span {
        writeln!(
            out,
            "  span {} .. {} UTC",
            short_time(&span.first),
            short_time(&span.last)
        )?;
    }
    if t.symptoms > 0 {
        let line = format!(
            "symptoms {} (failed requests, platform messages): {} explained, {} with no cause",
            t.symptoms,
            t.symptoms_explained,
            t.symptoms - t.symptoms_explained.min(t.symptoms),
        );
        writeln!(out, "  {}", clip(&line, w - 2))?;
    }
    if !t.services.is_empty() {
        let list = t
            .services
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(out, "  services {}", clip(&list, w - 11))?;
    }
    Ok(())
}

fn write_group(
    out: &mut impl Write,
    rank: usize,
    g: &Group,
    mark: Option<Span>,
    lines: &Lines<'_>,
) -> io::Result<()> {
    let (s, w) = (lines.s, lines.w);
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
    let rank = format!("{rank:>3}.");
    // A symptom partly explained counts only what no cause explains.
    let count = match g
        .unexplained
        .filter(|&u| g.role == Role::Symptom && u < g.count)
    {
        Some(u) => format!("{u:>5}×") + &format!(" of {}", g.count),
        None => format!("{:>5}×", g.count),
    };
    // `NEW`, `REGRESSED ×3.1`, `IMPROVED` beside the count.
    let (mark, marked) = mark.map_or((String::new(), 0), |(tone, m)| {
        (format!("{} ", s.tone(tone, &m)), m.chars().count() + 1)
    });
    let used = rank.chars().count() + count.chars().count() + 2 + marked;
    writeln!(
        out,
        "{rank} {} {mark}{}",
        s.red(&count),
        s.bold(&clip(&head, w.saturating_sub(used)))
    )?;
    let room = w - PAD.len();
    let category = clip(g.category.as_str(), room / 4);
    let mut used = category.chars().count() + 3;
    let mut facts = vec![s.dim(&category)];
    if let Some(subject) = g.subject.as_ref().filter(|_| !slow) {
        let subject = clip(subject, room / 2);
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
    writeln!(out, "{PAD}{}", facts.join("   "))?;
    let seen = match (&g.first_seen, &g.last_seen) {
        (Some(a), Some(b)) if a == b => format!("seen {}", short_time(a)),
        (Some(a), Some(b)) => {
            let (a, b) = (short_time(a), short_time(b));
            // The same day once: `seen 2026-11-26 14:08:41 .. 14:15:21`.
            match (a.split_once(' '), b.split_once(' ')) {
                (Some((day_a, _)), Some((day_b, time_b))) if day_a == day_b => {
                    format!("seen {a} .. {time_b}")
                }
                _ => format!("seen {a} .. {b}"),
            }
        }
        _ => String::from("seen (no timestamps)"),
    };
    let where_ = where_seen(g);
    let spark = match lines.span {
        Some(span) if g.timeline.span().is_some() => {
            format!("{}  ", sparkline(&g.timeline, span, lines.utf8))
        }
        _ => String::new(),
    };
    let left = room.saturating_sub(spark.chars().count());
    writeln!(
        out,
        "{PAD}{}{}",
        s.cyan(&spark),
        s.dim(&clip(&format!("{seen}   {where_}"), left))
    )?;
    if let Some(p) = percentiles(g) {
        writeln!(out, "{PAD}{}", clip(&p, room))?;
    }
    if let Some(line) = g
        .impact
        .as_ref()
        .and_then(|i| impact_line(i, lines.utf8, room - "impact  ".len()))
    {
        writeln!(out, "{PAD}{}  {}", s.bold("impact"), s.red(&line))?;
    }
    match (&g.known_issue, &g.suggested_title) {
        (Some(issue), _) if issue.is_closed() => {
            let text = format!("regression of closed #{} {}", issue.id, issue.title);
            writeln!(out, "{PAD}{}", s.red(&clip(&text, room)))?;
            if let Some(url) = &issue.url {
                writeln!(out, "{PAD}{}", s.dim(&printable(url)))?;
            }
        }
        (Some(issue), _) => {
            let text = format!("issue #{} {}", issue.id, issue.title);
            writeln!(out, "{PAD}{}", s.green(&clip(&text, room)))?;
            if let Some(url) = &issue.url {
                // Whole, even past the width: a terminal opens it only whole.
                writeln!(out, "{PAD}{}", s.dim(&printable(url)))?;
            }
        }
        (None, Some(title)) => {
            let text = format!("no known issue; suggested title: {title}");
            writeln!(out, "{PAD}{}", s.yellow(&clip(&text, room)))?;
            if let Some(url) = &g.logs_url {
                // Whole, as an issue's address: it opens the group's samples.
                writeln!(out, "{PAD}{}", s.dim(&printable(url)))?;
            }
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
            .filter(|r| r.service.as_ref() == Some(service))
            .map(|r| short_revision(service, &r.revision))
            .collect();
        if revs.is_empty() {
            parts.push(service.clone());
        } else {
            parts.push(format!("{service} ({})", revs.join(", ")));
        }
    }
    parts.join(", ")
}

/// `--show traceback`: the group's sample text under it, behind a gutter: `│` where a line
/// of the text starts, `┆` where a long one goes on.
fn write_sample(out: &mut impl Write, g: &Group, s: &Style, w: usize) -> io::Result<()> {
    let Some(text) = &g.sample_text else {
        return Ok(());
    };
    for row in sample_rows(text, w - PAD.len() - 2) {
        match row {
            Row::Start(t) => writeln!(out, "{PAD}{} {t}", s.dim("│"))?,
            Row::More(t) => writeln!(out, "{PAD}{} {t}", s.dim("┆"))?,
            Row::Cut(t) => writeln!(out, "{PAD}{} {}", s.dim("│"), s.dim(&t))?,
        }
    }
    Ok(())
}

/// One printed row of a sample text.
#[derive(Debug, PartialEq, Eq)]
enum Row {
    /// The start of one of its lines.
    Start(String),
    /// The rest of a line longer than the room.
    More(String),
    /// Where lines were left out.
    Cut(String),
}

/// The rows of `text` in `room` columns, at most [`SAMPLE_ROWS`]: each line wrapped into at
/// most [`ROWS_PER_LINE`] rows; when they are too many, the first line, a row counting the
/// lines left out, and the last lines that fit (a traceback's innermost frames and its
/// exception are at its end).
fn sample_rows(text: &str, room: usize) -> Vec<Row> {
    let lines: Vec<Vec<Row>> = text.lines().map(|l| wrap(l, room)).collect();
    if lines.iter().map(Vec::len).sum::<usize>() <= SAMPLE_ROWS {
        return lines.into_iter().flatten().collect();
    }
    let mut lines = lines.into_iter();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<Vec<Row>> = lines.collect();
    let mut budget = SAMPLE_ROWS - first.len() - 1;
    let mut from = rest.len();
    while let Some(line) = from.checked_sub(1).and_then(|i| rest.get(i)) {
        if line.len() > budget {
            break;
        }
        budget -= line.len();
        from -= 1;
    }
    let cut = format!("… {} not shown …", plural(from as u64, "line", "lines"));
    let mut rows = first;
    rows.push(Row::Cut(clip(&cut, room)));
    rows.extend(rest.into_iter().skip(from).flatten());
    rows
}

/// One line of a sample text in rows of `room` characters, at most [`ROWS_PER_LINE`]: cut
/// after a space in the second half of a row when there is one, the rows after the first
/// indented two more than the line, the last ending in `…` when the line goes on.
fn wrap(line: &str, room: usize) -> Vec<Row> {
    let line = printable(line.trim_end());
    let room = room.max(8);
    let indent = line.len() - line.trim_start_matches(' ').len();
    let more = " ".repeat((indent + 2).min(room / 2));
    let mut rows = Vec::new();
    let mut rest = line.as_str();
    loop {
        let first = rows.is_empty();
        let avail = if first { room } else { room - more.len() };
        let row = |text: &str| {
            if first {
                Row::Start(text.to_string())
            } else {
                Row::More(format!("{more}{text}"))
            }
        };
        let Some((hard, _)) = rest.char_indices().nth(avail) else {
            rows.push(row(rest));
            return rows;
        };
        if rows.len() + 1 == ROWS_PER_LINE {
            let cut: String = rest.chars().take(avail - 1).chain(['…']).collect();
            rows.push(row(&cut));
            return rows;
        }
        let head = &rest[..hard];
        let space = head
            .rfind(' ')
            .filter(|&i| i > hard / 2 && !head[..i].trim().is_empty());
        let (text, next) = match space {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (head, &rest[hard..]),
        };
        rows.push(row(text));
        rest = next;
    }
}

#[cfg(test)]
mod tests;
