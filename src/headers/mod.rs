//! Rate-limit headers → a provider-neutral [`Snapshot`] (core layer: pure; `now` is passed
//! in, never read).
//!
//! Families (see `provider-formats.md` §0.1): OpenAI/Azure/Groq `x-ratelimit-*` with Go
//! durations (Groq's `*-requests` are per day), Anthropic `anthropic-ratelimit-*` with RFC
//! 3339 resets, OpenRouter/Together `x-ratelimit-{limit,remaining,reset}`, Together
//! `x-tokenlimit-*`, Mistral `ratelimitbysize-*`, Fireworks `x-ratelimit-*-tokens-*`, and the
//! retry hints `retry-after`, `retry-after-ms`, `x-amz-retry-after`.

use crate::duration;
use crate::vocab::{Provider, Window};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What a budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Requests,
    Tokens,
    InputTokens,
    OutputTokens,
    Images,
    ProjectTokens,
}

impl Dimension {
    pub fn id(self) -> &'static str {
        match self {
            Dimension::Requests => "requests",
            Dimension::Tokens => "tokens",
            Dimension::InputTokens => "input_tokens",
            Dimension::OutputTokens => "output_tokens",
            Dimension::Images => "images",
            Dimension::ProjectTokens => "project_tokens",
        }
    }
}

/// One dimension's budget as one response reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub dimension: Dimension,
    pub window: Option<Window>,
    pub limit: Option<f64>,
    pub remaining: Option<f64>,
    /// Seconds until the budget is fully replenished, as of the response.
    pub reset_s: Option<f64>,
    /// The instant of the reset when the provider gives one (RFC 3339, UTC).
    pub reset_at: Option<String>,
    /// Read from an error message (`Limit 30000, Used 28541`: `explain --follow`), not
    /// from rate-limit headers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_message: bool,
}

/// One response's rate-limit state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub budgets: Vec<Budget>,
    pub retry_after_s: Option<f64>,
    /// Quirks applied while reading (Groq's per-day requests, Azure's `-1`, ...).
    pub notes: Vec<String>,
}

impl Snapshot {
    pub fn is_empty(&self) -> bool {
        self.budgets.is_empty() && self.retry_after_s.is_none()
    }

    /// The budget with the least headroom (remaining / limit), if any has both numbers.
    pub fn tightest(&self) -> Option<&Budget> {
        self.budgets
            .iter()
            .filter_map(|b| match (b.limit, b.remaining) {
                (Some(l), Some(r)) if l > 0.0 => Some((r / l, b)),
                _ => None,
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, b)| b)
    }

    /// The budget for a dimension, if reported.
    pub fn get(&self, dimension: Dimension) -> Option<&Budget> {
        self.budgets.iter().find(|b| b.dimension == dimension)
    }
}

