//! The simulator against the real thing: the same workload sent over HTTP to the emulator
//! by workers that follow a policy, and simulated; total time within 10 % and the number
//! of 429s within 20 % (issue #7).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{KEY, chat_body, client, openai, start, within};
use ratedoctor::backoff::{Decision, Failure, FailureKind, Policy, Rng};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulated_and_simulated_runs_agree() {
    within(90, async {
        let limits = Limits {
            rpm: Some(600),
            ..Limits::default()
        };
        let (n, workers) = (660u64, 4u32);
        let mock = start(limits).await;
        let base = format!("http://{}", mock.addr());
        let body = Arc::new(chat_body("hello there", Some(16)));
        let tally = Arc::new(Tally::default());
        let policy = Arc::new(Policy::openai_sdk());
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..workers {
            let (base, body, tally, policy) =
                (base.clone(), Arc::clone(&body), Arc::clone(&tally), Arc::clone(&policy));
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
                        let failure = Failure::new(FailureKind::Rpm).with_hint(hint);
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
        let real_429 = tally.rate_limited.load(Ordering::SeqCst);
        let latency_s = tally.ok_latency_us.load(Ordering::SeqCst) as f64 / ok.max(1) as f64 / 1e6;

        let workload = Workload {
            requests: Requests::Uniform {
                n,
                size: RequestSize {
                    input: 3,
                    max_tokens: Some(16),
                },
            },
            concurrency: workers,
            latency_s,
            max_tokens_cap: None,
        };
        let sim = simulate(&limits, &workload, &Policy::openai_sdk(), &SimOptions::default()).stats;
        println!(
            "emulated: {real_s:.2} s, {real_429} 429s, {} failed; simulated: {:.2} s, {} 429s, {} failed (latency {:.2} ms)",
            tally.failed.load(Ordering::SeqCst),
            sim.total_s,
            sim.rate_limited,
            sim.failed,
            latency_s * 1000.0
        );
        assert_eq!(ok + tally.failed.load(Ordering::SeqCst), n);
        assert!(
            (real_s - sim.total_s).abs() <= 0.10 * sim.total_s,
            "time: emulated {real_s:.2} s vs simulated {:.2} s",
            sim.total_s
        );
        let diff = (real_429 as f64 - sim.rate_limited as f64).abs();
        assert!(
            diff <= 0.20 * sim.rate_limited as f64,
            "429s: emulated {real_429} vs simulated {}",
            sim.rate_limited
        );
    })
    .await;
}
