//! Criterion benches for the explain engine (issue #2, "Performance").
//!
//! `cargo bench --bench explain` — groups:
//! - `diagnose`: `diagnose()` of a few sample files (a traceback, an escaped JSON log line,
//!   pretty JSON, a mixed proxy log, an ordinary log with no error);
//! - `scanner`: the streaming `Scanner` over a 16 MB log generated in memory, fed in 1 MB
//!   chunks like the CLI: ordinary lines with every 1,000th line an error from `samples/`
//!   (`mixed`), and the same without errors (`ordinary_only`);
//! - `headers`: `headers::parse` of a typical OpenAI 429 header set.
//!
//! For the end-to-end figure against ripgrep on 1 GB, see `bench/explain.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratedoctor::diagnose::{Provider, Scanner, diagnose};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
const LOG_BYTES: usize = 16 << 20;
const CHUNK: usize = 1 << 20;

fn sample(name: &str) -> String {
    std::fs::read_to_string(Path::new(SAMPLES).join(name)).expect("sample file")
}

/// Every sample except the one without errors, sorted by name.
fn error_samples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(SAMPLES)
        .expect("samples dir")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && n != "82_log_no_errors.txt")
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let mut s = sample(n);
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        })
        .collect()
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One ordinary log line (no API error), in the styles `bench/gen_log.py` uses.
fn ordinary_line(r: &mut Rng, clock_ms: u64, out: &mut String) {
    use std::fmt::Write;
    let (s, ms) = (clock_ms / 1000, clock_ms % 1000);
    let (h, m, sec) = (8 + (s / 3600) % 16, (s / 60) % 60, s % 60);
    let ts = format!("2025-10-02 {h:02}:{m:02}:{sec:02},{ms:03}");
    let paths = [
        "/api/v1/chat",
        "/api/v1/search",
        "/healthz",
        "/metrics",
        "/login",
    ];
    let path = paths[r.below(paths.len() as u64) as usize];
    let _ = match r.below(20) {
        0..=6 => writeln!(
            out,
            "{ts} INFO  app: request GET {path} completed in {}ms (user=u_{:05})",
            r.below(2400),
            r.below(90000)
        ),
        7..=9 => writeln!(
            out,
            "10.0.{}.{} - - [02/Oct/2025:{h:02}:{m:02}:{sec:02} +0000] \"GET {path} HTTP/1.1\" 200 {} \"-\" \"curl/8.5.0\" 0.{:03}",
            r.below(256),
            r.below(255),
            r.below(250_000),
            r.below(1000)
        ),
        10..=11 => writeln!(
            out,
            "{ts} INFO  httpx: HTTP Request: POST https://api.openai.com/v1/chat/completions \"HTTP/1.1 200 OK\""
        ),
        12..=15 => writeln!(
            out,
            "{{\"ts\": \"2025-10-02T{h:02}:{m:02}:{sec:02}.{ms:03}Z\", \"level\": \"info\", \"service\": \"gateway\", \"msg\": \"request completed\", \"path\": \"{path}\", \"status\": 200, \"duration_ms\": {}, \"trace_id\": \"{:016x}{:016x}\"}}",
            r.below(2400),
            r.next(),
            r.next()
        ),
        16 => writeln!(
            out,
            "{ts} DEBUG db: SELECT id FROM documents WHERE owner_id = {} LIMIT 50 OFFSET {} ({}.{} ms)",
            r.below(99999),
            r.below(5000),
            r.below(40),
            r.below(10)
        ),
        17 => writeln!(
            out,
            "{ts} INFO  scheduler: job {:08x} scheduled with retry policy exponential(max_retries=3, base=2s)",
            r.next() as u32
        ),
        18 => writeln!(
            out,
            "{ts} DEBUG db: pool: size={} idle={} timeout=30s",
            r.below(50),
            r.below(20)
        ),
        _ => writeln!(
            out,
            "{ts} INFO  metrics: rpm={} tpm={} errors=0 p95={}ms",
            r.below(400),
            r.below(90000),
            r.below(3000)
        ),
    };
}

