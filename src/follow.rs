//! `explain --follow` (source layer): reads a growing file as `tail -F` does, or a pipe
//! until it ends, and prints each diagnosis as it becomes final.
//!
//! A reader thread polls the file every [`POLL`]: new bytes are sent on; a path that now
//! names another file (rotation) is read to its end first, then the new file from its
//! start; a file that shrank (truncation) is read again from its start. The main loop feeds
//! a [`Stream`], flushes it after [`IDLE`] without new bytes, and prints. Ctrl-C exits 130,
//! SIGTERM 0, the end of a pipe 0; each after the one-line summary on stderr.

use crate::commands::explain::{io_reason, print_out};
use crate::diagnose::{Found, Stream};
use crate::error::{AppError, ExitCode};
use crate::views::follow as view;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// How often the file is looked at.
const POLL: Duration = Duration::from_millis(100);
/// Without new bytes for this long, the block in progress is complete.
const IDLE: Duration = Duration::from_millis(200);
/// Read size; with the channel's depth, the bound on bytes in flight.
const CHUNK: usize = 64 * 1024;
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

/// What `explain --follow` was asked: its inputs (one), JSON or text, and whether to read
/// what the file already holds first.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub inputs: Vec<PathBuf>,
    pub json: bool,
    pub from_start: bool,
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
    let (tx, rx) = sync_channel::<Msg>(16);
    install_signals(tx.clone())?;
    let name = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    if path.as_os_str() == "-" {
        std::thread::spawn(move || read_pipe(&tx));
    } else {
        // Opened here, so that a file that cannot be read is one line and exit 3.
        let first = match open(&path, !args.from_start) {
            Ok(o) => Some(o),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("ratedoctor: {name} does not exist yet; waiting for it");
                None
            }
            Err(e) => {
                return Err(AppError::Unreadable(format!(
                    "cannot read {name}: {}",
                    io_reason(&e)
                )));
            }
        };
        std::thread::spawn(move || read_file(&path, first, &tx));
    }
    follow(&rx, args.json, &name)
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

/// The main loop: feeds the stream, prints, ends on a signal or the end of the pipe.
fn follow(rx: &Receiver<Msg>, json: bool, name: &str) -> Result<ExitCode, AppError> {
    let mut stream = Stream::new();
    let mut out = Printer::new(json);
    let mut last_data: Option<Instant> = None;
    let code = loop {
        match rx.recv_timeout(POLL) {
            Ok(Msg::Data(bytes)) => {
                stream.feed(&bytes);
                last_data = Some(Instant::now());
            }
            Ok(Msg::Break) => stream.end_input(),
            Ok(Msg::End) | Err(RecvTimeoutError::Disconnected) => break ExitCode::Ok,
            Ok(Msg::Failed(why)) => {
                stream.end_input();
                out.found(stream.take())?;
                out.finish()?;
                eprintln!("ratedoctor: {}", out.summary(name));
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
            stream.flush();
            last_data = None;
        }
        out.found(stream.take())?;
        out.tick(false)?;
    };
    stream.end_input();
    out.found(stream.take())?;
    out.finish()?;
    eprintln!("ratedoctor: {}", out.summary(name));
    Ok(code)
}

/// Text lines (repeats folded into count lines) or JSON Lines.
struct Printer {
    json: bool,
    /// Per distinct error: its latest diagnosis, when its count was last printed, and
    /// whether a count is waiting to be printed.
    repeats: HashMap<usize, (crate::diagnose::Diagnosis, Instant, bool, String)>,
    by_kind: Vec<(&'static str, u64)>,
}

impl Printer {
    fn new(json: bool) -> Self {
        Printer {
            json,
            repeats: HashMap::new(),
            by_kind: Vec::new(),
        }
    }

    fn found(&mut self, found: Vec<Found>) -> Result<(), AppError> {
        if found.is_empty() {
            return Ok(());
        }
        let read_at = now_utc();
        let mut text = String::new();
        for f in found {
            let kind = f.diagnosis.kind.id();
            match self.by_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => self.by_kind.push((kind, 1)),
            }
            let t = f.stamp.as_deref().unwrap_or(&read_at);
            if self.json {
                text.push_str(&view::json(t, f.stamp.is_some(), &f.diagnosis));
                text.push('\n');
            } else if f.first {
                text.push_str(&view::first(t, &f.diagnosis));
                text.push('\n');
                // The first count line may come a second from now.
                self.repeats
                    .insert(f.id, (f.diagnosis, Instant::now(), false, t.to_string()));
            } else if let Some(r) = self.repeats.get_mut(&f.id) {
                *r = (f.diagnosis, r.1, true, t.to_string());
            }
        }
        print_out(&text)?;
        self.tick(false)
    }

    /// Prints the count lines that are due (all waiting ones when `all`).
    fn tick(&mut self, all: bool) -> Result<(), AppError> {
        let mut due: Vec<(usize, String)> = Vec::new();
        for (id, (d, last, waiting, t)) in &mut self.repeats {
            if *waiting && (all || last.elapsed() >= REPEAT_EVERY) {
                due.push((*id, view::repeated(t, d)));
                *last = Instant::now();
                *waiting = false;
            }
        }
        if due.is_empty() {
            return Ok(());
        }
        due.sort();
        let text: String = due.into_iter().map(|(_, l)| l + "\n").collect();
        print_out(&text)
    }

    fn finish(&mut self) -> Result<(), AppError> {
        self.tick(true)
    }

    fn summary(&self, name: &str) -> String {
        view::summary(name, &self.by_kind)
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
