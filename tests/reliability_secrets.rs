//! Reliability, "Secrets" (issue #8): canary keys, random on every run, are put everywhere
//! a key can reach ratedoctor — the environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`,
//! `GEMINI_API_KEY`, `AZURE_OPENAI_API_KEY`, `GROQ_API_KEY`), a `.env` file in the working
//! directory, request headers (`Authorization`, `x-api-key`, `api-key`, `x-goog-api-key`),
//! `?key=` queries and prompts sent through `watch` and `run` to the emulator (`mock`),
//! pasted text, recordings, workload files and bad arguments — and every command is run:
//! explain (text, JSON, stdin), probe, mock, watch (text and JSON, with --record, its
//! metrics and state endpoints), run (a small Python program), replay (text, JSON,
//! --policy), demo (--no-tui, --load), backoff and simulate, plus the terminal UI in tmux
//! (capture-pane): Home and demo with a paste full of keys, explain, and the detail panes
//! of demo and replay.
//!
//! The rule checked (what `src/redact.rs` promises): no 8 consecutive characters of a
//! key's secret part — what follows its well-known family prefix (`sk-`, `sk-ant-api03-`,
//! `AIzaSy`, `gsk_`) — appear in any stdout, stderr, recording, metric, summary or screen.
//! A redacted key keeps its family prefix only (`sk-[REDACTED]`).
//!
//! The `run` part needs `python3` and the screens need tmux: each is skipped with a note
//! when missing, unless `RATEDOCTOR_REQUIRE_TOOLS=1` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tmux_common;

use ratedoctor::diagnose::diagnose;
use ratedoctor::event::{Event, EventKind, RetryBy};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tmux_common::{Tmux, exit_status, tmux_present};

const BIN: &str = env!("CARGO_BIN_EXE_ratedoctor");
/// The longest run of a secret's characters allowed in any output.
const WINDOW: usize = 8;

/// One canary key: where it is put, the whole key, and its secret part.
struct Canary {
    var: &'static str,
    key: String,
    secret: String,
}

/// Every canary of one test, random on every run.
struct Canaries {
    /// Set in the process environment of every command.
    env: Vec<Canary>,
    /// Only in the `.env` file of the working directory.
    dotenv: Vec<Canary>,
}

fn base62(state: &mut u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| {
            // splitmix64
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ALPHABET[(z % 62) as usize] as char
        })
        .collect()
}

