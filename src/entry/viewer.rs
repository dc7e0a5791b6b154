//! The prefixes that log viewers and process managers write before every line of a
//! program's output, which plain-text input keeps: the line's own level word comes after
//! them.
//!
//! - `docker compose logs`: `backend-1  | ` (v1: `web_1       | `);
//! - honcho and foreman: `16:50:39 web.1  | ` (the name padded to the longest);
//! - `kubectl logs --prefix`: `[pod/netra-backend-7c9d8f6b5-x2k4p/netra-backend] `, and
//!   torchrun's `[rank0]: `;
//! - journald and syslog: `Nov 26 14:05:03 api-1 gunicorn[4312]: ` (`journalctl -o
//!   short-iso` writes an RFC 3339 time instead of the month and day).
//!
//! Each is recognised by its shape alone, with no allocation: this runs for candidate
//! entries whose own first words name no level.

/// `text` after the viewer's prefix it starts with, if it starts with one.
pub(crate) fn after_viewer_prefix(text: &str) -> Option<&str> {
    // Every prefix starts at the line's first byte with a name, a bracket or a time: an
    // indented line (most lines of a traceback) has none, and is passed at once.
    if text.starts_with([' ', '\t']) || text.is_empty() {
        return None;
    }
    after_bar(text)
        .or_else(|| after_bracket(text))
        .or_else(|| after_syslog(text))
}

/// A docker compose, honcho or foreman prefix: a process name (after a time, for honcho and
/// foreman), blanks and `| `.
fn after_bar(text: &str) -> Option<&str> {
    // The bar comes after a name of a few dozen bytes at most: a short look, not a search
    // of the whole line.
    let head = text.as_bytes().get(..text.len().min(96)).unwrap_or(&[]);
    let bar = memchr::memchr(b'|', head)?;
    let at = bar.checked_sub(1)?;
    if text.get(at..bar + 2) != Some(" | ") {
        return None;
    }
    let (head, rest) = (text.get(..at)?, text.get(at + " | ".len()..)?);
    let mut words = head.split_ascii_whitespace();
    let first = words.next()?;
    let name = match words.next() {
        Some(name) if is_clock(first) => name,
        Some(_) => return None,
        None => first,
    };
    (words.next().is_none() && is_name(name)).then_some(rest)
}

/// `[pod/name/container] ` from `kubectl logs --prefix`, or `[rank0]: ` from torchrun: a
/// bracketed word without blanks.
fn after_bracket(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('[')?;
    let end = inner.find(']')?;
    let word = inner.get(..end)?;
    let rest = inner.get(end + 1..)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let plain = word.contains('/') || word.starts_with("rank") || word.starts_with("default");
    (plain && !word.contains(char::is_whitespace) && rest.starts_with(' '))
        .then(|| rest.trim_start())
}

/// A syslog or journald prefix: `Nov 26 14:05:03` (or an RFC 3339 time), the host, and the
/// program's tag with its optional `[pid]`, ended by `:`.
fn after_syslog(text: &str) -> Option<&str> {
    const MONTHS: &[&str] = &[
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (first, rest) = word(text)?;
    let rest = if MONTHS.contains(&first) {
        let (day, rest) = word(rest)?;
        let (time, rest) = word(rest)?;
        if !(day.bytes().all(|b| b.is_ascii_digit()) && is_clock(time)) {
            return None;
        }
        rest
    } else if first.starts_with(|c: char| c.is_ascii_digit()) && first.contains('T') {
        rest
    } else {
        return None;
    };
    let (host, rest) = word(rest)?;
    let (tag, rest) = word(rest)?;
    let tag = tag.strip_suffix(':')?;
    let name = tag.split('[').next().unwrap_or(tag);
    (is_name(host) && !name.is_empty() && is_name(name)).then_some(rest)
}

/// The first blank-separated word of `text` and the text after it.
fn word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(' ');
    let end = text.find(' ').unwrap_or(text.len());
    let w = text.get(..end)?;
    (!w.is_empty()).then(|| (w, text.get(end..).unwrap_or("")))
}

/// `14:05:03`, or with a fraction (`14:05:03.101245`).
fn is_clock(word: &str) -> bool {
    let whole = word.split('.').next().unwrap_or(word);
    whole.len() == 8 && whole.bytes().all(|b| b.is_ascii_digit() || b == b':')
}

/// A service, process or host name: letters, digits, `-`, `_`, `.`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
