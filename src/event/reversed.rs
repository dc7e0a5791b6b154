//! A split traceback read newest first: its lines, collected per stream as they come (each
//! one earlier in time than the one before), to be put back in time order and replayed
//! through the forward assembly once the line that starts it has come.
//!
//! # Time order
//!
//! A stream's entries are taken in the order of their timestamps (read as instants, see the
//! `time` module); entries that share a timestamp keep the order the input gives them,
//! and one such tie is a block: newest first, a traceback whose lines share one timestamp
//! comes as one block in its own order. A reversed run is held as the lines put in time
//! order so far and the tie block still coming (lines of one timestamp, earlier than all the
//! others), which is checked as a whole when an earlier line ends it.
//!
//! # What a reversed run takes
//!
//! Read from its newest line back, a traceback is: message lines and the exception line, the
//! innermost frame's lines (indented), more frames, the `Traceback (most recent call last):`
//! line; for a chain, before that a separator sentence (blank lines around it) and the
//! previous traceback's message, exception line and frames; and before the first
//! traceback's start, perhaps the log record's header line (`ERROR:    Exception in ASGI
//! application`, gunicorn's `[ERROR] Exception in worker process`) that joins it as it joins
//! a traceback read forwards. A [`Region`] follows that shape backwards; the first line that
//! does not fit ends the run (the line is then an entry of its own), except inside the
//! frames, where a line that fits nowhere is another thread's print and is passed over, as a
//! forward traceback passes over it before its exception line. An exception line among the
//! frames ends the run there: read forwards it would have ended a traceback before it, and
//! the frames before it are that traceback's. The replay through the forward assembly
//! decides the rest exactly as reading forwards would.
//!
//! Between the start and its header, up to `MAX_HELD` lines that may go on with the
//! header's message (celery's `Trying again in 4.00 seconds...`) are held until the line
//! before them tells: a header whose message they continue takes them, as reading forwards
//! it holds them; anything else ends the run before them.
//!
//! A header-able line before the start is taken only when the line before it is no frame:
//! when every line has an error severity (GKE's stderr), the exception line of a traceback
//! just before looks like a header too, and reading forwards it would end that traceback.

use super::split::{Needle, MAX_HELD, MAX_IDLE_COMPLETE, MAX_LINES};
use crate::entry::{Entry, Severity};
use crate::text::continues_record;
use crate::time::Instant;
use crate::traceback::{start_at, strip_shaped, LineMachine, CAUSE, CONTEXT};
use std::collections::VecDeque;

/// One single-line entry of a reversed run.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Line {
    #[serde(with = "crate::entry::saved")]
    pub(super) entry: Entry<'static>,
    pub(super) time: Instant,
    /// The assembler's tick when it came (looked-back lines: counted back from the entry
    /// that opened the run), for the idle bounds of the replay.
    pub(super) tick: u64,
    /// Reading forwards, it would wait as the header of a traceback in the next line (an
    /// error-level single line of `textPayload`).
    pub(super) header: bool,
    /// The prefilter picked it (see `Assembler::push_entry`).
    pub(super) candidate: bool,
    /// Reading forwards, it could be held with a waiting header as more of its message (no
    /// level, no event by itself, no exception line; see `Pending::held`).
    pub(super) holdable: bool,
}

impl Line {
    fn text(&self) -> &str {
        self.entry
            .message()
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    fn class(&self) -> Class {
        class(self.text())
    }
}

/// What a line is to the shape of a traceback read backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `Traceback (most recent call last):`, behind a prefix or not, and the top header of
    /// an exception group.
    Start,
    /// Indented: frames, source and caret lines, group margins, a SyntaxError's location.
    Frame,
    /// One of the two chain sentences.
    Separator,
    Blank,
    /// Anything else: exception lines, message lines, log lines.
    Other,
}

fn class(line: &str) -> Class {
    let t = line.trim();
    if t.is_empty() {
        return Class::Blank;
    }
    if t == CAUSE || t == CONTEXT {
        return Class::Separator;
    }
    let start = start_at(line);
    if line.starts_with([' ', '\t']) {
        if start == Some(0) && t.starts_with("+ Exception Group") {
            return Class::Start;
        }
        return Class::Frame;
    }
    if start.is_some() {
        Class::Start
    } else {
        Class::Other
    }
}

