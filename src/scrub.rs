//! Scrubbing: what Sentry's server-side data scrubbing would keep out of a tracker, kept out
//! of the text logtriage writes for others to read (issue drafts, and reports under
//! `--redact`).
//!
//! Each secret becomes a marked placeholder: [`FILTERED`] (`[Filtered]`, Sentry's own) for
//! credentials and tokens, [`EMAIL`] (`[email]`) for an e-mail address:
//!
//! - the password of a URL or DSN: `postgresql://netra_app:[Filtered]@10.0.0.5:5432/netra`
//!   (scheme, user, host and port are kept);
//! - `Bearer` and `Basic` credentials, and whatever follows `Authorization:`;
//! - the value after a key whose name contains `password`, `passwd`, `pwd`, `secret`,
//!   `token`, `api_key`/`apikey`/`api-key`, `auth`, `credential`, `private_key`, `session`,
//!   `cookie` or `signature`, or a key named `key`, `sig` or `dsn` (`key=...` and
//!   `token=...` in a query string, `"password": "..."`, `password = '...'`), unless the
//!   value is a placeholder (`?`, `$1`, `%s`, `:name`) or a short number, or the key names
//!   an exception (`AuthenticationError: ...`);
//! - e-mail addresses;
//! - JSON Web Tokens (`eyJ...`), well-known API-key shapes (Google `AIza...`, GitHub `ghp_`,
//!   Slack `xox.-`, Stripe `sk_live_`, AWS `AKIA...`) and PEM private keys;
//! - long random tokens: a run of 32 or more letters, digits and `+_=-` that mixes upper
//!   case, lower case and digits.
//!
//! Left alone: `host:port` (`10.0.0.5:6379`), module paths
//! (`netra_backend.app.redis_manager`), file paths, SQL with `?` or `$1` placeholders,
//! lower-case hex ids (`insertId`s, commit hashes, UUIDs) and CamelCase names. Scrubbing
//! is idempotent: scrubbed text scrubs to itself.

use crate::event::EventRecord;
use crate::group::Group;
use crate::report::Report;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::OnceLock;

/// The placeholder of a credential or token.
pub const FILTERED: &str = "[Filtered]";
/// The placeholder of an e-mail address.
pub const EMAIL: &str = "[email]";
/// A run of token characters (letters, digits, `+_=-`) this long or longer that mixes cases
/// and digits is a secret.
pub const LONG_TOKEN: usize = 32;

struct Rules {
    pem: Regex,
    url_password: Regex,
    scheme_credential: Regex,
    jwt: Regex,
    authorization: Regex,
    key_value: Regex,
    email: Regex,
    known_key: Regex,
    long: Regex,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("a constant regex");
        let names = r"[A-Za-z0-9_.-]*(?i:password|passwd|pwd|secret|token|api[_-]?key|apikey|auth|credential|private[_-]?key|session|cookie|signature)[A-Za-z0-9_.-]*|(?i:key|sig|dsn)";
        Rules {
            pem: re(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z)"),
            url_password: re(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@'\x22]*:)([^\s/@'\x22]+)@"),
            scheme_credential: re(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})"),
            jwt: re(r"\beyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]+){0,2}"),
            authorization: re(r#"(?i)\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)([^\s"',;]+(?:\s+[A-Za-z0-9._~+/=-]+)?)"#),
            key_value: re(&format!(
                r#"(?:^|\b|[^A-Za-z0-9_.-])(["']?(?:{names})["']?)(\s*(?:=|:\s|":\s*|':\s*)\s*)("[^"]*"|'[^']*'|[^\s&,;"')\]}}]+(?:\])?)"#
            )),
            email: re(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
            known_key: re(r"\b(?:AIza[0-9A-Za-z_-]{35}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[baprs]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16})\b"),
            long: re(r"[A-Za-z0-9+_=-]{32,}"),
        }
    })
}

/// `text` with its secrets replaced by marked placeholders (see the module docs); borrowed
/// when there is none.
///
/// ```
/// use logtriage::scrub;
/// assert_eq!(
///     scrub("connect postgresql://netra_app:s3cr3t@10.0.0.5:5432/netra as ops@netra.example"),
///     "connect postgresql://netra_app:[Filtered]@10.0.0.5:5432/netra as [email]",
/// );
/// assert_eq!(scrub("Error 111 connecting to 10.0.0.5:6379."), "Error 111 connecting to 10.0.0.5:6379.");
/// ```
pub fn scrub(text: &str) -> Cow<'_, str> {
    let r = rules();
    let mut out = Cow::Borrowed(text);
    replace(&mut out, &r.pem, |_| FILTERED.to_string());
    replace(&mut out, &r.url_password, |c| {
        format!("{}{FILTERED}@", &c[1])
    });
    replace(&mut out, &r.authorization, |c| {
        format!("{}{FILTERED}", &c[1])
    });
    replace(&mut out, &r.scheme_credential, |c| {
        // `Basic authentication failed` is prose; a credential has a digit or a symbol.
        let credential = &c[3];
        let looks = credential.len() >= 20
            || credential
                .bytes()
                .any(|b| b.is_ascii_digit() || !b.is_ascii_alphanumeric());
        match looks {
            true => format!("{}{}{FILTERED}", &c[1], &c[2]),
            false => c[0].to_string(),
        }
    });
    replace(&mut out, &r.jwt, |_| FILTERED.to_string());
    replace(&mut out, &r.key_value, |c| {
        let all = &c[0];
        let key = c[1].trim_matches(|q| q == '"' || q == '\'');
        let value = &c[3];
        // `redis.exceptions.AuthenticationError: invalid password` names an exception.
        let exception = ["Error", "Exception", "Warning"]
            .iter()
            .any(|end| key.ends_with(end));
        if exception || is_harmless(value) {
            return all.to_string();
        }
        let prefix = all.get(..all.len() - value.len()).unwrap_or("");
        // A quoted value keeps its quotes: JSON stays JSON.
        match value.chars().next().filter(|q| *q == '"' || *q == '\'') {
            Some(q) => format!("{prefix}{q}{FILTERED}{q}"),
            None => format!("{prefix}{FILTERED}"),
        }
    });
    replace(&mut out, &r.email, |_| EMAIL.to_string());
    replace(&mut out, &r.known_key, |_| FILTERED.to_string());
    replace(&mut out, &r.long, |c| {
        let run = &c[0];
        if looks_random(run) {
            FILTERED.to_string()
        } else {
            run.to_string()
        }
    });
    out
}

