//! `ratedoctor watch` (cli layer): start the proxy source, print one line per event (or
//! JSON lines), record events, and print the end-of-run summary. `run` (in [`super::run`])
//! is `watch` plus a program with its SDKs pointed at the proxy.
//!
//! Variables `run` sets in the child's environment (and only there), each pointing at the
//! proxy: `OPENAI_BASE_URL` and `OPENAI_API_BASE` (with `/v1`; openai-python and
//! openai-node read the first, older clients and LangChain the second),
//! `ANTHROPIC_BASE_URL` (anthropic-python / -typescript), `AZURE_OPENAI_ENDPOINT` (the
//! openai SDKs' Azure clients append `/openai/deployments/...`), `GOOGLE_GEMINI_BASE_URL`
//! and `GEMINI_BASE_URL` (google-genai and tools built on it), `GROQ_BASE_URL` (groq SDKs
//! append `/openai/v1/...`), and `RATEDOCTOR_PROXY` (the bare proxy URL, for scripts).
//! When one of the provider variables is already set in ratedoctor's environment and no
//! `--upstream` names that family, its value becomes that family's upstream, so a program
//! already pointed at a gateway or an Azure resource keeps talking to it.

use crate::error::{AppError, ExitCode};
use crate::event::Event;
use crate::proxy::{self, Family, ProxyConfig, Upstreams};
use crate::sink::{Sink, consume};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::{mpsc, watch};

/// The default address of `watch`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// Options of `ratedoctor watch` (and of `run`).
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// Address to listen on [default: 127.0.0.1:8787 for watch, a free loopback port for
    /// run]. A non-loopback address needs --allow-remote.
    #[arg(short = 'l', long, value_name = "ADDR", env = "RATEDOCTOR_LISTEN", value_parser = crate::listen::parse)]
    pub listen: Option<SocketAddr>,

    /// Accept a --listen address other machines can reach (prints a warning: the proxy
    /// forwards your API keys).
    #[arg(long)]
    pub allow_remote: bool,

    /// Where to forward: URL (every family) or FAMILY=URL with FAMILY one of openai, azure,
    /// anthropic, gemini, groq. Repeatable; later ones win. Default: the public endpoints.
    #[arg(short = 'u', long, value_name = "[FAMILY=]URL")]
    pub upstream: Vec<String>,

    /// Write every event as JSON Lines to this file (keys and tokens redacted).
    #[arg(short = 'r', long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Hold a request while the latest budgets say it cannot be covered, until they can.
    #[arg(long)]
    pub pace: bool,

    /// On a retryable 429 (or 503/529), wait as the server advised and retry upstream up
    /// to N times (at most 10), so the program never sees it. Quota and too-large errors
    /// pass through. A hint of 0 or none waits 0.25 s, then twice as long each try (up to
    /// 8 s); one request waits 120 s in all at most.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=proxy::MAX_RETRIES as i64))]
    pub retry: u32,

    /// With --pace: pace as one fleet with every ratedoctor proxy that calls the same
    /// upstream with the same API key through this Redis: redis://[user:password@]host:port[/db]
    /// or rediss:// (TLS). What is stored: the latest budget reports, the calls in flight, a
    /// 429's advised wait; never the key (the fleet is a salted hash of upstream and key).
    /// Redis unreachable at start: exit 4, unless --share-fallback local; lost while
    /// running: local pacing until it is back. Without --pace it is ignored (with a note).
    #[arg(
        long,
        value_name = "URL",
        env = "RATEDOCTOR_SHARE",
        hide_env_values = true
    )]
    pub share: Option<String>,

    /// The fleet's name in Redis instead of the hash of (upstream, API key): proxies with
    /// the same name pace as one whatever their keys.
    #[arg(long, value_name = "NAME", requires = "share")]
    pub share_name: Option<String>,

    /// What to do when the --share Redis cannot be reached at start: fail (exit 4) or
    /// pace locally until it answers.
    #[arg(long, value_name = "MODE", value_parser = ["fail", "local"], default_value = "fail", requires = "share")]
    pub share_fallback: String,

    /// Seconds to wait for the upstream's response head (status and headers) before
    /// answering 504 upstream_timeout. Only the head is timed: once it has come, a body or
    /// stream may take as long as it needs.
    #[arg(long, value_name = "SECS", default_value_t = proxy::DEFAULT_HEAD_TIMEOUT_S, value_parser = crate::duration::seconds_arg)]
    pub head_timeout: f64,

    /// JSON Lines on stdout (one per event, then the summary) instead of text; nothing
    /// else goes to stdout (messages go to stderr; under `run`, so does the program's own
    /// stdout).
    #[arg(short = 'j', long, conflicts_with = "json_file")]
    pub json: bool,

    /// The same JSON Lines, written to FILE instead: the terminal keeps the live view or
    /// the text lines, and `run`'s program keeps its stdout.
    #[arg(long, value_name = "FILE")]
    pub json_file: Option<PathBuf>,

    /// Plain text even on a terminal.
    #[arg(long)]
    pub no_tui: bool,
}

