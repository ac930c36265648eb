//! `explain --follow` (source layer): reads a growing file as `tail -F` does, or a pipe
//! until it ends, and prints each diagnosis as it becomes final.
//!
//! A reader thread polls the file every [`POLL`]: new bytes are sent on; a path that now
//! names another file (rotation) is read to its end first, then the new file from its
//! start; a file that shrank (truncation) is read again from its start. The main loop feeds
//! a [`Stream`], flushes it after [`IDLE`] without new bytes, and prints. Ctrl-C exits 130,
//! SIGTERM 0, the end of a pipe 0; each after the one-line summary on stderr.

use crate::commands::explain::{io_reason, print_out};
use crate::diagnose::{Diagnosis, Found, Kind, Provider, Stream, Window, leading_time_in};
use crate::error::{AppError, ExitCode};
use crate::event::{Event, EventKind, RetryBy};
use crate::headers::{Budget, Dimension, Snapshot};
use crate::redact::redact;
use crate::session::Session;
use crate::sink::Sink;
use crate::views::follow as view;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the file is looked at.
const POLL: Duration = Duration::from_millis(50);
/// Without new bytes for this long, the block in progress is complete.
const IDLE: Duration = Duration::from_millis(200);
/// Read size; with the channel's depth, the bound on bytes in flight.
const CHUNK: usize = 64 * 1024;
/// A line stamped this much before the newest one read starts the log's clock again.
const REANCHOR_MS: f64 = 600_000.0;
/// A repeated error's count line is printed at most this often.
const REPEAT_EVERY: Duration = Duration::from_secs(1);

enum Msg {
    Data(Vec<u8>),
    /// The input ended and another begins (rotation, truncation).
    Break,
    /// The pipe ended.
    End,
    Failed(String),
    /// A stop signal: true for Ctrl-C.
    Stop(bool),
}

/// What `explain --follow` was asked: its inputs (one), JSON or text, whether to read
/// what the file already holds first, a recording, and whether the live view may open.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub inputs: Vec<PathBuf>,
    pub json: bool,
    pub from_start: bool,
    pub record: Option<PathBuf>,
    pub no_tui: bool,
}

pub fn run(args: &FollowOptions) -> Result<ExitCode, AppError> {
    let path = match args.inputs.as_slice() {
        [] => PathBuf::from("-"),
        [one] => one.clone(),
        _ => {
            return Err(AppError::Usage(
                "--follow reads one input (a file, or - for stdin)".to_string(),
            ));
        }
    };
    if path.is_dir() {
        return Err(AppError::Unreadable(format!(
            "cannot follow {}: it is a directory",
            path.display()
        )));
    }
    // The live view on a terminal (keys come from the terminal even when stdin is the
    // followed pipe), unless --no-tui or --json.
    let tui = !args.no_tui && !args.json && std::io::stdout().is_terminal();
    let sink = Sink::new(false, None, args.record.as_deref(), false)?.without_text();
    let (tx, rx) = sync_channel::<Msg>(16);
    if !tui {
        install_signals(tx.clone())?;
    }
    let name = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    if path.as_os_str() == "-" {
        let tx = tx.clone();
        std::thread::spawn(move || read_pipe(&tx));
    } else {
        // Opened here, so that a file that cannot be read is one line and exit 3.
        let first = match open(&path, !args.from_start) {
            Ok(o) => Some(o),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !tui {
                    eprintln!("ratedoctor: {name} does not exist yet; waiting for it");
                }
                None
            }
            Err(e) => {
                return Err(AppError::Unreadable(format!(
                    "cannot read {name}: {}",
                    io_reason(&e)
                )));
            }
        };
        let tx = tx.clone();
        let path = path.clone();
        std::thread::spawn(move || read_file(&path, first, &tx));
    }
    let clock = Arc::new(Mutex::new(LogClock::new()));
    if !tui {
        let mut f = Follower::new(Output::Lines { json: args.json }, sink, clock);
        let code = pump(&rx, &mut f);
        eprintln!("ratedoctor: {}", f.summary(&name));
        return code;
    }
    let (view_tx, view_rx) = tokio::sync::mpsc::channel(8192);
    let mut sink = sink;
    sink.forward = Some(view_tx);
    let mut f = Follower::new(Output::View, sink, clock.clone());
    let worker = std::thread::spawn(move || {
        let code = pump(&rx, &mut f);
        if matches!(code, Ok(ExitCode::Ok)) {
            // The input ended (or the view closed): the view's channel closes with it, so
            // its header says `finished` while the user reads what came.
            f.sink.forward = None;
        }
        (code, f)
    });
    let shown = crate::tui::run_live_clocked(
        crate::tui::LiveSource::Follow { path: name.clone() },
        view_rx,
        move || clock.lock().map_or(0.0, |c| c.now_ms()),
    );
    // The view is closed: the follower finishes what it read and stops.
    let _ = tx.send(Msg::Stop(false));
    drop(tx);
    let (code, f) = worker
        .join()
        .map_err(|_| AppError::Internal("the follow loop failed".to_string()))?;
    eprintln!("ratedoctor: {}", f.summary(&name));
    let shown = shown?;
    code.map(|c| if c == ExitCode::Ok { shown } else { c })
}

