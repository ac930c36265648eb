//! Shared server state: one [`Limiter`] per API key, the seeded RNG and the counters behind
//! `GET /_mock/state`. Everything sits behind one mutex held for microseconds.

use super::MockConfig;
use super::call::Call;
use super::rng::{Rng, fnv1a, mix};
use crate::limiter::{Limiter, Outcome, Reason, Refusal, Status};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Shared by every connection.
#[derive(Debug)]
pub struct Shared {
    pub config: MockConfig,
    start: Instant,
    start_wall: Timestamp,
    day_origin: f64,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    rng: Rng,
    keys: HashMap<String, KeyState>,
    counters: Counters,
}

/// The most API keys the emulator remembers: past it, the least recently used quarter is
/// forgotten (their budgets start afresh if they come back), so a stream of new keys
/// cannot grow its memory without bound.
pub(crate) const MAX_KEYS: usize = 10_000;

/// Forgets the least recently used entries of `map` until it holds `max * 3 / 4`.
fn forget_oldest<V>(map: &mut HashMap<String, V>, max: usize, last_used: impl Fn(&V) -> f64) {
    if map.len() < max {
        return;
    }
    let mut ages: Vec<(f64, String)> = map.iter().map(|(k, v)| (last_used(v), k.clone())).collect();
    ages.sort_by(|a, b| a.0.total_cmp(&b.0));
    let drop = map.len() - max * 3 / 4;
    for (_, k) in ages.into_iter().take(drop) {
        map.remove(&k);
    }
}

#[derive(Debug)]
struct KeyState {
    limiter: Limiter,
    /// Uptime of its latest call, for [`forget_oldest`].
    last_used: f64,
    label: String,
    org: String,
    org_uuid: String,
    requests: u64,
    rate_limited: u64,
}

/// Outcome counters (all keys together).
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: u64,
    pub ok: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub rate_limited: BTreeMap<&'static str, u64>,
    pub overloaded: u64,
    pub unauthorized: u64,
    pub bad_request: u64,
    pub payload_too_large: u64,
    pub not_found: u64,
    pub in_flight: u64,
    /// Uptime of the first and the latest call put to a limiter (admitted or refused).
    pub first_call_s: Option<f64>,
    pub last_call_s: Option<f64>,
}

/// What happens to an authenticated, valid call.
#[derive(Debug)]
pub enum Decision {
    /// Answered "overloaded" (drawn with probability `--overload`); nothing charged.
    Overloaded,
    Refused(Refusal),
    /// Charged; the guard frees the concurrency slot when dropped.
    Admitted(Guard),
}

/// Everything a family needs to word an answer.
#[derive(Debug)]
pub struct Admission {
    pub decision: Decision,
    /// Per-key dimensions after the charge (or unchanged, when refused).
    pub statuses: Vec<Status>,
    /// Wall-clock time of the decision.
    pub wall: Timestamp,
    /// The instant of the decision: the answer's processing time runs from here.
    pub at: Instant,
    /// OpenAI-style organization id of this key (`org-…`).
    pub org: String,
    /// Anthropic-style organization UUID of this key.
    pub org_uuid: String,
    /// 24 random alphanumerics for the response id.
    pub id: String,
    /// 24 random alphanumerics for the request id.
    pub request_id: String,
    /// Generated output, one token per word.
    pub words: Vec<&'static str>,
    /// Whether the output was cut by the caller's max tokens.
    pub truncated: bool,
}

/// Holds one admitted request's concurrency slot.
#[derive(Debug)]
pub struct Guard {
    shared: Arc<Shared>,
    key: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut inner = self.shared.lock();
        if let Some(k) = inner.keys.get_mut(&self.key) {
            k.limiter.release();
        }
        inner.counters.in_flight = inner.counters.in_flight.saturating_sub(1);
    }
}

