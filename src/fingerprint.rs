//! Stable fingerprints: the same bug on any instance, revision or day gets the same one.
//!
//! # The hash
//!
//! A fingerprint is the 64-bit FNV-1a hash (offset basis `0xcbf29ce484222325`, prime
//! `0x100000001b3`) of these fields, each followed by the byte `0xff` (which never occurs in
//! UTF-8, so fields cannot run into each other):
//!
//! 1. the version tag `logtriage-fp-2` (`-1` before ids inside messages were normalized);
//! 2. the category id;
//! 3. the deciding exception type as printed (empty when there is none);
//! 4. the message after [`normalize_message`] with the event's subject (for `slow_query`,
//!    the subject itself: the statement with its literals already replaced);
//! 5. for each in-app frame, outermost first: the file's last two path components (so a
//!    different checkout root does not matter), then the function. Line numbers are left
//!    out: they move with every unrelated edit.
//!
//! A failed request's fingerprint (an event of kind `request`) is the same hash of the
//! version tag, the category, the field `request`, then the method (empty when not logged),
//! the route, the status in decimal (empty when not logged) and the platform reason's row id
//! (empty when none): its latency and URL's ids are left out.
//!
//! FNV-1a is fixed by its definition, unlike `std`'s randomly keyed hasher, so fingerprints
//! are equal across runs, machines and releases; a test pins a known value. Changing any
//! ingredient changes every fingerprint: bump the version tag when doing so.

use crate::category::Category;
use crate::traceback::Frame;
use regex::{Captures, Regex};
use std::sync::OnceLock;

/// A stable 64-bit fingerprint, shown as 16 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl std::str::FromStr for Fingerprint {
    type Err = std::num::ParseIntError;

    /// Reads the 16 hex digits [`Fingerprint`]'s `Display` writes.
    fn from_str(hex: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(hex, 16).map(Fingerprint)
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let hex = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex.parse().map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// `-2`: ids inside messages (prefixed ids, mixed letters and digits, base64-like runs)
/// became `<id>`, so one failure with another payment intent in each message is one group.
const VERSION: &str = "logtriage-fp-2";

/// FNV-1a 64 over fields, each terminated by `0xff`.
struct Fnv(u64);

impl Fnv {
    fn field(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(std::iter::once(&0xff)) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }
}

/// The fingerprint of a classification's parts: category, deciding type, normalized message
/// and in-app frames (file + function).
pub(crate) fn compute(
    category: &Category,
    exception: Option<&str>,
    message: &str,
    subject: Option<&str>,
    frames: &[Frame],
) -> Fingerprint {
    let mut h = Fnv(FNV_OFFSET);
    h.field(VERSION.as_bytes());
    h.field(category.as_str().as_bytes());
    h.field(exception.unwrap_or("").as_bytes());
    let message = match subject {
        Some(statement) if *category == Category::SLOW_QUERY => statement.to_string(),
        _ => normalize_message(message, subject),
    };
    h.field(message.as_bytes());
    for frame in frames {
        h.field(file_key(&frame.file).as_bytes());
        h.field(frame.function.as_bytes());
    }
    Fingerprint(h.0)
}

/// The fingerprint of a failed request: category, method, route, status and platform reason.
pub(crate) fn of_request(
    category: &Category,
    method: Option<&str>,
    route: &str,
    status: Option<u16>,
    platform: Option<&str>,
) -> Fingerprint {
    let mut h = Fnv(FNV_OFFSET);
    h.field(VERSION.as_bytes());
    h.field(category.as_str().as_bytes());
    h.field(b"request");
    h.field(method.unwrap_or("").as_bytes());
    h.field(route.as_bytes());
    h.field(status.map(|s| s.to_string()).unwrap_or_default().as_bytes());
    h.field(platform.unwrap_or("").as_bytes());
    Fingerprint(h.0)
}

/// The last two components of a path, `/` separated: `app/smd.py` for
/// `/app/netra_backend/app/smd.py` and for `C:\src\netra_backend\app\smd.py`.
fn file_key(file: &str) -> String {
    let mut parts = file.rsplit(['/', '\\']).filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(name), Some(dir)) => format!("{dir}/{name}"),
        (Some(name), None) => name.to_string(),
        _ => String::new(),
    }
}

