//! The transparent local proxy behind `ratedoctor watch` and `ratedoctor run` (sources
//! layer). A program's SDK talks to it as if it were the provider; it forwards every
//! request to the family's upstream and streams the answer back untouched, while it emits
//! [`Event`]s about each exchange.
//!
//! - [`spawn`] binds and serves on the current tokio runtime and returns a [`ProxyHandle`];
//!   events go to the given channel with `try_send` (a full channel never slows traffic;
//!   what is dropped is counted);
//! - files: `route` (families, upstreams, hop-by-hop headers), `forward` (one exchange:
//!   read, pace, send, retry, answer), `tee` (the response body wrapper that observes
//!   bytes as they pass), `inspect` (request fields, usage), `group` (retry grouping),
//!   `pace` (`--pace`), `report` (`/_ratedoctor/metrics` and `/_ratedoctor/state`).
//!
//! Request bodies up to [`MAX_REQUEST_BUFFER`] are read before they are forwarded (to hash
//! them, estimate tokens, pace them and, with `--retry`, send them again); larger ones
//! stream through and only their first bytes are observed. Response bodies are never held.

mod decode;
mod fields;
mod forward;
pub mod group;
pub mod inspect;
pub mod pace;
mod report;
pub mod route;
pub mod rules;
pub mod share;
mod tee;
mod upstream;

pub use report::summary_json;
pub use route::{Family, Upstreams};

use crate::error::AppError;
use crate::event::{Event, EventKind};
use crate::session::Session;
use hyper::service::service_fn;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

/// Request bodies up to this size are read whole before forwarding.
pub const MAX_REQUEST_BUFFER: usize = 8 * 1024 * 1024;

/// The default [`ProxyConfig::head_timeout`] in seconds: 10 minutes, the official OpenAI
/// and Anthropic SDKs' own default request timeout, so the proxy does not give up on a slow
/// non-streamed answer sooner than the program itself would.
pub const DEFAULT_HEAD_TIMEOUT_S: f64 = 600.0;

/// Everything the proxy needs to start.
/// The most retries `--retry` accepts: past it, a request that keeps failing is an outage
/// to report, not a limit to wait out.
pub const MAX_RETRIES: u32 = 10;

/// The wait before retry number `tries` (0 first) when the server advised none, or 0:
/// 0.25 s, doubling, at most 8 s. A hint is followed as given, but never below 50 ms.
pub fn retry_wait(advised: Option<f64>, tries: u32) -> f64 {
    match advised {
        Some(a) if a.is_finite() && a > 0.0 => a.max(0.05),
        _ => (0.25 * 2f64.powi(tries.min(16) as i32)).min(8.0),
    }
}

#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Where each family's requests go.
    pub upstreams: Upstreams,
    /// Hold requests the latest budgets cannot cover (`--pace`).
    pub pace: bool,
    /// Retry a retryable 429/503/529 upstream this many times (`--retry N`); 0 = never.
    pub retry: u32,
    /// Allow a non-loopback `listen` address.
    pub allow_remote: bool,
    /// `--retry` never waits longer than this; a longer advised wait is passed back.
    pub retry_max_wait: Duration,
    /// `--retry` waits at most this long in all for one request; then the answer is passed
    /// back as it came.
    pub retry_budget: Duration,
    /// A client must send a request's headers within this time, and a kept-alive connection
    /// that sends nothing for this long is closed (slow or idle clients hold no socket).
    pub header_read_timeout: Duration,
    /// Client connections open at once; past it, a new one is answered 503 and closed.
    pub max_connections: usize,
    /// Time to connect to the upstream.
    pub connect_timeout: Duration,
    /// Time from sending to the upstream's response head (504 after); a body that has
    /// started is not timed (`--head-timeout`).
    pub head_timeout: Duration,
    /// `--share`: pace with every proxy of the same fleet through this Redis (with
    /// `pace`).
    pub share: Option<share::ShareConfig>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            upstreams: Upstreams::default(),
            pace: false,
            retry: 0,
            allow_remote: false,
            retry_max_wait: Duration::from_secs(60),
            retry_budget: Duration::from_secs(120),
            header_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
            connect_timeout: Duration::from_secs(10),
            head_timeout: Duration::from_secs_f64(DEFAULT_HEAD_TIMEOUT_S),
            share: None,
        }
    }
}

/// Counters of what the proxy itself did (the rest is in the [`Session`]).
#[derive(Debug, Default)]
pub struct Counters {
    /// Events the channel could not take.
    pub dropped_events: AtomicU64,
    /// Upstream retries ratedoctor made (`--retry`).
    pub proxy_retries: AtomicU64,
    /// Milliseconds waited before those retries.
    pub proxy_retry_wait_ms: AtomicU64,
    /// Requests held by `--pace`, and the milliseconds they were held.
    pub paced: AtomicU64,
    pub paced_ms: AtomicU64,
    /// Answers made by the proxy itself (502/504).
    pub proxy_errors: AtomicU64,
    /// Client connections accepted (keep-alive reuses one for many requests).
    pub connections: AtomicU64,
}

