//! What one line of a traceback is: a header (and where it starts behind a prefix), a
//! frame, an exception line, a line of an exception group's margin.

use super::model::Frame;

pub(super) const HEADER: &str = "Traceback (most recent call last):";
pub(super) const GROUP_HEADER: &str = "Exception Group Traceback (most recent call last):";
pub(crate) const CAUSE: &str =
    "The above exception was the direct cause of the following exception:";
pub(crate) const CONTEXT: &str =
    "During handling of the above exception, another exception occurred:";

/// Where a traceback starts in `line`: the length of the prefix before it, when the line is
/// a `Traceback` header, an exception-group header, or a SyntaxError location printed
/// without a header.
pub(crate) fn start_at(line: &str) -> Option<usize> {
    match start_or_frame_at(line)? {
        (at, true) => Some(at),
        (_, false) => None,
    }
}

/// Where a traceback that lost its header may start in `line`: the length of the prefix
/// before a frame line (`  File "x.py", line 3, in f`, indented by two as CPython prints it,
/// or flush left as a paste that lost its indentation leaves it). The prefix is empty or ends
/// with a blank, as every viewer's does; the function is one word, so a frame quoted in a
/// sentence or a whole traceback flattened onto the line is not one.
pub(crate) fn frame_at(line: &str) -> Option<usize> {
    match start_or_frame_at(line)? {
        (at, false) => Some(at),
        (_, true) => None,
    }
}

/// [`start_at`] as `(prefix, true)`, else [`frame_at`] as `(prefix, false)`: with one search
/// for `File "`, since event assembly asks both of most lines it parses.
pub(crate) fn start_or_frame_at(line: &str) -> Option<(usize, bool)> {
    let line = line.trim_end();
    if let Some(head) = line.strip_suffix(HEADER) {
        if let Some(before) = head.strip_suffix("Exception Group ") {
            // `  + Exception Group Traceback ...` at the top, `| ` inside another group.
            let before = before
                .strip_suffix("+ ")
                .or_else(|| before.strip_suffix("| "))?;
            let before = before.strip_suffix("  ").unwrap_or(before);
            return Some((before.len(), true));
        }
        return Some((head.len(), true));
    }
    let idx = finder!("File \"").find(line.as_bytes())?;
    let head = line.get(..idx)?;
    let (_, _, function) = file_line_parts(line.get(idx..)?)?;
    if function.is_empty() {
        // A SyntaxError location, indented by two as printed.
        return head.ends_with("  ").then(|| (idx - 2, true));
    }
    if !(head.is_empty() || head.ends_with(' ')) || function.contains(char::is_whitespace) {
        return None;
    }
    Some((if head.ends_with("  ") { idx - 2 } else { idx }, false))
}

/// Takes a prefix shaped like `prefix` off `line`: the same bytes, except that a run of
/// digits may be any run of digits (timestamps, `web-1`, pids).
///
/// A prefix of blanks only is an indentation (a traceback pasted inside a list item or a
/// quote), and pastes keep it badly: the exception line often sits less indented than the
/// header, or at column 0. So of such a prefix, `line` loses the blanks it has, and no line
/// fails to carry it.
pub(crate) fn strip_shaped<'l>(prefix: &str, line: &'l str) -> Option<&'l str> {
    let p = prefix.as_bytes();
    let l = line.as_bytes();
    if !p.is_empty() && p.iter().all(|b| matches!(b, b' ' | b'\t')) {
        let blanks = l
            .iter()
            .take(p.len())
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        return line.get(blanks..);
    }
    let (mut i, mut j) = (0, 0);
    while i < p.len() {
        let c = p[i];
        if c.is_ascii_digit() {
            while i < p.len() && p[i].is_ascii_digit() {
                i += 1;
            }
            let from = j;
            while j < l.len() && l[j].is_ascii_digit() {
                j += 1;
            }
            if j == from {
                return None;
            }
        } else {
            if l.get(j) != Some(&c) {
                return None;
            }
            i += 1;
            j += 1;
        }
    }
    line.get(j..)
}

