//! What a failed call looked like to the client (core layer): the kind of failure, the HTTP
//! status and the server's retry hint. Policies decide on this alone.

use crate::diagnose::Kind;
use crate::limiter::{Dim, Reason};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a call failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Requests per minute.
    Rpm,
    /// Tokens per minute.
    Tpm,
    /// Requests per day.
    Rpd,
    /// Tokens per day.
    Tpd,
    /// Input tokens per minute (Anthropic ITPM).
    InputTpm,
    /// Output tokens per minute (Anthropic OTPM).
    OutputTpm,
    /// Too many requests in flight.
    Concurrency,
    /// The provider is overloaded (Anthropic 529, OpenAI 503).
    Overloaded,
    /// Any other 5xx.
    ServerError,
    /// The request timed out (408).
    Timeout,
    /// Out of credit / billing / quota: never clears by waiting.
    Quota,
    /// One request is bigger than the whole limit: never admitted.
    TooLarge,
    /// A malformed request (400).
    BadRequest,
    /// Bad or missing key (401).
    Auth,
}

impl FailureKind {
    pub const ALL: [FailureKind; 14] = [
        FailureKind::Rpm,
        FailureKind::Tpm,
        FailureKind::Rpd,
        FailureKind::Tpd,
        FailureKind::InputTpm,
        FailureKind::OutputTpm,
        FailureKind::Concurrency,
        FailureKind::Overloaded,
        FailureKind::ServerError,
        FailureKind::Timeout,
        FailureKind::Quota,
        FailureKind::TooLarge,
        FailureKind::BadRequest,
        FailureKind::Auth,
    ];

    /// The identifier used on the command line and in JSON (`too_large`, `rpm`, …).
    pub fn id(self) -> &'static str {
        match self {
            FailureKind::Rpm => "rpm",
            FailureKind::Tpm => "tpm",
            FailureKind::Rpd => "rpd",
            FailureKind::Tpd => "tpd",
            FailureKind::InputTpm => "input_tpm",
            FailureKind::OutputTpm => "output_tpm",
            FailureKind::Concurrency => "concurrency",
            FailureKind::Overloaded => "overloaded",
            FailureKind::ServerError => "server_error",
            FailureKind::Timeout => "timeout",
            FailureKind::Quota => "quota",
            FailureKind::TooLarge => "too_large",
            FailureKind::BadRequest => "bad_request",
            FailureKind::Auth => "auth",
        }
    }

    /// Parses an id; `-` and `_` are interchangeable, case is ignored.
    pub fn parse(s: &str) -> Option<FailureKind> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match norm.as_str() {
            "itpm" => "input_tpm",
            "otpm" => "output_tpm",
            "server" | "5xx" => "server_error",
            "billing" | "insufficient_quota" => "quota",
            other => other,
        };
        FailureKind::ALL.into_iter().find(|k| k.id() == alias)
    }

    /// Whether waiting and sending the same request again can ever succeed.
    pub fn retryable(self) -> bool {
        !matches!(
            self,
            FailureKind::Quota
                | FailureKind::TooLarge
                | FailureKind::BadRequest
                | FailureKind::Auth
        )
    }

    /// The status a provider answers with (OpenAI's wording: quota and "request too large"
    /// are 429s; overload is Anthropic's 529).
    pub fn default_status(self) -> u16 {
        match self {
            FailureKind::Overloaded => 529,
            FailureKind::ServerError => 500,
            FailureKind::Timeout => 408,
            FailureKind::BadRequest => 400,
            FailureKind::Auth => 401,
            _ => 429,
        }
    }

    /// The kind of a live answer with HTTP `status`, from its diagnosis when there is one
    /// (explain's [`Kind`] and whether retrying can help), else from the status alone.
    pub fn from_answer(status: u16, diagnosis: Option<(Kind, bool)>) -> FailureKind {
        let by_status = || match status {
            401 | 403 => FailureKind::Auth,
            408 => FailureKind::Timeout,
            413 => FailureKind::TooLarge,
            429 => FailureKind::Rpm,
            503 | 529 => FailureKind::Overloaded,
            s if s >= 500 => FailureKind::ServerError,
            _ => FailureKind::BadRequest,
        };
        let Some((kind, retryable)) = diagnosis else {
            return by_status();
        };
        let mapped = match kind {
            Kind::Rpm | Kind::Ipm => FailureKind::Rpm,
            Kind::Tpm => FailureKind::Tpm,
            Kind::Rpd => FailureKind::Rpd,
            Kind::Tpd => FailureKind::Tpd,
            Kind::InputTpm => FailureKind::InputTpm,
            Kind::OutputTpm => FailureKind::OutputTpm,
            Kind::Quota => FailureKind::Quota,
            Kind::Concurrency => FailureKind::Concurrency,
            Kind::Overloaded => FailureKind::Overloaded,
            Kind::Transient if status == 408 => FailureKind::Timeout,
            Kind::Transient => FailureKind::ServerError,
            Kind::NotRateLimit => by_status(),
        };
        match (retryable, mapped.retryable()) {
            // A token limit that one request alone exceeds never clears; any other
            // never-clearing 429 is a quota of some kind.
            (false, true) => match kind {
                Kind::Tpm | Kind::Tpd | Kind::InputTpm | Kind::OutputTpm => FailureKind::TooLarge,
                _ if status == 429 || status == 403 => FailureKind::Quota,
                _ => FailureKind::BadRequest,
            },
            _ => mapped,
        }
    }

    /// The kind of a limiter refusal (the simulator's 429s).
    pub fn from_reason(reason: Reason) -> FailureKind {
        match reason {
            Reason::Limit(dim) => match dim {
                Dim::Rpm => FailureKind::Rpm,
                Dim::Tpm => FailureKind::Tpm,
                Dim::Rpd => FailureKind::Rpd,
                Dim::Tpd => FailureKind::Tpd,
                Dim::InputTpm => FailureKind::InputTpm,
                Dim::OutputTpm => FailureKind::OutputTpm,
            },
            Reason::TooLarge(_) => FailureKind::TooLarge,
            Reason::Concurrency => FailureKind::Concurrency,
            Reason::Quota => FailureKind::Quota,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One failed call as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub status: u16,
    /// The server's hint in seconds (`retry-after-ms`, else `retry-after`), if any.
    pub retry_after_s: Option<f64>,
}

impl Failure {
    /// A failure of `kind` with its usual status and no hint.
    pub fn new(kind: FailureKind) -> Self {
        Failure {
            kind,
            status: kind.default_status(),
            retry_after_s: None,
        }
    }

    #[must_use]
    pub fn with_hint(mut self, retry_after_s: Option<f64>) -> Self {
        self.retry_after_s = retry_after_s;
        self
    }

    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_aliases() {
        for k in FailureKind::ALL {
            assert_eq!(FailureKind::parse(k.id()), Some(k));
        }
        assert_eq!(FailureKind::parse("TOO-LARGE"), Some(FailureKind::TooLarge));
        assert_eq!(
            FailureKind::parse("insufficient_quota"),
            Some(FailureKind::Quota)
        );
        assert_eq!(FailureKind::parse("nope"), None);
        assert!(!FailureKind::Quota.retryable());
        assert!(FailureKind::Rpm.retryable());
        assert_eq!(FailureKind::Quota.default_status(), 429);
        assert_eq!(
            FailureKind::from_reason(Reason::Limit(Dim::Tpm)),
            FailureKind::Tpm
        );
    }
}