/// State shared by every connection.
pub(crate) struct Shared {
    pub config: ProxyConfig,
    pub clients: upstream::Clients,
    pub start: Instant,
    pub events: mpsc::Sender<Event>,
    pub next_id: AtomicU64,
    pub counters: Counters,
    pub session: Mutex<Session>,
    pub groups: Mutex<group::Grouper>,
    pub pacer: Mutex<pace::Pacer>,
    /// How to wake each request `--pace` holds, by id: an answer may let it go early.
    pub held: Mutex<HashMap<u64, Arc<Notify>>>,
    /// Where each family's requests go, worked out once.
    pub targets: Vec<(Family, Arc<upstream::Target>)>,
    /// `--share`: the fleet's ledger.
    pub fleet: Option<Arc<share::Fleet>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn t_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    /// Folds the event into the proxy's own session and hands it to the channel without
    /// waiting.
    pub fn emit(&self, id: u64, kind: EventKind) {
        let e = Event {
            t_ms: self.t_ms(),
            id,
            kind,
        };
        lock(&self.session).apply(&e);
        if self.events.try_send(e).is_err() {
            self.counters.dropped_events.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn target(&self, family: Family) -> Option<&Arc<upstream::Target>> {
        self.targets
            .iter()
            .find(|(f, _)| *f == family)
            .map(|(_, t)| t)
    }

    pub fn session(&self) -> MutexGuard<'_, Session> {
        lock(&self.session)
    }

    pub fn groups(&self) -> MutexGuard<'_, group::Grouper> {
        lock(&self.groups)
    }

    pub fn pacer(&self) -> MutexGuard<'_, pace::Pacer> {
        lock(&self.pacer)
    }

    pub fn held(&self) -> MutexGuard<'_, HashMap<u64, Arc<Notify>>> {
        lock(&self.held)
    }
}

/// What the proxy did itself, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ProxyStats {
    pub dropped_events: u64,
    pub proxy_retries: u64,
    pub proxy_retry_wait_s: f64,
    pub paced: u64,
    pub paced_s: f64,
    pub proxy_errors: u64,
    pub connections: u64,
}

impl ProxyStats {
    /// What the proxy did for the program, as the summary counts it.
    pub fn helped(&self) -> crate::session::Helped {
        crate::session::Helped {
            retries: self.proxy_retries,
            paced: self.paced,
            paced_s: self.paced_s,
        }
    }
}

/// A running proxy. Dropping it stops accepting and aborts open connections;
/// [`ProxyHandle::shutdown`] lets them finish first (at most 2 s).
pub struct ProxyHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ProxyHandle {
    /// The bound address (the real port when `listen` asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A copy of the session the proxy folds its own events into.
    pub fn session(&self) -> Session {
        self.shared.session().clone()
    }

    /// What the proxy did itself.
    pub fn stats(&self) -> ProxyStats {
        stats(&self.shared)
    }

    /// `/_ratedoctor/state` as a value.
    pub fn state_json(&self) -> serde_json::Value {
        report::state_json(&self.shared)
    }

    /// Stops accepting, lets open exchanges finish for at most 2 s, then returns.
    pub async fn shutdown(self) {
        self.finish().await;
    }