/// Replaces the volatile parts of a message (numbers, hex, UUIDs, IPs, quoted literals other
/// than `subject`, site-packages paths) so that repeats compare equal.
///
/// Runs of whitespace become one space; CPython's trailing `. Did you mean: 'x'?` hint is
/// dropped. A quoted literal (`'...'` or `"..."`, opening after a character other than a
/// letter, digit, `_` or `>`) is kept when it is exactly the subject and becomes `'<str>'`
/// otherwise. Outside quotes: the part of a path up to `site-packages/` (or `dist-packages/`)
/// becomes `<site-packages>/`, UUIDs `<uuid>`, `0x..` and long hex runs `<hex>`, ids `<id>`
/// (below), IPv4 and IPv6 addresses (with a port) `<ip>`, numbers `<n>`.
///
/// An id is, as Error Reporting groups them: a prefixed id (2 to 8 small letters, `_`, then
/// 6 or more letters and digits with a digit among them: `pi_3PqZ8a2e...`, `cus_QbX81Lmz...`,
/// `ord_4Kf9Qa21Zp`); a base64-like run (16 or more of `A-Za-z0-9+` with capitals, small
/// letters and digits, and its `=` padding); or a word of 8 or more letters and digits with a
/// digit between two letters (`Lm3kQ9zXa81bCd`, `6745a1f2`). A word and a number
/// (`backups2024`, `pro2025`) is not an id: it stays, and tells groups apart.
///
/// ```
/// use logtriage::normalize_message;
/// assert_eq!(
///     normalize_message("cannot import name 'Factory' from 'app.engine' (/app/app/engine.py)", Some("Factory")),
///     "cannot import name 'Factory' from '<str>' (/app/app/engine.py)",
/// );
/// assert_eq!(
///     normalize_message("name 'Factory' is not defined. Did you mean: 'factory'?", Some("Factory")),
///     "name 'Factory' is not defined",
/// );
/// assert_eq!(
///     normalize_message("Error 111 connecting to 10.0.0.5:6379. Connection refused.", None),
///     "Error <n> connecting to <ip>. Connection refused.",
/// );
/// assert_eq!(
///     normalize_message("card declined (payment_intent pi_3PqZ8a2eZvKYlo2C1a2b3c4d)", None),
///     "card declined (payment_intent <id>)",
/// );
/// ```
pub fn normalize_message(message: &str, subject: Option<&str>) -> String {
    // Whitespace first: a literal is then found the same way in the result.
    let collapsed = collapse_whitespace(message);
    let message = strip_suggestion(&collapsed);
    let mut out = String::with_capacity(message.len());
    let mut plain_start = 0;
    let mut prev: Option<char> = None;
    let mut iter = message.char_indices();
    while let Some((i, c)) = iter.next() {
        // `>` counts as a word end: placeholders end with it, and a quote after `0x1f` or
        // `<hex>` must be read the same way for the result to normalize to itself.
        let opens = (c == '\'' || c == '"')
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '>');
        prev = Some(c);
        if !opens {
            continue;
        }
        let rest = message.get(i + 1..).unwrap_or("");
        let Some(len) = rest
            .find([c, '\n'])
            .filter(|&n| rest.get(n..).is_some_and(|r| r.starts_with(c)))
        else {
            continue;
        };
        let inner = rest.get(..len).unwrap_or("");
        out.push_str(&normalize_plain(message.get(plain_start..i).unwrap_or("")));
        out.push(c);
        if Some(inner) == subject {
            out.push_str(inner);
        } else {
            out.push_str("<str>");
        }
        out.push(c);
        plain_start = i + 1 + len + 1;
        // Skip the literal and its closing quote.
        while iter.next().is_some_and(|(j, _)| j < plain_start - 1) {}
        prev = Some(c);
    }
    out.push_str(&normalize_plain(message.get(plain_start..).unwrap_or("")));
    out
}

