//! End-to-end: each family's streaming format arrives chunk by chunk and parses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ratedoctor::emulator::MockConfig;
use serde_json::{Value, json};
use std::time::Duration;

async fn streaming() -> ratedoctor::emulator::MockHandle {
    start_with(MockConfig {
        chunk_delay: Duration::from_millis(15),
        seed: 3,
        ..MockConfig::default()
    })
    .await
}

fn data(e: &Event) -> Value {
    serde_json::from_str(&e.data).unwrap_or_else(|err| panic!("{err}: {}", e.data))
}

/// The stream really is incremental: the first event arrives well before the last.
fn assert_incremental(events: &[Event]) {
    let (first, last) = (events[0].at, events[events.len() - 1].at);
    let spread = last.duration_since(first);
    let min = Duration::from_millis(15 * (events.len() as u64 - 1) / 2);
    assert!(
        spread >= min,
        "{} events arrived within {spread:?}",
        events.len()
    );
}

#[tokio::test]
async fn openai_chat_stream_with_usage_and_done() {
    within(20, async {
        let h = streaming().await;
        let mut body = chat_body("tell me about limits", Some(12));
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let r = client()
            .post(format!("{}/v1/chat/completions", h.base_url()))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        assert!(r.headers().contains_key("x-request-id"));
        let events = sse_events(r).await;
        assert_incremental(&events);
        assert_eq!(events.last().unwrap().data, "[DONE]");
        let chunks: Vec<Value> = events[..events.len() - 1].iter().map(data).collect();
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let mut text = String::new();
        for c in &chunks {
            assert_eq!(c["object"], "chat.completion.chunk");
            assert!(
                c.get("usage").is_some(),
                "include_usage puts usage on every chunk"
            );
            if let Some(piece) = c["choices"][0]["delta"]["content"].as_str() {
                text.push_str(piece);
            }
        }
        let last = chunks.last().unwrap();
        assert_eq!(last["choices"], json!([]));
        let usage = &last["usage"];
        let words = text.split_whitespace().count() as u64;
        assert_eq!(usage["completion_tokens"], words);
        assert_eq!(usage["prompt_tokens"], 5); // 20 chars / 4
        assert_eq!(usage["total_tokens"], 5 + words);
        let finish = &chunks[chunks.len() - 2]["choices"][0]["finish_reason"];
        assert!(finish == "stop" || finish == "length");
    })
    .await;
}

