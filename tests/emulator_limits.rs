//! End-to-end: past each limit every family answers its exact 429 with true numbers and
//! correct headers; waiting the advertised time is enough; quota never recovers; the
//! concurrency cap holds; overload draws are seeded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ratedoctor::diagnose::Provider;
use ratedoctor::duration::parse_go;
use ratedoctor::emulator::MockConfig;
use ratedoctor::headers::{self, Dimension};
use ratedoctor::limiter::Limits;
use regex::Regex;
use std::time::Duration;

fn num(s: Option<&str>) -> f64 {
    s.and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

const OPENAI_RE: &str = r"^Rate limit reached for gpt-4o-mini in organization (org-[A-Za-z0-9]{24}) on (requests|tokens) per (min|day) \((RPM|TPM|RPD|TPD)\): Limit (\d+), Used (\d+), Requested (\d+)\. Please try again in (\S+)\. Visit https://platform\.openai\.com/account/rate-limits to learn more\.$";

/// The capture groups of the OpenAI grammar (0 = whole message).
fn openai_caps(a: &Answer) -> Vec<String> {
    let msg = a.message();
    let caps = Regex::new(OPENAI_RE)
        .unwrap()
        .captures(&msg)
        .unwrap_or_else(|| panic!("{}", a.text));
    caps.iter()
        .map(|m| m.map_or(String::new(), |m| m.as_str().to_string()))
        .collect()
}

#[tokio::test]
async fn openai_rpm_429_has_true_numbers_and_headers() {
    within(20, async {
        let h = start(Limits {
            rpm: Some(3),
            ..Limits::default()
        })
        .await;
        let c = client();
        for i in 0..3 {
            let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
            assert_eq!(a.status, 200, "{}", a.text);
            assert_eq!(
                a.header("x-ratelimit-remaining-requests"),
                Some(&*(2 - i).to_string())
            );
        }
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        assert_eq!(a.status, 429);
        let v = a.json();
        assert_eq!(v["error"]["type"], "requests");
        assert_eq!(v["error"]["code"], "rate_limit_exceeded");
        assert!(v["error"]["param"].is_null());
        let caps = openai_caps(&a);
        assert_eq!(&caps[2..8], ["requests", "min", "RPM", "3", "3", "1"]);
        let wait = parse_go(&caps[8]).unwrap();
        assert!((19.9..=20.0).contains(&wait), "wait {wait}");
        assert_eq!(a.header("retry-after"), Some("20"));
        assert_eq!(a.header("x-ratelimit-limit-requests"), Some("3"));
        assert_eq!(a.header("x-ratelimit-remaining-requests"), Some("0"));
        assert!(
            a.header("x-request-id")
                .is_some_and(|v| v.starts_with("req_"))
        );
        let snap = headers::parse(&a.pairs(), Some(Provider::Openai), None);
        let b = snap.get(Dimension::Requests).expect("requests budget");
        assert_eq!((b.limit, b.remaining), (Some(3.0), Some(0.0)));
        assert!(b.reset_s.is_some_and(|r| r > 59.0 && r <= 60.0), "{b:?}");
        assert_eq!(snap.retry_after_s, Some(20.0));
    })
    .await;
}

#[tokio::test]
async fn openai_tpm_charges_max_tokens_and_reports_used() {
    within(20, async {
        let h = start(Limits {
            tpm: Some(1000),
            ..Limits::default()
        })
        .await;
        let c = client();
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(600))).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.header("x-ratelimit-remaining-tokens"), Some("400"));
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(500))).await;
        assert_eq!(a.status, 429);
        assert_eq!(a.json()["error"]["type"], "tokens");
        let caps = openai_caps(&a);
        assert_eq!(caps[4], "TPM");
        assert_eq!(caps[5], "1000");
        let used: u64 = caps[6].parse().unwrap();
        let remaining: u64 = a
            .header("x-ratelimit-remaining-tokens")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(used + remaining, 1000, "Used matches the bucket");
        assert!((599..=600).contains(&used));
        assert_eq!(caps[7], "500");
        // (500 - 400) tokens at 1000/60 per second: 6 s.
        let wait = parse_go(&caps[8]).unwrap();
        assert!((5.9..=6.0).contains(&wait), "{wait}");
    })
    .await;
}

