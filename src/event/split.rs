//! The state of split tracebacks while they are reassembled: an open traceback per stream,
//! a header line waiting for its traceback, the needles that find a stream's entries in
//! raw bytes and the last entry of each stream already used; with the bounds that keep that
//! state small. (A traceback read newest first is held apart, in the `reversed` module.)

use super::model::Event;
use crate::entry::Entry;
use crate::time::Instant;
use crate::traceback::{self, strip_shaped, LineMachine};
use memchr::memmem::Finder;
use std::sync::Arc;

/// An open split traceback keeps at most this many lines (half from its start, half from its
/// end) and this many insertIds (its first ones).
pub(crate) const MAX_LINES: usize = 256;
/// An open split traceback is flushed when this many entries (parsed or skipped) go by
/// without one continuing it, while it still waits for its exception line.
pub(crate) const MAX_IDLE: u64 = 1000;
/// Once it has its exception line, only a chained exception can continue it, and Cloud Run
/// writes those lines in the same burst: a short wait suffices. While anything is open the
/// pipeline parses more entries, so the wait is kept short.
pub(crate) const MAX_IDLE_COMPLETE: u64 = 32;
/// A pending header line waits at most this many entries for its traceback: while it waits
/// every entry is parsed, so the wait is kept short.
pub(crate) const MAX_PENDING_IDLE: u64 = 32;
/// At most this many streams hold an open traceback, a pending header or a traceback read
/// newest first; the oldest is flushed to make room.
pub(crate) const MAX_STREAMS: usize = 64;
/// A traceback read newest first is found by its first frame line that the prefilter lets
/// through; the lines after it (in time), which came before it and were skipped unparsed,
/// are looked back for among at most this many entries before it...
pub(crate) const MAX_LOOKBACK: u64 = 128;
/// ... that start at most this many bytes before it. The reader keeps this much (and a
/// little more) of the input it has gone past.
pub(crate) const LOOKBACK_BYTES: usize = 128 << 10;
/// The bytes a reader keeps before an entry: [`LOOKBACK_BYTES`] and room to find where the
/// entry that starts there begins.
pub(crate) const HISTORY_BYTES: usize = LOOKBACK_BYTES + 1024;

/// A traceback split over single-line entries, still collecting lines.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Open {
    pub(super) stream: u64,
    #[serde(with = "needle_names")]
    pub(super) needle: Needle,
    /// The per-line prefix (`web-1  | `, a timestamp) its header carried; lines of the same
    /// shape continue it, others belong to someone else.
    pub(super) prefix: String,
    /// Whether a line after the header confirmed the prefix. A log record's level prefix
    /// (`ERROR:    Traceback ...` from uvicorn) stands on the header line only; a compose or
    /// timestamp prefix stands on every line. The second line tells which.
    pub(super) prefix_known: bool,
    pub(super) machine: LineMachine,
    /// Starts at the first entry (the header line's, when one came first).
    pub(super) event: Event,
    /// The first `MAX_LINES / 2` lines, each ended by `\n` (one buffer: a string per line
    /// was the most frequent allocation of a run with split tracebacks).
    pub(super) head: String,
    pub(super) head_lines: usize,
    /// The last `MAX_LINES / 2` lines after those, and how many fell out between.
    pub(super) tail: std::collections::VecDeque<String>,
    pub(super) omitted: u64,
    /// The tick of the entry that last continued it.
    pub(super) last: u64,
    /// The time of its first and latest lines: a line of its stream earlier than the latest
    /// one does not continue it (the stream is read newest first there).
    pub(super) first_time: Option<Instant>,
    pub(super) last_time: Option<Instant>,
    /// The tick of the last line of its start's timestamp (its start line, unless lines
    /// tie with it), and the prefix its start line carried: a header read after it (newest
    /// first) joins it as a pending one would have, reading forwards, within as many entries.
    pub(super) started: u64,
    pub(super) start_prefix: String,
    /// A header line joined it.
    pub(super) has_header: bool,
    /// It started at a frame, its header lost (issue 21's layouts): no header joins it,
    /// read forwards or after it.
    pub(super) headerless: bool,
    /// A traceback whole in one entry, which no line continues: it waits only for a header
    /// read after it (newest first), as long as a header waits for its traceback.
    pub(super) whole: bool,
    /// A header read after it (newest first), waiting for the lines before it to tell
    /// whether it is the exception line of a traceback before (see `Probe`); while it
    /// waits, no line continues this traceback.
    pub(super) late: Option<Late>,
}