/// Whether `line` (of an entry that has no open traceback in its stream) is a frame of a
/// traceback whose earlier lines may still come: an indented `File "..."` line.
pub(super) fn is_frame(line: &str) -> bool {
    line.starts_with([' ', '\t']) && line.trim_start().starts_with("File \"")
}

/// A frame line, to ask the line machine what may follow one.
const FRAME: &str = "  File \"<frame>\", line 1, in f";

/// Whether `line` could be a traceback's newest line: the line machine takes it after a
/// frame (an exception line, a source line) or after an exception line (a message line).
pub(super) fn may_end_traceback(line: &str) -> bool {
    let after = |lines: &[&str]| {
        LineMachine::start("Traceback (most recent call last):")
            .is_some_and(|mut m| lines.iter().all(|l| m.feed(l)) && m.feed(line))
    };
    after(&[FRAME]) || after(&[FRAME, "Error: e"])
}

/// Whether the line machine takes `line` after a frame as the exception line that ends the
/// frames: read forwards, frames after it start another traceback.
fn ends_frames(line: &str) -> bool {
    LineMachine::start("Traceback (most recent call last):")
        .is_some_and(|mut m| m.feed(FRAME) && m.feed(line) && m.complete())
}

/// Whether a header-able line read just before a traceback's start (newest first) is its
/// header, or the exception or message line of a traceback before it, as GKE's stderr
/// makes every line error-level: the lines read next (earlier) decide. Message and
/// exception lines are read on; a frame then decides by the line machine, fed that frame and
/// the lines after it up to the header-able one (all of them taken: a traceback before,
/// which reading forwards would have kept them); anything else makes it the header.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Probe {
    /// The header-able line, then the lines read before it, the latest first; with the
    /// ticks they came at (the gaps between them are the same read forwards).
    lines: Vec<(String, u64)>,
}

/// What a [`Probe`] says of its header-able line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The start's header.
    Header,
    /// A line of a traceback before.
    Tail,
    /// Not yet told.
    Wait,
}

impl Probe {
    pub(super) fn new(header: &str, tick: u64) -> Self {
        Probe {
            lines: vec![(header.to_string(), tick)],
        }
    }

    /// The next line read, earlier than the ones before, at `tick`.
    pub(super) fn before(&mut self, line: &str, tick: u64) -> Verdict {
        match class(line) {
            Class::Frame if self.continue_after(line, tick) => Verdict::Tail,
            Class::Frame => Verdict::Header,
            Class::Other | Class::Blank if self.lines.len() <= MAX_IDLE_COMPLETE as usize => {
                self.lines.push((line.to_string(), tick));
                Verdict::Wait
            }
            _ => Verdict::Header,
        }
    }

    /// Whether a traceback at `frame` would have gone on to the header-able line, read
    /// forwards: each line taken, each within the wait of the traceback before it.
    fn continue_after(&self, frame: &str, tick: u64) -> bool {
        let Some(mut machine) = LineMachine::start("Traceback (most recent call last):") else {
            return false;
        };
        if !machine.feed(frame) {
            return false;
        }
        let mut last = tick;
        self.lines.iter().rev().all(|(text, at)| {
            let limit = if machine.complete() {
                MAX_IDLE_COMPLETE
            } else {
                super::split::MAX_IDLE
            };
            let within = at.abs_diff(last) <= limit;
            last = *at;
            within && machine.feed(text)
        })
    }
}

/// Where a reversed run is, read backwards: what the next (earlier) line may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum Region {
    /// After the newest lines: message lines, the exception line (and for a chain, the
    /// lines between the separator and a traceback's frames).
    Message,
    /// Among frames: more frames or the start.
    Stack,
    /// After the start: blank lines, a separator, a header, lines held for a header.
    Start,
    /// After lines held for a header: more of them, or the header.
    Held,
    /// After blank lines before the start: more of them or a separator.
    Gap,
}

