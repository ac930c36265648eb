//! Which attempts belong to one logical request (sources layer): the same method, path
//! and body sent again after a failure, or a request whose SDK header
//! (`x-stainless-retry-count` and alikes) says it is a retry.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A repeat this long after the last failure is a new request, not a retry.
const RETRY_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Requests remembered at most (older ones are forgotten first).
const MAX_ENTRIES: usize = 20_000;

#[derive(Debug, Clone)]
struct Entry {
    group: u64,
    attempt: u32,
    pending: bool,
    failed: bool,
    done: Instant,
    advised_s: Option<f64>,
}

/// A client retry the proxy recognised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientRetry {
    /// Seconds between the previous attempt's answer and this one.
    pub waited_s: f64,
    /// What the server advised with that answer.
    pub advised_s: Option<f64>,
}

/// The assignment of a new attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assigned {
    pub group: u64,
    pub attempt: u32,
    pub client_retry: Option<ClientRetry>,
}

/// Groups attempts by request hash.
#[derive(Debug, Default)]
pub struct Grouper {
    next: u64,
    by_hash: HashMap<u64, Entry>,
}

impl Grouper {
    /// A request arrives from the client.
    pub fn assign(&mut self, hash: u64, sdk_retry: Option<u32>, now: Instant) -> Assigned {
        if let Some(e) = self.by_hash.get_mut(&hash) {
            let recent = now.saturating_duration_since(e.done) < RETRY_WINDOW;
            let is_retry = match sdk_retry {
                Some(0) => false,
                Some(_) => true,
                None => !e.pending && e.failed && recent,
            };
            if is_retry {
                e.attempt += 1;
                let retry = ClientRetry {
                    waited_s: if e.pending {
                        0.0
                    } else {
                        now.saturating_duration_since(e.done).as_secs_f64()
                    },
                    advised_s: e.advised_s,
                };
                e.pending = true;
                return Assigned {
                    group: e.group,
                    attempt: e.attempt,
                    client_retry: Some(retry),
                };
            }
        }
        if self.by_hash.len() >= MAX_ENTRIES {
            self.by_hash
                .retain(|_, e| now.saturating_duration_since(e.done) < RETRY_WINDOW);
            if self.by_hash.len() >= MAX_ENTRIES {
                self.by_hash.clear();
            }
        }
        self.next += 1;
        let attempt = sdk_retry.unwrap_or(0);
        self.by_hash.insert(
            hash,
            Entry {
                group: self.next,
                attempt,
                pending: true,
                failed: false,
                done: now,
                advised_s: None,
            },
        );
        Assigned {
            group: self.next,
            attempt,
            client_retry: None,
        }
    }

    /// ratedoctor retries a request itself (`--retry`): the next attempt number.
    pub fn proxy_retry(&mut self, hash: u64, group: u64) -> u32 {
        match self.by_hash.get_mut(&hash).filter(|e| e.group == group) {
            Some(e) => {
                e.attempt += 1;
                e.pending = true;
                e.attempt
            }
            None => 1,
        }
    }

    /// An attempt ended: `failed` when it got no answer or an error status.
    pub fn finished(
        &mut self,
        hash: u64,
        group: u64,
        failed: bool,
        advised_s: Option<f64>,
        now: Instant,
    ) {
        if let Some(e) = self.by_hash.get_mut(&hash).filter(|e| e.group == group) {
            e.pending = false;
            e.failed = failed;
            e.done = now;
            e.advised_s = advised_s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_after_a_failure_are_retries() {
        let mut g = Grouper::default();
        let t0 = Instant::now();
        let a = g.assign(1, None, t0);
        assert_eq!((a.group, a.attempt, a.client_retry), (1, 0, None));
        g.finished(1, a.group, true, Some(6.0), t0);
        let b = g.assign(1, None, t0 + Duration::from_secs(1));
        assert_eq!((b.group, b.attempt), (1, 1));
        let r = b.client_retry.unwrap();
        assert!((r.waited_s - 1.0).abs() < 1e-6 && r.advised_s == Some(6.0));
        g.finished(1, b.group, false, None, t0);
        // Same body after a success: a new logical request.
        let c = g.assign(1, None, t0 + Duration::from_secs(2));
        assert_eq!((c.group, c.attempt), (2, 0));
        // An identical request while one is in flight is not a retry either.
        let d = g.assign(1, None, t0 + Duration::from_secs(2));
        assert_eq!(d.attempt, 0);
        // Unless the SDK says so.
        let e = g.assign(5, Some(2), t0);
        assert_eq!(e.attempt, 2);
        assert_eq!(g.proxy_retry(5, e.group), 3);
    }
}
