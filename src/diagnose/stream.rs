//! Diagnosing an input that never ends (`explain --follow`): each error is reported once,
//! as soon as the blocks after it can no longer change its reading. Pure: the caller says
//! when the input has been idle ([`Stream::flush`]) and when one input ended and another
//! began ([`Stream::end_input`], a rotation or a truncation).

use super::segment::{self, MAX_BLOCK, Segmenter};
use super::{Diagnosis, Folding, Latest, on_block};
use std::collections::VecDeque;

/// One error occurrence found in a followed input.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Which distinct error it is (0, 1, …: the order of first appearance).
    pub id: usize,
    /// The first occurrence's diagnosis; `occurrences` is the count so far, this one
    /// included.
    pub diagnosis: Diagnosis,
    /// The first time this error is seen.
    pub first: bool,
    /// The ISO 8601 timestamp that starts the block's first line, normalised (see
    /// [`leading_time`]), if it has one.
    pub stamp: Option<String>,
}

/// Diagnoses a growing input fed in chunks, with bounded memory: the segmenter's block
/// limit, one partial line (at most [`MAX_BLOCK`] bytes) and one record per distinct error
/// (at most [`super::MAX_DISTINCT`]).
pub struct Stream {
    segmenter: Segmenter,
    /// Absolute offset where the current segmenter's input starts.
    base: u64,
    /// Bytes handed to the segmenter so far (absolute).
    fed: u64,
    /// The end of the last line: bytes after it wait for their newline.
    partial: Vec<u8>,
    state: Folding,
    /// Per distinct error: occurrences reported, and the stamp of its first block.
    reported: Vec<(u64, Option<String>)>,
    /// The latest blocks' starts and stamps (at most [`STAMPS_KEPT`]): an error is told
    /// with the stamp of the block it was read in, even when it becomes final later (a
    /// vague mention waits for a specific reading that may absorb it).
    stamps: VecDeque<(u64, Option<String>)>,
    out: Vec<Found>,
    /// Lines were fed since the last flush.
    dirty: bool,
    /// The year syslog timestamps (`May  1 12:00:00`, no year) are read in; without one
    /// they are not read.
    year: Option<i16>,
}

impl Default for Stream {
    fn default() -> Self {
        Self::new()
    }
}

impl Stream {
    pub fn new() -> Self {
        Stream {
            segmenter: Segmenter::new(),
            base: 0,
            fed: 0,
            partial: Vec::new(),
            state: Folding::default(),
            reported: Vec::new(),
            stamps: VecDeque::new(),
            out: Vec::new(),
            dirty: false,
            year: None,
        }
    }

    /// Reads syslog timestamps (which carry no year) as of `year`.
    pub fn set_year(&mut self, year: i16) {
        self.year = Some(year);
    }

    /// Feeds the next bytes; whole lines go to the segmenter, a partial one waits (unless
    /// it grows past [`MAX_BLOCK`]).
    pub fn feed(&mut self, data: &[u8]) {
        let Some(last_nl) = memchr::memrchr(b'\n', data) else {
            self.partial.extend_from_slice(data);
            if self.partial.len() >= MAX_BLOCK {
                let line = std::mem::take(&mut self.partial);
                self.segment(&line);
            }
            return;
        };
        if self.partial.is_empty() {
            self.segment(&data[..=last_nl]);
        } else {
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(&data[..=last_nl]);
            self.segment(&line);
        }
        self.partial.extend_from_slice(&data[last_nl + 1..]);
    }

    /// The input has been idle: the block in progress is complete, every error read so
    /// far is final. (A block written across an idle gap is read as two.)
    pub fn flush(&mut self) {
        if self.dirty {
            let (base, year) = (self.base, self.year);
            let (state, reported, out) = (&mut self.state, &mut self.reported, &mut self.out);
            let stamps = &mut self.stamps;
            self.segmenter.finish(&mut |b| {
                keep_stamp(stamps, b.start + base, block_stamp(b.bytes, year));
                on_block(shift(b, base), state);
                collect(state, reported, out, stamps, None);
            });
            self.segmenter = Segmenter::new();
            self.base = self.fed;
            self.dirty = false;
        }
        self.state.settle();
        collect(
            &self.state,
            &mut self.reported,
            &mut self.out,
            &self.stamps,
            None,
        );
    }