/// What a reversed run does with a line offered to it.
#[derive(Debug)]
pub(super) enum Offer {
    /// Taken (as part of the tie block, checked when the block is complete). `passed`, in
    /// input order, are lines it held and passed over after all: entries of their own.
    Taken { passed: Vec<Line> },
    /// The run ends before the offered line. `released`, in input order, are lines it held
    /// but did not take: entries of their own, as the offered line is (it is not kept).
    Ends { released: Vec<Line> },
}

/// A split traceback being read newest first.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Reversed {
    pub(super) stream: u64,
    #[serde(with = "super::split::needle_names")]
    pub(super) needle: Needle,
    /// Lines checked, in time order (the earliest first): at most `MAX_LINES + 1`, the
    /// earliest `MAX_LINES / 2 + 1` and the latest `MAX_LINES / 2`, as a forward traceback
    /// keeps its first and last lines.
    kept: VecDeque<Line>,
    /// The tie block: lines of one timestamp, earlier than all of `kept`, in input order.
    block: Vec<Line>,
    /// Lines left out of the middle of `kept`, their insertIds (the earliest first, up to
    /// `MAX_LINES`) and their highest level.
    pub(super) omitted: u64,
    omitted_ids: VecDeque<String>,
    omitted_level: Severity,
    region: Region,
    /// A header-able line before the start, with the lines read before it while they do
    /// not yet tell whether it is the start's header (see [`Probe`]).
    maybe_header: Option<(Line, Probe, Vec<Line>)>,
    /// Lines between the start and a header that may go on with the header's message, the
    /// latest first: kept only with a header that takes them.
    held: Vec<Line>,
    /// The tick of the last line offered to it.
    pub(super) last: u64,
}

/// A reversed run in time order, for the replay: its lines, and after the first `omit_at`
/// of them the lines left out of a runaway run.
#[derive(Debug)]
pub(super) struct Replay {
    pub(super) lines: Vec<Line>,
    pub(super) omit_at: usize,
    pub(super) omitted: u64,
    pub(super) omitted_ids: Vec<String>,
    pub(super) omitted_level: Severity,
}

impl Reversed {
    /// A run that starts (reading backwards) at `first`, a frame line; `tail`, in time
    /// order, are the lines after it that were looked back for.
    pub(super) fn new(stream: u64, needle: Needle, first: Line, tail: Vec<Line>) -> Self {
        let mut run = Reversed {
            stream,
            needle,
            kept: VecDeque::new(),
            block: Vec::new(),
            omitted: 0,
            omitted_ids: VecDeque::new(),
            omitted_level: Severity::Default,
            region: Region::Message,
            maybe_header: None,
            held: Vec::new(),
            last: first.tick,
        };
        for line in tail {
            run.keep_latest(line);
        }
        if let Some(front) = run.kept.front() {
            run.region = after(front.class(), Region::Message);
        }
        run.block.push(first);
        run
    }

    /// The latest line, the one a traceback read forwards ends with: where a line of a tie
    /// block goes after its earlier lines.
    fn block_time(&self) -> Option<Instant> {
        self.block.first().map(|l| l.time)
    }

    /// The last tick at which it still waits for its next (earlier) line (see
    /// `idle_limit`).
    pub(super) fn expires_after(&self) -> u64 {
        self.last + self.idle_limit()
    }

    /// How long it waits for its next (earlier) line: as long as a forward traceback waits
    /// after that line. After a chain's separator (the earlier line ends an exception),
    /// [`MAX_IDLE_COMPLETE`]; before frames, a start, a message line or a header-able line
    /// (the earlier line may be a frame, the header-able one an exception line waited for),
    /// `MAX_IDLE`. The replay then flushes where reading forwards would have.
    pub(super) fn idle_limit(&self) -> u64 {
        let earliest = self.block.first().or(self.kept.front());
        if self.maybe_header.is_none() && earliest.is_some_and(|l| l.class() == Class::Separator) {
            MAX_IDLE_COMPLETE
        } else {
            super::split::MAX_IDLE
        }
    }