/// A header line read after the traceback it may start: its event (as a pending header's),
/// its text without the traceback's prefix, its time and tick, and what decides it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Late {
    pub(super) event: Event,
    pub(super) own: String,
    pub(super) time: Option<Instant>,
    pub(super) tick: u64,
    pub(super) probe: super::reversed::Probe,
}

impl Open {
    /// Keeps a line: the first half of the budget from the start, the rest as a window over
    /// the end, so a runaway traceback stays one event in bounded memory.
    pub(super) fn keep(&mut self, line: &str) {
        if self.head_lines < MAX_LINES / 2 {
            self.head.push_str(line);
            self.head.push('\n');
            self.head_lines += 1;
            return;
        }
        if self.tail.len() >= MAX_LINES / 2 {
            self.tail.pop_front();
            self.omitted += 1;
        }
        self.tail.push_back(line.to_string());
    }

    /// The last tick at which it still waits for a continuation (see `idle_limit`).
    pub(super) fn expires_after(&self) -> u64 {
        self.last + self.idle_limit()
    }

    pub(super) fn idle_limit(&self) -> u64 {
        if self.late.is_some() {
            // The header read late may be the exception line of a traceback before, which
            // waited that long for it.
            MAX_IDLE
        } else if self.whole {
            MAX_PENDING_IDLE
        } else if self.machine.complete() {
            MAX_IDLE_COMPLETE
        } else {
            MAX_IDLE
        }
    }

    /// Joins the header read after it.
    pub(super) fn join_late(&mut self) {
        let Some(late) = self.late.take() else {
            return;
        };
        let mut header = late.event;
        header.insert_ids.append(&mut self.event.insert_ids);
        header.insert_ids.truncate(MAX_LINES);
        header.severity = header.severity.max(self.event.severity);
        header.text = late.own;
        header.kind = super::model::EventKind::Traceback;
        self.event = header;
        self.has_header = true;
        self.first_time = late.time;
    }

    /// The event of the lines it collected; `None` for a traceback that lost its header and
    /// never took the shape of one (its lines were something else, and no event).
    pub(super) fn into_event(mut self) -> Option<Event> {
        if self.machine.tentative() {
            return None;
        }
        // Nothing came before the header read after it: it joins.
        self.join_late();
        let mut event = self.event;
        if !event.text.is_empty() {
            event.text.push('\n');
        }
        let mut lines = self.head;
        if self.omitted > 0 {
            lines.push_str(&elision(self.omitted));
            lines.push('\n');
        }
        for line in self.tail {
            lines.push_str(&line);
            lines.push('\n');
        }
        event.text.push_str(without_blank_tail(&lines));
        event.traceback = traceback::parse(&event.text);
        Some(event)
    }
}

/// `lines` (each ended by `\n`) without the `\n` of its last line and without the blank
/// lines at its end.
pub(super) fn without_blank_tail(lines: &str) -> &str {
    let mut end = lines.len();
    while let Some(text) = lines.get(..end) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let start = text.rfind('\n').map_or(0, |i| i + 1);
        match text.get(start..) {
            Some(last) if last.trim().is_empty() && !text.is_empty() => end = start,
            _ => return text,
        }
    }
    ""
}

/// An error-level single-line entry that may be the header of a traceback in the next line
/// of its stream.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Pending {
    pub(super) stream: u64,
    #[serde(with = "needle_names")]
    pub(super) needle: Needle,
    pub(super) event: Event,
    pub(super) tick: u64,
    /// The entry's time: a start line earlier than it is not its traceback (the stream is
    /// read newest first there, and the header may yet be a line of a traceback before).
    pub(super) time: Option<Instant>,
    /// Its text could follow a frame or an exception line: read newest first, it may be a
    /// traceback's newest line, whose frames are still to come, and which a lookback from
    /// them takes. It waits [`MAX_LOOKBACK`] entries for that; as a header, no longer than
    /// [`MAX_PENDING_IDLE`].
    pub(super) tail: bool,
    /// Lines that went on with the record's message (celery's `Trying again in 4.00
    /// seconds...`): part of the header if a traceback follows them.
    pub(super) held: Vec<String>,
}