fn install_signals(tx: SyncSender<Msg>) -> Result<(), AppError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the runtime: {e}")))?;
    // Installed here, before anything is read or printed.
    let mut stop = rt.block_on(async { crate::shutdown::StopSignals::install() });
    std::thread::spawn(move || {
        let ctrl_c = rt.block_on(stop.wait_which());
        let _ = tx.send(Msg::Stop(ctrl_c));
    });
    Ok(())
}

/// The main loop: feeds the follower, ends on a signal, the end of the pipe or an input
/// that failed.
fn pump(rx: &Receiver<Msg>, f: &mut Follower) -> Result<ExitCode, AppError> {
    let mut last_data: Option<Instant> = None;
    let code = loop {
        match rx.recv_timeout(POLL) {
            Ok(Msg::Data(bytes)) => {
                f.feed(&bytes)?;
                last_data = Some(Instant::now());
            }
            Ok(Msg::Break) => f.end_input()?,
            Ok(Msg::End) | Err(RecvTimeoutError::Disconnected) => break ExitCode::Ok,
            Ok(Msg::Failed(why)) => {
                f.end_input()?;
                f.finish()?;
                return Err(AppError::Unreadable(why));
            }
            Ok(Msg::Stop(ctrl_c)) => {
                break if ctrl_c {
                    ExitCode::Interrupted
                } else {
                    ExitCode::Ok
                };
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if last_data.is_some_and(|t| t.elapsed() >= IDLE) {
            f.flush()?;
            last_data = None;
        }
        f.take()?;
        f.tick()?;
    };
    f.end_input()?;
    f.finish()?;
    Ok(code)
}

/// Where the follower's findings go besides the sink (recording, live view).
enum Output {
    /// Text lines, or JSON Lines of the events, on stdout.
    Lines { json: bool },
    /// The live view has the terminal: nothing printed.
    View,
}

/// A followed log's time: `t_ms` of the events. The first timestamp read is placed at the
/// log clock's now, and later ones keep their distances from it; a line without one is
/// placed at now. Between events the clock runs on from the last one, so ages and rates
/// read in the log's own time whatever the zone or clock of the machine that wrote it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogClock {
    last_ms: f64,
    at: Instant,
    /// A timestamp's milliseconds (since the epoch, zone-less ones read as UTC) minus its
    /// `t_ms`.
    offset: Option<f64>,
}

impl LogClock {
    fn new() -> Self {
        LogClock {
            last_ms: 0.0,
            at: Instant::now(),
            offset: None,
        }
    }

    /// `t_ms` of now.
    pub(crate) fn now_ms(&self) -> f64 {
        self.last_ms + self.at.elapsed().as_secs_f64() * 1000.0
    }

    /// The `t_ms` of something stamped `stamp` (or, without one, read now).
    fn place(&mut self, stamp: Option<&str>) -> f64 {
        let now = self.now_ms();
        let t = match stamp.and_then(epoch_ms) {
            Some(ms) => {
                let offset = *self.offset.get_or_insert(ms - now);
                if ms - offset < self.last_ms - REANCHOR_MS {
                    // Far behind the newest line: another log or another clock (logs of
                    // two days one after the other). It starts again at now, and the
                    // lines after it keep their distances from it.
                    self.offset = Some(ms - now);
                    now
                } else {
                    (ms - offset).max(0.0)
                }
            }
            None => now,
        };
        if t >= self.last_ms {
            self.last_ms = t;
            self.at = Instant::now();
        }
        t
    }
}

/// Milliseconds since the epoch of a normalised stamp (`…Z`, or zone-less read as UTC).
fn epoch_ms(stamp: &str) -> Option<f64> {
    let ts = match stamp.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => stamp
            .parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp(),
    };
    Some(ts.as_millisecond() as f64)
}