impl Canaries {
    fn new() -> Canaries {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let mut s = nanos ^ (u64::from(std::process::id()) << 32);
        let mut one = |var: &'static str, prefix: &str, n: usize| {
            let secret = base62(&mut s, n);
            Canary {
                var,
                key: format!("{prefix}{secret}"),
                secret,
            }
        };
        let env = vec![
            one("OPENAI_API_KEY", "sk-canary-", 32),
            one("ANTHROPIC_API_KEY", "sk-ant-api03-", 40),
            one("GEMINI_API_KEY", "AIzaSy", 33),
            // Azure keys have no prefix at all: 32 characters.
            one("AZURE_OPENAI_API_KEY", "", 32),
            one("GROQ_API_KEY", "gsk_", 40),
        ];
        let dotenv = vec![
            // Shadowed by the real environment: never used, never shown.
            one("OPENAI_API_KEY", "sk-proj-", 40),
            // Read by `probe --api-key-env DOTENV_ONLY_KEY`.
            one("DOTENV_ONLY_KEY", "sk-proj-", 40),
            one("MISTRAL_API_KEY", "", 32),
        ];
        Canaries { env, dotenv }
    }

    fn all(&self) -> impl Iterator<Item = &Canary> {
        self.env.iter().chain(self.dotenv.iter())
    }

    fn env_key(&self, var: &str) -> &str {
        &self.env.iter().find(|c| c.var == var).unwrap().key
    }

    /// Fails when `text` holds WINDOW consecutive characters of any canary's secret part.
    /// Also fails when a prefixed key shows its prefix and the first 4 characters of its
    /// secret: a redacted key keeps its family and nothing more.
    fn check(&self, what: &str, text: &str) {
        for c in self.all() {
            let prefix_len = c.key.len() - c.secret.len();
            if prefix_len > 0 {
                let head = &c.key[..prefix_len + 4];
                assert!(
                    !text.contains(head),
                    "the {} canary ({}) shows its beginning {head:?} in {what}",
                    c.var,
                    c.key
                );
            }
            let chars: Vec<char> = c.secret.chars().collect();
            for w in chars.windows(WINDOW) {
                let piece: String = w.iter().collect();
                if let Some(at) = text.find(&piece) {
                    let from = text[..at]
                        .char_indices()
                        .rev()
                        .nth(80)
                        .map_or(0, |(i, _)| i);
                    let to = (at + 120).min(text.len());
                    let to = (to..=text.len())
                        .find(|i| text.is_char_boundary(*i))
                        .unwrap_or(text.len());
                    panic!(
                        "the {} canary ({}) leaked into {what}: …{}…",
                        c.var,
                        c.key,
                        &text[from..to]
                    );
                }
            }
        }
    }

    fn check_output(&self, what: &str, out: &Output) {
        self.check(&format!("{what} (stdout)"), &text(&out.stdout));
        self.check(&format!("{what} (stderr)"), &text(&out.stderr));
    }

    fn check_file(&self, what: &str, path: &Path) -> String {
        let t = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{what}: {} not written: {e}", path.display()));
        self.check(what, &t);
        t
    }

    /// Text a user might paste: every place a key shows up in an error report.
    fn pasted(&self) -> String {
        let openai = self.env_key("OPENAI_API_KEY");
        let anthropic = self.env_key("ANTHROPIC_API_KEY");
        let gemini = self.env_key("GEMINI_API_KEY");
        let azure = self.env_key("AZURE_OPENAI_API_KEY");
        let groq = self.env_key("GROQ_API_KEY");
        format!(
            "$ curl -i https://api.openai.com/v1/chat/completions -H \"Authorization: Bearer {openai}\"\n\
             HTTP/2 429\nretry-after: 2\nx-ratelimit-limit-requests: 3\nx-ratelimit-remaining-requests: 0\n\n\
             {{\"error\":{{\"message\":\"Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Key: {openai}\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}}}\n\n\
             openai.AuthenticationError: Error code: 401 - {{'error': {{'message': 'Incorrect API key provided: {openai}. You can find your API key at https://platform.openai.com/account/api-keys.', 'type': 'invalid_request_error', 'code': 'invalid_api_key'}}}}\n\n\
             anthropic.RateLimitError: Error code: 429 - {{'type': 'error', 'error': {{'type': 'rate_limit_error', 'message': 'This request would exceed the rate limit for your organization of 50,000 input tokens per minute. x-api-key: {anthropic}'}}}}\n\n\
             google.genai.errors.ClientError: 429 RESOURCE_EXHAUSTED. {{'error': {{'code': 429, 'message': 'You exceeded your current quota. url: https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent?key={gemini}', 'status': 'RESOURCE_EXHAUSTED'}}}}\n\n\
             requests: POST https://res.openai.azure.com/openai/deployments/d/chat/completions headers={{'api-key': '{azure}'}} -> 429 {{\"error\":{{\"code\":\"429\",\"message\":\"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-08-01-preview have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 37 seconds.\"}}}}\n\n\
             groq.RateLimitError: Error code: 429 - {{'error': {{'message': 'Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute (TPM): Limit 6000, Used 5800, Requested 900. Please try again in 7s. (key {groq})', 'type': 'tokens', 'code': 'rate_limit_exceeded'}}}}\n"
        )
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A working directory with a `.env` holding the dotenv canaries, and the commands run in
/// it with the environment canaries set (and nothing else of the test's environment).
struct Place {
    dir: tempfile::TempDir,
    canaries: Canaries,
}

impl Place {
    fn new() -> Place {
        let canaries = Canaries::new();
        let dir = tempfile::tempdir().unwrap();
        let mut dotenv = String::from("# keys for the secrets test\n");
        for c in &canaries.dotenv {
            dotenv.push_str(&format!("{}={}\n", c.var, c.key));
        }
        std::fs::write(dir.path().join(".env"), dotenv).unwrap();
        Place { dir, canaries }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for k in &self.canaries.env {
            c.env(k.var, &k.key);
        }
        c
    }

    /// Runs `ratedoctor ARGS` to the end (at most 90 s) and checks its output.
    fn run(&self, what: &str, args: &[&str]) -> Output {
        let out = finish(self.cmd(args).spawn().unwrap(), 90, what);
        self.canaries.check_output(what, &out);
        out
    }
}

/// Waits for `child` at most `secs` seconds (then kills it and fails).
fn finish(child: Child, secs: u64, what: &str) -> Output {
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("{what} did not finish within {secs} s");
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// A long-running command (mock, watch): its output is collected in the background; the
/// first line of `stream` with `marker` gives the word after it (an URL).
struct Server {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    fn start(mut cmd: Command, what: &str, marker: &str) -> (Server, String) {
        let mut child = cmd.spawn().unwrap();
        let (out_tx, stdout) = mpsc::channel();
        let (err_tx, stderr) = mpsc::channel();
        let (url_tx, url_rx) = mpsc::channel();
        for (stream, tx) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
                out_tx,
            ),
            (Box::new(child.stderr.take().unwrap()), err_tx),
        ] {
            let url_tx = url_tx.clone();
            let marker = marker.to_string();
            std::thread::spawn(move || {
                let mut all = String::new();
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.split(&marker).nth(1) {
                        let _ = url_tx.send(rest.split_whitespace().next().unwrap_or("").into());
                    }
                    all.push_str(&line);
                    all.push('\n');
                }
                let _ = tx.send(all);
            });
        }
        let url = url_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{what} did not say {marker:?} within 60 s"));
        (
            Server {
                child,
                stdout,
                stderr,
            },
            url,
        )
    }

    /// SIGTERM, then everything it printed: (status, stdout, stderr).
    fn stop(mut self, what: &str) -> (Option<i32>, String, String) {
        signal(&self.child, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{what} did not stop on SIGTERM within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = self.stdout.recv_timeout(Duration::from_secs(10)).unwrap();
        let err = self.stderr.recv_timeout(Duration::from_secs(10)).unwrap();
        (status.code(), out, err)
    }
}

