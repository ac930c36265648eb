//! Limits and workloads (core layer): the `--limits` and `--workload` strings, the OpenAI
//! batch JSONL file (given as text), and what each request costs — charged exactly as the
//! emulator charges an OpenAI chat call (`emulator/call.rs`): 1 request to RPM and RPD,
//! `max(max_tokens, input estimate)` to TPM and TPD, input + output billed to the quota,
//! input estimated as characters / 4 rounded up (at least 1).

use crate::limiter::{Cost, Dim, Limits};
use serde::Serialize;
use serde_json::Value;

/// One request's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RequestSize {
    /// Estimated input tokens.
    pub input: u64,
    /// `max_tokens` / `max_completion_tokens`, if the request sets one.
    pub max_tokens: Option<u64>,
}

impl RequestSize {
    /// What the per-minute and per-day token limits are charged (the emulator's OpenAI
    /// rule): `max(input, max_tokens)`.
    pub fn tpm_charge(&self) -> u64 {
        self.input.max(self.max_tokens.unwrap_or(0))
    }

    /// With `max_tokens` lowered to at most `cap`.
    pub fn capped(self, cap: Option<u64>) -> RequestSize {
        match (cap, self.max_tokens) {
            (Some(c), Some(m)) => RequestSize {
                max_tokens: Some(m.min(c)),
                ..self
            },
            _ => self,
        }
    }

    /// The limiter cost, given the output tokens the answer will have.
    pub fn cost(&self, output_tokens: u64) -> Cost {
        let t = self.tpm_charge();
        Cost::default()
            .with(Dim::Rpm, 1)
            .with(Dim::Rpd, 1)
            .with(Dim::Tpm, t)
            .with(Dim::Tpd, t)
            .billed(self.input + output_tokens)
            .on_refusal(1)
    }

    /// Output tokens for a drawn natural length (the emulator draws 8–24), cut at
    /// `max_tokens`.
    pub fn output_tokens(&self, natural: u64) -> u64 {
        match self.max_tokens {
            Some(m) => natural.min(m.max(1)),
            None => natural,
        }
    }
}

/// The requests of a workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Requests {
    /// `n` identical requests.
    Uniform { n: u64, size: RequestSize },
    /// One size per request, in order (a JSONL file).
    List { sizes: Vec<RequestSize> },
}

impl Requests {
    pub fn len(&self) -> u64 {
        match self {
            Requests::Uniform { n, .. } => *n,
            Requests::List { sizes } => sizes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of request `i`.
    pub fn size(&self, i: u64) -> RequestSize {
        match self {
            Requests::Uniform { size, .. } => *size,
            Requests::List { sizes } => sizes.get(i as usize).copied().unwrap_or(RequestSize {
                input: 1,
                max_tokens: None,
            }),
        }
    }

    /// The first `n` requests.
    pub fn prefix(&self, n: u64) -> Requests {
        match self {
            Requests::Uniform { n: all, size } => Requests::Uniform {
                n: n.min(*all),
                size: *size,
            },
            Requests::List { sizes } => Requests::List {
                sizes: sizes.iter().take(n as usize).copied().collect(),
            },
        }
    }

    /// The largest `max_tokens` of any request.
    pub fn max_max_tokens(&self) -> Option<u64> {
        match self {
            Requests::Uniform { size, .. } => size.max_tokens,
            Requests::List { sizes } => sizes.iter().filter_map(|s| s.max_tokens).max(),
        }
    }
}

/// A workload: requests, how many workers send them, and how long a success takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub requests: Requests,
    /// Workers, each with one request in flight at a time (a semaphore of this size).
    pub concurrency: u32,
    /// Seconds from sending to a 200 (a 429 comes back at once).
    pub latency_s: f64,
    /// `max_tokens` lowered to at most this (the recommendation's lever).
    pub max_tokens_cap: Option<u64>,
}

impl Workload {
    /// Request `i` as sent (after the cap).
    pub fn size(&self, i: u64) -> RequestSize {
        self.requests.size(i).capped(self.max_tokens_cap)
    }
}

/// The keys of `--workload`, each optional until combined with defaults or a file.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkloadSpec {
    pub requests: Option<u64>,
    pub input: Option<u64>,
    pub max_tokens: Option<u64>,
    pub concurrency: Option<u32>,
    pub latency_ms: Option<f64>,
}

