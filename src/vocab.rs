//! The shared vocabulary (core layer, a leaf: it imports nothing of the crate): who
//! answered ([`Provider`]), which limit ([`Kind`], [`Cause`]) and over what window
//! ([`Window`]). `headers`, `table`, `diagnose`, the session and the views all speak it,
//! so it sits below them all and the core's imports point one way.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Who answered. The names are the `provider` values of the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Openai,
    Azure,
    Anthropic,
    Gemini,
    Vertex,
    Groq,
    Mistral,
    Openrouter,
    Together,
    Deepseek,
    Cohere,
    Xai,
    Fireworks,
    Bedrock,
    Perplexity,
    Unknown,
}

impl Provider {
    pub const ALL: [Provider; 16] = [
        Provider::Openai,
        Provider::Azure,
        Provider::Anthropic,
        Provider::Gemini,
        Provider::Vertex,
        Provider::Groq,
        Provider::Mistral,
        Provider::Openrouter,
        Provider::Together,
        Provider::Deepseek,
        Provider::Cohere,
        Provider::Xai,
        Provider::Fireworks,
        Provider::Bedrock,
        Provider::Perplexity,
        Provider::Unknown,
    ];

    /// The identifier used in JSON and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Provider::Openai => "openai",
            Provider::Azure => "azure",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
            Provider::Vertex => "vertex",
            Provider::Groq => "groq",
            Provider::Mistral => "mistral",
            Provider::Openrouter => "openrouter",
            Provider::Together => "together",
            Provider::Deepseek => "deepseek",
            Provider::Cohere => "cohere",
            Provider::Xai => "xai",
            Provider::Fireworks => "fireworks",
            Provider::Bedrock => "bedrock",
            Provider::Perplexity => "perplexity",
            Provider::Unknown => "unknown",
        }
    }

    /// The name a person reads.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Openai => "OpenAI",
            Provider::Azure => "Azure OpenAI",
            Provider::Anthropic => "Anthropic",
            Provider::Gemini => "Google Gemini",
            Provider::Vertex => "Google Vertex AI",
            Provider::Groq => "Groq",
            Provider::Mistral => "Mistral",
            Provider::Openrouter => "OpenRouter",
            Provider::Together => "Together AI",
            Provider::Deepseek => "DeepSeek",
            Provider::Cohere => "Cohere",
            Provider::Xai => "xAI",
            Provider::Fireworks => "Fireworks AI",
            Provider::Bedrock => "AWS Bedrock",
            Provider::Perplexity => "Perplexity",
            Provider::Unknown => "unknown provider",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Which limit was hit. The names are the `kind` values of the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Rpm,
    Tpm,
    Rpd,
    Tpd,
    Ipm,
    InputTpm,
    OutputTpm,
    Quota,
    Concurrency,
    Overloaded,
    Transient,
    NotRateLimit,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Rpm,
        Kind::Tpm,
        Kind::Rpd,
        Kind::Tpd,
        Kind::Ipm,
        Kind::InputTpm,
        Kind::OutputTpm,
        Kind::Quota,
        Kind::Concurrency,
        Kind::Overloaded,
        Kind::Transient,
        Kind::NotRateLimit,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::Rpm => "rpm",
            Kind::Tpm => "tpm",
            Kind::Rpd => "rpd",
            Kind::Tpd => "tpd",
            Kind::Ipm => "ipm",
            Kind::InputTpm => "input_tpm",
            Kind::OutputTpm => "output_tpm",
            Kind::Quota => "quota",
            Kind::Concurrency => "concurrency",
            Kind::Overloaded => "overloaded",
            Kind::Transient => "transient",
            Kind::NotRateLimit => "not_rate_limit",
        }
    }

    /// A short title: "requests per minute (RPM)".
    pub fn title(self) -> &'static str {
        match self {
            Kind::Rpm => "requests per minute (RPM)",
            Kind::Tpm => "tokens per minute (TPM)",
            Kind::Rpd => "requests per day (RPD)",
            Kind::Tpd => "tokens per day (TPD)",
            Kind::Ipm => "images per minute (IPM)",
            Kind::InputTpm => "input tokens per minute (ITPM)",
            Kind::OutputTpm => "output tokens per minute (OTPM)",
            Kind::Quota => "quota / billing",
            Kind::Concurrency => "concurrency",
            Kind::Overloaded => "server overloaded",
            Kind::Transient => "temporary rate limit",
            Kind::NotRateLimit => "not a rate limit",
        }
    }

    /// The window a kind implies, when it implies one.
    /// A limit on a rate: so much per minute or per day.
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            Kind::Rpm
                | Kind::Tpm
                | Kind::Rpd
                | Kind::Tpd
                | Kind::Ipm
                | Kind::InputTpm
                | Kind::OutputTpm
        )
    }

    pub fn window(self) -> Option<Window> {
        match self {
            Kind::Rpm | Kind::Tpm | Kind::Ipm | Kind::InputTpm | Kind::OutputTpm => {
                Some(Window::Minute)
            }
            Kind::Rpd | Kind::Tpd => Some(Window::Day),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The period a limit is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Second,
    Minute,
    Hour,
    Day,
    Month,
}

impl Window {
    pub fn id(self) -> &'static str {
        match self {
            Window::Second => "second",
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
            Window::Month => "month",
        }
    }
}

