//! Splits a stream of text into blocks (one log record, one pasted error, one HTTP
//! response with its headers and body) and picks the blocks worth diagnosing.
//!
//! Streaming and bounded: bytes are fed in chunks; only complete lines are segmented; a
//! block never grows past [`MAX_BLOCK`] bytes, so memory stays bounded whatever the input.

use regex::bytes::Regex;
use std::sync::LazyLock;

/// A block longer than this is cut (and diagnosed in pieces).
pub const MAX_BLOCK: usize = 256 * 1024;
const MAX_BLOCK_LINES: usize = 4000;

/// Words that any API error we know contains at least one of. A block without one is not
/// looked at further, which keeps large ordinary logs fast.
static TRIGGER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i:429|rate.?limit|quota|overload|exhaust|too many|throttl|insufficient|credit",
        r"|billing|spend|capacity|concurren|error code|exception|apierror|api error",
        r"|error occurred|http/[12]|status.?code|got status|usage limit|high demand",
        r"|try again|retry|timed out|timeout|unauthori|api.key|context.length",
        r"|invalid_request|not_found|permission|\x22error\x22|'error'|status [45]\d\d",
        r"|^[45]\d\d |error: [45]\d\d|service unavailable|api calls|trial key|limited to)"
    ))
    .ok()
});

