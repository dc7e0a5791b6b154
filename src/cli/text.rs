//! The text report: laid out for a 100-column terminal.

use crate::{Group, Report};
use std::io::{self, Write};

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

/// Writes the whole text report.
pub(super) fn write_text(out: &mut impl Write, report: &Report, color: bool) -> io::Result<()> {
    let s = Style { color };
    write_header(out, report, &s)?;
    let mut category = "";
    for (i, group) in report.groups.iter().enumerate() {
        if group.category != category {
            category = &group.category;
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