/// The message without the hint CPython 3.10+ appends when it prints the traceback itself
/// (`. Did you mean: 'x'?`, 3.12's `. Did you forget to import 'x'?`): the same bug logged
/// through `logging` or by another Python version has no hint.
fn strip_suggestion(message: &str) -> &str {
    static HINT: OnceLock<Regex> = OnceLock::new();
    let hint = HINT.get_or_init(|| {
        Regex::new(r"\.? Did you (?:mean|forget to import):? '[^']*'\?$").expect("a constant regex")
    });
    match hint.find(message) {
        Some(m) => message.get(..m.start()).unwrap_or(message),
        None => message,
    }
}

/// The replacements of [`normalize_message`] outside quoted literals.
fn normalize_plain(text: &str) -> String {
    struct Rules {
        site: Regex,
        uuid: Regex,
        hex: Regex,
        id: Regex,
        ipv6: Regex,
        ipv4: Regex,
        number: Regex,
    }
    static RULES: OnceLock<Rules> = OnceLock::new();
    let r = RULES.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("a constant regex");
        // Addresses are written in ASCII digits: `[0-9]`, where Unicode's `\d` made the IPv4
        // regex take 855 instead of 117 µs to compile, once per run.
        Rules {
            site: re(r"[^\s'\x22(\[]*[/\\](?:site|dist)-packages[/\\]"),
            uuid: re(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
            hex: re(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{16,}\b"),
            // Candidates only: `is_id` decides (the regex crate has no look-around).
            id: re(r"\b[a-z]{2,8}_[0-9A-Za-z]{6,}\b|[0-9A-Za-z+]{16,}={0,2}|\b[0-9A-Za-z]{8,}\b"),
            ipv6: re(r"\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::[0-9]+)?|(?:\b[0-9a-fA-F]{1,4})?(?::[0-9a-fA-F]{0,4}){2,7}"),
            ipv4: re(r"\b[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?::[0-9]{1,5})?\b"),
            number: re(r"\b\d+(?:\.\d+)*\b"),
        }
    });
    if !text
        .bytes()
        .any(|b| b.is_ascii_digit() || b == b'/' || b == b'\\')
    {
        return text.to_string();
    }
    let s = r.site.replace_all(text, "<site-packages>/");
    let s = r.uuid.replace_all(&s, "<uuid>");
    let s = r.hex.replace_all(&s, "<hex>");
    let s = r.id.replace_all(&s, |c: &Captures<'_>| {
        let m = c.get(0).map_or("", |m| m.as_str());
        if is_id(m) {
            "<id>".to_string()
        } else {
            m.to_string()
        }
    });
    // `std::io` has colons too; an address has digits.
    let s = r.ipv6.replace_all(&s, |c: &Captures<'_>| {
        let m = c.get(0).map_or("", |m| m.as_str());
        if m.bytes().any(|b| b.is_ascii_digit()) {
            "<ip>".to_string()
        } else {
            m.to_string()
        }
    });
    let s = r.ipv4.replace_all(&s, "<ip>");
    r.number.replace_all(&s, "<n>").into_owned()
}

/// Whether a candidate of the `id` regex is an id (see [`normalize_message`]).
fn is_id(word: &str) -> bool {
    let has = |s: &str, f: fn(&u8) -> bool| s.as_bytes().iter().any(f);
    if let Some((_, rest)) = word.split_once('_') {
        // The regex took `[a-z]{2,8}_` and 6 or more letters and digits.
        return has(rest, u8::is_ascii_digit);
    }
    let body = word.trim_end_matches('=');
    if body.len() >= 16
        && has(body, u8::is_ascii_uppercase)
        && has(body, u8::is_ascii_lowercase)
        && has(body, u8::is_ascii_digit)
    {
        return true;
    }
    word.len() >= 8 && word.bytes().all(|b| b.is_ascii_alphanumeric()) && digit_inside(word)
}

