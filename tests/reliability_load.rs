//! Issue #8, reliability "Load": many requests at once through `ratedoctor watch` (the real
//! binary, so its memory and descriptors are its own) to the emulator, every answer checked
//! byte for byte against what the emulator answers for the same request directly: none
//! lost, none mixed up, none altered; then many SSE streams open at once, each byte-exact.
//! Issue #15: the same through `watch --pace --retry 5` to an emulator whose per-minute
//! request limit is below the run, so the proxy has to hold requests, and which answers 2%
//! of its calls 503 "overloaded" at random, so the proxy has to retry (well-paced
//! requests meet no 429 to retry).
//!
//! Size: 5,000 requests at concurrency 64 and 100 streams in `cargo test` (2,000 requests
//! against 1,800 RPM when paced); `RATEDOCTOR_RELIABILITY_FULL=1` (`bench/reliability.sh`)
//! runs 100,000 at 256 and 1,000 streams (against 50,000 RPM when paced);
//! `RATEDOCTOR_RELIABILITY_N`, `_C`, `_S` and `_RPM` set each. The figures (time, req/s,
//! the proxy's RSS and open sockets before, at the peak and after, and when paced the 429s
//! the proxy retried) go to stderr (`-- --nocapture` shows them); nothing is timed in an
//! assertion.
//!
//! How an answer is checked: request `i` names its own model, `load-r0000042`, which the
//! emulator echoes in its answer (in every chunk of a stream). All requests have the same
//! size, so the emulator draws the same id, text and `x-request-id` for its k-th call
//! whatever the call is, and whether it admits or refuses it (a 429 draws them too): two
//! emulators with the same seed and the same overload rate, A called directly and B behind
//! the proxy, produce the same answers for their k-th calls, and are overloaded on the
//! same calls. B is called first, through the proxy; then A is called directly as many
//! times as B was (when paced that includes the 503s and 429s the proxy retried, which A
//! answers too and the reference leaves out; unpaced it must be exactly one call per
//! request). A proxied answer must be a
//! complete 200 naming its own model, and equal A's answer with the same id byte for byte
//! once the model and the wall-clock `created` second are masked, with the same
//! `x-request-id`; and no id may come twice. The id in an answer says which call it was.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod proxy_common;

use common::*;
use proxy_common::*;
use ratedoctor::emulator::{MockConfig, MockHandle};
use ratedoctor::limiter::Limits;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Size {
    requests: usize,
    concurrency: usize,
    streams: usize,
}

/// How `watch` runs: as it is, or with `--pace --retry 5` in front of an emulator that
/// admits `rpm` requests a minute (its bucket starts full and refills at `rpm`/60 a second).
#[derive(Clone, Copy)]
enum Mode {
    Plain,
    Paced { rpm: u64 },
}

/// The `--retry` of the paced run.
const RETRY: &str = "5";
/// The share of calls the emulator answers 503 "overloaded" in the paced run: about 2,000
/// retries in 100,000 requests; six in a row (a request lost after 5 retries) has odds
/// of 0.02^6, under 1 in 10^10.
const OVERLOAD: f64 = 0.02;

fn full() -> bool {
    std::env::var("RATEDOCTOR_RELIABILITY_FULL").is_ok_and(|v| v == "1")
}

fn env_or(name: &str, small: usize, big: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full() { big } else { small })
}

fn size(paced: bool) -> Size {
    Size {
        requests: env_or(
            "RATEDOCTOR_RELIABILITY_N",
            if paced { 2_000 } else { 5_000 },
            100_000,
        ),
        concurrency: env_or("RATEDOCTOR_RELIABILITY_C", 64, 256),
        streams: env_or("RATEDOCTOR_RELIABILITY_S", 100, 1_000),
    }
}

/// Without a limit: far above what the run spends, so every call is admitted (and the
/// answers still carry rate-limit headers for the proxy to read).
fn emulator(chunk_delay: Duration, rpm: Option<u64>, overload: f64) -> MockConfig {
    let big = Some(1_000_000_000_000);
    MockConfig {
        limits: Limits {
            rpm: rpm.or(big),
            tpm: big,
            ..Limits::default()
        },
        chunk_delay,
        overload,
        seed: 8,
        ..MockConfig::default()
    }
}