    /// One input ended (end of a pipe, a rotated file's last bytes, a truncation): its
    /// last partial line counts, and what follows is read as a new input.
    pub fn end_input(&mut self) {
        if !self.partial.is_empty() {
            let mut line = std::mem::take(&mut self.partial);
            line.push(b'\n');
            self.segment(&line);
        }
        self.flush();
    }

    /// The errors that became final since the last call, in the order found.
    pub fn take(&mut self) -> Vec<Found> {
        std::mem::take(&mut self.out)
    }

    fn segment(&mut self, lines: &[u8]) {
        self.dirty = true;
        self.fed += lines.len() as u64;
        let (base, year) = (self.base, self.year);
        let (state, reported, out) = (&mut self.state, &mut self.reported, &mut self.out);
        let stamps = &mut self.stamps;
        self.segmenter.feed(lines, &mut |b| {
            let start = b.start + base;
            keep_stamp(stamps, start, block_stamp(b.bytes, year));
            on_block(shift(b, base), state);
            collect(state, reported, out, stamps, Some(start));
        });
    }
}

/// How many blocks' stamps are kept: far more than an error waits to become final.
const STAMPS_KEPT: usize = 1024;

fn keep_stamp(stamps: &mut VecDeque<(u64, Option<String>)>, start: u64, stamp: Option<String>) {
    if stamps.len() == STAMPS_KEPT {
        stamps.pop_front();
    }
    stamps.push_back((start, stamp));
}

/// The stamp of the block that holds byte `at` (the latest block starting at or before
/// it), if that block is still kept and has one.
fn stamp_at(stamps: &VecDeque<(u64, Option<String>)>, at: u64) -> Option<String> {
    stamps
        .iter()
        .rev()
        .find(|(start, _)| *start <= at)
        .and_then(|(_, s)| s.clone())
}

/// Reports the occurrences that are final, each with the stamp of the block it was read
/// in. `horizon`: the start of the block just read (a newer error cannot merge into one
/// that ended before it); `None`: everything is final.
fn collect(
    state: &Folding,
    reported: &mut Vec<(u64, Option<String>)>,
    out: &mut Vec<Found>,
    stamps: &VecDeque<(u64, Option<String>)>,
    horizon: Option<u64>,
) {
    let folded = &state.folded;
    while reported.len() < folded.len() {
        let at = folded[reported.len()].span[0];
        reported.push((0, stamp_at(stamps, at)));
    }
    let last = folded.len().saturating_sub(1);
    for (id, d) in folded.iter().enumerate() {
        let (done, first_stamp) = &mut reported[id];
        if d.occurrences <= *done {
            continue;
        }
        // The newest error may still take in the block right after it (its body, its
        // headers): it waits until a block starts past it, or the input is idle.
        let open = id == last && d.occurrences == 1 && horizon.is_some_and(|h| h <= d.span[1] + 2);
        if open {
            continue;
        }
        for n in *done + 1..=d.occurrences {
            let mut diagnosis = d.clone();
            diagnosis.occurrences = n;
            // Each occurrence as it told itself (the latest one, for a batch), with the
            // stamp of the block it was read in.
            let first = n == 1;
            let stamp = if first {
                first_stamp.clone()
            } else {
                let latest = state.latest(id);
                if let Some(latest) = latest {
                    latest.apply(&mut diagnosis);
                }
                stamp_at(stamps, latest.and_then(Latest::start).unwrap_or(u64::MAX))
            };
            out.push(Found {
                id,
                diagnosis,
                first,
                stamp,
            });
        }
        *done = d.occurrences;
    }
}

