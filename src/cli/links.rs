//! The text report's lines about causes and symptoms: a cause's impact, a group's
//! percentiles, its sparkline, and the hint beside a symptom no cause explains. Plain
//! strings: the text report clips and paints them.

use crate::{Group, Impact, PlatformKind, Report, Sketch, Timeline};

/// The most cells a sparkline has.
pub(super) const SPARK_CELLS: usize = 40;
/// Sparkline levels, lowest first, and the cell of a minute without events.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const BLOCK_NONE: char = '·';
/// The same in ASCII, for a terminal that is not UTF-8.
const ASCII: [char; 8] = ['_', '-', '~', '=', '+', '*', '#', '@'];
const ASCII_NONE: char = '.';
/// The most routes an impact line names.
const ROUTES_SHOWN: usize = 3;

/// Whether the locale says the terminal takes UTF-8: the first of `LC_ALL`, `LC_CTYPE` and
/// `LANG` that is set and not empty names a UTF-8 codeset.
pub(super) fn utf8_locale(var: impl Fn(&str) -> Option<String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// `11 failed requests (500 ×7, 503 ×4) on GET /health, POST /api/chat; 4 exits` in at most
/// `room` characters (routes give way first, to `N more`); `None` when the cause explains
/// nothing.
pub(super) fn impact_line(impact: &Impact, utf8: bool, room: usize) -> Option<String> {
    (0..=ROUTES_SHOWN.min(impact.routes.len()))
        .rev()
        .map(|routes| impact_text(impact, utf8, routes))
        .find(|line| line.as_ref().is_none_or(|l| l.chars().count() <= room))
        .unwrap_or_else(|| impact_text(impact, utf8, 0))
}

fn impact_text(impact: &Impact, utf8: bool, routes_shown: usize) -> Option<String> {
    let times = if utf8 { "×" } else { "x" };
    let mut parts = Vec::new();
    if impact.requests > 0 {
        let mut part = plural(impact.requests, "failed request", "failed requests");
        let mut statuses: Vec<(&String, &u64)> = impact.statuses.iter().collect();
        statuses.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        if !statuses.is_empty() {
            let list: Vec<String> = statuses
                .iter()
                .map(|(s, n)| format!("{s} {times}{n}"))
                .collect();
            part.push_str(&format!(" ({})", list.join(", ")));
        }
        if !impact.routes.is_empty() {
            let mut routes: Vec<String> = impact
                .routes
                .iter()
                .take(routes_shown)
                .map(|r| format!("{} {}", r.method, r.route).trim().to_string())
                .collect();
            let more = impact.routes.len() - routes.len();
            if more > 0 {
                routes.push(plural(more as u64, "route", "routes"));
                if routes.len() > 1 {
                    let last = routes.len() - 1;
                    routes[last] = format!("{more} more");
                }
            }
            part.push_str(&format!(" on {}", routes.join(", ")));
        }
        parts.push(part);
    }
    if impact.exits > 0 {
        parts.push(plural(impact.exits, "exit", "exits"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `duration p50 5.1 s, p95 31.0 s, max 58.2 s` for slow queries, `latency ...` for
/// failed requests.
pub(super) fn percentiles(g: &Group) -> Option<String> {
    let (name, sketch) = match (&g.duration_ms, &g.latency_ms) {
        (Some(d), _) => ("duration", d),
        (None, Some(l)) => ("latency", l),
        (None, None) => return None,
    };
    let q = |p: f64| sketch.quantile(p).map(millis);
    Some(format!(
        "{name} p50 {}, p95 {}, max {}",
        q(0.5)?,
        q(0.95)?,
        millis(Sketch::max(sketch)?)
    ))
}

/// `850 ms`, `5.1 s`, `2.3 min`.
fn millis(ms: f64) -> String {
    match ms {
        ms if ms < 1000.0 => format!("{ms:.0} ms"),
        ms if ms < 120_000.0 => format!("{:.1} s", ms / 1000.0),
        ms => format!("{:.1} min", ms / 60_000.0),
    }
}

/// The first and last minute with an event in any group: the span sparklines cover.
pub(super) fn report_minutes(report: &Report) -> Option<(i64, i64)> {
    let spans = report.groups.iter().filter_map(|g| g.timeline.span());
    spans.reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// The group's events over the report's span, in at most [`SPARK_CELLS`] cells, each as
/// high as its count against the group's busiest cell.
pub(super) fn sparkline(timeline: &Timeline, span: (i64, i64), utf8: bool) -> String {
    let cells = timeline.cells(span, SPARK_CELLS);
    let top = cells.iter().copied().max().unwrap_or(0).max(1);
    let (levels, none) = if utf8 {
        (&BLOCKS, BLOCK_NONE)
    } else {
        (&ASCII, ASCII_NONE)
    };
    cells
        .iter()
        .map(|&n| match n {
            0 => none,
            n => {
                let level = ((n * 8).div_ceil(top) as usize).clamp(1, 8) - 1;
                levels[level]
            }
        })
        .collect()
}

/// One line that says where to look for a symptom no cause in the logs explains.
pub(super) fn hint(g: &Group) -> &'static str {
    let status = g.request.as_ref().and_then(|r| r.status);
    let platform = g.platform.as_ref();
    match (status, platform.map(|p| (p.id.as_str(), p.kind))) {
        (_, Some(("port_not_listening", _))) => {
            "the container never listened on $PORT: look at its startup logs and its PORT setting"
        }
        (Some(503), _) | (_, Some(("no_available_instance" | "instance_failed_to_start", _))) => {
            "a 503 with no app log at all usually means the instance never started: look at its startup"
        }
        (Some(504), _) | (_, Some(("request_timeout", _))) => {
            "the request ran out of time: look for slow queries or calls it waited on"
        }
        (Some(_), _) => {
            "the app failed it without logging an error: log exceptions with the request's trace"
        }
        (None, Some((_, PlatformKind::Exit))) => {
            "the instance died with no error logged before it: look at its startup and its memory"
        }
        _ => "no cause in these logs: widen the time window, or add the app's own logs",
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_decides_utf8() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(utf8_locale(env(&[("LANG", "en_US.UTF-8")])));
        assert!(utf8_locale(env(&[("LC_ALL", "C.utf8"), ("LANG", "C")])));
        assert!(!utf8_locale(env(&[
            ("LC_ALL", "C"),
            ("LANG", "en_US.UTF-8")
        ])));
        assert!(utf8_locale(env(&[("LC_ALL", ""), ("LANG", "en_US.UTF-8")])));
        assert!(!utf8_locale(env(&[])));
    }

    #[test]
    fn sparklines_scale_to_the_busiest_cell() {
        let mut t = Timeline::default();
        for ts in [
            "2026-11-26T14:00:10Z",
            "2026-11-26T14:02:00Z",
            "2026-11-26T14:02:30Z",
            "2026-11-26T14:03:00Z",
            "2026-11-26T14:03:01Z",
            "2026-11-26T14:03:02Z",
            "2026-11-26T14:03:03Z",
        ] {
            t.add_timestamp(ts);
        }
        let span = t.span().unwrap();
        assert_eq!(sparkline(&t, span, true), "▂·▄█");
        assert_eq!(sparkline(&t, span, false), "-.=@");
        let long = (span.0, span.0 + 999);
        assert_eq!(sparkline(&t, long, true).chars().count(), SPARK_CELLS);
    }

    #[test]
    fn impact_lines_give_way_by_routes() {
        let mut i = Impact::default();
        assert_eq!(impact_line(&i, true, 80), None);
        i.requests = 11;
        i.exits = 4;
        i.statuses.insert("500".into(), 7);
        i.statuses.insert("503".into(), 4);
        i.add_route("GET", "/health", 7);
        i.add_route("POST", "/api/chat", 4);
        assert_eq!(
            impact_line(&i, true, 100).unwrap(),
            "11 failed requests (500 ×7, 503 ×4) on GET /health, POST /api/chat; 4 exits"
        );
        assert_eq!(
            impact_line(&i, false, 70).unwrap(),
            "11 failed requests (500 x7, 503 x4) on GET /health, 1 more; 4 exits"
        );
        assert_eq!(
            impact_line(&i, true, 10).unwrap(),
            "11 failed requests (500 ×7, 503 ×4) on 2 routes; 4 exits"
        );
    }

    #[test]
    fn durations_read_as_a_person_would() {
        assert_eq!(millis(850.4), "850 ms");
        assert_eq!(millis(5123.0), "5.1 s");
        assert_eq!(millis(300_000.0), "5.0 min");
    }
}