/// Default `input` tokens of a synthetic request.
pub const DEFAULT_INPUT: u64 = 500;
/// Default `max_tokens` of a synthetic request.
pub const DEFAULT_MAX_TOKENS: u64 = 500;
/// Default latency of a successful call, in milliseconds.
pub const DEFAULT_LATENCY_MS: f64 = 1000.0;
/// Most workers a workload may have.
pub const MAX_CONCURRENCY: u32 = 100_000;
/// Most requests a workload may have.
pub const MAX_REQUESTS: u64 = 100_000_000;

impl WorkloadSpec {
    /// The synthetic workload these keys describe (`requests` is required).
    pub fn synthetic(&self) -> Result<Workload, String> {
        let n = self
            .requests
            .ok_or("--workload needs requests=N (or give --workload-file)")?;
        Ok(Workload {
            requests: Requests::Uniform {
                n,
                size: RequestSize {
                    input: self.input.unwrap_or(DEFAULT_INPUT).max(1),
                    max_tokens: Some(self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
                },
            },
            concurrency: self.concurrency.unwrap_or(1),
            latency_s: self.latency_ms.unwrap_or(DEFAULT_LATENCY_MS) / 1000.0,
            max_tokens_cap: None,
        })
    }

    /// The workload of a file's requests, with these keys' concurrency and latency;
    /// `max_tokens=M` caps every request, `requests=N` keeps the first N.
    pub fn with_file(&self, mut sizes: Vec<RequestSize>) -> Workload {
        if let Some(n) = self.requests {
            sizes.truncate(n as usize);
        }
        Workload {
            requests: Requests::List { sizes },
            concurrency: self.concurrency.unwrap_or(1),
            latency_s: self.latency_ms.unwrap_or(DEFAULT_LATENCY_MS) / 1000.0,
            max_tokens_cap: self.max_tokens,
        }
    }
}

/// A whole number with an optional `k`/`m` suffix and `_` separators: `30k`, `1_000_000`.
pub fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim().replace('_', "").to_ascii_lowercase();
    let (num, mult) = if let Some(n) = s.strip_suffix('k') {
        (n.to_string(), 1_000u64)
    } else if let Some(n) = s.strip_suffix('m') {
        (n.to_string(), 1_000_000)
    } else {
        (s, 1)
    };
    if let Ok(n) = num.parse::<u64>() {
        return n.checked_mul(mult);
    }
    let f = num.parse::<f64>().ok()?;
    let v = f * mult as f64;
    (f.is_finite() && f >= 0.0 && v.fract() == 0.0 && v < 1e18).then_some(v as u64)
}

fn pairs(s: &str) -> impl Iterator<Item = Result<(String, &str), String>> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_ascii_lowercase().replace('-', "_"), v.trim()))
                .ok_or_else(|| format!("`{p}` should be key=value"))
        })
}

/// Parses `--limits rpm=R,tpm=T[,rpd=..,tpd=..,concurrency=..,quota=..]`.
pub fn parse_limits(s: &str) -> Result<Limits, String> {
    let mut l = Limits::default();
    for kv in pairs(s) {
        let (k, v) = kv.map_err(|e| format!("--limits: {e}"))?;
        let n = match parse_count(v) {
            Some(n) if n >= 1 => n,
            _ => {
                return Err(format!(
                    "--limits: {k}={v}: expected a whole number >= 1 (30k, 1m allowed)"
                ));
            }
        };
        match k.as_str() {
            "rpm" => l.rpm = Some(n),
            "tpm" => l.tpm = Some(n),
            "rpd" => l.rpd = Some(n),
            "tpd" => l.tpd = Some(n),
            "concurrency" => l.concurrency = Some(n),
            "quota" | "quota_tokens" => l.quota_tokens = Some(n),
            _ => {
                return Err(format!(
                    "--limits: unknown limit `{k}` (known: rpm, tpm, rpd, tpd, concurrency, quota)"
                ));
            }
        }
    }
    Ok(l)
}

