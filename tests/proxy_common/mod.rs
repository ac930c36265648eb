//! Helpers for the proxy tests: a proxy on 127.0.0.1:0 in front of an emulator, event
//! collection with a deadline, scripted raw-TCP upstreams for faults the emulator does not
//! produce, and a hash for byte-for-byte comparisons; and `ratedoctor watch` / `mock` as
//! child processes ([`Child`]), whose descriptors and memory are read from `/proc`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::event::{Event, EventKind};
use ratedoctor::proxy::{ProxyConfig, ProxyHandle, Upstreams, spawn};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

pub fn config(upstream: &str) -> ProxyConfig {
    ProxyConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstreams: Upstreams::all(upstream).unwrap(),
        ..ProxyConfig::default()
    }
}

pub async fn proxy(config: ProxyConfig) -> (ProxyHandle, mpsc::Receiver<Event>) {
    let (tx, rx) = mpsc::channel(100_000);
    let h = spawn(config, tx).await.expect("proxy starts");
    (h, rx)
}

/// Collects events until `done` says the list is complete (fails after `secs`).
pub async fn events_until(
    rx: &mut mpsc::Receiver<Event>,
    secs: u64,
    done: impl Fn(&[Event]) -> bool,
) -> Vec<Event> {
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(secs), async {
        while !done(&out) {
            match rx.recv().await {
                Some(e) => out.push(e),
                None => break,
            }
        }
    })
    .await;
    assert!(r.is_ok(), "events did not arrive in {secs} s; got {out:#?}");
    out
}

/// Everything already in the channel.
pub fn drain(rx: &mut mpsc::Receiver<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

pub fn count(events: &[Event], f: impl Fn(&EventKind) -> bool) -> usize {
    events.iter().filter(|e| f(&e.kind)).count()
}

pub fn finished(events: &[Event]) -> usize {
    count(events, |k| matches!(k, EventKind::StreamFinished { .. }))
}

pub fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// A port nothing listens on.
pub async fn refused_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A scripted upstream: for every connection, reads the request head, then writes
/// `reply` (if any) and closes; with `reply = None` it holds the connection silently.
pub async fn scripted(reply: Option<&'static [u8]>) -> String {
    scripted_upstream(reply.unwrap_or_default(), reply.is_none()).await
}

/// A scripted upstream that writes `reply` and then holds the connection silently (a body
/// that stalls after its first bytes).
pub async fn scripted_then_silent(reply: &'static [u8]) -> String {
    scripted_upstream(reply, true).await
}

async fn scripted_upstream(reply: &'static [u8], hold: bool) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                break;
            };
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = s.write_all(reply).await;
            let _ = s.flush().await;
            if hold {
                held.push(s);
            }
        }
    });
    format!("http://{addr}")
}

/// The `ratedoctor` binary Cargo built for the tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");

/// Variables that would change where a child sends traffic or what it reads (SDK base
/// URLs, keys, HTTP proxies); removed from every child's environment.
const VARS: &[&str] = &[
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_BASE_URL",
    "AZURE_OPENAI_ENDPOINT",
    "GOOGLE_GEMINI_BASE_URL",
    "GEMINI_BASE_URL",
    "GROQ_BASE_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "RATEDOCTOR_LISTEN",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
];

/// `ratedoctor` as a child process: none of [`VARS`], no colour, killed when dropped.
pub fn ratedoctor_cmd() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    for v in VARS {
        c.env_remove(v);
    }
    c.env("NO_COLOR", "1").kill_on_drop(true);
    c
}

/// A running `ratedoctor mock` or `ratedoctor watch --no-tui`, killed (SIGKILL) on drop.
pub struct Child {
    pub proc: tokio::process::Child,
    pub pid: u32,
    /// The `http://HOST:PORT` it printed.
    pub url: String,
    /// Its stdout lines so far (`watch` started with `capture`; always for `mock`).
    pub stdout: Arc<Mutex<Vec<String>>>,
    /// Its stderr lines so far.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

/// Reads `stream` line by line into `into`, sending the URL of the first `listening on
/// http://...` line to `url`.
fn read_lines<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    stream: R,
    into: Arc<Mutex<Vec<String>>>,
    url: mpsc::Sender<String>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            if let Some(at) = l.find("listening on http://") {
                let rest = &l[at + "listening on ".len()..];
                let u = rest.split_whitespace().next().unwrap_or_default();
                let _ = url.try_send(u.to_string());
            }
            into.lock().unwrap().push(l);
        }
    });
}

impl Child {
    /// Starts `ratedoctor mock ARGS` (it prints its URL on stdout).
    pub async fn mock(args: &[&str]) -> Child {
        let mut all = vec!["mock"];
        all.extend_from_slice(args);
        Child::start(&all, true).await
    }

