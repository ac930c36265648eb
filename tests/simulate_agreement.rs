//! The simulator against the real thing: the same workload sent over HTTP to the emulator
//! by workers that follow a policy, and simulated; total time within 10 % and the number
//! of 429s within 20 % (issue #7).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{KEY, chat_body, client, openai, start, within};
use ratedoctor::backoff::{Decision, Failure, FailureKind, Policy, Rng, parse_policy};
use ratedoctor::limiter::Limits;
use ratedoctor::simulate::{RequestSize, Requests, SimOptions, Workload, simulate};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Tally {
    next: AtomicU64,
    rate_limited: AtomicU64,
    failed: AtomicU64,
    ok: AtomicU64,
    ok_latency_us: AtomicU64,
}

/// What one run of the workload did, emulated and simulated.
struct Agreement {
    real_s: f64,
    real_429: u64,
    real_failed: u64,
    sim_s: f64,
    sim_429: u64,
}

/// `n` requests of `max_tokens` each ("hello there": 3 input tokens) from `workers`
/// workers following `policy`, against the emulator and the simulator.
async fn run_both(
    limits: Limits,
    n: u64,
    workers: u32,
    max_tokens: u64,
    policy: Policy,
) -> Agreement {
    let mock = start(limits).await;
    let base = format!("http://{}", mock.addr());
    let body = Arc::new(chat_body("hello there", Some(max_tokens)));
    let tally = Arc::new(Tally::default());
    let policy = Arc::new(policy);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (base, body, tally, policy) = (
            base.clone(),
            Arc::clone(&body),
            Arc::clone(&tally),
            Arc::clone(&policy),
        );
        tasks.push(tokio::spawn(async move {
            let c = client();
            let mut rng = Rng::new(u64::from(w));
            loop {
                if tally.next.fetch_add(1, Ordering::SeqCst) >= n {
                    break;
                }
                let first = Instant::now();
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    let sent = Instant::now();
                    let a = openai(&c, &base, KEY, &body).await;
                    if a.status == 200 {
                        tally.ok.fetch_add(1, Ordering::SeqCst);
                        tally
                            .ok_latency_us
                            .fetch_add(sent.elapsed().as_micros() as u64, Ordering::SeqCst);
                        break;
                    }
                    assert_eq!(a.status, 429, "{}", a.text);
                    tally.rate_limited.fetch_add(1, Ordering::SeqCst);
                    let hint = a.header("retry-after").and_then(|h| h.parse::<f64>().ok());
                    let kind = if a.text.contains("tokens per min") {
                        FailureKind::Tpm
                    } else {
                        FailureKind::Rpm
                    };
                    let failure = Failure::new(kind).with_hint(hint);
                    let elapsed = first.elapsed().as_secs_f64();
                    match policy.decide(attempts, elapsed, &failure, &mut rng) {
                        Decision::Retry(wait) => {
                            tokio::time::sleep(Duration::from_secs_f64(wait.wait_s)).await;
                        }
                        Decision::GiveUp(_) => {
                            tally.failed.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let real_s = t0.elapsed().as_secs_f64();
    let ok = tally.ok.load(Ordering::SeqCst);
    let real_failed = tally.failed.load(Ordering::SeqCst);
    assert_eq!(ok + real_failed, n);
    let latency_s = tally.ok_latency_us.load(Ordering::SeqCst) as f64 / ok.max(1) as f64 / 1e6;

    let workload = Workload {
        requests: Requests::Uniform {
            n,
            size: RequestSize {
                input: 3,
                max_tokens: Some(max_tokens),
            },
        },
        concurrency: workers,
        latency_s,
        max_tokens_cap: None,
    };
    let sim = simulate(&limits, &workload, &policy, &SimOptions::default()).stats;
    println!(
        "emulated: {real_s:.2} s, {} 429s, {real_failed} failed; simulated: {:.2} s, {} 429s, {} failed (latency {:.2} ms)",
        tally.rate_limited.load(Ordering::SeqCst),
        sim.outcome.total_s,
        sim.outcome.rate_limited,
        sim.outcome.failed,
        latency_s * 1000.0
    );
    Agreement {
        real_s,
        real_429: tally.rate_limited.load(Ordering::SeqCst),
        real_failed,
        sim_s: sim.outcome.total_s,
        sim_429: sim.outcome.rate_limited,
    }
}

/// Total time within 10 %, 429s within 20 % plus 3 (with about 24 of them, a loaded
/// 2-core CI machine that delays a few retries past a refill moves the count by 5).
fn assert_agree(r: &Agreement) {
    assert!(
        (r.real_s - r.sim_s).abs() <= 0.10 * r.sim_s,
        "time: emulated {:.2} s vs simulated {:.2} s",
        r.real_s,
        r.sim_s
    );
    let diff = (r.real_429 as f64 - r.sim_429 as f64).abs();
    assert!(
        diff <= 0.20 * r.sim_429 as f64 + 3.0,
        "429s: emulated {} vs simulated {}",
        r.real_429,
        r.sim_429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulated_and_simulated_runs_agree() {
    within(90, async {
        let limits = Limits {
            rpm: Some(600),
            ..Limits::default()
        };
        let r = run_both(limits, 660, 4, 16, Policy::openai_sdk()).await;
        assert_agree(&r);
    })
    .await;
}

/// Tokens bind (12,000 a minute, about 103 a request) and requests nearly do: the token
/// refusals, their hints and the token refill agree end to end, not only the request
/// budget. (Both sides also charge a request for a call refused for tokens, OpenAI's
/// rule; in this job it changes nothing, since the request budget regains about as fast as
/// calls succeed. `src/limiter/tests.rs` and the simulator's tests check that rule.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_where_tokens_bind_agree() {
    within(90, async {
        let limits = Limits {
            rpm: Some(130),
            tpm: Some(12_000),
            ..Limits::default()
        };
        // Waits exactly the hint, no randomness, never gives up here: the time measures
        // the budgets alone.
        let policy = parse_policy(
            "exp:min=0.5,max=0.5,mult=0.5,jitter=none,attempts=20,honor-retry-after=true",
        )
        .unwrap();
        let r = run_both(limits, 140, 4, 100, policy).await;
        assert!(r.real_429 > 0 && r.real_failed == 0, "{}", r.real_429);
        assert_agree(&r);
    })
    .await;
}