impl Shared {
    pub fn new(config: MockConfig) -> Self {
        let start_wall = Timestamp::now();
        let since_midnight = start_wall.as_second().rem_euclid(86_400) as f64
            + f64::from(start_wall.subsec_nanosecond()) / 1e9;
        let rng = Rng::new(config.seed);
        Shared {
            config,
            start: Instant::now(),
            start_wall,
            day_origin: -since_midnight,
            inner: Mutex::new(Inner {
                rng,
                keys: HashMap::new(),
                counters: Counters::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an answer that never reached the limiter (401, 400, 404, 413).
    pub fn count(&self, f: impl FnOnce(&mut Counters)) {
        let mut inner = self.lock();
        inner.counters.requests += 1;
        f(&mut inner.counters);
    }

    fn wall(&self, now: f64) -> Timestamp {
        SignedDuration::try_from_secs_f64(now)
            .ok()
            .and_then(|d| self.start_wall.checked_add(d).ok())
            .unwrap_or(self.start_wall)
    }

    /// Draws overload, then asks `key`'s limiter about `call`.
    pub fn admit(self: &Arc<Self>, key: &str, call: &Call) -> Admission {
        let at = Instant::now();
        let now = at.saturating_duration_since(self.start).as_secs_f64();
        let wall = self.wall(now);
        let mut guard = self.lock();
        let inner = &mut *guard;
        inner.counters.requests += 1;
        inner.counters.first_call_s.get_or_insert(now);
        inner.counters.last_call_s = Some(now);
        let id = inner.rng.alnum(24);
        let request_id = inner.rng.alnum(24);
        let natural = inner.rng.range(8, 24);
        let output = call.output_tokens(natural);
        let overloaded = self.config.overload > 0.0 && inner.rng.next_f64() < self.config.overload;
        let words = if overloaded {
            Vec::new()
        } else {
            inner.rng.words(output)
        };
        let seed = self.config.seed;
        let limits = self.config.limits;
        let day_origin = self.day_origin;
        if !inner.keys.contains_key(key) {
            forget_oldest(&mut inner.keys, MAX_KEYS, |k| k.last_used);
        }
        let ks = inner.keys.entry(key.to_string()).or_insert_with(|| {
            let mut r = Rng::new(mix(seed ^ fnv1a(key)));
            KeyState {
                limiter: Limiter::new(limits, day_origin),
                last_used: now,
                label: format!("key_{}", &r.hex(8)),
                org: format!("org-{}", r.alnum(24)),
                org_uuid: r.uuid(),
                requests: 0,
                rate_limited: 0,
            }
        });
        ks.requests += 1;
        ks.last_used = now;
        let decision = if overloaded {
            Decision::Overloaded
        } else {
            match ks.limiter.admit(&call.cost(output), now) {
                Outcome::Admitted => Decision::Admitted(Guard {
                    shared: Arc::clone(self),
                    key: key.to_string(),
                }),
                Outcome::Refused(r) => Decision::Refused(r),
            }
        };
        let statuses = ks.limiter.statuses(now);
        let (org, org_uuid) = (ks.org.clone(), ks.org_uuid.clone());
        match &decision {
            Decision::Overloaded => inner.counters.overloaded += 1,
            Decision::Refused(r) => {
                ks.rate_limited += 1;
                *inner
                    .counters
                    .rate_limited
                    .entry(reason_id(r.reason))
                    .or_insert(0) += 1;
            }
            Decision::Admitted(_) => {
                let c = &mut inner.counters;
                c.ok += 1;
                c.in_flight += 1;
                c.input_tokens += call.input_tokens;
                c.output_tokens += output;
            }
        }
        let truncated = call.max_tokens.is_some_and(|m| natural > m.max(1));
        Admission {
            decision,
            statuses,
            wall,
            at,
            org,
            org_uuid,
            id,
            request_id,
            words,
            truncated,
        }
    }

    /// The JSON of `GET /_mock/state`. Keys appear only as a hashed label.
    pub fn state_json(&self) -> Value {
        let now = self.start.elapsed().as_secs_f64();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let mut keys: Vec<Value> = inner
            .keys
            .values_mut()
            .map(|k| {
                let buckets: Vec<Value> = k
                    .limiter
                    .statuses(now)
                    .iter()
                    .map(|s| {
                        json!({"dim": s.dim.id(), "limit": s.limit, "remaining": s.remaining,
                               "reset_s": (s.reset_s * 1000.0).ceil() / 1000.0})
                    })
                    .collect();
                json!({
                    "key": k.label,
                    "requests": k.requests,
                    "rate_limited": k.rate_limited,
                    "in_flight": k.limiter.in_flight(),
                    "quota_spent": k.limiter.quota_spent(),
                    "buckets": buckets,
                })
            })
            .collect();
        keys.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
        let c = &inner.counters;
        json!({
            "uptime_s": now,
            "requests": c.requests,
            "ok": c.ok,
            "tokens": {"input": c.input_tokens, "output": c.output_tokens,
                       "total": c.input_tokens + c.output_tokens},
            "rate_limited": c.rate_limited,
            "rate_limited_total": c.rate_limited.values().sum::<u64>(),
            "overloaded": c.overloaded,
            "errors": {"unauthorized": c.unauthorized, "bad_request": c.bad_request,
                       "payload_too_large": c.payload_too_large, "not_found": c.not_found},
            "in_flight": c.in_flight,
            "first_call_s": c.first_call_s,
            "last_call_s": c.last_call_s,
            "limits": self.config.limits,
            "keys": keys,
        })
    }
}

/// The `rate_limited` counter name of a refusal.
pub fn reason_id(reason: Reason) -> &'static str {
    match reason {
        Reason::Limit(d) => d.id(),
        Reason::TooLarge(_) => "too_large",
        Reason::Concurrency => "concurrency",
        Reason::Quota => "quota",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_of_new_keys_keeps_memory_bounded_and_the_recent_ones() {
        // Issue #15: 100k distinct keys took 103 MB, kept forever.
        let mut keys: HashMap<String, f64> = HashMap::new();
        for i in 0..100_000u32 {
            let k = format!("key-{i}");
            if !keys.contains_key(&k) {
                forget_oldest(&mut keys, 1_000, |t| *t);
            }
            keys.insert(k, f64::from(i));
            assert!(keys.len() <= 1_000);
        }
        assert!(keys.contains_key("key-99999"), "the newest stays");
        assert!(!keys.contains_key("key-0"), "the oldest goes");
        assert!(keys.len() >= 750);
    }
}