#[tokio::test]
async fn openai_stream_without_include_usage_has_no_usage_chunk() {
    within(20, async {
        let h = streaming().await;
        let mut body = chat_body("hi", None);
        body["stream"] = json!(true);
        let r = client()
            .post(format!("{}/v1/chat/completions", h.base_url()))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let events = sse_events(r).await;
        assert_eq!(events.last().unwrap().data, "[DONE]");
        for e in &events[..events.len() - 1] {
            let c = data(e);
            assert!(c.get("usage").is_none());
            assert_eq!(c["choices"].as_array().unwrap().len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn responses_stream_events() {
    within(20, async {
        let h = streaming().await;
        let body = json!({"model": "gpt-4.1", "input": "hello", "stream": true});
        let r = client()
            .post(format!("{}/v1/responses", h.base_url()))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let events = sse_events(r).await;
        let names: Vec<&str> = events
            .iter()
            .map(|e| e.name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(names[0], "response.created");
        assert_eq!(*names.last().unwrap(), "response.completed");
        assert!(names.contains(&"response.output_text.delta"));
        let done = data(events.last().unwrap());
        assert_eq!(done["response"]["status"], "completed");
        assert!(done["response"]["usage"]["output_tokens"].as_u64().unwrap() >= 8);
        for (i, e) in events.iter().enumerate() {
            assert_eq!(data(e)["sequence_number"], i);
        }
    })
    .await;
}

#[tokio::test]
async fn anthropic_stream_events_in_order() {
    within(20, async {
        let h = streaming().await;
        let mut body = anthropic_body("hello there", 9);
        body["stream"] = json!(true);
        let r = client()
            .post(format!("{}/v1/messages", h.base_url()))
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let events = sse_events(r).await;
        assert_incremental(&events);
        let names: Vec<&str> = events
            .iter()
            .map(|e| e.name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            &names[..3],
            ["message_start", "content_block_start", "ping"]
        );
        let n = names.len();
        assert_eq!(
            &names[n - 3..],
            ["content_block_stop", "message_delta", "message_stop"]
        );
        assert!(names[3..n - 3].iter().all(|n| *n == "content_block_delta"));
        for e in &events {
            assert_eq!(data(e)["type"], e.name.clone().unwrap());
        }
        let start = data(&events[0]);
        assert_eq!(start["message"]["usage"]["input_tokens"], 3);
        assert!(
            start["message"]["id"]
                .as_str()
                .unwrap()
                .starts_with("msg_01")
        );
        let delta = data(&events[n - 2]);
        let out = delta["usage"]["output_tokens"].as_u64().unwrap();
        assert_eq!(out, (n - 6) as u64);
        assert!((1..=9).contains(&out), "max_tokens 9 caps the answer");
        let stop = delta["delta"]["stop_reason"].as_str().unwrap();
        assert!(
            stop == "max_tokens" || (stop == "end_turn" && out < 9),
            "{stop} {out}"
        );
    })
    .await;
}

#[tokio::test]
async fn gemini_sse_and_json_array_streams() {
    within(20, async {
        let h = streaming().await;
        let c = client();
        let url = format!(
            "{}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            h.base_url()
        );
        let r = c
            .post(&url)
            .header("x-goog-api-key", KEY)
            .json(&gemini_body("abcdefgh"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let events = sse_events(r).await;
        assert_incremental(&events);
        let mut text = String::new();
        for e in &events {
            assert!(e.name.is_none());
            let v = data(e);
            text.push_str(
                v["candidates"][0]["content"]["parts"][0]["text"]
                    .as_str()
                    .unwrap(),
            );
            assert_eq!(v["usageMetadata"]["promptTokenCount"], 2);
        }
        let last = data(events.last().unwrap());
        assert_eq!(last["candidates"][0]["finishReason"], "STOP");
        assert_eq!(
            last["usageMetadata"]["candidatesTokenCount"],
            text.split_whitespace().count() as u64
        );

        // Without alt=sse: one JSON array, streamed.
        let url = format!(
            "{}/v1beta/models/gemini-2.5-flash:streamGenerateContent?key={KEY}",
            h.base_url()
        );
        let a = read(
            c.post(&url)
                .json(&gemini_body("abcdefgh"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 200);
        let arr = a.json();
        assert!(arr.as_array().is_some_and(|a| a.len() >= 8));
    })
    .await;
}

#[tokio::test]
async fn streams_hold_the_concurrency_slot_until_done() {
    within(20, async {
        let h = start_with(MockConfig {
            limits: ratedoctor::limiter::Limits {
                concurrency: Some(1),
                ..Default::default()
            },
            chunk_delay: Duration::from_millis(40),
            ..MockConfig::default()
        })
        .await;
        let c = client();
        let mut body = anthropic_body("hi", 10);
        body["stream"] = json!(true);
        let first = c
            .post(format!("{}/v1/messages", h.base_url()))
            .header("x-api-key", KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 200);
        let second = anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 10)).await;
        assert_eq!(second.status, 429, "the open stream holds the only slot");
        let _ = sse_events(first).await;
        // The slot is freed when the stream ends (checked via state, no sleep).
        let mut freed = false;
        for _ in 0..100 {
            if state(&c, &h.base_url()).await["in_flight"] == 0 {
                freed = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(freed);
        assert_eq!(
            anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 10))
                .await
                .status,
            200
        );
    })
    .await;
}
