//! Tracebacks held inside one line of text, turned back into the lines CPython printed.
//!
//! Two layouts keep a whole traceback on one line:
//! - flattened: its newlines turned into blanks, as Logs Explorer's summary line and some
//!   log shippers show it (`Traceback (most recent call last): File "a.py", line 3, in f
//!   x = g() KeyError: 'k'`). The frames are cut at each `File "`, the exception at the
//!   first word after the last frame's function that reads `SomeName: ` (a class name, so
//!   `if x:` in the source is not taken), or at an exception-looking name alone at the end.
//! - in a JSON document written into a text line: an error document as serverless runtimes
//!   return it (AWS Lambda's `{"errorMessage": ..., "errorType": ..., "stackTrace": [...]}`,
//!   logged by a caller as `invoke failed Result:{...}`), or a JSON log record printed to a
//!   text stream whose `exc_info` (or any other string field) holds the traceback. The
//!   traceback is then a string inside the line, escaped: `File \"a.py\"`.
//!
//! Both are looked for only in a one-line message that carries their marker
//! (`Traceback (most recent call last): File "`, `File \"` or `"stackTrace"`, which older
//! Lambda runtimes fill with `[file, line, function, source]` arrays): a literal search
//! each.

use super::headerless::has_start;
use super::lines::{file_line_parts, CAUSE, CONTEXT, HEADER};

/// The lines of a traceback held inside `line`, with the words before it (the log record's
/// header) as their first line; `None` when it holds none.
pub(super) fn unfold(line: &str) -> Option<String> {
    // This runs for every one-line message parsed: a look for `{` (a JSON document) and one
    // search for `File "` (a flattened traceback has its header before its first frame)
    // decide, and most lines have neither.
    let bytes = line.as_bytes();
    // A split traceback's own lines, the bulk of what is parsed, are indented: a frame, a
    // source line. Neither layout starts so.
    if line.starts_with([' ', '\t']) {
        return None;
    }
    if memchr::memchr(b'{', bytes).is_some() {
        if let Some(text) = in_json(line) {
            return Some(text);
        }
    }
    let file = finder!("File \"").find(bytes)?;
    flattened(line.get(..file).unwrap_or(""), line)
}

/// A flattened traceback, unfolded; `before` is the line up to its first `File `.
fn flattened(before: &str, line: &str) -> Option<String> {
    let at = finder!("Traceback (most recent call last): ").find(before.as_bytes())?;
    let after = line.get(at + HEADER.len()..)?.trim_start();
    if !after.starts_with("File \"") {
        return None;
    }
    let mut out = String::with_capacity(line.len() + 64);
    let head = line.get(..at)?.trim();
    if !head.is_empty() {
        out.push_str(head);
        out.push('\n');
    }
    // Chained tracebacks: one part per header, each ended by its separator sentence.
    let mut parts = line.get(at..)?.split(HEADER).skip(1).peekable();
    while let Some(part) = parts.next() {
        let (part, link) = match [CAUSE, CONTEXT]
            .iter()
            .find_map(|s| part.trim_end().strip_suffix(s).map(|p| (p, Some(*s))))
        {
            Some(found) => found,
            None => (part, None),
        };
        out.push_str(HEADER);
        out.push('\n');
        unfold_part(part, &mut out);
        if let Some(sentence) = link.filter(|_| parts.peek().is_some()) {
            out.push('\n');
            out.push_str(sentence);
            out.push_str("\n\n");
        }
    }
    Some(out)
}

/// Frames and exception of one flattened traceback part (after its header), as lines.
fn unfold_part(part: &str, out: &mut String) {
    let starts: Vec<usize> = finder!("File \"")
        .find_iter(part.as_bytes())
        .filter(|&i| {
            part.get(..i)
                .is_some_and(|h| h.is_empty() || h.ends_with(' '))
        })
        .collect();
    if starts.is_empty() {
        push_exception(part.trim(), out);
        return;
    }
    for (n, &from) in starts.iter().enumerate() {
        let to = starts.get(n + 1).copied().unwrap_or(part.len());
        let Some(seg) = part.get(from..to) else {
            continue;
        };
        let last = n + 1 == starts.len();
        unfold_frame(seg.trim_end(), last, out);
    }
}

/// One frame (`File "a.py", line 3, in f source...`) and, for the last one, the
/// exception after its source.
fn unfold_frame(seg: &str, last: bool, out: &mut String) {
    // The frame line runs to its function, one word.
    let Some(in_at) = seg.find(", in ") else {
        out.push_str("  ");
        out.push_str(seg);
        out.push('\n');
        return;
    };
    let fn_start = in_at + ", in ".len();
    let fn_end = seg
        .get(fn_start..)
        .and_then(|r| r.find(' '))
        .map_or(seg.len(), |i| fn_start + i);
    let frame = seg.get(..fn_end).unwrap_or(seg);
    if file_line_parts(frame).is_none() {
        return;
    }
    out.push_str("  ");
    out.push_str(frame);
    out.push('\n');
    let rest = seg.get(fn_end..).unwrap_or("").trim();
    let (source, exception) = if last {
        match exception_start(rest) {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
            None => (rest, ""),
        }
    } else {
        (rest, "")
    };
    let source = source.trim();
    if !source.is_empty() {
        out.push_str("    ");
        out.push_str(source);
        out.push('\n');
    }
    push_exception(exception.trim(), out);
}