/// Whether a line sits in an exception group's margin: an even indent of at least two,
/// then `|` or `+`.
pub(crate) fn is_group_line(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    let indent = line.len() - t.len();
    indent >= 2 && indent.is_multiple_of(2) && (t.starts_with('|') || t.starts_with('+'))
}

/// `  File "/app/smd.py", line 1687, in _initialize_factory_patterns` (trimmed) as a frame;
/// without `, in` it is a SyntaxError location and `function` stays empty.
pub(super) fn parse_file_line(t: &str) -> Option<Frame> {
    let (file, line, function) = file_line_parts(t)?;
    Some(Frame {
        file: file.to_string(),
        line: Some(line),
        function: function.to_string(),
        source: None,
    })
}

/// [`parse_file_line`]'s file, line and function (empty for a SyntaxError location),
/// borrowed: [`start_at`] asks of every line whether it is one, and keeps nothing.
pub(super) fn file_line_parts(t: &str) -> Option<(&str, u32, &str)> {
    let rest = t.strip_prefix("File \"")?;
    let at = finder!("\", line ").find(rest.as_bytes())?;
    let file = rest.get(..at)?;
    let rest = rest.get(at + "\", line ".len()..)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line: u32 = rest.get(..digits)?.parse().ok()?;
    let tail = rest.get(digits..)?;
    let function = if tail.is_empty() {
        ""
    } else {
        tail.strip_prefix(", in ")?
    };
    Some((file, line, function))
}

/// `redis.exceptions.ConnectionError: Error 111 ...` as (type, message); a bare dotted name
/// (`KeyboardInterrupt`) has an empty message.
pub(super) fn exception_line(line: &str) -> Option<(&str, &str)> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    if let Some(repr) = line
        .starts_with('<')
        .then(|| repr_exception_line(line))
        .flatten()
    {
        return Some(repr);
    }
    let (ty, msg) = match line.find(':') {
        Some(i) => {
            let msg = line.get(i + 1..)?;
            if !(msg.is_empty() || msg.starts_with(' ')) {
                return None;
            }
            (line.get(..i)?, msg.strip_prefix(' ').unwrap_or(msg))
        }
        None => (line.trim_end(), ""),
    };
    let ok = ty.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'<' | b'>'));
    // Level words (`INFO:`, `ERROR:`) look like names; exception classes are CamelCase.
    let last = ty.rsplit('.').next().unwrap_or(ty);
    let shouting = !last.bytes().any(|b| b.is_ascii_lowercase());
    (ok && !shouting).then_some((ty, msg))
}

/// Whether `line` reads as an exception line (`KeyError: 'x'`, `<type
/// 'exceptions.IOError'>: ...`, a bare class name).
pub(crate) fn is_exception_line(line: &str) -> bool {
    exception_line(line.trim_end()).is_some()
}

/// Python 2's exception line for a class printed by its repr, `<type
/// 'exceptions.ImportError'>: No module named x` (old-style tools print `<class 'x.Y'>: ...`
/// too): the type is the name inside the quotes, without the `exceptions.` module that
/// Python 2's built-in exceptions live in, so that it reads as Python 3 prints it.
fn repr_exception_line(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .strip_prefix("<type '")
        .or_else(|| line.strip_prefix("<class '"))?;
    let end = rest.find("'>")?;
    let ty = rest.get(..end)?;
    let ty = ty.strip_prefix("exceptions.").unwrap_or(ty);
    let msg = match rest.get(end + 2..)? {
        "" => "",
        tail => {
            let msg = tail.strip_prefix(':')?;
            msg.strip_prefix(' ').unwrap_or(msg)
        }
    };
    let ok = ty.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'));
    ok.then_some((ty, msg))
}
