//! A borrowed view of one Cloud Logging `LogEntry`, and the prefilter that decides which
//! entries are worth parsing at all.
//!
//! Only candidate entries are parsed, into an [`Entry`] whose strings borrow from the
//! reader's buffer (`Cow::Borrowed` unless they hold JSON escapes); invalid UTF-8 and lone
//! surrogate escapes are decoded lossily into a scratch buffer instead.

use std::borrow::Cow;

/// A `LogEntry.severity`, in Cloud Logging's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No severity, as un-structured stdout/stderr has.
    #[default]
    Default,
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `NOTICE`.
    Notice,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
    /// `CRITICAL`.
    Critical,
    /// `ALERT`.
    Alert,
    /// `EMERGENCY`.
    Emergency,
}

impl Severity {
    /// The severity named `name` (Cloud Logging's upper-case names; case is ignored, as are
    /// `WARN` and `FATAL` spellings); anything else is `Default`.
    pub(crate) fn from_name(name: &str) -> Severity {
        const NAMES: &[(&str, Severity)] = &[
            ("DEFAULT", Severity::Default),
            ("DEBUG", Severity::Debug),
            ("INFO", Severity::Info),
            ("NOTICE", Severity::Notice),
            ("WARNING", Severity::Warning),
            ("WARN", Severity::Warning),
            ("ERROR", Severity::Error),
            ("CRITICAL", Severity::Critical),
            ("FATAL", Severity::Critical),
            ("ALERT", Severity::Alert),
            ("EMERGENCY", Severity::Emergency),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(Severity::Default, |(_, s)| *s)
    }

    /// The severity of a `LogSeverity` number (0 DEFAULT .. 800 EMERGENCY), rounded down to
    /// a named level.
    pub(crate) fn from_number(n: u64) -> Severity {
        match n {
            800.. => Severity::Emergency,
            700.. => Severity::Alert,
            600.. => Severity::Critical,
            500.. => Severity::Error,
            400.. => Severity::Warning,
            300.. => Severity::Notice,
            200.. => Severity::Info,
            100.. => Severity::Debug,
            _ => Severity::Default,
        }
    }

    /// Whether an entry of this severity without a traceback is an event (§2.3).
    pub fn is_error(self) -> bool {
        self >= Severity::Error
    }
}

/// Why an entry that looked like a candidate could not be read as a `LogEntry`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: not a JSON object: {reason}")]
pub struct EntryError {
    /// The 1-based input line where the entry starts.
    pub line: u64,
    /// serde_json's message.
    pub reason: String,
}

/// One log entry, borrowed from the reader's buffer (or from a scratch buffer when the entry
/// held invalid UTF-8 and was decoded lossily). Strings are `Cow::Borrowed` unless they
/// held JSON escapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry<'a> {
    /// The 1-based input line where the entry starts.
    pub line: u64,
    /// `insertId`.
    pub insert_id: Option<Cow<'a, str>>,
    /// `timestamp`, as written (RFC 3339).
    pub timestamp: Option<Cow<'a, str>>,
    /// `severity`.
    pub severity: Severity,
    /// `logName`.
    pub log_name: Option<Cow<'a, str>>,
    /// `resource.type`.
    pub resource_type: Option<Cow<'a, str>>,
    /// `resource.labels`, in input order.
    pub resource_labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `labels.instanceId`.
    pub instance_id: Option<Cow<'a, str>>,
    /// `textPayload`, or the whole line in plain-text input.
    pub text_payload: Option<Cow<'a, str>>,
    /// The string fields of `jsonPayload`, in input order (`message` among them).
    pub json_strings: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `jsonPayload.duration_ms` when it is a number.
    pub duration_ms: Option<f64>,
    /// `trace`.
    pub trace: Option<Cow<'a, str>>,
}

