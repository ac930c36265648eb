//! Cross-check: `explain` (the diagnose engine) on every 429/503/529 body the emulator
//! produces must name the right provider and limit kind, with the numbers the message
//! states (limit, used, requested, retry time). Needs the real engine from the main branch;
//! with the placeholder `diagnose` (returns nothing) these tests fail by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ratedoctor::diagnose::{Diagnosis, Kind, Provider, diagnose};
use ratedoctor::duration::parse_go;
use ratedoctor::emulator::MockConfig;
use ratedoctor::limiter::Limits;
use regex::Regex;
use std::time::Duration;

/// What explain must find in one body.
struct Want {
    label: &'static str,
    providers: &'static [Provider],
    kinds: &'static [Kind],
    retryable: bool,
    limit: Option<f64>,
    used: Option<f64>,
    requested: Option<f64>,
    /// Checked when the message states a retry time.
    retry_s: Option<f64>,
}

fn check(a: &Answer, w: &Want) {
    let found = diagnose(&a.text);
    let d: &Diagnosis = found
        .first()
        .unwrap_or_else(|| panic!("{}: explain found nothing in {}", w.label, a.text));
    assert!(
        w.providers.contains(&d.provider),
        "{}: provider {:?}\n{}",
        w.label,
        d.provider,
        a.text
    );
    assert!(
        w.kinds.contains(&d.kind),
        "{}: kind {:?}\n{}",
        w.label,
        d.kind,
        a.text
    );
    assert_eq!(
        d.retryable, w.retryable,
        "{}: retryable\n{}",
        w.label, a.text
    );
    for (name, want, got) in [
        ("limit", w.limit, d.limit),
        ("used", w.used, d.used),
        ("requested", w.requested, d.requested),
    ] {
        if let Some(want) = want {
            assert_eq!(got, Some(want), "{}: {name}\n{}", w.label, a.text);
        }
    }
    if let Some(want) = w.retry_s {
        let got = d
            .retry_after_s
            .unwrap_or_else(|| panic!("{}: no retry time\n{}", w.label, a.text));
        // Gemini gives the wait twice: to the millisecond in the message and rounded up to
        // whole seconds in RetryInfo.retryDelay; explain may report either.
        assert!(
            (got - want).abs() < 0.01 || got == want.ceil(),
            "{}: retry {got} vs {want}",
            w.label
        );
    }
}

fn openai_retry(a: &Answer) -> Option<f64> {
    let m = a.message();
    let re = Regex::new(r"Please try again in (\S+)\. ").unwrap();
    re.captures(&m).and_then(|c| parse_go(&c[1]))
}

fn azure_retry(a: &Answer) -> Option<f64> {
    let m = a.message();
    let re = Regex::new(r"Please retry after (\d+) seconds").unwrap();
    re.captures(&m).and_then(|c| c[1].parse().ok())
}

fn gemini_retry(a: &Answer) -> Option<f64> {
    let m = a.message();
    let re = Regex::new(r"Please retry in ([0-9.]+)s\.").unwrap();
    re.captures(&m).and_then(|c| c[1].parse().ok())
}

const OPENAI: &[Provider] = &[Provider::Openai];
const AZURE: &[Provider] = &[Provider::Azure];
const AZURE_OR_OPENAI: &[Provider] = &[Provider::Azure, Provider::Openai];
const ANTHROPIC: &[Provider] = &[Provider::Anthropic];
const GEMINI: &[Provider] = &[Provider::Gemini];

fn want(label: &'static str, providers: &'static [Provider], kinds: &'static [Kind]) -> Want {
    Want {
        label,
        providers,
        kinds,
        retryable: true,
        limit: None,
        used: None,
        requested: None,
        retry_s: None,
    }
}