fn push_exception(exception: &str, out: &mut String) {
    if !exception.is_empty() {
        out.push_str(exception);
        out.push('\n');
    }
}

/// Where the exception starts in a flattened frame's tail (source, then exception): the
/// first word that reads `Name:`, or the last word alone, whose name is a class name (its
/// last dotted part starts upper-case and is not all capitals), so that `if x:` in the
/// source is not taken. Names that end like exception classes (`...Error`,
/// `...Exception`) are preferred to others, which the source may hold. Each word is looked
/// at alone: the scan stays linear however long the line.
fn exception_start(tail: &str) -> Option<usize> {
    const ENDINGS: &[&str] = &[
        "Error",
        "Exception",
        "Warning",
        "Interrupt",
        "Exit",
        "Iteration",
        "Timeout",
    ];
    let mut any = None;
    let mut at = 0;
    for word in tail.split(' ') {
        let here = at;
        at += word.len() + 1;
        let last = at > tail.len();
        let Some(ty) = word.strip_suffix(':').or(last.then_some(word)) else {
            continue;
        };
        if !is_class_name(ty) {
            continue;
        }
        let name = ty.rsplit('.').next().unwrap_or(ty);
        if ENDINGS.iter().any(|e| name.ends_with(e)) {
            return Some(here);
        }
        any.get_or_insert(here);
    }
    any
}

/// `KeyError`, `redis.exceptions.ConnectionError`: dotted words whose last part starts
/// upper-case and is not all capitals (a level word).
fn is_class_name(ty: &str) -> bool {
    let name = ty.rsplit('.').next().unwrap_or(ty);
    !ty.is_empty()
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.bytes().any(|b| b.is_ascii_lowercase())
}

/// A traceback in a JSON document inside `line`.
fn in_json(line: &str) -> Option<String> {
    let bytes = line.as_bytes();
    if finder!("File \\\"").find(bytes).is_none() && finder!("\"stackTrace\"").find(bytes).is_none()
    {
        return None;
    }
    // A few objects at most: a line is not searched for every brace it has.
    for (at, _) in line.match_indices("{\"").take(4) {
        let Some(doc) = line.get(at..).and_then(json_object) else {
            continue;
        };
        let Some(traceback) = lambda_error(&doc).or_else(|| string_field(&doc)) else {
            continue;
        };
        let mut out = String::new();
        let head = line.get(..at).unwrap_or("").trim();
        let message = ["message", "msg"]
            .iter()
            .find_map(|k| doc.get(*k).and_then(|v| v.as_str()))
            .filter(|m| !m.contains('\n'));
        for part in [Some(head), message].into_iter().flatten() {
            if !part.trim().is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(part.trim());
            }
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(traceback.trim_end());
        return Some(out);
    }
    None
}

/// The JSON object at the start of `text` (text after it is left alone).
fn json_object(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_json::Value::deserialize(&mut de) {
        Ok(serde_json::Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// AWS Lambda's error document as a traceback: `stackTrace` holds the frames (strings of
/// `  File "...", line N, in f\n    source\n`, or, from older runtimes, `[file, line,
/// function, source]` arrays) and `errorType` / `errorMessage` the exception.
fn lambda_error(doc: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    let frames = doc.get("stackTrace")?.as_array()?;
    let ty = doc.get("errorType")?.as_str()?;
    let message = doc
        .get("errorMessage")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let mut out = String::from(HEADER);
    out.push('\n');
    for frame in frames {
        match frame {
            serde_json::Value::String(text) => {
                out.push_str(text.trim_end_matches('\n'));
                out.push('\n');
            }
            serde_json::Value::Array(parts) => {
                let text = |i: usize| match parts.get(i) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "  File \"{}\", line {}, in {}\n",
                    text(0),
                    text(1),
                    text(2)
                ));
                let source = text(3);
                if !source.trim().is_empty() {
                    out.push_str("    ");
                    out.push_str(source.trim());
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    out.push_str(ty);
    if !message.is_empty() {
        out.push_str(": ");
        out.push_str(message);
    }
    Some(out)
}

/// The first top-level string field that holds a traceback over several lines
/// (`exc_info`, `stack_trace`, ...).
fn string_field(doc: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    doc.values()
        .filter_map(|v| v.as_str())
        .find(|s| s.trim_end().contains('\n') && has_start(s))
        .map(str::to_string)
}

#[cfg(test)]
#[path = "inline_tests.rs"]
mod tests;
