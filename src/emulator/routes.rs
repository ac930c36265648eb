//! Paths, auth and body reading: turns an HTTP request into a [`Call`], asks the state,
//! and hands the answer to the family that words it.

use super::call::{Call, Endpoint, Family, Invalid};
use super::state::{Decision, Shared};
use super::{anthropic, azure, gemini, openai, openai_body, reply};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use http_body_util::BodyExt;
use std::sync::Arc;

/// Largest accepted request body.
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// Oversized bodies are read (and dropped) up to this much so the client sees the 413.
const DRAIN_LIMIT: usize = 256 * 1024 * 1024;

/// The router: one fallback handler that routes by hand (Gemini's `model:method` paths do
/// not fit a path pattern).
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// Where a request goes.
enum Route {
    State,
    Models,
    Api {
        family: Family,
        endpoint: Endpoint,
        model: Option<String>,
        stream_path: bool,
    },
    NotFound(Family),
}

fn route(method: &Method, path: &str) -> Route {
    let api = |family, endpoint| Route::Api {
        family,
        endpoint,
        model: None,
        stream_path: false,
    };
    match (method.as_str(), path) {
        ("GET", "/_mock/state") => return Route::State,
        ("GET", "/v1/models") => return Route::Models,
        ("POST", "/v1/chat/completions") => return api(Family::OpenAi, Endpoint::Chat),
        ("POST", "/v1/responses") => return api(Family::OpenAi, Endpoint::Responses),
        ("POST", "/v1/embeddings") => return api(Family::OpenAi, Endpoint::Embeddings),
        ("POST", "/v1/messages") => return api(Family::Anthropic, Endpoint::Messages),
        _ => {}
    }
    if let Some(rest) = path.strip_prefix("/openai/deployments/") {
        let (deployment, endpoint) = match rest.split_once('/') {
            Some((d, "chat/completions")) => (d, Endpoint::Chat),
            Some((d, "embeddings")) => (d, Endpoint::Embeddings),
            _ => return Route::NotFound(Family::Azure),
        };
        if method == Method::POST && !deployment.is_empty() {
            return Route::Api {
                family: Family::Azure,
                endpoint,
                model: Some(deployment.to_string()),
                stream_path: false,
            };
        }
        return Route::NotFound(Family::Azure);
    }
    let gemini = path
        .strip_prefix("/v1beta/models/")
        .or_else(|| path.strip_prefix("/v1/models/").filter(|r| r.contains(':')));
    if let Some(rest) = gemini {
        if method == Method::POST
            && let Some((model, action)) = rest.split_once(':')
            && !model.is_empty()
            && !model.contains('/')
        {
            let stream_path = match action {
                "generateContent" => false,
                "streamGenerateContent" => true,
                _ => return Route::NotFound(Family::Gemini),
            };
            return Route::Api {
                family: Family::Gemini,
                endpoint: Endpoint::Generate,
                model: Some(model.to_string()),
                stream_path,
            };
        }
        return Route::NotFound(Family::Gemini);
    }
    Route::NotFound(Family::OpenAi)
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = header(headers, "authorization")?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The API key the family expects, if present.
fn api_key<'a>(family: Family, headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    match family {
        Family::OpenAi => bearer(headers),
        Family::Azure => header(headers, "api-key").or_else(|| bearer(headers)),
        Family::Anthropic => header(headers, "x-api-key").or_else(|| bearer(headers)),
        Family::Gemini => header(headers, "x-goog-api-key")
            .or_else(|| query_param(query, "key").filter(|k| !k.is_empty())),
    }
}

/// Reads the body; `Err(true)` when it is over [`MAX_BODY`], `Err(false)` on a read error.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, bool> {
    let declared = header(headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(MAX_BODY));
    let mut seen = 0usize;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| false)?;
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen > DRAIN_LIMIT {
                return Err(true);
            }
            if seen <= MAX_BODY {
                buf.extend_from_slice(&data);
            }
        }
    }
    if seen > MAX_BODY { Err(true) } else { Ok(buf) }
}

fn unauthorized(family: Family) -> Response {
    match family {
        Family::OpenAi => openai::unauthorized(),
        Family::Azure => azure::unauthorized(),
        Family::Anthropic => anthropic::unauthorized("0000000000000000000000"),
        Family::Gemini => gemini::unauthorized(),
    }
}

fn invalid(family: Family, inv: &Invalid) -> Response {
    match family {
        Family::OpenAi | Family::Azure => openai::invalid(inv),
        Family::Anthropic => anthropic::invalid(inv, "0000000000000000000000"),
        Family::Gemini => gemini::invalid(inv),
    }
}

fn payload_too_large(family: Family) -> Response {
    match family {
        Family::OpenAi | Family::Azure => openai::payload_too_large(),
        Family::Anthropic => anthropic::payload_too_large("0000000000000000000000"),
        Family::Gemini => gemini::payload_too_large(),
    }
}