#[tokio::test]
async fn explain_agrees_with_openai_bodies() {
    within(30, async {
        let c = client();
        // RPM
        let h = start(Limits {
            rpm: Some(3),
            ..Limits::default()
        })
        .await;
        for _ in 0..3 {
            openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        }
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        check(
            &a,
            &Want {
                limit: Some(3.0),
                used: Some(3.0),
                requested: Some(1.0),
                retry_s: openai_retry(&a),
                ..want("openai rpm", OPENAI, &[Kind::Rpm])
            },
        );
        // TPM and request too large
        let h = start(Limits {
            tpm: Some(1000),
            ..Limits::default()
        })
        .await;
        openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(700))).await;
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(500))).await;
        let used = 1000.0
            - a.header("x-ratelimit-remaining-tokens")
                .unwrap()
                .parse::<f64>()
                .unwrap();
        check(
            &a,
            &Want {
                limit: Some(1000.0),
                used: Some(used),
                requested: Some(500.0),
                retry_s: openai_retry(&a),
                ..want("openai tpm", OPENAI, &[Kind::Tpm])
            },
        );
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(5000))).await;
        check(
            &a,
            &Want {
                limit: Some(1000.0),
                requested: Some(5000.0),
                retryable: false,
                ..want("openai too large", OPENAI, &[Kind::Tpm])
            },
        );
        // RPD, TPD
        let h = start(Limits {
            rpd: Some(2),
            ..Limits::default()
        })
        .await;
        for _ in 0..2 {
            openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        }
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        check(
            &a,
            &Want {
                limit: Some(2.0),
                used: Some(2.0),
                requested: Some(1.0),
                retry_s: openai_retry(&a),
                ..want("openai rpd", OPENAI, &[Kind::Rpd])
            },
        );
        let h = start(Limits {
            tpd: Some(100),
            ..Limits::default()
        })
        .await;
        openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(90))).await;
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", Some(90))).await;
        check(
            &a,
            &Want {
                limit: Some(100.0),
                used: Some(90.0),
                requested: Some(90.0),
                retry_s: openai_retry(&a),
                ..want("openai tpd", OPENAI, &[Kind::Tpd])
            },
        );
        // Quota
        let h = start(Limits {
            quota_tokens: Some(5),
            ..Limits::default()
        })
        .await;
        openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        check(
            &a,
            &Want {
                retryable: false,
                ..want("openai quota", OPENAI, &[Kind::Quota])
            },
        );
        // Overload
        let h = start_with(MockConfig {
            overload: 1.0,
            ..MockConfig::default()
        })
        .await;
        let a = openai(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        check(&a, &want("openai overload", OPENAI, &[Kind::Overloaded]));
    })
    .await;
}

