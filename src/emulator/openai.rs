//! OpenAI wording: `x-ratelimit-*` headers with Go durations, the `{"error":{…}}` envelope
//! and the "Rate limit reached for …" grammar (success bodies: `openai_body.rs`). Azure
//! reuses the headers (`azure.rs` words its own errors).

use super::call::{Call, Invalid};
use super::reply::{Obj, ceil_ms, ceil_s, ordered, set};
use super::state::Admission;
use crate::duration::format_go;
use crate::limiter::{Dim, Reason, Refusal, Status};
use axum::response::Response;

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

/// Rate-limit headers plus `x-request-id` and `openai-*`; `openai-processing-ms` is the
/// time since the request was counted, in whole milliseconds, as OpenAI reports its
/// server's time on a request.
pub fn common_headers(resp: &mut Response, adm: &Admission) {
    rate_headers(resp, &adm.statuses);
    set(resp, "x-request-id", format!("req_{}", adm.request_id));
    set(resp, "openai-version", "2020-10-01");
    set(
        resp,
        "openai-processing-ms",
        adm.at.elapsed().as_millis().to_string(),
    );
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
