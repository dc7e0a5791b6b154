//! Python tracebacks: recognising one line by line, and parsing one into a structured value.
//!
//! CPython prints a traceback as a header, frames (each with an optional source line and,
//! from 3.11, caret lines), then the exception line, possibly with a message that spans
//! lines, and notes. Chained exceptions repeat that shape after a separator sentence, and an
//! exception group nests its sub-exceptions in `| ` margins. Both the parser ([`parse`]) and
//! the line machine that event assembly uses for tracebacks split one line per entry follow
//! the same builder states, so they agree on where a traceback ends.
//!
//! Pasted and viewed tracebacks stray from that shape, and each stray is taken back only as
//! far as real pastes go (issue 21): a traceback that lost its header only in the shape
//! `headerless` describes (two frames or more, then an exception line, or Sentry's exception
//! line first), since frame-like lines also show up in prose; an indentation prefix may
//! shrink (a list item's exception line at column 0), while any other prefix must repeat (it
//! tells one service's lines from another's); frames at column 0 make unindented lines their
//! source; Python 2's `<type 'exceptions.X'>` is the exception `X`. Tracebacks held inside one
//! line (flattened, or escaped in a JSON document) are unfolded back into lines by `inline`
//! first, so everything after reads lines as CPython printed them.

mod builder;
mod headerless;
mod inline;
mod lines;
mod machine;
mod model;

use builder::Builder;
pub(crate) use headerless::has_start;
pub(crate) use lines::{is_exception_line, is_group_line, start_at, strip_shaped, CAUSE, CONTEXT};
pub(crate) use machine::{split_start, LineMachine};
pub use model::{Exception, Frame, Link, Traceback};

/// Parses the text of one traceback (header lines before it are skipped).
/// Returns `None` when the text holds no traceback.
///
/// When the header line carries a prefix (`web-1  | `, a timestamp), the same prefix (digits
/// may differ) is taken off the lines that follow; lines with another prefix are passed over.
/// The traceback ends where its shape ends: trailing log lines are not part of it.
///
/// Without a header, a traceback is taken only in the shape real pastes have: two frames or
/// more, then an exception line; or an exception line, then two frames or more. When
/// the traceback ends without its exception line and the line before it is one (Sentry's
/// layout; AWS Lambda's `[ERROR] Type: message` before the header), that is its exception.
pub fn parse(text: &str) -> Option<Traceback> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let header = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| start_at(l).map(|p| (i, p)));
    let (first, at, headerless) = match header {
        Some((first, at)) => (first, at, false),
        None => {
            let found = headerless::find(&lines)?;
            (found.first, found.at, true)
        }
    };
    let prefix = lines.get(first).and_then(|l| l.get(..at)).unwrap_or("");
    let mut body: Vec<&str> = Vec::with_capacity(lines.len() - first);
    for (i, line) in lines.iter().enumerate().skip(first) {
        if i == first {
            body.push(line.get(at..).unwrap_or(""));
        } else if let Some(rest) = strip_shaped(prefix, line) {
            body.push(rest);
        }
    }
    let mut chain = parse_top(&body);
    let before = first
        .checked_sub(1)
        .and_then(|b| lines.get(b))
        .map(|b| strip_shaped(prefix, b).unwrap_or(b));
    if let Some(before) = before {
        headerless::exception_before(&mut chain, before, headerless);
    }
    Some(Traceback { chain })
}

/// The lines of a traceback held inside one line of text (flattened onto it, or escaped in
/// a JSON document written into it), with the words before it as their first line; `None`
/// when the line holds none.
pub(crate) fn unfold(line: &str) -> Option<String> {
    inline::unfold(line)
}

/// The chain of a top-level traceback: plain tracebacks, and exception groups whose lines
/// all sit in a `  |` / `  +` margin.
fn parse_top(lines: &[&str]) -> Vec<Exception> {
    let mut b = Builder::new(true);
    let mut i = 0;
    while i < lines.len() {
        if b.expects_start() && is_group_line(lines[i]) {
            // The region ends where its margin ends, or where the next group starts.
            let end = lines[i + 1..]
                .iter()
                .position(|l| !is_group_line(l) || start_at(l) == Some(0))
                .map_or(lines.len(), |n| i + 1 + n);
            let region: Vec<&str> = lines[i..end]
                .iter()
                .map(|l| l.get(2..).unwrap_or(""))
                .collect();
            b.extend(parse_group(&region));
            i = end;
            continue;
        }
        if !b.feed(lines[i]) {
            break;
        }
        i += 1;
    }
    b.finish()
}

/// One group level with its margin taken off: own lines start with `|` (or `+` for the
/// top header), `+-+----- 1 -----` opens the first child, `  +----- N -----` the next ones,
/// `  +------------------` closes them, and `  ` lines belong to the open child.
fn parse_group(region: &[&str]) -> Vec<Exception> {
    let mut b = Builder::new(true);
    let mut children: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut open: Option<Vec<&str>> = None;
    let mut owner = 0;
    let mut finished: Vec<(usize, Vec<&str>)> = Vec::new();
    for &line in region {
        if line.starts_with("+-+") {
            owner = b.chain.len().saturating_sub(1);
            open = Some(Vec::new());
        } else if let Some(rest) = line.strip_prefix("  +").filter(|r| r.starts_with("--")) {
            if let Some(done) = open.take() {
                finished.push((owner, done));
            }
            if !rest.trim_end().trim_matches('-').is_empty() {
                open = Some(Vec::new());
            }
        } else if let (Some(rest), Some(child)) = (line.strip_prefix("  "), open.as_mut()) {
            child.push(rest);
        } else {
            let content = line
                .strip_prefix("| ")
                .or_else(|| line.strip_prefix("+ "))
                .unwrap_or_else(|| line.trim_start_matches(['|', '+']));
            if let Some(done) = open.take() {
                finished.push((owner, done));
            }
            b.feed(content);
        }
    }
    if let Some(done) = open.take() {
        finished.push((owner, done));
    }
    children.append(&mut finished);
    let mut chain = b.finish();
    for (owner, lines) in children {
        let Some(exc) = chain.get_mut(owner) else {
            continue;
        };
        if let [only] = lines.as_slice() {
            if let Some(n) = more_exceptions(only) {
                exc.more_children += n;
                continue;
            }
        }
        exc.children.push(Traceback {
            chain: parse_group(&lines),
        });
    }
    chain
}

/// `| and 3 more exceptions` of a group cut at `max_group_width`.
fn more_exceptions(line: &str) -> Option<u32> {
    let rest = line.trim_start_matches(['|', ' ']).strip_prefix("and ")?;
    let (n, tail) = rest.split_once(' ')?;
    if tail.starts_with("more exception") {
        n.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
