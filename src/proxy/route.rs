//! Where a request goes (sources layer): the API family a path belongs to, the upstream
//! base URL of each family, joining a base with a path, and the headers that never cross
//! a proxy (hop-by-hop).

use crate::diagnose::Provider;
use crate::error::AppError;
use crate::probe::providers;

/// The request shapes the proxy tells apart by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Everything else: `/v1/chat/completions`, `/v1/responses`, `/v1/embeddings`, ...
    OpenAi,
    /// `/openai/deployments/{deployment}/...`.
    Azure,
    /// `/v1/messages` (and `/v1/messages/count_tokens`, `/v1/complete`).
    Anthropic,
    /// `/v1beta/...` and `/v1/models/{model}:{method}`.
    Gemini,
    /// `/openai/v1/...` (the Groq SDK's paths).
    Groq,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::OpenAi,
        Family::Azure,
        Family::Anthropic,
        Family::Gemini,
        Family::Groq,
    ];

    /// The name `--upstream FAMILY=URL` uses.
    pub fn id(self) -> &'static str {
        match self {
            Family::OpenAi => "openai",
            Family::Azure => "azure",
            Family::Anthropic => "anthropic",
            Family::Gemini => "gemini",
            Family::Groq => "groq",
        }
    }

    /// The provider a response of this family comes from when the upstream host says
    /// nothing more precise.
    pub fn provider(self) -> Provider {
        match self {
            Family::OpenAi => Provider::Openai,
            Family::Azure => Provider::Azure,
            Family::Anthropic => Provider::Anthropic,
            Family::Gemini => Provider::Gemini,
            Family::Groq => Provider::Groq,
        }
    }

    fn parse(name: &str) -> Option<Family> {
        let n = name.trim().to_ascii_lowercase();
        let n = match n.as_str() {
            "google" => "gemini",
            "claude" => "anthropic",
            "azure-openai" | "azure_openai" => "azure",
            other => other,
        };
        Family::ALL.into_iter().find(|f| f.id() == n)
    }
}

/// The family of a request path (no query).
pub fn classify(path: &str) -> Family {
    if path == "/v1/messages" || path.starts_with("/v1/messages/") || path == "/v1/complete" {
        Family::Anthropic
    } else if path.starts_with("/v1beta/")
        || path.starts_with("/v1alpha/")
        || (path.starts_with("/v1/models/") && path.contains(':'))
    {
        Family::Gemini
    } else if path.starts_with("/openai/deployments/") {
        Family::Azure
    } else if path.starts_with("/openai/v1/") {
        Family::Groq
    } else {
        Family::OpenAi
    }
}

/// The upstream base URL of every family. Defaults are the public endpoints; Azure has
/// none (every resource has its own host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstreams {
    pub openai: String,
    pub azure: Option<String>,
    pub anthropic: String,
    pub gemini: String,
    pub groq: String,
}

impl Default for Upstreams {
    fn default() -> Self {
        let base = |p: Provider, fallback: &str| {
            providers::spec(p)
                .map(|s| origin(s.base_url).to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| fallback.to_string())
        };
        Upstreams {
            openai: base(Provider::Openai, "https://api.openai.com"),
            azure: None,
            anthropic: base(Provider::Anthropic, "https://api.anthropic.com"),
            gemini: base(
                Provider::Gemini,
                "https://generativelanguage.googleapis.com",
            ),
            groq: base(Provider::Groq, "https://api.groq.com"),
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    let end = rest
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme.len() + 3 + i);
    &url[..end]
}

fn check_url(url: &str) -> Result<String, AppError> {
    let u = url.trim().trim_end_matches('/');
    let ok = (u.starts_with("http://") || u.starts_with("https://"))
        && providers::host_of(u).is_some()
        && reqwest::Url::parse(u).is_ok();
    if ok {
        Ok(u.to_string())
    } else {
        Err(AppError::Usage(format!(
            "--upstream: '{url}' is not an http:// or https:// URL"
        )))
    }
}

impl Upstreams {
    /// Every family to `url` (an emulator, a gateway that speaks every shape).
    pub fn all(url: &str) -> Result<Upstreams, AppError> {
        let u = check_url(url)?;
        Ok(Upstreams {
            openai: u.clone(),
            azure: Some(u.clone()),
            anthropic: u.clone(),
            gemini: u.clone(),
            groq: u,
        })
    }

    /// Applies one `--upstream` value: `URL` (every family) or `FAMILY=URL`.
    pub fn apply(&mut self, spec: &str) -> Result<(), AppError> {
        let spec = spec.trim();
        if let Some((name, url)) = spec.split_once('=')
            && !name.contains("://")
        {
            let family = Family::parse(name).ok_or_else(|| {
                AppError::Usage(format!(
                    "--upstream: unknown family '{name}'; choose one of: {}",
                    Family::ALL.map(Family::id).join(", ")
                ))
            })?;
            let u = check_url(url)?;
            match family {
                Family::OpenAi => self.openai = u,
                Family::Azure => self.azure = Some(u),
                Family::Anthropic => self.anthropic = u,
                Family::Gemini => self.gemini = u,
                Family::Groq => self.groq = u,
            }
            Ok(())
        } else {
            *self = Upstreams::all(spec)?;
            Ok(())
        }
    }