/// Provider variables whose value, when set, becomes a family's default upstream in `run`.
const INHERITED: &[(&str, Family)] = &[
    ("OPENAI_BASE_URL", Family::OpenAi),
    ("ANTHROPIC_BASE_URL", Family::Anthropic),
    ("AZURE_OPENAI_ENDPOINT", Family::Azure),
    ("GOOGLE_GEMINI_BASE_URL", Family::Gemini),
    ("GROQ_BASE_URL", Family::Groq),
];

/// The variables `run` sets for the child, given the proxy's URL.
pub fn child_env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OPENAI_BASE_URL", format!("{base}/v1")),
        ("OPENAI_API_BASE", format!("{base}/v1")),
        ("ANTHROPIC_BASE_URL", base.to_string()),
        ("AZURE_OPENAI_ENDPOINT", base.to_string()),
        ("GOOGLE_GEMINI_BASE_URL", base.to_string()),
        ("GEMINI_BASE_URL", base.to_string()),
        ("GROQ_BASE_URL", base.to_string()),
        ("RATEDOCTOR_PROXY", base.to_string()),
    ]
}

/// Builds the proxy configuration; `env` supplies inherited upstreams (`run` only).
pub fn config_for(
    args: &WatchArgs,
    default_listen: SocketAddr,
    env: &[(String, String)],
) -> Result<ProxyConfig, AppError> {
    let mut upstreams = Upstreams::default();
    let bare = args.upstream.iter().any(|u| {
        u.split_once('=')
            .is_none_or(|(name, _)| name.contains("://"))
    });
    if !bare {
        for (var, family) in INHERITED {
            let named = args.upstream.iter().any(|u| {
                u.split_once('=')
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case(family.id()))
            });
            if named {
                continue;
            }
            if let Some((_, v)) = env.iter().find(|(k, _)| k == var)
                && !v.trim().is_empty()
            {
                upstreams
                    .apply(&format!("{}={}", family.id(), v.trim()))
                    .map_err(|_| {
                        AppError::Usage(format!("{var}={v} is not a URL ratedoctor can forward to"))
                    })?;
            }
        }
    }
    for u in &args.upstream {
        upstreams.apply(u)?;
    }
    Ok(ProxyConfig {
        listen: args.listen.unwrap_or(default_listen),
        upstreams,
        pace: args.pace,
        retry: args.retry,
        allow_remote: args.allow_remote,
        head_timeout: std::time::Duration::from_secs_f64(args.head_timeout),
        share: args
            .share
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .filter(|_| {
                // A fleet-wide RATEDOCTOR_SHARE must not break a plain `watch`.
                if !args.pace {
                    eprintln!(
                        "ratedoctor: --share (or RATEDOCTOR_SHARE) ignored: it shares --pace's pacing, and --pace is off"
                    );
                }
                args.pace
            })
            .map(|u| {
                proxy::share::ShareConfig::new(
                    u,
                    args.share_name.clone(),
                    args.share_fallback == "local",
                )
            })
            .transpose()?,
        ..ProxyConfig::default()
    })
}

