//! OpenAI success bodies: chat completions (JSON and `chat.completion.chunk` SSE with
//! `data: [DONE]` and `stream_options.include_usage`), Responses (JSON and typed SSE
//! events), embeddings (floats or base64) and the model list. Azure reuses them.

use super::call::{Call, Endpoint};
use super::openai::common_headers;
use super::reply::{json, text};
use super::rng::{Rng, base64, fnv1a};
use super::sse;
use super::state::{Admission, Guard};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use std::time::Duration;

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
