//! The diagnosis data model (core layer): the `Diagnosis` that `explain`, probe and the
//! proxy all report, in the words of [`crate::vocab`] (re-exported here).

pub use crate::vocab::{Cause, Kind, Provider, Window};
use serde::{Deserialize, Serialize};

/// A phrase of the input that decided a diagnosis (its kind or one of its numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The phrase, on one line, keys redacted.
    pub text: String,
    /// Its byte range `[start, end)` in the input.
    pub span: [u64; 2],
}

/// A count (tokens, requests) is written as an integer when it is one (`30000`, not
/// `30000.0`); a fraction stays a float.
fn count<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match *v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 => {
            s.serialize_some(&(x as i64))
        }
        Some(x) => s.serialize_some(&x),
        None => s.serialize_none(),
    }
}

/// One error found in the input, diagnosed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub provider: Provider,
    pub kind: Kind,
    pub window: Option<Window>,
    pub retryable: bool,
    pub status: Option<u16>,
    #[serde(serialize_with = "count")]
    pub limit: Option<f64>,
    #[serde(serialize_with = "count")]
    pub used: Option<f64>,
    #[serde(serialize_with = "count")]
    pub requested: Option<f64>,
    pub retry_after_s: Option<f64>,
    pub model: Option<String>,
    pub organization: Option<String>,
    pub occurrences: u64,
    pub cause: String,
    pub fix: String,
    /// Byte offsets `[start, end)` of the first occurrence in the input.
    pub span: [u64; 2],
    /// The finer cause (key of the cause/fix table).
    pub detail: Cause,
    /// One line saying what happened, e.g. "OpenAI tokens per minute (TPM) limit reached".
    pub title: String,
    /// How long to wait, in words ("27 s", "until 2026-09-01 00:00 UTC", "do not retry").
    pub wait: String,
    /// When a day or month limit comes back, when the input says so.
    pub resets: Option<String>,
    /// The phrases of the input that decided the kind and the numbers ("because: …").
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// The provider's own message (keys redacted, shortened).
    pub message: Option<String>,
    /// Which input it was found in (a path, `-` for stdin, `--text`), when several are read.
    pub source: Option<String>,
}
