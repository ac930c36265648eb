//! Splits a stream of text into blocks (one log record, one pasted error, one HTTP
//! response with its headers and body) and picks the blocks worth diagnosing.
//!
//! Streaming and bounded: bytes are fed in chunks; only complete lines are segmented; a
//! block never grows past [`MAX_BLOCK`] bytes, so memory stays bounded whatever the input.

use regex::bytes::Regex;
use std::sync::{LazyLock, OnceLock};

/// A block longer than this is cut (and diagnosed in pieces).
pub const MAX_BLOCK: usize = 256 * 1024;
const MAX_BLOCK_LINES: usize = 4000;

/// Literals that every API error we know contains at least one of (checked against every
/// sample by `every_sample_has_a_trigger` and against the real-error corpus by
/// `tests/corpus.rs`), each with the offset of its *anchor*. Case-sensitive fragments: a
/// block without one is never looked at, which keeps large ordinary logs fast.
///
/// The fast scan looks for the anchors (`&trigger[offset..]`) and checks the whole trigger
/// around each anchor it finds. The anchors and this order were chosen by measuring the
/// SIMD scan (Teddy) on `bench/gen_log.py`'s log: Teddy sorts literals into buckets by
/// position in this list and tells them apart by their first four bytes, so an anchor that
/// starts where ordinary text rarely does (`.1 4` rather than `HTTP`, `it_e` rather than
/// `ate_`) and buckets of alike anchors keep false candidates rare. The scan ran at about
/// 2.7 GB/s with the plain literals in any order and at about 9 GB/s with these (the exact
/// figures are in `BENCHMARKS.md`). A new trigger can go anywhere with offset 0 (correct,
/// if maybe slower); `segment::tests::anchors_cover_their_triggers` checks the table.
pub const TRIGGERS: &[(&str, usize)] = &[
    ("verloaded", 0),
    ("\u{4f59}\u{989d}", 0),
    ("hit your limit", 1),
    ("uota reached", 3),
    ("eekly limit", 1),
    ("hrottl", 0),
    ("RPM limit", 1),
    ("'error'", 3),
    ("ate limit", 1),
    ("current quota", 2),
    ("redit", 0),
    ("\"error\"", 0),
    ("status=429", 4),
    ("ooMany", 0),
    ("status: 4", 4),
    ("ratelimit-", 2),
    ("\u{9971}\u{548c}", 0),
    (", Used ", 2),
    ("xtra usage", 2),
    ("uota will", 3),
    ("hour limit", 0),
    ("quota_", 2),
    ("uota exceeded", 3),
    ("rror(", 1),
    ("HTTP/1.1 4", 6),
    ("tatus_code", 4),
    ("quotaId", 2),
    ("\\\"error\\\"", 1),
    ("\u{989d}\u{5ea6}", 0),
    ("oo Many", 1),
    ("rror code", 4),
    ("Exception", 0),
    ("ateLimit", 1),
    ("API calls", 1),
    ("oncurren", 0),
    ("daily quota", 2),
    ("\u{901f}\u{7387}", 0),
    ("ate_limit_e", 7),
    ("sage limit", 2),
    ("nsufficient", 1),
    ("uota limit", 2),
    ("RESOURCE_EXHAUSTED", 0),
    ("ate-limit", 1),
    ("(RPM)", 1),
    ("returned error", 3),
    ("igh demand", 1),
    ("HTTP/2 4", 3),
    ("xceeded", 0),
    ("'529", 0),
    ("daily limit", 3),
    ("(TPM)", 0),
    ("HTTP 429", 3),
    ("oo many", 0),
    ("xhausted", 0),
    ("TPM limit", 1),
    ("Error:", 2),
    ("code 429", 2),
    ("busy", 0),
    ("apacity", 1),
    ("Quota", 0),
    ("(429)", 0),
    ("imed out", 1),
    ("Status 4", 4),
];

/// The exact literals, for the slow paths (no SIMD, or a text too small for the scan).
static TRIGGER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let pattern: Vec<String> = TRIGGERS.iter().map(|(t, _)| regex::escape(t)).collect();
    Regex::new(&pattern.join("|")).ok()
});

