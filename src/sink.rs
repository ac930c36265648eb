//! Where the events of a `watch`, `run` or `demo` go (the output layer): the live view,
//! a recording (`--record`, for `replay`), JSON Lines (`--json`, `--json-file`) and text
//! lines, each written in batches, keys redacted; and at the end, the summary on every
//! output that has the events. Next to [`crate::session`], which folds the same events.

use crate::error::AppError;
use crate::event::Event;
use crate::proxy::{self, ProxyStats};
use crate::redact::redact;
use crate::session::Session;
use crate::views::event_line::with_time as event_line;
use crate::views::summary::proxy_text as summary_text;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use tokio::sync::{mpsc, watch};

/// Where a stream of lines goes.
enum Out {
    Stdout,
    Stderr,
    File(BufWriter<File>),
}

impl Out {
    fn write(&mut self, text: &str) {
        let bytes = text.as_bytes();
        // An output that cannot be written (a closed pipe, a full disk) must not stop the
        // proxy: the program's calls go on.
        let _ = match self {
            Out::Stdout => {
                let mut o = std::io::stdout().lock();
                o.write_all(bytes).and_then(|()| o.flush())
            }
            Out::Stderr => std::io::stderr().lock().write_all(bytes),
            Out::File(f) => f.write_all(bytes).and_then(|()| f.flush()),
        };
    }
}

/// Where events go: the live view, a recording, JSON Lines, text lines.
pub struct Sink {
    /// JSON Lines of the events and the summary (`--json`: stdout; `--json-file`).
    json: Option<Out>,
    /// Text lines of the events and the summary, unless JSON has stdout or the live view
    /// is up (`run`: stderr, so the program's stdout stays its own).
    text: Option<Out>,
    record: Option<BufWriter<File>>,
    /// The live view is up: text lines wait for its end, every event goes to it.
    pub forward: Option<mpsc::Sender<Event>>,
    /// Reused buffers: the batch's JSON lines, text lines and recorded lines, and where
    /// each event's line ends in them.
    out_json: String,
    out_text: String,
    rec: String,
    json_ends: Vec<usize>,
    text_ends: Vec<usize>,
    rec_ends: Vec<usize>,
}

impl Sink {
    /// The outputs of a run: JSON Lines to `json_file`, else to stdout with `json`; the
    /// events recorded to `record`; text lines on stderr for `run` (`for_run`, so the
    /// program's stdout stays its own), else on stdout.
    pub fn new(
        json: bool,
        json_file: Option<&Path>,
        record: Option<&Path>,
        for_run: bool,
    ) -> Result<Sink, AppError> {
        let json = match json_file {
            Some(path) => Some(Out::File(create(path)?)),
            None if json => Some(Out::Stdout),
            None => None,
        };
        let text = match json {
            Some(Out::Stdout) => None,
            _ if for_run => Some(Out::Stderr),
            _ => Some(Out::Stdout),
        };
        Ok(Sink {
            json,
            text,
            record: record.map(create).transpose()?,
            forward: None,
            out_json: String::new(),
            out_text: String::new(),
            rec: String::new(),
            json_ends: Vec::new(),
            text_ends: Vec::new(),
            rec_ends: Vec::new(),
        })
    }

    /// No text lines (`explain --follow` prints its own).
    pub fn without_text(mut self) -> Sink {
        self.text = None;
        self
    }

    /// Writes a batch of events from outside the async consumer (`explain --follow`).
    pub fn write(&mut self, events: &[Event]) {
        self.handle_all(events);
    }

    /// Handles a batch of events with one write (and one flush) per output.
    fn handle_all(&mut self, events: &[Event]) {
        let text = self.forward.is_none() && self.text.is_some();
        let json = self.json.is_some();
        let record = self.record.is_some();
        for (buf, ends) in [
            (&mut self.out_json, &mut self.json_ends),
            (&mut self.out_text, &mut self.text_ends),
            (&mut self.rec, &mut self.rec_ends),
        ] {
            buf.clear();
            ends.clear();
        }
        for e in events {
            if let Some(tx) = &self.forward {
                // The view drops what it cannot keep up with; the proxy's session counts
                // all.
                let _ = tx.try_send(e.clone());
            }
            if record {
                push_json_line(&mut self.rec, e);
                end_line(&mut self.rec, &mut self.rec_ends);
            }
            if json {
                push_json_line(&mut self.out_json, e);
                end_line(&mut self.out_json, &mut self.json_ends);
            }
            if text {
                self.out_text.push_str(&event_line(e));
                end_line(&mut self.out_text, &mut self.text_ends);
            }
        }
        if let Some(w) = &mut self.record {
            let _ = w.write_all(redact_lines(&self.rec, &self.rec_ends).as_bytes());
            let _ = w.flush();
        }
        if let Some(out) = &mut self.json {
            out.write(&redact_lines(&self.out_json, &self.json_ends));
        }
        if text && let Some(out) = &mut self.text {
            out.write(&redact_lines(&self.out_text, &self.text_ends));
        }
    }