/// A title that may have been cut (it ends with `…`), scrubbed: its last word goes first,
/// as a secret cut in half may no longer look like one.
pub(crate) fn scrub_title(title: &str) -> String {
    let whole = match title.strip_suffix('…') {
        Some(cut) => match cut.trim_end().rsplit_once(char::is_whitespace) {
            Some((kept, _)) => format!("{}…", kept.trim_end()),
            None => title.to_string(),
        },
        None => title.to_string(),
    };
    scrub(&whole).into_owned()
}

/// Replaces every match of `re` in `text` by `with`'s text, keeping `text` borrowed when
/// nothing matched.
fn replace(text: &mut Cow<'_, str>, re: &Regex, with: impl Fn(&Captures<'_>) -> String) {
    if !re.is_match(text) {
        return;
    }
    let replaced = re
        .replace_all(text, |c: &Captures<'_>| with(c))
        .into_owned();
    if replaced != text.as_ref() {
        *text = Cow::Owned(replaced);
    }
}

/// A value that is no secret: a placeholder already, a bind parameter, a short number, a
/// boolean.
fn is_harmless(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    let digits = !v.is_empty() && v.len() <= 5 && v.bytes().all(|b| b.is_ascii_digit());
    let placeholder = v == "?"
        || v == "%s"
        || v == FILTERED
        || v.strip_prefix('$')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || v.strip_prefix(':').is_some_and(|n| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        || (v.starts_with("%(") && v.ends_with(")s"))
        || (v.starts_with('<') && v.ends_with('>'))
        || (!v.is_empty() && v.bytes().all(|b| b == b'*'));
    let word = ["true", "false", "none", "null", "yes", "no", ""]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w));
    digits || placeholder || word
}

/// A long run that mixes upper case, lower case and digits: a key or token, not a word, a
/// CamelCase name or a lower-case hex id.
fn looks_random(run: &str) -> bool {
    let upper = run.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = run.bytes().filter(u8::is_ascii_lowercase).count();
    let digits = run.bytes().filter(u8::is_ascii_digit).count();
    // A CamelCase name has few capitals among many lower-case letters, and few digits.
    upper >= 2 && lower >= 2 && digits >= 2 && (digits >= 4 || upper * 4 > lower)
}

/// Scrubbing of what a report or an event holds, for `--redact`.
pub trait Redact {
    /// Replaces the secrets of its free text (messages, subjects, titles, sources, sample
    /// text) by marked placeholders. Ids, times, names and counts are kept.
    fn redact(&mut self);
}

/// Scrubs `text` in place.
fn redact_string(text: &mut String) {
    if let Cow::Owned(scrubbed) = scrub(text) {
        *text = scrubbed;
    }
}

fn redact_option(text: &mut Option<String>) {
    if let Some(text) = text {
        redact_string(text);
    }
}

impl Redact for Group {
    fn redact(&mut self) {
        redact_string(&mut self.message);
        redact_option(&mut self.subject);
        if let Some(title) = &mut self.suggested_title {
            *title = scrub_title(title);
        }
        redact_option(&mut self.sample_text);
        if let Some(frame) = &mut self.top_frame {
            redact_option(&mut frame.source);
        }
    }
}

impl Redact for Report {
    fn redact(&mut self) {
        for group in &mut self.groups {
            group.redact();
        }
        // A baseline's gone groups are titled by their messages too.
        for gone in self.gone.iter_mut().flatten() {
            redact_string(&mut gone.title);
        }
    }
}

impl Redact for EventRecord<'_> {
    fn redact(&mut self) {
        let scrub_cow = |text: &mut Cow<'_, str>| {
            if let Cow::Owned(scrubbed) = scrub(text) {
                *text = Cow::Owned(scrubbed);
            }
        };
        scrub_cow(&mut self.message);
        if let Some(subject) = &mut self.subject {
            scrub_cow(subject);
        }
        if self
            .frames
            .iter()
            .any(|f| f.source.as_deref().is_some_and(|s| scrub(s) != s))
        {
            for frame in self.frames.to_mut() {
                redact_option(&mut frame.source);
            }
        }
    }
}
