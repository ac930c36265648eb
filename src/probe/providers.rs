//! What ratedoctor knows about calling each provider: base URL, default model, key
//! variables, request shape, and whether it sends budget headers.

use crate::config::{ApiKey, Env};
use crate::diagnose::Provider;
use crate::error::AppError;
use serde_json::{Value, json};

/// The request shape a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `POST {base}/chat/completions` with a bearer token.
    OpenAiCompatible,
    /// `POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…`.
    Azure,
    /// `POST {base}/v1/messages` with `x-api-key` and `anthropic-version`.
    Anthropic,
    /// `POST {base}/v1beta/models/{model}:generateContent` with `x-goog-api-key`.
    Gemini,
}

/// One provider's calling conventions.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub provider: Provider,
    pub family: Family,
    pub base_url: &'static str,
    pub default_model: &'static str,
    pub key_vars: &'static [&'static str],
    /// Host names (suffixes) that identify it in a base URL.
    pub hosts: &'static [&'static str],
    /// Does a successful response carry budget headers?
    pub budget_headers: bool,
}

pub const SPECS: &[Spec] = &[
    Spec {
        provider: Provider::Openai,
        family: Family::OpenAiCompatible,
        base_url: "https://api.openai.com/v1",
        default_model: "gpt-4o-mini",
        key_vars: &["OPENAI_API_KEY"],
        hosts: &["api.openai.com"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Azure,
        family: Family::Azure,
        base_url: "",
        default_model: "",
        key_vars: &["AZURE_OPENAI_API_KEY"],
        hosts: &[
            "openai.azure.com",
            "cognitiveservices.azure.com",
            "services.ai.azure.com",
        ],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Anthropic,
        family: Family::Anthropic,
        base_url: "https://api.anthropic.com",
        default_model: "claude-3-5-haiku-latest",
        key_vars: &["ANTHROPIC_API_KEY"],
        hosts: &["api.anthropic.com"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Gemini,
        family: Family::Gemini,
        base_url: "https://generativelanguage.googleapis.com",
        default_model: "gemini-2.0-flash",
        key_vars: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        hosts: &["generativelanguage.googleapis.com"],
        budget_headers: false,
    },
    Spec {
        provider: Provider::Groq,
        family: Family::OpenAiCompatible,
        base_url: "https://api.groq.com/openai/v1",
        default_model: "llama-3.1-8b-instant",
        key_vars: &["GROQ_API_KEY"],
        hosts: &["api.groq.com"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Together,
        family: Family::OpenAiCompatible,
        base_url: "https://api.together.xyz/v1",
        default_model: "meta-llama/Llama-3.2-3B-Instruct-Turbo",
        key_vars: &["TOGETHER_API_KEY"],
        hosts: &["api.together.xyz", "api.together.ai"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Deepseek,
        family: Family::OpenAiCompatible,
        base_url: "https://api.deepseek.com/v1",
        default_model: "deepseek-chat",
        key_vars: &["DEEPSEEK_API_KEY"],
        hosts: &["api.deepseek.com"],
        budget_headers: false,
    },
    Spec {
        provider: Provider::Openrouter,
        family: Family::OpenAiCompatible,
        base_url: "https://openrouter.ai/api/v1",
        default_model: "openai/gpt-4o-mini",
        key_vars: &["OPENROUTER_API_KEY"],
        hosts: &["openrouter.ai"],
        budget_headers: false,
    },
    Spec {
        provider: Provider::Mistral,
        family: Family::OpenAiCompatible,
        base_url: "https://api.mistral.ai/v1",
        default_model: "mistral-small-latest",
        key_vars: &["MISTRAL_API_KEY"],
        hosts: &["api.mistral.ai"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Xai,
        family: Family::OpenAiCompatible,
        base_url: "https://api.x.ai/v1",
        default_model: "grok-3-mini",
        key_vars: &["XAI_API_KEY"],
        hosts: &["api.x.ai"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Fireworks,
        family: Family::OpenAiCompatible,
        base_url: "https://api.fireworks.ai/inference/v1",
        default_model: "accounts/fireworks/models/llama-v3p1-8b-instruct",
        key_vars: &["FIREWORKS_API_KEY"],
        hosts: &["api.fireworks.ai"],
        budget_headers: true,
    },
    Spec {
        provider: Provider::Perplexity,
        family: Family::OpenAiCompatible,
        base_url: "https://api.perplexity.ai",
        default_model: "sonar",
        key_vars: &["PERPLEXITY_API_KEY", "PPLX_API_KEY"],
        hosts: &["api.perplexity.ai"],
        budget_headers: false,
    },
];

/// The spec of a provider (every probe-able provider has one).
pub fn spec(p: Provider) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.provider == p)
}

/// The provider names `--provider` accepts.
pub fn names() -> Vec<&'static str> {
    SPECS.iter().map(|s| s.provider.id()).collect()
}

/// Parses `--provider`.
pub fn parse_provider(name: &str) -> Result<Provider, AppError> {
    let n = name.trim().to_ascii_lowercase();
    let n = match n.as_str() {
        "google" => "gemini",
        "claude" => "anthropic",
        "azure-openai" | "azure_openai" => "azure",
        "x.ai" | "grok" => "xai",
        other => other,
    };
    SPECS
        .iter()
        .find(|s| s.provider.id() == n)
        .map(|s| s.provider)
        .ok_or_else(|| {
            AppError::Usage(format!(
                "unknown provider '{name}'; choose one of: {}",
                names().join(", ")
            ))
        })
}

/// The host of a URL (`https://api.openai.com/v1` → `api.openai.com`).
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split(['/', '?', '#']).next()?;
    let host = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// Picks the provider: `--provider`, else the base URL's host, else the one key present.
pub fn resolve(
    provider: Option<&str>,
    base_url: Option<&str>,
    key_env: Option<&str>,
    env: &Env,
) -> Result<Provider, AppError> {
    if let Some(p) = provider {
        return parse_provider(p);
    }
    if let Some(url) = base_url {
        let host = host_of(url).unwrap_or_default().to_ascii_lowercase();
        if let Some(s) = SPECS.iter().find(|s| {
            s.hosts
                .iter()
                .any(|h| host == *h || host.ends_with(&format!(".{h}")))
        }) {
            return Ok(s.provider);
        }
        // A host of no known provider (a local proxy, the emulator): the one key present
        // decides, as without a URL.
        if key_env.is_none() {
            let present: Vec<&Spec> = SPECS
                .iter()
                .filter(|s| s.key_vars.iter().any(|v| env.get(v).is_some()))
                .collect();
            return match present.as_slice() {
                [one] => Ok(one.provider),
                _ => Err(AppError::Usage(format!(
                    "cannot tell the provider from {url}{}; add --provider ({})",
                    if present.is_empty() {
                        " and no API key is set"
                    } else {
                        " and keys for several providers are set"
                    },
                    names().join(", ")
                ))),
            };
        }
    }
    let present: Vec<&Spec> = SPECS
        .iter()
        .filter(|s| s.key_vars.iter().any(|v| env.get(v).is_some()))
        .collect();
    if let Some(var) = key_env {
        // A custom variable names no provider: the base URL decided above, or OpenAI.
        if let Some(s) = SPECS.iter().find(|s| s.key_vars.contains(&var)) {
            return Ok(s.provider);
        }
        if present.len() == 1 {
            return Ok(present[0].provider);
        }
        return Err(AppError::Usage(format!(
            "cannot tell the provider for --api-key-env {var}; add --provider ({})",
            names().join(", ")
        )));
    }
    match present.as_slice() {
        [one] => Ok(one.provider),
        [] => Err(AppError::Usage(format!(
            "no API key found: set one of {} (in the environment or .env), or pass --provider and --api-key-env",
            SPECS
                .iter()
                .flat_map(|s| s.key_vars.iter().copied())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        many => Err(AppError::Usage(format!(
            "keys for several providers are set ({}); choose one with --provider {}",
            many.iter()
                .map(|s| s
                    .key_vars
                    .iter()
                    .find(|v| env.get(v).is_some())
                    .copied()
                    .unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", "),
            many.iter()
                .map(|s| s.provider.id())
                .collect::<Vec<_>>()
                .join("|")
        ))),
    }
}

/// The variables a provider's SDKs read their base URL from, each with what to append to
/// its value to reach the URL ratedoctor calls (the Groq SDK adds `/openai/v1` itself).
pub fn base_url_vars(provider: Provider) -> &'static [(&'static str, &'static str)] {
    match provider {
        Provider::Openai => &[("OPENAI_BASE_URL", ""), ("OPENAI_API_BASE", "")],
        Provider::Anthropic => &[("ANTHROPIC_BASE_URL", "")],
        Provider::Gemini => &[("GOOGLE_GEMINI_BASE_URL", ""), ("GEMINI_BASE_URL", "")],
        Provider::Groq => &[("GROQ_BASE_URL", "/openai/v1")],
        Provider::Azure => &[("AZURE_OPENAI_ENDPOINT", "")],
        _ => &[],
    }
}

/// The base URL from the provider's SDK variable, when one is set.
pub fn base_url_from_env(provider: Provider, env: &Env) -> Option<String> {
    base_url_vars(provider).iter().find_map(|(var, suffix)| {
        env.get(var)
            .map(|v| format!("{}{suffix}", v.trim().trim_end_matches('/')))
    })
}

/// The key for a provider: `--api-key-env`, else its usual variables.
pub fn key(provider: Provider, key_env: Option<&str>, env: &Env) -> Result<ApiKey, AppError> {
    if let Some(var) = key_env {
        return env
            .get(var)
            .map(ApiKey::new)
            .ok_or_else(|| AppError::Usage(format!("{var} is not set (environment or .env)")));
    }
    let s = spec(provider)
        .ok_or_else(|| AppError::Usage(format!("{} cannot be probed", provider.name())))?;
    s.key_vars
        .iter()
        .find_map(|v| env.get(v))
        .map(ApiKey::new)
        .ok_or_else(|| {
            AppError::Usage(format!(
                "no key for {}: set {} (environment or .env) or pass --api-key-env NAME",
                provider.name(),
                s.key_vars.join(" or ")
            ))
        })
}

/// A request ready to send.
#[derive(Debug)]
pub struct Call {
    pub url: String,
    pub path: String,
    /// Headers without the key.
    pub headers: Vec<(&'static str, String)>,
    /// The key header's name and value prefix (`Bearer `).
    pub key_header: (&'static str, &'static str),
    pub body: Value,
    pub model: String,
    pub max_tokens: u64,
}

/// Builds the cheapest call that returns budget headers: a one-token completion.
pub fn minimal_call(
    spec: &Spec,
    base_url: &str,
    model: &str,
    api_version: &str,
) -> Result<Call, AppError> {
    let base = base_url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(AppError::Usage(format!(
            "bad base URL '{base_url}': it must start with http:// or https://"
        )));
    }
    let prompt = "ping";
    let (path, key_header, body, extra) = match spec.family {
        Family::OpenAiCompatible => (
            "/chat/completions".to_string(),
            ("authorization", "Bearer "),
            json!({"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": 1}),
            vec![],
        ),
        Family::Azure => (
            format!("/openai/deployments/{model}/chat/completions?api-version={api_version}"),
            ("api-key", ""),
            json!({"messages": [{"role": "user", "content": prompt}], "max_tokens": 1}),
            vec![],
        ),
        Family::Anthropic => (
            "/v1/messages".to_string(),
            ("x-api-key", ""),
            json!({"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": prompt}]}),
            vec![("anthropic-version", "2023-06-01".to_string())],
        ),
        Family::Gemini => (
            format!("/v1beta/models/{model}:generateContent"),
            ("x-goog-api-key", ""),
            json!({"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": {"maxOutputTokens": 1}}),
            vec![],
        ),
    };
    let mut headers = vec![("content-type", "application/json".to_string())];
    headers.extend(extra);
    Ok(Call {
        url: format!("{base}{path}"),
        path,
        headers,
        key_header,
        body,
        model: model.to_string(),
        max_tokens: 1,
    })
}

/// Token usage from a success body of any family.
pub fn usage_of(body: &Value) -> Option<crate::event::Usage> {
    let u = body.get("usage").or_else(|| body.get("usageMetadata"))?;
    let get = |keys: &[&str]| keys.iter().find_map(|k| u.get(*k).and_then(Value::as_u64));
    Some(crate::event::Usage {
        input_tokens: get(&["prompt_tokens", "input_tokens", "promptTokenCount"])?,
        output_tokens: get(&["completion_tokens", "output_tokens", "candidatesTokenCount"])
            .unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_from_flag_url_or_key() {
        let env = Env::from_pairs(&[("ANTHROPIC_API_KEY", "sk-ant-x")], &[]);
        assert_eq!(
            resolve(Some("openai"), None, None, &env).unwrap(),
            Provider::Openai
        );
        assert_eq!(
            resolve(None, Some("https://api.groq.com/openai/v1"), None, &env).unwrap(),
            Provider::Groq
        );
        assert_eq!(
            resolve(None, Some("https://my-res.openai.azure.com"), None, &env).unwrap(),
            Provider::Azure
        );
        assert_eq!(
            resolve(None, None, None, &env).unwrap(),
            Provider::Anthropic
        );
    }

    #[test]
    fn ambiguity_lists_the_choices() {
        let env = Env::from_pairs(&[("OPENAI_API_KEY", "a"), ("GROQ_API_KEY", "b")], &[]);
        let err = resolve(None, None, None, &env).unwrap_err().to_string();
        assert!(
            err.contains("OPENAI_API_KEY") && err.contains("GROQ_API_KEY"),
            "{err}"
        );
        assert!(err.contains("--provider openai|groq"), "{err}");
        let none = resolve(None, None, None, &Env::default())
            .unwrap_err()
            .to_string();
        assert!(none.contains("no API key found"), "{none}");
        let bad = resolve(Some("nope"), None, None, &env)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("unknown provider"), "{bad}");
    }

    #[test]
    fn a_loopback_url_takes_the_provider_of_the_one_key() {
        let none = resolve(
            None,
            Some("http://127.0.0.1:9999/v1"),
            None,
            &Env::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(none.contains("no API key is set"), "{none}");
        let one = Env::from_pairs(&[("OPENAI_API_KEY", "sk-x")], &[]);
        assert_eq!(
            resolve(None, Some("http://127.0.0.1:9999/v1"), None, &one).unwrap(),
            Provider::Openai
        );
        let two = Env::from_pairs(&[("OPENAI_API_KEY", "a"), ("GROQ_API_KEY", "b")], &[]);
        let err = resolve(None, Some("http://127.0.0.1:9999/v1"), None, &two)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("several") && err.contains("--provider"),
            "{err}"
        );
    }

    #[test]
    fn base_urls_from_the_sdk_variables() {
        let env = Env::from_pairs(
            &[
                ("OPENAI_BASE_URL", "http://127.0.0.1:8788/v1/"),
                ("GROQ_BASE_URL", "http://127.0.0.1:8788"),
            ],
            &[],
        );
        assert_eq!(
            base_url_from_env(Provider::Openai, &env).as_deref(),
            Some("http://127.0.0.1:8788/v1")
        );
        assert_eq!(
            base_url_from_env(Provider::Groq, &env).as_deref(),
            Some("http://127.0.0.1:8788/openai/v1")
        );
        assert_eq!(base_url_from_env(Provider::Anthropic, &env), None);
    }

    #[test]
    fn calls_per_family() {
        let c = minimal_call(spec(Provider::Anthropic).unwrap(), "http://h:1/", "m", "").unwrap();
        assert_eq!(c.url, "http://h:1/v1/messages");
        assert_eq!(c.body["max_tokens"], 1);
        let g = minimal_call(
            spec(Provider::Gemini).unwrap(),
            "http://h:1",
            "gemini-x",
            "",
        )
        .unwrap();
        assert_eq!(g.url, "http://h:1/v1beta/models/gemini-x:generateContent");
        let a = minimal_call(
            spec(Provider::Azure).unwrap(),
            "http://h:1",
            "dep",
            "2024-10-21",
        )
        .unwrap();
        assert_eq!(
            a.url,
            "http://h:1/openai/deployments/dep/chat/completions?api-version=2024-10-21"
        );
        assert!(minimal_call(spec(Provider::Openai).unwrap(), "ftp://x", "m", "").is_err());
    }

    #[test]
    fn usage_of_every_family() {
        assert_eq!(
            usage_of(&json!({"usage": {"prompt_tokens": 8, "completion_tokens": 1}}))
                .unwrap()
                .input_tokens,
            8
        );
        assert_eq!(
            usage_of(&json!({"usage": {"input_tokens": 9, "output_tokens": 1}}))
                .unwrap()
                .output_tokens,
            1
        );
        assert_eq!(
            usage_of(&json!({"usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1}}))
                .unwrap()
                .input_tokens,
            3
        );
    }
}