    /// Starts `ratedoctor watch --no-tui ARGS` (it prints its URL on stderr); with
    /// `capture` its stdout (`--json` events) is kept, else it goes to /dev/null.
    pub async fn watch(args: &[&str], capture: bool) -> Child {
        let mut all = vec!["watch", "--no-tui", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Child::start(&all, capture).await
    }

    /// [`Child::watch`] from `cmd` (a [`ratedoctor_cmd`] with more set, such as its
    /// environment), its stdout not kept.
    pub async fn watch_with(cmd: tokio::process::Command, args: &[&str]) -> Child {
        let mut all = vec!["watch", "--no-tui", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Child::start_from(cmd, &all, false).await
    }

    async fn start(args: &[&str], capture: bool) -> Child {
        Child::start_from(ratedoctor_cmd(), args, capture).await
    }

    async fn start_from(mut cmd: tokio::process::Command, args: &[&str], capture: bool) -> Child {
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .stdout(if capture {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            });
        let mut proc = cmd.spawn().expect("spawn ratedoctor");
        let pid = proc.id().expect("pid");
        let (tx, mut rx) = mpsc::channel(2);
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = proc.stdout.take() {
            read_lines(out, Arc::clone(&stdout), tx.clone());
        }
        read_lines(proc.stderr.take().unwrap(), Arc::clone(&stderr), tx);
        let url = tokio::select! {
            u = rx.recv() => u,
            status = proc.wait() => panic!(
                "ratedoctor {args:?} exited ({status:?}) before listening: {:?}",
                stderr.lock().unwrap()
            ),
            _ = tokio::time::sleep(Duration::from_secs(30)) => None,
        };
        let url = url.unwrap_or_else(|| panic!("ratedoctor {args:?} printed no URL in 30 s"));
        Child {
            proc,
            pid,
            url,
            stdout,
            stderr,
        }
    }

    /// `host:port` of [`Child::url`].
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// SIGKILL, then reap it.
    pub async fn kill(&mut self) {
        let _ = self.proc.start_kill();
        let _ = self.proc.wait().await;
    }

    /// Its open file descriptors.
    pub fn fds(&self) -> usize {
        proc_fds(self.pid).0
    }

    /// Its open TCP sockets (listener included).
    pub fn sockets(&self) -> usize {
        proc_fds(self.pid).1
    }

    /// Resident memory now (`VmRSS`) and at its peak (`VmHWM`), in KiB.
    pub fn rss_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The events among its stdout lines so far (`watch --json`).
    pub fn events(&self) -> Vec<Event> {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| Event::from_json_line(l).ok())
            .collect()
    }

    /// Waits (at most `secs`) until `done` holds for its events, and returns them.
    pub async fn events_until(&self, secs: u64, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
        let ok = eventually(secs, || done(&self.events())).await;
        let events = self.events();
        assert!(ok, "events did not arrive in {secs} s; got {events:#?}");
        events
    }
}

/// (open descriptors, of which TCP sockets) of process `pid`: listeners and connections,
/// not the socket pairs the runtime uses for signals.
pub fn proc_fds(pid: u32) -> (usize, usize) {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return (0, 0);
    };
    let mut tcp = HashSet::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            if let Some(inode) = line.split_whitespace().nth(9) {
                tcp.insert(format!("socket:[{inode}]"));
            }
        }
    }
    let mut fds = 0;
    let mut sockets = 0;
    for entry in dir.flatten() {
        fds += 1;
        if std::fs::read_link(entry.path())
            .is_ok_and(|t| tcp.contains(t.to_string_lossy().as_ref()))
        {
            sockets += 1;
        }
    }
    (fds, sockets)
}

/// Polls `cond` every 50 ms for at most `secs`; whether it came true.
pub async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Connections a [`counting_upstream`] has accepted, and how many of them are open now.
pub struct Counted {
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
    pub open: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a connection as closed when its task ends, however it ends.
struct OpenGuard(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A keep-alive upstream that answers every request with a small JSON body and counts the
/// connections it accepts and those still open; with `close_each` it closes a connection
/// after each answer.
pub async fn counting_upstream(close_each: bool) -> (String, Counted) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    let open_count = Arc::clone(&open);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            open_count.fetch_add(1, Ordering::SeqCst);
            let guard = OpenGuard(Arc::clone(&open_count));
            tokio::spawn(async move {
                let _guard = guard;
                let mut got = Vec::new();
                let mut buf = vec![0u8; 65536];
                loop {
                    // One request: the head, then content-length bytes of body.
                    let head_end = loop {
                        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => got.extend_from_slice(&buf[..k]),
                        }
                    };
                    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    while got.len() < head_end + len {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => got.extend_from_slice(&buf[..k]),
                        }
                    }
                    got.drain(..head_end + len);
                    let body = format!("{{\"connection\":{n}}}");
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if s.write_all(reply.as_bytes()).await.is_err() || close_each {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), Counted { accepted, open })
}