#[tokio::test]
async fn openai_request_bigger_than_tpm_is_too_large() {
    within(20, async {
        let h = start(Limits { tpm: Some(1000), ..Limits::default() }).await;
        let a = openai(&client(), &h.base_url(), KEY, &chat_body("hi", Some(1500))).await;
        assert_eq!(a.status, 429);
        let re = Regex::new(r"^Request too large for gpt-4o-mini in organization org-\w{24} on tokens per min \(TPM\): Limit 1000, Requested 1500\. The input or output tokens must be reduced in order to run successfully\. Visit https://platform\.openai\.com/account/rate-limits to learn more\.$").unwrap();
        assert!(re.is_match(&a.message()), "{}", a.text);
        assert_eq!(a.json()["error"]["type"], "tokens");
        assert_eq!(a.header("retry-after"), None);
    })
    .await;
}

#[tokio::test]
async fn openai_day_limits_wait_until_utc_midnight() {
    within(20, async {
        let h = start(Limits {
            rpd: Some(2),
            tpd: Some(100_000),
            ..Limits::default()
        })
        .await;
        let c = client();
        for _ in 0..2 {
            assert_eq!(
                openai(&c, &h.base_url(), KEY, &chat_body("hi", None))
                    .await
                    .status,
                200
            );
        }
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        assert_eq!(a.status, 429);
        let caps = openai_caps(&a);
        assert_eq!(&caps[3..7], ["day", "RPD", "2", "2"]);
        let now = jiff::Timestamp::now().as_second();
        let to_midnight = (86_400 - now.rem_euclid(86_400)) as f64;
        let wait = parse_go(&caps[8]).unwrap();
        assert!((wait - to_midnight).abs() < 3.0, "{wait} vs {to_midnight}");

        let h = start(Limits {
            tpd: Some(100),
            ..Limits::default()
        })
        .await;
        assert_eq!(
            openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(80)))
                .await
                .status,
            200
        );
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(80))).await;
        let caps = openai_caps(&a);
        assert_eq!(&caps[4..8], ["TPD", "100", "80", "80"]);
        assert_eq!(caps[2], "tokens");
        assert_eq!(a.json()["error"]["type"], "tokens");
    })
    .await;
}

#[tokio::test]
async fn waiting_the_advertised_time_succeeds_in_every_family() {
    within(30, async {
        let limits = Limits {
            tpm: Some(6000),
            output_tpm: Some(6000),
            ..Limits::default()
        };
        let h = start(limits).await;
        let (c, base) = (client(), h.base_url());

        // OpenAI: the message's Go duration.
        assert_eq!(
            openai(&c, &base, "k-openai", &chat_body("hi", Some(6000)))
                .await
                .status,
            200
        );
        let a = openai(&c, &base, "k-openai", &chat_body("hi", Some(50))).await;
        assert_eq!(a.status, 429);
        let caps = openai_caps(&a);
        tokio::time::sleep(Duration::from_secs_f64(parse_go(&caps[8]).unwrap())).await;
        assert_eq!(
            openai(&c, &base, "k-openai", &chat_body("hi", Some(50)))
                .await
                .status,
            200
        );

        // Azure: retry-after-ms.
        assert_eq!(
            azure(&c, &base, "k-azure", &chat_body("hi", Some(6000)))
                .await
                .status,
            200
        );
        let a = azure(&c, &base, "k-azure", &chat_body("hi", Some(50))).await;
        assert_eq!(a.status, 429);
        let ms = num(a.header("retry-after-ms"));
        assert!((400.0..=500.0).contains(&ms), "{ms}");
        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        assert_eq!(
            azure(&c, &base, "k-azure", &chat_body("hi", Some(50)))
                .await
                .status,
            200
        );

        // Anthropic: retry-after (whole seconds).
        assert_eq!(
            anthropic(&c, &base, "k-anthropic", &anthropic_body("hi", 6000))
                .await
                .status,
            200
        );
        let a = anthropic(&c, &base, "k-anthropic", &anthropic_body("hi", 50)).await;
        assert_eq!(a.status, 429);
        assert_eq!(a.header("retry-after"), Some("1"));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            anthropic(&c, &base, "k-anthropic", &anthropic_body("hi", 50))
                .await
                .status,
            200
        );

        // Gemini: "Please retry in Xs." (input tokens: 24 000 chars = 6000 tokens).
        let big = "x".repeat(24_000);
        assert_eq!(
            gemini(&c, &base, "k-gemini", &gemini_body(&big))
                .await
                .status,
            200
        );
        let a = gemini(&c, &base, "k-gemini", &gemini_body(&"y".repeat(200))).await;
        assert_eq!(a.status, 429, "{}", a.text);
        let msg = a.message();
        let secs: f64 = Regex::new(r"Please retry in ([0-9.]+)s\.$")
            .unwrap()
            .captures(&msg)
            .expect(&msg)[1]
            .parse()
            .unwrap();
        assert!((0.4..=0.5).contains(&secs), "{secs}");
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        assert_eq!(
            gemini(&c, &base, "k-gemini", &gemini_body(&"y".repeat(200)))
                .await
                .status,
            200
        );
    })
    .await;
}