    /// [`ProxyHandle::shutdown`], then the final session (every event the proxy emitted,
    /// including any a full channel dropped) and what the proxy did itself.
    pub async fn finish(mut self) -> (Session, ProxyStats) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        (self.shared.session().clone(), stats(&self.shared))
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub(crate) fn stats(s: &Shared) -> ProxyStats {
    let c = &s.counters;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    ProxyStats {
        dropped_events: get(&c.dropped_events),
        proxy_retries: get(&c.proxy_retries),
        proxy_retry_wait_s: get(&c.proxy_retry_wait_ms) as f64 / 1000.0,
        paced: get(&c.paced),
        paced_s: get(&c.paced_ms) as f64 / 1000.0,
        proxy_errors: get(&c.proxy_errors),
        connections: get(&c.connections),
    }
}

/// The variables that point the common SDKs at a proxy whose URL is `base`
/// (`http://HOST:PORT`): what `watch` tells the user to set, in its banner and its view.
pub fn connect_vars(base: &str) -> [(&'static str, String); 3] {
    [
        ("OPENAI_BASE_URL", format!("{base}/v1")),
        ("ANTHROPIC_BASE_URL", base.to_string()),
        ("GOOGLE_GEMINI_BASE_URL", base.to_string()),
    ]
}

/// Is this an address only this machine can reach?
pub fn is_loopback(addr: &SocketAddr) -> bool {
    crate::listen::is_loopback(addr)
}

/// Binds `config.listen` and serves on the current tokio runtime. A non-loopback address
/// is refused unless `allow_remote` is set.
pub async fn spawn(
    config: ProxyConfig,
    events: mpsc::Sender<Event>,
) -> Result<ProxyHandle, AppError> {
    if !is_loopback(&config.listen) && !config.allow_remote {
        return Err(AppError::Usage(format!(
            "refusing to listen on {}: it is not a loopback address and the proxy forwards your API keys; pass --allow-remote if you mean it",
            config.listen
        )));
    }
    let fleet = match (&config.share, config.pace) {
        (Some(share), true) => Some(share::Fleet::join(share).await?),
        (Some(_), false) => {
            return Err(AppError::Usage(
                "--share paces with the fleet: it needs --pace".into(),
            ));
        }
        _ => None,
    };
    let clients = upstream::Clients::new(config.connect_timeout)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| crate::listen::bind_error(config.listen, &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Network(format!("cannot read the bound address: {e}")))?;
    let shared = Arc::new(Shared {
        targets: upstream::targets(&config.upstreams),
        config,
        clients,
        start: Instant::now(),
        events,
        next_id: AtomicU64::new(0),
        counters: Counters::default(),
        session: Mutex::new(Session::new()),
        groups: Mutex::new(group::Grouper::default()),
        pacer: Mutex::new(pace::Pacer::default()),
        held: Mutex::new(HashMap::new()),
        fleet,
    });
    if let Some(mut changes) = shared.fleet.as_ref().and_then(|f| f.changes()) {
        // Each loss and rejoin of the fleet's ledger is recorded, as an event of no exchange.
        let weak = Arc::downgrade(&shared);
        tokio::spawn(async move {
            while let Some((joined, detail)) = changes.recv().await {
                let Some(shared) = weak.upgrade() else { return };
                shared.emit(0, EventKind::Ledger { joined, detail });
            }
        });
    }
    if let Some(fleet) = shared.fleet.clone() {
        tokio::spawn(report_fleet(fleet, Arc::downgrade(&shared)));
    }
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(serve(listener, Arc::clone(&shared), stopped));
    Ok(ProxyHandle {
        addr,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

/// How often at most the fleet's view is recorded when only its counts move.
const FLEET_EVERY: Duration = Duration::from_secs(5);

/// Records the fleet as this member sees it (an event of no exchange): when its members or
/// its 429s change, else at most every [`FLEET_EVERY`]. Ends with the proxy.
async fn report_fleet(fleet: Arc<share::Fleet>, shared: std::sync::Weak<Shared>) {
    let mut last: Option<crate::event::FleetSeen> = None;
    let mut last_at = Instant::now();
    let mut tick = tokio::time::interval(share::BEAT);
    loop {
        tick.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let v = fleet.view();
        if !v.joined || v.members_alive == 0 {
            continue;
        }
        let seen = crate::event::FleetSeen {
            members: v.members_alive,
            in_flight: v.in_flight,
            rate_limited: v.rate_limited,
            admitted_here: v.admitted_here,
            admitted_total: v.admitted_total,
        };
        let changed =
            last.is_none_or(|l| l.members != seen.members || l.rate_limited != seen.rate_limited);
        let moved = last != Some(seen) && last_at.elapsed() >= FLEET_EVERY;
        if changed || moved {
            shared.emit(0, EventKind::Fleet(seen));
            last = Some(seen);
            last_at = Instant::now();
        }
    }
}

/// Serves on `listener` until `stop` changes (the accept loop of [`crate::serve`]), and
/// closes idle upstream connections on a timer meanwhile, not only when a request comes.
async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let limits = crate::serve::Limits {
        header_read_timeout: shared.config.header_read_timeout,
        max_connections: shared.config.max_connections,
        full_body: r#"{"error":{"message":"ratedoctor proxy: too many connections at once; try again shortly","type":"proxy_full","code":"too_many_connections"}}"#,
    };
    let reaper = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut reap = tokio::time::interval(upstream::REAP_EVERY);
            reap.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                reap.tick().await;
                for (_, t) in &shared.targets {
                    t.reap();
                }
            }
        })
    };
    let svc = {
        let shared = Arc::clone(&shared);
        service_fn(move |req| forward::handle(Arc::clone(&shared), req))
    };
    let counted = Arc::clone(&shared);
    crate::serve::serve(
        listener,
        limits,
        svc,
        move || {
            counted.counters.connections.fetch_add(1, Ordering::Relaxed);
        },
        async move {
            let _ = stop.changed().await;
        },
    )
    .await;
    reaper.abort();
}

#[cfg(test)]
mod tests {
    use super::retry_wait;

    #[test]
    fn a_hint_of_zero_or_none_backs_off_and_a_tiny_one_is_floored() {
        assert_eq!(retry_wait(Some(0.0), 0), 0.25);
        assert_eq!(retry_wait(None, 1), 0.5);
        assert_eq!(retry_wait(Some(0.0), 2), 1.0);
        assert_eq!(retry_wait(None, 30), 8.0, "at most 8 s");
        assert_eq!(retry_wait(Some(0.001), 0), 0.05, "never below 50 ms");
        assert_eq!(retry_wait(Some(5.3), 4), 5.3, "a real hint as given");
        assert_eq!(retry_wait(Some(f64::NAN), 0), 0.25);
    }
}
