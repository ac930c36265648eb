//! OpenAI wording: `x-ratelimit-*` headers with Go durations, the `{"error":{…}}` envelope,
//! the "Rate limit reached for …" grammar, chat/responses/embeddings bodies and chunks.
//! Azure reuses the bodies and headers (`azure.rs` words its own errors).

use super::call::{Call, Endpoint, Invalid};
use super::reply::{Obj, ceil_ms, ceil_s, json, ordered, set, text};
use super::rng::{Rng, base64, fnv1a};
use super::sse;
use super::state::{Admission, Guard};
use crate::duration::format_go;
use crate::limiter::{Dim, Reason, Refusal, Status};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use std::time::Duration;

const RATE_LIMITS_URL: &str = "https://platform.openai.com/account/rate-limits";

/// The `{"error":{…}}` envelope.
pub fn error(
    status: u16,
    message: &str,
    kind: Option<&str>,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let err = Obj::new()
        .v("message", message)
        .v("type", kind)
        .v("param", param)
        .v("code", code);
    ordered(status, &Obj::new().o("error", err), false)
}

/// 401 without a key.
pub fn unauthorized() -> Response {
    error(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        Some("invalid_request_error"),
        None,
        None,
    )
}

/// 400 for a malformed body.
pub fn invalid(inv: &Invalid) -> Response {
    match inv {
        Invalid::Json => error(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
            Some("invalid_request_error"),
            None,
            None,
        ),
        Invalid::Missing("model") => error(
            400,
            "you must provide a model parameter",
            Some("invalid_request_error"),
            None,
            None,
        ),
        Invalid::Missing(field) => error(
            400,
            &format!("Missing required parameter: '{field}'."),
            Some("invalid_request_error"),
            Some(field),
            Some("missing_required_parameter"),
        ),
    }
}

/// 413 for a body over 10 MB.
pub fn payload_too_large() -> Response {
    error(
        413,
        "The request body is larger than the maximum allowed size of 10 MB.",
        Some("invalid_request_error"),
        None,
        None,
    )
}

/// 404 for an unknown path.
pub fn not_found(method: &str, path: &str) -> Response {
    error(
        404,
        &format!("Invalid URL ({method} {path})"),
        Some("invalid_request_error"),
        None,
        None,
    )
}

/// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for the per-minute buckets.
pub fn rate_headers(resp: &mut Response, statuses: &[Status]) {
    for s in statuses {
        let (limit, remaining, reset) = match s.dim {
            Dim::Rpm => (
                "x-ratelimit-limit-requests",
                "x-ratelimit-remaining-requests",
                "x-ratelimit-reset-requests",
            ),
            Dim::Tpm => (
                "x-ratelimit-limit-tokens",
                "x-ratelimit-remaining-tokens",
                "x-ratelimit-reset-tokens",
            ),
            _ => continue,
        };
        set(resp, limit, s.limit.to_string());
        set(resp, remaining, s.remaining.to_string());
        set(resp, reset, reset_go(s.reset_s));
    }
}

fn reset_go(reset_s: f64) -> String {
    if reset_s <= 0.0 {
        "0s".to_string()
    } else {
        format_go(ceil_ms(reset_s))
    }
}

fn common_headers(resp: &mut Response, adm: &Admission) {
    rate_headers(resp, &adm.statuses);
    set(resp, "x-request-id", format!("req_{}", adm.request_id));
    set(resp, "openai-version", "2020-10-01");
    set(resp, "openai-processing-ms", "1");
}

/// (phrase, error type) of a dimension in the OpenAI grammar.
fn phrase(dim: Dim) -> (&'static str, &'static str) {
    match dim {
        Dim::Rpm => ("requests per min (RPM)", "requests"),
        Dim::Rpd => ("requests per day (RPD)", "requests"),
        Dim::Tpd => ("tokens per day (TPD)", "tokens"),
        Dim::Tpm | Dim::InputTpm | Dim::OutputTpm => ("tokens per min (TPM)", "tokens"),
    }
}

/// The concurrency sentence every non-Anthropic family uses.
pub fn concurrency_message(r: &Refusal) -> String {
    format!(
        "Too many concurrent requests: your current concurrency is {}, which exceeds your concurrency limit of {}. Please try again later.",
        r.used + 1,
        r.limit
    )
}

/// The quota body (§1.2 G).
pub fn quota() -> Response {
    error(
        429,
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        Some("insufficient_quota"),
        None,
        Some("insufficient_quota"),
    )
}