    /// Shifts the input lines of the lines it holds.
    pub(super) fn shift_lines(&mut self, offset: u64) {
        let lines = self.kept.iter_mut().chain(&mut self.block);
        for line in lines.chain(&mut self.held) {
            line.entry.line += offset;
        }
        if let Some((header, _, before)) = &mut self.maybe_header {
            for line in std::iter::once(header).chain(before) {
                line.entry.line += offset;
            }
        }
    }

    /// Offers the next line of its stream (earlier in the input than every line it holds).
    pub(super) fn offer(&mut self, line: Line) -> Offer {
        self.last = line.tick;
        let block = self.block_time();
        match block {
            Some(block) if line.time == block && self.block.len() <= MAX_LINES => {
                self.block.push(line);
                Offer::Taken { passed: Vec::new() }
            }
            Some(block) if line.time < block => {
                let (released, ended) = self.settle();
                if ended {
                    return Offer::Ends { released };
                }
                self.block.push(line);
                Offer::Taken { passed: released }
            }
            // Later than its earliest line (not read newest first here), a runaway tie
            // block, or a run already whole.
            _ => {
                let (mut released, _) = self.settle();
                released.extend(self.take_header());
                released.sort_by_key(|l| l.tick);
                Offer::Ends { released }
            }
        }
    }

    /// Checks the tie block, its latest line first, and keeps what fits. Returns the lines
    /// held but not kept, in input order, and whether the run ends (before the block's
    /// first line that did not fit); lines passed over among frames do not end it.
    pub(super) fn settle(&mut self) -> (Vec<Line>, bool) {
        let mut block = std::mem::take(&mut self.block);
        let mut released = Vec::new();
        let mut ended = false;
        while let Some(line) = block.pop() {
            if let Some((header, mut probe, mut before)) = self.maybe_header.take() {
                match probe.before(line.text(), line.tick) {
                    Verdict::Wait => {
                        before.push(line);
                        self.maybe_header = Some((header, probe, before));
                        continue;
                    }
                    // The exception or message line of a traceback before: no header.
                    Verdict::Tail => {
                        released.push(header);
                        released.append(&mut self.held);
                    }
                    Verdict::Header => self.keep_header(header),
                }
                released.extend(before);
                block.push(line);
                ended = true;
                break;
            }
            match step(self.region, &line, self.kept.front(), &self.held) {
                Step::Take(region) => {
                    self.region = region;
                    self.keep_earliest(line);
                }
                Step::Header => {
                    let probe = Probe::new(line.text(), line.tick);
                    self.maybe_header = Some((line, probe, Vec::new()));
                }
                Step::Hold => {
                    self.region = Region::Held;
                    self.held.push(line);
                }
                Step::Pass => released.push(line),
                Step::End => {
                    // Lines held for a header that did not come are entries of their own.
                    released.append(&mut self.held);
                    block.push(line);
                    ended = true;
                    break;
                }
            }
        }
        released.extend(block);
        released.sort_by_key(|l| l.tick);
        (released, ended)
    }

    /// Takes the header-able line still undecided as the start's header (nothing before it
    /// made it a line of a traceback before); gives back the lines read before it.
    fn take_header(&mut self) -> Vec<Line> {
        match self.maybe_header.take() {
            Some((header, _, before)) => {
                self.keep_header(header);
                before
            }
            None => std::mem::take(&mut self.held),
        }
    }

    /// Keeps the start's header, and the lines held between them.
    fn keep_header(&mut self, header: Line) {
        for line in std::mem::take(&mut self.held) {
            self.keep_earliest(line);
        }
        self.keep_earliest(header);
    }

    /// Keeps an earlier line: the earliest part grows, and past the bound the line next to
    /// the middle is left out.
    fn keep_earliest(&mut self, line: Line) {
        self.kept.push_front(line);
        if self.kept.len() > MAX_LINES + 1 {
            if let Some(out) = self.kept.remove(MAX_LINES / 2 + 1) {
                self.omit(out, true);
            }
        }
    }