/// How soon after an error an SDK's retry line must come to be that error's retry.
const RETRY_FOLLOWS_MS: f64 = 500.0;

/// Turns what the stream finds, and the SDKs' retry lines, into events; sends them to the
/// sink and the session, and prints them (text or JSON) unless the view is up.
struct Follower {
    stream: Stream,
    out: Output,
    printer: Printer,
    sink: Sink,
    session: Session,
    clock: Arc<Mutex<LogClock>>,
    next_id: u64,
    /// The latest error's event id, the server's hint with it, which distinct error it
    /// is, and its time (ms on the log's clock).
    last_error: Option<(u64, Option<f64>, usize, f64)>,
    /// The retries the log told of with a server's hint to set them against.
    judged: u64,
    /// The end of the last line, carried to the next chunk (for the retry lines).
    carry: Vec<u8>,
    carry_dropped: bool,
    retry_finder: memchr::memmem::Finder<'static>,
    year: i16,
    /// Errors by kind, in order of first appearance (for the summary line).
    by_kind: Vec<(&'static str, u64)>,
}

impl Follower {
    fn new(out: Output, sink: Sink, clock: Arc<Mutex<LogClock>>) -> Self {
        let year = jiff::Zoned::now().year();
        let mut stream = Stream::new();
        stream.set_year(year);
        Follower {
            stream,
            out,
            printer: Printer::new(),
            sink,
            session: Session::new(),
            clock,
            next_id: 1,
            last_error: None,
            judged: 0,
            carry: Vec::new(),
            carry_dropped: false,
            // `Retrying ` and LiteLLM's older `retrying request. Current attempt`.
            retry_finder: memchr::memmem::Finder::new(b"etrying "),
            year,
            by_kind: Vec::new(),
        }
    }