#[tokio::test]
async fn quota_never_recovers_in_any_family() {
    within(20, async {
        let h = start(Limits {
            quota_tokens: Some(40),
            ..Limits::default()
        })
        .await;
        let (c, base) = (client(), h.base_url());
        let regain =
            Regex::new(r"You will regain access on \d{4}-\d{2}-01 at 00:00 UTC\.$").unwrap();
        for family in ["openai", "azure", "anthropic", "gemini"] {
            let call = |c: reqwest::Client, base: String| async move {
                match family {
                    "openai" => openai(&c, &base, family, &chat_body("hi", Some(30))).await,
                    "azure" => azure(&c, &base, family, &chat_body("hi", Some(30))).await,
                    "anthropic" => anthropic(&c, &base, family, &anthropic_body("hi", 30)).await,
                    _ => gemini(&c, &base, family, &gemini_body("hi")).await,
                }
            };
            let mut ok = 0;
            let mut last = None;
            for _ in 0..10 {
                let a = call(c.clone(), base.clone()).await;
                if a.status == 200 {
                    ok += 1;
                } else {
                    last = Some(a);
                    break;
                }
            }
            assert!(ok >= 2, "{family}: {ok} calls before the quota ran out");
            let first = last.expect("quota ran out");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let again = call(c.clone(), base.clone()).await;
            for a in [&first, &again] {
                assert_eq!(a.status, 429, "{family}: {}", a.text);
                assert_eq!(a.header("retry-after"), None, "{family}");
                match family {
                    "openai" | "azure" => {
                        assert_eq!(a.json()["error"]["code"], "insufficient_quota");
                        assert_eq!(a.json()["error"]["type"], "insufficient_quota");
                    }
                    "anthropic" => {
                        let v = a.json();
                        assert_eq!(v["error"]["type"], "rate_limit_error");
                        assert_eq!(
                            v["error"]["details"]["error_code"],
                            "enforced_spend_limit_reached"
                        );
                        assert!(regain.is_match(&a.message()));
                    }
                    _ => assert!(
                        a.message()
                            .starts_with("Your prepayment credits are depleted.")
                    ),
                }
            }
        }
        let s = state(&c, &base).await;
        assert!(s["rate_limited"]["quota"].as_u64().unwrap() >= 8);
    })
    .await;
}

#[tokio::test]
async fn concurrency_cap_holds_under_parallel_requests() {
    within(30, async {
        let config = MockConfig {
            limits: Limits { concurrency: Some(2), ..Limits::default() },
            latency: Duration::from_millis(1500),
            ..MockConfig::default()
        };
        let h = start_with(config).await;
        let (c, base) = (client(), h.base_url());
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (c, base) = (c.clone(), base.clone());
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    openai(&c, &base, KEY, &chat_body("hi", None)).await
                } else {
                    anthropic(&c, &base, KEY, &anthropic_body("hi", 10)).await
                }
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        let ok = answers.iter().filter(|a| a.status == 200).count();
        assert_eq!(ok, 2, "exactly the cap runs at once");
        for a in answers.iter().filter(|a| a.status != 200) {
            assert_eq!(a.status, 429);
            let m = a.message();
            assert!(
                m == "Number of concurrent connections has exceeded your rate limit. Please try again later or contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase."
                    || m.contains("your current concurrency is 3, which exceeds your concurrency limit of 2"),
                "{m}"
            );
        }
        let s = state(&c, &base).await;
        assert_eq!(s["rate_limited"]["concurrency"], 4);
        assert_eq!(s["in_flight"], 0, "slots are released");
        // Once they finished, a new request gets through.
        assert_eq!(openai(&c, &base, KEY, &chat_body("hi", None)).await.status, 200);
    })
    .await;
}