/// Whether some run of digits in `word` has a letter on both sides: `a7F3`, `6745a1f2`, not
/// `backups2024` or `2024backups`.
fn digit_inside(word: &str) -> bool {
    let b = word.as_bytes();
    let letter = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphabetic);
    let mut i = 0;
    while i < b.len() {
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if start > 0 && letter(start - 1) && letter(i) {
            return true;
        }
    }
    false
}

fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether a frame's file is the application's own code (not site-packages, not the
/// standard library, not `<frozen ...>`).
///
/// The standard library is recognised by its install paths: `.../lib/python3.X/` (also
/// `lib64`, `/usr/lib/python3/`) without `site-packages` after it, and Windows'
/// `...\Python3X\Lib\`. Cython sources (`uvloop/loop.pyx`, `asyncpg/protocol/protocol.pyx`)
/// are printed with a relative path and no site-packages: they are libraries too, as are the
/// console scripts in a `bin/` directory (`/usr/local/bin/gunicorn`).
///
/// ```
/// use logtriage::is_in_app;
/// assert!(is_in_app("/app/netra_backend/app/smd.py"));
/// assert!(!is_in_app("/usr/local/lib/python3.11/site-packages/redis/connection.py"));
/// assert!(!is_in_app("/usr/local/lib/python3.11/asyncio/base_events.py"));
/// assert!(!is_in_app("<frozen importlib._bootstrap>"));
/// ```
pub fn is_in_app(file: &str) -> bool {
    static STDLIB: OnceLock<Regex> = OnceLock::new();
    // ASCII digits, as in `normalize_plain`'s addresses: a Python version has no others.
    let stdlib = STDLIB.get_or_init(|| {
        Regex::new(
            r"(?i)(?:^|[/\\])lib(?:64)?[/\\]python[0-9]*(?:\.[0-9]+)?[/\\]|[/\\]python[0-9]*[/\\]lib[/\\]",
        )
        .expect("a constant regex")
    });
    let file = file.trim();
    !(file.is_empty()
        || file.starts_with('<')
        || file.contains("site-packages")
        || file.contains("dist-packages")
        || file.ends_with(".pyx")
        || is_console_script(file)
        || stdlib.is_match(file))
}

/// `/usr/local/bin/gunicorn`, `/opt/venv/bin/uvicorn`: the entry-point scripts pip writes,
/// outermost in every traceback of a server, and not the app's code.
fn is_console_script(file: &str) -> bool {
    let mut parts = file.rsplit(['/', '\\']);
    let name = parts.next().unwrap_or("");
    parts.next() == Some("bin") && !name.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values() {
        // Published FNV-1a 64 test vectors, without the field terminator.
        let raw = |s: &str| {
            s.bytes().fold(FNV_OFFSET, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
            })
        };
        assert_eq!(raw(""), 0xcbf29ce484222325);
        assert_eq!(raw("a"), 0xaf63dc4c8601ec8c);
        assert_eq!(raw("foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn file_key_keeps_two_components() {
        assert_eq!(file_key("/app/netra_backend/app/smd.py"), "app/smd.py");
        assert_eq!(file_key(r"C:\src\netra_backend\app\smd.py"), "app/smd.py");
        assert_eq!(file_key("smd.py"), "smd.py");
        assert_eq!(file_key(""), "");
    }

    #[test]
    fn normalize_table() {
        let rows: &[(&str, Option<&str>, &str)] = &[
            ("", None, ""),
            ("plain words", None, "plain words"),
            (
                "No module named 'netra_backend.app.x'",
                Some("netra_backend.app.x"),
                "No module named 'netra_backend.app.x'",
            ),
            (
                "No module named 'other'",
                Some("x"),
                "No module named '<str>'",
            ),
            (
                "can't find 'a' in \"b\"",
                None,
                "can't find '<str>' in \"<str>\"",
            ),
            (
                "request 3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b failed after 30.5 s",
                None,
                "request <uuid> failed after <n> s",
            ),
            (
                "<HTTPConnection object at 0x7f8a1c2b3d90>",
                None,
                "<HTTPConnection object at <hex>>",
            ),
            (
                "trace 4bf92f3577b34da6a3ce929d0e0e4736",
                None,
                "trace <hex>",
            ),
            (
                "connect to [::1]:5432 and fe80::1ff:fe23:4567:890a",
                None,
                "connect to <ip> and <ip>",
            ),
            ("std::io::Error", None, "std::io::Error"),
            (
                "in /usr/local/lib/python3.11/site-packages/torch/lib/libtorch.so",
                None,
                "in <site-packages>/torch/lib/libtorch.so",
            ),
            ("worker  pid_12\n\tretry 3", None, "worker pid_12 retry <n>"),
            (
                "Request req_Lm3kQ9zXa81bCd: declined (payment_intent pi_3PqZ8a2eZvKYlo2C1a2b3c4d)",
                None,
                "Request <id>: declined (payment_intent <id>)",
            ),
            (
                "refund for ch_3PqZ8a2eZvKYlo2C0x9y8w7v customer cus_QbX81LmzP0aT2c order ord_4Kf9Qa21Zp",
                None,
                "refund for <id> customer <id> order <id>",
            ),
            ("user usr_7807cd35 job run_2024", None, "user <id> job run_2024"),
            (
                "token aGVsbG8td29ybGQtMTIzNDU2Nzg5MA== key 6745a1f2 sig Lm3kQ9zXa81bCd",
                None,
                "token <id> key <id> sig <id>",
            ),
            (
                "bucket backups2024 plan pro2025 x86 utf8mb4 Python311 max_retries",
                None,
                "bucket backups2024 plan pro2025 x86 utf8mb4 Python311 max_retries",
            ),
            ("id 12345678 and abc12345", None, "id <n> and abc12345"),
            ("unterminated 'quote", None, "unterminated 'quote"),
            ("'é' ünïcode '", None, "'<str>' ünïcode '"),
        ];
        for (input, subject, want) in rows {
            assert_eq!(normalize_message(input, *subject), *want, "{input:?}");
        }
    }

    #[test]
    fn in_app_table() {
        let rows = [
            ("/app/netra_backend/app/smd.py", true),
            ("/workspace/src/main.py", true),
            ("main.py", true),
            (
                "/usr/local/lib/python3.11/site-packages/redis/connection.py",
                false,
            ),
            ("/usr/lib/python3/dist-packages/yaml/__init__.py", false),
            ("/usr/lib/python3.12/asyncio/tasks.py", false),
            ("/usr/local/lib/python3.9/socket.py", false),
            (
                "/opt/venv/lib/python3.11/site-packages/fastapi/routing.py",
                false,
            ),
            ("/usr/lib64/python3.8/threading.py", false),
            (r"C:\Python311\Lib\asyncio\base_events.py", false),
            ("<frozen importlib._bootstrap>", false),
            ("uvloop/loop.pyx", false),
            ("/usr/local/bin/gunicorn", false),
            ("/opt/venv/bin/uvicorn", false),
            ("/app/bin/manage.py", true),
            ("asyncpg/protocol/protocol.pyx", false),
            ("<string>", false),
            ("", false),
            ("/app/library/python_helpers.py", true),
        ];
        for (file, want) in rows {
            assert_eq!(is_in_app(file), want, "{file}");
        }
    }
}