    /// Feeds a chunk: the stream gets it, cut after each retry line, so that the error a
    /// retry line follows is final (and reported) before the retry is.
    fn feed(&mut self, data: &[u8]) -> Result<(), AppError> {
        let Some(last_nl) = memchr::memrchr(b'\n', data) else {
            self.keep_partial(data);
            self.stream.feed(data);
            return Ok(());
        };
        let first_nl = memchr::memchr(b'\n', data).unwrap_or(last_nl);
        // Line ends (in `data`) of the retry lines, with the parsed line.
        let mut retries: Vec<(usize, RetryLine, Option<String>)> = Vec::new();
        // The first line, which may have begun in an earlier chunk.
        let first = &data[..first_nl];
        let first_has = self.retry_finder.find(first).is_some()
            || (!self.carry.is_empty() && {
                let mut joined = self.carry.clone();
                joined.extend_from_slice(first);
                self.retry_finder.find(&joined).is_some()
            });
        if first_has && !self.carry_dropped {
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(first);
            let text = String::from_utf8_lossy(&line);
            if let Some(r) = retry_line(&text) {
                retries.push((first_nl, r, leading_time_in(&text, Some(self.year))));
            }
        }
        let body = &data[first_nl + 1..=last_nl];
        let mut from = 0;
        while let Some(hit) = self.retry_finder.find(&body[from..]) {
            let at = from + hit;
            let start = memchr::memrchr(b'\n', &body[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |i| at + i);
            let text = String::from_utf8_lossy(&body[start..end]);
            if let Some(r) = retry_line(&text) {
                retries.push((
                    first_nl + 1 + end,
                    r,
                    leading_time_in(&text, Some(self.year)),
                ));
            }
            from = end.min(body.len().saturating_sub(1)).max(at + 1);
            if from >= body.len() {
                break;
            }
        }
        self.carry.clear();
        self.carry_dropped = false;
        self.keep_partial(&data[last_nl + 1..]);
        let mut pos = 0;
        for (end, r, stamp) in retries {
            self.stream.feed(&data[pos..=end]);
            pos = end + 1;
            self.stream.flush();
            self.take()?;
            self.retry(r, stamp.as_deref())?;
        }
        self.stream.feed(&data[pos..]);
        Ok(())
    }

    /// Keeps the end of a line for the next chunk (a line longer than a block is not a
    /// retry line worth keeping).
    fn keep_partial(&mut self, tail: &[u8]) {
        if self.carry.len() + tail.len() > 64 * 1024 {
            self.carry.clear();
            self.carry_dropped = true;
        } else if !self.carry_dropped {
            self.carry.extend_from_slice(tail);
        }
    }

    fn flush(&mut self) -> Result<(), AppError> {
        self.stream.flush();
        self.take()
    }

    fn end_input(&mut self) -> Result<(), AppError> {
        self.stream.end_input();
        self.carry.clear();
        self.carry_dropped = false;
        self.take()
    }

    /// The errors that became final, as events.
    fn take(&mut self) -> Result<(), AppError> {
        let found = self.stream.take();
        if found.is_empty() {
            return Ok(());
        }
        let read_at = now_utc();
        let mut events = Vec::with_capacity(found.len());
        let mut stamps = Vec::with_capacity(found.len());
        for f in &found {
            let kind = f.diagnosis.kind.id();
            match self.by_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => self.by_kind.push((kind, 1)),
            }
            let t_ms = self.place(f.stamp.as_deref());
            let id = self.next_id;
            self.next_id += 1;
            let event = Event {
                t_ms,
                id,
                kind: answer(&f.diagnosis),
            };
            if matches!(event.kind, EventKind::ResponseReceived { .. }) {
                self.last_error = Some((id, f.diagnosis.retry_after_s, f.id, t_ms));
            }
            stamps.push(f.stamp.clone());
            events.push(event);
        }
        let text = match self.out {
            Output::Lines { json: true } => json_lines(&events, &stamps, &read_at),
            Output::Lines { json: false } => self.printer.found(found, &read_at),
            Output::View => String::new(),
        };
        self.emit(&events, &text)
    }

    /// A retry the program's log tells of, set against the latest error's hint.
    fn retry(&mut self, r: RetryLine, stamp: Option<&str>) -> Result<(), AppError> {
        let t_ms = self.place(stamp);
        let (group, advised_s, error) = match self.last_error {
            // An SDK logs its retry as the error comes back (httpx's `429` line then the
            // retry line, or tenacity's line that quotes the error): an error read earlier
            // than that is another request's, whose hint says nothing of this retry.
            Some((id, advised, distinct, at)) if t_ms - at <= RETRY_FOLLOWS_MS => {
                (id, advised, Some(distinct))
            }
            _ => {
                let id = self.next_id;
                self.next_id += 1;
                (id, None, None)
            }
        };
        let (wait_s, reason) = match r.wait_s {
            Some(w) => (w, r.who.to_string()),
            None => (0.0, format!("{}: {}", r.who, crate::event::WAIT_NOT_LOGGED)),
        };
        let advised_s = if r.wait_s.is_some() { advised_s } else { None };
        self.judged += u64::from(advised_s.is_some());
        let event = Event {
            t_ms,
            id: group,
            kind: EventKind::RetryScheduled {
                group,
                wait_s,
                advised_s,
                by: RetryBy::Client,
                reason,
            },
        };
        let read_at = now_utc();
        let text = match self.out {
            Output::Lines { json: true } => json_lines(
                std::slice::from_ref(&event),
                &[stamp.map(String::from)],
                &read_at,
            ),
            Output::Lines { json: false } => {
                let t = stamp.unwrap_or(&read_at);
                self.printer.retry(error, r.who, &event, t)
            }
            Output::View => String::new(),
        };
        self.emit(std::slice::from_ref(&event), &text)
    }

