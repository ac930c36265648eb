//! `ratedoctor explain`: read files, stdin or `--text`, stream them through the explain
//! engine, print cards or JSON.

use crate::diagnose::{Analyzer, Block, Diagnosis, Scanner, Segmenter};
use crate::error::{AppError, ExitCode};
use crate::table;
use crate::views::explain as view;
use crate::views::style::Style;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Options of `ratedoctor explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Files to read; `-` is stdin. With none (and no --text), stdin is read.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Diagnose this text instead of reading files (may be repeated).
    #[arg(short = 't', long, value_name = "STRING")]
    pub text: Vec<String>,

    /// Print one JSON document on stdout instead of cards.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Print the cause/fix table and exit.
    #[arg(long)]
    pub table: bool,

    /// Plain text even on a terminal.
    #[arg(long)]
    pub no_tui: bool,

    /// Keep reading the one INPUT as it grows, as `tail -F` does (rotation, truncation, a
    /// pipe that never ends): a line per new diagnosis, or with --json a JSON line per event;
    /// the live view on a terminal.
    #[arg(short = 'f', long, conflicts_with_all = ["text", "table"])]
    pub follow: bool,

    /// With --follow: read the file's existing content first (default: start at its end).
    #[arg(long, requires = "follow")]
    pub from_start: bool,

    /// With --follow: write every event as JSON Lines to FILE, as `watch --record` does
    /// (keys redacted), for `ratedoctor replay`.
    #[arg(short = 'r', long, value_name = "FILE", requires = "follow")]
    pub record: Option<PathBuf>,
}

/// Read size; memory stays bounded by this plus the segmenter's block limit.
const CHUNK: usize = 1 << 20;

pub fn run(args: &ExplainArgs) -> Result<ExitCode, AppError> {
    if args.table {
        print_out(&table::render())?;
        return Ok(ExitCode::Ok);
    }
    if args.follow {
        return crate::follow::run(&crate::follow::FollowOptions {
            inputs: args.inputs.clone(),
            json: args.json,
            from_start: args.from_start,
            record: args.record.clone(),
            no_tui: args.no_tui,
        });
    }

    let mut all: Vec<Diagnosis> = Vec::new();
    let several = args.inputs.len() + args.text.len() > 1;
    let mut empty_inputs = 0;
    let mut inputs = 0;

    for text in &args.text {
        inputs += 1;
        if text.trim().is_empty() {
            empty_inputs += 1;
        }
        let mut scanner = Scanner::new();
        scanner.feed(text.as_bytes());
        merge(&mut all, scanner.finish(), several.then_some("--text"));
    }
    let mut paths: Vec<&Path> = args.inputs.iter().map(|p| p.as_path()).collect();
    if paths.is_empty() && args.text.is_empty() {
        paths.push(Path::new("-"));
    }
    // An input that cannot be read does not stop the others (as grep and ripgrep do): what
    // could be read is diagnosed, then each failure is reported and the exit code is 3.
    let mut unreadable: Vec<AppError> = Vec::new();
    for path in paths {
        inputs += 1;
        let (diags, bytes) = match read_one(path) {
            Ok(read) => read,
            Err(e @ AppError::Unreadable(_)) => {
                unreadable.push(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        if bytes == 0 {
            empty_inputs += 1;
        }
        let name = path.display().to_string();
        merge(&mut all, diags, several.then_some(name.as_str()));
    }
    if unreadable.len() < inputs {
        let code = diagnose_and_show(args, all, inputs - unreadable.len(), empty_inputs)?;
        if unreadable.is_empty() {
            return Ok(code);
        }
    }
    let last = unreadable.pop();
    for e in &unreadable {
        eprintln!("ratedoctor: {e}");
    }
    // The last one goes the way every error does (one line, exit code 3).
    match last {
        Some(e) => Err(e),
        None => Ok(ExitCode::Unreadable),
    }
}

/// Shows the diagnoses of the inputs that could be read: the explain view on a terminal,
/// else cards or JSON; says so when there are none.
fn diagnose_and_show(
    args: &ExplainArgs,
    all: Vec<Diagnosis>,
    inputs: usize,
    empty_inputs: usize,
) -> Result<ExitCode, AppError> {
    let tty = std::io::stdout().is_terminal() && !args.no_tui && !args.json;
    if tty && !all.is_empty() {
        // The explain view: one card per diagnosis, scrollable, with copyable fixes.
        return crate::tui::run_explain_tui(all);
    }
    if args.json {
        print_out(&view::json(&all))?;
    } else if !all.is_empty() {
        let style = Style {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        let width = terminal_width();
        print_out(&view::cards(&all, style, width))?;
    }
    if all.is_empty() {
        let why = if empty_inputs == inputs {
            "the input is empty"
        } else {
            "no API error found in the input"
        };
        eprintln!("ratedoctor: {why}");
        return Ok(ExitCode::NoErrorFound);
    }
    Ok(ExitCode::Ok)
}

fn terminal_width() -> usize {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    {
        return cols.clamp(40, 200);
    }
    // Not a terminal: no size to ask for (crossterm would run `tput` twice, 3 ms).
    if !std::io::stdout().is_terminal() {
        return 100;
    }
    crossterm::terminal::size().map_or(100, |(w, _)| (w as usize).clamp(40, 200))
}

pub(crate) fn print_out(s: &str) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(AppError::Internal(format!("cannot write output: {e}"))),
    }
}

/// Folds the diagnoses of one input into the running list (same error → more occurrences).
fn merge(all: &mut Vec<Diagnosis>, found: Vec<Diagnosis>, source: Option<&str>) {
    for mut d in found {
        if let Some(existing) = all.iter_mut().find(|x| {
            x.provider == d.provider
                && x.detail == d.detail
                && x.model == d.model
                && x.limit == d.limit
                && x.organization == d.organization
                && x.status == d.status
        }) {
            existing.occurrences += d.occurrences;
            continue;
        }
        d.source = source.map(str::to_string);
        all.push(d);
    }
}

fn read_one(path: &Path) -> Result<(Vec<Diagnosis>, u64), AppError> {
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprintln!(
                "Paste the error text, then press Ctrl-D on a new line (Ctrl-Z then Enter on Windows)."
            );
        }
        return scan(stdin, "stdin");
    }
    let name = path.display();
    if path.is_dir() {
        return Err(AppError::Unreadable(format!(
            "cannot read {name}: it is a directory"
        )));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::Unreadable(format!("cannot read {name}: {}", io_reason(&e))))?;
    scan(file, &name.to_string())
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

/// Is this the start of a binary file rather than text?
fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.is_empty() {
        return false;
    }
    let nul = sample.iter().filter(|b| **b == 0).count();
    let control = sample
        .iter()
        .filter(|b| **b < 0x20 && !matches!(**b, b'\n' | b'\r' | b'\t' | 0x1b | 0x0c))
        .count();
    nul > 0 && control * 10 > sample.len() || control * 4 > sample.len()
}

/// Blocks worth diagnosing, handed from the reading thread to the analysing one: each with
/// its absolute range in the input.
type Batch = Vec<(u64, u64, Vec<u8>)>;

/// Diagnoses everything `reader` holds. Two threads: one reads and segments (the trigger
/// scan), this one analyses the blocks in input order; a large log takes about the longer
/// of the two rather than their sum, and the result is exactly [`Scanner`]'s. (Reading
/// sits with the scan because the scan is the lighter half since its anchors were tuned:
/// see `segment::TRIGGERS`.)
fn scan(reader: impl Read + Send, name: &str) -> Result<(Vec<Diagnosis>, u64), AppError> {
    // At most a few batches wait for analysis, so memory stays bounded when the
    // analysis falls behind (a log made of nothing but errors).
    let (blocks_out, blocks) = std::sync::mpsc::sync_channel::<Batch>(8);
    std::thread::scope(|s| {
        let reading = s.spawn(move || read_and_segment(reader, name, &blocks_out));
        let mut analyzer = Analyzer::new();
        for batch in blocks {
            for (start, end, bytes) in batch {
                analyzer.block(start, end, &bytes);
            }
        }
        let total = match reading.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok((analyzer.finish(), total))
    })
}

/// The reading half of [`scan`]: reads `reader` in chunks, segments them and sends the
/// blocks found, a batch per chunk. Returns the number of bytes read.
fn read_and_segment(
    mut reader: impl Read,
    name: &str,
    blocks: &std::sync::mpsc::SyncSender<Batch>,
) -> Result<u64, AppError> {
    let mut segmenter = Segmenter::new();
    let mut batch = Batch::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(AppError::Unreadable(format!(
                    "cannot read {name}: {}",
                    io_reason(&e)
                )));
            }
        };
        if total == 0 && looks_binary(&buf[..n]) {
            return Err(AppError::Unreadable(format!(
                "cannot read {name}: it looks like binary data, not text"
            )));
        }
        total += n as u64;
        segmenter.feed(&buf[..n], &mut |b| keep(&mut batch, b));
        if !send(blocks, &mut batch) {
            return Ok(total);
        }
    }
    segmenter.finish(&mut |b| keep(&mut batch, b));
    send(blocks, &mut batch);
    Ok(total)
}

fn keep(batch: &mut Batch, b: Block<'_>) {
    batch.push((b.start, b.end, b.bytes.to_vec()));
}

/// Hands a non-empty batch to the analysis; false when the analysis has stopped.
fn send(tx: &std::sync::mpsc::SyncSender<Batch>, batch: &mut Batch) -> bool {
    batch.is_empty() || tx.send(std::mem::take(batch)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_detection() {
        assert!(looks_binary(&[0u8, 1, 2, 3, 4, 5, 6, 7, 0, 0]));
        assert!(!looks_binary(b"plain text\nwith lines\t and tabs"));
        assert!(!looks_binary(
            b"a log with one stray \x00 byte in a long enough line of text"
        ));
    }
}