    /// Keeps a later line (a looked-back one), likewise.
    fn keep_latest(&mut self, line: Line) {
        self.kept.push_back(line);
        if self.kept.len() > MAX_LINES + 1 {
            if let Some(out) = self.kept.remove(MAX_LINES / 2 + 1) {
                self.omit(out, false);
            }
        }
    }

    fn omit(&mut self, line: Line, earliest: bool) {
        self.omitted += 1;
        self.omitted_level = self.omitted_level.max(line.entry.level());
        let id = line.entry.insert_id.as_deref().map(str::to_string);
        match (id, earliest) {
            (Some(id), true) => {
                self.omitted_ids.push_front(id);
                self.omitted_ids.truncate(MAX_LINES);
            }
            (Some(id), false) if self.omitted_ids.len() < MAX_LINES => {
                self.omitted_ids.push_back(id);
            }
            _ => {}
        }
    }

    /// Its lines in time order, the tie block checked; the lines it held but did not
    /// keep come back apart, in input order.
    pub(super) fn into_replay(mut self) -> (Replay, Vec<Line>) {
        let (mut released, _) = self.settle();
        released.extend(self.take_header());
        released.sort_by_key(|l| l.tick);
        let omit_at = if self.omitted > 0 {
            MAX_LINES / 2 + 1
        } else {
            0
        };
        let replay = Replay {
            lines: self.kept.into(),
            omit_at,
            omitted: self.omitted,
            omitted_ids: self.omitted_ids.into(),
            omitted_level: self.omitted_level,
        };
        (replay, released)
    }
}

/// What a region does with the next earlier line.
enum Step {
    Take(Region),
    /// A header-able line before the start: taken if the line before it is no frame.
    Header,
    /// A line between the start and its header, held for the header (see `Reversed::held`).
    Hold,
    /// Passed over (among frames); the run goes on.
    Pass,
    /// The run ends before it.
    End,
}

/// `front` is the earliest line taken so far, `held` the lines held for a header.
fn step(region: Region, line: &Line, front: Option<&Line>, held: &[Line]) -> Step {
    let class = line.class();
    let header = line.header && front.is_some_and(|f| joins(line.text(), f.text()));
    match region {
        Region::Message => match class {
            Class::Start | Class::Separator => Step::End,
            // An indented line may go on the message (a tab-indented hint): only a frame
            // line says the frames have begun.
            Class::Frame if !is_frame(line.text()) => Step::Take(Region::Message),
            _ => Step::Take(after(class, region)),
        },
        Region::Stack => match class {
            Class::Frame => Step::Take(Region::Stack),
            Class::Start => Step::Take(Region::Start),
            Class::Other if ends_frames(line.text()) => Step::End,
            _ => Step::Pass,
        },
        Region::Start => match class {
            Class::Blank => Step::Take(Region::Gap),
            Class::Separator => Step::Take(Region::Message),
            _ if header => Step::Header,
            Class::Other if line.holdable => Step::Hold,
            _ => Step::End,
        },
        Region::Held => match class {
            _ if header && held.iter().all(|h| continues_record(line.text(), h.text())) => {
                Step::Header
            }
            Class::Other if line.holdable && held.len() < MAX_HELD => Step::Hold,
            _ => Step::End,
        },
        Region::Gap => match class {
            Class::Blank => Step::Take(Region::Gap),
            Class::Separator => Step::Take(Region::Message),
            _ => Step::End,
        },
    }
}

/// The region after a line of `class` taken in `region`.
fn after(class: Class, region: Region) -> Region {
    match class {
        Class::Frame => Region::Stack,
        Class::Start => Region::Start,
        Class::Separator | Class::Other => Region::Message,
        Class::Blank if region == Region::Start || region == Region::Gap => Region::Gap,
        Class::Blank => Region::Message,
    }
}

/// Whether `header` (a header-able line) would join a traceback that starts with `start`,
/// read forwards: it must carry the start line's prefix, shaped alike.
fn joins(header: &str, start: &str) -> bool {
    let Some(at) = start_at(start) else {
        return false;
    };
    strip_shaped(start.get(..at).unwrap_or(""), header).is_some()
}