/// Calls the emulator has answered (429s included).
fn calls(emu: &MockHandle) -> usize {
    emu.state()["requests"].as_u64().unwrap_or(0) as usize
}

/// Calls the emulator refused with a 429, and answered 503 "overloaded".
fn refused(emu: &MockHandle) -> (usize, usize) {
    let s = emu.state();
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0) as usize;
    (n(&s["rate_limited_total"]), n(&s["overloaded"]))
}

/// The model that names request `i`; every marker has the same length.
fn marker(kind: char, i: usize) -> String {
    format!("load-{kind}{i:07}")
}

fn body(model: &str, stream: bool) -> Vec<u8> {
    let mut b = json!({"model": model, "max_tokens": 64,
        "messages": [{"role": "user", "content": "reliability load check"}]});
    if stream {
        b["stream"] = json!(true);
        b["stream_options"] = json!({"include_usage": true});
    }
    serde_json::to_vec(&b).unwrap()
}

/// The digits after every `"created":` replaced by `0` (the emulator's wall-clock second).
fn mask_created(text: &str) -> String {
    const KEY: &str = "\"created\":";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        out.push_str(&rest[..at + KEY.len()]);
        rest = rest[at + KEY.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('0');
    }
    out.push_str(rest);
    out
}

/// One answer as the checks see it.
struct Answer {
    id: String,
    hash: u64,
    request_id: String,
}

enum Fault {
    /// No complete 200: a transport error, another status, a cut body.
    Lost(String),
    /// The emulator's 503 "overloaded" (a lost answer, when it reaches a client).
    Overloaded,
    /// A complete 200 that answers another request.
    Mixed(String),
}

/// Sends request `model`, reads the whole answer and reduces it to an [`Answer`].
async fn fetch(
    c: &reqwest::Client,
    base: &str,
    model: &str,
    stream: bool,
) -> Result<Answer, Fault> {
    let lost = |e: String| Fault::Lost(format!("{model}: {e}"));
    let r = c
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body(model, stream))
        .send()
        .await
        .map_err(|e| lost(format!("send: {e}")))?;
    let status = r.status().as_u16();
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = r.bytes().await.map_err(|e| lost(format!("body: {e}")))?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| lost(format!("utf-8: {e}")))?;
    if status == 503 && text.contains("overloaded") {
        return Err(Fault::Overloaded);
    }
    if status != 200 {
        return Err(lost(format!("status {status}: {text}")));
    }
    // Every `"model":` in the answer (one per chunk of a stream) names this request.
    let named = text.matches("\"model\":").count();
    let own = text.matches(&format!("\"model\":\"{model}\"")).count();
    if named == 0 || own != named {
        return Err(Fault::Mixed(format!("{model} got: {text}")));
    }
    let id = text
        .split("\"id\":\"chatcmpl-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| lost(format!("no id in {text}")))?
        .to_string();
    let canonical = mask_created(&text.replace(model, "MODEL"));
    Ok(Answer {
        id,
        hash: hash(canonical.as_bytes()),
        request_id,
    })
}