/// One line of text for an event (the one event-line view).
pub fn event_line(e: &Event) -> String {
    crate::views::event_line::with_time(e)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the runtime: {e}")))
}

pub(crate) fn default_addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8787)))
}

/// Starts the proxy and the event consumer; `finish` stops both and prints the summary.
pub(crate) struct Running {
    pub(crate) handle: proxy::ProxyHandle,
    stop: watch::Sender<bool>,
    consumer: tokio::task::JoinHandle<Sink>,
}

pub(crate) async fn start(config: ProxyConfig, sink: Sink) -> Result<Running, AppError> {
    if !proxy::is_loopback(&config.listen) && config.allow_remote {
        eprintln!(
            "ratedoctor: WARNING: listening on {}, which other machines can reach; anyone who can connect can spend your API keys through it",
            config.listen
        );
    }
    let (tx, rx) = mpsc::channel(8192);
    let handle = proxy::spawn(config, tx).await?;
    let (stop, stopped) = watch::channel(false);
    let consumer = tokio::spawn(consume(rx, sink, stopped));
    Ok(Running {
        handle,
        stop,
        consumer,
    })
}

impl Running {
    pub(crate) async fn finish(self) -> Result<(), AppError> {
        // The proxy folds every event into its own session: the summary is read from it.
        let (session, stats) = self.handle.finish().await;
        let _ = self.stop.send(true);
        let mut sink = self
            .consumer
            .await
            .map_err(|e| AppError::Internal(format!("the event consumer failed: {e}")))?;
        sink.summary(&session, &stats);
        Ok(())
    }
}

/// `ratedoctor watch`: serves until Ctrl-C or SIGTERM, then prints the summary.
pub fn run_watch(args: &WatchArgs) -> Result<ExitCode, AppError> {
    let mut config = config_for(args, default_addr(DEFAULT_LISTEN), &[])?;
    let sink = Sink::new(
        args.json,
        args.json_file.as_deref(),
        args.record.as_deref(),
        false,
    )?;
    if use_tui(args) {
        quiet_share(&mut config);
        return watch_tui(config, sink);
    }
    runtime()?.block_on(async {
        let mut stop = crate::shutdown::StopSignals::install();
        let running = start(config, sink).await?;
        let base = running.handle.base_url();
        eprintln!("ratedoctor: proxy listening on {base} (Ctrl-C to stop)");
        let vars: Vec<String> = proxy::connect_vars(&base)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        eprintln!("ratedoctor: point your program at it: {}", vars.join(" "));
        stop.wait().await;
        running.finish().await?;
        Ok(ExitCode::Ok)
    })
}

/// Under the live view the fleet's losses and rejoins are events in its log, not lines on
/// stderr.
pub(crate) fn quiet_share(config: &mut ProxyConfig) {
    if let Some(s) = &mut config.share {
        s.quiet = true;
    }
}