    fn place(&mut self, stamp: Option<&str>) -> f64 {
        match self.clock.lock() {
            Ok(mut c) => c.place(stamp),
            Err(_) => 0.0,
        }
    }

    fn emit(&mut self, events: &[Event], text: &str) -> Result<(), AppError> {
        for e in events {
            self.session.apply(e);
        }
        self.sink.write(events);
        if text.is_empty() {
            return Ok(());
        }
        print_out(&redact(text))
    }

    /// Prints the count lines that are due (all of them when `all`).
    fn counts(&mut self, all: bool) -> Result<(), AppError> {
        if !matches!(self.out, Output::Lines { json: false }) {
            return Ok(());
        }
        let now_ms = self.clock.lock().map_or(0.0, |c| c.now_ms());
        let text = self.printer.tick(all, &self.session, now_ms);
        print_out(&redact(&text))
    }

    fn tick(&mut self) -> Result<(), AppError> {
        self.counts(false)
    }

    fn finish(&mut self) -> Result<(), AppError> {
        self.counts(true)
    }

    fn summary(&self, name: &str) -> String {
        let audit = self.session.audit();
        redact(&view::summary(name, &self.by_kind, &audit, self.judged)).into_owned()
    }
}

/// The status of the answer a diagnosis read from a log tells of (see [`answer`]); `None`
/// for an exchange without an answer.
fn answer_status(d: &Diagnosis) -> Option<u16> {
    d.status.or(match d.kind {
        Kind::NotRateLimit => None,
        Kind::Overloaded if d.provider == Provider::Anthropic => Some(529),
        Kind::Overloaded => Some(503),
        _ => Some(429),
    })
}

/// What a diagnosis read from a log is as an event: an answer with the log's status (a
/// rate limit without one is a 429, an overload a 529 from Anthropic, else a 503), its
/// hint and, where the message gives limit and used, a budget reading marked as read from
/// a message; an error with no status that is not a limit (a connection error) is an
/// exchange without an answer.
fn answer(d: &Diagnosis) -> EventKind {
    let Some(status) = answer_status(d) else {
        return EventKind::Failed {
            error: d.title.clone(),
        };
    };
    let mut snapshot = Snapshot {
        budgets: Vec::new(),
        retry_after_s: d.retry_after_s,
        notes: vec![crate::event::FROM_LOG.to_string()],
    };
    let dim = match d.kind {
        Kind::Rpm => Some((Dimension::Requests, Window::Minute)),
        Kind::Rpd => Some((Dimension::Requests, Window::Day)),
        Kind::Tpm => Some((Dimension::Tokens, Window::Minute)),
        Kind::Tpd => Some((Dimension::Tokens, Window::Day)),
        Kind::InputTpm => Some((Dimension::InputTokens, Window::Minute)),
        Kind::OutputTpm => Some((Dimension::OutputTokens, Window::Minute)),
        Kind::Ipm => Some((Dimension::Images, Window::Minute)),
        _ => None,
    };
    if let (Some((dimension, window)), Some(limit), Some(used)) = (dim, d.limit, d.used) {
        snapshot.budgets.push(Budget {
            dimension,
            window: Some(d.window.unwrap_or(window)),
            limit: Some(limit),
            remaining: Some((limit - used).clamp(0.0, limit)),
            reset_s: None,
            reset_at: None,
            from_message: true,
        });
    }
    EventKind::ResponseReceived {
        status,
        ttfb_ms: 0.0,
        snapshot,
        headers: Vec::new(),
        diagnosis: Some(d.clone()),
        usage: None,
    }
}

/// `--json`: each event as `--record` writes it, plus `t` (the line's own timestamp, else
/// the time it was read, UTC) and `t_from` (`log` or `read`).
fn json_lines(events: &[Event], stamps: &[Option<String>], read_at: &str) -> String {
    let mut o = String::new();
    for (e, stamp) in events.iter().zip(stamps) {
        let Ok(serde_json::Value::Object(mut v)) = serde_json::to_value(e) else {
            continue;
        };
        v.insert(
            "t".into(),
            stamp.as_deref().unwrap_or(read_at).to_string().into(),
        );
        v.insert(
            "t_from".into(),
            if stamp.is_some() { "log" } else { "read" }.into(),
        );
        o.push_str(&serde_json::Value::Object(v).to_string());
        o.push('\n');
    }
    o
}

/// A retry line of the program's SDK: how long it waits (when it says), and who said it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RetryLine {
    pub wait_s: Option<f64>,
    pub who: &'static str,
}