fn shift(b: segment::Block<'_>, base: u64) -> segment::Block<'_> {
    segment::Block {
        start: b.start + base,
        end: b.end + base,
        bytes: b.bytes,
    }
}

fn block_stamp(bytes: &[u8], year: Option<i16>) -> Option<String> {
    let line = bytes.split(|&c| c == b'\n').next().unwrap_or_default();
    leading_time_in(&String::from_utf8_lossy(&line[..line.len().min(96)]), year)
}

/// [`leading_time`], and also a line's Common Log Format time (`127.0.0.1 - - [01/May/2024:
/// 12:00:00 +0000] "GET …`, in UTC) and, given the year, a syslog time at its start
/// (`May  1 12:00:00 host app: …`, as written: the log's own clock).
pub fn leading_time_in(line: &str, year: Option<i16>) -> Option<String> {
    if let Some(t) = leading_time(line) {
        return Some(t);
    }
    if let Some(t) = clf_time(line) {
        return Some(t);
    }
    let year = year?;
    let head = line.get(..15)?;
    let b = head.as_bytes();
    if !(b[0].is_ascii_uppercase() && b[3] == b' ' && b[9] == b':' && b[12] == b':') {
        return None;
    }
    let t = jiff::fmt::strtime::parse("%Y %b %e %H:%M:%S", format!("{year} {head}")).ok()?;
    let dt = t.to_datetime().ok()?;
    Some(dt.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string())
}

/// `[01/May/2024:12:00:00 +0000]` anywhere in the line's first 96 characters, in UTC.
fn clf_time(line: &str) -> Option<String> {
    let open = line.find('[')?;
    let rest = line.get(open + 1..)?;
    let close = rest.find(']')?;
    let inner = &rest[..close];
    if inner.len() != 26 || inner.as_bytes().get(2) != Some(&b'/') {
        return None;
    }
    let t = jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", inner).ok()?;
    let ts = t.to_timestamp().ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// The ISO 8601 timestamp a log line starts with (`2025-10-02T08:00:00.112Z`,
/// `2025-10-02 08:00:00,078`, `[2025-10-02T08:00:00+02:00]`), normalised: with a zone, as
/// UTC `2025-10-02T06:00:00.000Z`; without one, as written (`2025-10-02T08:00:00.078`,
/// no zone: the log's own clock).
pub fn leading_time(line: &str) -> Option<String> {
    let s = line.trim_start().trim_start_matches('[').as_bytes();
    let digits =
        |r: std::ops::Range<usize>| s.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && s.get(4) == Some(&b'-')
        && digits(5..7)
        && s.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(s.get(10), Some(b'T' | b' '))
        && digits(11..13)
        && s.get(13) == Some(&b':')
        && digits(14..16)
        && s.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut end = 19;
    let mut frac = String::new();
    if matches!(s.get(19), Some(b'.' | b',')) {
        end = 20;
        while s.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        frac = String::from_utf8_lossy(&s[20..end]).into_owned();
    }
    frac.truncate(3);
    while frac.len() < 3 {
        frac.push('0');
    }
    let civil = format!(
        "{}T{}.{frac}",
        String::from_utf8_lossy(&s[0..10]),
        String::from_utf8_lossy(&s[11..19])
    );
    let zone = match s.get(end) {
        Some(b'Z') => Some("Z".to_string()),
        Some(b'+' | b'-') if digits(end + 1..end + 3) => {
            let rest = &s[end + 3..];
            let mm = if rest.first() == Some(&b':') {
                rest.get(1..3)
            } else {
                rest.get(0..2)
            };
            let mm = mm.filter(|m| m.iter().all(u8::is_ascii_digit))?;
            Some(format!(
                "{}{}:{}",
                s[end] as char,
                String::from_utf8_lossy(&s[end + 1..end + 3]),
                String::from_utf8_lossy(mm)
            ))
        }
        _ => None,
    };
    let Some(zone) = zone else {
        // Civil time: checked (a valid date and time), kept as written.
        return civil.parse::<jiff::civil::DateTime>().ok().map(|_| civil);
    };
    let t: jiff::Timestamp = format!("{civil}{zone}").parse().ok()?;
    Some(t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RPM: &str = r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;

    fn all(stream: &mut Stream) -> Vec<Found> {
        stream.take()
    }

    #[test]
    fn each_occurrence_once_across_flushes_and_inputs() {
        let mut s = Stream::new();
        let line = format!("2025-10-02T08:00:00.112Z ERROR openai: {RPM}\n");
        s.feed(line.as_bytes());
        s.feed(b"ordinary line\n");
        s.flush();
        let a = all(&mut s);
        assert_eq!(a.len(), 1);
        assert!(a[0].first);
        assert_eq!(a[0].stamp.as_deref(), Some("2025-10-02T08:00:00.112Z"));
        // Split mid-line, then a new input (rotation).
        let (x, y) = line.split_at(30);
        s.feed(x.as_bytes());
        s.flush();
        assert!(all(&mut s).is_empty(), "a partial line waits");
        s.feed(y.as_bytes());
        s.end_input();
        s.feed(line.as_bytes());
        s.end_input();
        let b = all(&mut s);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b.iter().all(|f| f.id == 0 && !f.first));
        assert_eq!(b[1].diagnosis.occurrences, 3);
        s.flush();
        assert!(all(&mut s).is_empty());
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            leading_time("2025-10-02 08:00:00,078 WARNING x").as_deref(),
            Some("2025-10-02T08:00:00.078")
        );
        assert_eq!(
            leading_time("[2025-10-02T08:00:00+02:00] x").as_deref(),
            Some("2025-10-02T06:00:00.000Z")
        );
        assert_eq!(leading_time("2025-13-02T08:00:00Z"), None);
        assert_eq!(leading_time("Traceback (most recent call last):"), None);
        assert_eq!(leading_time("2025-10-02"), None);
        // Common Log Format (in UTC), after the host and ident.
        assert_eq!(
            leading_time_in(
                r#"10.0.0.7 - - [01/May/2024:12:00:00 +0200] "POST /v1/chat/completions" 429"#,
                None
            )
            .as_deref(),
            Some("2024-05-01T10:00:00.000Z")
        );
        // syslog: only with a year to read it in.
        let line = "May  1 12:00:00 host app[7]: 429";
        assert_eq!(leading_time_in(line, None), None);
        assert_eq!(
            leading_time_in(line, Some(2024)).as_deref(),
            Some("2024-05-01T12:00:00.000")
        );
        assert_eq!(
            leading_time_in("Oct 12 08:00:01 h x", Some(2025)).as_deref(),
            Some("2025-10-12T08:00:01.000")
        );
        assert_eq!(leading_time_in("Traceback (most recent", Some(2025)), None);
        assert_eq!(leading_time_in("[not a time] x", Some(2025)), None);
    }

    /// httpx's `HTTP/1.1 429 Too Many Requests` lines (openai-python's log at INFO) are
    /// vague mentions that wait for a specific reading to absorb them; when none does, each
    /// is still told with its own line's time, not the time it became final.
    #[test]
    fn a_mention_final_later_keeps_its_lines_time() {
        let mut s = Stream::new();
        for (t, retry) in [("01,100", "0.41"), ("01,600", "0.89")] {
            let text = format!(
                "2025-10-02 08:01:{t} - httpx - INFO - HTTP Request: POST https://api.openai.com/v1/chat/completions \"HTTP/1.1 429 Too Many Requests\"\n\
                 2025-10-02 08:01:{t} - openai._base_client - INFO - Retrying request to /chat/completions in {retry} seconds\n"
            );
            s.feed(text.as_bytes());
        }
        s.end_input();
        let f = all(&mut s);
        let stamps: Vec<Option<&str>> = f.iter().map(|f| f.stamp.as_deref()).collect();
        assert_eq!(
            stamps,
            [
                Some("2025-10-02T08:01:01.100"),
                Some("2025-10-02T08:01:01.600")
            ],
            "{f:?}"
        );
    }

    /// Each occurrence as it told itself: its numbers, and the words that say them (the
    /// wait, the cause, the message), not the first occurrence's.
    #[test]
    fn each_occurrence_has_its_own_numbers() {
        let mut s = Stream::new();
        for (used, wait) in [("28541", "5s"), ("29990", "9s")] {
            let line = format!(
                "ERROR {{\"error\":{{\"message\":\"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used {used}, Requested 4120. Please try again in {wait}.\",\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}}}\nok\n"
            );
            s.feed(line.as_bytes());
        }
        s.end_input();
        let f = all(&mut s);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].diagnosis.used, Some(28541.0));
        let second = &f[1].diagnosis;
        assert_eq!(second.used, Some(29990.0));
        assert_eq!(second.occurrences, 2);
        assert_eq!(second.span, f[0].diagnosis.span, "the first one's place");
        assert!(second.cause.contains("29,990"), "{}", second.cause);
        assert!(!second.cause.contains("28,541"), "{}", second.cause);
        assert_eq!(second.retry_after_s, Some(9.0));
        assert_eq!(second.wait, "9 s");
        assert!(
            second
                .message
                .as_deref()
                .is_some_and(|m| m.contains("Used 29990")),
            "{:?}",
            second.message
        );
    }
}
