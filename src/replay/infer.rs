//! What a recording says about the run it recorded (pure: events in, numbers out): the
//! limits the provider reported, the workload that was sent, and the recorded outcome in
//! the simulator's terms, so `replay --policy` can set the two side by side.
//!
//! - limits: per dimension, the largest `limit` seen in any response's budgets (minute
//!   windows, or no window, count per minute; day windows per day) or in any diagnosis
//!   (`rpm`, `tpm`, `rpd`, `tpd`, `concurrency`);
//! - workload: one request per logical request (`group`), sized by its first attempt's
//!   `est_input_tokens` (at least 1) and `max_tokens`; concurrency = the most exchanges in
//!   flight at once; latency = the median time from sending to the end of a 2xx answer
//!   (its stream's end for a stream);
//! - outcome: calls, 429s, retries (calls after a request's first), wasted calls (retries
//!   that failed again), failed requests (whose last attempt did not succeed) and the time
//!   from the first event to the last.

use crate::diagnose::{Kind, Window};
use crate::event::{Event, EventKind};
use crate::headers::Dimension;
use crate::limiter::Limits;
use crate::simulate::spec::{DEFAULT_LATENCY_MS, MAX_CONCURRENCY};
use crate::simulate::{Outcome, RequestSize, Requests, Workload};
use serde::Serialize;
use std::collections::HashMap;

/// How the workload was inferred.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorkloadBasis {
    /// The most exchanges in flight at once.
    pub max_in_flight: u32,
    /// 2xx answers the latency is the median of (0: the default latency was used).
    pub latency_samples: usize,
    /// Mean estimated input tokens per request.
    pub mean_input: u64,
    /// The largest `max_tokens` of any request.
    pub max_max_tokens: Option<u64>,
}

/// Everything inferred from a recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inferred {
    pub limits: Limits,
    pub workload: Workload,
    pub basis: WorkloadBasis,
    /// The recorded run's outcome, in the simulator's terms.
    pub recorded: Outcome,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    sent_ms: f64,
    group: u64,
    stream: bool,
    /// A 2xx stream whose body has not ended yet: still in flight.
    streaming: bool,
}

#[derive(Debug, Clone, Copy)]
struct GroupState {
    size: RequestSize,
    attempts: u64,
    last_ok: bool,
}

/// The fold: feed every event with [`Observer::apply`], then [`Observer::finish`].
#[derive(Debug, Default)]
pub struct Observer {
    limits: Limits,
    first_ms: Option<f64>,
    last_ms: f64,
    open: HashMap<u64, Open>,
    in_flight: u32,
    max_in_flight: u32,
    order: Vec<u64>,
    groups: HashMap<u64, GroupState>,
    latencies_ms: Vec<f64>,
    calls: u64,
    rate_limited: u64,
    wasted: u64,
}

fn raise(slot: &mut Option<u64>, value: Option<f64>) {
    if let Some(v) = value.filter(|v| v.is_finite() && *v >= 1.0) {
        let v = v.round() as u64;
        *slot = Some(slot.map_or(v, |s| s.max(v)));
    }
}

impl Observer {
    pub fn new() -> Self {
        Observer::default()
    }

