//! The text report's parts about deploys and the baseline: the "Deploys" block (each service's
//! revisions in order, then its new, gone, not-yet-seen and persisting groups: the causes and
//! the symptoms no cause explains by title, the explained symptoms counted), a group's
//! mark beside its count (`NEW`, `REGRESSED ×3.1`, `IMPROVED`), the baseline's summary line
//! and the groups gone since the baseline.
//!
//! The lines are made here as toned spans, without colour or terminal concerns; the text
//! report paints and fits them. The verdicts are the library's (`Report::deploys`,
//! `Group::deploy`, `Group::baseline`, `Report::gone`): nothing is decided here.

use crate::{BaselineVerdict, DeployVerdict, Group, Measure, Report, RevisionSpan, Role};

/// How a span of a line is painted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tone {
    Plain,
    Bold,
    Dim,
    Red,
    Yellow,
    Green,
}

/// A piece of a line and its tone.
pub(super) type Span = (Tone, String);

/// The width of the verdict column under a service.
const LABEL: usize = 14;

/// A revision without its service's name in front (`00041-abc`), as Cloud Run names them.
pub(super) fn short_revision<'a>(service: &str, revision: &'a str) -> &'a str {
    revision
        .strip_prefix(service)
        .and_then(|r| r.strip_prefix('-'))
        .filter(|r| !r.is_empty())
        .unwrap_or(revision)
}

/// The lines of the deploys block, one service after another; none when no service has two
/// or more revisions.
pub(super) fn deploy_lines(report: &Report, width: usize) -> Vec<Vec<Span>> {
    let day = report.totals.span.as_ref().map(|s| date(&s.first));
    let mut lines = Vec::new();
    for d in &report.deploys {
        let chain: Vec<String> = d
            .revisions
            .iter()
            .map(|r| revision_text(&d.service, r, day))
            .collect();
        lines.push(vec![
            (Tone::Plain, "  ".into()),
            (Tone::Bold, d.service.clone()),
            (Tone::Plain, format!("  {}", chain.join(" → "))),
        ]);
        let latest = d.latest();
        let latest_name = latest.map_or("", |l| short_revision(&d.service, &l.revision));
        let minutes = latest
            .and_then(RevisionSpan::seconds)
            .map(|s| (s / 60.0).round() as u64);
        let rows = [
            (DeployVerdict::New, Tone::Red, "new", String::new()),
            (
                DeployVerdict::Gone,
                Tone::Green,
                "gone",
                match minutes {
                    Some(m) => format!("  after {m} min of {latest_name}"),
                    None => format!("  after {} events of {latest_name}", events(latest)),
                },
            ),
            (
                DeployVerdict::NotSeenYet,
                Tone::Yellow,
                "not seen yet",
                format!(
                    "  {latest_name} has run {} min, {} events: too little to call them gone",
                    minutes.unwrap_or(0),
                    events(latest)
                ),
            ),
            (
                DeployVerdict::Persisting,
                Tone::Yellow,
                "persisting",
                String::new(),
            ),
        ];
        for (verdict, tone, label, note) in rows {
            let (named, folded): (Vec<&Group>, Vec<&Group>) = report
                .groups
                .iter()
                .filter(|g| d.verdict(&g.revisions) == Some(verdict))
                .partition(|g| listed(g));
            // As in the report, a symptom a cause explains is only counted, unless the row
            // has nothing else to name.
            let (named, folded) = match named.is_empty() {
                true => (folded, 0),
                false => (named, folded.len()),
            };
            if named.is_empty() {
                continue;
            }
            // The note goes beside the list when both fit, else under it.
            let room = width.saturating_sub(4 + LABEL);
            let all = listing(&named, folded, usize::MAX);
            let beside = all.chars().count() + note.chars().count() <= room;
            let list = match beside {
                true => all,
                false => listing(&named, folded, room),
            };
            let mut line = vec![
                (Tone::Plain, "    ".into()),
                (tone, format!("{label:<LABEL$}")),
                (Tone::Plain, list),
            ];
            if beside {
                line.push((Tone::Dim, note));
                lines.push(line);
            } else {
                lines.push(line);
                let pad = " ".repeat(4 + LABEL);
                lines.push(vec![(Tone::Dim, format!("{pad}{}", note.trim_start()))]);
            }
        }
    }
    lines
}

fn events(span: Option<&RevisionSpan>) -> u64 {
    span.map_or(0, |s| s.events)
}

/// `00041-abc (14:01–14:20, 48 events)`; the date in front of a time of another day than
/// the report's first.
fn revision_text(service: &str, r: &RevisionSpan, day: Option<&str>) -> String {
    let time = |ts: &Option<String>| {
        ts.as_deref().map_or_else(
            || "?".to_string(),
            |t| match day {
                Some(d) if date(t) != d => format!("{} {}", date(t), clock(t)),
                _ => clock(t).to_string(),
            },
        )
    };
    let events = if r.events == 1 { "event" } else { "events" };
    format!(
        "{} ({}–{}, {} {events})",
        short_revision(service, &r.revision),
        time(&r.first_seen),
        time(&r.last_seen),
        r.events
    )
}

