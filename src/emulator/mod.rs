//! The provider emulator (sources layer): a real HTTP server that answers like OpenAI,
//! Azure OpenAI, Anthropic and Gemini do — native paths, auth, rate-limit headers, exact 429
//! bodies with true numbers, quota, overload, SSE streaming.
//!
//! - [`spawn`] starts it in-process (tests, `ratedoctor demo`) and returns a [`MockHandle`];
//! - [`run_cli`] is `ratedoctor mock`: prints `listening on http://HOST:PORT`, serves until
//!   Ctrl-C or SIGTERM.
//!
//! The accounting is [`crate::limiter`] (pure); this module only does HTTP and wording.
//! Limits are kept per API key (one limiter per key, whatever the family); which limits a
//! call is charged against depends on its family (see `call.rs`: OpenAI RPM/TPM/RPD/TPD,
//! Azure RPM/TPM, Anthropic RPM/ITPM/OTPM, Gemini RPM/TPM/RPD/TPD on input tokens), plus
//! the concurrency cap and the quota for everyone. Refused calls are not charged.
//! Files: `state` (per-key limiters, counters), `routes` (paths, auth, parsing), one file
//! per family for bodies and headers, `sse` (streamed bodies), `rng` (seeded ids and text).

mod anthropic;
mod azure;
mod call;
mod gemini;
mod openai;
mod openai_body;
mod reply;
mod rng;
mod routes;
mod sse;
mod state;

use crate::error::{AppError, ExitCode};
use crate::limiter::Limits;
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Options of `ratedoctor mock`.
#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// Address to listen on (port 0: a free one). Another machine's reach needs nothing
    /// more than a non-loopback address, and gets a warning.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = crate::listen::parse)]
    pub listen: SocketAddr,
    /// Requests per minute (every family).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub rpm: Option<u64>,
    /// Tokens per minute (OpenAI, Azure: max(max_tokens, input estimate); Gemini: input).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub tpm: Option<u64>,
    /// Requests per day (OpenAI, Gemini); the day starts at 00:00 UTC.
    #[arg(long, value_name = "N", value_parser = positive)]
    pub rpd: Option<u64>,
    /// Tokens per day (OpenAI, Gemini).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub tpd: Option<u64>,
    /// Input tokens per minute (Anthropic).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub input_tpm: Option<u64>,
    /// Output tokens per minute (Anthropic; max_tokens is charged up front).
    #[arg(long, value_name = "N", value_parser = positive)]
    pub output_tpm: Option<u64>,
    /// Maximum requests in flight per key.
    #[arg(long, value_name = "N", value_parser = positive)]
    pub concurrency: Option<u64>,
    /// Lifetime token allowance per key; once spent, every request gets the quota error.
    #[arg(long, value_name = "N", value_parser = positive)]
    pub quota_tokens: Option<u64>,
    /// Fraction of requests answered "overloaded" (Anthropic 529, others 503), 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub overload: f64,
    /// Delay before each answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// Delay between streamed chunks, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub chunk_delay: u64,
    /// Seed for ids, generated text and overload draws.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

fn positive(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err("must be a whole number".to_string()),
    }
}

fn probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("must be a number from 0 to 1".to_string()),
    }
}

/// Everything the emulator needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    pub listen: SocketAddr,
    /// Limits applied to every API key separately.
    pub limits: Limits,
    /// Fraction of requests answered "overloaded", 0 to 1.
    pub overload: f64,
    /// Delay before each answer (the concurrency slot is held meanwhile).
    pub latency: Duration,
    /// Delay between streamed chunks.
    pub chunk_delay: Duration,
    pub seed: u64,
    /// How long a client may take to send a request's headers, and sit idle between
    /// requests on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Open client connections at most; one more is answered 503.
    pub max_connections: usize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            limits: Limits::default(),
            overload: 0.0,
            latency: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            seed: 0,
            header_read_timeout: crate::serve::HEADER_READ_TIMEOUT,
            max_connections: crate::serve::MAX_CONNECTIONS,
        }
    }
}

impl From<&MockArgs> for MockConfig {
    fn from(a: &MockArgs) -> Self {
        MockConfig {
            listen: a.listen,
            limits: Limits {
                rpm: a.rpm,
                tpm: a.tpm,
                rpd: a.rpd,
                tpd: a.tpd,
                input_tpm: a.input_tpm,
                output_tpm: a.output_tpm,
                concurrency: a.concurrency,
                quota_tokens: a.quota_tokens,
            },
            overload: a.overload,
            latency: Duration::from_millis(a.latency),
            chunk_delay: Duration::from_millis(a.chunk_delay),
            seed: a.seed,
            ..MockConfig::default()
        }
    }
}

/// A running emulator. Dropping it (or [`MockHandle::shutdown`]) stops the server.
#[derive(Debug)]
pub struct MockHandle {
    addr: SocketAddr,
    shared: Arc<state::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockHandle {
    /// The bound address (the real port when `listen` asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters `GET /_mock/state` returns.
    pub fn state(&self) -> serde_json::Value {
        self.shared.state_json()
    }

    /// Stops accepting, lets open requests finish (at most 5 s), then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds `config.listen` and serves on the current tokio runtime.
pub async fn spawn(config: MockConfig) -> Result<MockHandle, AppError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| crate::listen::bind_error(config.listen, &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Network(format!("cannot read the bound address: {e}")))?;
    let limits = crate::serve::Limits {
        header_read_timeout: config.header_read_timeout,
        max_connections: config.max_connections,
        full_body: r#"{"error":{"message":"ratedoctor mock: too many connections at once; try again shortly","type":"server_full","code":"too_many_connections"}}"#,
    };
    let shared = Arc::new(state::Shared::new(config));
    let app = hyper_util::service::TowerToHyperService::new(routes::router(Arc::clone(&shared)));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(crate::serve::serve(
        listener,
        limits,
        app,
        || {},
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(MockHandle {
        addr,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Runs `ratedoctor mock` until Ctrl-C or SIGTERM.
pub fn run_cli(args: &MockArgs) -> Result<ExitCode, AppError> {
    let config = MockConfig::from(args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let mut stop = crate::shutdown::StopSignals::install();
        if !crate::listen::is_loopback(&config.listen) {
            eprintln!(
                "ratedoctor: WARNING: listening on {}, which other machines can reach; anyone who can connect can use the emulator",
                config.listen
            );
        }
        let handle = spawn(config).await?;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "listening on {}", handle.base_url());
        let _ = out.flush();
        stop.wait().await;
        handle.shutdown().await;
        Ok(ExitCode::Ok)
    })
}