/// Reads an SDK's retry line: openai-python's and anthropic-python's `Retrying request to
/// /chat/completions in 0.410672 seconds`, tenacity's (and so LangChain's) `Retrying
/// <function> in 4.0 seconds as it raised RateLimitError: …`, LiteLLM's router's
/// `Retrying request with num_retries: 3` (once, before its first retry) and, with
/// `set_verbose` in versions before mid-2024, `LiteLLM.Router: retrying request. Current
/// attempt - 0; num retries: 3` (once a retry). LiteLLM logs no wait: its router sleeps
/// what `_time_to_sleep_before_retry` returns (0 when another deployment of the group is
/// healthy, else the server's retry-after or a backoff) and says nothing of it.
pub(crate) fn retry_line(line: &str) -> Option<RetryLine> {
    let litellm = Some(RetryLine {
        wait_s: None,
        who: "litellm",
    });
    if line.contains("retrying request. Current attempt - ") {
        return litellm;
    }
    let at = line.find("Retrying ")?;
    let rest = &line[at + "Retrying ".len()..];
    if rest.starts_with("request with num_retries") {
        return litellm;
    }
    let secs = rest.find(" seconds")?;
    let head = &rest[..secs];
    let num = head.rsplit_once(" in ")?.1.trim();
    let wait: f64 = num
        .parse()
        .ok()
        .filter(|w: &f64| w.is_finite() && *w >= 0.0)?;
    let after = &rest[secs + " seconds".len()..];
    let who = if rest.starts_with("request to ") {
        if line.contains("anthropic") {
            "anthropic-python"
        } else {
            "openai-python"
        }
    } else if after.starts_with(" as it ") {
        if rest.starts_with("langchain") || line.contains("langchain") {
            "langchain (tenacity)"
        } else {
            "tenacity"
        }
    } else {
        return None;
    };
    Some(RetryLine {
        wait_s: Some(wait),
        who,
    })
}

/// Which line a count line updates: a distinct error's, or (before any error was seen)
/// the retries of one SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FoldKey {
    Error(usize),
    Retries(&'static str),
}

/// One count line's state.
struct Fold {
    /// The error's latest diagnosis (`None` for retries before any error).
    diagnosis: Option<Diagnosis>,
    who: &'static str,
    /// When its last line was printed.
    last: Instant,
    /// Whether a count is waiting to be printed.
    waiting: bool,
    /// The time of its latest occurrence or retry.
    t: String,
    /// The program's retries set against it; the first is a line of its own.
    retried: view::Retried,
}

impl Fold {
    fn new(who: &'static str) -> Self {
        Fold {
            diagnosis: None,
            who,
            // The first count line may come a second from now.
            last: Instant::now(),
            waiting: false,
            t: String::new(),
            retried: view::Retried::default(),
        }
    }
}

/// Text lines: a line for each error seen for the first time and for its first retry;
/// then its repeats and retries fold into a count line, at most one a second per
/// distinct error.
struct Printer {
    folds: BTreeMap<FoldKey, Fold>,
}

impl Printer {
    fn new() -> Self {
        Printer {
            folds: BTreeMap::new(),
        }
    }

