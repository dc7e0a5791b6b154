//! The prefilter: which entries are worth parsing at all, decided from their raw bytes.
//!
//! A handful of literals (traceback markers, error levels, slow-query and out-of-memory
//! markers) are searched with aho-corasick ahead of the framing ([`Ahead`]), so the entries
//! before the next match are only counted. The one duration parser of the crate lives here
//! too ([`leading_number`]): the prefilter and the slow-query events read durations alike.

use crate::input::{Framed, Reader};

/// Literals of which at least one occurs in every entry that may start or hold an event
/// (see [`crate::reference`]), as raw bytes of the entry: JSON (strings escaped, `"key":"value"` or
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
    // Exception lines: Sentry's text layout prints `NameError: ...` before the frames and
    // no header, so the line before the first frame must be parsed too; an AWS Lambda
    // error document names `"errorType": "OSError"`. Not `Error` alone: messages that
    // mention `Error 111` would stop the search ahead for nothing.
    "Error: ",
    "Error\"",
    // Slow queries: Cloud SQL PostgreSQL, MySQL slow log, structured `duration_ms`.
    "duration: ",
    "Query_time",
    "duration_ms",
    // A statement PostgreSQL logs on its own (`log_statement`), whose duration comes later:
    // `LOG:  statement: ...`, csvlog's `LOG,00000,"statement: ...` and the extended
    // protocol's `LOG:  execute <name>: ...`. Not the `ms  statement: ` of a fast `duration:`
    // line. csvlog's literal starts with its level: a bare `"statement: ` starts like JSON's
    // frequent `"status"` and cost 1% of a run in checks that failed.
    "LOG:  statement: ",
    "LOG:  execute ",
    "LOG,00000,\"statement: ",
    // The same in an export's `textPayload`, where JSON escapes its quote.
    "LOG,00000,\\\"statement: ",
    // Out of memory: Cloud Run, the kernel, Kubernetes, Python.
    "Memory limit",
    "Out of memory",
    "OOMKilled",
    "MemoryError",
    // Platform messages Cloud Run writes below ERROR (the platform table's `literal`s):
    // `Container called exit(1).` (WARNING), a 429 `... no available instance.` (WARNING),
    // and `... reached the maximum request timeout.` (its severity unconfirmed). The others
    // come at ERROR, or from gunicorn and uvicorn with their `ERROR` level word.
    "Container called exit(",
    "no available instance",
    "maximum request timeout",
];

/// Decides from an entry's raw bytes, without parsing, whether it may hold an event
/// (see [`crate::reference`]): traceback markers, error levels, slow-query and out-of-memory markers.
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
    /// The length of the longest literal searched for.
    longest: usize,
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
/// and the bytes after it. The prefilter's threshold test and the slow-query events read
/// durations with this one parser, so they cannot disagree on one.
pub(crate) fn leading_number(bytes: &[u8]) -> Option<(f64, &[u8])> {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b'"' | b':' | b'=' | b' ' | b'\t'))?;
    let rest = bytes.get(start..)?;
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    let n = std::str::from_utf8(rest.get(..len)?).ok()?.parse().ok()?;
    Some((n, rest.get(len..).unwrap_or_default()))
}

impl Prefilter {
    /// A prefilter for slow queries of at least `slow_ms` milliseconds.
    pub fn new(slow_ms: f64) -> Self {
        Prefilter::with_literals(slow_ms, &[])
    }

    /// A prefilter that also takes entries holding one of `extra` (the literals of a rules
    /// file's platform rows) as candidates.
    pub(crate) fn with_literals(slow_ms: f64, extra: &[&str]) -> Self {
        let mut literals: Vec<&str> = CANDIDATE_LITERALS.to_vec();
        for literal in extra {
            if !literal.is_empty() && !literals.contains(literal) {
                literals.push(literal);
            }
        }
        let longest = literals.iter().map(|l| l.len()).max().unwrap_or(1);
        // Leftmost-first keeps aho-corasick's SIMD (Teddy) prefilter; with a handful of
        // literals it rarely leaves it.
        let searcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(&literals)
            .expect("literals form a valid automaton");
        Prefilter {
            searcher,
            slow_ms,
            longest,
        }
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

    /// The slow-query threshold in milliseconds.
    pub fn slow_ms(&self) -> f64 {
        self.slow_ms
    }

    /// Whether `bytes` (one framed entry) may hold an event and must be parsed.
    pub fn is_candidate(&self, bytes: &[u8]) -> bool {
        self.searcher
            .find_iter(bytes)
            .any(|m| self.qualifies(bytes, &m, true))
    }

    /// Whether the literal matched at `m` in `hay` makes its entry a candidate: any literal
    /// (an extra one too) but a slow-query one, which needs a duration at or over the threshold (or none to be
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
            Some((n, after)) if !after.is_empty() || entry_ends => n * to_ms >= self.slow_ms,
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
/// use logtriage::internals::{Ahead, Framed, Prefilter, Reader};
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
    /// Input offset of the last entry framed.
    entry_at: u64,
}

impl Ahead {
    /// Consumes the entries of `reader` that end before the next literal found ahead, and
    /// returns how many there were: none is a candidate, and none is framed on its own, which
    /// is for a caller that needs nothing of them but their count (the pipeline, while no
    /// split traceback is open). Malformed and oversize entries are left to
    /// [`Ahead::next_entry`].
    #[inline]
    pub fn skip_clear<R: std::io::Read>(&self, reader: &mut Reader<R>) -> u64 {
        reader.skip_entries_before(self.clear_to)
    }