#[tokio::test]
async fn anthropic_limits_use_the_2026_grammar_and_rfc3339_headers() {
    within(20, async {
        let limits = Limits {
            rpm: Some(50),
            input_tpm: Some(30_000),
            output_tpm: Some(8_000),
            ..Limits::default()
        };
        let h = start(limits).await;
        let (c, base) = (client(), h.base_url());
        let big = "z".repeat(100_000); // 25 000 input tokens
        let a = anthropic(&c, &base, KEY, &anthropic_body(&big, 100)).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.header("anthropic-ratelimit-input-tokens-limit"), Some("30000"));
        assert_eq!(a.header("anthropic-ratelimit-input-tokens-remaining"), Some("5000"));
        assert_eq!(a.header("anthropic-ratelimit-tokens-limit"), Some("38000"));
        assert_eq!(a.header("anthropic-ratelimit-requests-remaining"), Some("49"));
        assert!(a.header("request-id").is_some_and(|r| r.starts_with("req_011C")));
        let snap = headers::parse(&a.pairs(), Some(Provider::Anthropic), Some(jiff::Timestamp::now()));
        let input = snap.get(Dimension::InputTokens).expect("input budget");
        assert!(input.reset_at.as_deref().is_some_and(|r| r.ends_with('Z')));
        assert!(input.reset_s.is_some_and(|s| s > 45.0 && s <= 52.0), "{input:?}");

        let a = anthropic(&c, &base, KEY, &anthropic_body(&big, 100)).await;
        assert_eq!(a.status, 429);
        let re = Regex::new(r"^This request would exceed your organization's rate limit of 30,000 input tokens per minute \(org: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}, model: claude-sonnet-4-20250514\)\. For details, refer to: https://docs\.claude\.com/en/api/rate-limits\. You can see the response headers for current usage\. Please reduce the prompt length or the maximum tokens requested, or try again later\. You may also contact sales at https://claude\.com/contact-sales to discuss your options for a rate limit increase\.$").unwrap();
        assert!(re.is_match(&a.message()), "{}", a.text);
        assert_eq!(a.json()["error"]["type"], "rate_limit_error");
        assert!(a.json()["request_id"].as_str().is_some_and(|r| r.starts_with("req_011C")));
        // (25 000 - 5 000) / 500 per second = 40 s.
        assert_eq!(a.header("retry-after"), Some("40"));

        let a = anthropic(&c, &base, "other", &anthropic_body("hi", 8000)).await;
        assert_eq!(a.status, 200);
        let a = anthropic(&c, &base, "other", &anthropic_body("hi", 4000)).await;
        assert_eq!(a.status, 429);
        assert!(a.message().contains("rate limit of 8,000 output tokens per minute"), "{}", a.text);
        assert_eq!(a.header("retry-after"), Some("30"));
    })
    .await;
}

#[tokio::test]
async fn anthropic_rpm_and_overload() {
    within(20, async {
        let h = start(Limits { rpm: Some(2), ..Limits::default() }).await;
        let (c, base) = (client(), h.base_url());
        for _ in 0..2 {
            assert_eq!(anthropic(&c, &base, KEY, &anthropic_body("hi", 5)).await.status, 200);
        }
        let a = anthropic(&c, &base, KEY, &anthropic_body("hi", 5)).await;
        assert!(a.message().starts_with("This request would exceed your organization's rate limit of 2 requests per minute (org: "));
        assert_eq!(a.header("retry-after"), Some("30"));

        let config = MockConfig { overload: 1.0, ..MockConfig::default() };
        let h = start_with(config).await;
        let base = h.base_url();
        let a = anthropic(&c, &base, KEY, &anthropic_body("hi", 5)).await;
        assert_eq!(a.status, 529);
        assert_eq!(a.json()["error"]["type"], "overloaded_error");
        assert_eq!(a.message(), "Overloaded");
        let a = openai(&c, &base, KEY, &chat_body("hi", None)).await;
        assert_eq!(a.status, 503);
        assert_eq!(a.json()["error"]["code"], "server_is_overloaded");
        let a = gemini(&c, &base, KEY, &gemini_body("hi")).await;
        assert_eq!(a.status, 503);
        assert_eq!(a.json()["error"]["status"], "UNAVAILABLE");
        assert_eq!(state(&c, &base).await["overloaded"], 3);
    })
    .await;
}

#[tokio::test]
async fn overload_draws_are_deterministic_with_a_seed() {
    within(20, async {
        let mut runs = Vec::new();
        for _ in 0..2 {
            let config = MockConfig {
                overload: 0.5,
                seed: 42,
                ..MockConfig::default()
            };
            let h = start_with(config).await;
            let c = client();
            let mut seq = Vec::new();
            for _ in 0..20 {
                let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
                let id = a.json()["id"].as_str().unwrap_or("").to_string();
                seq.push((a.status, id));
            }
            runs.push(seq);
        }
        assert_eq!(runs[0], runs[1]);
        let overloaded = runs[0].iter().filter(|(s, _)| *s == 503).count();
        assert!((3..=17).contains(&overloaded), "{overloaded} of 20");
    })
    .await;
}

