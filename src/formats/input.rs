//! Bytes of an import file as the readers take them: physical lines of bounded length,
//! checked as UTF-8 one line at a time, or (for JSON) a byte stream that knows its line
//! and column and stops at the first bad byte or an oversized record. Nothing here ever
//! holds more than one record of the file.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read};
use std::rc::Rc;

/// The longest line (JSON lines, CSV) or record (any format) a reader takes. Events are
/// small; this is a thousand times the size of a long note and still cheap to hold.
pub const MAX_RECORD: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One physical line, without its bytes (they are in the caller's buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// 1-based.
    pub number: usize,
    /// The line's length in bytes, terminator included, counted even when too long.
    pub bytes: u64,
    /// Longer than [`MAX_RECORD`]: the buffer is left empty and the rest skipped.
    pub too_long: bool,
}

/// Physical lines of a file, each ending in `\n` except perhaps the last.
pub struct Lines<R> {
    inner: R,
    number: usize,
}

impl<R: BufRead> Lines<R> {
    pub fn new(inner: R) -> Self {
        Lines { inner, number: 0 }
    }

    /// The next line into `buf` (with its `\n`), reading at most [`MAX_RECORD`] bytes of
    /// it into memory; `None` at the end of the file.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let mut total: u64 = 0;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if buf.len() + take <= MAX_RECORD {
                buf.extend_from_slice(&chunk[..take]);
            } else {
                buf.clear();
                buf.shrink_to(MAX_RECORD);
            }
            total = total.saturating_add(take as u64);
            self.inner.consume(take);
            if done {
                break;
            }
        }
        if total == 0 {
            return Ok(None);
        }
        self.number += 1;
        let too_long = total > MAX_RECORD as u64;
        if self.number == 1 && buf.starts_with(BOM) {
            // Spreadsheet programs like to start UTF-8 files with a byte order mark.
            buf.drain(..BOM.len());
        }
        Ok(Some(Line {
            number: self.number,
            bytes: total,
            too_long,
        }))
    }
}

/// A line as text, or why it is not UTF-8: the 1-based column of its first bad byte and
/// a message naming it (one error per line, however many bad bytes it has).
pub fn utf8(bytes: &[u8]) -> Result<&str, (usize, String)> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text);
    }
    let mut column = 1;
    let mut first: Option<(usize, Vec<u8>)> = None;
    let mut bad = 0usize;
    for chunk in bytes.utf8_chunks() {
        if first.is_none() {
            column += chunk.valid().chars().count();
        }
        if !chunk.invalid().is_empty() {
            bad += 1;
            first.get_or_insert_with(|| (column, chunk.invalid().to_vec()));
        }
    }
    let (column, bytes) = first.unwrap_or((column, Vec::new()));
    Err((column, not_utf8_message(&bytes, bad.saturating_sub(1))))
}

fn not_utf8_message(bytes: &[u8], more: usize) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("0x{b:02X}")).collect();
    let more = match more {
        0 => String::new(),
        n => format!(" (and {n} more on this line)"),
    };
    format!(
        "not UTF-8 text: invalid byte {}{more}; save the file as UTF-8",
        hex.join(" ")
    )
}

/// Why a [`Tracked`] stream stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    NotUtf8 {
        line: usize,
        column: usize,
        message: String,
    },
    /// The record that started at this line grew past [`MAX_RECORD`].
    TooLong { line: usize },
    /// More than [`MAX_RECORD`] bytes outside any record (a huge key or top-level value),
    /// counted from this line.
    TooLongOutside { line: usize },
}

/// Where a [`Tracked`] stream is, shared with the parser's visitors.
#[derive(Debug, Default)]
pub struct Position {
    /// Of the next byte, 1-based; columns count bytes, as serde_json's do.
    pub line: Cell<usize>,
    pub column: Cell<usize>,
    offset: Cell<u64>,
    /// Line and column of the last byte handed out.
    pub last: Cell<(usize, usize)>,
    /// Line and column of the first byte that is not JSON whitespace.
    pub first_token: Cell<Option<(usize, usize)>>,
    record_start: Cell<Option<(u64, usize)>>,
    /// Where the bytes outside records began: the start, or the end of the last record.
    gap_start: Cell<(u64, usize)>,
    pub stop: RefCell<Option<Stop>>,
}

impl Position {
    /// From here on, stop once this record is longer than [`MAX_RECORD`].
    pub fn start_record(&self, line: usize) {
        let start = self.offset.get().saturating_sub(1);
        self.record_start.set(Some((start, line)));
    }

    pub fn end_record(&self) {
        self.record_start.set(None);
        self.gap_start.set((self.offset.get(), self.line.get()));
    }
}

/// A byte stream for serde_json that counts lines and columns, skips a leading byte
/// order mark, and stops at invalid UTF-8 or an oversized record (see [`Position`]).
pub struct Tracked<R> {
    inner: R,
    pos: Rc<Position>,
    started: bool,
    /// An unfinished UTF-8 sequence and where it began.
    pending: Vec<u8>,
    pending_at: (usize, usize),
}

