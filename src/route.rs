//! Routes: a request URL's path with its id-like segments replaced by `{id}`, so that the
//! failed requests of one endpoint group together (`/api/threads/th_5d1c0e/messages` and
//! `/api/threads/th_9a7f31/messages` are both `/api/threads/{id}/messages`).

/// The route of a request URL: the path (without scheme, host, query or fragment; `/` when
/// empty) with each id-like segment replaced by `{id}`.
///
/// A segment is id-like when it is
/// - digits, possibly with separators (`42`, `2026-11-26`, `1.2.3`);
/// - hex of at least 8 characters with a digit, dashes allowed (`5d1c0e8a`, UUIDs);
/// - a token that mixes letters and digits: at least two changes between letters and
///   digits and at least 5 characters (`th_5d1c0e`, `usr_1a2b`), or at least 12 characters
///   (`user12345678`).
///
/// Short words with a digit stay: `v1`, `oauth2`, `sha256`, `i18n`, `x86_64`.
///
/// ```
/// use logtriage::route_of;
/// assert_eq!(route_of("https://netra.a.run.app/api/threads/th_5d1c0e?limit=50"), "/api/threads/{id}");
/// assert_eq!(route_of("/api/v1/users/42/avatar"), "/api/v1/users/{id}/avatar");
/// assert_eq!(route_of("https://netra.a.run.app"), "/");
/// ```
pub fn route_of(url: &str) -> String {
    let path = match url.find("://") {
        Some(at) => {
            let after = url.get(at + 3..).unwrap_or("");
            after.find('/').and_then(|p| after.get(p..)).unwrap_or("")
        }
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() {
        return "/".to_string();
    }
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(if is_id_like(segment) { "{id}" } else { segment });
    }
    out
}

/// Whether a path segment is an id (see [`route_of`]).
fn is_id_like(segment: &str) -> bool {
    let separator = |c: char| matches!(c, '-' | '_' | '.' | ':' | '~');
    let digits = segment.chars().filter(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let letters = segment.chars().filter(char::is_ascii_alphabetic).count();
    let others = segment.chars().count() - digits - letters;
    let only_separators = segment
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || separator(c));
    if letters == 0 && only_separators {
        return true;
    }
    let len = segment.chars().count();
    if len >= 8 && segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return true;
    }
    if letters == 0 || !only_separators || others * 2 > len {
        return false;
    }
    // Changes between a run of letters and a run of digits, separators left out.
    let mut changes = 0;
    let mut last: Option<bool> = None;
    for c in segment.chars().filter(char::is_ascii_alphanumeric) {
        let digit = c.is_ascii_digit();
        if last.is_some_and(|l| l != digit) {
            changes += 1;
        }
        last = Some(digit);
    }
    (changes >= 2 && len >= 5) || len >= 12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        let rows: &[(&str, bool)] = &[
            ("42", true),
            ("2026-11-26", true),
            ("1.2.3", true),
            ("5d1c0e8a", true),
            ("550e8400-e29b-41d4-a716-446655440000", true),
            ("th_5d1c0e", true),
            ("usr_1a2b", true),
            ("user12345678", true),
            ("deadbeef", false),
            ("v1", false),
            ("oauth2", false),
            ("sha256", false),
            ("i18n", false),
            ("x86_64", false),
            ("threads", false),
            ("", false),
            ("{id}", false),
            ("a%201b2c", false),
        ];
        for (segment, want) in rows {
            assert_eq!(is_id_like(segment), *want, "{segment}");
        }
    }
}