/// Is this header name one ratedoctor reads?
pub fn is_rate_limit_header(name: &str) -> bool {
    let starts = |p: &str| {
        name.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    };
    starts("x-ratelimit")
        || starts("anthropic-ratelimit")
        || starts("anthropic-priority")
        || starts("x-tokenlimit")
        || starts("ratelimitbysize")
        || [
            "retry-after",
            "retry-after-ms",
            "x-amz-retry-after",
            "x-should-retry",
        ]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Guesses the provider from header names alone.
pub fn provider_from_headers<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Provider> {
    let mut openai_style = false;
    for name in names {
        let n = name.to_ascii_lowercase();
        if n.starts_with("anthropic-") {
            return Some(Provider::Anthropic);
        }
        if n == "x-ms-region" || n == "apim-request-id" || n.starts_with("x-ms-") {
            return Some(Provider::Azure);
        }
        if n.starts_with("x-amzn-") || n == "x-amz-retry-after" {
            return Some(Provider::Bedrock);
        }
        if n.starts_with("x-groq") {
            return Some(Provider::Groq);
        }
        if n.starts_with("openai-") {
            return Some(Provider::Openai);
        }
        if n.starts_with("x-tokenlimit") || n.ends_with("-dynamic") {
            return Some(Provider::Together);
        }
        if n.contains("ratelimitbysize") {
            return Some(Provider::Mistral);
        }
        if n.starts_with("x-ratelimit-limit-tokens-") || n == "x-ratelimit-over-limit" {
            return Some(Provider::Fireworks);
        }
        if n.starts_with("x-ratelimit-limit-requests") || n.starts_with("x-ratelimit-reset-") {
            openai_style = true;
        }
    }
    openai_style.then_some(Provider::Openai)
}

fn num(v: &str) -> Option<f64> {
    let t = v.trim().trim_matches(|c| c == '"' || c == '\'');
    let parsed = if t.contains(',') {
        t.replace(',', "").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    parsed.ok().filter(|x| x.is_finite())
}

/// Parses a reset value of the OpenAI family: a Go duration, or (Azure) plain seconds.
fn reset_value(v: &str) -> Option<f64> {
    let t = v.trim();
    duration::parse_go(t).or_else(|| num(t).filter(|x| *x >= 0.0))
}

#[derive(Default)]
struct Parts {
    limit: Option<f64>,
    remaining: Option<f64>,
    reset_s: Option<f64>,
    reset_at: Option<String>,
}

fn slot(
    list: &mut Vec<(Dimension, Option<Window>, Parts)>,
    dim: Dimension,
    window: Option<Window>,
) -> &mut Parts {
    let idx = match list.iter().position(|(d, w, _)| *d == dim && *w == window) {
        Some(i) => i,
        None => {
            list.push((dim, window, Parts::default()));
            list.len() - 1
        }
    };
    &mut list[idx].2
}

/// Reads every rate-limit header in `headers` (names in any case) into a [`Snapshot`].
///
/// `provider` resolves the ambiguous families (Groq's per-day requests; OpenRouter's
/// epoch-millisecond reset vs Together's seconds); `now` turns absolute resets into
/// countdowns and is only used for that.
pub fn parse(
    headers: &[(&str, &str)],
    provider: Option<Provider>,
    now: Option<Timestamp>,
) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut list: Vec<(Dimension, Option<Window>, Parts)> = Vec::new();
    let mut retry_after: Option<f64> = None;
    let mut retry_after_ms: Option<f64> = None;
    let mut placeholder = false;
    let groq = provider == Some(Provider::Groq);

    for (name, value) in headers {
        let n = name.trim();
        // Names usually come lower-case already (HTTP/2, hyper): no copy then.
        let n: std::borrow::Cow<'_, str> = if n.bytes().any(|b| b.is_ascii_uppercase()) {
            n.to_ascii_lowercase().into()
        } else {
            n.into()
        };
        let v = value.trim();
        match &*n {
            "retry-after" => {
                retry_after = duration::parse_retry_after(v).and_then(|r| match (r, now) {
                    (duration::RetryAfter::Seconds(s), _) => Some(s),
                    (r @ duration::RetryAfter::At(_), Some(now)) => Some(r.seconds_from(now)),
                    (duration::RetryAfter::At(_), None) => None,
                });
                continue;
            }
            "retry-after-ms" | "x-amz-retry-after" => {
                retry_after_ms = duration::parse_retry_after_ms(v);
                continue;
            }
            _ => {}
        }

        // Anthropic: anthropic-ratelimit-<dim>-<field>, anthropic-priority-<dim>-<field>
        if let Some(rest) = n
            .strip_prefix("anthropic-ratelimit-")
            .or_else(|| n.strip_prefix("anthropic-priority-"))
        {
            let Some((dim_s, field)) = rest.rsplit_once('-') else {
                continue;
            };
            let dim = match dim_s {
                "requests" => Dimension::Requests,
                "tokens" => Dimension::Tokens,
                "input-tokens" => Dimension::InputTokens,
                "output-tokens" => Dimension::OutputTokens,
                _ => continue,
            };
            let p = slot(&mut list, dim, Some(Window::Minute));
            match field {
                "limit" => p.limit = num(v),
                "remaining" => p.remaining = num(v),
                "reset" => {
                    if let Some(t) = duration::parse_rfc3339(v) {
                        p.reset_at = Some(duration::format_rfc3339(t));
                        if let Some(now) = now {
                            p.reset_s = Some(duration::seconds_between(now, t).max(0.0));
                        }
                    }
                }
                _ => {}
            }
            continue;
        }

        // Mistral: ratelimitbysize-{limit,remaining,reset}, x-ratelimitbysize-{limit,remaining}-{minute,month}
        if let Some(rest) = n
            .strip_prefix("x-ratelimitbysize-")
            .or_else(|| n.strip_prefix("ratelimitbysize-"))
        {
            let (field, window) = match rest.split_once('-') {
                Some((f, "minute")) => (f, Some(Window::Minute)),
                Some((f, "month")) => (f, Some(Window::Month)),
                Some((f, _)) => (f, None),
                None => (rest, Some(Window::Minute)),
            };
            let p = slot(&mut list, Dimension::Tokens, window);
            match field {
                "limit" => p.limit = num(v),
                "remaining" => p.remaining = num(v),
                "reset" => p.reset_s = num(v),
                _ => {}
            }
            continue;
        }

        // Together tokens per second.
        if let Some(field) = n.strip_prefix("x-tokenlimit-") {
            if field.ends_with("-dynamic") {
                continue;
            }
            let p = slot(&mut list, Dimension::Tokens, Some(Window::Second));
            match field {
                "limit" => p.limit = num(v),
                "remaining" => p.remaining = num(v),
                _ => {}
            }
            continue;
        }

        if let Some(rest) = n.strip_prefix("x-ratelimit-") {
            // OpenRouter / Together: x-ratelimit-{limit,remaining,reset}
            if matches!(rest, "limit" | "remaining" | "reset") {
                let window = match provider {
                    Some(Provider::Together) => Some(Window::Second),
                    _ => None,
                };
                let p = slot(&mut list, Dimension::Requests, window);
                match rest {
                    "limit" => p.limit = num(v),
                    "remaining" => p.remaining = num(v),
                    _ => {
                        if let Some(x) = num(v) {
                            if x > 1e12 {
                                // epoch milliseconds (OpenRouter)
                                if let Ok(t) = Timestamp::from_millisecond(x as i64) {
                                    p.reset_at = Some(duration::format_rfc3339(t));
                                    if let Some(now) = now {
                                        p.reset_s =
                                            Some(duration::seconds_between(now, t).max(0.0));
                                    }
                                }
                            } else if x > 1e9 {
                                if let Ok(t) = Timestamp::from_second(x as i64) {
                                    p.reset_at = Some(duration::format_rfc3339(t));
                                    if let Some(now) = now {
                                        p.reset_s =
                                            Some(duration::seconds_between(now, t).max(0.0));
                                    }
                                }
                            } else {
                                p.reset_s = Some(x);
                            }
                        }
                    }
                }
                continue;
            }
            // OpenAI family: x-ratelimit-<field>-<dim>
            let Some((field, dim_s)) = rest.split_once('-') else {
                continue;
            };
            let (dim, window) = match dim_s {
                "requests" if groq => (Dimension::Requests, Some(Window::Day)),
                "requests" => (Dimension::Requests, Some(Window::Minute)),
                "tokens" => (Dimension::Tokens, Some(Window::Minute)),
                "images" => (Dimension::Images, Some(Window::Minute)),
                "project-tokens" => (Dimension::ProjectTokens, Some(Window::Minute)),
                "tokens-prompt" => (Dimension::InputTokens, Some(Window::Second)),
                "tokens-generated" => (Dimension::OutputTokens, Some(Window::Second)),
                _ => continue,
            };
            let p = slot(&mut list, dim, window);
            let value = num(v);
            if matches!(field, "limit" | "remaining") && value.is_some_and(|x| x < 0.0) {
                placeholder = true;
                continue;
            }
            match field {
                "limit" => p.limit = value,
                "remaining" => p.remaining = value,
                "reset" => p.reset_s = reset_value(v),
                _ => {}
            }
        }
    }

    snap.retry_after_s = retry_after_ms.or(retry_after);
    // A budget, a count or a wait below zero means nothing (a garbled header, `-7`): drop it
    // rather than show "-7 of 10 left".
    let sane = |x: Option<f64>| x.filter(|v| *v >= 0.0);
    for (dimension, window, p) in list {
        let (limit, remaining, reset_s) = (sane(p.limit), sane(p.remaining), sane(p.reset_s));
        if limit.is_none() && remaining.is_none() && p.reset_at.is_none() {
            continue;
        }
        snap.budgets.push(Budget {
            dimension,
            window,
            limit,
            remaining: remaining.map(|r| match limit {
                Some(l) if r > l => l,
                _ => r,
            }),
            reset_s,
            reset_at: p.reset_at,
            from_message: false,
        });
    }
    if groq && snap.get(Dimension::Requests).is_some() {
        snap.notes.push(
            "Groq: x-ratelimit-*-requests count requests per day (RPD), not per minute".to_string(),
        );
    }
    if provider == Some(Provider::Anthropic) && snap.get(Dimension::Tokens).is_some() {
        snap.notes
            .push("Anthropic rounds tokens-remaining to the nearest thousand".to_string());
    }
    if placeholder {
        snap.notes.push(
            "-1 placeholders (seen on Azure's Responses API) mean the value is not reported"
                .to_string(),
        );
    }
    snap
}

#[cfg(test)]
mod tests;