impl<R: BufRead> Tracked<R> {
    pub fn new(inner: R) -> (Self, Rc<Position>) {
        let pos = Rc::new(Position::default());
        pos.line.set(1);
        pos.column.set(1);
        let t = Tracked {
            inner,
            pos: Rc::clone(&pos),
            started: false,
            pending: Vec::new(),
            pending_at: (1, 1),
        };
        (t, pos)
    }

    fn stop(&self, stop: Stop) -> io::Error {
        *self.pos.stop.borrow_mut() = Some(stop);
        io::Error::new(io::ErrorKind::InvalidData, "input stopped")
    }

    /// Checks one byte as part of UTF-8 text.
    fn check(&mut self, b: u8, at: (usize, usize)) -> io::Result<()> {
        if b.is_ascii() && self.pending.is_empty() {
            return Ok(());
        }
        if self.pending.is_empty() {
            self.pending_at = at;
        }
        self.pending.push(b);
        match std::str::from_utf8(&self.pending) {
            Ok(_) => {
                self.pending.clear();
                Ok(())
            }
            Err(e) if e.error_len().is_none() && self.pending.len() < 4 => Ok(()),
            Err(e) => {
                let n = e.error_len().unwrap_or(self.pending.len());
                let bad = self.pending[..n.min(self.pending.len())].to_vec();
                let (line, column) = self.pending_at;
                Err(self.stop(Stop::NotUtf8 {
                    line,
                    column,
                    message: not_utf8_message(&bad, 0),
                }))
            }
        }
    }
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.started = true;
            let head = self.inner.fill_buf()?;
            if head.starts_with(BOM) {
                self.inner.consume(BOM.len());
            }
        }
        let chunk = self.inner.fill_buf()?;
        if chunk.is_empty() {
            if !self.pending.is_empty() {
                let (line, column) = self.pending_at;
                let bad = std::mem::take(&mut self.pending);
                return Err(self.stop(Stop::NotUtf8 {
                    line,
                    column,
                    message: not_utf8_message(&bad, 0),
                }));
            }
            return Ok(0);
        }
        let n = chunk.len().min(out.len());
        out[..n].copy_from_slice(&chunk[..n]);
        self.inner.consume(n);
        let pos = Rc::clone(&self.pos);
        for &b in &out[..n] {
            let at = (pos.line.get(), pos.column.get());
            self.check(b, at)?;
            pos.last.set(at);
            if pos.first_token.get().is_none() && !b" \t\r\n".contains(&b) {
                pos.first_token.set(Some(at));
            }
            if b == b'\n' {
                pos.line.set(at.0 + 1);
                pos.column.set(1);
            } else {
                pos.column.set(at.1 + 1);
            }
            let offset = pos.offset.get() + 1;
            pos.offset.set(offset);
            match pos.record_start.get() {
                Some((start, line)) if offset - start > MAX_RECORD as u64 => {
                    return Err(self.stop(Stop::TooLong { line }));
                }
                Some(_) => {}
                None => {
                    let (start, line) = pos.gap_start.get();
                    if offset - start > MAX_RECORD as u64 {
                        return Err(self.stop(Stop::TooLongOutside { line: line.max(1) }));
                    }
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_counted_not_held() {
        let mut text = b"a\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_RECORD + 10));
        text.extend(b"\nlast");
        let mut lines = Lines::new(io::BufReader::with_capacity(4096, &text[..]));
        let mut buf = Vec::new();
        let l = lines.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((l.number, l.too_long, &buf[..]), (1, false, &b"a\n"[..]));
        let l = lines.next_line(&mut buf).unwrap().unwrap();
        assert!(l.too_long);
        assert_eq!(l.bytes, MAX_RECORD as u64 + 11);
        assert!(buf.is_empty());
        assert!(buf.capacity() <= MAX_RECORD);
        let l = lines.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((l.number, &buf[..]), (3, &b"last"[..]));
        assert_eq!(lines.next_line(&mut buf).unwrap(), None);
    }

    #[test]
    fn one_utf8_error_per_line() {
        assert_eq!(utf8(b"ok").unwrap(), "ok");
        let (col, msg) = utf8(b"caf\xe9 cr\xe8me \xff\xff").unwrap_err();
        assert_eq!(col, 4);
        assert_eq!(
            msg,
            "not UTF-8 text: invalid byte 0xE9 (and 3 more on this line); save the file as UTF-8"
        );
    }

    #[test]
    fn tracked_stream_stops_at_the_first_bad_byte() {
        let (mut t, pos) = Tracked::new(&b"\xEF\xBB\xBF[\n \"\xC3\xA9\", \"\xE9x\"]"[..]);
        let mut out = Vec::new();
        assert!(t.read_to_end(&mut out).is_err());
        assert_eq!(
            *pos.stop.borrow(),
            Some(Stop::NotUtf8 {
                line: 2,
                column: 9,
                message: "not UTF-8 text: invalid byte 0xE9; save the file as UTF-8".into()
            })
        );
        assert_eq!(pos.first_token.get(), Some((1, 1)));
    }
}
