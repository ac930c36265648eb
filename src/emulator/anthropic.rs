//! Anthropic wording: `anthropic-ratelimit-*` headers with RFC 3339 resets (token
//! remainings rounded to the nearest thousand), the `{"type":"error",…}` envelope, the
//! 2026 "would exceed your organization's rate limit" grammar, 529 `overloaded_error`, the
//! spend-cap 429 and the Messages SSE events.

use super::call::{Call, Invalid};
use super::reply::{Obj, ceil_ms, ceil_s, json, ordered, set, text, thousands};
use super::sse;
use super::state::{Admission, Guard};
use crate::duration::format_rfc3339;
use crate::limiter::{Dim, Reason, Refusal, Status};
use axum::response::Response;
use bytes::Bytes;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::time::Duration;

fn error(status: u16, kind: &str, message: &str, request_id: &str) -> Response {
    envelope(
        status,
        Obj::new().v("type", kind).v("message", message),
        request_id,
    )
}

fn envelope(status: u16, err: Obj, request_id: &str) -> Response {
    let body = Obj::new()
        .v("type", "error")
        .o("error", err)
        .v("request_id", format!("req_011C{request_id}"));
    ordered(status, &body, false)
}

/// 401 without `x-api-key`.
pub fn unauthorized(request_id: &str) -> Response {
    error(
        401,
        "authentication_error",
        "x-api-key header is required",
        request_id,
    )
}

/// 400 without `anthropic-version`.
pub fn missing_version(request_id: &str) -> Response {
    error(
        400,
        "invalid_request_error",
        "anthropic-version: header is required",
        request_id,
    )
}

/// 400 for a malformed body.
pub fn invalid(inv: &Invalid, request_id: &str) -> Response {
    let msg = match inv {
        Invalid::Json => "There was an error parsing the body of your request. Please make sure your request body is valid JSON.".to_string(),
        Invalid::Missing(field) => format!("{field}: Field required"),
    };
    error(400, "invalid_request_error", &msg, request_id)
}

/// 413 for a body over 10 MB.
pub fn payload_too_large(request_id: &str) -> Response {
    error(
        413,
        "request_too_large",
        "Request exceeds the maximum allowed number of bytes.",
        request_id,
    )
}

fn reset_at(wall: Timestamp, reset_s: f64) -> String {
    let t = wall.as_second() + reset_s.ceil() as i64 + i64::from(wall.subsec_nanosecond() > 0);
    Timestamp::from_second(t).map_or_else(|_| format_rfc3339(wall), format_rfc3339)
}

fn round_thousand(n: u64, limit: u64) -> u64 {
    (n.saturating_add(500) / 1000 * 1000).min(limit)
}

fn rate_headers(resp: &mut Response, statuses: &[Status], wall: Timestamp) {
    let mut tokens: Option<(u64, u64, f64)> = None;
    for s in statuses {
        let name = match s.dim {
            Dim::Rpm => "requests",
            Dim::InputTpm => "input-tokens",
            Dim::OutputTpm => "output-tokens",
            _ => continue,
        };
        let remaining = if s.dim == Dim::Rpm {
            s.remaining
        } else {
            let t = tokens.get_or_insert((0, 0, 0.0));
            *t = (t.0 + s.limit, t.1 + s.remaining, t.2.max(s.reset_s));
            round_thousand(s.remaining, s.limit)
        };
        set_dim(resp, name, s.limit, remaining, &reset_at(wall, s.reset_s));
    }
    if let Some((limit, remaining, reset)) = tokens {
        set_dim(
            resp,
            "tokens",
            limit,
            round_thousand(remaining, limit),
            &reset_at(wall, reset),
        );
    }
}

fn set_dim(resp: &mut Response, dim: &str, limit: u64, remaining: u64, reset: &str) {
    let h = resp.headers_mut();
    for (field, value) in [
        ("limit", limit.to_string()),
        ("remaining", remaining.to_string()),
        ("reset", reset.to_string()),
    ] {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::try_from(format!("anthropic-ratelimit-{dim}-{field}")),
            axum::http::HeaderValue::try_from(value),
        ) {
            h.insert(n, v);
        }
    }
}

fn common_headers(resp: &mut Response, adm: &Admission) {
    rate_headers(resp, &adm.statuses, adm.wall);
    set(resp, "request-id", format!("req_011C{}", adm.request_id));
    set(resp, "x-request-id", format!("req_011C{}", adm.request_id));
}