/// Runs `job(i)` for every `i < n`, at most `concurrency` at once; the results in order.
async fn drive<T, F, Fut>(n: usize, concurrency: usize, job: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let mut workers = Vec::new();
    for _ in 0..concurrency.min(n).max(1) {
        let (next, job) = (Arc::clone(&next), Arc::clone(&job));
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break done;
                }
                done.push((i, job(i).await));
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Requests `kind`0..`n` to `base`, `concurrency` at a time: their answers, and how long
/// they took in all.
async fn fetch_all(
    c: &reqwest::Client,
    base: &str,
    kind: char,
    n: usize,
    concurrency: usize,
    stream: bool,
) -> (Vec<Result<Answer, Fault>>, Duration) {
    let (c, base) = (c.clone(), base.to_string());
    let t0 = Instant::now();
    let answers = drive(n, concurrency, move |i| {
        let (c, base) = (c.clone(), base.clone());
        async move { fetch(&c, &base, &marker(kind, i), stream).await }
    })
    .await;
    (answers, t0.elapsed())
}

/// The reference: `n` requests straight to `emu`; answer id → (hash, x-request-id). Its
/// 503s "overloaded" are left out: B's were retried.
async fn direct(
    emu: &MockHandle,
    kind: char,
    n: usize,
    concurrency: usize,
    stream: bool,
) -> (HashMap<String, (u64, String)>, Duration) {
    let (answers, took) = fetch_all(&client(), &emu.base_url(), kind, n, concurrency, stream).await;
    let mut map = HashMap::new();
    for a in answers {
        match a {
            Ok(a) => assert!(
                map.insert(a.id.clone(), (a.hash, a.request_id)).is_none(),
                "the emulator drew id {} twice",
                a.id
            ),
            Err(Fault::Overloaded) => {}
            Err(Fault::Lost(e) | Fault::Mixed(e)) => panic!("direct to the emulator: {e}"),
        }
    }
    (map, took)
}

/// What came back through the proxy, checked against the reference.
#[derive(Default)]
struct Tally {
    ok: usize,
    lost: Vec<String>,
    mixed: Vec<String>,
    differ: Vec<String>,
}

impl Tally {
    fn check(
        answers: Vec<Result<Answer, Fault>>,
        reference: &HashMap<String, (u64, String)>,
    ) -> Tally {
        let mut t = Tally::default();
        let mut seen = HashSet::new();
        for a in answers {
            match a {
                Err(Fault::Lost(e)) => t.lost.push(e),
                Err(Fault::Overloaded) => t.lost.push("a 503 overloaded".into()),
                Err(Fault::Mixed(e)) => t.mixed.push(e),
                Ok(a) => match reference.get(&a.id) {
                    _ if !seen.insert(a.id.clone()) => {
                        t.differ.push(format!("answer {} came twice", a.id));
                    }
                    None => t
                        .differ
                        .push(format!("answer {} is not one the emulator makes", a.id)),
                    Some((h, rid)) if *h != a.hash || *rid != a.request_id => t
                        .differ
                        .push(format!("answer {} differs from the direct one", a.id)),
                    Some(_) => t.ok += 1,
                },
            }
        }
        t
    }

    fn assert_clean(&self, what: &str, n: usize) {
        let show = |v: &[String]| v.iter().take(3).cloned().collect::<Vec<_>>();
        assert!(
            self.ok == n && self.lost.is_empty() && self.mixed.is_empty() && self.differ.is_empty(),
            "{what}: {} of {n} exact; {} lost {:?}; {} mixed up {:?}; {} altered {:?}",
            self.ok,
            self.lost.len(),
            show(&self.lost),
            self.mixed.len(),
            show(&self.mixed),
            self.differ.len(),
            show(&self.differ),
        );
    }
}

/// Samples the proxy's open sockets (and, for streams, the upstream's calls in flight)
/// until stopped; the highest values seen.
struct Sampler {
    stop: Arc<AtomicBool>,
    sockets: Arc<AtomicUsize>,
    in_flight: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32, emu: Option<Arc<MockHandle>>) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let sockets = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicU64::new(0));
        let (s, k, f) = (
            Arc::clone(&stop),
            Arc::clone(&sockets),
            Arc::clone(&in_flight),
        );
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                k.fetch_max(proc_fds(pid).1, Ordering::Relaxed);
                if let Some(emu) = &emu {
                    let n = emu.state()["in_flight"].as_u64().unwrap_or(0);
                    f.fetch_max(n, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Sampler {
            stop,
            sockets,
            in_flight,
            task,
        }
    }

    async fn finish(self) -> (usize, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        (
            self.sockets.load(Ordering::Relaxed),
            self.in_flight.load(Ordering::Relaxed),
        )
    }
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_arrives_whole_and_to_its_own_request() {
    run(Mode::Plain).await;
}

/// Issue #15: the same through `watch --pace --retry 5` to an emulator that admits fewer
/// requests a minute than the run sends, so the proxy has to hold requests and retry the
/// 429s that still come; the clients must see none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_and_retried_every_answer_arrives_whole_and_to_its_own_request() {
    let n = size(true).requests;
    let rpm = env_or("RATEDOCTOR_RELIABILITY_RPM", n * 9 / 10, n / 2) as u64;
    run(Mode::Paced { rpm }).await;
}

