//! `ratedoctor run -- CMD` (cli layer): `watch` on a free loopback port plus the program,
//! its SDKs pointed at the proxy (the variables of [`super::watch::child_env`]).
//!
//! With `--no-tui` (or `--json`, or no terminal) the program has the terminal: its stdin,
//! stdout and stderr are ratedoctor's (with `--json`, its stdout joins stderr so stdout
//! carries the JSON Lines alone). Under the live view, the view owns the terminal: the
//! program's output is read line by line (kept whole in a file, redacted, and printed
//! after the view closes) and its stdin is a pipe the view writes: `i` opens an input
//! line, and it opens by itself when the program blocks reading its input (a prompt), as
//! a terminal would hand the keys over. `PYTHONUNBUFFERED=1` is set (unless set already)
//! so that a Python program's lines reach the pane as they are printed.

use super::watch::{
    WatchArgs, child_env, config_for, default_addr, quiet_share, runtime, start, use_tui,
};
use crate::error::{AppError, ExitCode};
use crate::proxy::ProxyConfig;
use crate::redact::redact;
use crate::sink::Sink;
use crate::tui::{ChildOutput, ToChild};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long output may sit without a newline before the view shows it (a prompt).
const PARTIAL_AFTER: Duration = Duration::from_millis(120);
/// How often the view checks whether the program waits for its input.
const WAIT_POLL: Duration = Duration::from_millis(250);

/// Options of `ratedoctor run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub watch: WatchArgs,

    /// The program to run and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `ratedoctor run -- CMD`: runs the program with its SDKs pointed at a proxy on a free
/// loopback port and exits with the program's exit code. ratedoctor's own output goes
/// to stderr so the program's stdout stays its own.
pub fn run_run(args: &RunArgs) -> Result<ExitCode, AppError> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(AppError::Usage("run needs a command after --".into()));
    };
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let mut config = config_for(&args.watch, default_addr("127.0.0.1:0"), &env)?;
    let sink = Sink::new(
        args.watch.json,
        args.watch.json_file.as_deref(),
        args.watch.record.as_deref(),
        true,
    )?;
    if use_tui(&args.watch) {
        quiet_share(&mut config);
        let code = run_tui(config, sink, program, rest)?;
        return exit_with(code);
    }
    let code = runtime()?.block_on(async {
        let running = start(config, sink).await?;
        let base = running.handle.base_url();
        let mut cmd = program_command(program, rest, &base);
        if args.watch.json {
            // stdout carries the JSON Lines alone: the program's stdout joins stderr.
            cmd.stdout(stderr_for_child()?);
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let code = spawn_failed(program, &e);
                running.finish().await?;
                return Ok(code);
            }
        };
        eprintln!("ratedoctor: watching {program} through {base}");
        let status = wait_child(&mut child).await;
        running.finish().await?;
        Ok::<i32, AppError>(exit_code_of(status))
    })?;
    exit_with(code)
}

/// The program with its arguments, its SDKs pointed at the proxy at `base`.
fn program_command(program: &str, rest: &[String], base: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest);
    for (k, v) in child_env(base) {
        cmd.env(k, v);
    }
    cmd
}

/// Our stderr, for a child's stdout to write to.
fn stderr_for_child() -> Result<std::process::Stdio, AppError> {
    use std::os::fd::AsFd;
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(std::process::Stdio::from)
        .map_err(|e| AppError::Internal(format!("cannot pass stderr to the program: {e}")))
}