impl<'a> Entry<'a> {
    /// Parses a JSON `LogEntry`. Invalid UTF-8 is decoded lossily into `scratch`, which the
    /// entry then borrows.
    pub fn from_json(
        bytes: &'a [u8],
        line: u64,
        scratch: &'a mut String,
    ) -> Result<Self, EntryError> {
        let error = |e: serde_json::Error| EntryError {
            line,
            reason: e.to_string(),
        };
        if let Ok(text) = std::str::from_utf8(bytes) {
            match serde_json::from_str::<Entry<'a>>(text) {
                Ok(entry) => return Ok(Entry { line, ..entry }),
                Err(e) if !e.to_string().contains("escape") => return Err(error(e)),
                Err(_) => {}
            }
        }
        // Invalid UTF-8, or a `\ud800` escape that no valid pair completes: both become
        // U+FFFD, as invalid UTF-8 does everywhere else.
        lossy_into(bytes, scratch);
        let repaired = replace_lone_surrogates(scratch);
        if let Cow::Owned(text) = repaired {
            *scratch = text;
        }
        let entry = serde_json::from_str::<Entry<'a>>(scratch).map_err(error)?;
        Ok(Entry { line, ..entry })
    }

    /// A plain-text line as an entry: its text is the `text_payload`.
    pub fn from_text(text: Cow<'a, str>, line: u64) -> Self {
        Entry {
            line,
            text_payload: Some(text),
            ..Entry::default()
        }
    }

    /// The entry's message: `textPayload`, else `jsonPayload.message`.
    pub fn message(&self) -> Option<&str> {
        self.text_payload
            .as_deref()
            .or_else(|| self.json_string("message"))
    }

    /// A string field of `jsonPayload`.
    pub fn json_string(&self, key: &str) -> Option<&str> {
        self.json_strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// A label of `resource.labels`.
    pub fn resource_label(&self, key: &str) -> Option<&str> {
        self.resource_labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// `resource.labels.service_name` (Cloud Run), or the first of `container_name`,
    /// `function_name`, `module_id` that is present.
    pub fn service(&self) -> Option<&str> {
        [
            "service_name",
            "container_name",
            "function_name",
            "module_id",
        ]
        .iter()
        .find_map(|k| self.resource_label(k))
    }

    /// `resource.labels.revision_name` (Cloud Run) or `version_id`.
    pub fn revision(&self) -> Option<&str> {
        self.resource_label("revision_name")
            .or_else(|| self.resource_label("version_id"))
    }

    /// The severity, or for `DEFAULT` the level word that starts the message (`ERROR:`,
    /// `[ERROR]`, `CRITICAL`, `FATAL`, ...), as §2 says.
    pub fn effective_severity(&self) -> Severity {
        match self.severity {
            Severity::Default => self.message().map_or(Severity::Default, level_word),
            s => s,
        }
    }

    /// Identifies the entry's stream (`logName`, `resource.type`, `resource.labels`,
    /// `labels.instanceId`): a split traceback is reassembled from entries of one stream.
    /// `rustc-hash`'s unseeded hash: equal streams get equal keys in every run, and it costs
    /// a fraction of SipHash's (this runs for every parsed entry; SipHash was 4% of a run
    /// with 2% failures).
    pub fn stream_key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        self.log_name.hash(&mut h);
        self.resource_type.hash(&mut h);
        self.resource_labels.hash(&mut h);
        self.instance_id.hash(&mut h);
        h.finish()
    }
}

/// The level a message announces with its first word, for entries without a severity:
/// `ERROR:root:...`, `[ERROR] ...`, `CRITICAL ...`, `FATAL: ...`. Timestamps and a
/// `[pid]` in front of the word, as gunicorn prints them, are skipped.
pub fn level_word(message: &str) -> Severity {
    const LEVELS: &[(&str, Severity)] = &[
        ("EMERGENCY", Severity::Emergency),
        ("ALERT", Severity::Alert),
        ("CRITICAL", Severity::Critical),
        ("FATAL", Severity::Critical),
        ("ERROR", Severity::Error),
        ("WARNING", Severity::Warning),
        ("WARN", Severity::Warning),
        ("NOTICE", Severity::Notice),
        ("INFO", Severity::Info),
        ("DEBUG", Severity::Debug),
    ];
    // Look at the first few words only: a level word later in a sentence is not a level.
    for word in message
        .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ':' | '|'))
        .filter(|w| !w.is_empty())
        .take(8)
    {
        if let Some((_, level)) = LEVELS.iter().find(|(name, _)| *name == word) {
            return *level;
        }
        // Only timestamps, pids and the like may come before the level word.
        if word.bytes().any(|b| b.is_ascii_alphabetic()) && !looks_like_timestamp(word) {
            break;
        }
    }
    Severity::Default
}

fn looks_like_timestamp(word: &str) -> bool {
    word.bytes().filter(u8::is_ascii_digit).count() * 2 >= word.len()
        || matches!(word, "+0000" | "UTC" | "GMT")
}