#[tokio::test]
async fn azure_429_says_call_or_token_and_retry_after() {
    within(20, async {
        let h = start(Limits { rpm: Some(1), tpm: Some(100_000), ..Limits::default() }).await;
        let (c, base) = (client(), h.base_url());
        assert_eq!(azure(&c, &base, KEY, &chat_body("hi", None)).await.status, 200);
        let a = azure(&c, &base, KEY, &chat_body("hi", None)).await;
        assert_eq!(a.status, 429);
        assert_eq!(a.json()["error"]["code"], "429");
        assert_eq!(a.message(), "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-08-01-preview have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 60 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.");
        assert_eq!(a.header("retry-after"), Some("60"));
        let ms = num(a.header("retry-after-ms"));
        assert!((59_900.0..=60_000.0).contains(&ms), "{ms}");
        assert_eq!(a.header("x-ratelimit-remaining-requests"), Some("0"));
        assert!(a.header("x-ms-region").is_some());
        let snap = headers::parse(&a.pairs(), Some(Provider::Azure), None);
        assert!(snap.retry_after_s.is_some_and(|r| r > 59.0 && r <= 60.0));

        let h = start(Limits { tpm: Some(100), ..Limits::default() }).await;
        assert_eq!(azure(&c, &h.base_url(), KEY, &chat_body("hi", Some(90))).await.status, 200);
        let a = azure(&c, &h.base_url(), KEY, &chat_body("hi", Some(90))).await;
        assert!(a.message().contains("have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 48 seconds."), "{}", a.text);
    })
    .await;
}

#[tokio::test]
async fn gemini_429_carries_quota_failure_retry_info_and_the_message_tail() {
    within(20, async {
        let h = start(Limits { rpm: Some(2), rpd: Some(1000), ..Limits::default() }).await;
        let (c, base) = (client(), h.base_url());
        for _ in 0..2 {
            let a = gemini(&c, &base, KEY, &gemini_body("hi")).await;
            assert_eq!(a.status, 200);
            assert!(!a.headers.iter().any(|(n, _)| n.contains("ratelimit")), "Gemini sends no rate-limit headers");
        }
        let a = gemini(&c, &base, KEY, &gemini_body("hi")).await;
        assert_eq!(a.status, 429);
        let v = a.json();
        assert_eq!(v["error"]["code"], 429);
        assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
        let d = &v["error"]["details"];
        assert_eq!(d[0]["@type"], "type.googleapis.com/google.rpc.QuotaFailure");
        let viol = &d[0]["violations"][0];
        assert_eq!(viol["quotaId"], "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
        assert_eq!(viol["quotaMetric"], "generativelanguage.googleapis.com/generate_content_free_tier_requests");
        assert_eq!(viol["quotaDimensions"]["model"], "gemini-2.5-flash");
        assert_eq!(viol["quotaValue"], "2");
        assert_eq!(d[1]["@type"], "type.googleapis.com/google.rpc.Help");
        assert_eq!(d[2]["@type"], "type.googleapis.com/google.rpc.RetryInfo");
        assert_eq!(d[2]["retryDelay"], "30s");
        let re = Regex::new(r"\n\* Quota exceeded for metric: generativelanguage\.googleapis\.com/generate_content_free_tier_requests, limit: 2, model: gemini-2\.5-flash\nPlease retry in (29\.9\d*|30)s\.$").unwrap();
        assert!(re.is_match(&a.message()), "{:?}", a.message());
    })
    .await;
}

#[tokio::test]
async fn limits_are_kept_per_key() {
    within(20, async {
        let h = start(Limits {
            rpm: Some(1),
            ..Limits::default()
        })
        .await;
        let (c, base) = (client(), h.base_url());
        assert_eq!(
            openai(&c, &base, "key-a", &chat_body("hi", None))
                .await
                .status,
            200
        );
        assert_eq!(
            openai(&c, &base, "key-a", &chat_body("hi", None))
                .await
                .status,
            429
        );
        assert_eq!(
            openai(&c, &base, "key-b", &chat_body("hi", None))
                .await
                .status,
            200
        );
        let s = state(&c, &base).await;
        assert_eq!(s["keys"].as_array().unwrap().len(), 2);
        assert!(
            !s.to_string().contains("key-a"),
            "keys never appear in the state"
        );
    })
    .await;
}
