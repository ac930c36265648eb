//! From what an error says to a [`Diagnosis`]: which limit, the numbers, the wait.
//!
//! The rules follow `provider-formats.md`; the order matters: billing before rate limits
//! (a billing error never clears by retrying), a request bigger than the whole limit
//! before the per-minute limit it names, Gemini's quota ids before its misleading "You
//! exceeded your current quota" text.

use super::envelope::{Envelope, Shape, Violation};
use super::signals::{self, Votes};
use super::types::{Cause, Diagnosis, Kind, Provider, Window};
use crate::headers::{self, Dimension};
use crate::pattern::Gated;
use crate::{duration, redact, table};
use regex::Captures;

/// Everything known about one error before it is classified.
pub struct Facts<'a> {
    /// The error's own text (message, raw upstream text, or the whole block).
    pub text: String,
    pub envelope: Option<&'a Envelope>,
    /// The whole block, for status and headers around the body.
    pub block: &'a str,
    pub block_votes: &'a Votes,
    pub span: [u64; 2],
}

struct Found {
    cause: Cause,
    limit: Option<f64>,
    used: Option<f64>,
    requested: Option<f64>,
    model: Option<String>,
    organization: Option<String>,
    resets: Option<String>,
    window: Option<Window>,
    /// The text names the limit but not its window (Bedrock's "Too many tokens").
    no_window: bool,
    provider_hint: Option<Provider>,
}

impl Found {
    fn new(cause: Cause) -> Self {
        Found {
            cause,
            limit: None,
            used: None,
            requested: None,
            model: None,
            organization: None,
            resets: None,
            window: None,
            no_window: false,
            provider_hint: None,
        }
    }
}

