//! `ratedoctor demo` as a source (sources layer): the provider emulator in-process with
//! small limits, the watch proxy in front of it, and a built-in workload of simulated
//! clients ([`workload`]) sending through the proxy, whose events flow into the view.
//! 429s of several kinds (RPM, TPM, OTPM, too large), 5xx overloads, good and bad retries
//! and refills all show within seconds.
//!
//! Without the proxy, the workload can report its own exchanges ([`observer`]): the one
//! `(base, reporter)` line in [`start`] picks who reports.

pub mod observer;
pub mod report;
pub mod workload;

use crate::emulator::{self, MockConfig, MockHandle};
use crate::error::AppError;
use crate::event::Event;
use crate::limiter::Limits;
use observer::Reporter;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinHandle};

/// Events queued between the workload and the view.
pub const CHANNEL: usize = 8192;

/// What the demo runs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Stop by itself after this long.
    pub duration: Option<Duration>,
    pub seed: u64,
    /// The emulator's limits (per key).
    pub limits: Limits,
    /// Fraction of requests the emulator answers "overloaded".
    pub overload: f64,
    pub clients: Vec<workload::ClientSpec>,
}

impl DemoConfig {
    /// Small limits: each kind of 429 shows within the first seconds.
    pub fn new(duration: Option<Duration>, seed: u64) -> Self {
        DemoConfig {
            duration,
            seed,
            limits: Limits {
                rpm: Some(30),
                tpm: Some(20_000),
                input_tpm: Some(4_000),
                output_tpm: Some(2_000),
                ..Limits::default()
            },
            overload: 0.03,
            clients: workload::clients(),
        }
    }
}

impl DemoConfig {
    /// Raised limits and many quick clients: a load test of the live view (issue 6's
    /// "events at 2,000/s"), still with some 429s of each kind.
    pub fn load(duration: Option<Duration>, seed: u64) -> Self {
        let mut clients = Vec::new();
        for _ in 0..12 {
            for mut c in workload::clients() {
                c.pause = Duration::from_millis(1);
                clients.push(c);
            }
        }
        DemoConfig {
            duration,
            seed,
            limits: Limits {
                rpm: Some(40_000),
                tpm: Some(20_000_000),
                input_tpm: Some(4_000_000),
                output_tpm: Some(2_000_000),
                ..Limits::default()
            },
            overload: 0.01,
            clients,
        }
    }
}

/// A running demo. Dropping it stops the workload and the emulator.
#[derive(Debug)]
pub struct Demo {
    /// The events; the channel closes when the workload has stopped.
    pub events: mpsc::Receiver<Event>,
    /// The instant the events' `t_ms` count from.
    pub start: Instant,
    /// The emulator's URL.
    pub upstream: String,
    /// The proxy's URL, when the workload goes through it.
    pub via: Option<String>,
    stop: watch::Sender<bool>,
    tasks: Vec<AbortHandle>,
    _mock: MockHandle,
}

impl Demo {
    /// Asks the workload to stop (the event channel then closes).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the emulator and the workload on the current runtime.
pub async fn start(config: DemoConfig) -> Result<Demo, AppError> {
    let mock = emulator::spawn(MockConfig {
        limits: config.limits,
        overload: config.overload,
        latency: Duration::from_millis(25),
        chunk_delay: Duration::from_millis(40),
        seed: config.seed,
        ..MockConfig::default()
    })
    .await?;
    let (tx, events) = mpsc::channel(CHANNEL);
    let proxy = crate::proxy::spawn(
        crate::proxy::ProxyConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            upstreams: crate::proxy::Upstreams::all(&mock.base_url())?,
            ..crate::proxy::ProxyConfig::default()
        },
        tx,
    )
    .await?;
    let start = Instant::now();
    // The one line that picks who reports: the proxy (the workload only sends). Without
    // the proxy: `(mock.base_url(), Reporter::self_report(tx, start))`.
    let (base, reporter) = (proxy.base_url(), Reporter::Proxy);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .user_agent(concat!("ratedoctor-demo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("cannot build the HTTP client: {e}")))?;
    let (stop, stopped) = watch::channel(false);
    let groups = Arc::new(AtomicU64::new(1));
    let mut clients = Vec::new();
    for (i, c) in config.clients.iter().enumerate() {
        clients.push(tokio::spawn(workload::run_client(
            c.clone(),
            base.clone(),
            http.clone(),
            reporter.clone(),
            groups.clone(),
            stopped.clone(),
            config.seed.wrapping_mul(1000).wrapping_add(i as u64),
        )));
    }
    drop(reporter);
    let mut tasks: Vec<AbortHandle> = clients.iter().map(JoinHandle::abort_handle).collect();
    // When every client has stopped, stop the proxy: its sender drops and the event
    // channel closes, which ends the view (or the text run).
    let via = proxy.base_url();
    tasks.push(
        tokio::spawn(async move {
            for c in clients {
                let _ = c.await;
            }
            proxy.shutdown().await;
        })
        .abort_handle(),
    );
    if let Some(d) = config.duration {
        let stop = stop.clone();
        tasks.push(
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                let _ = stop.send(true);
            })
            .abort_handle(),
        );
    }
    Ok(Demo {
        events,
        start,
        upstream: mock.base_url(),
        via: Some(via),
        stop,
        tasks,
        _mock: mock,
    })
}