/// One call: path, headers, JSON body.
type Call<'a> = (String, Vec<(&'static str, String)>, &'a serde_json::Value);

/// The calls of [`traffic`]: every family, the canaries in every place a key travels.
fn calls<'a>(c: &Canaries, bodies: &'a [serde_json::Value; 4]) -> Vec<Call<'a>> {
    let openai = c.env_key("OPENAI_API_KEY");
    let anthropic = c.env_key("ANTHROPIC_API_KEY");
    let gemini = c.env_key("GEMINI_API_KEY");
    let azure = c.env_key("AZURE_OPENAI_API_KEY");
    let [chat, stream, msg, gem] = bodies;
    let bearer = || vec![("authorization", format!("Bearer {openai}"))];
    let anthropic_headers = |key: &str| {
        vec![
            ("x-api-key", key.to_string()),
            ("anthropic-version", "2023-06-01".to_string()),
        ]
    };
    let completions = "/v1/chat/completions".to_string();
    let azure_path =
        "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-08-01-preview";
    let model = "/v1beta/models/gemini-2.5-flash";
    vec![
        (completions.clone(), bearer(), chat),
        (completions.clone(), bearer(), chat),
        (completions.clone(), bearer(), chat),
        (completions, bearer(), stream),
        ("/v1/messages".into(), anthropic_headers(anthropic), msg),
        // A key without any prefix, where only its header name says what it is.
        ("/v1/messages".into(), anthropic_headers(azure), msg),
        (azure_path.into(), vec![("api-key", azure.into())], chat),
        (
            format!("{model}:generateContent"),
            vec![("x-goog-api-key", gemini.into())],
            gem,
        ),
        (format!("{model}:generateContent?key={gemini}"), vec![], gem),
        (
            format!("{model}:streamGenerateContent?alt=sse&key={gemini}"),
            vec![],
            gem,
        ),
        (format!("{model}:generateContent?key={azure}"), vec![], gem),
    ]
}