    /// The input offset where the last entry [`Ahead::next_entry`] framed starts (for
    /// malformed and oversize entries, at or before their end).
    #[inline]
    pub(crate) fn entry_at(&self) -> u64 {
        self.entry_at
    }

    /// The next entry of `reader` (which must be read through this `Ahead` only) and
    /// whether `prefilter` takes it as a candidate; malformed and oversize entries are not.
    #[inline]
    pub fn next_entry<'r, R: std::io::Read>(
        &mut self,
        prefilter: &Prefilter,
        reader: &'r mut Reader<R>,
    ) -> std::io::Result<Option<(Framed<'r>, bool)>> {
        let Some(ahead) = reader.next_entry_ahead()? else {
            return Ok(None);
        };
        self.entry_at = ahead.entry_at;
        // The entry ends at or before `rest_at`.
        if ahead.rest_at <= self.clear_to {
            return Ok(Some((ahead.framed, false)));
        }
        let candidate = match ahead.framed {
            Framed::Entry { bytes, .. } => {
                // A literal found ahead starts at `clear_to`; one that ran past the end of
                // the bytes searched starts less than a literal's length before it.
                let from = self.clear_to.saturating_sub(prefilter.longest as u64 - 1);
                let skip =
                    usize::try_from(from.saturating_sub(ahead.entry_at)).unwrap_or(usize::MAX);
                prefilter.is_candidate(bytes.get(skip..).unwrap_or(&[]))
            }
            Framed::Malformed { .. } | Framed::Oversize { .. } => false,
        };
        self.clear_to = ahead.rest_at + prefilter.first_qualifying(ahead.rest) as u64;
        Ok(Some((ahead.framed, candidate)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "NameError: name 'UnifiedExecutionEngineFactory' is not defined",
            r#"{"errorMessage": "[Errno 30] Read-only file system", "errorType": "OSError", "stackTrace": [["/var/task/h.py", 18, "handle", "os.makedirs(d)"]]}"#,
            "2026-11-26 14:02:11.200 UTC [3918] LOG:  statement: SELECT 1",
            r#"{"textPayload":"2026-11-26 14:04:19.950 UTC [3539] LOG:  execute <unnamed>: SELECT 1"}"#,
            r#"2026-11-26 14:08:20.001 UTC,"netra_app","netra_staging",31340,"10.0.0.7:52350",6745a1f2.7a6c,3,"idle",2026-11-26 14:08:00 UTC,3/18,0,LOG,00000,"statement: SELECT 1",,,,,,,,,"psql","client backend",,0"#,
            r#"{"textPayload":"2026-11-26 14:08:20.001 UTC,\"netra_app\",\"netra_staging\",31340,\"10.0.0.7:52350\",6745a1f2.7a6c,3,\"idle\",2026-11-26 14:08:00 UTC,3/18,0,LOG,00000,\"statement: SELECT 1\",,,,,,,,,\"psql\",\"client backend\",,0"}"#,
            r#"{"severity":"WARNING","textPayload":"Container called exit(1)."}"#,
            r#"{"httpRequest":{"status":429},"severity":"WARNING","textPayload":"The request was aborted because there was no available instance."}"#,
            "The request has been terminated because it has reached the maximum request timeout.",
        ];
        for text in yes {
            assert!(p.is_candidate(text.as_bytes()), "{text}");
        }
        let no: &[&str] = &[
            r#"{"httpRequest":{"requestMethod":"GET","status":200},"severity":"INFO","textPayload":"GET /health 200"}"#,
            "INFO:     10.0.0.1:5000 - \"GET /health HTTP/1.1\" 200 OK",
            r#"{"severity":"WARNING","jsonPayload":{"message":"slow response"}}"#,
            // `Error` alone is no literal: a message that mentions one is no exception line.
            "Redis connection failed: Error 111 connecting to 10.0.0.5:6379. (attempt 2)",
            "2026-11-26 14:02:11.321 UTC [3920] LOG:  duration: 0.210 ms  statement: SELECT 1",
            "",
        ];
        for text in no {
            assert!(!p.is_candidate(text.as_bytes()), "{text}");
        }
    }
}

#[cfg(test)]
mod platform_literals {
    use super::*;

    /// Every built-in platform row that names a literal has it among the candidate
    /// literals: the rows for messages written below ERROR would otherwise never be found.
    #[test]
    fn built_in_row_literals_are_candidate_literals() {
        let classifier = crate::classify::Classifier::builtin();
        let literals: Vec<&str> = classifier.platform().literals().collect();
        assert_eq!(literals.len(), 3, "{literals:?}");
        for literal in literals {
            assert!(CANDIDATE_LITERALS.contains(&literal), "{literal}");
        }
    }

    #[test]
    fn extra_literals_make_candidates() {
        let p = Prefilter::with_literals(1000.0, &["Worker with pid"]);
        assert!(p.is_candidate(b"Worker with pid 7 was terminated due to signal 9"));
        assert!(!Prefilter::default().is_candidate(b"Worker with pid 7 was terminated"));
    }
}