/// One batch through the proxy (`count` requests, `concurrency` at once), then its
/// reference: A called directly as many times as B was meanwhile. The proxied answers,
/// the reference, B's calls and B's 429s in that time, and how long the proxied run took.
struct Batch {
    tally: Tally,
    calls: usize,
    /// 429s.
    refused: usize,
    /// 503s "overloaded".
    overloaded: usize,
    took: Duration,
    direct_took: Duration,
}

#[allow(clippy::too_many_arguments)]
async fn batch(
    a: &MockHandle,
    b: &MockHandle,
    proxy: &str,
    client: &reqwest::Client,
    kind: char,
    count: usize,
    concurrency: usize,
    stream: bool,
) -> Batch {
    let (calls0, (refused0, overloaded0)) = (calls(b), refused(b));
    let (answers, took) = fetch_all(client, proxy, kind, count, concurrency, stream).await;
    let (calls, (refused, overloaded)) = (calls(b) - calls0, refused(b));
    let (refused, overloaded) = (refused - refused0, overloaded - overloaded0);
    let (reference, direct_took) = direct(a, kind, calls, concurrency, stream).await;
    Batch {
        tally: Tally::check(answers, &reference),
        calls,
        refused,
        overloaded,
        took,
        direct_took,
    }
}

async fn run(mode: Mode) {
    let paced = matches!(mode, Mode::Paced { .. });
    let Size {
        requests: n,
        concurrency: c,
        streams: s,
    } = size(paced);
    let rpm = match mode {
        Mode::Plain => None,
        Mode::Paced { rpm } => Some(rpm),
    };
    // At best the emulator admits the requests in (n + 1 - rpm) / (rpm / 60) s (the warm-up
    // is one); the streams come on top.
    let least_s = rpm.map_or(0.0, |r| {
        (n + 1).saturating_sub(r as usize) as f64 * 60.0 / r as f64
    });
    if let Some(r) = rpm {
        assert!(
            (n as u64) > r,
            "{n} requests against {r} RPM: nothing would have to be paced"
        );
    }
    // Generous: a loaded 2-core machine running a debug build.
    let limit = 120 + (n as u64 / 100) + (s as u64 / 5) + 3 * least_s as u64;
    within(limit, async {
        // Chunks 100 ms apart keep the streams open together (plain answers are immediate).
        let overload = if paced { OVERLOAD } else { 0.0 };
        let a = start_with(emulator(Duration::from_millis(100), None, overload)).await;
        let b = Arc::new(start_with(emulator(Duration::from_millis(100), rpm, overload)).await);
        let upstream = b.base_url();
        let mut args = vec!["--upstream", upstream.as_str()];
        if paced {
            args.extend(["--pace", "--retry", RETRY]);
        }
        let proxy = Child::watch(&args, false).await;
        let how = if paced {
            format!("watch --pace --retry {RETRY} (upstream {} RPM)", rpm.unwrap_or(0))
        } else {
            "watch".to_string()
        };
        // A request held by --pace waits at most 120 s, and retries add theirs: the client
        // gives up later than that, so that a held request is never counted lost by it.
        let cl = if paced {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .expect("client")
        } else {
            client()
        };
        // One call each way first (A and B must see as many calls), so the proxy's lazy
        // set-up is in the baseline.
        let warm = client();
        for base in [a.base_url(), proxy.url.clone()] {
            match fetch(&warm, &base, &marker('w', 0), false).await {
                Ok(_) => {}
                Err(Fault::Lost(e) | Fault::Mixed(e)) => panic!("warm-up: {e}"),
                Err(Fault::Overloaded) => panic!("warm-up: overloaded (choose another seed)"),
            }
        }
        drop(warm);
        assert_eq!(calls(&a), calls(&b), "the warm-up was retried");
        assert!(eventually(20, || proxy.sockets() <= 2).await, "{}", proxy.sockets());
        let (rss0, _) = proxy.rss_kb();
        let (fds0, sockets0) = proc_fds(proxy.pid);

        // Plain requests through the proxy, then the reference.
        let sampler = Sampler::start(proxy.pid, None);
        let r = batch(&a, &b, &proxy.url, &cl, 'r', n, c, false).await;
        let (peak_sockets, _) = sampler.finish().await;
        let (rss_load, _) = proxy.rss_kb();
        r.tally.assert_clean("plain requests", n);
        // One call per request, and one more per answer the proxy retried.
        assert_eq!(
            r.calls,
            n + r.refused + r.overloaded,
            "{n} requests, {} 429s and {} 503s retried",
            r.refused,
            r.overloaded
        );
        if paced {
            assert!(r.overloaded > 0, "nothing was retried: no overload drawn");
            eprintln!(
                "reliability load: {n} requests at concurrency {c} through {how}: {:.2} s ({:.0} req/s; the limit admits them in {least_s:.2} s at best); {} calls upstream: {} 503s overloaded and {} 429s, all retried by the proxy, none seen by the clients; all {n} complete 200s to their own request, byte-exact against the direct twin (its {} calls in {:.2} s), no id twice, 0 lost, 0 mixed up",
                r.took.as_secs_f64(),
                rate(n, r.took),
                r.calls,
                r.overloaded,
                r.refused,
                r.calls,
                r.direct_took.as_secs_f64(),
            );
        } else {
            eprintln!(
                "reliability load: {n} requests at concurrency {c}: direct {:.2} s ({:.0} req/s), through watch {:.2} s ({:.0} req/s); all {n} byte-exact, 0 lost, 0 mixed up",
                r.direct_took.as_secs_f64(),
                rate(n, r.direct_took),
                r.took.as_secs_f64(),
                rate(n, r.took),
            );
        }
        drop(r);

        // SSE streams, all opened at once.
        let sampler = Sampler::start(proxy.pid, Some(Arc::clone(&b)));
        let r = batch(&a, &b, &proxy.url, &cl, 's', s, s, true).await;
        let (stream_sockets, in_flight) = sampler.finish().await;
        r.tally.assert_clean("SSE streams", s);
        assert_eq!(
            r.calls,
            s + r.refused + r.overloaded,
            "{s} streams, {} 429s and {} 503s retried",
            r.refused,
            r.overloaded
        );
        eprintln!(
            "reliability load: {s} SSE streams opened at once: direct {:.2} s, through {how} {:.2} s; {} calls upstream ({} 503s overloaded and {} 429s retried); at most {in_flight} in flight upstream together, {stream_sockets} proxy sockets at the peak; all {s} byte-exact",
            r.direct_took.as_secs_f64(),
            r.took.as_secs_f64(),
            r.calls,
            r.overloaded,
            r.refused,
        );

        // Back to rest: with the clients gone and the upstream closed, the proxy holds no
        // socket but its listener.
        drop(cl);
        a.shutdown().await;
        let b = Arc::try_unwrap(b).expect("the sampler let go of B");
        b.shutdown().await;
        let rested = eventually(30, || proxy.sockets() <= 1 && proxy.fds() < fds0).await;
        let (rss1, hwm) = proxy.rss_kb();
        let (fds1, sockets1) = proc_fds(proxy.pid);
        eprintln!(
            "reliability load: {how}: proxy RSS {:.1} MB before, {:.1} MB after {n} requests, {:.1} MB at rest after the streams, {:.1} MB peak; TCP sockets {sockets0} before, {peak_sockets} at the peak of the requests, {sockets1} at rest; descriptors {fds0} before, {fds1} at rest",
            mb(rss0),
            mb(rss_load),
            mb(rss1),
            mb(hwm),
        );
        assert!(
            rested,
            "the proxy still holds {sockets1} TCP sockets and {fds1} descriptors"
        );
    })
    .await;
}

#[test]
fn created_is_masked_and_nothing_else() {
    assert_eq!(
        mask_created(r#"{"created":1735689600,"id":"x","n":{"created":7}}"#),
        r#"{"created":0,"id":"x","n":{"created":0}}"#
    );
    assert_eq!(mask_created("no field"), "no field");
}
