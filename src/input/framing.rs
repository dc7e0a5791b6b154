//! The per-format state machine that frames entries in the reader's buffer.

use super::kernels::{scan_nested_inner, Nest, Stop};
use super::window;
use super::*;
use memchr::memchr;

/// The current line entry, handed to the balanced scanner from its first byte.
fn restart_nested(cur: &Cur) -> Cur {
    Cur {
        mode: Mode::Nested { ndjson: true },
        at: 0,
        nest: Nest::default(),
        ..*cur
    }
}

/// Scans `hay` for the end of a balanced JSON value, resuming from `nest`.
pub(super) fn scan_nested(hay: &[u8], nest: &mut Nest, ndjson: bool) -> Stop {
    // Work on a copy, so the state lives in registers in the hot loop.
    let mut st = *nest;
    let stop = if ndjson {
        scan_nested_inner(hay, &mut st, true)
    } else {
        window::scan_array_value(hay, &mut st)
    };
    *nest = st;
    stop
}

impl<R: Read> Reader<R> {
    /// One step of the state machine.
    pub(super) fn step(&mut self) -> io::Result<Flow> {
        if let Some(cur) = self.cur {
            return self.continue_entry(cur);
        }
        match self.phase {
            Phase::Start => self.detect(),
            Phase::Text => {
                if self.buffer().is_empty() && !self.fill()? {
                    self.phase = Phase::Done;
                } else {
                    self.begin(Mode::Text);
                }
                Ok(Flow::Again)
            }
            Phase::Ndjson => {
                match self.skip_ws()? {
                    None => self.phase = Phase::Done,
                    Some(b'{') => self.begin(Mode::NdjsonLine),
                    Some(_) => self.begin(Mode::Junk),
                }
                Ok(Flow::Again)
            }
            Phase::ArrayElem => self.array_elem(),
            Phase::ArraySep => {
                match self.skip_ws()? {
                    None => self.phase = Phase::Done,
                    Some(b',') => {
                        self.consume(1, 0);
                        self.phase = Phase::ArrayElem;
                    }
                    Some(b']') => {
                        self.consume(1, 0);
                        self.phase = Phase::ArrayEnd;
                    }
                    // A missing `,`: take what follows as the next element.
                    Some(_) => self.phase = Phase::ArrayElem,
                }
                Ok(Flow::Again)
            }
            Phase::ArrayEnd => {
                match self.skip_ws()? {
                    None => self.phase = Phase::Done,
                    // `cat a.json b.json`: arrays one after another.
                    Some(b'[') => {
                        self.consume(1, 0);
                        self.phase = Phase::ArrayElem;
                    }
                    Some(_) => self.phase = Phase::Ndjson,
                }
                Ok(Flow::Again)
            }
            Phase::Done => Ok(Flow::Again),
        }
    }

    fn array_elem(&mut self) -> io::Result<Flow> {
        match self.skip_ws()? {
            None => {
                self.phase = Phase::Done;
                self.ended_between_elements = true;
            }
            Some(b']') => {
                self.consume(1, 0);
                self.phase = Phase::ArrayEnd;
            }
            // An empty element (`[,` or `,,`).
            Some(b',') => {
                let line = self.newlines + 1;
                self.consume(1, 0);
                return Ok(Flow::Yield(Out {
                    kind: Kind::Malformed,
                    start: 0,
                    len: 0,
                    line,
                }));
            }
            Some(_) => {
                self.phase = Phase::ArraySep;
                self.begin(Mode::Nested { ndjson: false });
            }
        }
        Ok(Flow::Again)
    }

    /// Starts framing an entry at `pos`.
    fn begin(&mut self, mode: Mode) {
        self.cur = Some(Cur {
            mode,
            line: self.newlines + 1,
            at: 0,
            discarded: 0,
            nest: Nest::default(),
        });
    }