    /// The summary, on every output that has the events: one JSON line, and the text.
    pub fn summary(&mut self, session: &Session, stats: &ProxyStats) {
        if let Some(out) = &mut self.json {
            let v = serde_json::json!({"summary": proxy::summary_json(session, stats)});
            out.write(&format!("{}\n", redact(&v.to_string())));
        }
        if let Some(out) = &mut self.text {
            let text = redact(&summary_text(session, stats)).into_owned();
            // On a terminal, long lines (the recommendation) wrap at words.
            let width = match out {
                Out::Stdout => crate::views::style::terminal_width(false),
                Out::Stderr => crate::views::style::terminal_width(true),
                Out::File(_) => None,
            };
            let text = match width {
                Some(w) => crate::views::style::wrap_block(&text, w),
                None => text,
            };
            // On stderr the summary follows the program's own output: a blank line first.
            let gap = if matches!(out, Out::Stderr) { "\n" } else { "" };
            out.write(&format!("{gap}{text}\n"));
        }
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, AppError> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| AppError::Unreadable(format!("cannot write {}: {e}", path.display())))
}

/// Appends an event's JSON line (without a newline).
fn push_json_line(o: &mut String, e: &Event) {
    if let Ok(line) = serde_json::to_string(e) {
        o.push_str(&line);
    }
}

/// Ends a line: `ends` remembers where it ended.
fn end_line(o: &mut String, ends: &mut Vec<usize>) {
    ends.push(o.len());
    o.push('\n');
}

/// `text` holds one newline-terminated line per event, the i-th ending at `ends[i]`;
/// each line is redacted on its own (a line may hold newlines of its own). Most batches
/// hold no secret, and one scan of the whole batch says so.
fn redact_lines<'a>(text: &'a str, ends: &[usize]) -> Cow<'a, str> {
    if !crate::redact::has_secret(text) {
        return Cow::Borrowed(text);
    }
    let mut o = String::with_capacity(text.len());
    let mut start = 0;
    for &end in ends {
        o.push_str(&redact(&text[start..end]));
        o.push('\n');
        start = end + 1;
    }
    Cow::Owned(o)
}

/// Under load the consumer wakes at most this often (each wake handles every event
/// queued); an idle proxy's first event is still handled at once.
pub const BATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

pub async fn consume(
    mut rx: mpsc::Receiver<Event>,
    mut sink: Sink,
    mut stop: watch::Receiver<bool>,
) -> Sink {
    let mut batch = Vec::with_capacity(256);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, 8192) => {
                if n == 0 {
                    break;
                }
                sink.handle_all(&batch);
                batch.clear();
            }
            _ = stop.changed() => break,
        }
        tokio::select! {
            () = tokio::time::sleep(BATCH_INTERVAL) => {}
            _ = stop.changed() => break,
        }
    }
    while let Ok(e) = rx.try_recv() {
        batch.push(e);
    }
    sink.handle_all(&batch);
    sink
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_redacted_line_by_line() {
        let lines = [
            "   0.001s #1    FAILED upstream said: Authorization: Bearer sk-proj-abcdefghijklmnopqrstuvwxyz0123",
            "   0.002s #2    FAILED two\nlines, no key",
            "   0.003s #3    <- 200 1 ms",
        ];
        let mut text = String::new();
        let mut ends = Vec::new();
        for l in lines {
            text.push_str(l);
            end_line(&mut text, &mut ends);
        }
        let want: String = lines.iter().map(|l| format!("{}\n", redact(l))).collect();
        let got = redact_lines(&text, &ends);
        assert_eq!(got, want);
        assert!(!got.contains("abcdefghijklmnop"), "{got}");
        // No secret: the batch is written as it is.
        let clean = &text[ends[0] + 1..];
        let clean_ends: Vec<usize> = ends[1..].iter().map(|e| e - ends[0] - 1).collect();
        assert!(matches!(redact_lines(clean, &clean_ends), Cow::Borrowed(_)));
    }
}