impl Pending {
    /// The last tick at which it still waits for its traceback.
    pub(super) fn expires_after(&self) -> u64 {
        self.tick + self.idle_limit()
    }

    /// How many entries it waits after its own (see `tail`).
    pub(super) fn idle_limit(&self) -> u64 {
        if self.tail {
            MAX_LOOKBACK
        } else {
            MAX_PENDING_IDLE
        }
    }
}

/// The input line of the last entry of each stream that an event used or an open
/// traceback took: looking back, a stream's entries at or before it are not taken again.
/// The most recently used streams are kept (a lookback goes back [`MAX_LOOKBACK`] entries).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Floors(Vec<(u64, u64)>);

impl Floors {
    /// Notes that `line` of `stream` was used.
    pub(super) fn set(&mut self, stream: u64, line: u64) {
        match self.0.iter().position(|(s, _)| *s == stream) {
            Some(i) => {
                let (_, old) = self.0.remove(i);
                self.0.push((stream, old.max(line)));
            }
            None => {
                if self.0.len() >= 4 * MAX_STREAMS {
                    self.0.remove(0);
                }
                self.0.push((stream, line));
            }
        }
    }

    /// The last line of `stream` used, if it is remembered.
    pub(super) fn of(&self, stream: u64) -> Option<u64> {
        self.0.iter().find(|(s, _)| *s == stream).map(|(_, l)| *l)
    }

    pub(super) fn shift(&mut self, offset: u64) {
        for (_, line) in &mut self.0 {
            *line += offset;
        }
    }

    /// Takes in the floors of the assembler this one goes on from (its own are later).
    pub(super) fn inherit(&mut self, earlier: Floors) {
        let mine = std::mem::replace(&mut self.0, earlier.0);
        for (stream, line) in mine {
            self.set(stream, line);
        }
    }
}

/// A pending header holds at most this many lines of its message: a record's message that
/// runs longer before its traceback is not waited for.
pub(super) const MAX_HELD: usize = 2;

/// The previous entry of a stream, when it was an exception line and nothing else: a
/// traceback that follows it without a header may have printed it first (Sentry).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Before {
    pub(super) stream: u64,
    /// The tick of its entry: only the very next entry may take it.
    pub(super) tick: u64,
    /// An event started at its entry, whose text is the line.
    pub(super) event: Event,
}

/// Finds a stream's `instanceId` and `logName` in an entry's raw bytes, so that while a
/// split traceback is open only the entries of its stream need parsing (an instance's request
/// log and stdout are other streams). `None` when the stream has no plain instance id (plain
/// text, or an id that JSON would escape): then every entry may continue it.
pub(super) type Needle = Option<Arc<[Finder<'static>]>>;

/// A [`Needle`] saved as the names it looks for (the log name's last segment and the
/// instance id, as built by [`Needles::of`], or `null`); the finders are built again when
/// it is read.
pub(super) mod needle_names {
    use super::Needle;
    use memchr::memmem::Finder;

    pub(in crate::event) fn serialize<S: serde::Serializer>(
        n: &Needle,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let names: Option<Vec<String>> = n.as_ref().map(|finders| {
            finders
                .iter()
                .map(|f| String::from_utf8_lossy(f.needle()).into_owned())
                .collect()
        });
        serde::Serialize::serialize(&names, s)
    }

    pub(in crate::event) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Needle, D::Error> {
        let names: Option<Vec<String>> = serde::Deserialize::deserialize(d)?;
        Ok(names.map(|names| {
            names
                .iter()
                .map(|n| Finder::new(n.as_bytes()).into_owned())
                .collect()
        }))
    }
}

/// The needles of the streams seen last, oldest first. A stream opens tracebacks and headers
/// again and again, and building the finders of a hundred-digit instance id cost more than
/// the searches with them: 3% of a run with 20% failures.
#[derive(Debug, Default)]
pub(super) struct Needles(pub(super) Vec<(Option<Box<str>>, Box<str>, Needle)>);

thread_local! {
    /// One cache per thread, kept across the assemblers it makes: the parallel path makes a
    /// fresh one for each block and re-scan, and building the same few streams' finders
    /// again for each took 2.3% of a two-thread run over 256 MiB. A needle depends on its
    /// entry's names alone, so where it was built never shows in a result.
    static NEEDLES: std::cell::RefCell<Needles> = std::cell::RefCell::default();
}

/// The needle of `entry`'s stream, from this thread's cache ([`Needles::of`]).
pub(super) fn needle_of(entry: &Entry<'_>) -> Needle {
    NEEDLES.with_borrow_mut(|needles| needles.of(entry))
}

impl Needles {
    pub(super) fn of(&mut self, entry: &Entry<'_>) -> Needle {
        let plain = |s: &&str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:%/".contains(&b))
        };
        // Looked up before the names are checked: an instance id may be a hundred digits,
        // and only plain names are kept.
        let id = entry.instance_id.as_deref()?;
        // A `/` may be written `\/` in JSON: the needle is the log name's last segment, which
        // has none and tells `stderr` from `requests` (`projects/p/logs/run.googleapis.com%2Fstderr`).
        let log = entry.log_name.as_deref().and_then(|l| l.rsplit('/').next());
        let seen = self.0.iter().find(|(l, i, _)| {
            &**i == id
                && match l {
                    Some(l) => log == Some(&**l),
                    None => !log.is_some_and(|l| plain(&l)),
                }
        });
        if let Some((_, _, needle)) = seen {
            return needle.clone();
        }
        if !plain(&id) {
            return None;
        }
        let log = log.filter(plain);
        // The log name goes first: most entries are of other logs, and its `%` is rare in
        // JSON, where an instance id's hex digits are not.
        let finders = log.into_iter().chain([id]);
        let needle: Needle = Some(finders.map(|s| Finder::new(s).into_owned()).collect());
        if self.0.len() >= MAX_STREAMS {
            self.0.remove(0);
        }
        self.0
            .push((log.map(Box::from), Box::from(id), needle.clone()));
        needle
    }
}