/// The live view is used on a terminal unless `--no-tui` or `--json`.
pub(crate) fn use_tui(args: &WatchArgs) -> bool {
    use std::io::IsTerminal;
    !args.no_tui && !args.json && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// `watch` with the live view: serves until the view is closed, then prints the summary.
fn watch_tui(config: ProxyConfig, mut sink: Sink) -> Result<ExitCode, AppError> {
    runtime()?.block_on(async {
        let (tx, rx) = mpsc::channel(8192);
        sink.forward = Some(tx);
        let running = start(config, sink).await?;
        let listen = running.handle.base_url();
        let shown = crate::tui::live(
            crate::tui::LiveSource::Watch { listen },
            rx,
            None,
            crate::tui::LiveOptions::default(),
        )
        .await;
        running.finish().await?;
        // The summary is printed (by `finish`) whatever closed the view.
        shown.map(|app| app.exit_code(ExitCode::Ok))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, RetryBy};

    #[test]
    fn inherited_upstreams_unless_named() {
        let args = WatchArgs {
            listen: None,
            allow_remote: false,
            upstream: vec!["anthropic=http://127.0.0.1:9".into()],
            record: None,
            pace: false,
            retry: 0,
            head_timeout: 2.5,
            share: None,
            share_name: None,
            share_fallback: "fail".into(),
            json: false,
            json_file: None,
            no_tui: false,
        };
        let env = vec![
            (
                "AZURE_OPENAI_ENDPOINT".to_string(),
                "https://res.openai.azure.com".to_string(),
            ),
            (
                "ANTHROPIC_BASE_URL".to_string(),
                "https://gw.example".to_string(),
            ),
        ];
        let c = config_for(&args, default_addr("127.0.0.1:0"), &env).unwrap();
        assert_eq!(
            c.upstreams.azure.as_deref(),
            Some("https://res.openai.azure.com")
        );
        assert_eq!(c.upstreams.anthropic, "http://127.0.0.1:9");
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.head_timeout, std::time::Duration::from_millis(2500));
        let vars = child_env("http://127.0.0.1:5");
        assert!(vars.contains(&("OPENAI_BASE_URL", "http://127.0.0.1:5/v1".to_string())));
    }

    #[test]
    fn lines_and_summary_say_what_happened() {
        use crate::diagnose::{Provider, diagnose};
        use crate::event::Usage;
        let body = r#"HTTP/1.1 429\nretry-after: 6\n\n{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 2, Used 2, Requested 1. Please try again in 6s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let events = vec![
            Event {
                t_ms: 1.0,
                id: 1,
                kind: EventKind::RequestSent {
                    provider: Provider::Openai,
                    method: "POST".into(),
                    path: "/v1/chat/completions".into(),
                    model: Some("gpt-4o-mini".into()),
                    est_input_tokens: Some(3),
                    max_tokens: Some(5),
                    stream: true,
                    group: 1,
                    attempt: 0,
                },
            },
            Event {
                t_ms: 9.0,
                id: 1,
                kind: EventKind::ResponseReceived {
                    status: 429,
                    ttfb_ms: 8.0,
                    snapshot: crate::headers::parse(
                        &[
                            ("x-ratelimit-limit-requests", "2"),
                            ("x-ratelimit-remaining-requests", "0"),
                            ("retry-after", "6"),
                        ],
                        Some(Provider::Openai),
                        None,
                    ),
                    headers: vec![],
                    diagnosis: diagnose(body).into_iter().next(),
                    usage: None,
                },
            },
            Event {
                t_ms: 500.0,
                id: 2,
                kind: EventKind::RetryScheduled {
                    group: 1,
                    wait_s: 0.5,
                    advised_s: Some(6.0),
                    by: RetryBy::Client,
                    reason: String::new(),
                },
            },
            Event {
                t_ms: 600.0,
                id: 2,
                kind: EventKind::StreamFinished {
                    bytes: 10,
                    elapsed_ms: 3.0,
                    usage: Some(Usage {
                        input_tokens: 3,
                        output_tokens: 4,
                    }),
                    complete: true,
                },
            },
        ];
        let lines: Vec<String> = events.iter().map(event_line).collect();
        let want = [
            "→ POST /v1/chat/completions gpt-4o-mini · stream · ~3 in, max 5 out",
            "← 429 in 8 ms · rpm openai · retry in 6 s · requests/minute 0/2 · retry-after 6 s",
            "↻ #1 retried by the program after 500 ms (advised 6 s) · too early",
            "⇣ done · 10 bytes in 3 ms · usage 3 in / 4 out",
        ];
        for (line, want) in lines.iter().zip(want) {
            assert!(line.ends_with(want), "{line}\nwant {want}");
        }
        let mut s = crate::session::Session::new();
        for e in &events {
            s.apply(e);
        }
        let text = crate::views::summary::proxy_text(&s, &crate::proxy::ProxyStats::default());
        assert!(text.contains("429s            1 (rpm 1)"), "{text}");
        assert!(text.contains("tightest        openai requests"), "{text}");
        assert!(text.contains("recommendation "), "{text}");
    }
}