/// Below this size a plain search per literal beats building the multi-literal automaton
/// (which is most of the cost of explaining one small paste).
const SMALL: usize = 64 * 1024;

/// The SIMD (Teddy) searcher over the anchors, with what each anchor can belong to.
struct Anchors {
    searcher: aho_corasick::packed::Searcher,
    /// Per anchor (by pattern id): every trigger that can hold an anchor match starting
    /// where this one was reported, with the anchor's offset in it. Teddy reports one
    /// pattern per position, so this includes the triggers of every anchor that is a
    /// prefix of this one or has it as a prefix (both match wherever the longer does).
    holders: Vec<Vec<(usize, &'static [u8])>>,
    /// The largest anchor offset: a trigger starts at most this far before its anchor.
    max_offset: usize,
}

/// Built for the first large text; from then on it serves small ones too (a search per
/// literal builds 63 finders per call).
static ANCHORS: OnceLock<Option<Anchors>> = OnceLock::new();

fn anchors() -> Option<Anchors> {
    let anchor = |(t, o): &(&'static str, usize)| t.as_bytes().get(*o..).unwrap_or_default();
    let searcher = aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(TRIGGERS.iter().map(anchor))
        .build()?;
    let holders = TRIGGERS
        .iter()
        .map(|reported| {
            let a = anchor(reported);
            TRIGGERS
                .iter()
                .filter(|other| {
                    let b = anchor(other);
                    a.starts_with(b) || b.starts_with(a)
                })
                .map(|(t, o)| (*o, t.as_bytes()))
                .collect()
        })
        .collect();
    let max_offset = TRIGGERS.iter().map(|(_, o)| *o).max().unwrap_or(0);
    Some(Anchors {
        searcher,
        holders,
        max_offset,
    })
}

impl Anchors {
    /// The leftmost trigger in `text`: every anchor match is checked for a whole trigger
    /// around it; once one is found, anchors up to `max_offset` further on can still
    /// belong to a trigger that starts earlier.
    fn find(&self, text: &[u8]) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut pos = 0;
        while pos < text.len() {
            let Some(m) = self.searcher.find(&text[pos..]) else {
                break;
            };
            let q = pos + m.start();
            if best.is_some_and(|b| q > b + self.max_offset) {
                break;
            }
            for &(offset, trigger) in &self.holders[m.pattern().as_usize()] {
                if let Some(p) = q.checked_sub(offset)
                    && text.get(p..p + trigger.len()) == Some(trigger)
                    && best.is_none_or(|b| p < b)
                {
                    best = Some(p);
                }
            }
            pos = q + 1;
        }
        best
    }
}

/// Where the next trigger literal starts in `text`, if anywhere.
pub fn find_trigger(text: &[u8]) -> Option<usize> {
    let searcher = if text.len() > SMALL {
        ANCHORS.get_or_init(anchors).as_ref()
    } else {
        ANCHORS.get().and_then(Option::as_ref)
    };
    if let Some(a) = searcher {
        return a.find(text);
    }
    if text.len() <= SMALL {
        return TRIGGERS
            .iter()
            .filter_map(|(t, _)| memchr::memmem::find(text, t.as_bytes()))
            .min();
    }
    match TRIGGER.as_ref() {
        Some(re) => re.find(text).map(|m| m.start()),
        None => Some(0),
    }
}

/// Does this text contain a trigger literal?
pub fn has_trigger(text: &[u8]) -> bool {
    find_trigger(text).is_some()
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
    /// The current block holds a trigger.
    block_trigger: bool,
    /// Offset in `buf` of the next trigger at or after `cursor`, once searched.
    next_trigger: Option<usize>,
    /// `next_trigger` is valid for the bytes searched up to here.
    searched_to: usize,
    /// Bytes before this offset belong to blocks already emitted: never start there again.
    floor: usize,
    /// Read line by line (no jumping) until the cursor passes this trigger.
    hold_until: Option<usize>,
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
            block_trigger: false,
            next_trigger: None,
            searched_to: 0,
            floor: 0,
            hold_until: None,
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

    /// Drops bytes that no longer belong to any pending block, keeping a short look-back
    /// window before the cursor for blocks that start before their trigger.
    fn compact(&mut self) {
        let look_back = self
            .cursor
            .saturating_sub(LOOK_BACK)
            .max(self.floor.min(self.cursor));
        let keep_from = self.block_start.min(look_back);
        if keep_from > 0 {
            self.buf.drain(..keep_from);
            self.base += keep_from as u64;
            self.block_start -= keep_from;
            self.cursor -= keep_from;
            self.block_end = self.block_end.saturating_sub(keep_from);
            self.floor = self.floor.saturating_sub(keep_from);
            self.searched_to = self.searched_to.saturating_sub(keep_from);
            self.next_trigger = self.next_trigger.and_then(|p| p.checked_sub(keep_from));
            self.hold_until = self.hold_until.and_then(|p| p.checked_sub(keep_from));
        }
    }

    /// Is the segmenter between blocks that matter (nothing open, no trigger held)?
    fn idle(&self) -> bool {
        !self.block_trigger
            && self.depth == 0
            && self.http == Http::None
            && !self.prev_opens
            && !self.prev_header
    }

    /// Forgets the current (trigger-less) block and moves to `to`.
    fn skip_to(&mut self, to: usize) {
        self.block_lines = 0;
        self.block_start = to;
        self.block_end = to;
        self.cursor = to;
        self.depth = 0;
        self.http = Http::None;
        self.blank_run = 0;
    }

    /// The next trigger at or after the cursor within `buf[..end]`.
    fn next_trigger_from_cursor(&mut self, end: usize) -> Option<usize> {
        if let Some(p) = self.next_trigger
            && p >= self.cursor
        {
            return Some(p);
        }
        // With no trigger pending, `[cursor, searched_to)` is known to hold none.
        let from = match self.next_trigger {
            None => self.cursor.max(self.searched_to.min(end)),
            Some(_) => self.cursor,
        };
        let found = find_trigger(&self.buf[from..end]).map(|o| from + o);
        self.next_trigger = found;
        // A literal may straddle `end` when more data comes: search again a little before.
        self.searched_to = end.saturating_sub(MAX_TRIGGER_LEN);
        found
    }

    /// Where the block holding the trigger at `p` starts: walk back over lines that
    /// continue the one above them (indented, closing brackets, headers, a body announced
    /// by the line before), never before the floor.
    fn block_start_before(&self, p: usize) -> usize {
        let line_start = |at: usize| -> usize {
            memchr::memrchr(b'\n', &self.buf[self.floor..at])
                .map_or(self.floor, |i| self.floor + i + 1)
        };
        let mut start = line_start(p);
        for _ in 0..MAX_WALK_BACK {
            if start <= self.floor {
                break;
            }
            let prev_start = line_start(start - 1);
            let line_end =
                memchr::memchr(b'\n', &self.buf[start..]).map_or(self.buf.len(), |i| start + i);
            let line = trim_cr(&self.buf[start..line_end]);
            let prev = trim_cr(&self.buf[prev_start..start - 1]);
            let prev2 = (prev_start > self.floor).then(|| {
                let s2 = line_start(prev_start - 1);
                trim_cr(&self.buf[s2..prev_start - 1])
            });
            if continues_above(prev2, prev, line) {
                start = prev_start;
            } else {
                break;
            }
        }
        start
    }

    fn run(&mut self, eof: bool, on_block: &mut dyn FnMut(Block<'_>)) {
        // Only complete lines are segmented (all of them at the end of input).
        let complete = if eof {
            self.buf.len()
        } else {
            memchr::memrchr(b'\n', &self.buf).map_or(0, |i| i + 1)
        };
        loop {
            let holding = self.hold_until.is_some_and(|h| self.cursor <= h);
            if self.cursor < complete && !holding && self.idle() {
                match self.next_trigger_from_cursor(complete) {
                    None => {
                        // Nothing to look at before the end of what is complete.
                        self.emit(on_block);
                        self.skip_to(complete.max(self.cursor));
                    }
                    Some(p) => {
                        self.hold_until = Some(p);
                        let start = self.block_start_before(p);
                        // The trigger's block starts where the walk back says, whatever
                        // trigger-less lines are open now (idle: none has a trigger). Those
                        // lines may have been dropped already, when a chunk ended before
                        // the trigger came: keeping them only when they were not would
                        // make the block depend on the chunk sizes.
                        if start != self.cursor || self.block_lines > 0 {
                            self.emit(on_block);
                            // Lines since `start` skipped unread, or read into the dropped
                            // block, are read again.
                            self.skip_to(start);
                        }
                    }
                }
            }
            if self.cursor >= self.buf.len() {
                return;
            }
            let rest = &self.buf[self.cursor..];
            // A line longer than a block is read in pieces of MAX_BLOCK bytes counted from
            // its start: an endless line cannot grow the buffer without bound, and the cut
            // falls at the same byte however the input was split into chunks.
            // The cut is moved back so that it never splits a key or its introducer
            // (`Bearer`, `api-key:`, `?key=`): redaction reads each piece on its own.
            let (line_end, next) = match memchr::memchr(b'\n', rest) {
                Some(i) if i > MAX_BLOCK => {
                    let cut = self.cursor + safe_cut(&rest[..MAX_BLOCK]);
                    (cut, cut)
                }
                Some(i) => (self.cursor + i, self.cursor + i + 1),
                None if rest.len() > MAX_BLOCK => {
                    let cut = self.cursor + safe_cut(&rest[..MAX_BLOCK]);
                    (cut, cut)
                }
                None if eof && !rest.is_empty() => (self.buf.len(), self.buf.len()),
                None => return,
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

        let line_has_trigger = match self.next_trigger {
            Some(p) if p >= start => p <= end,
            _ if end <= self.searched_to => false,
            _ => has_trigger(&self.buf[start..end]),
        };
        if line_has_trigger {
            self.block_trigger = true;
            self.next_trigger = None;
            self.searched_to = end;
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
            if self.block_trigger || has_trigger(bytes) {
                on_block(Block {
                    start: self.base + self.block_start as u64,
                    end: self.base + self.block_end as u64,
                    bytes,
                });
            }
        }
        if self.block_lines > 0 && self.block_trigger {
            self.floor = self.floor.max(self.block_end);
        }
        self.block_lines = 0;
        self.block_trigger = false;
        self.block_start = self.cursor.max(self.block_end);
        self.block_end = self.block_start;
    }
}

/// How far back a cut may move to keep a token whole.
const CUT_BACK: usize = 4096;
/// How far back from a cut inside an endless token a key's beginning is looked for.
const KEY_BACK: usize = 1024;

/// A byte that can sit inside a secret (a key, a bearer token, a key in a URL query):
/// anything but whitespace, quotes, brackets and list punctuation.
fn in_token(b: u8) -> bool {
    !(b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b','
                | b';'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'\\'
        ))
}

/// Where to end a piece of a line longer than a block, given its first [`MAX_BLOCK`]
/// bytes: at most `piece.len()`, never in the middle of a key or between a key and what
/// introduces it, so that redaction, which reads each piece on its own, sees every key
/// whole. Depends on `piece` alone, so the cut falls at the same byte however the input
/// was split into chunks.
#[doc(hidden)]
pub fn safe_cut(piece: &[u8]) -> usize {
    static INTRO: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(concat!(
            r"(?i-u)(?:bearer\s*",
            r"|(?:proxy-authorization|authorization|x-goog-api-key|x-api-key|api-key|api_key)",
            r"[\x22']?\s*(?:[:=]\s*[\x22']?\s*(?:bearer\s*)?)?",
            r"|[?&](?:key|api_?key|access_token|token)=?)$"
        ))
        .ok()
    });
    let len = piece.len();
    // The start of the run of token bytes that ends at `at`, when it is near.
    let token_start = |at: usize| -> Option<usize> {
        let from = at.saturating_sub(CUT_BACK);
        match piece[from..at].iter().rposition(|b| !in_token(*b)) {
            Some(i) => Some(from + i + 1),
            None if from == 0 => Some(0),
            None => None,
        }
    };
    let mut cut = len;
    for _ in 0..4 {
        let before = cut;
        match token_start(cut) {
            Some(s) => cut = s,
            None => {
                // A token longer than CUT_BACK: cut before the earliest key beginning in
                // its tail, so that any key there goes whole into the next piece.
                // A beginning cut short by the cut itself (`…qqsk` of `sk-…`) counts too.
                let from = cut.saturating_sub(KEY_BACK);
                let tail = piece[from..cut].to_ascii_lowercase();
                let starts = crate::redact::KEY_NEEDLES
                    .iter()
                    .filter_map(|k| {
                        let k = k.as_bytes();
                        let at = memchr::memmem::rfind(&tail, k).or_else(|| {
                            (1..k.len())
                                .rev()
                                .find(|&n| tail.ends_with(&k[..n]))
                                .map(|n| tail.len() - n)
                        })?;
                        // `key=` and `token=` name a URL parameter: the cut goes before
                        // the whole name and its `?` or `&` (`&access_token=`).
                        if !k.ends_with(b"=") {
                            return Some(at);
                        }
                        Some(param_start(&tail[..at]).unwrap_or(at))
                    })
                    .min();
                // A URL parameter whose name the cut interrupts (`…&acc`) may be a key's.
                if let Some(s) = starts.into_iter().chain(param_start(&tail)).min() {
                    cut = from + s;
                }
                break;
            }
        }
        let from = cut.saturating_sub(256);
        if let Some(m) = INTRO.as_ref().and_then(|re| re.find(&piece[from..cut])) {
            cut = from + m.start();
        }
        if cut == before {
            break;
        }
    }
    // A piece is never empty: a cut that backed up to the line's start keeps the whole.
    if cut == 0 { len } else { cut }
}

/// Where the URL parameter whose name runs to the end of `text` begins: its `?` or `&`.
fn param_start(text: &[u8]) -> Option<usize> {
    text.iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .filter(|&p| matches!(text[p], b'?' | b'&'))
}

/// Look-back kept before the cursor between chunks.
const LOOK_BACK: usize = 64 * 1024;
/// Lines walked back from a trigger to find its block's start.
const MAX_WALK_BACK: usize = 200;
/// The longest trigger literal.
const MAX_TRIGGER_LEN: usize = 32;

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The segmenter's continuation rules seen locally: does `line` continue `prev` (with
/// `prev2` the line above that)?
fn continues_above(prev2: Option<&[u8]>, prev: &[u8], line: &[u8]) -> bool {
    let blank = |l: &[u8]| l.iter().all(u8::is_ascii_whitespace);
    if is_status_line(strip_curl_marker(line)) {
        return false;
    }
    if blank(line) {
        return is_status_line(strip_curl_marker(prev)) || is_header_line(strip_curl_marker(prev));
    }
    let prev_is_head = is_status_line(strip_curl_marker(prev))
        || (is_header_line(strip_curl_marker(prev)) && !blank(prev));
    continues(line)
        || (is_dump_header(prev) && is_dump_header(line))
        || (announces_body(prev) && matches!(line.first(), Some(b'{' | b'[')))
        || (prev_is_head && is_header_line(strip_curl_marker(line)))
        || (brace_delta(prev) > 0 && !starts_new_record(line))
        || (blank(prev)
            && prev2.is_some_and(|p2| {
                is_header_line(strip_curl_marker(p2)) || is_status_line(strip_curl_marker(p2))
            }))
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

    #[test]
    fn anchors_cover_their_triggers() {
        let mut seen = std::collections::HashSet::new();
        for (t, o) in TRIGGERS {
            assert!(seen.insert(*t), "{t:?} is listed twice");
            assert!(
                t.len() <= MAX_TRIGGER_LEN,
                "{t:?} is longer than MAX_TRIGGER_LEN"
            );
            assert!(
                t.len() >= o + 4 && t.is_char_boundary(*o),
                "{t:?}: the anchor at {o} must be whole characters and at least 4 bytes \
                 (Teddy tells anchors apart by their first four)"
            );
        }
    }

    /// The anchored scan finds exactly what a search for each whole literal finds: the
    /// same leftmost start, around anchors that overlap, repeat, or sit at the edges.
    #[test]
    fn anchored_scan_finds_the_leftmost_trigger() {
        // The machines this runs on have SSSE3/AVX2: a scan that cannot build is a defect
        // here, not a reason to pass.
        let a = anchors().expect("the anchored scan builds on this CPU");
        let exact = |text: &[u8]| {
            TRIGGERS
                .iter()
                .filter_map(|(t, _)| memchr::memmem::find(text, t.as_bytes()))
                .min()
        };
        // `t` without its first `n` bytes (or fewer, to stay on a character boundary).
        let tail = |t: &'static str, n: usize| {
            let n = (n.min(t.len() - 1)..t.len())
                .find(|i| t.is_char_boundary(*i))
                .unwrap_or(0);
            &t[n..]
        };
        let mut texts: Vec<String> = Vec::new();
        for (t, _) in TRIGGERS {
            let head = t.char_indices().last().map_or("", |(i, _)| &t[..i]);
            texts.push(t.to_string());
            texts.push(format!("x{t}"));
            texts.push(head.to_string());
            texts.push(format!("ordinary text, then {t} and HTTP/1.1 429 later"));
            texts.push(format!("qqqq{}qqqq{t}", tail(t, 1)));
        }
        texts.push("code 4code 429 (429)".into());
        texts.push("tatus_code 4 status: 4 Status 42".into());
        texts.push("Rate limit HTTP/1.1 200 OK HTTP/1.1 4".into());
        texts.push("current quota uota exceeded".into());
        for t in &texts {
            assert_eq!(a.find(t.as_bytes()), exact(t.as_bytes()), "{t:?}");
        }
        proptest::proptest!(|(picks in proptest::collection::vec((0..TRIGGERS.len(), 0..3usize, "[ -~]{0,12}"), 0..6))| {
            let mut text = String::new();
            for (i, cut, filler) in picks {
                let t = TRIGGERS[i].0;
                text.push_str(&filler);
                text.push_str(tail(t, cut));
            }
            proptest::prop_assert_eq!(a.find(text.as_bytes()), exact(text.as_bytes()));
        });
    }

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
        let t =
            "2024-01-01 INFO ok\n2024-01-01 Error code: 429 one\n2024-01-01 Error code: 429 two\n";
        assert_eq!(
            blocks(t, 7),
            vec![
                "2024-01-01 Error code: 429 one",
                "2024-01-01 Error code: 429 two"
            ]
        );
    }

    #[test]
    fn pretty_json_is_one_block() {
        let t = "{\n  \"error\": {\n    \"code\": 429\n  }\n}\nnext line: quota exceeded\n";
        assert_eq!(
            blocks(t, 3),
            vec![
                "{\n  \"error\": {\n    \"code\": 429\n  }\n}",
                "next line: quota exceeded"
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
        let t = "2024-01-01 Error code: 429 {oops\n2024-01-01 Error code: 429 second\n";
        assert_eq!(blocks(t, 4).len(), 2);
    }

    #[test]
    fn endless_line_is_bounded() {
        let t = "Error code: 429 ".repeat(MAX_BLOCK / 4);
        let b = blocks(&t, 64 * 1024);
        assert!(b.iter().all(|s| s.len() <= 2 * MAX_BLOCK + 64 * 1024));
        assert!(!b.is_empty());
    }

    #[test]
    fn a_block_starting_before_its_trigger_is_found_after_a_jump() {
        let mut t = String::new();
        for i in 0..2000 {
            t.push_str(&format!("2024-01-01 INFO line {i}\n"));
        }
        t.push_str("{\n  \"model\": \"x\",\n  \"error\": {\n    \"code\": 429\n  }\n}\n");
        for i in 0..10 {
            t.push_str(&format!("2024-01-01 INFO after {i}\n"));
        }
        for chunk in [7, 100, 4096, 1 << 20] {
            let b = blocks(&t, chunk);
            assert_eq!(b.len(), 1, "chunk {chunk}: {b:?}");
            assert!(b[0].starts_with("{\n  \"model\""), "chunk {chunk}: {b:?}");
        }
    }

    #[test]
    fn ordinary_lines_do_not_make_blocks() {
        assert!(blocks("hello\nworld\n", 3).is_empty());
    }
}