    /// The base URL for a family, if there is one.
    pub fn get(&self, family: Family) -> Option<&str> {
        match family {
            Family::OpenAi => Some(&self.openai),
            Family::Azure => self.azure.as_deref(),
            Family::Anthropic => Some(&self.anthropic),
            Family::Gemini => Some(&self.gemini),
            Family::Groq => Some(&self.groq),
        }
    }

    /// The provider behind a family's upstream: from its host when it is a known
    /// provider, else the family's own.
    pub fn provider(&self, family: Family) -> Provider {
        let Some(host) = self.get(family).and_then(providers::host_of) else {
            return family.provider();
        };
        providers::SPECS
            .iter()
            .find(|s| {
                s.hosts
                    .iter()
                    .any(|h| host == *h || host.ends_with(&format!(".{h}")))
            })
            .map_or(family.provider(), |s| s.provider)
    }
}

/// The upstream URL for a request: the base, then the request's path and query. When the
/// base has a path the request path already starts with (`https://host/v1` and
/// `/v1/chat/completions`), it is not repeated.
pub fn join(base: &str, path_and_query: &str) -> String {
    let base = base.trim_end_matches('/');
    let o = origin(base);
    let base_path = &base[o.len()..];
    let path_only = path_and_query.split('?').next().unwrap_or("");
    if !base_path.is_empty()
        && (path_only == base_path || path_only.starts_with(&format!("{base_path}/")))
    {
        format!("{o}{path_and_query}")
    } else {
        format!("{base}{path_and_query}")
    }
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus `host`
/// (set for the upstream) and the proxy's own.
pub fn is_hop_by_hop(name: &str) -> bool {
    const HOP_BY_HOP: [&str; 10] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    ];
    HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// A path and query fit for a recording: secrets in query parameters (`?key=AIza…`)
/// replaced.
pub fn redact_query(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _))
                if matches!(
                    k.to_ascii_lowercase().as_str(),
                    "key" | "api-key" | "api_key" | "apikey" | "token" | "access_token"
                ) =>
            {
                format!("{k}=[REDACTED]")
            }
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_by_shape() {
        assert_eq!(classify("/v1/chat/completions"), Family::OpenAi);
        assert_eq!(classify("/v1/responses"), Family::OpenAi);
        assert_eq!(classify("/v1/messages"), Family::Anthropic);
        assert_eq!(classify("/v1/messages/count_tokens"), Family::Anthropic);
        assert_eq!(
            classify("/v1beta/models/gemini-2.5-flash:streamGenerateContent"),
            Family::Gemini
        );
        assert_eq!(
            classify("/openai/deployments/gpt-4o/chat/completions"),
            Family::Azure
        );
        assert_eq!(classify("/openai/v1/chat/completions"), Family::Groq);
    }

    #[test]
    fn upstreams_default_public_and_override() {
        let mut u = Upstreams::default();
        assert_eq!(u.openai, "https://api.openai.com");
        assert_eq!(u.anthropic, "https://api.anthropic.com");
        assert_eq!(u.gemini, "https://generativelanguage.googleapis.com");
        assert_eq!(u.azure, None);
        u.apply("anthropic=http://127.0.0.1:9/").unwrap();
        assert_eq!(u.anthropic, "http://127.0.0.1:9");
        assert_eq!(u.openai, "https://api.openai.com");
        u.apply("http://127.0.0.1:8").unwrap();
        assert_eq!(u.get(Family::Azure), Some("http://127.0.0.1:8"));
        assert!(u.apply("nope=http://x").is_err());
        assert!(u.apply("ftp://x").is_err());
        let g = Upstreams {
            openai: "https://api.groq.com/openai".into(),
            ..Upstreams::default()
        };
        assert_eq!(g.provider(Family::OpenAi), Provider::Groq);
        assert_eq!(g.provider(Family::Anthropic), Provider::Anthropic);
    }

    #[test]
    fn join_does_not_repeat_the_base_path() {
        assert_eq!(
            join("https://api.openai.com/v1", "/v1/chat/completions?x=1"),
            "https://api.openai.com/v1/chat/completions?x=1"
        );
        assert_eq!(
            join("https://api.groq.com/openai", "/v1/chat/completions"),
            "https://api.groq.com/openai/v1/chat/completions"
        );
        assert_eq!(
            join("http://127.0.0.1:5/", "/v1/messages"),
            "http://127.0.0.1:5/v1/messages"
        );
    }

    #[test]
    fn query_secrets_are_redacted() {
        assert_eq!(
            redact_query("/v1beta/models/m:generateContent?key=AIzaSECRET&alt=sse"),
            "/v1beta/models/m:generateContent?key=[REDACTED]&alt=sse"
        );
        assert_eq!(redact_query("/v1/messages"), "/v1/messages");
    }
}