/// Decodes `bytes` into `scratch`, invalid UTF-8 replaced by U+FFFD, reusing its allocation.
/// JSON text with each `\uXXXX` escape of a surrogate that is not part of a valid pair
/// replaced by `\ufffd` (serde_json rejects lone surrogates; the contract wants a lossy
/// decode, never a dropped entry).
fn replace_lone_surrogates(json: &str) -> Cow<'_, str> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        let hex = std::str::from_utf8(b.get(i + 2..i + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    }
    let b = json.as_bytes();
    let mut out: Option<String> = None;
    let (mut i, mut copied) = (0, 0);
    while let Some(off) = memchr::memchr(b'\\', b.get(i..).unwrap_or(&[])) {
        i += off;
        let lead = escape_at(b, i);
        let lone = match lead {
            Some(0xD800..=0xDBFF) => !matches!(escape_at(b, i + 6), Some(0xDC00..=0xDFFF)),
            Some(0xDC00..=0xDFFF) => true,
            _ => false,
        };
        if lone {
            let out = out.get_or_insert_with(|| String::with_capacity(json.len()));
            out.push_str(json.get(copied..i).unwrap_or(""));
            out.push_str("\\ufffd");
            copied = i + 6;
            i += 6;
        } else if matches!(lead, Some(0xD800..=0xDBFF)) {
            i += 12;
        } else {
            // Any other escape: skip the backslash and the escaped character.
            i += 2;
        }
    }
    match out {
        Some(mut out) => {
            out.push_str(json.get(copied..).unwrap_or(""));
            Cow::Owned(out)
        }
        None => Cow::Borrowed(json),
    }
}

fn lossy_into<'a>(bytes: &[u8], scratch: &'a mut String) -> &'a str {
    scratch.clear();
    for chunk in bytes.utf8_chunks() {
        scratch.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            scratch.push(char::REPLACEMENT_CHARACTER);
        }
    }
    scratch
}

/// Literals of which at least one occurs in every entry that may start or hold an event
/// (CONTRACT §2), as raw bytes of the entry: JSON (strings escaped, `"key":"value"` or
/// `"key": "value"`) or a plain-text line. They are rare in the bulk of request logs.
pub(crate) const CANDIDATE_LITERALS: &[&str] = &[
    // Tracebacks, chained ones and exception groups (`+ Exception Group Traceback`).
    "Traceback",
    // A SyntaxError block starts with its `  File "x", line N` line; `\"` inside JSON.
    "File \\\"",
    "File \"",
    // Error severities (`"severity":"ERROR"`) and level words (`ERROR:`, `[ERROR]`).
    "ERROR",
    "CRITICAL",
    "ALERT",
    "EMERGENCY",
    "FATAL",
    // Log record headers before a traceback: uvicorn's `Exception in ASGI application`,
    // gunicorn's `Exception in worker process`.
    "Exception",
    // Slow queries: Cloud SQL PostgreSQL, MySQL slow log, structured `duration_ms`.
    "duration: ",
    "Query_time",
    "duration_ms",
    // Out of memory: Cloud Run, the kernel, Kubernetes, Python.
    "Memory limit",
    "Out of memory",
    "OOMKilled",
    "MemoryError",
];

/// Decides from an entry's raw bytes, without parsing, whether it may hold an event
/// (§2): traceback markers, error levels, slow-query and out-of-memory markers.
///
/// It may say yes to entries that hold no event (the parser and the assembler decide), never
/// no to one that starts an event. Entries that continue a traceback split over several
/// entries (`  File ...` lines, the final `ValueError: ...`) need not match: the pipeline
/// parses every entry while a traceback is open.
///
/// A slow-query marker only counts when the duration written after it reaches the
/// threshold, or cannot be read: Cloud SQL with `log_min_duration_statement = 0` logs every
/// statement's duration, and most are fast.
#[derive(Clone, Debug)]
pub struct Prefilter {
    searcher: aho_corasick::AhoCorasick,
    slow_ms: f64,
}

impl Default for Prefilter {
    /// A prefilter for the default slow-query threshold of 1000 ms.
    fn default() -> Self {
        Prefilter::new(1000.0)
    }
}

/// How a candidate literal's match is judged.
enum Marker {
    /// Any match makes the entry a candidate.
    Always,
    /// `duration: 5123.456 ms` (PostgreSQL) or `"duration_ms": 5123` (JSON).
    Millis,
    /// `# Query_time: 5.123` (MySQL), in seconds.
    Seconds,
}

fn marker(literal: &str) -> Marker {
    match literal {
        "duration: " | "duration_ms" => Marker::Millis,
        "Query_time" => Marker::Seconds,
        _ => Marker::Always,
    }
}

/// The number at the start of `bytes` after any `"`, `:`, `=` or blank, if one is there,
/// and whether a byte that is not part of it follows it in `bytes`.
fn leading_number(bytes: &[u8]) -> Option<(f64, bool)> {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b'"' | b':' | b'=' | b' ' | b'\t'))?;
    let rest = bytes.get(start..)?;
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    let n = std::str::from_utf8(rest.get(..len)?).ok()?.parse().ok()?;
    Some((n, len < rest.len()))
}

impl Prefilter {
    /// A prefilter for slow queries of at least `slow_ms` milliseconds.
    pub fn new(slow_ms: f64) -> Self {
        // Leftmost-first keeps aho-corasick's SIMD (Teddy) prefilter; with a handful of
        // literals it rarely leaves it.
        let searcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(CANDIDATE_LITERALS)
            .expect("the built-in literals form a valid automaton");
        Prefilter { searcher, slow_ms }
    }

