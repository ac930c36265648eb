//! The one event type every live source emits and every view consumes (core layer: pure
//! data). Serialized as JSON Lines, it is also the recording format that `replay` reads.
//!
//! Schema (one JSON object a line): `{"t_ms": 12.5, "id": 3, "event": "<kind>", ...}` where
//! `t_ms` is milliseconds since the session started, `id` names one HTTP exchange, and
//! `event` is one of `request_sent`, `response_received`, `retry_scheduled`,
//! `stream_finished`, `failed`, `ledger`, `fleet`, with the fields of [`EventKind`].

use crate::diagnose::{Diagnosis, Provider};
use crate::headers::Snapshot;
use serde::{Deserialize, Serialize};

/// The note on the snapshot of an answer read from a log (`explain --follow`): its
/// status and numbers are the log's words, it has no timing and no headers.
pub const FROM_LOG: &str = "read from a log";

/// The end of a [`EventKind::RetryScheduled`]'s reason when the log said a retry but
/// not its wait (LiteLLM's router): `wait_s` is then 0 and means nothing.
pub const WAIT_NOT_LOGGED: &str = "wait not in the log";

/// Token counts a response reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Who decided a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryBy {
    /// The user's program (seen by the proxy as a repeat of the same request).
    Client,
    /// ratedoctor itself (`--retry`, probe bursts).
    Ratedoctor,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "a response carries its snapshot and diagnosis inline; events are few per second"
)]
pub enum EventKind {
    /// A request left for the provider.
    RequestSent {
        provider: Provider,
        method: String,
        path: String,
        model: Option<String>,
        /// Input tokens estimated from the request body.
        est_input_tokens: Option<u64>,
        max_tokens: Option<u64>,
        stream: bool,
        /// The logical request this attempt belongs to (retries share it).
        group: u64,
        /// 0 for the first attempt, 1 for the first retry, ...
        attempt: u32,
    },
    /// The response head arrived.
    ResponseReceived {
        status: u16,
        /// Time to the response head, in milliseconds.
        ttfb_ms: f64,
        snapshot: Snapshot,
        /// The raw rate-limit headers (names lower-case), for `--raw` and the detail pane.
        headers: Vec<(String, String)>,
        diagnosis: Option<Diagnosis>,
        /// Usage, when the body was small enough to read it at once.
        usage: Option<Usage>,
    },
    /// A wait before another attempt.
    RetryScheduled {
        group: u64,
        /// The wait actually taken (or planned), in seconds.
        wait_s: f64,
        /// What the server advised, in seconds.
        advised_s: Option<f64>,
        by: RetryBy,
        reason: String,
    },
    /// A (streamed) body ended.
    StreamFinished {
        bytes: u64,
        elapsed_ms: f64,
        usage: Option<Usage>,
        /// False when the stream was cut short.
        complete: bool,
    },
    /// The exchange failed without an HTTP answer (refused, reset, timeout).
    Failed { error: String },
    /// `--share`: this member left the fleet's ledger (Redis lost: it paces locally) or
    /// joined it again. Not about any exchange (`id` 0).
    Ledger { joined: bool, detail: String },
    /// `--share`: the fleet as this member saw it at its last beat, sent when the members
    /// or the fleet's 429s change, else at most every few seconds. Not about any exchange.
    Fleet(FleetSeen),
}

/// The fleet as one member sees it (`--share`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetSeen {
    /// Members alive (their beat heard within the last few seconds).
    pub members: u64,
    /// Requests let through by the fleet and not answered yet.
    pub in_flight: u64,
    /// 429s any member saw.
    pub rate_limited: u64,
    /// Requests this member let through, and the whole fleet.
    pub admitted_here: u64,
    pub admitted_total: u64,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the session started.
    pub t_ms: f64,
    /// The HTTP exchange this is about.
    pub id: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// One JSON line (no newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses one JSON line.
    pub fn from_json_line(line: &str) -> Result<Event, String> {
        serde_json::from_str(line).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_json_lines() {
        let events = vec![
            Event {
                t_ms: 0.0,
                id: 1,
                kind: EventKind::RequestSent {
                    provider: Provider::Openai,
                    method: "POST".into(),
                    path: "/v1/chat/completions".into(),
                    model: Some("gpt-4o-mini".into()),
                    est_input_tokens: Some(12),
                    max_tokens: Some(1),
                    stream: false,
                    group: 1,
                    attempt: 0,
                },
            },
            Event {
                t_ms: 4.5,
                id: 1,
                kind: EventKind::RetryScheduled {
                    group: 1,
                    wait_s: 2.0,
                    advised_s: Some(1.5),
                    by: RetryBy::Client,
                    reason: "429 rpm".into(),
                },
            },
        ];
        for e in events {
            let line = e.to_json_line();
            assert!(line.contains("\"event\":"), "{line}");
            assert_eq!(Event::from_json_line(&line).unwrap(), e);
        }
        assert!(Event::from_json_line("{\"nope\":1}").is_err());
    }
}
