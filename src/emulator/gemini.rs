//! Gemini wording: no rate-limit headers; `{"error":{"code":…,"status":…}}` with
//! `google.rpc.QuotaFailure` / `Help` / `RetryInfo` details and the 2026 message tail
//! ("* Quota exceeded for metric: …, limit: N, model: M\nPlease retry in Xs."); the
//! streaming endpoint without `alt=sse` answers a JSON array and wraps errors in one.

use super::call::{Call, Invalid};
use super::reply::{Obj, ceil_ms, ceil_s, json, ordered, secs, text};
use super::sse;
use super::state::{Admission, Guard};
use crate::limiter::{Dim, Reason, Refusal};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use std::time::Duration;

const RATE_LIMITS_URL: &str = "https://ai.google.dev/gemini-api/docs/rate-limits";

fn error(
    call: Option<&Call>,
    code: u16,
    status: &str,
    message: &str,
    details: Option<Value>,
) -> Response {
    let mut err = Obj::new()
        .v("code", code)
        .v("message", message)
        .v("status", status);
    if let Some(d) = details {
        err = err.v("details", d);
    }
    let in_array = call.is_some_and(|c| c.json_array_stream);
    ordered(code, &Obj::new().o("error", err), in_array)
}

/// 401 without a key.
pub fn unauthorized() -> Response {
    error(
        None,
        401,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        None,
    )
}

/// 400 for a malformed body.
pub fn invalid(inv: &Invalid) -> Response {
    let msg = match inv {
        Invalid::Json => "Invalid JSON payload received. Unexpected token.".to_string(),
        Invalid::Missing(field) => {
            format!("* GenerateContentRequest.{field}: {field} is not specified\n")
        }
    };
    error(None, 400, "INVALID_ARGUMENT", &msg, None)
}

/// 413 for a body over 10 MB.
pub fn payload_too_large() -> Response {
    error(
        None,
        413,
        "FAILED_PRECONDITION",
        "Request payload size exceeds the limit: 10485760 bytes.",
        None,
    )
}

/// 404 for an unknown model method.
pub fn not_found(path: &str) -> Response {
    error(
        None,
        404,
        "NOT_FOUND",
        &format!("The requested URL {path} was not found on this server."),
        None,
    )
}

/// (quotaId, quotaMetric) of a dimension.
fn quota_ids(dim: Dim) -> (&'static str, &'static str) {
    const REQ: &str = "generativelanguage.googleapis.com/generate_content_free_tier_requests";
    const TOK: &str =
        "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count";
    match dim {
        Dim::Rpm => ("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", REQ),
        Dim::Rpd => ("GenerateRequestsPerDayPerProjectPerModel-FreeTier", REQ),
        Dim::Tpd => ("GenerateContentInputTokensPerModelPerDay-FreeTier", TOK),
        Dim::Tpm | Dim::InputTpm | Dim::OutputTpm => {
            ("GenerateContentInputTokensPerModelPerMinute-FreeTier", TOK)
        }
    }
}

/// The 429 for a refusal.
pub fn refused(call: &Call, _adm: &Admission, r: &Refusal) -> Response {
    let model = &call.model;
    match r.reason {
        Reason::Limit(dim) | Reason::TooLarge(dim) => {
            let (quota_id, metric) = quota_ids(dim);
            let mut msg = format!(
                "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: {RATE_LIMITS_URL}. To monitor your current usage, head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: {metric}, limit: {}, model: {model}",
                r.limit
            );
            let mut details = vec![
                json!({"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaMetric": metric, "quotaId": quota_id,
                        "quotaDimensions": {"location": "global", "model": model},
                        "quotaValue": r.limit.to_string()}]}),
                json!({"@type": "type.googleapis.com/google.rpc.Help",
                    "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMITS_URL}]}),
            ];
            if let Some(wait) = r.retry_after_s {
                let wait = ceil_ms(wait);
                msg.push_str(&format!("\nPlease retry in {}s.", secs(wait)));
                details.push(json!({"@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": format!("{}s", ceil_s(wait))}));
            }
            error(
                Some(call),
                429,
                "RESOURCE_EXHAUSTED",
                &msg,
                Some(Value::Array(details)),
            )
        }
        Reason::Concurrency => error(
            Some(call),
            429,
            "RESOURCE_EXHAUSTED",
            &super::openai::concurrency_message(r),
            None,
        ),
        Reason::Quota => error(
            Some(call),
            429,
            "RESOURCE_EXHAUSTED",
            "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing.",
            None,
        ),
    }
}

/// 503 overload.
pub fn overloaded(call: &Call) -> Response {
    error(
        Some(call),
        503,
        "UNAVAILABLE",
        "The model is overloaded. Please try again later.",
        None,
    )
}

fn chunk(call: &Call, adm: &Admission, piece: &str, last: bool, output: u64) -> Value {
    let mut cand = json!({"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0});
    let mut usage = json!({"promptTokenCount": call.input_tokens});
    if last {
        cand["finishReason"] = json!(if adm.truncated { "MAX_TOKENS" } else { "STOP" });
        usage["candidatesTokenCount"] = json!(output);
        usage["totalTokenCount"] = json!(call.input_tokens + output);
    } else {
        usage["totalTokenCount"] = json!(call.input_tokens);
    }
    json!({"candidates": [cand], "usageMetadata": usage, "modelVersion": call.model,
        "responseId": adm.id})
}

/// The 200 answer: one JSON object, SSE chunks (`alt=sse`) or a JSON array.
pub fn success(call: &Call, adm: &Admission, guard: Guard, delay: Duration) -> Response {
    let output = adm.words.len() as u64;
    if !call.stream {
        return json(200, &chunk(call, adm, &text(&adm.words), true, output));
    }
    let n = adm.words.len();
    let pieces: Vec<Value> = adm
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let piece = if i == 0 {
                (*w).to_string()
            } else {
                format!(" {w}")
            };
            chunk(call, adm, &piece, i + 1 == n, output)
        })
        .collect();
    let pieces = if pieces.is_empty() {
        vec![chunk(call, adm, "", true, 0)]
    } else {
        pieces
    };
    if call.json_array_stream {
        let count = pieces.len();
        let chunks: Vec<Bytes> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let open = if i == 0 { "[" } else { ",\r\n" };
                let close = if i + 1 == count { "]" } else { "" };
                Bytes::from(format!(
                    "{open}{}{close}",
                    serde_json::to_string(p).unwrap_or_default()
                ))
            })
            .collect();
        sse::response(
            chunks,
            delay,
            Some(guard),
            "application/json; charset=UTF-8",
        )
    } else {
        let chunks = pieces.iter().map(|p| sse::event("", p)).collect();
        sse::sse(chunks, delay, Some(guard))
    }
}