    /// Folds one event in (events in recording order).
    pub fn apply(&mut self, e: &Event) {
        self.first_ms = Some(self.first_ms.map_or(e.t_ms, |f| f.min(e.t_ms)));
        self.last_ms = self.last_ms.max(e.t_ms);
        match &e.kind {
            EventKind::RequestSent {
                est_input_tokens,
                max_tokens,
                stream,
                group,
                ..
            } => {
                self.calls += 1;
                if self
                    .open
                    .insert(
                        e.id,
                        Open {
                            sent_ms: e.t_ms,
                            group: *group,
                            stream: *stream,
                            streaming: false,
                        },
                    )
                    .is_none()
                {
                    self.in_flight += 1;
                }
                self.max_in_flight = self.max_in_flight.max(self.in_flight);
                let g = self.groups.entry(*group).or_insert_with(|| {
                    self.order.push(*group);
                    GroupState {
                        size: RequestSize {
                            input: est_input_tokens.unwrap_or(1).max(1),
                            max_tokens: *max_tokens,
                        },
                        attempts: 0,
                        last_ok: false,
                    }
                });
                g.attempts += 1;
                g.last_ok = false;
            }
            EventKind::ResponseReceived {
                status,
                snapshot,
                diagnosis,
                ..
            } => {
                for b in &snapshot.budgets {
                    let per_day = match b.window {
                        None | Some(Window::Minute) => false,
                        Some(Window::Day) => true,
                        Some(_) => continue,
                    };
                    let slot = match (b.dimension, per_day) {
                        (Dimension::Requests, false) => &mut self.limits.rpm,
                        (Dimension::Requests, true) => &mut self.limits.rpd,
                        (Dimension::Tokens, false) => &mut self.limits.tpm,
                        (Dimension::Tokens, true) => &mut self.limits.tpd,
                        _ => continue,
                    };
                    raise(slot, b.limit);
                }
                if let Some(d) = diagnosis {
                    let slot = match d.kind {
                        Kind::Rpm => Some(&mut self.limits.rpm),
                        Kind::Tpm => Some(&mut self.limits.tpm),
                        Kind::Rpd => Some(&mut self.limits.rpd),
                        Kind::Tpd => Some(&mut self.limits.tpd),
                        Kind::Concurrency => Some(&mut self.limits.concurrency),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        raise(slot, d.limit);
                    }
                }
                if *status == 429 {
                    self.rate_limited += 1;
                }
                let ok = (200..300).contains(status);
                let Some(open) = self.open.get_mut(&e.id) else {
                    return;
                };
                let group = open.group;
                if ok && open.stream {
                    open.streaming = true;
                } else {
                    let sent = open.sent_ms;
                    self.close(e.id);
                    if ok {
                        self.latencies_ms.push((e.t_ms - sent).max(0.0));
                    }
                }
                self.settle(group, ok);
            }
            EventKind::StreamFinished { .. } => {
                if let Some(open) = self.open.get(&e.id).copied()
                    && open.streaming
                {
                    self.close(e.id);
                    self.latencies_ms.push((e.t_ms - open.sent_ms).max(0.0));
                }
            }
            EventKind::Failed { .. } => {
                if let Some(open) = self.open.get(&e.id).copied() {
                    self.close(e.id);
                    if !open.streaming {
                        self.settle(open.group, false);
                    }
                }
            }
            EventKind::RetryScheduled { .. } | EventKind::Ledger { .. } | EventKind::Fleet(_) => {}
        }
    }

    fn close(&mut self, id: u64) {
        if self.open.remove(&id).is_some() {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
    }

    /// The answer of a group's latest attempt.
    fn settle(&mut self, group: u64, ok: bool) {
        if let Some(g) = self.groups.get_mut(&group) {
            g.last_ok = ok;
            if !ok && g.attempts > 1 {
                self.wasted += 1;
            }
        }
    }

    /// The limits, workload and recorded outcome.
    pub fn finish(mut self) -> Inferred {
        // Streams whose end was not recorded: count their time to the response head.
        let unfinished: Vec<f64> = self
            .open
            .values()
            .filter(|o| o.streaming)
            .map(|o| (self.last_ms - o.sent_ms).max(0.0))
            .collect();
        if self.latencies_ms.is_empty() {
            self.latencies_ms = unfinished;
        }
        let latency_samples = self.latencies_ms.len();
        let latency_ms = median(&mut self.latencies_ms).unwrap_or(DEFAULT_LATENCY_MS);
        let sizes: Vec<RequestSize> = self
            .order
            .iter()
            .filter_map(|g| self.groups.get(g).map(|s| s.size))
            .collect();
        let n = sizes.len() as u64;
        let mean_input = sizes.iter().map(|s| s.input).sum::<u64>() / n.max(1);
        let max_max_tokens = sizes.iter().filter_map(|s| s.max_tokens).max();
        let succeeded = self.groups.values().filter(|g| g.last_ok).count() as u64;
        let recorded = Outcome {
            requests: n,
            succeeded,
            failed: n - succeeded,
            calls: self.calls,
            rate_limited: self.rate_limited,
            retries: self.calls.saturating_sub(n),
            wasted_calls: self.wasted,
            total_s: (self.last_ms - self.first_ms.unwrap_or(0.0)).max(0.0) / 1000.0,
        };
        let concurrency = self.max_in_flight.clamp(1, MAX_CONCURRENCY);
        Inferred {
            limits: self.limits,
            workload: Workload {
                requests: Requests::List { sizes },
                concurrency,
                latency_s: latency_ms / 1000.0,
                max_tokens_cap: None,
            },
            basis: WorkloadBasis {
                max_in_flight: self.max_in_flight,
                latency_samples,
                mean_input,
                max_max_tokens,
            },
            recorded,
        }
    }
}

/// The median (the lower middle for an even count).
fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

/// Infers everything from a slice of events.
pub fn infer(events: &[Event]) -> Inferred {
    let mut o = Observer::new();
    for e in events {
        o.apply(e);
    }
    o.finish()
}
