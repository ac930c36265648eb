//! `simulate` throughput: one million requests through the limiter and a retry policy.
//! Prints the rate; the target is 1,000,000 requests in under 1 s (release).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratedoctor::backoff::Policy;
use ratedoctor::simulate::{SimOptions, parse_limits, parse_workload, simulate};
use std::hint::black_box;
use std::time::Instant;

const N: u64 = 1_000_000;

fn cases() -> Vec<(&'static str, &'static str, &'static str, Policy)> {
    vec![
        (
            "openai-sdk, 64 workers, rpm+tpm bound",
            "rpm=10000,tpm=2000000",
            "requests=1000000,input=150,max_tokens=200,concurrency=64,latency=800",
            Policy::openai_sdk(),
        ),
        (
            "ratedoctor, 1024 workers, rpm bound (many 429s)",
            "rpm=30000",
            "requests=1000000,input=100,max_tokens=100,concurrency=1024,latency=500",
            Policy::ratedoctor(),
        ),
        (
            "tenacity-seed, 512 workers, tpm bound (429s and give-ups)",
            "rpm=100000,tpm=5000000",
            "requests=1000000,input=200,max_tokens=250,concurrency=512,latency=1000",
            Policy::tenacity_seed(),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N));
    for (name, limits, workload, policy) in cases() {
        let limits = parse_limits(limits).unwrap_or_default();
        let Ok(w) = parse_workload(workload).and_then(|s| s.synthetic()) else {
            continue;
        };
        // One timed run with its figures, then criterion's measurement.
        let t = Instant::now();
        let run = simulate(&limits, &w, &policy, &SimOptions::default());
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{name}: {N} requests, {} calls, {} 429s simulated in {secs:.3} s = {:.2} M requests/s",
            run.stats.outcome.calls,
            run.stats.outcome.rate_limited,
            N as f64 / secs / 1e6
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                simulate(
                    black_box(&limits),
                    black_box(&w),
                    &policy,
                    &SimOptions::default(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