fn exit_with(code: i32) -> Result<ExitCode, AppError> {
    if code == 0 {
        return Ok(ExitCode::Ok);
    }
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// `run` with the live view. Every line the program prints (stdout and stderr, keys
/// redacted) is kept in a file and shown in its pane; after the view closes, the summary
/// names the file and the lines are printed. The program's stdin is a pipe the view
/// writes what the user types to. Closing the view while the program runs stops it (`q`
/// asks first; Ctrl-C and signals do not). Returns the program's exit code, or 128 + N
/// when signal N (or Ctrl-C, 130) closed the view.
fn run_tui(
    config: ProxyConfig,
    mut sink: Sink,
    program: &str,
    rest: &[String],
) -> Result<i32, AppError> {
    runtime()?.block_on(async {
        let (tx, rx) = mpsc::channel(8192);
        sink.forward = Some(tx);
        let running = start(config, sink).await?;
        let base = running.handle.base_url();
        let mut cmd = program_command(program, rest, &base);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        // On a terminal Python flushes each line; into a pipe it would hold its output
        // back in 8 KB blocks and the pane would stay empty.
        if std::env::var_os("PYTHONUNBUFFERED").is_none() {
            cmd.env("PYTHONUNBUFFERED", "1");
        }
        // The file for its output first: a program is never started that cannot be kept.
        let kept = match KeptOutput::create() {
            Ok(k) => k,
            Err(e) => {
                running.finish().await?;
                return Err(e);
            }
        };
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&kept.path);
                let code = spawn_failed(program, &e);
                running.finish().await?;
                return Ok(code);
            }
        };
        let (line_tx, line_rx) = mpsc::channel::<ChildOutput>(4096);
        // What the user types is echoed where a terminal echoes it: after the prompt, on
        // stdout's current line.
        let (echo_tx, echo_rx) = mpsc::unbounded_channel::<String>();
        let (input_tx, input_rx) = mpsc::unbounded_channel::<ToChild>();
        let stdin = child.stdin.take();
        let pipe = stdin.as_ref().and_then(stdin_pipe::id);
        let writer = stdin.map(|s| tokio::spawn(write_input(s, input_rx, echo_tx)));
        let waits = pipe.map(|p| tokio::spawn(watch_waiting(p, line_tx.clone())));
        let out = child
            .stdout
            .take()
            .map(|o| tokio::spawn(pump(o, kept.clone(), line_tx.clone(), Some(echo_rx))));
        let err = child
            .stderr
            .take()
            .map(|e| tokio::spawn(pump(e, kept.clone(), line_tx.clone(), None)));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let waiter = tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                _ = stop_rx => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            if let Some(w) = waits {
                w.abort();
            }
            // Every line first, then the end (a grandchild may hold a pipe open).
            for pump in [out, err].into_iter().flatten() {
                let _ = tokio::time::timeout(Duration::from_secs(2), pump).await;
            }
            let code = exit_code_of(status);
            let _ = line_tx.send(ChildOutput::Exited(code)).await;
            code
        });
        let command = std::iter::once(program.to_string())
            .chain(rest.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let shown = crate::tui::live(
            crate::tui::LiveSource::Run {
                command,
                proxy: base.clone(),
            },
            rx,
            Some(crate::tui::ChildLink {
                output: line_rx,
                input: Some(input_tx),
            }),
            crate::tui::LiveOptions::default(),
        )
        .await;
        let _ = stop_tx.send(());
        let code = waiter.await.unwrap_or(1);
        if let Some(w) = writer {
            w.abort();
        }
        running.finish().await?;
        let app = shown?;
        kept.replay()?;
        Ok(app.signal.map_or(code, |n| n.saturating_add(128)))
    })
}

/// Writes what the view sends to the program's stdin: each line with its newline (then
/// echoes it), or closes the pipe at the end of input. Ends when the program stops reading.
async fn write_input(
    mut stdin: tokio::process::ChildStdin,
    mut from_view: mpsc::UnboundedReceiver<ToChild>,
    echo: mpsc::UnboundedSender<String>,
) {
    use tokio::io::AsyncWriteExt;
    while let Some(m) = from_view.recv().await {
        match m {
            ToChild::Line(line) => {
                let _ = echo.send(line.clone());
                let mut bytes = line.into_bytes();
                bytes.push(b'\n');
                if stdin.write_all(&bytes).await.is_err() || stdin.flush().await.is_err() {
                    return;
                }
            }
            ToChild::End => return,
        }
    }
}