    /// Where the first literal that may make its entry a candidate starts in `hay` (many
    /// entries), or `hay.len()`. A slow-query literal followed by a whole number under the
    /// threshold does not: 10% of a Cloud Run service's entries may be Cloud SQL's `duration:`
    /// lines of fast statements, and each one would stop the search ahead. A number that
    /// runs to the end of `hay` may go on past it, so its literal stops the search.
    fn first_qualifying(&self, hay: &[u8]) -> usize {
        let mut from = 0;
        while let Some(m) = self
            .searcher
            .find(aho_corasick::Input::new(hay).range(from..))
        {
            if self.qualifies(hay, &m, false) {
                return m.start();
            }
            from = m.end();
        }
        hay.len()
    }

    /// Whether `bytes` (one framed entry) may hold an event and must be parsed.
    pub fn is_candidate(&self, bytes: &[u8]) -> bool {
        self.searcher
            .find_iter(bytes)
            .any(|m| self.qualifies(bytes, &m, true))
    }

    /// Whether the literal matched at `m` in `hay` makes its entry a candidate: any literal
    /// but a slow-query one, which needs a duration at or over the threshold (or none to be
    /// read). `entry_ends` says `hay` ends where the entry does, so that a number running to
    /// its end is whole; otherwise such a number may go on past it, and qualifies.
    fn qualifies(&self, hay: &[u8], m: &aho_corasick::Match, entry_ends: bool) -> bool {
        let literal = CANDIDATE_LITERALS
            .get(m.pattern().as_usize())
            .copied()
            .unwrap_or("");
        let to_ms = match marker(literal) {
            Marker::Always => return true,
            Marker::Millis => 1.0,
            Marker::Seconds => 1000.0,
        };
        match leading_number(hay.get(m.end()..).unwrap_or(&[])) {
            Some((n, whole)) if whole || entry_ends => n * to_ms >= self.slow_ms,
            _ => true,
        }
    }
}

/// Frames a reader's entries and tells which are candidates, searching the buffer ahead of
/// the framing: one aho-corasick search covers every entry up to the next literal, instead
/// of one search (and its start-up cost) per entry.
///
/// It gives the same answers as [`Prefilter::is_candidate`] on each entry: a leftmost search
/// of the bytes after an entry reports the literal that starts first, so no literal starts
/// in an entry that ends before it (or, when there is none, before the end of the searched
/// bytes). An entry that reaches it is checked on its own.
///
/// ```
/// use logtriage::{Ahead, Framed, Prefilter, Reader};
/// let logs = b"{\"severity\":\"INFO\"}\n{\"severity\":\"ERROR\"}\n";
/// let (prefilter, mut reader) = (Prefilter::default(), Reader::new(&logs[..]));
/// let mut ahead = Ahead::default();
/// let mut candidates = Vec::new();
/// while let Some((framed, candidate)) = ahead.next_entry(&prefilter, &mut reader)? {
///     if let Framed::Entry { line, .. } = framed {
///         candidates.push((line, candidate));
///     }
/// }
/// assert_eq!(candidates, [(1, false), (2, true)]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Ahead {
    /// Input offset before which no literal starts in the bytes searched so far.
    clear_to: u64,
}

impl Ahead {
    /// Consumes the entries of `reader` that end before the next literal found ahead, and
    /// returns how many there were: none is a candidate, and none is framed on its own, which
    /// is for a caller that needs nothing of them but their count (the pipeline, while no
    /// split traceback is open). Malformed and oversize entries are left to
    /// [`Ahead::next_entry`].
    #[inline]
    pub fn skip_clear<R: std::io::Read>(&self, reader: &mut crate::Reader<R>) -> u64 {
        reader.skip_entries_before(self.clear_to)
    }

    /// The next entry of `reader` (which must be read through this `Ahead` only) and
    /// whether `prefilter` takes it as a candidate; malformed and oversize entries are not.
    #[inline]
    pub fn next_entry<'r, R: std::io::Read>(
        &mut self,
        prefilter: &Prefilter,
        reader: &'r mut crate::Reader<R>,
    ) -> std::io::Result<Option<(crate::Framed<'r>, bool)>> {
        let Some(ahead) = reader.next_entry_ahead()? else {
            return Ok(None);
        };
        // The entry ends at or before `rest_at`.
        if ahead.rest_at <= self.clear_to {
            return Ok(Some((ahead.framed, false)));
        }
        let candidate = match ahead.framed {
            crate::Framed::Entry { bytes, .. } => {
                // A literal found ahead starts at `clear_to`; one that ran past the end of
                // the bytes searched starts less than a literal's length before it.
                let from = self.clear_to.saturating_sub(LONGEST_LITERAL as u64 - 1);
                let skip =
                    usize::try_from(from.saturating_sub(ahead.entry_at)).unwrap_or(usize::MAX);
                prefilter.is_candidate(bytes.get(skip..).unwrap_or(&[]))
            }
            crate::Framed::Malformed { .. } | crate::Framed::Oversize { .. } => false,
        };
        self.clear_to = ahead.rest_at + prefilter.first_qualifying(ahead.rest) as u64;
        Ok(Some((ahead.framed, candidate)))
    }
}