fn num(s: &str) -> Option<f64> {
    s.trim()
        .trim_start_matches('~')
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

fn cap_num(c: &Captures<'_>, name: &str) -> Option<f64> {
    c.name(name).and_then(|m| num(m.as_str()))
}

fn cap_str(c: &Captures<'_>, name: &str) -> Option<String> {
    c.name(name)
        .map(|m| {
            m.as_str()
                .trim_matches(|c| c == '`' || c == '\'' || c == '"')
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

struct Patterns {
    openai: Gated,
    openai_old: Gated,
    openai_older: Gated,
    anthropic: Gated,
    anthropic_old_tokens: Gated,
    gemini_line: Gated,
    gemini_old: Gated,
    vertex: Gated,
    azure: Gated,
    azure_short: Gated,
    xai: Gated,
    together_qpm: Gated,
    deepseek_conc: Gated,
    cohere_calls: Gated,
    cohere_tokens: Gated,
    regain: Gated,
    rpm_value: Gated,
    max_named: Gated,
    afford: Gated,
    current_limit: Gated,
    bare_numbers: Gated,
    google_ids: Gated,
    google_values: Gated,
    google_models: Gated,
    model_generic: Gated,
    retry_hints: [Gated; 6],
}

static P: Patterns = Patterns {
    openai: Gated::new(
        &["rate limit reached", "request too large"],
        concat!(
            r"(?i)(?P<head>Rate limit reached|Request too large) for (?:(?:organization|project) `?(?P<org0>[^`\s]+?)`?|(?:model )?`?(?P<model>[^`\s]+?)`?",
            r"(?: in (?:organization|project) `?(?P<org>[^`\s]+?)`?)?)(?: service tier `?[^`\s]+`?)?",
            r" on (?P<dim>[a-z_ ]*?)\s*(?:\((?P<abbr>[A-Z]+)\))?:\s*Limit (?P<limit>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?)",
            r"(?:, Used (?P<used>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?))?(?:, Requested (?P<req>~?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?))?"
        ),
    ),
    openai_old: Gated::new(
        &["rate limit reached for"],
        concat!(
            r"(?i)Rate limit reached for (?P<model>\S+)(?: in organization (?P<org>\S+?))? ?(?:on )?(?P<dim>tokens|requests) per (?P<per>min|day)\. Limit: (?P<limit>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?) / (?:min|day)",
            r"(?:\. Current: (?P<used>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?) / (?:min|day))?"
        ),
    ),
    openai_older: Gated::new(
        &["rate limit reached for"],
        r"(?i)Rate limit reached for (?P<dim>tokens|requests)\. Limit: (?P<limit>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?) / (?P<per>min|day)\. Current: (?P<used>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?) / (?:min|day)",
    ),
    anthropic: Gated::new(
        &["per minute"],
        concat!(
            r"(?i)exceed (?:the rate limit for your organization|your organization's rate limit)",
            r"(?: \((?P<org1>[^)]+)\))? of (?P<limit>[\d,]+) (?P<dim>input tokens|output tokens|requests|tokens) per minute",
            r"(?: \(org: (?P<org2>[^,)]+)(?:, model: (?P<model>[^)]+))?\))?"
        ),
    ),
    anthropic_old_tokens: Gated::new(
        &["tokens has exceeded your"],
        r"(?i)Number of (?:request )?tokens has exceeded your (?P<per>per-minute |daily )?rate limit",
    ),
    gemini_line: Gated::new(
        &["quota exceeded for metric: "],
        r"Quota exceeded for metric: (?P<metric>[^,\s]+), limit: (?P<limit>\d+)(?:, model: (?P<model>[\w.\-/]+))?",
    ),
    gemini_old: Gated::new(
        &["quota exceeded for quota metric"],
        r"Quota exceeded for quota metric '(?P<metric>[^']+)' and limit '(?P<limit>[^']+)'",
    ),
    vertex: Gated::new(
        &["quota exceeded for aiplatform.googleapis.com/"],
        r"Quota exceeded for (?P<metric>aiplatform\.googleapis\.com/\S+?)(?: with base model: (?P<model>[\w.\-@]+))?[.\s]",
    ),
    retry_hints: [
        Gated::new(
            &["try again in"],
            r"(?i)(?:Please )?try again in (?P<d>(?:\d+(?:\.\d+)?\s?(?:ms|h|m|s)\s?)+)",
        ),
        Gated::new(
            &["please retry in"],
            r"(?i)Please retry in (?P<d>\d+(?:\.\d+)?(?:ms|s))",
        ),
        Gated::new(
            &["retry after "],
            r"(?i)retry after (?P<n>\d+(?:\.\d+)?) seconds?",
        ),
        Gated::new(
            &["try again in", "try again after"],
            r"(?i)try again (?:in|after) (?P<n>\d+(?:\.\d+)?) seconds?",
        ),
        Gated::new(
            &["quota will reset after"],
            r"(?i)quota will reset after (?P<d>\d+(?:\.\d+)?(?:ms|s))",
        ),
        Gated::new(
            &["retrydelay"],
            r#"(?i)retryDelay['"]?\s*[:=]\s*['"](?P<d>[\d.]+s)['"]"#,
        ),
    ],
    azure: Gated::new(
        &["rate limit of your current", "rate limit for your current"],
        r"(?i)exceeded (?:the )?(?P<which>token|call) rate limit (?:of|for) your current",
    ),
    azure_short: Gated::new(
        &["rate limit is exceeded. try again in"],
        r"(?i)Rate limit is exceeded\. Try again in",
    ),
    xai: Gated::new(
        &[" for team "],
        r"(?i)Too many (?P<what>tokens|requests) for team (?P<team>[0-9a-f-]+)(?: and model (?P<model>[\w.\-]+))?\.?(?:.*?\(actual/limit\): (?P<used>\d+)/(?P<limit>\d+))?",
    ),
    together_qpm: Gated::new(
        &["queries per minute"],
        r"(?i)(?:rate limit is|maximum rate limit for this model is) (?P<limit>[\d.]+) queries per minute",
    ),
    deepseek_conc: Gated::new(
        &["current concurrency is "],
        r"(?i)current concurrency is (?P<used>\d+), which exceeds your concurrency limit of (?P<limit>\d+)",
    ),
    cohere_calls: Gated::new(
        &["api calls / "],
        r"(?i)limited to (?P<limit>[\d,]+) API calls / (?P<per>minute|month)",
    ),
    cohere_tokens: Gated::new(
        &["token rate limit exceeded, limit is"],
        r"(?i)token rate limit exceeded, limit is (?P<limit>[\d,]+) tokens per minute",
    ),
    regain: Gated::new(
        &["regain access on "],
        r"(?i)regain access on (?P<date>\d{4}-\d{2}-\d{2}) at (?P<time>\d{2}:\d{2}) UTC",
    ),
    rpm_value: Gated::new(&[" rpm"], r"(?i)\b(?P<n>[\d,]+) RPM\b"),
    max_named: Gated::new(
        &["max "],
        r"(?i)max (?:organization )?(?P<what>rpm|tpm|rpd|tpd|concurrency|request)s?: (?P<n>\d+)",
    ),
    afford: Gated::new(
        &["can only afford", "limit exceeded: "],
        concat!(
            r"(?i)requested up to (?P<req>\d+) tokens, but can only afford (?P<lim>\d+)",
            r"|limit exceeded: (?P<req2>\d+) > (?P<lim2>\d+)"
        ),
    ),
    current_limit: Gated::new(
        &["current: ", "used: ", "limit:"],
        concat!(
            r"(?i)current: (?P<used>[\d,]+), limit: (?P<limit>[\d,]+)",
            r"|limit \((?P<limit2>[\d,]+) per day\) exceeded\. Used: (?P<used2>[\d,]+)",
            r"|limit:(?P<limit3>\d+),time:1 minute"
        ),
    ),
    bare_numbers: Gated::new(
        &["limit "],
        r"(?i)\bLimit (?P<limit>[\d,]+), Used (?P<used>[\d,]+), Requested (?P<req>[\d,]+)",
    ),
    google_ids: Gated::new(
        &["quotaid", "quota_id", "quota_limit"],
        concat!(
            r#"(?i)(?:quota_?id|quota_limit)['"]?\s*[:=]\s*['"]?(?P<id>[A-Za-z]+(?:-FreeTier)?)"#,
            r#"|key:\s*"quota_limit"\s*value:\s*"(?P<id2>\w+)""#
        ),
    ),
    google_values: Gated::new(
        &["quotavalue", "quota_value", "quota_limit_value"],
        concat!(
            r#"(?i)(?:quota_?value|quota_limit_value)['"]?\s*[:=]\s*['"]?(?P<v>\d+)"#,
            r#"|key:\s*"quota_limit_value"\s*value:\s*"(?P<v2>\d+)""#
        ),
    ),
    google_models: Gated::new(
        &["model"],
        r#"['"]model['"]\s*:\s*['"](?P<m>[\w.\-/]+)|key:\s*"model"\s*value:\s*"(?P<m2>[\w.\-/]+)""#,
    ),
    model_generic: Gated::new(
        &["model"],
        r#"(?i)(?:model[:=]\s*|model `|model ['"]|for model |base model: )`?(?P<model>[\w.\-/:@]+)"#,
    ),
};

/// This module's gated patterns.
pub(crate) fn gates() -> impl Iterator<Item = &'static Gated> {
    [
        &P.openai,
        &P.openai_old,
        &P.openai_older,
        &P.anthropic,
        &P.anthropic_old_tokens,
        &P.gemini_line,
        &P.gemini_old,
        &P.vertex,
        &P.azure,
        &P.azure_short,
        &P.xai,
        &P.together_qpm,
        &P.deepseek_conc,
        &P.cohere_calls,
        &P.cohere_tokens,
        &P.regain,
        &P.rpm_value,
        &P.max_named,
        &P.afford,
        &P.current_limit,
        &P.bare_numbers,
        &P.google_ids,
        &P.google_values,
        &P.google_models,
        &P.model_generic,
    ]
    .into_iter()
    .chain(P.retry_hints.iter())
}

fn has(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

fn has_ci(lower: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| lower.contains(n))
}

/// The server's advised wait stated in the error's text.
fn retry_hint(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    for r in P.retry_hints.iter() {
        if let Some(c) = r.captures(text, &lower) {
            if let Some(d) = c.name("d") {
                let compact: String = d.as_str().split_whitespace().collect();
                if let Some(s) = duration::parse_go(&compact) {
                    return Some(s);
                }
            }
            if let Some(n) = cap_num(&c, "n") {
                return Some(n);
            }
        }
    }
    None
}

fn quota_cause(text: &str, lower: &str, env: Option<&Envelope>, google: bool) -> Option<Cause> {
    let codes: Vec<&str> = env
        .map(|e| {
            e.code
                .iter()
                .chain(e.etype.iter())
                .chain(e.detail_codes.iter())
                .map(String::as_str)
                .collect()
        })
        .unwrap_or_default();
    let code_is = |names: &[&str]| codes.iter().any(|c| names.contains(c)) || has(text, names);
    if code_is(&["enforced_spend_limit_reached"]) {
        return Some(Cause::SpendCap);
    }
    if code_is(&[
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
    ]) {
        return Some(Cause::SpendCap);
    }
    if code_is(&[
        "insufficient_quota",
        "credit_balance_exhausted",
        "billing_not_active",
        "billing_error",
        "blocked_api_access",
    ]) {
        return Some(Cause::Quota);
    }
    if lower.contains("key limit exceeded") {
        return Some(Cause::SpendCap);
    }
    if has_ci(
        lower,
        &[
            "reached your specified api usage limits",
            "reached your specified workspace api usage limits",
            "reached your api usage limits",
            "monthly spending limit",
            "monthly api usage threshold",
        ],
    ) {
        return Some(Cause::SpendCap);
    }
    if lower.contains("api calls / month") {
        return Some(Cause::MonthlyLimit);
    }
    if has_ci(
        lower,
        &[
            "credit balance is too low",
            "prepayment credits are depleted",
            "insufficient balance",
            "insufficient credits",
            "requires more credits",
            "used all available credits",
            "no credits remaining",
            "account is not active",
            "extra usage is required",
            "top up your balance to restore",
            "individual quota reached",
            "enable overages",
            "insufficientquota",
            "bigger than the current available capacity",
            "bigger than available capacity",
            "allocated quota exceeded",
            "positive balance",
            "billing_hard_limit_reached",
            "billing hard limit",
            "can only afford",
            "prompt tokens limit exceeded",
            "(0/0 used)",
            "credits_balance",
            "\u{6b20}\u{8d39}",
            "\u{4f59}\u{989d}\u{4e0d}\u{8db3}",
            "\u{989d}\u{5ea6}\u{4e0d}\u{8db3}",
        ],
    ) && !lower.contains("concurrency")
    {
        return Some(Cause::Quota);
    }
    if !google
        && lower.contains("exceeded your current quota")
        && !lower.contains("generativelanguage")
        && !lower.contains("ai.google.dev")
    {
        return Some(Cause::Quota);
    }
    None
}

fn dim_cause(dim: &str, abbr: Option<&str>) -> Option<Cause> {
    let by_abbr = match abbr.unwrap_or_default() {
        "RPM" => Some(Cause::RequestsPerMinute),
        "TPM" => Some(Cause::TokensPerMinute),
        "RPD" => Some(Cause::RequestsPerDay),
        "TPD" => Some(Cause::TokensPerDay),
        "ITPM" => Some(Cause::InputTokensPerMinute),
        "OTPM" => Some(Cause::OutputTokensPerMinute),
        "IPM" => Some(Cause::ImagesPerMinute),
        _ => None,
    };
    by_abbr.or_else(|| {
        let d = dim.to_ascii_lowercase();
        let day = d.contains("day");
        if d.contains("input tokens") {
            Some(Cause::InputTokensPerMinute)
        } else if d.contains("output tokens") {
            Some(Cause::OutputTokensPerMinute)
        } else if d.contains("token") {
            Some(if day {
                Cause::TokensPerDay
            } else {
                Cause::TokensPerMinute
            })
        } else if d.contains("request") {
            Some(if day {
                Cause::RequestsPerDay
            } else {
                Cause::RequestsPerMinute
            })
        } else if d.contains("image") {
            Some(Cause::ImagesPerMinute)
        } else {
            None
        }
    })
}

/// Google quota ids (and metric names) read by their grammar: `{Input,Output}Tokens` or
/// `Requests`, `PerMinute` or `PerDay`. The cause, and whether the name states a window.
fn google_quota(name: &str) -> (Cause, bool) {
    let n = name.to_ascii_lowercase();
    let day = n.contains("perday") || n.contains("per day") || n.contains("per_day");
    let minute = n.contains("perminute") || n.contains("per minute") || n.contains("per_minute");
    let tokens = n.contains("token");
    let cause = match (day, tokens) {
        (true, true) => Cause::TokensPerDay,
        (true, false) => Cause::RequestsPerDay,
        (false, true) if n.contains("output") => Cause::OutputTokensPerMinute,
        (false, true) if n.contains("input") => Cause::InputTokensPerMinute,
        (false, true) => Cause::TokensPerMinute,
        (false, false) => Cause::RequestsPerMinute,
    };
    (cause, day || minute)
}

/// Every quota id in a Google error however it is printed (JSON, a Python repr, protobuf
/// text, a `rich` box once made plain), each with the value and model that follow it.
fn google_ids(block: &str, lower: &str) -> Vec<(String, Option<f64>, Option<String>)> {
    // Where each capture of `g` is, by whichever of its two named groups matched.
    let found = |g: &Gated, a: &str, b: &str| -> Vec<(usize, String)> {
        g.captures_iter(block, lower)
            .filter_map(|c| {
                let m = c.name(a).or_else(|| c.name(b))?;
                Some((m.start(), m.as_str().to_string()))
            })
            .collect()
    };
    let ids: Vec<(usize, String)> = found(&P.google_ids, "id", "id2")
        .into_iter()
        .filter(|(_, id)| id.len() > 6)
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let values: Vec<(usize, f64)> = found(&P.google_values, "v", "v2")
        .into_iter()
        .filter_map(|(at, v)| Some((at, num(&v)?)))
        .collect();
    let models = found(&P.google_models, "m", "m2");
    // What lies between an id and the next belongs to it; what comes before the first id
    // belongs to the first.
    let mut out = Vec::new();
    for (k, (at, id)) in ids.iter().enumerate() {
        let from = if k == 0 { 0 } else { *at };
        let to = ids.get(k + 1).map_or(usize::MAX, |n| n.0);
        let value = values
            .iter()
            .find(|(p, _)| (from..to).contains(p))
            .map(|v| v.1);
        let model = models
            .iter()
            .find(|(p, _)| (from..to).contains(p))
            .or_else(|| models.iter().rev().find(|(p, _)| p < at))
            .map(|m| m.1.clone());
        out.push((id.clone(), value, model));
    }
    out
}

/// Gemini/Vertex: a zero allowance first, then the violation with the longest window.
fn google_cause(
    violations: &[Violation],
    text: &str,
    lower: &str,
    block: &str,
    block_lower: &str,
) -> Option<Found> {
    let mut items: Vec<(String, Option<f64>, Option<String>)> = violations
        .iter()
        .map(|v| {
            (
                format!("{} {}", v.quota_id, v.metric),
                v.value,
                v.model.clone(),
            )
        })
        .collect();
    items.extend(google_ids(block, block_lower));
    for (t, l) in [(text, lower), (block, block_lower)] {
        for c in P.gemini_line.captures_iter(t, l) {
            items.push((
                cap_str(&c, "metric").unwrap_or_default(),
                cap_num(&c, "limit"),
                cap_str(&c, "model"),
            ));
        }
    }
    for (t, l) in [(text, lower), (block, block_lower)] {
        if let Some(c) = P.gemini_old.captures(t, l) {
            items.push((
                format!(
                    "{} {}",
                    cap_str(&c, "metric").unwrap_or_default(),
                    cap_str(&c, "limit").unwrap_or_default()
                ),
                None,
                None,
            ));
            break;
        }
    }
    for (t, l) in [(text, lower), (block, block_lower)] {
        if let Some(c) = P.vertex.captures(t, l) {
            items.push((
                cap_str(&c, "metric").unwrap_or_default(),
                None,
                cap_str(&c, "model"),
            ));
            break;
        }
    }
    if items.is_empty() {
        return None;
    }
    let model = items.iter().find_map(|i| i.2.clone());
    if let Some(zero) = items.iter().find(|i| i.1 == Some(0.0)) {
        let mut f = Found::new(Cause::ZeroAllowance);
        f.limit = Some(0.0);
        f.model = zero.2.clone().or(model);
        let (_, stated) = google_quota(&zero.0);
        if !stated {
            f.no_window = true;
        } else {
            f.window = google_quota(&zero.0).0.kind().window();
        }
        return Some(f);
    }
    let rank = |c: Cause, stated: bool| match c {
        Cause::TokensPerDay | Cause::RequestsPerDay => 0,
        _ if !stated => 3,
        Cause::InputTokensPerMinute | Cause::OutputTokensPerMinute | Cause::TokensPerMinute => 1,
        _ => 2,
    };
    let (cause, stated, best) = items
        .iter()
        .map(|i| {
            let (c, stated) = google_quota(&i.0);
            (c, stated, i)
        })
        .min_by_key(|(c, stated, i)| (rank(*c, *stated), i.1.is_none()))?;
    let mut f = Found::new(cause);
    f.limit = best.1.or_else(|| {
        items
            .iter()
            .find(|i| i.1.is_some() && google_quota(&i.0).0 == cause)
            .and_then(|i| i.1)
    });
    f.model = best.2.clone().or(model);
    f.no_window = !stated;
    Some(f)
}

fn specific(facts: &Facts<'_>, provider_guess: Provider) -> Option<Found> {
    let text = facts.text.as_str();
    let env = facts.envelope;
    let mut lower = text.to_ascii_lowercase();
    if let Some(e) = env {
        for c in e.etype.iter().chain(e.code.iter()) {
            lower.push(' ');
            lower.push_str(&c.to_ascii_lowercase());
        }
    }
    let google = matches!(provider_guess, Provider::Gemini | Provider::Vertex)
        || env.is_some_and(|e| {
            e.shape == Shape::Google || !e.violations.is_empty() || e.status_text.is_some()
        });

    if let Some(cause) = quota_cause(text, &lower, env, google) {
        let mut f = Found::new(cause);
        if let Some(c) = P.afford.captures(text, &lower) {
            f.requested = cap_num(&c, "req").or_else(|| cap_num(&c, "req2"));
            f.limit = cap_num(&c, "lim").or_else(|| cap_num(&c, "lim2"));
        }
        if let Some(c) = P.regain.captures(text, &lower) {
            f.resets = Some(format!(
                "{} {} UTC",
                cap_str(&c, "date").unwrap_or_default(),
                cap_str(&c, "time").unwrap_or_default()
            ));
        }
        if cause == Cause::MonthlyLimit || lower.contains("monthly") {
            f.window = Some(Window::Month);
            if let Some(c) = P.cohere_calls.captures(text, &lower) {
                f.limit = cap_num(&c, "limit");
            }
        }
        return Some(f);
    }

    if let Some(c) = P.openai.captures(text, &lower) {
        let too_large = c
            .name("head")
            .is_some_and(|h| h.as_str().eq_ignore_ascii_case("Request too large"));
        let dim = dim_cause(
            c.name("dim").map_or("", |m| m.as_str()),
            c.name("abbr").map(|m| m.as_str()),
        );
        let cause = if too_large {
            Cause::RequestTooLarge
        } else {
            dim.or_else(|| match env.and_then(|e| e.etype.as_deref()) {
                Some("tokens") => Some(Cause::TokensPerMinute),
                Some("requests") => Some(Cause::RequestsPerMinute),
                _ => None,
            })
            .unwrap_or(Cause::Transient)
        };
        let mut f = Found::new(cause);
        f.limit = cap_num(&c, "limit");
        f.used = cap_num(&c, "used");
        f.requested = cap_num(&c, "req");
        f.model = cap_str(&c, "model");
        f.organization = cap_str(&c, "org").or_else(|| cap_str(&c, "org0"));
        if too_large && let Some(Cause::TokensPerDay) = dim {
            f.window = Some(Window::Day);
        }
        return Some(f);
    }
    if let Some(c) = P.openai_old.captures(text, &lower) {
        let day = c.name("per").is_some_and(|m| m.as_str() == "day");
        let tokens = c.name("dim").is_some_and(|m| m.as_str() == "tokens");
        let mut f = Found::new(match (tokens, day) {
            (true, false) => Cause::TokensPerMinute,
            (true, true) => Cause::TokensPerDay,
            (false, false) => Cause::RequestsPerMinute,
            (false, true) => Cause::RequestsPerDay,
        });
        f.limit = cap_num(&c, "limit");
        f.used = cap_num(&c, "used");
        f.model = cap_str(&c, "model");
        f.organization = cap_str(&c, "org").filter(|o| o.len() > 4);
        return Some(f);
    }
    if let Some(c) = P.openai_older.captures(text, &lower) {
        let tokens = c.name("dim").is_some_and(|m| m.as_str() == "tokens");
        let mut f = Found::new(if tokens {
            Cause::TokensPerMinute
        } else {
            Cause::RequestsPerMinute
        });
        f.limit = cap_num(&c, "limit");
        f.used = cap_num(&c, "used");
        f.provider_hint = Some(Provider::Openai);
        return Some(f);
    }
    if let Some(c) = P.anthropic.captures(text, &lower) {
        let dim = c.name("dim").map_or("", |m| m.as_str());
        let mut f = Found::new(dim_cause(dim, None).unwrap_or(Cause::TokensPerMinute));
        f.limit = cap_num(&c, "limit");
        f.organization = cap_str(&c, "org2").or_else(|| cap_str(&c, "org1"));
        f.model = cap_str(&c, "model");
        f.provider_hint = Some(Provider::Anthropic);
        return Some(f);
    }
    if let Some(c) = P.anthropic_old_tokens.captures(text, &lower) {
        let per = c
            .name("per")
            .map(|m| m.as_str().trim().to_ascii_lowercase());
        let mut f = Found::new(if per.as_deref() == Some("daily") {
            Cause::TokensPerDay
        } else {
            Cause::TokensPerMinute
        });
        f.no_window = per.is_none();
        f.provider_hint = Some(Provider::Anthropic);
        return Some(f);
    }
    if let Some(c) = P.bare_numbers.captures(text, &lower) {
        // A fragment of OpenAI's wording: one requested unit against a small limit is a
        // request count, anything else tokens. The window is not in the text.
        let req = cap_num(&c, "req");
        let limit = cap_num(&c, "limit");
        let requests = req == Some(1.0) && limit.is_some_and(|l| l < 10_000.0);
        let mut f = Found::new(if requests {
            Cause::RequestsPerMinute
        } else {
            Cause::TokensPerMinute
        });
        f.limit = limit;
        f.used = cap_num(&c, "used");
        f.requested = req;
        f.no_window = true;
        return Some(f);
    }
    if let Some(c) = P.deepseek_conc.captures(text, &lower) {
        let mut f = Found::new(Cause::Concurrency);
        f.used = cap_num(&c, "used");
        f.limit = cap_num(&c, "limit");
        return Some(f);
    }
    if let Some(c) = P.max_named.captures(text, &lower) {
        let what = c
            .name("what")
            .map_or("", |m| m.as_str())
            .to_ascii_lowercase();
        let mut f = Found::new(match what.as_str() {
            "tpm" => Cause::TokensPerMinute,
            "rpd" => Cause::RequestsPerDay,
            "tpd" => Cause::TokensPerDay,
            "concurrency" => Cause::Concurrency,
            _ => Cause::RequestsPerMinute,
        });
        f.no_window = what == "request";
        f.limit = cap_num(&c, "n");
        return Some(f);
    }
    if has_ci(
        &lower,
        &[
            "concurrent connections",
            "concurrent requests",
            "concurrency limit",
            "too many connections",
            "\u{5e76}\u{53d1}",
        ],
    ) {
        return Some(Found::new(Cause::Concurrency));
    }
    let block_lower = facts.block.to_ascii_lowercase();
    if let Some(f) = google_cause(
        env.map(|e| e.violations.as_slice()).unwrap_or_default(),
        text,
        &lower,
        facts.block,
        &block_lower,
    ) {
        return Some(f);
    }
    if let Some(c) = P.azure.captures(text, &lower) {
        let tokens = c
            .name("which")
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case("token"));
        let mut f = Found::new(if tokens {
            Cause::TokensPerMinute
        } else {
            Cause::RequestsPerMinute
        });
        f.provider_hint = Some(Provider::Azure);
        return Some(f);
    }
    if P.azure_short.is_match(text, &lower) {
        let mut f = Found::new(Cause::Transient);
        f.provider_hint = Some(Provider::Azure);
        return Some(f);
    }
    if let Some(c) = P.xai.captures(text, &lower) {
        let tokens = c
            .name("what")
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case("tokens"));
        let mut f = Found::new(if tokens {
            Cause::TokensPerMinute
        } else {
            Cause::RequestsPerMinute
        });
        f.used = cap_num(&c, "used");
        f.limit = cap_num(&c, "limit");
        f.model = cap_str(&c, "model");
        f.organization = cap_str(&c, "team");
        f.provider_hint = Some(Provider::Xai);
        return Some(f);
    }
    if lower.contains("dynamic_request_limited") {
        return Some(Found::new(Cause::RequestsPerMinute));
    }
    if lower.contains("dynamic_token_limited") {
        return Some(Found::new(Cause::TokensPerMinute));
    }
    if let Some(c) = P.together_qpm.captures(text, &lower) {
        let mut f = Found::new(Cause::RequestsPerMinute);
        f.limit = cap_num(&c, "limit");
        return Some(f);
    }
    if let Some(c) = P.cohere_calls.captures(text, &lower) {
        let mut f = Found::new(Cause::RequestsPerMinute);
        f.limit = cap_num(&c, "limit");
        f.provider_hint = Some(Provider::Cohere);
        return Some(f);
    }
    if let Some(c) = P.cohere_tokens.captures(text, &lower) {
        let mut f = Found::new(Cause::TokensPerMinute);
        f.limit = cap_num(&c, "limit");
        return Some(f);
    }
    if lower.contains("past the per minute request limit")
        || lower.contains("trial keys are throttled")
    {
        return Some(Found::new(Cause::RequestsPerMinute));
    }
    if lower.contains("free-models-per-day") {
        let mut f = Found::new(Cause::RequestsPerDay);
        f.provider_hint = Some(Provider::Openrouter);
        return Some(f);
    }
    if lower.contains("free-models-per-min") {
        let mut f = Found::new(Cause::RequestsPerMinute);
        f.provider_hint = Some(Provider::Openrouter);
        return Some(f);
    }
    if lower.contains("rate-limited upstream") || lower.contains("rate limited upstream") {
        return Some(Found::new(Cause::Upstream));
    }
    if let Some(f) = phrases(text, &lower) {
        return Some(f);
    }
    // Bedrock classes and messages.
    let etype = env.and_then(|e| e.etype.as_deref()).unwrap_or_default();
    let throttled =
        etype.eq_ignore_ascii_case("ThrottlingException") || lower.contains("throttlingexception");
    if lower.contains("too many tokens") && (throttled || lower.contains("please wait")) {
        return Some(Found::new(Cause::TokensPerMinute));
    }
    if lower.contains("too many requests, please wait")
        || lower.contains("request rate is too high")
        || lower.contains("requests rate limit exceeded")
    {
        return Some(Found::new(Cause::RequestsPerMinute));
    }
    if lower.contains("servicequotaexceededexception") || etype == "ServiceQuotaExceededException" {
        return Some(Found::new(Cause::Quota));
    }
    if lower.contains("serviceunavailableexception") || etype == "ServiceUnavailableException" {
        return Some(Found::new(Cause::Overloaded));
    }
    if throttled || etype == "ModelNotReadyException" {
        return Some(Found::new(Cause::Transient));
    }
    let codes = env
        .map(|e| {
            format!(
                "{} {}",
                e.code.as_deref().unwrap_or(""),
                e.etype.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_default();
    if codes.contains("slow_down")
        || lower.contains("acceleration limit")
        || lower.contains("request rate increased too quickly")
    {
        return Some(Found::new(Cause::Ramp));
    }
    if has_ci(
        &lower,
        &[
            "overloaded",
            "capacity_exceeded",
            "capacity exceeded",
            "high demand",
            "service overloaded",
            "server_is_overloaded",
            "currently experiencing high",
        ],
    ) {
        return Some(Found::new(Cause::Overloaded));
    }
    None
}

/// Wordings that name what happened without a provider's grammar: relays, gateways,
/// CLIs and UIs. In order: a named limit, a subscription window, the server's capacity.
fn phrases(text: &str, lower: &str) -> Option<Found> {
    let with_numbers = |cause: Cause, no_window: bool| {
        let mut f = Found::new(cause);
        f.no_window = no_window;
        if let Some(c) = P.current_limit.captures(text, lower) {
            f.used = cap_num(&c, "used").or_else(|| cap_num(&c, "used2"));
            f.limit = cap_num(&c, "limit")
                .or_else(|| cap_num(&c, "limit2"))
                .or_else(|| cap_num(&c, "limit3"));
        }
        Some(f)
    };
    // The server's capacity first: the corpus rules read it before any named limit.
    if has_ci(
        lower,
        &[
            "server is busy",
            "service is busy",
            "model busy",
            "model is busy",
            "\u{8d1f}\u{8f7d}\u{5df2}\u{9971}\u{548c}",
            "no capacity available",
            "model_capacity_exhausted",
            "temporarily limiting requests",
            "out of capacity",
            "server overloaded",
            "capacity errors",
        ],
    ) {
        return Some(Found::new(Cause::Overloaded));
    }
    if has_ci(
        lower,
        &[
            "tpd rate limit",
            "per day) exceeded",
            "too many tokens per day",
        ],
    ) {
        return with_numbers(Cause::TokensPerDay, false);
    }
    if has_ci(
        lower,
        &[
            "daily limit of requests",
            "daily quota",
            "requests per day",
            "request limit per day",
        ],
    ) || (lower.contains("daily") && lower.contains("quota limit"))
    {
        return with_numbers(Cause::RequestsPerDay, false);
    }
    if has_ci(lower, &["tpm limit", "tpm rate limit"]) {
        return with_numbers(Cause::TokensPerMinute, false);
    }
    if has_ci(lower, &["rpm limit", "rpm rate limit", "time:1 minute"]) {
        return with_numbers(Cause::RequestsPerMinute, false);
    }
    if has_ci(
        lower,
        &[
            "request frequency",
            "\u{901f}\u{7387}\u{9650}\u{5236}",
            "query rate limit",
        ],
    ) {
        return with_numbers(Cause::RequestsPerMinute, true);
    }
    if has_ci(lower, &["request rate limiting", "qpslimit", "qps limit"]) {
        let mut f = Found::new(Cause::RequestsPerMinute);
        f.no_window = !lower.contains("rpm");
        f.limit = P
            .rpm_value
            .captures(text, lower)
            .and_then(|c| cap_num(&c, "n"));
        return Some(f);
    }
    if has_ci(lower, &["tokens per minute limit"]) {
        return with_numbers(Cause::TokensPerMinute, false);
    }
    if has_ci(lower, &["requests per minute limit"]) {
        return with_numbers(Cause::RequestsPerMinute, false);
    }
    if has_ci(
        lower,
        &["number of tokens allowed within", "'tokens per minute'"],
    ) {
        let mut f = Found::new(Cause::TokensPerMinute);
        f.no_window = !lower.contains("per minute");
        return Some(f);
    }
    if has_ci(
        lower,
        &[
            "usage limit reached",
            "limit will reset",
            "limits will reset",
            "hit your limit",
            "hourly usage limit",
            "session usage limit",
            "hour limit reached",
            "weekly limit",
            "exhausted your capacity",
            "quota will reset",
        ],
    ) {
        let mut f = Found::new(Cause::Transient);
        f.no_window = true;
        return Some(f);
    }
    None
}

fn not_rate_limit(facts: &Facts<'_>, status: Option<u16>) -> Option<Cause> {
    let lower = facts.text.to_ascii_lowercase();
    let block = facts.block.to_ascii_lowercase();
    let env_type = facts
        .envelope
        .map(|e| {
            format!(
                "{} {}",
                e.etype.as_deref().unwrap_or(""),
                e.code.as_deref().unwrap_or("")
            )
            .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let any = |needles: &[&str]| {
        needles
            .iter()
            .any(|n| lower.contains(n) || block.contains(n) || env_type.contains(n))
    };
    if any(&[
        "context_length_exceeded",
        "maximum context length",
        "prompt is too long",
        "context window",
        "input is too long",
    ]) {
        return Some(Cause::ContextLength);
    }
    if status == Some(401)
        || any(&[
            "invalid_api_key",
            "incorrect api key",
            "authentication_error",
            "authenticationerror",
            "invalid x-api-key",
            "api key not valid",
            "unauthenticated",
        ])
    {
        return Some(Cause::Auth);
    }
    if status == Some(403)
        || any(&[
            "permission_error",
            "permissiondenied",
            "permission denied",
            "permission_denied",
        ])
    {
        return Some(Cause::PermissionDenied);
    }
    if status == Some(404)
        || any(&[
            "model_not_found",
            "not_found_error",
            "notfounderror",
            "deploymentnotfound",
            "does not exist",
        ])
    {
        return Some(Cause::NotFound);
    }
    if any(&["metadata size exceeded", "too many tokens in batch"]) {
        return Some(Cause::BadRequest);
    }
    if any(&["exceeds the maximum number of tokens"]) {
        return Some(Cause::ContextLength);
    }
    if any(&["access is denied", "not authorized to perform"]) {
        return Some(Cause::PermissionDenied);
    }
    // A relay's "no channel for this model" (one-api/new-api).
    if any(&["\u{65e0}\u{53ef}\u{7528}\u{6e20}\u{9053}"]) {
        return Some(Cause::NotFound);
    }
    if any(&[
        "given deadline",
        "apitimeouterror",
        "timed out",
        "timeout_error",
        "request timeout",
        "deadline exceeded",
        "deadline_exceeded",
    ]) || matches!(status, Some(408 | 504))
    {
        return Some(Cause::Timeout);
    }
    if any(&["certificate verify failed", "certificate_verify_failed"]) {
        return Some(Cause::Certificate);
    }
    if any(&[
        "apiconnectionerror",
        "connection error",
        "connection refused",
        "connection reset",
    ]) {
        return Some(Cause::Connection);
    }
    // A 429 is a limit whatever words for other errors stand around it (a docs URL that
    // says "api_errors", a wrapper's class name).
    let throttled = status == Some(429);
    let api_error = env_type.split_whitespace().any(|t| t == "api_error")
        || block.contains("\"api_error\"")
        || block.contains("'api_error'");
    if !throttled
        && (matches!(status, Some(500 | 502))
            || api_error
            || any(&[
                "internalservererror",
                "internal server error",
                "server_error",
                "bad gateway",
            ]))
    {
        return Some(Cause::ServerError);
    }
    if !throttled && (status == Some(400) || any(&["invalid_request_error", "badrequesterror"])) {
        return Some(Cause::BadRequest);
    }
    None
}

/// Is there any sign of a rate limit at all?
fn generic_rate_limit(facts: &Facts<'_>, status: Option<u16>) -> Option<Cause> {
    let lower = facts.text.to_ascii_lowercase();
    let env_says = facts.envelope.is_some_and(|e| {
        e.status_text.as_deref() == Some("RESOURCE_EXHAUSTED")
            || e.detail_codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case("rateLimitExceeded") || c == "RATE_LIMIT_EXCEEDED")
            || e.etype
                .as_deref()
                .is_some_and(|t| t.contains("rate_limit") || t == "rate_limited")
            || e.code.as_deref().is_some_and(|t| t.contains("rate_limit"))
    });
    let text_says = has_ci(
        &lower,
        &[
            "rate limit reached",
            "rate limit exceeded",
            "rate limit is exceeded",
            "rate limited",
            "rate-limited",
            "exceeded the rate limit",
            "exceeded your rate limit",
            "rate_limit_error",
            "rate_limit_exceeded",
            "ratelimiterror",
            "too many requests",
            "resource_exhausted",
            "resource exhausted",
            "resource has been exhausted",
            "throttlingexception",
            "throttled",
            "ratelimit",
            "rate limiting",
            "toomanyrequests",
            "too_many_requests",
            "status code 429",
            "code 429",
            "code: 429",
            "error code: 1015",
            "quota exceeded",
            "exceeded your current quota",
            "provider returned error",
        ],
    );
    // A header dump alone: a budget with nothing left.
    let spent = || {
        lower.contains("remaining")
            && signals::headers(facts.block)
                .iter()
                .any(|(k, v)| k.contains("remaining") && v.trim() == "0")
    };
    if status == Some(429) || env_says || text_says || spent() {
        // A dimension named anywhere refines the generic case.
        for (abbr, cause) in [
            ("(rpm)", Cause::RequestsPerMinute),
            ("(tpm)", Cause::TokensPerMinute),
            ("(rpd)", Cause::RequestsPerDay),
            ("(tpd)", Cause::TokensPerDay),
        ] {
            if lower.contains(abbr) {
                return Some(cause);
            }
        }
        return Some(Cause::Transient);
    }
    match status {
        Some(529 | 503) => Some(Cause::Overloaded),
        _ => None,
    }
}

/// Diagnoses one error; `None` when the facts show no API error at all.
pub fn classify(facts: &Facts<'_>) -> Option<Diagnosis> {
    let env = facts.envelope;
    let block_status = signals::status(facts.block);
    let status = env.and_then(|e| e.status).or(block_status);

    // Who: the block's votes plus the body's own shape.
    let mut votes = *facts.block_votes;
    // The error's own text counts when it is not already in the block (unescaped or
    // nested JSON); counting it twice would favour whoever the message names.
    let flat_block: String = facts.block.split_whitespace().collect::<Vec<_>>().join(" ");
    if !facts.block.contains(facts.text.as_str()) && !flat_block.contains(facts.text.as_str()) {
        let own = signals::votes(&facts.text);
        for (v, o) in votes.iter_mut().zip(own.iter()) {
            *v += o;
        }
    }
    if let Some(e) = env {
        let shape_vote = match e.shape {
            Shape::Anthropic => Some(Provider::Anthropic),
            Shape::Azure => Some(Provider::Azure),
            Shape::Google => Some(Provider::Gemini),
            Shape::OpenRouter => Some(Provider::Openrouter),
            Shape::Mistral => Some(Provider::Mistral),
            Shape::Xai => Some(Provider::Xai),
            Shape::Bedrock => Some(Provider::Bedrock),
            Shape::OpenAi | Shape::Generic => None,
        };
        if let Some(p) = shape_vote {
            signals::add(&mut votes, p, 6);
        }
        if e.shape == Shape::OpenAi && e.code.as_deref() == Some("rate_limit_exceeded") {
            signals::add(&mut votes, Provider::Openai, 1);
        }
    }
    let guess = signals::winner(&votes);

    let found = specific(facts, guess)
        .or_else(|| not_rate_limit(facts, status).map(Found::new))
        .or_else(|| generic_rate_limit(facts, status).map(Found::new))?;

    if let Some(p) = found.provider_hint {
        signals::add(&mut votes, p, 5);
    }
    let mut provider = signals::winner(&votes);
    // A quota on aiplatform is Vertex's, whatever model (Gemini or Claude) it serves.
    if facts.text.contains("aiplatform.googleapis.com")
        || facts.text.contains("cloud.google.com/vertex-ai")
    {
        provider = Provider::Vertex;
    }

    // Headers in the block (curl -i, repr dicts) and copied into the body.
    let mut header_pairs = signals::headers(facts.block);
    if let Some(e) = env {
        header_pairs.extend(e.headers.iter().cloned());
    }
    let pairs: Vec<(&str, &str)> = header_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let snapshot = headers::parse(&pairs, Some(provider), None);

    let mut cause = found.cause;
    // One request that asks for more than the whole per-minute limit never fits.
    if matches!(
        cause,
        Cause::TokensPerMinute | Cause::InputTokensPerMinute | Cause::OutputTokensPerMinute
    ) && found.requested.zip(found.limit).is_some_and(|(r, l)| r > l)
    {
        cause = Cause::RequestTooLarge;
    }
    // A 429 that names no limit, with budgets beside it: the emptiest budget is the one
    // that was hit (a header dump alone says as much).
    if cause == Cause::Transient
        && let Some(b) = snapshot.tightest()
        && b.remaining
            .zip(b.limit)
            .is_some_and(|(r, l)| r <= 0.0 || r / l < 0.5)
    {
        cause = match b.dimension {
            Dimension::Requests => Cause::RequestsPerMinute,
            Dimension::Tokens | Dimension::ProjectTokens => Cause::TokensPerMinute,
            Dimension::InputTokens => Cause::InputTokensPerMinute,
            Dimension::OutputTokens => Cause::OutputTokensPerMinute,
            Dimension::Images => Cause::ImagesPerMinute,
        };
    }
    let kind = cause.kind();
    let mut limit = found.limit;
    let used = found.used;

    // Header budgets fill in numbers the message did not state.
    let dimension = match kind {
        Kind::Rpm | Kind::Rpd => Some(Dimension::Requests),
        Kind::Tpm | Kind::Tpd => Some(Dimension::Tokens),
        Kind::InputTpm => Some(Dimension::InputTokens),
        Kind::OutputTpm => Some(Dimension::OutputTokens),
        _ => None,
    };
    let budget = dimension.and_then(|d| snapshot.get(d)).or_else(|| {
        (kind == Kind::Transient || provider == Provider::Openrouter)
            .then(|| snapshot.tightest().or(snapshot.budgets.first()))
            .flatten()
    });
    if let Some(b) = budget
        && limit.is_none()
    {
        limit = b.limit;
    }

    let retryable = cause.retryable();
    // The server's hint is a fact worth showing even when retrying will not help; an error
    // that is no limit at all has none (a "try again after 5 minutes" in an IAM error).
    let mut retry_after = if kind == Kind::NotRateLimit {
        None
    } else {
        let ms_header = header_pairs
            .iter()
            .find(|(k, _)| k == "retry-after-ms")
            .and_then(|(_, v)| duration::parse_retry_after_ms(v));
        ms_header
            .or_else(|| env.and_then(|e| e.retry_delay))
            .or_else(|| retry_hint(&facts.text))
            .or(snapshot.retry_after_s)
            .or_else(|| retry_hint(facts.block))
    };
    if let Some(r) = retry_after
        && (!r.is_finite() || r < 0.0)
    {
        retry_after = None;
    }

    let mut resets = found.resets.clone();
    if resets.is_none()
        && let Some(b) = budget
        && (b.remaining == Some(0.0) || kind == Kind::Rpd || kind == Kind::Tpd)
    {
        resets.clone_from(&b.reset_at);
    }

    let window = found
        .window
        .or_else(|| (!found.no_window).then(|| kind.window()).flatten())
        .or_else(|| {
            (cause == Cause::SpendCap && provider == Provider::Anthropic).then_some(Window::Month)
        });

    let model = found
        .model
        .clone()
        .or_else(|| env.and_then(|e| e.violations.iter().find_map(|v| v.model.clone())))
        .or_else(|| {
            P.model_generic
                .captures(&facts.text, &facts.text.to_ascii_lowercase())
                .and_then(|c| cap_str(&c, "model"))
        })
        .map(|m| m.trim_end_matches(['.', ',', ')']).to_string());
    let organization = found.organization.as_deref().map(redact::short_org);

    let requested = found.requested;
    let mut cause_text = tell_cause(cause, provider, limit, used, requested, retry_after);
    if provider == Provider::Openrouter
        && let Some(up) = env.and_then(|e| e.upstream.as_deref())
    {
        cause_text = format!("{cause_text} Upstream provider: {up}.");
    }

    let wait = wait_text(
        retryable,
        cause,
        kind,
        retry_after,
        resets.as_deref(),
        provider,
    );
    let title = title(provider, cause);
    let message = message_excerpt(facts);

    Some(Diagnosis {
        provider,
        kind,
        window,
        retryable,
        status,
        limit,
        used,
        requested,
        retry_after_s: retry_after,
        model,
        organization,
        occurrences: 1,
        cause: cause_text,
        fix: table::lookup(cause, provider).fix.to_string(),
        span: facts.span,
        detail: cause,
        title,
        wait,
        resets,
        evidence: Vec::new(),
        message,
        source: None,
    })
}

/// The cause in words: the table's meaning and the numbers. A 429 that names no limit
/// but asks for a long wait is no passing spike: it says so, instead of "clears within
/// seconds" beside "wait 8 min".
fn tell_cause(
    cause: Cause,
    provider: Provider,
    limit: Option<f64>,
    used: Option<f64>,
    requested: Option<f64>,
    retry_after: Option<f64>,
) -> String {
    let kind = cause.kind();
    let meaning = match retry_after {
        Some(s) if cause == Cause::Transient && s > 60.0 => format!(
            "A 429 that names no limit, but the server asks for a wait of {}: a window longer \
             than a minute (hourly, daily or your plan's) is spent, not a passing spike.",
            duration::human(s)
        ),
        _ => table::lookup(cause, provider).meaning.to_string(),
    };
    match numbers_sentence(kind, cause, limit, used, requested) {
        Some(n) => format!("{meaning} {n}"),
        None => meaning,
    }
}

/// Tells a diagnosis's cause and wait again from its fields, after two readings of one
/// error were merged into it.
pub fn retell(d: &mut Diagnosis) {
    d.cause = tell_cause(
        d.detail,
        d.provider,
        d.limit,
        d.used,
        d.requested,
        d.retry_after_s,
    );
    d.wait = wait_text(
        d.retryable,
        d.detail,
        d.kind,
        d.retry_after_s,
        d.resets.as_deref(),
        d.provider,
    );
}

fn unit(kind: Kind) -> &'static str {
    match kind {
        Kind::Rpm | Kind::Rpd => "requests",
        Kind::Tpm | Kind::Tpd => "tokens",
        Kind::InputTpm => "input tokens",
        Kind::OutputTpm => "output tokens",
        Kind::Ipm => "images",
        Kind::Concurrency => "requests in flight",
        _ => "units",
    }
}

fn numbers_sentence(
    kind: Kind,
    cause: Cause,
    limit: Option<f64>,
    used: Option<f64>,
    requested: Option<f64>,
) -> Option<String> {
    let u = unit(kind);
    let per = match kind.window() {
        Some(Window::Day) => " per day",
        Some(Window::Minute) => " per minute",
        _ => "",
    };
    match (cause, limit, used, requested) {
        (Cause::RequestTooLarge, Some(l), _, Some(r)) => Some(format!(
            "This one request needs {} {u}, more than the whole limit of {}{per}.",
            duration::count(r),
            duration::count(l)
        )),
        (Cause::ZeroAllowance, ..) => {
            Some("The limit for this model on this plan is 0.".to_string())
        }
        (_, Some(l), Some(us), Some(r)) => Some(format!(
            "Used {} of {} {u}{per}; this request needed {} more.",
            duration::count(us),
            duration::count(l),
            duration::count(r)
        )),
        (_, Some(l), Some(us), None) => Some(format!(
            "Used {} of {} {u}{per}.",
            duration::count(us),
            duration::count(l)
        )),
        (_, Some(l), None, _) => Some(format!("The limit is {} {u}{per}.", duration::count(l))),
        _ => None,
    }
}

/// A server's wait hint for a spent daily quota at least this long is taken as the time
/// to its reset; a shorter one (Gemini's usual tens of seconds) would only fail again.
const DAY_HINT_TRUSTED_S: f64 = 3600.0;

fn wait_text(
    retryable: bool,
    cause: Cause,
    kind: Kind,
    retry_after: Option<f64>,
    resets: Option<&str>,
    provider: Provider,
) -> String {
    if !retryable {
        return match (cause, resets) {
            (_, Some(r)) => format!("do not retry; access returns {r}"),
            (Cause::RequestTooLarge | Cause::ContextLength, _) => {
                "do not retry: shrink the request".to_string()
            }
            (Cause::Auth | Cause::PermissionDenied | Cause::NotFound | Cause::BadRequest, _) => {
                "do not retry: fix the request".to_string()
            }
            _ => "do not retry: it will not clear by waiting".to_string(),
        };
    }
    let day = matches!(kind, Kind::Rpd | Kind::Tpd);
    if day && matches!(provider, Provider::Gemini | Provider::Vertex) {
        // Gemini sends a short retryDelay even when the daily quota is spent: a retry then
        // fails again. A hint of an hour or more already reaches towards the daily reset:
        // then it is the answer.
        return match retry_after {
            Some(s) if s >= DAY_HINT_TRUSTED_S => format!(
                "{}, as the server says: about when the daily quota resets (midnight Pacific time)",
                duration::human(s)
            ),
            Some(s) => format!(
                "until midnight Pacific time, when the daily quota resets; the server's hint of {} will fail again",
                duration::human(s)
            ),
            None => "until midnight Pacific time, when the daily quota resets".to_string(),
        };
    }
    if let Some(s) = retry_after {
        return duration::human(s);
    }
    if let Some(r) = resets {
        return format!("until {r}");
    }
    match kind {
        Kind::Rpd | Kind::Tpd => match provider {
            Provider::Gemini | Provider::Vertex => "until midnight Pacific time".to_string(),
            Provider::Openrouter => "until 00:00 UTC".to_string(),
            _ => "until the daily window resets".to_string(),
        },
        Kind::Concurrency => "until one of your in-flight requests finishes".to_string(),
        Kind::Overloaded | Kind::Transient | Kind::NotRateLimit => {
            "a few seconds, with exponential backoff".to_string()
        }
        _ => "up to a minute (the per-minute window refills)".to_string(),
    }
}

fn title(provider: Provider, cause: Cause) -> String {
    let who = if provider == Provider::Unknown {
        "API".to_string()
    } else {
        provider.name().to_string()
    };
    let what = match cause {
        Cause::RequestTooLarge => "request larger than the whole tokens-per-minute limit",
        Cause::Quota => "out of quota or credit",
        Cause::SpendCap => "spend or usage cap reached",
        Cause::ZeroAllowance => "no quota for this model on this plan",
        Cause::MonthlyLimit => "monthly allowance used up",
        Cause::Concurrency => "too many requests at once",
        Cause::Ramp => "traffic grew too fast",
        Cause::Overloaded => "servers overloaded (not your limit)",
        Cause::Upstream => "upstream provider rate-limited",
        Cause::Transient => "rate limited",
        Cause::Auth => "API key rejected",
        Cause::PermissionDenied => "permission denied",
        Cause::NotFound => "model or endpoint not found",
        Cause::ContextLength => "input longer than the model's context window",
        Cause::BadRequest => "bad request",
        Cause::ServerError => "server error",
        Cause::Timeout => "request timed out",
        Cause::Connection => "could not connect",
        Cause::Certificate => "TLS certificate not trusted",
        other => other.kind().title(),
    };
    match cause.kind() {
        k if k.is_rate() && cause != Cause::RequestTooLarge => {
            format!("{who}: {what} limit reached")
        }
        _ => format!("{who}: {what}"),
    }
}

fn message_excerpt(facts: &Facts<'_>) -> Option<String> {
    let raw = match facts.envelope {
        Some(e) if !e.message.trim().is_empty() => e.message.trim().to_string(),
        _ => facts.text.trim().to_string(),
    };
    if raw.is_empty() {
        return None;
    }
    let clean = redact::shorten_ids(&redact::redact(&raw)).into_owned();
    let one_line: String = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(400).collect();
    if one_line.chars().count() > 400 {
        out.push('…');
    }
    Some(out)
}