/// Does this text contain a trigger word?
pub fn has_trigger(text: &[u8]) -> bool {
    match TRIGGER.as_ref() {
        Some(re) => re.is_match(text),
        None => true,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Http {
    None,
    Head,
    Body,
}

/// Incremental segmenter: feed bytes, take blocks.
pub struct Segmenter {
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]` in the whole input.
    base: u64,
    /// Offset in `buf` of the current block's first byte.
    block_start: usize,
    /// Offset in `buf` where the next unread line starts.
    cursor: usize,
    /// Offset in `buf` of the end of the block's last line (without its newline).
    block_end: usize,
    block_lines: usize,
    depth: i32,
    http: Http,
    blank_run: usize,
    /// The previous line looked like `name: value` (a header dump without status line).
    prev_header: bool,
    /// The previous line announced a body on the next line (`…Status 429`, `Body:`).
    prev_opens: bool,
}

/// A block: its absolute byte range and its bytes.
#[derive(Debug)]
pub struct Block<'a> {
    pub start: u64,
    pub end: u64,
    pub bytes: &'a [u8],
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    pub fn new() -> Self {
        Segmenter {
            buf: Vec::new(),
            base: 0,
            block_start: 0,
            cursor: 0,
            block_end: 0,
            block_lines: 0,
            depth: 0,
            http: Http::None,
            blank_run: 0,
            prev_header: false,
            prev_opens: false,
        }
    }

    /// Appends input and calls `on_block` for every block that is complete (and holds a
    /// trigger word). Call [`Segmenter::finish`] at the end.
    pub fn feed(&mut self, data: &[u8], on_block: &mut dyn FnMut(Block<'_>)) {
        self.compact();
        self.buf.extend_from_slice(data);
        self.run(false, on_block);
    }

    /// Flushes the last block.
    pub fn finish(&mut self, on_block: &mut dyn FnMut(Block<'_>)) {
        self.run(true, on_block);
        self.emit(on_block);
    }

    /// Drops bytes that no longer belong to any pending block.
    fn compact(&mut self) {
        let keep_from = self.block_start.min(self.cursor);
        if keep_from > 0 {
            self.buf.drain(..keep_from);
            self.base += keep_from as u64;
            self.block_start -= keep_from;
            self.cursor -= keep_from;
            self.block_end = self.block_end.saturating_sub(keep_from);
        }
    }

    fn run(&mut self, eof: bool, on_block: &mut dyn FnMut(Block<'_>)) {
        loop {
            let rest = &self.buf[self.cursor..];
            let (line_end, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (self.cursor + i, self.cursor + i + 1),
                None if eof && !rest.is_empty() => (self.buf.len(), self.buf.len()),
                None => {
                    // An endless line must not grow the buffer without bound.
                    if rest.len() > MAX_BLOCK {
                        let cut = self.buf.len();
                        (cut, cut)
                    } else {
                        return;
                    }
                }
            };
            let mut line_end_trim = line_end;
            if line_end_trim > self.cursor && self.buf[line_end_trim - 1] == b'\r' {
                line_end_trim -= 1;
            }
            self.line(self.cursor, line_end_trim, on_block);
            self.cursor = next;
            if next >= self.buf.len() {
                return;
            }
        }
    }

    fn line(&mut self, start: usize, end: usize, on_block: &mut dyn FnMut(Block<'_>)) {
        let line = &self.buf[start..end];
        let blank = line.iter().all(|c| c.is_ascii_whitespace());
        let stripped = strip_curl_marker(line);
        let status_line = is_status_line(stripped);
        let header_line = is_header_line(stripped);
        let new_record = starts_new_record(line);
        let continuing = continues(line);
        let delta = brace_delta(line);
        let dump_header = is_dump_header(line);
        let opens = announces_body(line);
        let starts_body = matches!(line.first(), Some(b'{' | b'['));

        let in_block = self.block_lines > 0;
        let cont = in_block
            && !status_line
            && (self.http == Http::Head
                || (self.http == Http::Body && (blank || self.blank_run > 0 || self.depth > 0))
                || (!blank && self.depth > 0 && !new_record)
                || (!blank && continuing)
                || (self.prev_header && dump_header)
                || (self.prev_opens && starts_body));
        let too_big =
            in_block && (end - self.block_start > MAX_BLOCK || self.block_lines >= MAX_BLOCK_LINES);

        if !cont || too_big {
            self.emit(on_block);
            if blank {
                self.block_start = end.min(self.buf.len());
                self.block_end = self.block_start;
                self.depth = 0;
                self.http = Http::None;
                self.blank_run = 0;
                self.prev_header = false;
                self.prev_opens = false;
                return;
            }
            self.block_start = start;
            self.depth = 0;
            self.http = Http::None;
        }

        self.block_lines += 1;
        self.prev_header = dump_header;
        self.prev_opens = opens;
        if !blank {
            self.block_end = end;
        }
        if status_line {
            self.http = Http::Head;
            self.blank_run = 0;
        } else if self.http == Http::Head && blank {
            self.http = Http::Body;
        } else if (self.http == Http::Head && !header_line) || (self.http == Http::Body && !blank) {
            self.http = Http::None;
        }
        self.blank_run = if blank { self.blank_run + 1 } else { 0 };
        if self.blank_run > 2 {
            self.http = Http::None;
        }
        self.depth = (self.depth + delta).clamp(0, 64);
    }

    fn emit(&mut self, on_block: &mut dyn FnMut(Block<'_>)) {
        if self.block_lines > 0 && self.block_end > self.block_start {
            let bytes = &self.buf[self.block_start..self.block_end];
            if has_trigger(bytes) {
                on_block(Block {
                    start: self.base + self.block_start as u64,
                    end: self.base + self.block_end as u64,
                    bytes,
                });
            }
        }
        self.block_lines = 0;
        self.block_start = self.cursor.max(self.block_end);
        self.block_end = self.block_start;
    }
}

fn strip_curl_marker(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"< ").unwrap_or(line)
}

fn is_status_line(line: &[u8]) -> bool {
    line.starts_with(b"HTTP/")
        && line
            .iter()
            .position(|c| *c == b' ')
            .and_then(|sp| line.get(sp + 1..sp + 4))
            .is_some_and(|code| code.iter().all(u8::is_ascii_digit))
}

fn is_header_line(line: &[u8]) -> bool {
    let Some(colon) = memchr::memchr(b':', line) else {
        return false;
    };
    colon > 0
        && line[..colon]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// `name: value` as HTTP dumps print headers: the name is lower-case or has a hyphen
/// (so `ERROR: …` and `Error: …` log lines do not chain).
fn is_dump_header(line: &[u8]) -> bool {
    let Some(colon) = memchr::memchr(b':', line) else {
        return false;
    };
    let name = &line[..colon];
    colon > 0
        && line.get(colon + 1) == Some(&b' ')
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        && (name.contains(&b'-') || name.iter().all(|c| !c.is_ascii_uppercase()))
}

/// A line after which the body comes on the next line: `API error occurred: Status 429`,
/// `Body:`, `response:`.
fn announces_body(line: &[u8]) -> bool {
    let t = line.trim_ascii_end();
    if t.ends_with(b":") {
        return true;
    }
    let n = t.len();
    n >= 4 && t[n - 3..].iter().all(u8::is_ascii_digit) && t[n - 4] == b' '
}

/// A line that continues the block above it whatever came before: indented, closing a
/// bracket, or a bullet of a multi-line message.
fn continues(line: &[u8]) -> bool {
    match line.first() {
        Some(b' ' | b'\t' | b'}' | b']' | b')') => true,
        Some(b'*') => line.get(1) == Some(&b' '),
        _ => false,
    }
}

/// A line that starts a new log record (a timestamp or a bracketed timestamp).
fn starts_new_record(line: &[u8]) -> bool {
    let l = line.strip_prefix(b"[").unwrap_or(line);
    l.len() >= 4 && l[..4].iter().all(u8::is_ascii_digit)
}

fn brace_delta(line: &[u8]) -> i32 {
    let mut d = 0;
    for c in memchr::memchr2_iter(b'{', b'}', line) {
        d += if line[c] == b'{' { 1 } else { -1 };
    }
    for c in memchr::memchr2_iter(b'[', b']', line) {
        d += if line[c] == b'[' { 1 } else { -1 };
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str, chunk: usize) -> Vec<String> {
        let mut seg = Segmenter::new();
        let mut out = Vec::new();
        for part in text.as_bytes().chunks(chunk.max(1)) {
            seg.feed(part, &mut |b| {
                assert_eq!((b.end - b.start) as usize, b.bytes.len());
                out.push(String::from_utf8_lossy(b.bytes).into_owned())
            });
        }
        seg.finish(&mut |b| out.push(String::from_utf8_lossy(b.bytes).into_owned()));
        out
    }

    #[test]
    fn log_lines_are_separate_blocks() {
        let t = "2024-01-01 INFO ok\n2024-01-01 ERROR 429 one\n2024-01-01 ERROR 429 two\n";
        assert_eq!(
            blocks(t, 7),
            vec!["2024-01-01 ERROR 429 one", "2024-01-01 ERROR 429 two"]
        );
    }

    #[test]
    fn pretty_json_is_one_block() {
        let t = "{\n  \"error\": {\n    \"code\": 429\n  }\n}\nnext line quota\n";
        assert_eq!(
            blocks(t, 3),
            vec![
                "{\n  \"error\": {\n    \"code\": 429\n  }\n}",
                "next line quota"
            ]
        );
    }

    #[test]
    fn curl_response_with_headers_and_body() {
        let t = "$ curl -i x\nHTTP/2 429\r\nretry-after: 20\r\nx-ratelimit-limit-requests: 3\r\n\r\n{\"error\":{\"message\":\"Rate limit\"}}\n\nother";
        let b = blocks(t, 5);
        assert_eq!(b.len(), 1, "{b:?}");
        assert!(b[0].starts_with("HTTP/2 429"));
        assert!(b[0].ends_with("\"Rate limit\"}}"));
    }

    #[test]
    fn traceback_and_exception_line() {
        let t = "Traceback (most recent call last):\n  File \"a.py\", line 1\n    raise x\nopenai.RateLimitError: Error code: 429 - {'error': {}}\n";
        let b = blocks(t, 1000);
        assert_eq!(
            b.last().map(String::as_str),
            Some("openai.RateLimitError: Error code: 429 - {'error': {}}")
        );
    }

    #[test]
    fn unclosed_brace_does_not_swallow_the_log() {
        let t = "2024-01-01 ERROR 429 {oops\n2024-01-01 ERROR 429 second\n";
        assert_eq!(blocks(t, 4).len(), 2);
    }

    #[test]
    fn endless_line_is_bounded() {
        let t = "429 ".repeat(MAX_BLOCK);
        let b = blocks(&t, 64 * 1024);
        assert!(b.iter().all(|s| s.len() <= 2 * MAX_BLOCK + 64 * 1024));
        assert!(!b.is_empty());
    }

    #[test]
    fn ordinary_lines_do_not_make_blocks() {
        assert!(blocks("hello\nworld\n", 3).is_empty());
    }
}