/// The longest part of the header's `prefix` that the second line also carries (by shape)
/// and behind which that line continues the traceback: `backend-1  | ` of
/// `backend-1  | ERROR:    `, or nothing of uvicorn's `ERROR:    `.
pub(super) fn confirm_prefix(prefix: &str, line: &str, machine: &LineMachine) -> Option<usize> {
    (0..=prefix.len())
        .rev()
        .filter(|&k| prefix.is_char_boundary(k))
        .find(|&k| {
            let shorter = prefix.get(..k).unwrap_or("");
            strip_shaped(shorter, line).is_some_and(|rest| machine.clone().feed(rest))
        })
}

/// A traceback's text with at most [`MAX_LINES`] lines: a 16 MiB entry of frames keeps its
/// first and last `MAX_LINES / 2` lines around a `...<N lines>...` line, as a split one does,
/// so that one entry cannot make the event (and its parse) many times its own size.
pub(super) fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    // `text.lines().count()`, by a vectorized count of line ends: every traceback whole in
    // one entry is measured, and a search per line cost 220 instructions an event.
    let bytes = text.as_bytes();
    let unended = !bytes.is_empty() && !bytes.ends_with(b"\n");
    let total = memchr::memchr_iter(b'\n', bytes).count() + usize::from(unended);
    if total <= MAX_LINES {
        return std::borrow::Cow::Borrowed(text);
    }
    let half = MAX_LINES / 2;
    let mut out: Vec<String> = text.lines().take(half).map(str::to_string).collect();
    out.push(elision(total - 2 * half));
    out.extend(text.lines().skip(total - half).map(str::to_string));
    std::borrow::Cow::Owned(out.join("\n"))
}

/// The line that stands for `omitted` lines left out of a long traceback, as CPython 3.13
/// writes it under a frame.
pub(super) fn elision(omitted: impl std::fmt::Display) -> String {
    format!("    ...<{omitted} lines>...")
}

/// A header-able line read after a traceback whole in one entry, earlier than it: it joins
/// the traceback (as a header waiting for it would have, read forwards) only if no entry of
/// its stream lies between them; those were not parsed, and a walk back looks for one.
#[derive(Debug)]
pub(crate) struct Gap {
    pub(super) stream: u64,
    pub(super) needle: Needle,
    /// The whole traceback's input line.
    pub(super) until: u64,
    pub(super) entry: Entry<'static>,
    pub(super) time: Instant,
    pub(super) candidate: bool,
}
