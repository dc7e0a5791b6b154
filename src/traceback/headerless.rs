//! Tracebacks that lost their header, and exceptions printed before their frames.
//!
//! A paste often starts at the first `File "...", line N, in f` line: the header was cut off
//! with the text above it, or the frames sit at column 0 because the paste box dropped the
//! indentation. Such lines also show up in prose and code samples, so a traceback without
//! its header is only taken in the shape real pastes have: two frames or more in a row
//! (their source lines between them) followed by an exception line. Sentry's text layout
//! prints the exception line first, then the frames, newest first, and no header: two
//! frames or more after an exception line are one too. AWS Lambda's runtime logs
//! `[ERROR] KeyError: 'x'` and then the traceback, header and frames, without an exception
//! line at its end: the exception is the line before the header.

use super::lines::{exception_line, frame_at, start_at, strip_shaped};
use super::machine::LineMachine;
use super::model::Exception;
use crate::text::without_log_prefix;

/// A traceback without its header found in a text's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Headerless {
    /// The index of its first frame line.
    pub(super) first: usize,
    /// The length of the prefix before that frame line.
    pub(super) at: usize,
}

/// The first traceback without its header in `lines`, in the shape the module docs give.
/// Lines with another prefix than the first frame's are passed over, as [`super::parse`]
/// passes them over.
pub(super) fn find(lines: &[&str]) -> Option<Headerless> {
    let mut i = 0;
    while i < lines.len() {
        let Some(at) = lines.get(i).and_then(|l| frame_at(l)) else {
            i += 1;
            continue;
        };
        let line = lines.get(i).copied().unwrap_or("");
        let prefix = line.get(..at).unwrap_or("");
        let before = i
            .checked_sub(1)
            .and_then(|b| lines.get(b))
            .and_then(|b| strip_shaped(prefix, b));
        let exception_first = before.is_some_and(|b| exception_line(b.trim_end()).is_some());
        let mut j = i + 1;
        if let Some(mut m) = LineMachine::headerless(line.get(at..).unwrap_or(""), exception_first)
        {
            while let Some(next) = lines.get(j) {
                if let Some(rest) = strip_shaped(prefix, next) {
                    if !m.feed(rest) {
                        break;
                    }
                }
                j += 1;
            }
            if m.complete() {
                return Some(Headerless { first: i, at });
            }
        }
        i = j.max(i + 1);
    }
    None
}

/// Whether `text` (a string that spans lines) holds the start of a traceback: a header, an
/// exception-group header, a SyntaxError location, or frames in the shape of a traceback
/// that lost its header.
pub(crate) fn has_start(text: &str) -> bool {
    if text.lines().any(|l| start_at(l).is_some()) {
        return true;
    }
    let lines: Vec<&str> = text.lines().collect();
    find(&lines).is_some()
}

/// Fills the exception of a traceback that ended without its exception line from the line
/// before its start (`before`, its prefix taken off): Sentry's exception line, or AWS
/// Lambda's `[ERROR] Type: message` record. Sentry lists the frames newest first
/// (`headerless`): they are turned around, outermost first as everywhere else.
pub(super) fn exception_before(chain: &mut [Exception], before: &str, headerless: bool) {
    let Some(last) = chain.last_mut().filter(|e| e.type_name.is_empty()) else {
        return;
    };
    let line = before.trim_end();
    let found = exception_line(line).or_else(|| exception_line(without_log_prefix(line)));
    let Some((type_name, message)) = found else {
        return;
    };
    last.type_name = type_name.to_string();
    last.message = message.to_string();
    if headerless {
        last.frames.reverse();
    }
}