    /// Skips JSON whitespace; returns the next byte (not consumed), `None` at the end.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.buffer();
            match buf.iter().position(|&b| !is_ws(b)) {
                Some(i) => {
                    let next = buf.get(i).copied();
                    self.consume_counting(i);
                    return Ok(next);
                }
                None => {
                    self.consume_counting(buf.len());
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Offset from `pos` of the first non-whitespace byte at or after `from`, without
    /// consuming anything; `None` at the end of the input or past `limit`.
    fn peek_non_ws(&mut self, from: usize) -> io::Result<Option<usize>> {
        let mut from = from;
        loop {
            let buf = self.buffer();
            if let Some(i) = buf
                .get(from..)
                .and_then(|b| b.iter().position(|&c| !is_ws(c)))
            {
                return Ok(Some(from + i));
            }
            from = buf.len();
            if from > self.limit || !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Skips a BOM and decides the format without consuming a text line's bytes.
    fn detect(&mut self) -> io::Result<Flow> {
        while self.buffer().len() < 3 && self.fill()? {}
        if self.buffer().starts_with(b"\xEF\xBB\xBF") {
            self.consume(3, 0);
        }
        let first = loop {
            match self.peek_non_ws(0)? {
                Some(i) => break self.buffer().get(i).copied().map(|b| (i, b)),
                // Whitespace past the look-ahead: consume it and look further.
                None if !self.eof => {
                    let n = self.buffer().len();
                    self.consume_counting(n);
                }
                None => break None,
            }
        };
        let Some((i, b)) = first else {
            self.consume_counting(self.buffer().len());
            self.phase = Phase::Done;
            return Ok(Flow::Again);
        };
        let next = match b {
            b'[' => self
                .peek_non_ws(i + 1)?
                .and_then(|j| self.buffer().get(j).copied()),
            _ => None,
        };
        let format = format_of(b, next);
        self.format = Some(format);
        self.phase = match format {
            Format::Array => {
                self.consume_counting(i + 1);
                Phase::ArrayElem
            }
            Format::Ndjson => Phase::Ndjson,
            Format::Text => Phase::Text,
        };
        Ok(Flow::Again)
    }

    /// Looks for the end of the current entry in the buffer; reads more when it is not there.
    fn continue_entry(&mut self, mut cur: Cur) -> io::Result<Flow> {
        let flow = match cur.mode {
            Mode::Text | Mode::NdjsonLine | Mode::Junk => self.scan_line(&mut cur)?,
            Mode::Nested { ndjson } => self.scan_value(&mut cur, ndjson)?,
        };
        self.cur = match flow {
            Flow::Yield(_) => None,
            Flow::Again => Some(cur),
        };
        Ok(flow)
    }

    /// Line modes: the entry ends at the next `\n` (or the end of the input).
    fn scan_line(&mut self, cur: &mut Cur) -> io::Result<Flow> {
        let hay = self.buffer().get(cur.at..).unwrap_or(&[]);
        let (len, newline) = match memchr(b'\n', hay) {
            Some(i) => (cur.at + i, true),
            None if self.eof => (self.buffer().len(), false),
            None => {
                cur.at = self.buffer().len();
                if cur.at > self.max {
                    if cur.mode == Mode::NdjsonLine {
                        // Too long for the fast path: the balanced scanner decides.
                        *cur = restart_nested(cur);
                        return Ok(Flow::Again);
                    }
                    cur.discarded += cur.at as u64;
                    self.consume(cur.at, 0);
                    cur.at = 0;
                }
                self.fill()?;
                return Ok(Flow::Again);
            }
        };
        let size = cur.discarded + len as u64;
        let line_bytes = self.buffer().get(..len).unwrap_or(&[]);
        let kind = if size > self.max as u64 {
            if cur.mode == Mode::NdjsonLine {
                *cur = restart_nested(cur);
                return Ok(Flow::Again);
            }
            Kind::Oversize
        } else {
            match cur.mode {
                Mode::NdjsonLine => {
                    let t = trim(line_bytes);
                    if !(t.first() == Some(&b'{') && t.last() == Some(&b'}')) {
                        *cur = restart_nested(cur);
                        return Ok(Flow::Again);
                    }
                    Kind::Entry { json: true }
                }
                Mode::Text => Kind::Entry { json: false },
                _ => Kind::Malformed,
            }
        };
        let (off, n) = match cur.mode {
            Mode::Text => (0, len - usize::from(line_bytes.last() == Some(&b'\r'))),
            _ => trim_range(line_bytes),
        };
        let out = Out {
            kind,
            start: self.pos + off,
            len: n,
            line: cur.line,
        };
        if newline {
            self.consume(len + 1, 1);
        } else {
            self.consume(len, 0);
            self.phase = Phase::Done;
        }
        Ok(Flow::Yield(out))
    }

    /// Balanced modes: the entry ends where its value closes.
    fn scan_value(&mut self, cur: &mut Cur, ndjson: bool) -> io::Result<Flow> {
        let hay = self.buffer().get(cur.at..).unwrap_or(&[]);
        let stop = scan_nested(hay, &mut cur.nest, ndjson);
        // (bytes of the entry from `pos`, bytes to consume)
        let (len, take) = match stop {
            Stop::Close(i) => (cur.at + i + 1, cur.at + i + 1),
            Stop::Sep(i) | Stop::LineBrace(i) => (cur.at + i, cur.at + i),
            Stop::StrNewline(i) => (cur.at + i, cur.at + i + 1),
            Stop::More => {
                cur.at = self.buffer().len();
                if self.eof {
                    // A truncated last entry.
                    let size = cur.discarded + cur.at as u64;
                    let kind = if size > self.max as u64 {
                        Kind::Oversize
                    } else {
                        Kind::Malformed
                    };
                    self.consume_counting(cur.at);
                    self.phase = Phase::Done;
                    return Ok(Flow::Yield(Out {
                        kind,
                        start: 0,
                        len: 0,
                        line: cur.line,
                    }));
                }
                if cur.at > self.max {
                    cur.discarded += cur.at as u64;
                    self.consume_counting(cur.at);
                    cur.at = 0;
                }
                self.fill()?;
                return Ok(Flow::Again);
            }
        };
        let bytes = self.buffer().get(..len).unwrap_or(&[]);
        let (off, n) = trim_range(bytes);
        let t = bytes.get(off..off + n).unwrap_or(&[]);
        // The size counts every byte from the entry's start, so that it does not depend on
        // where the buffer was cut.
        let kind = if cur.discarded + len as u64 > self.max as u64 {
            Kind::Oversize
        } else if matches!(stop, Stop::Close(_))
            && t.first() == Some(&b'{')
            && t.last() == Some(&b'}')
        {
            Kind::Entry { json: true }
        } else {
            Kind::Malformed
        };
        let out = Out {
            kind,
            start: self.pos + off,
            len: n,
            line: cur.line,
        };
        // A stray closer at depth 0 is its own (malformed) element: always make progress.
        // (With bytes discarded, progress is made and the stop may sit at offset 0.)
        let take = if take == 0 && cur.discarded == 0 {
            1
        } else {
            take
        };
        self.consume_counting(take);
        Ok(Flow::Yield(out))
    }
}