#[tokio::test]
async fn explain_agrees_with_azure_bodies() {
    within(30, async {
        let c = client();
        let h = start(Limits {
            rpm: Some(1),
            tpm: Some(1000),
            ..Limits::default()
        })
        .await;
        azure(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        let a = azure(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        check(
            &a,
            &Want {
                retry_s: azure_retry(&a),
                ..want("azure call", AZURE, &[Kind::Rpm])
            },
        );
        azure(&c, &h.base_url(), "k2", &chat_body("hi", Some(900))).await;
        let a = azure(&c, &h.base_url(), "k3", &chat_body("hi", Some(5000))).await;
        check(
            &a,
            &Want {
                limit: Some(1000.0),
                requested: Some(5000.0),
                retryable: false,
                ..want("azure too large", AZURE_OR_OPENAI, &[Kind::Tpm])
            },
        );
        let h = start(Limits {
            tpm: Some(1000),
            ..Limits::default()
        })
        .await;
        azure(&c, &h.base_url(), KEY, &chat_body("hi", Some(900))).await;
        let a = azure(&c, &h.base_url(), KEY, &chat_body("hi", Some(900))).await;
        check(
            &a,
            &Want {
                retry_s: azure_retry(&a),
                ..want("azure token", AZURE, &[Kind::Tpm])
            },
        );
        let h = start(Limits {
            quota_tokens: Some(5),
            ..Limits::default()
        })
        .await;
        azure(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        let a = azure(&c, &h.base_url(), KEY, &chat_body("hi", None)).await;
        check(
            &a,
            &Want {
                retryable: false,
                ..want("azure quota", AZURE_OR_OPENAI, &[Kind::Quota])
            },
        );
    })
    .await;
}

#[tokio::test]
async fn explain_agrees_with_anthropic_bodies() {
    within(30, async {
        let c = client();
        let limits = Limits {
            rpm: Some(2),
            input_tpm: Some(30_000),
            output_tpm: Some(8_000),
            ..Limits::default()
        };
        let h = start(limits).await;
        let base = h.base_url();
        anthropic(&c, &base, "a", &anthropic_body("hi", 5)).await;
        anthropic(&c, &base, "a", &anthropic_body("hi", 5)).await;
        let a = anthropic(&c, &base, "a", &anthropic_body("hi", 5)).await;
        check(
            &a,
            &Want {
                limit: Some(2.0),
                ..want("anthropic rpm", ANTHROPIC, &[Kind::Rpm])
            },
        );
        let big = "q".repeat(100_000);
        anthropic(&c, &base, "b", &anthropic_body(&big, 5)).await;
        let a = anthropic(&c, &base, "b", &anthropic_body(&big, 5)).await;
        check(
            &a,
            &Want {
                limit: Some(30_000.0),
                ..want("anthropic itpm", ANTHROPIC, &[Kind::InputTpm])
            },
        );
        anthropic(&c, &base, "c", &anthropic_body("hi", 8000)).await;
        let a = anthropic(&c, &base, "c", &anthropic_body("hi", 100)).await;
        check(
            &a,
            &Want {
                limit: Some(8_000.0),
                ..want("anthropic otpm", ANTHROPIC, &[Kind::OutputTpm])
            },
        );

        let h = start(Limits {
            quota_tokens: Some(5),
            ..Limits::default()
        })
        .await;
        anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 5)).await;
        let a = anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 5)).await;
        check(
            &a,
            &Want {
                retryable: false,
                ..want("anthropic spend cap", ANTHROPIC, &[Kind::Quota])
            },
        );

        let h = start_with(MockConfig {
            overload: 1.0,
            ..MockConfig::default()
        })
        .await;
        let a = anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 5)).await;
        check(&a, &want("anthropic 529", ANTHROPIC, &[Kind::Overloaded]));
    })
    .await;
}

#[tokio::test]
async fn explain_agrees_with_gemini_bodies() {
    within(30, async {
        let c = client();
        let h = start(Limits {
            rpm: Some(2),
            tpm: Some(1000),
            ..Limits::default()
        })
        .await;
        let base = h.base_url();
        gemini(&c, &base, "a", &gemini_body("hi")).await;
        gemini(&c, &base, "a", &gemini_body("hi")).await;
        let a = gemini(&c, &base, "a", &gemini_body("hi")).await;
        check(
            &a,
            &Want {
                limit: Some(2.0),
                retry_s: gemini_retry(&a),
                ..want("gemini rpm", GEMINI, &[Kind::Rpm])
            },
        );
        gemini(&c, &base, "b", &gemini_body(&"w".repeat(3600))).await;
        let a = gemini(&c, &base, "b", &gemini_body(&"w".repeat(3600))).await;
        check(
            &a,
            &Want {
                limit: Some(1000.0),
                retry_s: gemini_retry(&a),
                ..want("gemini input tpm", GEMINI, &[Kind::Tpm, Kind::InputTpm])
            },
        );
        let h = start(Limits {
            rpd: Some(1),
            ..Limits::default()
        })
        .await;
        gemini(&c, &h.base_url(), KEY, &gemini_body("hi")).await;
        let a = gemini(&c, &h.base_url(), KEY, &gemini_body("hi")).await;
        check(
            &a,
            &Want {
                limit: Some(1.0),
                ..want("gemini rpd", GEMINI, &[Kind::Rpd])
            },
        );
        let h = start(Limits {
            quota_tokens: Some(5),
            ..Limits::default()
        })
        .await;
        gemini(&c, &h.base_url(), KEY, &gemini_body("hi")).await;
        let a = gemini(&c, &h.base_url(), KEY, &gemini_body("hi")).await;
        check(
            &a,
            &Want {
                retryable: false,
                ..want("gemini prepayment", GEMINI, &[Kind::Quota])
            },
        );
        let h = start_with(MockConfig {
            overload: 1.0,
            ..MockConfig::default()
        })
        .await;
        let a = gemini(&c, &h.base_url(), KEY, &gemini_body("hi")).await;
        check(&a, &want("gemini 503", GEMINI, &[Kind::Overloaded]));
    })
    .await;
}