/// Parses `--workload requests=N,input=TOKENS,max_tokens=M,concurrency=C[,latency=MS]`.
pub fn parse_workload(s: &str) -> Result<WorkloadSpec, String> {
    let mut w = WorkloadSpec::default();
    for kv in pairs(s) {
        let (k, v) = kv.map_err(|e| format!("--workload: {e}"))?;
        let bad = |what: &str| format!("--workload: {k}={v}: {what}");
        match k.as_str() {
            "requests" | "n" => {
                w.requests = Some(
                    parse_count(v)
                        .filter(|n| (1..=MAX_REQUESTS).contains(n))
                        .ok_or_else(|| bad("expected a whole number from 1 to 100m"))?,
                );
            }
            "input" | "input_tokens" => {
                w.input = Some(
                    parse_count(v)
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad("expected a whole number >= 1"))?,
                );
            }
            "max_tokens" | "output" => {
                w.max_tokens = Some(
                    parse_count(v)
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad("expected a whole number >= 1"))?,
                );
            }
            "concurrency" | "workers" => {
                w.concurrency = Some(
                    parse_count(v)
                        .filter(|n| (1..=u64::from(MAX_CONCURRENCY)).contains(n))
                        .map(|n| n as u32)
                        .ok_or_else(|| bad("expected a whole number from 1 to 100000"))?,
                );
            }
            "latency" | "latency_ms" => {
                let ms = v.trim_end_matches("ms").parse::<f64>().ok();
                w.latency_ms = Some(
                    ms.filter(|m| m.is_finite() && (0.0..=3_600_000.0).contains(m))
                        .ok_or_else(|| bad("expected milliseconds from 0 to 3600000"))?,
                );
            }
            _ => {
                return Err(format!(
                    "--workload: unknown key `{k}` (known: requests, input, max_tokens, concurrency, latency)"
                ));
            }
        }
    }
    Ok(w)
}

/// Reads an OpenAI batch file: one JSON object per line, either a request body
/// (`{"model":…,"messages":[…],"max_tokens":…}`) or the Batch API envelope with the body
/// under `body`. Blank lines are skipped; an error names the line.
pub fn parse_jsonl(text: &str) -> Result<Vec<RequestSize>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("workload file line {}: not JSON ({e})", i + 1))?;
        let body = v.get("body").filter(|b| b.is_object()).unwrap_or(&v);
        if !body.is_object() {
            return Err(format!(
                "workload file line {}: expected a JSON object",
                i + 1
            ));
        }
        out.push(estimate(body));
    }
    if out.is_empty() {
        return Err("workload file: no requests in it".to_string());
    }
    Ok(out)
}

/// A request body's size, estimated the way the emulator does for chat completions,
/// responses and embeddings bodies.
pub fn estimate(body: &Value) -> RequestSize {
    let uint = |k: &str| body.get(k).and_then(Value::as_u64);
    let max_tokens = uint("max_completion_tokens")
        .or_else(|| uint("max_tokens"))
        .or_else(|| uint("max_output_tokens"));
    let mut n = 0usize;
    for key in [
        "messages",
        "input",
        "system",
        "instructions",
        "systemInstruction",
    ] {
        if let Some(x) = body.get(key) {
            n += chars(x);
        }
    }
    RequestSize {
        input: (n as u64).div_ceil(4).max(1),
        max_tokens,
    }
}

fn chars(v: &Value) -> usize {
    crate::limiter::text_chars(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_workloads() {
        let l = parse_limits("rpm=60, tpm=30k,rpd=1_000,concurrency=4,quota=1m").unwrap();
        assert_eq!(l.rpm, Some(60));
        assert_eq!(l.tpm, Some(30_000));
        assert_eq!(l.rpd, Some(1000));
        assert_eq!(l.concurrency, Some(4));
        assert_eq!(l.quota_tokens, Some(1_000_000));
        assert!(parse_limits("rpm=0").is_err());
        assert!(parse_limits("rpx=3").unwrap_err().contains("unknown limit"));
        let w = parse_workload("requests=1.5k,input=100,max_tokens=50,concurrency=3,latency=250")
            .unwrap();
        assert_eq!(w.requests, Some(1500));
        assert_eq!(w.latency_ms, Some(250.0));
        let wl = w.synthetic().unwrap();
        assert_eq!(wl.size(0).tpm_charge(), 100);
        assert!(parse_workload("requests=0").is_err());
        assert!(parse_workload("latency=-3").is_err());
        assert!(parse_workload("foo").is_err());
    }

    #[test]
    fn jsonl_bodies_and_envelopes() {
        let text = r#"{"model":"m","messages":[{"role":"user","content":"abcdefghi"}],"max_tokens":100}

{"custom_id":"r2","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"abcdefgh"}]}],"max_completion_tokens":7}}"#;
        let s = parse_jsonl(text).unwrap();
        assert_eq!(
            s[0],
            RequestSize {
                input: 3,
                max_tokens: Some(100)
            }
        );
        assert_eq!(
            s[1],
            RequestSize {
                input: 2,
                max_tokens: Some(7)
            }
        );
        assert_eq!(s[0].tpm_charge(), 100);
        assert!(parse_jsonl("{nope").unwrap_err().contains("line 1"));
        assert!(parse_jsonl("\n\n").is_err());
    }
}