/// About `bytes` of log; with `errors`, every 1,000th line is a sample error block.
fn generate_log(bytes: usize, errors: &[String]) -> String {
    let mut r = Rng(0x429_429_429);
    let mut out = String::with_capacity(bytes + 64 * 1024);
    let (mut line, mut clock, mut next_err) = (0u64, 0u64, 0usize);
    while out.len() < bytes {
        line += 1;
        clock += r.below(60);
        if !errors.is_empty() && line % 1000 == 0 {
            out.push_str(&errors[next_err % errors.len()]);
            next_err += 1;
        } else {
            ordinary_line(&mut r, clock, &mut out);
        }
    }
    out
}

fn scan(text: &[u8]) -> usize {
    let mut scanner = Scanner::new();
    for chunk in text.chunks(CHUNK) {
        scanner.feed(chunk);
    }
    scanner.finish().len()
}

fn bench_diagnose(c: &mut Criterion) {
    let mut g = c.benchmark_group("diagnose");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for name in [
        "01_openai_tpm_python_traceback.txt",
        "07_openai_quota_jsonlog_escaped_once.txt",
        "39_gemini_input_tpm_pretty_json.txt",
        "83_log_litellm_proxy_mixed.txt",
        "82_log_no_errors.txt",
    ] {
        let text = sample(name);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name.trim_end_matches(".txt"), |b| {
            b.iter(|| diagnose(black_box(&text)))
        });
    }
    g.finish();
}

fn bench_scanner(c: &mut Criterion) {
    let errors = error_samples();
    let mixed = generate_log(LOG_BYTES, &errors);
    let ordinary = generate_log(LOG_BYTES, &[]);
    // Sanity: the mixed log holds errors; the ordinary one should hold none (reported, not
    // asserted: this is a benchmark, the tests judge accuracy).
    assert!(scan(mixed.as_bytes()) > 0);
    for d in diagnose(&ordinary) {
        eprintln!(
            "note: an ordinary line was diagnosed as {} {} x{}: {}",
            d.provider.id(),
            d.kind.id(),
            d.occurrences,
            d.message.as_deref().unwrap_or(&d.title)
        );
    }

    let mut g = c.benchmark_group("scanner");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    for (name, text) in [("mixed_16MB", &mixed), ("ordinary_only_16MB", &ordinary)] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| b.iter(|| scan(black_box(text.as_bytes()))));
    }
    g.finish();
}

fn bench_headers(c: &mut Criterion) {
    let headers: &[(&str, &str)] = &[
        ("date", "Thu, 02 Oct 2025 10:00:03 GMT"),
        ("content-type", "application/json"),
        ("openai-organization", "user-abc123"),
        ("openai-processing-ms", "12"),
        ("openai-version", "2020-10-01"),
        ("x-ratelimit-limit-requests", "500"),
        ("x-ratelimit-limit-tokens", "30000"),
        ("x-ratelimit-remaining-requests", "499"),
        ("x-ratelimit-remaining-tokens", "0"),
        ("x-ratelimit-reset-requests", "120ms"),
        ("x-ratelimit-reset-tokens", "5.322s"),
        ("retry-after", "6"),
        ("retry-after-ms", "5322"),
        ("x-request-id", "req_8f3a2c1d9e0b4a7c6d5e4f3a2b1c0d9e"),
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains; preload",
        ),
        ("cf-ray", "8c1f2e3d4a5b6c7d-FRA"),
    ];
    let bytes: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    let mut g = c.benchmark_group("headers");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse_openai", |b| {
        b.iter(|| ratedoctor::headers::parse(black_box(headers), Some(Provider::Openai), None))
    });
    g.finish();
}

criterion_group!(benches, bench_diagnose, bench_scanner, bench_headers);
criterion_main!(benches);