/// Tells the view, as it changes, whether the program (or a process it started with the
/// same stdin) is blocked reading the pipe the view writes.
async fn watch_waiting(pipe: stdin_pipe::PipeId, view: mpsc::Sender<ChildOutput>) {
    let mut was = false;
    let mut tick = tokio::time::interval(WAIT_POLL);
    loop {
        tick.tick().await;
        let now = tokio::task::spawn_blocking(move || stdin_pipe::someone_waits(pipe))
            .await
            .unwrap_or(false);
        if now != was {
            was = now;
            if view.send(ChildOutput::Waiting(now)).await.is_err() {
                return;
            }
        }
    }
}

/// Whether a process is blocked reading a given pipe as its stdin (Linux: `/proc`).
mod stdin_pipe {
    /// A pipe, by its inode.
    pub type PipeId = u64;

    /// The pipe behind our end of the program's stdin.
    #[cfg(target_os = "linux")]
    pub fn id(stdin: &tokio::process::ChildStdin) -> Option<PipeId> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        let fd = stdin.as_raw_fd();
        std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .ok()
            .map(|m| m.ino())
    }

    #[cfg(not(target_os = "linux"))]
    pub fn id(_stdin: &tokio::process::ChildStdin) -> Option<PipeId> {
        None
    }

    /// Whether any process whose stdin is `pipe` sleeps in a pipe read. Processes that
    /// are not ours cannot be read, and are skipped.
    #[cfg(target_os = "linux")]
    pub fn someone_waits(pipe: PipeId) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return false;
        };
        let me = std::process::id().to_string();
        dir.flatten().any(|entry| {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                return false;
            };
            if pid == me {
                return false;
            }
            let base = entry.path();
            let reads_pipe = std::fs::metadata(base.join("fd/0")).is_ok_and(|m| m.ino() == pipe);
            reads_pipe
                && std::fs::read_to_string(base.join("wchan"))
                    .is_ok_and(|w| w.contains("pipe_read") || w.contains("pipe_wait"))
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn someone_waits(_pipe: PipeId) -> bool {
        false
    }
}

/// The program's output under the live view: every line, kept in a file.
#[derive(Clone)]
struct KeptOutput {
    path: PathBuf,
    file: std::sync::Arc<std::sync::Mutex<BufWriter<File>>>,
    lines: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl KeptOutput {
    fn create() -> Result<KeptOutput, AppError> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let path =
            std::env::temp_dir().join(format!("ratedoctor-run-{}-{stamp}.log", std::process::id()));
        let file = File::create(&path).map_err(|e| {
            AppError::Unreadable(format!(
                "cannot keep the program's output in {}: {e}",
                path.display()
            ))
        })?;
        Ok(KeptOutput {
            path,
            file: std::sync::Arc::new(std::sync::Mutex::new(BufWriter::new(file))),
            lines: std::sync::Arc::default(),
        })
    }

    fn keep(&self, line: &str) {
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{line}");
        }
        self.lines
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// After the view: where the output is, then the output itself on stdout.
    fn replay(&self) -> Result<(), AppError> {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.flush();
        }
        let n = self.lines.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!(
            "ratedoctor: the program printed {n} line{} (kept in {}){}",
            if n == 1 { "" } else { "s" },
            self.path.display(),
            if n > 0 { ":" } else { "" }
        );
        if n > 0 {
            let mut f = File::open(&self.path).map_err(|e| {
                AppError::Unreadable(format!("cannot read {}: {e}", self.path.display()))
            })?;
            let mut out = std::io::stdout().lock();
            // A closed stdout (| head) ends the replay quietly.
            let _ = std::io::copy(&mut f, &mut out);
            let _ = out.flush();
        }
        Ok(())
    }
}