/// Calls every family through `base` ([`calls`]); also reads the proxy's own endpoints
/// when `proxy` is set, else the emulator's state. Returns the number of exchanges and the
/// pages read.
fn traffic(base: &str, c: &Canaries, proxy: bool) -> (usize, Vec<(String, String)>) {
    let (openai, anthropic) = (c.env_key("OPENAI_API_KEY"), c.env_key("ANTHROPIC_API_KEY"));
    let gemini = c.env_key("GEMINI_API_KEY");
    let chat = serde_json::json!({"model": "gpt-4o-mini", "max_tokens": 5,
        "messages": [{"role": "user", "content": format!("my key is {openai}")}]});
    let mut stream = chat.clone();
    stream["stream"] = serde_json::json!(true);
    let msg = serde_json::json!({"model": "claude-sonnet-4-20250514", "max_tokens": 5,
        "messages": [{"role": "user", "content": format!("key {anthropic}")}]});
    let gem = serde_json::json!({"contents": [{"role": "user",
        "parts": [{"text": format!("key {gemini}")}]}]});
    let bodies = [chat, stream, msg, gem];
    let calls = calls(c, &bodies);
    let n = calls.len();
    let endpoints: &[&str] = if proxy {
        &["/_ratedoctor/metrics", "/_ratedoctor/state"]
    } else {
        &["/_mock/state"]
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pages = rt.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        for (path, headers, body) in calls {
            let mut r = http.post(format!("{base}{path}")).json(body);
            for (k, v) in headers {
                r = r.header(k, v);
            }
            let resp = r.send().await.unwrap();
            let _ = resp.bytes().await.unwrap();
        }
        let mut pages = Vec::new();
        for p in endpoints {
            let resp = http.get(format!("{base}{p}")).send().await.unwrap();
            pages.push((p.to_string(), resp.text().await.unwrap()));
        }
        pages
    });
    (n, pages)
}

/// Waits until the recording holds `n` finished exchanges.
fn wait_recorded(path: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let t = std::fs::read_to_string(path).unwrap_or_default();
        let done = t.matches("\"stream_finished\"").count() + t.matches("\"failed\"").count();
        if done >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the recording has {done} of {n} exchanges:\n{t}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `watch EXTRA --record FILE` in front of the emulator: sends the traffic through it,
/// stops it and checks every page, output and recording it made for keys; returns its
/// stdout, the recording's path and the pages.
fn watch_through(
    p: &Place,
    c: &Canaries,
    mock_url: &str,
    extra: &[&str],
    file: &str,
) -> (String, PathBuf, Vec<(String, String)>) {
    let what = format!("watch {}", extra.join(" ")).trim_end().to_string();
    let rec = p.path(file);
    let mut args = vec!["watch"];
    args.extend_from_slice(extra);
    args.extend([
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        mock_url,
        "--record",
    ]);
    args.push(rec.to_str().unwrap());
    let (watch, base) = Server::start(p.cmd(&args), &what, "proxy listening on ");
    let (n, pages) = traffic(&base, c, true);
    for (page, body) in &pages {
        c.check(&format!("{what} {page}"), body);
    }
    wait_recorded(&rec, n);
    let (code, out, err) = watch.stop(&what);
    assert_eq!(code, Some(0), "{err}");
    c.check(&format!("{what} (stdout)"), &out);
    c.check(&format!("{what} (stderr)"), &err);
    c.check_file(&format!("the {what} recording"), &rec);
    (out, rec, pages)
}

fn python3() -> Option<String> {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        tmux_common::skip::skip("`run` in the secrets test", "python3 not found");
        return None;
    }
    Some("python3".into())
}

#[test]
fn explain_never_shows_a_pasted_key() {
    let p = Place::new();
    let pasted = p.canaries.pasted();
    let file = p.path("pasted.txt");
    std::fs::write(&file, &pasted).unwrap();
    let f = file.to_str().unwrap();
    let out = p.run("explain --text", &["explain", "--text", &pasted]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("[REDACTED]"), "{shown}");
    assert!(shown.contains("requests per minute"), "{shown}");
    let out = p.run("explain --json", &["explain", "--json", f]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["diagnoses"].as_array().unwrap().len() >= 4, "{v}");
    p.run("explain FILE", &["explain", "--no-tui", f]);
    // stdin
    let mut child = p
        .cmd(&["explain", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), pasted.as_bytes()).unwrap();
    let out = finish(child, 60, "explain -");
    p.canaries.check_output("explain - (stdin)", &out);
    assert_eq!(out.status.code(), Some(0));
    // The engine itself, for the message of each diagnosis.
    for d in diagnose(&pasted) {
        p.canaries.check("a diagnosis", &format!("{d:?}"));
    }
}