/// Answers a request; a whole JSON answer is gzip-compressed when the client accepts
/// gzip, as the providers' servers do.
async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let gzip = header(req.headers(), "accept-encoding").is_some_and(reply::accepts_gzip);
    let resp = answer(shared, req).await;
    if gzip { reply::gzip(resp).await } else { resp }
}

async fn answer(shared: Arc<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let query = parts.uri.query();
    let (family, endpoint, model, stream_path) = match route(&parts.method, path) {
        Route::State => return reply::json(200, &shared.state_json()),
        Route::Models => {
            if bearer(&parts.headers).is_none() {
                shared.count(|c| c.unauthorized += 1);
                return openai::unauthorized();
            }
            return openai_body::models(jiff::Timestamp::now().as_second());
        }
        Route::NotFound(family) => {
            shared.count(|c| c.not_found += 1);
            return match family {
                Family::Gemini => gemini::not_found(path),
                _ => openai::not_found(parts.method.as_str(), path),
            };
        }
        Route::Api {
            family,
            endpoint,
            model,
            stream_path,
        } => (family, endpoint, model, stream_path),
    };
    let Some(key) = api_key(family, &parts.headers, query) else {
        shared.count(|c| c.unauthorized += 1);
        return unauthorized(family);
    };
    if family == Family::Anthropic && header(&parts.headers, "anthropic-version").is_none() {
        shared.count(|c| c.bad_request += 1);
        return anthropic::missing_version("0000000000000000000000");
    }
    let bytes = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(true) => {
            shared.count(|c| c.payload_too_large += 1);
            return payload_too_large(family);
        }
        Err(false) => {
            shared.count(|c| c.bad_request += 1);
            return invalid(family, &Invalid::Json);
        }
    };
    let mut call = match Call::parse(family, endpoint, &bytes, model.as_deref()) {
        Ok(c) => c,
        Err(inv) => {
            shared.count(|c| c.bad_request += 1);
            return invalid(family, &inv);
        }
    };
    if family == Family::Gemini {
        let sse = query_param(query, "alt") == Some("sse");
        call.stream = stream_path;
        call.json_array_stream = stream_path && !sse;
    }
    if family == Family::Azure {
        call.api_version = query_param(query, "api-version")
            .unwrap_or(azure::DEFAULT_API_VERSION)
            .to_string();
    }
    let mut adm = shared.admit(key, &call);
    let decision = std::mem::replace(&mut adm.decision, Decision::Overloaded);
    match decision {
        Decision::Overloaded => match family {
            Family::OpenAi => openai::overloaded(&adm),
            Family::Azure => azure::overloaded(&adm),
            Family::Anthropic => anthropic::overloaded(&adm),
            Family::Gemini => gemini::overloaded(&call),
        },
        Decision::Refused(r) => match family {
            Family::OpenAi => openai::refused(&call, &adm, &r),
            Family::Azure => azure::refused(&call, &adm, &r),
            Family::Anthropic => anthropic::refused(&call, &adm, &r),
            Family::Gemini => gemini::refused(&call, &adm, &r),
        },
        Decision::Admitted(guard) => {
            if !shared.config.latency.is_zero() {
                tokio::time::sleep(shared.config.latency).await;
            }
            let delay = shared.config.chunk_delay;
            match family {
                Family::OpenAi => openai_body::success(&call, &adm, guard, delay),
                Family::Azure => azure::success(&call, &adm, guard, delay),
                Family::Anthropic => anthropic::success(&call, &adm, guard, delay),
                Family::Gemini => gemini::success(&call, &adm, guard, delay),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_family() {
        let post = Method::POST;
        assert!(matches!(route(&Method::GET, "/_mock/state"), Route::State));
        assert!(matches!(
            route(&post, "/v1/chat/completions"),
            Route::Api {
                family: Family::OpenAi,
                endpoint: Endpoint::Chat,
                ..
            }
        ));
        match route(&post, "/openai/deployments/gpt4o/chat/completions") {
            Route::Api {
                family: Family::Azure,
                model: Some(m),
                ..
            } => assert_eq!(m, "gpt4o"),
            _ => panic!("azure"),
        }
        match route(
            &post,
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        ) {
            Route::Api {
                family: Family::Gemini,
                model: Some(m),
                stream_path: true,
                ..
            } => {
                assert_eq!(m, "gemini-2.5-flash");
            }
            _ => panic!("gemini"),
        }
        assert!(matches!(
            route(&post, "/v1beta/models/x:countTokens"),
            Route::NotFound(Family::Gemini)
        ));
        assert!(matches!(
            route(&post, "/openai/deployments/emb/embeddings"),
            Route::Api {
                family: Family::Azure,
                endpoint: Endpoint::Embeddings,
                ..
            }
        ));
        assert!(matches!(
            route(&post, "/v1/models/gemini-2.5-pro:generateContent"),
            Route::Api {
                family: Family::Gemini,
                stream_path: false,
                ..
            }
        ));
        assert!(matches!(
            route(&post, "/v2/nothing"),
            Route::NotFound(Family::OpenAi)
        ));
        assert_eq!(query_param(Some("alt=sse&key=abc"), "key"), Some("abc"));
    }
}
