use super::*;
use crate::diagnose::{Cause, Provider};

/// Every snippet a card can show, with the cause and provider it is shown for.
fn all() -> Vec<(Cause, Provider, Snippet)> {
    let mut out = Vec::new();
    for cause in Cause::ALL {
        for provider in Provider::ALL {
            if let Some(s) = for_cause(cause, provider) {
                out.push((cause, provider, s));
            }
        }
    }
    out
}

fn label(c: Cause, p: Provider) -> String {
    format!("{}/{}", c.id(), p.id())
}

#[test]
fn snippets_are_tidy_short_and_fit_an_80_column_card() {
    let all = all();
    assert!(all.len() > 200, "{}", all.len());
    for (c, p, s) in all {
        let l = label(c, p);
        assert_eq!(s.language, "python");
        assert_eq!(s.code, s.code.trim(), "{l}: outer whitespace");
        assert!(s.code.lines().count() <= 15, "{l}: too long:\n{}", s.code);
        for line in s.code.lines() {
            assert_eq!(line, line.trim_end(), "{l}: trailing space");
            // The card indents code by 4 inside a border: 74 columns fit at 80.
            assert!(line.chars().count() <= 74, "{l}: line too wide: {line}");
            assert!(line.is_ascii(), "{l}: not ASCII: {line}");
            assert!(!line.contains('\t'), "{l}: tab");
        }
        let low = s.code.to_lowercase();
        for secret in ["sk-", "aiza", "api_key=\"", "bearer "] {
            assert!(!low.contains(secret), "{l}: looks like a key: {secret}");
        }
    }
}

#[test]
fn a_snippet_uses_the_sdk_of_its_provider() {
    for (c, p, s) in all() {
        let l = label(c, p);
        let sdk = Sdk::of(p);
        assert!(
            s.sdk == sdk.package() || s.sdk == "any",
            "{l}: written for {} not {}",
            s.sdk,
            sdk.package()
        );
        let code = &s.code;
        match sdk {
            Sdk::Genai => {
                assert!(!code.contains("openai"), "{l}:\n{code}");
                assert!(!code.contains("anthropic"), "{l}:\n{code}");
                assert!(!code.contains("chat.completions"), "{l}:\n{code}");
            }
            Sdk::Anthropic => {
                assert!(!code.contains("openai"), "{l}:\n{code}");
                assert!(!code.contains("chat.completions"), "{l}:\n{code}");
            }
            Sdk::Groq | Sdk::Mistral | Sdk::Cohere | Sdk::Bedrock => {
                assert!(!code.contains("import openai"), "{l}:\n{code}");
                assert!(!code.contains("openai."), "{l}:\n{code}");
            }
            Sdk::Openai | Sdk::Azure => {
                assert!(!code.contains("anthropic"), "{l}:\n{code}");
                assert!(!code.contains("genai"), "{l}:\n{code}");
            }
        }
    }
}

#[test]
fn gemini_gets_google_genai_code_anthropic_gets_anthropic_groq_gets_groq() {
    let rpm = |p| for_cause(Cause::RequestsPerMinute, p).unwrap().code;
    assert!(rpm(Provider::Gemini).contains("from google import genai"));
    assert!(rpm(Provider::Vertex).contains("from google.genai import errors"));
    assert!(rpm(Provider::Vertex).contains("e.code not in (429, 503)"));
    assert!(rpm(Provider::Anthropic).contains("anthropic.RateLimitError"));
    assert!(rpm(Provider::Groq).contains("groq.RateLimitError"));
    assert!(rpm(Provider::Openai).contains("openai.RateLimitError"));
    assert!(rpm(Provider::Mistral).contains("from mistralai import models"));
    assert!(rpm(Provider::Cohere).contains("TooManyRequestsError"));
    assert!(rpm(Provider::Bedrock).contains("\"mode\": \"adaptive\""));
    let azure = for_cause(Cause::Transient, Provider::Azure).unwrap().code;
    assert!(azure.contains("openai.AzureOpenAI()"), "{azure}");
    let quota = for_cause(Cause::Quota, Provider::Gemini).unwrap().code;
    assert!(quota.contains("errors.ClientError"), "{quota}");
    assert!(quota.contains("e.code == 429"), "{quota}");
}

#[test]
fn what_waiting_cannot_clear_gets_a_snippet_that_stops_never_a_retry_loop() {
    for (c, p, s) in all() {
        let code = &s.code;
        assert!(!code.contains("while True"), "{}:\n{code}", label(c, p));
        if code.contains("for attempt") {
            assert!(code.contains("range(tries)"), "{}:\n{code}", label(c, p));
        }
        if c.retryable() {
            continue;
        }
        assert!(
            !code.contains("for attempt") && !code.contains("max_retries"),
            "{} retries:\n{code}",
            label(c, p)
        );
        if c.kind() == crate::diagnose::Kind::Quota {
            // Stop and say so, or (OpenRouter: "or fewer max_tokens") ask for less.
            assert!(
                code.contains("raise SystemExit") || code.contains("max_tokens=300"),
                "{}:\n{code}",
                label(c, p)
            );
        }
    }
    let openai = for_cause(Cause::Quota, Provider::Openai).unwrap().code;
    assert!(openai.contains("insufficient_quota"), "{openai}");
    assert!(openai.contains("e.status_code == 402"), "{openai}");
}