#[test]
fn probe_mock_watch_run_and_replay_never_show_a_key() {
    let p = Place::new();
    let c = &p.canaries;
    let (mock, mock_url) = Server::start(
        p.cmd(&["mock", "--rpm", "4", "--seed", "3"]),
        "mock",
        "listening on ",
    );

    // probe: keys from the environment and from .env, raw headers, JSON, a recording, a
    // burst, and a connection refused.
    let v1 = format!("{mock_url}/v1");
    let probe_rec = p.path("probe.jsonl");
    for (what, args) in [
        (
            "probe openai",
            vec!["probe", "--provider", "openai", "--base-url", &v1, "--raw"],
        ),
        (
            "probe openai --json --record",
            vec![
                "probe",
                "--provider",
                "openai",
                "--base-url",
                &v1,
                "--json",
                "--raw",
                "--record",
                probe_rec.to_str().unwrap(),
            ],
        ),
        (
            "probe anthropic",
            vec![
                "probe",
                "--provider",
                "anthropic",
                "--base-url",
                &mock_url,
                "--raw",
            ],
        ),
        (
            "probe gemini",
            vec![
                "probe",
                "--provider",
                "gemini",
                "--base-url",
                &mock_url,
                "--raw",
                "--json",
            ],
        ),
        (
            "probe azure",
            vec![
                "probe",
                "--provider",
                "azure",
                "--base-url",
                &mock_url,
                "--model",
                "gpt-4o-dep",
                "--raw",
            ],
        ),
        (
            "probe --api-key-env (a key only in .env)",
            vec![
                "probe",
                "--provider",
                "openai",
                "--api-key-env",
                "DOTENV_ONLY_KEY",
                "--base-url",
                &v1,
                "--raw",
            ],
        ),
        (
            "probe a burst to the 429",
            vec![
                "probe",
                "--provider",
                "openai",
                "--api-key-env",
                "DOTENV_ONLY_KEY",
                "--base-url",
                &v1,
                "--calls",
                "6",
                "--yes",
            ],
        ),
        (
            "probe gemini, connection refused",
            vec![
                "probe",
                "--provider",
                "gemini",
                "--base-url",
                "http://127.0.0.1:9",
                "--timeout",
                "5",
            ],
        ),
    ] {
        p.run(what, &args);
    }
    c.check_file("the probe recording", &probe_rec);

    // watch, text lines and a recording; then watch --json.
    let (out, rec_text, pages) = watch_through(&p, c, &mock_url, &[], "watch.jsonl");
    assert!(
        pages[0].1.contains("ratedoctor_requests_total"),
        "{}",
        pages[0].1
    );
    assert!(out.contains("ratedoctor summary"), "{out}");
    assert!(out.contains("← 429"), "{out}");
    let recorded = std::fs::read_to_string(&rec_text).unwrap();
    assert!(recorded.contains("key=[REDACTED]"), "{recorded}");
    let (_, rec_json, _) = watch_through(&p, c, &mock_url, &["--json"], "watch-json.jsonl");

    // run -- a small program that sends the keys from its environment.
    let mut recordings = vec![probe_rec, rec_text, rec_json];
    if let Some(py) = python3() {
        let rec_run = p.path("run.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/secrets_client.py");
        let out = p.run(
            "run -- python3 secrets_client.py",
            &[
                "run",
                "--upstream",
                &mock_url,
                "--record",
                rec_run.to_str().unwrap(),
                "--",
                &py,
                script.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // Every call got an answer from the emulator (the key's budget may be spent by now).
        let shown = text(&out.stdout);
        let codes: Vec<&str> = shown
            .lines()
            .find_map(|l| l.strip_prefix("statuses "))
            .unwrap_or_else(|| panic!("{shown}"))
            .split_whitespace()
            .collect();
        assert_eq!(codes.len(), 9, "{shown}");
        assert!(codes.iter().all(|c| *c == "200" || *c == "429"), "{shown}");
        assert!(text(&out.stderr).contains("ratedoctor summary"));
        c.check_file("the run recording", &rec_run);
        recordings.push(rec_run);
    }

    // replay every recording: text, JSON, and against a policy.
    for rec in &recordings {
        let r = rec.to_str().unwrap();
        let name = rec.file_name().unwrap().to_string_lossy().into_owned();
        let out = p.run(&format!("replay {name}"), &["replay", "--no-tui", r]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        p.run(&format!("replay --json {name}"), &["replay", "--json", r]);
        p.run(
            &format!("replay --policy {name}"),
            &["replay", "--no-tui", "--policy", "openai-sdk", r],
        );
    }

    // The emulator's own state and output.
    let (_, pages) = traffic(&mock_url, c, false);
    c.check("mock /_mock/state", &pages[0].1);
    let (_, out, err) = mock.stop("mock");
    c.check("mock (stdout)", &out);
    c.check("mock (stderr)", &err);
}

#[test]
fn demo_backoff_and_simulate_never_show_a_key() {
    let p = Place::new();
    let out = p.run(
        "demo --no-tui",
        &["demo", "--no-tui", "--duration", "3", "--seed", "2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    p.run(
        "demo --no-tui --load",
        &["demo", "--no-tui", "--load", "--duration", "2"],
    );
    p.run("backoff", &["backoff"]);
    p.run(
        "backoff --json",
        &["backoff", "--json", "--retry-after", "3"],
    );
    p.run(
        "simulate",
        &[
            "simulate",
            "--limits",
            "rpm=60,tpm=20k",
            "--workload",
            "requests=30,concurrency=4",
            "--no-recommend",
        ],
    );
    // A workload file with keys in its prompts.
    let workload = p.path("batch.jsonl");
    let openai = p.canaries.env_key("OPENAI_API_KEY");
    let azure = p.canaries.env_key("AZURE_OPENAI_API_KEY");
    let mut lines = String::new();
    for i in 0..10 {
        lines.push_str(&format!(
            "{{\"custom_id\":\"r{i}\",\"body\":{{\"model\":\"gpt-4o\",\"max_tokens\":50,\"messages\":[{{\"role\":\"user\",\"content\":\"key {openai} and {azure}\"}}]}}}}\n"
        ));
    }
    std::fs::write(&workload, lines).unwrap();
    p.run(
        "simulate --workload-file",
        &[
            "simulate",
            "--limits",
            "rpm=60,tpm=20k",
            "--workload-file",
            workload.to_str().unwrap(),
            "--json",
            "--traces",
            "3",
            "--no-recommend",
        ],
    );
}

#[test]
fn errors_never_quote_a_key() {
    let p = Place::new();
    let c = &p.canaries;
    let openai = c.env_key("OPENAI_API_KEY");
    let azure = c.env_key("AZURE_OPENAI_API_KEY");
    // A key pasted where an option's value goes.
    let out = p.run("backoff --policy KEY", &["backoff", "--policy", openai]);
    assert_eq!(out.status.code(), Some(2));
    let out = p.run("probe --calls KEY", &["probe", "--calls", openai]);
    assert_eq!(out.status.code(), Some(2));
    p.run("probe --provider KEY", &["probe", "--provider", openai]);
    // A malformed .env: dotenvy's own message would quote the line with the key.
    let bad = p.path("bad.env");
    std::fs::write(
        &bad,
        format!("A=1\nAZURE_OPENAI_API_KEY='{azure}\nOPENAI_API_KEY={openai} trailing words\n"),
    )
    .unwrap();
    let out = p.run(
        "probe --env-file (malformed)",
        &["probe", "--env-file", bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    // A recording that is not one: lines holding keys where values go.
    for (i, line) in [
        format!("{{\"t_ms\":\"{azure}\",\"id\":1,\"event\":\"failed\",\"error\":\"x\"}}"),
        format!("{{\"t_ms\":1,\"id\":1,\"event\":\"{azure}\"}}"),
        format!("not json {openai} {azure}"),
    ]
    .iter()
    .enumerate()
    {
        let rec = p.path(&format!("bad-{i}.jsonl"));
        std::fs::write(&rec, format!("{line}\n")).unwrap();
        let out = p.run(
            &format!("replay of a bad recording ({i})"),
            &["replay", "--no-tui", rec.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    }
    // A workload file that is not one.
    let wl = p.path("bad-batch.jsonl");
    std::fs::write(&wl, format!("{{\"body\": \"{azure}\"}}\n[{openai}\n")).unwrap();
    p.run(
        "simulate --workload-file (malformed)",
        &[
            "simulate",
            "--limits",
            "rpm=60",
            "--workload-file",
            wl.to_str().unwrap(),
        ],
    );
}

/// A recording from elsewhere (another tool, an older version, edited by hand) with keys
/// in every string field: replay must not show them either.
fn foreign_recording(c: &Canaries) -> String {
    let openai = c.env_key("OPENAI_API_KEY");
    let gemini = c.env_key("GEMINI_API_KEY");
    let azure = c.env_key("AZURE_OPENAI_API_KEY");
    let anthropic = c.env_key("ANTHROPIC_API_KEY");
    let body = "HTTP/1.1 429\nretry-after: 6\n\n{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 2, Used 2, Requested 1. Please try again in 6s.\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";
    let mut d = diagnose(body).into_iter().next().unwrap();
    d.message = Some(format!(
        "Incorrect API key provided: {openai} (api-key: {azure})"
    ));
    let mut events = Vec::new();
    for id in 1..=3u64 {
        let t = id as f64 * 100.0;
        events.push(Event {
            t_ms: t,
            id,
            kind: EventKind::RequestSent {
                provider: ratedoctor::diagnose::Provider::Openai,
                method: "POST".into(),
                path: format!("/v1/chat/completions?key={gemini}&api_key={azure}"),
                model: Some("gpt-4o-mini".into()),
                est_input_tokens: Some(10),
                max_tokens: Some(5),
                stream: false,
                group: 1,
                attempt: (id - 1) as u32,
            },
        });
        events.push(Event {
            t_ms: t + 5.0,
            id,
            kind: EventKind::ResponseReceived {
                status: 429,
                ttfb_ms: 5.0,
                snapshot: ratedoctor::headers::parse(
                    &[
                        ("x-ratelimit-limit-requests", "2"),
                        ("x-ratelimit-remaining-requests", "0"),
                        ("retry-after", "6"),
                    ],
                    None,
                    None,
                ),
                headers: vec![
                    ("x-ratelimit-limit-requests".into(), "2".into()),
                    ("authorization".into(), format!("Bearer {openai}")),
                    ("x-api-key".into(), azure.to_string()),
                    ("x-goog-api-key".into(), gemini.to_string()),
                    ("x-request-echo".into(), anthropic.to_string()),
                ],
                diagnosis: Some(d.clone()),
                usage: None,
            },
        });
        events.push(Event {
            t_ms: t + 6.0,
            id,
            kind: EventKind::RetryScheduled {
                group: 1,
                wait_s: 1.0,
                advised_s: Some(6.0),
                by: RetryBy::Client,
                reason: format!("retry with {anthropic}"),
            },
        });
    }
    events.push(Event {
        t_ms: 900.0,
        id: 4,
        kind: EventKind::Failed {
            error: format!("error sending request for url (http://h/v1?key={azure}): {openai}"),
        },
    });
    events
        .iter()
        .map(|e| e.to_json_line() + "\n")
        .collect::<String>()
}

#[test]
fn a_recording_with_keys_in_it_is_replayed_without_them() {
    let p = Place::new();
    let rec = p.path("foreign.jsonl");
    std::fs::write(&rec, foreign_recording(&p.canaries)).unwrap();
    let r = rec.to_str().unwrap();
    let out = p.run("replay (foreign)", &["replay", "--no-tui", r]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    p.run("replay --json (foreign)", &["replay", "--json", r]);
    p.run(
        "replay --policy (foreign)",
        &["replay", "--no-tui", "--policy", "openai-sdk", r],
    );
}

// ---- screens -------------------------------------------------------------------------

/// A script that runs `ratedoctor COMMAND` in the test's directory with the canaries in
/// its environment (and nothing else), then prints `EXIT=<code>`; returns the line to type.
/// The keys are in the script, not on the typed command line.
fn tmux_line(p: &Place, name: &str, command: &str) -> String {
    let dir = p.dir.path().display();
    let mut script = format!("cd {dir} || exit 9\nenv -i PATH=\"$PATH\" HOME={dir} TERM=\"$TERM\"");
    for k in &p.canaries.env {
        script.push_str(&format!(" {}='{}'", k.var, k.key));
    }
    script.push_str(&format!(" {BIN} {command}\necho EXIT=$?\n"));
    let path = p.path(&format!("{name}.sh"));
    std::fs::write(&path, script).unwrap();
    format!("sh {}", path.display())
}

/// The screen, checked.
fn capture(t: &Tmux, p: &Place, what: &str) -> String {
    let s = t.screen();
    p.canaries.check(&format!("the screen of {what}"), &s);
    s
}

/// The title of the focused pane (the one marked ◆).
fn focused(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains(" ◆ "))?;
    let head = line.split(" ◆ ").next()?;
    Some(head.rsplit(['┌', '─']).next()?.trim().to_string())
}

/// Focuses the event log (Tab, one key at a time, each waited for), then opens the detail
/// of the selected event and of the ones before it (request, headers, diagnosis), checking
/// each screen. Returns the first detail screen. Every step waits for the screen to show
/// its effect, so a slow machine only makes it slower.
fn open_details(t: &Tmux, p: &Place, what: &str) -> String {
    let is_detail = |s: &str| s.contains("exchange #");
    for _ in 0..6 {
        let now = focused(&t.screen()).unwrap_or_default();
        if now.starts_with("events") {
            break;
        }
        t.key("Tab");
        t.wait_for("the focus to move", 20, |s| {
            focused(s).is_some_and(|f| f != now)
        });
    }
    t.key("Enter");
    let first = t.wait_for(&format!("the detail pane of {what}"), 20, is_detail);
    p.canaries
        .check(&format!("the detail pane of {what}"), &first);
    for _ in 0..4 {
        t.key("Escape");
        t.wait_for("the detail to close", 20, |s| !is_detail(s));
        t.key("Up");
        t.key("Enter");
        let s = t.wait_for("a detail pane", 20, is_detail);
        p.canaries.check(&format!("the detail pane of {what}"), &s);
    }
    t.key("Escape");
    t.wait_for("the detail to close", 20, |s| !is_detail(s));
    first
}

#[test]
fn screens_never_show_a_key() {
    if !tmux_present() {
        return;
    }
    let p = Place::new();
    let pasted = p.path("pasted.txt");
    std::fs::write(&pasted, p.canaries.pasted()).unwrap();

    // The explain view of a file full of keys.
    let t = Tmux::start("secrets-explain");
    t.send_line(&tmux_line(
        &p,
        "explain",
        &format!("explain {}", pasted.display()),
    ));
    t.wait_for("the explain view", 20, |s| {
        s.contains("requests per minute")
    });
    capture(&t, &p, "explain");
    for _ in 0..6 {
        t.key("j");
        t.key("PageDown");
        capture(&t, &p, "explain, scrolled");
    }
    t.key("q");
    t.wait_for("the exit", 20, |s| exit_status(s).is_some());
    drop(t);

    // Home (no arguments on a terminal): a paste full of keys and its diagnosis.
    let t = Tmux::start("secrets-home");
    t.send_line(&tmux_line(&p, "home", ""));
    t.wait_for("Home", 30, |s| s.contains("paste an error here"));
    t.paste_file(&pasted);
    t.wait_for("the diagnosis of the paste", 30, |s| {
        s.contains("errors found")
    });
    capture(&t, &p, "Home, pasted");
    t.key("q");
    t.wait_for("the exit", 30, |s| exit_status(s).is_some());
    drop(t);

    // The live view of demo with the keys in its environment, and a paste full of keys.
    let t = Tmux::start("secrets-demo");
    t.send_line(&tmux_line(&p, "demo", "demo --seed 4"));
    t.wait_for("the live view", 20, |s| s.contains("budgets ("));
    capture(&t, &p, "demo");
    t.key("p");
    t.wait_for("the paste area", 20, |s| s.contains("paste an error"));
    t.paste_file(&pasted);
    capture(&t, &p, "demo, pasted");
    t.wait_for("the diagnosis of the paste", 20, |s| {
        s.contains("requests per minute")
    });
    capture(&t, &p, "demo, diagnosed");
    // Escape alone: a key sent right behind it would be read as Alt+key.
    t.key("Escape");
    t.wait_for("the paste area to close", 20, |s| {
        !s.contains("paste an error")
    });
    open_details(&t, &p, "demo");
    t.key("q");
    t.wait_for("the exit", 20, |s| exit_status(s).is_some());
    drop(t);

    // The replay view of a recording with keys in every field, with its details open.
    let rec = p.path("foreign.jsonl");
    std::fs::write(&rec, foreign_recording(&p.canaries)).unwrap();
    let t = Tmux::start("secrets-replay");
    t.send_line(&tmux_line(
        &p,
        "replay",
        &format!("replay {}", rec.display()),
    ));
    t.wait_for("the replay view", 20, |s| s.contains("budgets ("));
    capture(&t, &p, "replay");
    let s = open_details(&t, &p, "replay");
    assert!(s.contains("[REDACTED]"), "{s}");
    t.key("q");
    t.wait_for("the exit", 20, |s| exit_status(s).is_some());
}