    /// The lines for errors found (first sightings; repeats wait for [`Printer::tick`]).
    fn found(&mut self, found: Vec<Found>, read_at: &str) -> String {
        let mut text = String::new();
        for f in found {
            let t = f.stamp.as_deref().unwrap_or(read_at).to_string();
            let first = f.first;
            if first {
                text.push_str(&view::first(&t, &f.diagnosis));
                text.push('\n');
            }
            let fold = self
                .folds
                .entry(FoldKey::Error(f.id))
                .or_insert_with(|| Fold::new(""));
            fold.diagnosis = Some(f.diagnosis);
            fold.t = t;
            fold.waiting |= !first;
        }
        text
    }

    /// The line for a retry the log told of, set against the distinct error `error` (none
    /// seen yet: counted by `who`): its first retry is a line, later ones fold into its
    /// count line.
    fn retry(&mut self, error: Option<usize>, who: &'static str, e: &Event, t: &str) -> String {
        let key = error.map_or(FoldKey::Retries(who), FoldKey::Error);
        let fold = self.folds.entry(key).or_insert_with(|| Fold::new(who));
        fold.t = t.to_string();
        fold.retried.n += 1;
        fold.retried.too_early += u64::from(view::too_early(e));
        if fold.retried.n == 1 {
            return format!("{}\n", view::retry(t, e));
        }
        fold.waiting = true;
        String::new()
    }

    /// The count lines that are due (all waiting ones when `all`), with each error kind's
    /// rate in the minute up to `now_ms`.
    fn tick(&mut self, all: bool, session: &Session, now_ms: f64) -> String {
        let mut text = String::new();
        for f in self.folds.values_mut() {
            if f.waiting && (all || f.last.elapsed() >= REPEAT_EVERY) {
                let line = match &f.diagnosis {
                    Some(d) => {
                        // The session counts answers by kind; an exchange without an answer
                        // (a connection error) is not one.
                        let per_min =
                            answer_status(d).map(|_| session.errors_per_min(d.kind, now_ms));
                        view::repeated(&f.t, d, per_min, f.retried)
                    }
                    None => view::retries(&f.t, f.who, f.retried),
                };
                text.push_str(&line);
                text.push('\n');
                f.last = Instant::now();
                f.waiting = false;
            }
        }
        text
    }
}

fn now_utc() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn read_pipe(tx: &SyncSender<Msg>) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tx.send(Msg::Data(buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Msg::Failed(format!("cannot read stdin: {}", io_reason(&e))));
                return;
            }
        }
    }
    let _ = tx.send(Msg::End);
}

/// The file being read: its handle, identity and how far it has been read.
struct Open {
    file: std::fs::File,
    id: (u64, u64),
    pos: u64,
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn open(path: &Path, at_end: bool) -> std::io::Result<Open> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let pos = if at_end {
        file.seek(SeekFrom::End(0))?
    } else {
        0
    };
    Ok(Open {
        file,
        id: identity(&meta),
        pos,
    })
}

/// Sends what `open` holds past its position; false when the receiver is gone.
fn drain(open: &mut Open, buf: &mut [u8], tx: &SyncSender<Msg>) -> Result<bool, String> {
    loop {
        match open.file.read(buf) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                open.pos += n as u64;
                if tx.send(Msg::Data(buf[..n].to_vec())).is_err() {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_reason(&e)),
        }
    }
}