/// The 429 for a refusal, with `x-ratelimit-*` and `retry-after` when waiting helps.
pub fn refused(call: &Call, adm: &Admission, r: &Refusal) -> Response {
    let model = &call.model;
    let org = &adm.org;
    let mut resp = match r.reason {
        Reason::Limit(dim) => {
            let (what, kind) = phrase(dim);
            let wait = ceil_ms(r.retry_after_s.unwrap_or(0.0));
            let msg = format!(
                "Rate limit reached for {model} in organization {org} on {what}: Limit {}, Used {}, Requested {}. Please try again in {}. Visit {RATE_LIMITS_URL} to learn more.",
                r.limit,
                r.used,
                r.requested,
                format_go(wait)
            );
            let mut resp = error(429, &msg, Some(kind), None, Some("rate_limit_exceeded"));
            set(&mut resp, "retry-after", ceil_s(wait).to_string());
            resp
        }
        Reason::TooLarge(dim) => {
            let (what, kind) = phrase(dim);
            let msg = format!(
                "Request too large for {model} in organization {org} on {what}: Limit {}, Requested {}. The input or output tokens must be reduced in order to run successfully. Visit {RATE_LIMITS_URL} to learn more.",
                r.limit, r.requested
            );
            error(429, &msg, Some(kind), None, Some("rate_limit_exceeded"))
        }
        Reason::Concurrency => error(
            429,
            &concurrency_message(r),
            Some("requests"),
            None,
            Some("rate_limit_exceeded"),
        ),
        Reason::Quota => quota(),
    };
    common_headers(&mut resp, adm);
    resp
}

/// 503 overload.
pub fn overloaded(adm: &Admission) -> Response {
    let mut resp = error(
        503,
        "The engine is currently overloaded, please try again later.",
        Some("service_unavailable_error"),
        None,
        Some("server_is_overloaded"),
    );
    set(&mut resp, "retry-after", "1");
    common_headers(&mut resp, adm);
    resp
}

fn finish_reason(adm: &Admission) -> &'static str {
    if adm.truncated { "length" } else { "stop" }
}

fn chat_usage(call: &Call, adm: &Admission) -> Value {
    let out = adm.words.len() as u64;
    json!({
        "prompt_tokens": call.input_tokens,
        "completion_tokens": out,
        "total_tokens": call.input_tokens + out,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    })
}

/// A 200 answer (JSON or stream) for an admitted call. `prefix_headers` lets Azure add its
/// own headers.
pub fn success(call: &Call, adm: &Admission, guard: Guard, delay: Duration) -> Response {
    let created = adm.wall.as_second();
    let mut resp = match (call.endpoint, call.stream) {
        (Endpoint::Chat, true) => sse::sse(chat_chunks(call, adm, created), delay, Some(guard)),
        (Endpoint::Responses, true) => {
            sse::sse(responses_events(call, adm, created), delay, Some(guard))
        }
        (Endpoint::Chat, false) => json(
            200,
            &json!({
                "id": format!("chatcmpl-{}", adm.id),
                "object": "chat.completion",
                "created": created,
                "model": call.model,
                "choices": [{"index": 0,
                    "message": {"role": "assistant", "content": text(&adm.words), "refusal": null, "annotations": []},
                    "logprobs": null, "finish_reason": finish_reason(adm)}],
                "usage": chat_usage(call, adm),
                "service_tier": "default",
                "system_fingerprint": format!("fp_{}", &adm.request_id[..10].to_ascii_lowercase()),
            }),
        ),
        (Endpoint::Responses, false) => {
            json(200, &response_object(call, adm, created, "completed", true))
        }
        _ => json(200, &embeddings(call, adm)),
    };
    common_headers(&mut resp, adm);
    resp
}