/// Reads one of the program's streams to its end: each line (any bytes) is redacted,
/// kept, and sent to the view, which waits for it rather than lose it. Output that waits
/// without a newline (a prompt) is shown as it is; a line typed to the program (`echo`)
/// ends the current line, as a terminal's echo does.
async fn pump(
    stream: impl tokio::io::AsyncRead + Unpin,
    kept: KeptOutput,
    view: mpsc::Sender<ChildOutput>,
    mut echo: Option<mpsc::UnboundedReceiver<String>>,
) {
    use tokio::io::AsyncBufReadExt;
    enum Got {
        /// Bytes read (and kept in `buf`), and whether they end a line.
        Read(std::io::Result<(usize, bool)>),
        Quiet,
        Typed(Option<String>),
    }
    let mut reader = tokio::io::BufReader::new(stream);
    let mut buf = Vec::new();
    // How much of `buf` the view shows as the unfinished line.
    let mut shown = 0;
    let mut view_open = true;
    loop {
        let quiet = !buf.is_empty() && buf.len() != shown;
        // `fill_buf` loses nothing when another branch wins. What was typed comes first: it
        // is sent here before it is written to the program, so any answer to it is later
        // (unbiased, an answer written in pieces could come before the echo it follows).
        let got = tokio::select! {
            biased;
            t = async { echo.as_mut()?.recv().await }, if echo.is_some() => Got::Typed(t),
            r = reader.fill_buf() => Got::Read(r.map(|data| {
                match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        buf.extend_from_slice(&data[..=i]);
                        (i + 1, true)
                    }
                    None => {
                        buf.extend_from_slice(data);
                        (data.len(), false)
                    }
                }
            })),
            () = tokio::time::sleep(PARTIAL_AFTER), if quiet => Got::Quiet,
        };
        let line = match got {
            Got::Read(Err(_) | Ok((0, _))) => break,
            Got::Read(Ok((n, ends))) => {
                reader.consume(n);
                if !ends {
                    continue;
                }
                std::mem::take(&mut buf)
            }
            Got::Quiet => {
                shown = buf.len();
                let text = String::from_utf8_lossy(&buf);
                let m = ChildOutput::Partial(redact(&text).into_owned());
                view_open = view_open && view.send(m).await.is_ok();
                continue;
            }
            Got::Typed(None) => {
                echo = None;
                continue;
            }
            Got::Typed(Some(t)) => {
                let mut line = std::mem::take(&mut buf);
                line.extend_from_slice(t.as_bytes());
                line
            }
        };
        shown = 0;
        view_open = emit(&line, &kept, &view, view_open).await;
    }
    if !buf.is_empty() {
        emit(&buf, &kept, &view, view_open).await;
    }
}

/// One line of the program's output (any bytes, with or without its newline): redacted,
/// kept, and sent to the view while it is open. Returns whether the view is still open.
async fn emit(raw: &[u8], kept: &KeptOutput, view: &mpsc::Sender<ChildOutput>, open: bool) -> bool {
    let raw = String::from_utf8_lossy(raw);
    let clean = redact(raw.trim_end_matches(['\n', '\r'])).into_owned();
    kept.keep(&clean);
    open && view.send(ChildOutput::Line(clean)).await.is_ok()
}

/// A program that cannot be started: says so in one line and gives the shell's code, 127
/// when it is not found, 126 when it cannot be executed.
fn spawn_failed(program: &str, e: &std::io::Error) -> i32 {
    eprintln!("ratedoctor: cannot run {program}: {e}");
    match e.kind() {
        std::io::ErrorKind::NotFound => 127,
        _ => 126,
    }
}

fn exit_code_of(status: std::io::Result<std::process::ExitStatus>) -> i32 {
    match status {
        Ok(s) => {
            if let Some(c) = s.code() {
                return c;
            }
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(sig) = s.signal() {
                    return 128 + sig;
                }
            }
            1
        }
        Err(_) => 1,
    }
}

/// Waits for the child. Ctrl-C reaches the child too (same process group), so the first
/// one is left to it; a second one, or SIGTERM, kills it.
async fn wait_child(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    let mut interrupts = 0;
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        #[cfg(unix)]
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            status = child.wait() => return status,
            _ = tokio::signal::ctrl_c() => {
                interrupts += 1;
                if interrupts > 1 {
                    let _ = child.start_kill();
                }
            }
            () = terminated => {
                let _ = child.start_kill();
            }
        }
    }
}