/// `2026-11-26` of an RFC 3339 timestamp.
fn date(ts: &str) -> &str {
    ts.get(..10).unwrap_or(ts)
}

/// `14:01` of an RFC 3339 timestamp.
fn clock(ts: &str) -> &str {
    ts.get(11..16).unwrap_or(ts)
}

/// Whether the text report lists the group: a cause, or a symptom with events no cause
/// explains.
fn listed(g: &Group) -> bool {
    g.role == Role::Cause || g.unexplained.unwrap_or(g.count) > 0
}

/// Groups by short title, as many as fit in `room` characters, then `+N more` (counting the
/// `folded` groups not named).
fn listing(groups: &[&Group], folded: usize, room: usize) -> String {
    let mut out = String::new();
    for (i, g) in groups.iter().enumerate() {
        let item = short_title(g);
        let sep = if i == 0 { "" } else { ", " };
        let rest = groups.len() - i - 1 + folded;
        let more = if rest > 0 {
            format!(", +{rest} more")
        } else {
            String::new()
        };
        let fits =
            out.chars().count() + sep.len() + item.chars().count() + more.chars().count() <= room;
        if !fits && i > 0 {
            out.push_str(&format!(", +{} more", groups.len() - i + folded));
            return out;
        }
        out.push_str(sep);
        out.push_str(&item);
    }
    if folded > 0 {
        out.push_str(&format!(", +{folded} more"));
    }
    out
}

/// A group in a few words: its exception type, else its first words; with its known issue
/// (`NameError (#903)`).
fn short_title(g: &Group) -> String {
    let words = match (&g.exception, &g.subject) {
        (Some(ty), _) => ty.clone(),
        (None, Some(s)) if g.category == "slow_query" => cut(s, 32),
        (None, _) if g.message.trim().is_empty() => "(no message)".into(),
        (None, _) => cut(&g.message, 40),
    };
    match &g.known_issue {
        Some(issue) => format!("{words} (#{})", issue.id),
        None => words,
    }
}

/// `text` on one line, cut to `max` characters with an ellipsis.
fn cut(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut s: String = flat.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The mark beside a group's count: its baseline verdict when a baseline was given, else
/// `NEW` when it is new in its service's latest revision.
pub(super) fn mark(report: &Report, g: &Group) -> Option<Span> {
    if report.gone.is_some() {
        let b = g.baseline.as_ref()?;
        return match b.verdict {
            BaselineVerdict::New => Some((Tone::Red, "NEW".into())),
            BaselineVerdict::Regressed => {
                let by = match b.by {
                    Some(Measure::P95) => " p95",
                    _ => "",
                };
                let factor = b.factor.map_or(String::new(), |f| format!(" ×{f:.1}"));
                Some((Tone::Red, format!("REGRESSED{factor}{by}")))
            }
            BaselineVerdict::Improved => Some((Tone::Green, "IMPROVED".into())),
            _ => None,
        };
    }
    (g.deploy == Some(DeployVerdict::New)).then(|| (Tone::Red, "NEW".into()))
}

/// `baseline: 2 new, 1 regressed, 1 improved, 3 same; 1 gone (yesterday.json)`, when a
/// baseline was given (the counts first: a long path is what the width cuts).
pub(super) fn baseline_line(report: &Report, file: &str) -> Option<Vec<Span>> {
    let gone = report.gone.as_ref()?;
    let count = |v: BaselineVerdict| {
        report
            .groups
            .iter()
            .filter(|g| g.baseline.as_ref().is_some_and(|b| b.verdict == v))
            .count()
    };
    let text = format!(
        "{} new, {} regressed, {} improved, {} same; {} gone",
        count(BaselineVerdict::New),
        count(BaselineVerdict::Regressed),
        count(BaselineVerdict::Improved),
        count(BaselineVerdict::Same),
        gone.len()
    );
    Some(vec![
        (Tone::Plain, format!("  baseline: {text} ")),
        (Tone::Dim, format!("({file})")),
    ])
}

/// The groups of the baseline absent now, one line each: count then, title, known issue.
pub(super) fn gone_lines(report: &Report) -> Vec<Vec<Span>> {
    let Some(gone) = &report.gone else {
        return Vec::new();
    };
    gone.iter()
        .map(|g| {
            let issue = g
                .known_issue
                .as_ref()
                .map_or(String::new(), |i| format!("  #{}", i.id));
            vec![
                (Tone::Dim, format!("{:>10}× ", g.count)),
                (Tone::Plain, cut(&g.title, 200)),
                (Tone::Green, issue),
            ]
        })
        .collect()
}