fn chat_chunks(call: &Call, adm: &Admission, created: i64) -> Vec<Bytes> {
    let id = format!("chatcmpl-{}", adm.id);
    let fp = format!("fp_{}", &adm.request_id[..10].to_ascii_lowercase());
    let usage_field = call.include_usage;
    let chunk = |delta: Value, finish: Value| {
        let mut c = json!({"id": id, "object": "chat.completion.chunk", "created": created,
            "model": call.model, "service_tier": "default", "system_fingerprint": fp,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
        if usage_field {
            c["usage"] = Value::Null;
        }
        sse::event("", &c)
    };
    let mut out = vec![chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    )];
    for (i, w) in adm.words.iter().enumerate() {
        let piece = if i == 0 {
            (*w).to_string()
        } else {
            format!(" {w}")
        };
        out.push(chunk(json!({"content": piece}), Value::Null));
    }
    out.push(chunk(json!({}), json!(finish_reason(adm))));
    if usage_field {
        out.push(sse::event(
            "",
            &json!({"id": id, "object": "chat.completion.chunk",
            "created": created, "model": call.model, "service_tier": "default",
            "system_fingerprint": fp, "choices": [], "usage": chat_usage(call, adm)}),
        ));
    }
    out.push(sse::done());
    out
}

fn response_object(call: &Call, adm: &Admission, created: i64, status: &str, full: bool) -> Value {
    let out = adm.words.len() as u64;
    let output = if full {
        json!([{"type": "message", "id": format!("msg_{}", adm.request_id), "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text(&adm.words), "annotations": [], "logprobs": []}]}])
    } else {
        json!([])
    };
    let usage = if full {
        json!({"input_tokens": call.input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": call.input_tokens + out})
    } else {
        Value::Null
    };
    json!({
        "id": format!("resp_{}", adm.id), "object": "response", "created_at": created,
        "status": status, "error": null, "incomplete_details": null, "instructions": null,
        "max_output_tokens": call.max_tokens, "model": call.model, "output": output,
        "parallel_tool_calls": true, "previous_response_id": null, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
        "truncation": "disabled", "usage": usage, "metadata": {}
    })
}

fn responses_events(call: &Call, adm: &Admission, created: i64) -> Vec<Bytes> {
    let item_id = format!("msg_{}", adm.request_id);
    let full_text = text(&adm.words);
    let mut seq = 0u64;
    let mut ev = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        sse::event(name, &data)
    };
    let mut out = vec![
        ev(
            "response.created",
            json!({"response": response_object(call, adm, created, "in_progress", false)}),
        ),
        ev(
            "response.in_progress",
            json!({"response": response_object(call, adm, created, "in_progress", false)}),
        ),
        ev(
            "response.output_item.added",
            json!({"output_index": 0, "item": {"type": "message",
            "id": item_id, "status": "in_progress", "role": "assistant", "content": []}}),
        ),
        ev(
            "response.content_part.added",
            json!({"item_id": item_id, "output_index": 0,
            "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
        ),
    ];
    for (i, w) in adm.words.iter().enumerate() {
        let piece = if i == 0 {
            (*w).to_string()
        } else {
            format!(" {w}")
        };
        out.push(ev(
            "response.output_text.delta",
            json!({"item_id": item_id, "output_index": 0,
            "content_index": 0, "delta": piece, "logprobs": []}),
        ));
    }
    out.push(ev(
        "response.output_text.done",
        json!({"item_id": item_id, "output_index": 0,
        "content_index": 0, "text": full_text, "logprobs": []}),
    ));
    out.push(ev(
        "response.content_part.done",
        json!({"item_id": item_id, "output_index": 0,
        "content_index": 0, "part": {"type": "output_text", "text": full_text, "annotations": []}}),
    ));
    out.push(ev(
        "response.output_item.done",
        json!({"output_index": 0, "item": {"type": "message",
        "id": item_id, "status": "completed", "role": "assistant",
        "content": [{"type": "output_text", "text": full_text, "annotations": []}]}}),
    ));
    out.push(ev(
        "response.completed",
        json!({"response": response_object(call, adm, created, "completed", true)}),
    ));
    out
}

fn embeddings(call: &Call, adm: &Admission) -> Value {
    let mut rng = Rng::new(fnv1a(&adm.id));
    let data: Vec<Value> = (0..call.embed_count)
        .map(|i| {
            let v: Vec<f32> = (0..call.embed_dims)
                .map(|_| (rng.next_f64() as f32) * 2.0 - 1.0)
                .collect();
            let embedding = if call.embed_base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64(&bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    json!({"object": "list", "data": data, "model": call.model,
        "usage": {"prompt_tokens": call.input_tokens, "total_tokens": call.input_tokens}})
}

/// `GET /v1/models`.
pub fn models(created: i64) -> Response {
    let ids = [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "o4-mini",
        "text-embedding-3-small",
    ];
    let data: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "system"}))
        .collect();
    json(200, &json!({"object": "list", "data": data}))
}