/// The length of the longest candidate literal.
const LONGEST_LITERAL: usize = {
    let mut i = 0;
    let mut longest = 0;
    while i < CANDIDATE_LITERALS.len() {
        if CANDIDATE_LITERALS[i].len() > longest {
            longest = CANDIDATE_LITERALS[i].len();
        }
        i += 1;
    }
    longest
};

/// `Entry` from JSON: hand-written visitors, so strings borrow from the input and ignored
/// values (most of `jsonPayload`, `httpRequest`, ...) are skipped without allocating. A known
/// field of an unexpected type is ignored, like an unknown field.
mod de {
    use super::{Entry, Severity};
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;
    use std::borrow::Cow;
    use std::fmt;

    /// Visitor methods giving `Self::Value::default()` for every value the visitor does not
    /// want; maps and arrays are drained without allocating.
    macro_rules! default_for {
        (scalars) => {
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Default::default())
            }
        };
        (strings) => {
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
        };
        (maps) => {
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Default::default())
            }
        };
    }

    /// Implements `Deserialize` through `deserialize_any` with the given visitor.
    macro_rules! deserialize_any {
        ($ty:ident, $visitor:ident) => {
            impl<'de> Deserialize<'de> for $ty<'de> {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_any($visitor)
                }
            }
        };
    }

    /// A value of an object, as far as the entry cares: a string (borrowed unless escaped),
    /// a number, or something ignored.
    #[derive(Default)]
    enum Value<'a> {
        Str(Cow<'a, str>),
        Num(f64),
        #[default]
        Other,
    }

    deserialize_any!(Value, ValueVisitor);

    struct ValueVisitor;

    impl<'de> Visitor<'de> for ValueVisitor {
        type Value = Value<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Value::Str(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Value::Str(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Value::Str(Cow::Owned(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Value::Num(v as f64))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Value::Num(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Value::Num(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Value::Other)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Value::Other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Value::Other)
        }
        default_for!(maps);
    }

    impl<'a> Value<'a> {
        fn into_str(self) -> Option<Cow<'a, str>> {
            match self {
                Value::Str(s) => Some(s),
                _ => None,
            }
        }
    }

    /// A string field: `None` for any other type.
    fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
        Ok(map.next_value::<Value<'de>>()?.into_str())
    }

    /// A map key, borrowed unless escaped.
    struct Key<'a>(Cow<'a, str>);

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match Value::deserialize(d)?.into_str() {
                Some(k) => Ok(Key(k)),
                None => Err(de::Error::custom("an object key is not a string")),
            }
        }
    }

    /// `severity`: Cloud Logging's names, or its numbers (0, 100, ... 800).
    fn severity<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Severity, A::Error> {
        Ok(match map.next_value::<Value<'de>>()? {
            Value::Str(name) => Severity::from_name(&name),
            // Saturating cast: NaN and negatives to 0.
            Value::Num(n) => Severity::from_number(n as u64),
            Value::Other => Severity::Default,
        })
    }

    /// An object whose string values are kept in order (`resource.labels`).
    #[derive(Default)]
    struct StrMap<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

    deserialize_any!(StrMap, StrMapVisitor);

    struct StrMapVisitor;

    impl<'de> Visitor<'de> for StrMapVisitor {
        type Value = StrMap<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            // Cloud Run's resource has five labels: one allocation, not two.
            let mut out = Vec::with_capacity(8);
            while let Some(Key(k)) = map.next_key()? {
                if let Some(v) = string(&mut map)? {
                    out.push((k, v));
                }
            }
            Ok(StrMap(out))
        }
        default_for!(scalars);
        default_for!(strings);
    }

    /// `resource`: its `type` and `labels`.
    #[derive(Default)]
    struct Resource<'a> {
        kind: Option<Cow<'a, str>>,
        labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    }

    deserialize_any!(Resource, ResourceVisitor);

    struct ResourceVisitor;

    impl<'de> Visitor<'de> for ResourceVisitor {
        type Value = Resource<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a monitored resource")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Resource::default();
            while let Some(Key(k)) = map.next_key()? {
                match &*k {
                    "type" => out.kind = string(&mut map)?,
                    "labels" => out.labels = map.next_value::<StrMap<'de>>()?.0,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
        default_for!(scalars);
        default_for!(strings);
    }

    /// `labels`: only `instanceId` is used.
    #[derive(Default)]
    struct Labels<'a>(Option<Cow<'a, str>>);

    deserialize_any!(Labels, LabelsVisitor);

    struct LabelsVisitor;

    impl<'de> Visitor<'de> for LabelsVisitor {
        type Value = Labels<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of labels")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Labels::default();
            while let Some(Key(k)) = map.next_key()? {
                if k == "instanceId" {
                    out.0 = string(&mut map)?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
        default_for!(scalars);
        default_for!(strings);
    }

    /// `jsonPayload`: its top-level strings and a numeric `duration_ms`.
    #[derive(Default)]
    struct Payload<'a> {
        strings: Vec<(Cow<'a, str>, Cow<'a, str>)>,
        duration_ms: Option<f64>,
    }

    deserialize_any!(Payload, PayloadVisitor);

    struct PayloadVisitor;

    impl<'de> Visitor<'de> for PayloadVisitor {
        type Value = Payload<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON payload")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Payload::default();
            while let Some(Key(k)) = map.next_key()? {
                match map.next_value::<Value<'de>>()? {
                    Value::Str(v) => out.strings.push((k, v)),
                    Value::Num(n) if k == "duration_ms" => out.duration_ms = Some(n),
                    _ => {}
                }
            }
            Ok(out)
        }
        default_for!(scalars);
        default_for!(strings);
    }

    impl<'de> Deserialize<'de> for Entry<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(EntryVisitor)
        }
    }

    struct EntryVisitor;

    impl<'de> Visitor<'de> for EntryVisitor {
        type Value = Entry<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a LogEntry object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut e = Entry::default();
            while let Some(Key(k)) = map.next_key()? {
                match &*k {
                    "insertId" => e.insert_id = string(&mut map)?,
                    "timestamp" => e.timestamp = string(&mut map)?,
                    "severity" => e.severity = severity(&mut map)?,
                    "logName" => e.log_name = string(&mut map)?,
                    "trace" => e.trace = string(&mut map)?,
                    "textPayload" => e.text_payload = string(&mut map)?,
                    "resource" => {
                        let r = map.next_value::<Resource<'de>>()?;
                        e.resource_type = r.kind;
                        e.resource_labels = r.labels;
                    }
                    "labels" => e.instance_id = map.next_value::<Labels<'de>>()?.0,
                    "jsonPayload" => {
                        let p = map.next_value::<Payload<'de>>()?;
                        e.json_strings = p.strings;
                        e.duration_ms = p.duration_ms;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let rows: &[(&str, &str)] = &[
            (r#""bad \ud800 escape""#, "bad \u{fffd} escape"),
            (
                r#""reversed \udc00\ud800 pair""#,
                "reversed \u{fffd}\u{fffd} pair",
            ),
            (r#""lead at end \ud83d""#, "lead at end \u{fffd}"),
            (
                r#""valid pair \ud83d\ude00 kept""#,
                "valid pair \u{1f600} kept",
            ),
            (
                r#""escaped backslash \\ud800 is text""#,
                "escaped backslash \\ud800 is text",
            ),
        ];
        for (json, want) in rows {
            let entry = format!(r#"{{"severity":"ERROR","textPayload":{json}}}"#);
            let mut scratch = String::new();
            let parsed = Entry::from_json(entry.as_bytes(), 1, &mut scratch).expect(json);
            assert_eq!(parsed.text_payload.as_deref(), Some(*want), "{json}");
        }
    }

    #[test]
    fn level_word_table() {
        let rows: &[(&str, Severity)] = &[
            (
                "ERROR:root:Exception on /api/agents [POST]",
                Severity::Error,
            ),
            (
                "[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process",
                Severity::Error,
            ),
            ("CRITICAL: startup failed", Severity::Critical),
            (
                "FATAL:  password authentication failed for user \"netra\"",
                Severity::Critical,
            ),
            (
                "2026-11-27 07:01:02,123 ERROR netra_backend.app.smd boom",
                Severity::Error,
            ),
            ("INFO:     Started server process [1]", Severity::Info),
            ("the ERROR budget is fine", Severity::Default),
            ("Traceback (most recent call last):", Severity::Default),
            ("", Severity::Default),
        ];
        for (text, want) in rows {
            assert_eq!(level_word(text), *want, "{text:?}");
        }
    }

    #[test]
    fn stream_key_separates_instances() {
        let a = Entry {
            instance_id: Some("00a1".into()),
            ..Entry::default()
        };
        let b = Entry {
            instance_id: Some("00b2".into()),
            ..Entry::default()
        };
        assert_ne!(a.stream_key(), b.stream_key());
        assert_eq!(a.stream_key(), a.clone().stream_key());
    }

    #[test]
    fn service_prefers_cloud_run_label() {
        let e = Entry {
            resource_labels: vec![
                (
                    "revision_name".into(),
                    "netra-backend-staging-00042-xyz".into(),
                ),
                ("service_name".into(), "netra-backend-staging".into()),
            ],
            ..Entry::default()
        };
        assert_eq!(e.service(), Some("netra-backend-staging"));
        assert_eq!(e.revision(), Some("netra-backend-staging-00042-xyz"));
    }
    const CLOUD_RUN: &str = r#"{"insertId":"6745a1b2000c3f8e1a2b3c4d","jsonPayload":{"message":"Traceback (most recent call last):\n  File \"/app/main.py\", line 12, in <module>\nNameError: name 'x' is not defined","logger":"root","duration_ms":12.5,"extra":{"nested":["a",{"b":1}]},"count":3},"labels":{"instanceId":"00f46b9285a1c2","other":"x"},"logName":"projects/netra-staging/logs/run.googleapis.com%2Fstderr","receiveTimestamp":"2026-11-27T07:01:02.345Z","resource":{"labels":{"configuration_name":"netra-backend-staging","location":"us-central1","project_id":"netra-staging","revision_name":"netra-backend-staging-00042-xyz","service_name":"netra-backend-staging"},"type":"cloud_run_revision"},"severity":"ERROR","timestamp":"2026-11-27T07:01:02.123456Z","trace":"projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736"}"#;

    #[test]
    fn from_json_reads_the_fields() {
        let mut scratch = String::new();
        let e = Entry::from_json(CLOUD_RUN.as_bytes(), 7, &mut scratch).unwrap();
        assert_eq!(e.line, 7);
        assert_eq!(e.insert_id.as_deref(), Some("6745a1b2000c3f8e1a2b3c4d"));
        assert_eq!(e.timestamp.as_deref(), Some("2026-11-27T07:01:02.123456Z"));
        assert_eq!(e.severity, Severity::Error);
        assert_eq!(
            e.log_name.as_deref(),
            Some("projects/netra-staging/logs/run.googleapis.com%2Fstderr")
        );
        assert_eq!(e.resource_type.as_deref(), Some("cloud_run_revision"));
        assert_eq!(e.resource_labels.len(), 5);
        assert_eq!(e.service(), Some("netra-backend-staging"));
        assert_eq!(e.revision(), Some("netra-backend-staging-00042-xyz"));
        assert_eq!(e.instance_id.as_deref(), Some("00f46b9285a1c2"));
        assert_eq!(e.text_payload, None);
        let keys: Vec<&str> = e.json_strings.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["message", "logger"]);
        assert!(e
            .message()
            .unwrap()
            .starts_with("Traceback (most recent call last):\n  File \"/app/main.py\""));
        assert_eq!(e.duration_ms, Some(12.5));
        assert_eq!(
            e.trace.as_deref(),
            Some("projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert!(scratch.is_empty(), "valid UTF-8 needs no scratch");
    }

    #[test]
    fn from_json_borrows_unless_escaped() {
        let mut scratch = String::new();
        let e = Entry::from_json(CLOUD_RUN.as_bytes(), 1, &mut scratch).unwrap();
        assert!(matches!(e.insert_id, Some(Cow::Borrowed(_))));
        assert!(matches!(e.resource_labels[0].1, Cow::Borrowed(_)));
        assert!(matches!(e.json_strings[1].1, Cow::Borrowed(_)));
        // The message holds `\n` and `\"` escapes: decoded, so owned.
        assert!(matches!(e.json_strings[0].1, Cow::Owned(_)));
    }

    #[test]
    fn from_json_pretty_printed() {
        let value: serde_json::Value = serde_json::from_str(CLOUD_RUN).unwrap();
        // (serde_json's `Value` sorts keys, as gcloud does: compare two prints of it.)
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let compact = serde_json::to_string(&value).unwrap();
        let (mut s1, mut s2) = (String::new(), String::new());
        let e = Entry::from_json(pretty.as_bytes(), 1, &mut s1).unwrap();
        assert_eq!(e, Entry::from_json(compact.as_bytes(), 1, &mut s2).unwrap());
        assert_eq!(e.json_strings.len(), 2);
    }

    #[test]
    fn from_json_invalid_utf8_is_replaced() {
        let bytes = b"{\"insertId\":\"a\xffb\",\"textPayload\":\"caf\xc3\",\"severity\":\"ERROR\"}";
        let mut scratch = String::new();
        let e = Entry::from_json(bytes, 3, &mut scratch).unwrap();
        assert_eq!(e.insert_id.as_deref(), Some("a\u{FFFD}b"));
        assert_eq!(e.text_payload.as_deref(), Some("caf\u{FFFD}"));
        assert_eq!(e.severity, Severity::Error);
    }

    #[test]
    fn from_json_rejects_non_objects_and_bad_json() {
        let rows: &[&[u8]] = &[
            b"[1, 2]",
            b"\"Traceback\"",
            b"42",
            b"null",
            b"{\"a\":1}}",
            b"{\"a\":",
            b"{\"textPayload\":\"x\"",
            b"",
            b"{'a': 1}",
        ];
        for bytes in rows {
            let mut scratch = String::new();
            let err = Entry::from_json(bytes, 9, &mut scratch).unwrap_err();
            assert_eq!(err.line, 9);
            assert!(!err.reason.is_empty());
        }
    }

    #[test]
    fn from_json_ignores_unknown_and_mistyped_fields() {
        let bytes = br#"{"severity":500,"textPayload":42,"resource":"x","labels":[1],"jsonPayload":"y","insertId":{"a":[]},"httpRequest":{"status":500,"latency":"0.1s"},"newField":[{"x":null}]}"#;
        let mut scratch = String::new();
        let e = Entry::from_json(bytes, 1, &mut scratch).unwrap();
        assert_eq!(
            e,
            Entry {
                line: 1,
                severity: Severity::Error,
                ..Entry::default()
            }
        );
    }

    #[test]
    fn severity_names_and_numbers() {
        let rows: &[(&str, Severity)] = &[
            (r#""DEFAULT""#, Severity::Default),
            (r#""DEBUG""#, Severity::Debug),
            (r#""INFO""#, Severity::Info),
            (r#""NOTICE""#, Severity::Notice),
            (r#""WARNING""#, Severity::Warning),
            (r#""ERROR""#, Severity::Error),
            (r#""error""#, Severity::Error),
            (r#""CRITICAL""#, Severity::Critical),
            (r#""ALERT""#, Severity::Alert),
            (r#""EMERGENCY""#, Severity::Emergency),
            (r#""LOUD""#, Severity::Default),
            ("0", Severity::Default),
            ("200", Severity::Info),
            ("550", Severity::Error),
            ("800", Severity::Emergency),
            ("-5", Severity::Default),
            ("600.0", Severity::Critical),
            ("null", Severity::Default),
        ];
        for (json, want) in rows {
            let text = format!(r#"{{"severity":{json}}}"#);
            let mut scratch = String::new();
            let e = Entry::from_json(text.as_bytes(), 1, &mut scratch).unwrap();
            assert_eq!(e.severity, *want, "{json}");
        }
    }

    #[test]
    fn prefilter_accepts_event_starts() {
        let p = Prefilter::default();
        let yes: &[&str] = &[
            r#"{"severity":"ERROR","textPayload":"boom"}"#,
            "{\n  \"severity\": \"CRITICAL\",\n  \"textPayload\": \"boom\"\n}",
            r#"{"severity":"ALERT"}"#,
            r#"{"severity":"EMERGENCY"}"#,
            r#"{"textPayload":"Traceback (most recent call last):"}"#,
            r#"{"textPayload":"  + Exception Group Traceback (most recent call last):"}"#,
            r#"{"textPayload":"  File \"/app/settings.py\", line 3"}"#,
            r#"  File "/app/settings.py", line 3"#,
            "ERROR:root:Exception on /api/agents [POST]",
            "[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process",
            "FATAL:  password authentication failed for user \"netra\"",
            "ERROR:    Exception in ASGI application",
            r#"{"textPayload":"2026-11-27 07:01:02.123 UTC [42]: [3-1] db=netra,user=app LOG:  duration: 5123.456 ms  statement: SELECT 1"}"#,
            "# Query_time: 12.000345  Lock_time: 0.000100 Rows_sent: 1  Rows_examined: 1000000",
            r#"{"jsonPayload":{"duration_ms":2300,"query":"SELECT 1"}}"#,
            r#"{"textPayload":"Memory limit of 512 MiB exceeded with 530 MiB used. Consider increasing the memory limit."}"#,
            "Out of memory: Killed process 1234 (python3) total-vm:2048000kB",
            r#"{"jsonPayload":{"reason":"OOMKilled"}}"#,
            "MemoryError",
        ];
        for text in yes {
            assert!(p.is_candidate(text.as_bytes()), "{text}");
        }
        let no: &[&str] = &[
            r#"{"httpRequest":{"requestMethod":"GET","status":200},"severity":"INFO","textPayload":"GET /health 200"}"#,
            "INFO:     10.0.0.1:5000 - \"GET /health HTTP/1.1\" 200 OK",
            r#"{"severity":"WARNING","jsonPayload":{"message":"slow response"}}"#,
            "",
        ];
        for text in no {
            assert!(!p.is_candidate(text.as_bytes()), "{text}");
        }
    }
}