/// The first day of the next month, 00:00 UTC, as `2026-09-01`.
fn next_month(wall: Timestamp) -> String {
    let d = wall.to_zoned(jiff::tz::TimeZone::UTC).date();
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    format!("{y:04}-{m:02}-01")
}

/// The 429 for a refusal.
pub fn refused(call: &Call, adm: &Admission, r: &Refusal) -> Response {
    let rid = &adm.request_id;
    let mut resp = match r.reason {
        Reason::Limit(dim) | Reason::TooLarge(dim) => {
            let what = match dim {
                Dim::Rpm | Dim::Rpd => "requests",
                Dim::OutputTpm => "output tokens",
                Dim::InputTpm | Dim::Tpm | Dim::Tpd => "input tokens",
            };
            let msg = format!(
                "This request would exceed your organization's rate limit of {} {what} per minute (org: {}, model: {}). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://claude.com/contact-sales to discuss your options for a rate limit increase.",
                thousands(r.limit),
                adm.org_uuid,
                call.model
            );
            let mut resp = error(429, "rate_limit_error", &msg, rid);
            if let Some(wait) = r.retry_after_s {
                set(&mut resp, "retry-after", ceil_s(ceil_ms(wait)).to_string());
            }
            resp
        }
        Reason::Concurrency => error(
            429,
            "rate_limit_error",
            "Number of concurrent connections has exceeded your rate limit. Please try again later or contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
            rid,
        ),
        Reason::Quota => {
            let msg = format!(
                "You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier. You will regain access on {} at 00:00 UTC.",
                next_month(adm.wall)
            );
            let err = Obj::new()
                .v("type", "rate_limit_error")
                .v("message", msg)
                .o(
                    "details",
                    Obj::new().v("error_code", "enforced_spend_limit_reached"),
                );
            envelope(429, err, rid)
        }
    };
    common_headers(&mut resp, adm);
    resp
}

/// 529 `overloaded_error`.
pub fn overloaded(adm: &Admission) -> Response {
    let mut resp = error(529, "overloaded_error", "Overloaded", &adm.request_id);
    common_headers(&mut resp, adm);
    resp
}

fn stop_reason(adm: &Admission) -> &'static str {
    if adm.truncated {
        "max_tokens"
    } else {
        "end_turn"
    }
}

fn usage(call: &Call, output: u64) -> Value {
    json!({"input_tokens": call.input_tokens, "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0, "output_tokens": output, "service_tier": "standard"})
}

/// The 200 answer, JSON or SSE.
pub fn success(call: &Call, adm: &Admission, guard: Guard, delay: Duration) -> Response {
    let id = format!("msg_01{}", &adm.id[..22]);
    let mut resp = if call.stream {
        sse::sse(events(call, adm, &id), delay, Some(guard))
    } else {
        json(
            200,
            &json!({"id": id, "type": "message", "role": "assistant", "model": call.model,
            "content": [{"type": "text", "text": text(&adm.words)}],
            "stop_reason": stop_reason(adm), "stop_sequence": null,
            "usage": usage(call, adm.words.len() as u64)}),
        )
    };
    common_headers(&mut resp, adm);
    resp
}

fn events(call: &Call, adm: &Admission, id: &str) -> Vec<Bytes> {
    let mut out = vec![
        sse::event(
            "message_start",
            &json!({"type": "message_start", "message": {"id": id,
            "type": "message", "role": "assistant", "model": call.model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": usage(call, 1)}}),
        ),
        sse::event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        sse::event("ping", &json!({"type": "ping"})),
    ];
    for (i, w) in adm.words.iter().enumerate() {
        let piece = if i == 0 {
            (*w).to_string()
        } else {
            format!(" {w}")
        };
        out.push(sse::event(
            "content_block_delta",
            &json!({"type": "content_block_delta",
            "index": 0, "delta": {"type": "text_delta", "text": piece}}),
        ));
    }
    out.push(sse::event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    out.push(sse::event(
        "message_delta",
        &json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason(adm), "stop_sequence": null},
        "usage": {"output_tokens": adm.words.len()}}),
    ));
    out.push(sse::event("message_stop", &json!({"type": "message_stop"})));
    out
}
