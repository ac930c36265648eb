//! End-to-end: auth per family, 400/404/413 bodies, success bodies, `/_mock/state`,
//! determinism with a seed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ratedoctor::emulator::MockConfig;
use ratedoctor::limiter::Limits;
use serde_json::json;

#[tokio::test]
async fn missing_keys_get_each_providers_401() {
    within(20, async {
        let h = start(Limits::default()).await;
        let (c, base) = (client(), h.base_url());
        let a = read(
            c.post(format!("{base}/v1/chat/completions"))
                .json(&chat_body("hi", None))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 401);
        assert_eq!(a.json()["error"]["type"], "invalid_request_error");
        assert!(a.message().starts_with("You didn't provide an API key."));
        let a = read(
            c.post(format!("{base}/v1/messages"))
                .header("anthropic-version", "2023-06-01")
                .json(&anthropic_body("hi", 5))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 401);
        assert_eq!(a.json()["type"], "error");
        assert_eq!(a.json()["error"]["type"], "authentication_error");
        let a = read(
            c.post(format!(
                "{base}/v1beta/models/gemini-2.5-flash:generateContent"
            ))
            .json(&gemini_body("hi"))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(a.status, 401);
        assert_eq!(a.json()["error"]["status"], "UNAUTHENTICATED");
        let a = read(
            c.post(format!(
                "{base}/openai/deployments/d/chat/completions?api-version=2024-10-21"
            ))
            .json(&chat_body("hi", None))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(a.status, 401);
        assert_eq!(a.json()["error"]["code"], "401");
        let a = read(c.get(format!("{base}/v1/models")).send().await.unwrap()).await;
        assert_eq!(a.status, 401);
        // Gemini's ?key= works; so does Azure's Bearer.
        let a = read(
            c.post(format!(
                "{base}/v1beta/models/gemini-2.5-flash:generateContent?key=abc"
            ))
            .json(&gemini_body("hi"))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(state(&c, &base).await["errors"]["unauthorized"], 5);
    })
    .await;
}

#[tokio::test]
async fn bad_bodies_get_400_and_oversize_413() {
    within(30, async {
        let h = start(Limits::default()).await;
        let (c, base) = (client(), h.base_url());
        let raw = |path: &str, body: &'static str| {
            c.post(format!("{base}{path}"))
                .bearer_auth(KEY)
                .header("x-api-key", KEY)
                .header("x-goog-api-key", KEY)
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let a = read(raw("/v1/chat/completions", "{not json").await.unwrap()).await;
        assert_eq!(a.status, 400);
        assert!(
            a.message()
                .starts_with("We could not parse the JSON body of your request.")
        );
        let a = read(
            raw("/v1/chat/completions", r#"{"messages":[]}"#)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (a.status, a.message().as_str()),
            (400, "you must provide a model parameter")
        );
        let a = read(
            raw("/v1/chat/completions", r#"{"model":"gpt-4o"}"#)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 400);
        assert_eq!(a.json()["error"]["param"], "messages");
        let a = read(
            raw("/v1/messages", r#"{"model":"claude","max_tokens":5}"#)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (a.status, a.message().as_str()),
            (400, "messages: Field required")
        );
        assert_eq!(a.json()["error"]["type"], "invalid_request_error");
        let a = read(raw("/v1/messages", "[]").await.unwrap()).await;
        assert_eq!(a.status, 400);
        let a = read(
            raw("/v1beta/models/gemini-2.5-flash:generateContent", "{}")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 400);
        assert_eq!(a.json()["error"]["status"], "INVALID_ARGUMENT");
        let a = read(raw("/v1/nothing", "{}").await.unwrap()).await;
        assert_eq!(a.status, 404);
        // Anthropic needs anthropic-version.
        let a = read(
            c.post(format!("{base}/v1/messages"))
                .header("x-api-key", KEY)
                .json(&anthropic_body("hi", 5))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 400);

        let huge = format!(
            r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":"{}"}}]}}"#,
            "a".repeat(10 * 1024 * 1024 + 10)
        );
        for path in ["/v1/chat/completions", "/v1/messages"] {
            let a = read(
                c.post(format!("{base}{path}"))
                    .bearer_auth(KEY)
                    .header("x-api-key", KEY)
                    .header("anthropic-version", "2023-06-01")
                    .body(huge.clone())
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(a.status, 413, "{path}");
        }
        let s = state(&c, &base).await;
        assert_eq!(s["errors"]["bad_request"], 7);
        assert_eq!(s["errors"]["payload_too_large"], 2);
        assert_eq!(s["errors"]["not_found"], 1);
        assert_eq!(s["ok"], 0);
    })
    .await;
}

#[tokio::test]
async fn success_bodies_carry_ids_usage_and_model() {
    within(20, async {
        let h = start(Limits::default()).await;
        let (c, base) = (client(), h.base_url());
        let v = openai(&c, &base, KEY, &chat_body("abcdefgh", Some(5)))
            .await
            .json();
        assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["model"], "gpt-4o-mini");
        assert_eq!(v["usage"]["prompt_tokens"], 2);
        assert_eq!(v["usage"]["completion_tokens"], 5);
        assert_eq!(v["choices"][0]["finish_reason"], "length");
        let words = v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count();
        assert_eq!(words, 5);

        let v = anthropic(&c, &base, KEY, &anthropic_body("hi", 100))
            .await
            .json();
        assert_eq!(v["type"], "message");
        assert_eq!(v["stop_reason"], "end_turn");
        assert_eq!(v["usage"]["input_tokens"], 1);
        assert!(v["usage"]["output_tokens"].as_u64().unwrap() >= 8);

        let v = gemini(&c, &base, KEY, &gemini_body("hi")).await.json();
        assert_eq!(v["candidates"][0]["finishReason"], "STOP");
        assert_eq!(v["usageMetadata"]["promptTokenCount"], 1);

        let r = c
            .post(format!("{base}/v1/responses"))
            .bearer_auth(KEY)
            .json(&json!({"model": "gpt-4.1", "input": "hi"}))
            .send()
            .await
            .unwrap();
        let v = read(r).await.json();
        assert_eq!(v["object"], "response");
        assert_eq!(v["output"][0]["content"][0]["type"], "output_text");

        let r = c
            .post(format!("{base}/v1/embeddings"))
            .bearer_auth(KEY)
            .json(&json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8}))
            .send()
            .await
            .unwrap();
        let v = read(r).await.json();
        assert_eq!(v["data"].as_array().unwrap().len(), 2);
        assert_eq!(v["data"][1]["embedding"].as_array().unwrap().len(), 8);
        let r = c
            .post(format!("{base}/v1/embeddings"))
            .bearer_auth(KEY)
            .json(
                &json!({"model": "m", "input": "a", "dimensions": 4, "encoding_format": "base64"}),
            )
            .send()
            .await
            .unwrap();
        let v = read(r).await.json();
        assert_eq!(v["data"][0]["embedding"].as_str().unwrap().len(), 24); // 16 bytes

        let r = c
            .get(format!("{base}/v1/models"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert!(read(r).await.json()["data"].as_array().unwrap().len() > 1);

        let s = state(&c, &base).await;
        assert_eq!(s["requests"], 6);
        assert_eq!(s["ok"], 6);
        assert_eq!(s["tokens"]["input"], 2 + 1 + 1 + 1 + 1 + 1);
        assert_eq!(s["in_flight"], 0);
    })
    .await;
}

#[tokio::test]
async fn state_counts_429s_by_kind_and_shows_buckets() {
    within(20, async {
        let h = start(Limits {
            rpm: Some(1),
            tpm: Some(50),
            ..Limits::default()
        })
        .await;
        let (c, base) = (client(), h.base_url());
        assert_eq!(
            openai(&c, &base, KEY, &chat_body("hi", Some(10)))
                .await
                .status,
            200
        );
        assert_eq!(
            openai(&c, &base, KEY, &chat_body("hi", Some(10)))
                .await
                .status,
            429
        );
        assert_eq!(
            openai(&c, &base, KEY, &chat_body("hi", Some(60)))
                .await
                .status,
            429
        );
        let s = state(&c, &base).await;
        assert_eq!(s["rate_limited"]["rpm"], 1);
        assert_eq!(s["rate_limited"]["too_large"], 1);
        assert_eq!(s["rate_limited_total"], 2);
        assert_eq!(s["requests"], 3);
        let key = &s["keys"][0];
        assert_eq!(key["requests"], 3);
        assert_eq!(key["buckets"][0]["dim"], "rpm");
        assert_eq!(key["buckets"][0]["remaining"], 0);
        assert_eq!(key["buckets"][1]["dim"], "tpm");
        assert_eq!(key["buckets"][1]["remaining"], 40);
        assert_eq!(h.state()["requests"], 3, "the in-process view agrees");
    })
    .await;
}

/// `openai-processing-ms` is the server's time on the call, as OpenAI's is: the latency
/// for an admitted call, next to nothing for a refusal; `/_mock/state` says when the first
/// and the latest call met the limits.
#[tokio::test]
async fn openai_answers_give_the_servers_time_and_state_dates_the_calls() {
    within(20, async {
        let h = start_with(MockConfig {
            limits: Limits {
                rpm: Some(1),
                ..Limits::default()
            },
            latency: std::time::Duration::from_millis(300),
            ..MockConfig::default()
        })
        .await;
        let (c, base) = (client(), h.base_url());
        let ms = |a: &Answer| -> u64 { a.header("openai-processing-ms").unwrap().parse().unwrap() };
        let before = state(&c, &base).await;
        assert!(before["first_call_s"].is_null(), "{before}");
        let ok = openai(&c, &base, KEY, &chat_body("hi", Some(5))).await;
        assert_eq!(ok.status, 200);
        assert!((300..1000).contains(&ms(&ok)), "{}", ms(&ok));
        let refused = openai(&c, &base, KEY, &chat_body("hi", Some(5))).await;
        assert_eq!(refused.status, 429);
        assert!(ms(&refused) < 100, "{}", ms(&refused));
        let s = state(&c, &base).await;
        let (first, last) = (
            s["first_call_s"].as_f64().unwrap(),
            s["last_call_s"].as_f64().unwrap(),
        );
        assert!(
            last - first >= 0.3 && last <= s["uptime_s"].as_f64().unwrap(),
            "{s}"
        );
    })
    .await;
}

#[tokio::test]
async fn same_seed_same_answers() {
    within(20, async {
        let mut bodies = Vec::new();
        for seed in [9, 9, 10] {
            let h = start_with(MockConfig {
                seed,
                ..MockConfig::default()
            })
            .await;
            let a = openai(&client(), &h.base_url(), KEY, &chat_body("hi", None)).await;
            let v = a.json();
            bodies.push((
                v["id"].clone(),
                v["choices"][0]["message"]["content"].clone(),
            ));
            h.shutdown().await;
        }
        assert_eq!(bodies[0], bodies[1]);
        assert_ne!(bodies[0], bodies[2]);
    })
    .await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    within(20, async {
        let h = start(Limits::default()).await;
        let addr = h.addr();
        h.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
        let h = start(Limits::default()).await;
        let addr = h.addr();
        drop(h);
        tokio::task::yield_now().await;
        let c = client();
        assert!(
            c.get(format!("http://{addr}/_mock/state"))
                .send()
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn azure_embeddings_and_gemini_v1_paths() {
    within(20, async {
        let h = start(Limits { rpm: Some(1), ..Limits::default() }).await;
        let (c, base) = (client(), h.base_url());
        let url = format!("{base}/openai/deployments/emb-prod/embeddings?api-version=2024-10-21");
        let body = json!({"input": "hello", "dimensions": 4});
        let a = read(c.post(&url).header("api-key", KEY).json(&body).send().await.unwrap()).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.json()["model"], "emb-prod");
        assert_eq!(a.json()["data"][0]["embedding"].as_array().unwrap().len(), 4);
        let a = read(c.post(&url).header("api-key", KEY).json(&body).send().await.unwrap()).await;
        assert_eq!(a.status, 429);
        assert!(a.message().starts_with("Requests to the Embeddings_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit"), "{}", a.text);

        let url = format!("{base}/v1/models/gemini-2.5-pro:generateContent?key=g");
        let a = read(c.post(&url).json(&gemini_body("hi")).send().await.unwrap()).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.json()["modelVersion"], "gemini-2.5-pro");
    })
    .await;
}

/// As the providers' servers do, a whole JSON answer is gzip-compressed for a client that
/// accepts gzip, and nothing else is: not a client that does not ask, not a stream.
#[tokio::test]
async fn whole_answers_are_gzipped_when_asked_and_streams_never() {
    within(20, async {
        let h = start(Limits::default()).await;
        let (c, base) = (client(), h.base_url());
        let post = |body: serde_json::Value, accept: &'static str| {
            c.post(format!("{base}/v1/chat/completions"))
                .bearer_auth(KEY)
                .header("accept-encoding", accept)
                .json(&body)
                .send()
        };
        let r = post(chat_body("hi", Some(5)), "gzip, deflate")
            .await
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip");
        assert_eq!(r.headers()["vary"], "accept-encoding");
        let v: serde_json::Value =
            serde_json::from_str(&gunzip(&r.bytes().await.unwrap())).unwrap();
        assert_eq!(v["usage"]["completion_tokens"], 5);
        let r = post(chat_body("hi", Some(5)), "identity").await.unwrap();
        assert!(r.headers().get("content-encoding").is_none());
        let mut stream = chat_body("hi", Some(5));
        stream["stream"] = json!(true);
        let r = post(stream, "gzip").await.unwrap();
        assert!(r.headers().get("content-encoding").is_none());
        assert!(r.text().await.unwrap().contains("data: [DONE]"));
    })
    .await;
}

/// `mock` lets slow and idle clients go and caps its connections, as the proxy does
/// (issue #15, defect 4: 200 slowloris connections were held for 40 s, idle ones forever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_let_go_and_a_full_emulator_says_503() {
    within(30, async {
        let h = start_with(MockConfig {
            header_read_timeout: std::time::Duration::from_millis(800),
            max_connections: 3,
            ..MockConfig::default()
        })
        .await;
        let addr = h.base_url().trim_start_matches("http://").to_string();
        let held =
            slow_idle_and_full(&addr, b"GET /_mock/state HTTP/1.1\r\nhost: x\r\n\r\n", 3).await;
        drop(held);
        // Once the held connections are gone (and the server has seen them go), it serves
        // again.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let s = state(&client(), &h.base_url()).await;
        assert_eq!(s["requests"], 0, "{s}");
    })
    .await;
}
