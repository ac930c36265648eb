//! `ratedoctor demo` as a source (sources layer): the provider emulator in-process with
//! small limits, and a built-in workload of simulated clients ([`workload`]) whose
//! exchanges become [`Event`]s ([`observer`]). 429s of several kinds (RPM, TPM, OTPM, too
//! large), 5xx overloads, good and bad retries and refills all show within seconds.
//!
//! Switching to the watch proxy: start `crate::proxy::spawn` in [`start`] with the
//! emulator as upstream and the same sender, then replace the `(base, reporter)` line by
//! `(proxy.base_url(), Reporter::Proxy)`.

pub mod observer;
pub mod report;
pub mod workload;

use crate::emulator::{self, MockConfig, MockHandle};
use crate::error::AppError;
use crate::event::Event;
use crate::limiter::Limits;
use observer::Reporter;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

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

/// A running demo. Dropping it stops the workload and the emulator.
#[derive(Debug)]
pub struct Demo {
    /// The events; the channel closes when the workload has stopped.
    pub events: mpsc::Receiver<Event>,
    /// The instant the events' `t_ms` count from.
    pub start: Instant,
    /// The emulator's URL.
    pub upstream: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
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
    let start = Instant::now();
    let (tx, events) = mpsc::channel(CHANNEL);
    // The one line that picks who reports: the workload itself, or (later) the proxy.
    let (base, reporter) = (mock.base_url(), Reporter::self_report(tx, start));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .user_agent(concat!("ratedoctor-demo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("cannot build the HTTP client: {e}")))?;
    let (stop, stopped) = watch::channel(false);
    let groups = Arc::new(AtomicU64::new(1));
    let mut tasks = Vec::new();
    for (i, c) in config.clients.iter().enumerate() {
        tasks.push(tokio::spawn(workload::run_client(
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
    if let Some(d) = config.duration {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(d).await;
            let _ = stop.send(true);
        }));
    }
    Ok(Demo {
        events,
        start,
        upstream: mock.base_url(),
        stop,
        tasks,
        _mock: mock,
    })
}