/// The finer cause behind a kind: the key of the cause/fix table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    RequestsPerMinute,
    TokensPerMinute,
    InputTokensPerMinute,
    OutputTokensPerMinute,
    RequestsPerDay,
    TokensPerDay,
    ImagesPerMinute,
    /// One request asks for more tokens than the whole per-minute limit.
    RequestTooLarge,
    /// Out of prepaid credit, no billing, quota used up.
    Quota,
    /// A spend or usage cap for the month (provider- or user-set).
    SpendCap,
    /// The plan has no allowance at all for this model (Gemini `limit: 0`).
    ZeroAllowance,
    /// A monthly call allowance (Cohere trial keys).
    MonthlyLimit,
    Concurrency,
    /// Traffic grew too fast (OpenAI `slow_down`, Anthropic acceleration limits).
    Ramp,
    Overloaded,
    /// An upstream provider behind a router is rate-limited, not the user.
    Upstream,
    /// A 429 with nothing more specific.
    Transient,
    Auth,
    PermissionDenied,
    NotFound,
    ContextLength,
    BadRequest,
    ServerError,
    Timeout,
    Connection,
    /// The client does not trust the server's TLS certificate (a corporate proxy's, a
    /// missing CA bundle): every retry fails the same way.
    Certificate,
}

impl Cause {
    pub const ALL: [Cause; 26] = [
        Cause::RequestsPerMinute,
        Cause::TokensPerMinute,
        Cause::InputTokensPerMinute,
        Cause::OutputTokensPerMinute,
        Cause::RequestsPerDay,
        Cause::TokensPerDay,
        Cause::ImagesPerMinute,
        Cause::RequestTooLarge,
        Cause::Quota,
        Cause::SpendCap,
        Cause::ZeroAllowance,
        Cause::MonthlyLimit,
        Cause::Concurrency,
        Cause::Ramp,
        Cause::Overloaded,
        Cause::Upstream,
        Cause::Transient,
        Cause::Auth,
        Cause::PermissionDenied,
        Cause::NotFound,
        Cause::ContextLength,
        Cause::BadRequest,
        Cause::ServerError,
        Cause::Timeout,
        Cause::Connection,
        Cause::Certificate,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Cause::RequestsPerMinute => "requests_per_minute",
            Cause::TokensPerMinute => "tokens_per_minute",
            Cause::InputTokensPerMinute => "input_tokens_per_minute",
            Cause::OutputTokensPerMinute => "output_tokens_per_minute",
            Cause::RequestsPerDay => "requests_per_day",
            Cause::TokensPerDay => "tokens_per_day",
            Cause::ImagesPerMinute => "images_per_minute",
            Cause::RequestTooLarge => "request_too_large",
            Cause::Quota => "quota",
            Cause::SpendCap => "spend_cap",
            Cause::ZeroAllowance => "zero_allowance",
            Cause::MonthlyLimit => "monthly_limit",
            Cause::Concurrency => "concurrency",
            Cause::Ramp => "ramp",
            Cause::Overloaded => "overloaded",
            Cause::Upstream => "upstream",
            Cause::Transient => "transient",
            Cause::Auth => "auth",
            Cause::PermissionDenied => "permission_denied",
            Cause::NotFound => "not_found",
            Cause::ContextLength => "context_length",
            Cause::BadRequest => "bad_request",
            Cause::ServerError => "server_error",
            Cause::Timeout => "timeout",
            Cause::Connection => "connection",
            Cause::Certificate => "certificate",
        }
    }

    /// The limit kind this cause is reported as.
    pub fn kind(self) -> Kind {
        match self {
            Cause::RequestsPerMinute => Kind::Rpm,
            Cause::TokensPerMinute | Cause::RequestTooLarge => Kind::Tpm,
            Cause::InputTokensPerMinute => Kind::InputTpm,
            Cause::OutputTokensPerMinute => Kind::OutputTpm,
            Cause::RequestsPerDay => Kind::Rpd,
            Cause::TokensPerDay => Kind::Tpd,
            Cause::ImagesPerMinute => Kind::Ipm,
            Cause::Quota | Cause::SpendCap | Cause::ZeroAllowance | Cause::MonthlyLimit => {
                Kind::Quota
            }
            Cause::Concurrency => Kind::Concurrency,
            Cause::Overloaded => Kind::Overloaded,
            Cause::Ramp | Cause::Upstream | Cause::Transient => Kind::Transient,
            Cause::Auth
            | Cause::PermissionDenied
            | Cause::NotFound
            | Cause::ContextLength
            | Cause::BadRequest
            | Cause::ServerError
            | Cause::Timeout
            | Cause::Connection
            | Cause::Certificate => Kind::NotRateLimit,
        }
    }

    /// Whether waiting and sending the same request again can ever succeed.
    pub fn retryable(self) -> bool {
        !matches!(
            self,
            Cause::RequestTooLarge
                | Cause::Quota
                | Cause::SpendCap
                | Cause::ZeroAllowance
                | Cause::MonthlyLimit
                | Cause::Auth
                | Cause::PermissionDenied
                | Cause::NotFound
                | Cause::ContextLength
                | Cause::BadRequest
                | Cause::Certificate
        )
    }
}
