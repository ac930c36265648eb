//! Azure OpenAI wording: the `{"error":{"code":"429","message":…}}` envelope, "exceeded
//! token/call rate limit of your current OpenAI S0 pricing tier. Please retry after N
//! seconds", `retry-after` + `retry-after-ms`, and OpenAI's bodies for everything else.

use super::call::{Call, Endpoint};
use super::reply::{Obj, ceil_ms, ceil_s, ordered, set};
use super::state::{Admission, Guard};
use super::{openai, openai_body};
use crate::limiter::{Dim, Reason, Refusal};
use axum::response::Response;
use std::time::Duration;

/// The default `api-version` when the query has none.
pub const DEFAULT_API_VERSION: &str = "2024-10-21";

fn error(status: u16, code: &str, message: &str) -> Response {
    let err = Obj::new().v("code", code).v("message", message);
    ordered(status, &Obj::new().o("error", err), false)
}

/// 401 without `api-key`.
pub fn unauthorized() -> Response {
    error(
        401,
        "401",
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
    )
}

fn azure_headers(resp: &mut Response, adm: &Admission) {
    openai::rate_headers(resp, &adm.statuses);
    set(resp, "apim-request-id", uuid_like(&adm.request_id));
    set(resp, "x-request-id", uuid_like(&adm.request_id));
    set(resp, "x-ms-region", "Emulated Region");
}

fn uuid_like(s: &str) -> String {
    let h: String = s.chars().chain(std::iter::repeat('0')).take(32).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
    .to_ascii_lowercase()
}

/// The 429 (or quota) answer for a refusal.
pub fn refused(call: &Call, adm: &Admission, r: &Refusal) -> Response {
    let version = &call.api_version;
    let mut resp = match r.reason {
        Reason::Limit(dim) => {
            let which = if dim == Dim::Rpm || dim == Dim::Rpd {
                "call"
            } else {
                "token"
            };
            let wait = ceil_ms(r.retry_after_s.unwrap_or(0.0));
            let secs = ceil_s(wait);
            let op = if call.endpoint == Endpoint::Embeddings {
                "Embeddings_Create"
            } else {
                "ChatCompletions_Create"
            };
            let msg = format!(
                "Requests to the {op} Operation under Azure OpenAI API version {version} have exceeded {which} rate limit of your current OpenAI S0 pricing tier. Please retry after {secs} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit."
            );
            let mut resp = error(429, "429", &msg);
            set(&mut resp, "retry-after", secs.to_string());
            set(
                &mut resp,
                "retry-after-ms",
                format!("{}", (wait * 1000.0).round() as u64),
            );
            resp
        }
        Reason::TooLarge(_) => {
            let msg = format!(
                "Request too large for {} on tokens per min (TPM): Limit {}, Requested {}. The input or output tokens must be reduced in order to run successfully.",
                call.model, r.limit, r.requested
            );
            error(429, "429", &msg)
        }
        Reason::Concurrency => error(429, "429", &openai::concurrency_message(r)),
        Reason::Quota => openai::quota(),
    };
    azure_headers(&mut resp, adm);
    resp
}

/// 503 overload (OpenAI's body; Azure relays it).
pub fn overloaded(adm: &Admission) -> Response {
    let mut resp = openai::overloaded(adm);
    strip_openai(&mut resp);
    azure_headers(&mut resp, adm);
    resp
}

/// The 200 answer: OpenAI's body with Azure's headers.
pub fn success(call: &Call, adm: &Admission, guard: Guard, delay: Duration) -> Response {
    let mut resp = openai_body::success(call, adm, guard, delay);
    strip_openai(&mut resp);
    azure_headers(&mut resp, adm);
    resp
}

fn strip_openai(resp: &mut Response) {
    let h = resp.headers_mut();
    h.remove("openai-version");
    h.remove("openai-processing-ms");
}