#[tokio::test]
async fn explain_agrees_with_concurrency_bodies() {
    within(30, async {
        let config = MockConfig {
            limits: Limits {
                concurrency: Some(1),
                ..Limits::default()
            },
            latency: Duration::from_millis(800),
            ..MockConfig::default()
        };
        let h = start_with(config).await;
        let (c, base) = (client(), h.base_url());
        let hold = {
            let (c, base) = (c.clone(), base.clone());
            tokio::spawn(async move { openai(&c, &base, "held", &chat_body("hi", None)).await })
        };
        // Wait (on the emulator's own state, not a sleep) until the slot is taken.
        for _ in 0..2000 {
            if state(&c, &base).await["in_flight"] == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let cases: [(&str, &'static [Provider]); 4] = [
            ("openai", OPENAI),
            ("azure", AZURE_OR_OPENAI),
            ("anthropic", ANTHROPIC),
            ("gemini", GEMINI),
        ];
        for (family, providers) in cases {
            let a = match family {
                "openai" => openai(&c, &base, "held", &chat_body("hi", None)).await,
                "azure" => azure(&c, &base, "held", &chat_body("hi", None)).await,
                "anthropic" => anthropic(&c, &base, "held", &anthropic_body("hi", 5)).await,
                _ => gemini(&c, &base, "held", &gemini_body("hi")).await,
            };
            assert_eq!(a.status, 429, "{family}: {}", a.text);
            let limit = if family == "anthropic" {
                None
            } else {
                Some(1.0)
            };
            let label: &'static str = match family {
                "openai" => "openai concurrency",
                "azure" => "azure concurrency",
                "anthropic" => "anthropic concurrency",
                _ => "gemini concurrency",
            };
            check(
                &a,
                &Want {
                    limit,
                    ..want(label, providers, &[Kind::Concurrency])
                },
            );
        }
        assert_eq!(hold.await.unwrap().status, 200);
    })
    .await;
}

/// With the headers (as `curl -i` prints them), explain also reads Anthropic's
/// `retry-after`, which the body does not state.
#[tokio::test]
async fn explain_reads_retry_after_from_a_full_anthropic_response() {
    within(30, async {
        let c = client();
        let h = start(Limits {
            rpm: Some(1),
            ..Limits::default()
        })
        .await;
        anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 5)).await;
        let a = anthropic(&c, &h.base_url(), KEY, &anthropic_body("hi", 5)).await;
        let mut text = String::from("HTTP/1.1 429 Too Many Requests\r\n");
        for (n, v) in &a.headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(&a.text);
        let found = diagnose(&text);
        let d = found.first().unwrap_or_else(|| panic!("nothing in {text}"));
        assert_eq!(d.provider, Provider::Anthropic);
        assert_eq!(d.kind, Kind::Rpm);
        assert_eq!(d.status, Some(429));
        assert_eq!(d.retry_after_s, Some(60.0));
    })
    .await;
}
