//! The text report: a header, then the groups by category, each in a few lines that fit the
//! width (URLs aside: they are printed whole, so that a terminal can open them).

use crate::{Group, Report};
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
    let shown = layout.top.unwrap_or(usize::MAX).min(report.groups.len());
    let (groups, rest) = report.groups.split_at(shown);
    let mut category = "";
    for (i, group) in groups.iter().enumerate() {
        if group.category != category {
            category = group.category.as_str();
            let name = clip(category, w - 8);
            let rule = "─".repeat(w.saturating_sub(name.chars().count() + 4));
            writeln!(out, "\n{} {}", s.bold(&format!("── {name}")), s.dim(&rule))?;
        }
        write_group(out, i + 1, group, &s, w)?;
        if layout.traceback {
            write_sample(out, group, &s, w)?;
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
    Ok(())
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
    s: &Style,
    w: usize,
) -> io::Result<()> {
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
    let count = format!("{:>5}×", g.count);
    let used = rank.chars().count() + count.chars().count() + 2;
    writeln!(
        out,
        "{rank} {} {}",
        s.red(&count),
        s.bold(&clip(&head, w.saturating_sub(used)))
    )?;
    let room = w - PAD.len();
    let mut facts = Vec::new();
    let mut used = 0;
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
    if !facts.is_empty() {
        writeln!(out, "{PAD}{}", facts.join("   "))?;
    }
    let seen = match (&g.first_seen, &g.last_seen) {
        (Some(a), Some(b)) if a == b => format!("seen {}", short_time(a)),
        (Some(a), Some(b)) => format!("seen {} .. {}", short_time(a), short_time(b)),
        _ => String::from("seen (no timestamps)"),
    };
    let where_ = where_seen(g);
    writeln!(
        out,
        "{PAD}{}",
        s.dim(&clip(&format!("{seen}   {where_}"), room))
    )?;
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
mod tests {
    use super::{choose_width, clip, plural, sample_rows, wrap, Row, SAMPLE_ROWS};

    #[test]
    fn width_is_the_terminal_then_columns_then_100_within_60_to_160() {
        assert_eq!(choose_width(Some(80), Some("140")), 80);
        assert_eq!(choose_width(None, Some("140")), 140);
        assert_eq!(choose_width(None, Some(" 90 ")), 90);
        assert_eq!(choose_width(None, Some("wide")), 100);
        assert_eq!(choose_width(None, None), 100);
        assert_eq!(choose_width(Some(0), None), 100);
        assert_eq!(choose_width(Some(20), None), 60);
        assert_eq!(choose_width(None, Some("400")), 160);
    }

    #[test]
    fn plural_says_one_right() {
        assert_eq!(plural(1u64, "entry", "entries"), "1 entry");
        assert_eq!(plural(0u64, "entry", "entries"), "0 entries");
        assert_eq!(plural(2u64, "group", "groups"), "2 groups");
    }

    #[test]
    fn clip_counts_characters_and_hides_control_characters() {
        assert_eq!(clip("ééééé", 5), "ééééé");
        assert_eq!(clip("éééééé", 5), "éééé…");
        assert_eq!(clip("a\x1b[31mb", 20), "a\u{fffd}[31mb");
        assert_eq!(clip("a\n  b", 20), "a b");
    }

    #[test]
    fn a_long_line_wraps_after_a_space_into_three_rows_at_most() {
        let rows = wrap(&"x".repeat(25), 10);
        assert_eq!(
            rows,
            vec![
                Row::Start("x".repeat(10)),
                Row::More(format!("  {}", "x".repeat(8))),
                Row::More(format!("  {}", "x".repeat(7))),
            ]
        );
        let rows = wrap(&"y".repeat(100), 10);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], Row::More(format!("  {}…", "y".repeat(7))));
        assert_eq!(wrap("", 10), vec![Row::Start(String::new())]);
        let frame = "  File \"/usr/lib/python3.11/contextlib.py\", line 210, in __aenter__";
        assert_eq!(
            wrap(frame, 60),
            vec![
                Row::Start("  File \"/usr/lib/python3.11/contextlib.py\", line 210, in".into()),
                Row::More("    __aenter__".into()),
            ]
        );
    }

    #[test]
    fn a_long_sample_keeps_its_first_line_and_its_end() {
        let mut text = String::from("Traceback (most recent call last):\n");
        for i in 0..60 {
            text.push_str(&format!("  frame {i}\n"));
        }
        text.push_str("NameError: name 'x' is not defined");
        let rows = sample_rows(&text, 40);
        assert_eq!(rows.len(), SAMPLE_ROWS);
        assert_eq!(
            rows[0],
            Row::Start("Traceback (most recent call last):".into())
        );
        assert_eq!(rows[1], Row::Cut("… 23 lines not shown …".into()));
        assert_eq!(rows[2], Row::Start("  frame 23".into()));
        assert_eq!(
            rows[SAMPLE_ROWS - 1],
            Row::Start("NameError: name 'x' is not defined".into())
        );
        let short = sample_rows("one\ntwo", 40);
        assert_eq!(short.len(), 2);
    }
}