/// Follows `path`, from `current` (`None`: not there yet).
fn read_file(path: &Path, mut current: Option<Open>, tx: &SyncSender<Msg>) {
    let name = path.display().to_string();
    let fail = |why: String| {
        let _ = tx.send(Msg::Failed(format!("cannot read {name}: {why}")));
    };
    let mut buf = vec![0u8; CHUNK];
    loop {
        let Some(cur) = current.as_mut() else {
            // Not there yet (or between a rename and the new file): a new file is read from
            // its start.
            match open(path, false) {
                Ok(o) => current = Some(o),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::thread::sleep(POLL),
                Err(e) => return fail(io_reason(&e)),
            }
            continue;
        };
        match drain(cur, &mut buf, tx) {
            Ok(true) => {}
            Ok(false) => return,
            Err(why) => return fail(why),
        }
        let replaced = match std::fs::metadata(path) {
            Ok(m) => identity(&m) != cur.id,
            // Renamed away and not created again yet: keep the old one until it is.
            Err(_) => false,
        };
        if replaced {
            // Finish the old file (lines written between the read and the look), then the
            // new one from its start.
            match drain(cur, &mut buf, tx) {
                Ok(true) => {}
                Ok(false) => return,
                Err(why) => return fail(why),
            }
            current = None;
            if tx.send(Msg::Break).is_err() {
                return;
            }
            continue;
        }
        let shrank = cur.file.metadata().is_ok_and(|m| m.len() < cur.pos);
        if shrank {
            if let Err(e) = cur.file.seek(SeekFrom::Start(0)) {
                return fail(io_reason(&e));
            }
            cur.pos = 0;
            if tx.send(Msg::Break).is_err() {
                return;
            }
            continue;
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_retry_lines() {
        let r = |l: &str| retry_line(l).map(|r| (r.wait_s, r.who));
        assert_eq!(
            r(
                "2025-10-02 08:00:01,102 - openai._base_client - INFO - Retrying request to /chat/completions in 0.410672 seconds"
            ),
            Some((Some(0.410672), "openai-python"))
        );
        assert_eq!(
            r("INFO:anthropic._base_client:Retrying request to /v1/messages in 20.000000 seconds"),
            Some((Some(20.0), "anthropic-python"))
        );
        assert_eq!(
            r(
                "WARNING:langchain_core:Retrying langchain_openai.chat_models.base.ChatOpenAI.completion_with_retry.<locals>._completion_with_retry in 4.0 seconds as it raised RateLimitError: Error code: 429."
            ),
            Some((Some(4.0), "langchain (tenacity)"))
        );
        assert_eq!(
            r(
                "WARNING:__main__:Retrying __main__.call in 2.5 seconds as it raised APIError: boom."
            ),
            Some((Some(2.5), "tenacity"))
        );
        // LiteLLM's router, as its logs show it (its own format, Python's default one,
        // and the verbose line of older versions): no wait in any.
        for line in [
            "00:07:32 - LiteLLM Router:INFO: router.py:3557 - Retrying request with num_retries: 3",
            "2025-05-04 00:07:32,016 - LiteLLM Router - INFO - Retrying request with num_retries: 3",
            "14:36:00 - LiteLLM Router:DEBUG: router.py:3670 - Retrying request with num_retries: 2",
            "LiteLLM.Router: retrying request. Current attempt - 0; num retries: 3",
        ] {
            assert_eq!(r(line), Some((None, "litellm")), "{line}");
        }
        assert_eq!(r("retrying request later"), None);
        assert_eq!(r("Retrying in a moment"), None);
        assert_eq!(r("Retrying x in -1 seconds as it raised E"), None);
        assert_eq!(r("no retry here"), None);
    }

    #[test]
    fn the_log_clock_keeps_the_stamps_distances() {
        let mut c = LogClock::new();
        let a = c.place(Some("2025-10-02T08:00:00.000Z"));
        let b = c.place(Some("2025-10-02T08:00:02.500Z"));
        assert!((b - a - 2500.0).abs() < 1e-6, "{a} {b}");
        // Zone-less stamps keep distances too (read as UTC).
        let z = c.place(Some("2025-10-02T08:00:03.500"));
        assert!((z - a - 3500.0).abs() < 1e-6, "{a} {z}");
        // A little out of order (workers), a line keeps its place; far behind the newest
        // line (another day's log after this one's) it starts the clock again at now.
        let back = c.place(Some("2025-10-02T08:00:01.500Z"));
        assert!((back - a - 1500.0).abs() < 1e-6, "{a} {back}");
        let next_day = c.place(Some("2020-01-01T00:00:00.000Z"));
        assert!(next_day >= z, "{z} {next_day}");
        let after = c.place(Some("2020-01-01T00:00:03.000Z"));
        assert!(
            (after - next_day - 3000.0).abs() < 0.01,
            "{next_day} {after}"
        );
        assert!(c.now_ms() >= after);
    }
}
