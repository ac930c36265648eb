//! Policy specs (core layer): a preset name or the custom form
//! `exp:min=2,max=60,mult=1,base=2,jitter=full,attempts=6,honor-retry-after=true`.
//!
//! Custom keys (all optional): `min`, `max`, `mult`, `base` (seconds / factor);
//! `jitter` = `none` | `full` | `equal` | `sdk` (minus up to 25 %) | `minus:F` | `plus:S`;
//! `attempts` (1–100, the first included); `honor-retry-after` (`true`/`false`, also spelled
//! `honour-…`); `max-retry-after` (seconds, longer hints fall back to backoff, or make the
//! client give up with `above=give-up`); `retry` = `retryable` | `429` | `sdk` | `google` |
//! `never`; `total` (seconds since the first attempt). Defaults: `min=0,max=60,mult=1,
//! base=2,jitter=full,attempts=6,honor-retry-after=true,retry=retryable`.

use super::policy::{AboveMax, HintRule, Jitter, Policy, RetryOn};
use super::presets::PRESETS;

/// The most attempts a custom policy may ask for (keeps schedules and simulations finite).
pub const MAX_ATTEMPTS: u32 = 100;

/// Parses a preset name or a custom `exp:` spec; the error is one line saying what is wrong.
pub fn parse_policy(spec: &str) -> Result<Policy, String> {
    let spec = spec.trim();
    if let Some(p) = Policy::preset(&spec.to_ascii_lowercase()) {
        return Ok(p);
    }
    let Some(body) = spec
        .strip_prefix("exp:")
        .or(if spec == "exp" { Some("") } else { None })
    else {
        return Err(format!(
            "unknown policy `{spec}`: use one of {} or exp:min=2,max=60,mult=1,jitter=full,attempts=6,honor-retry-after=true",
            PRESETS.join(", ")
        ));
    };
    let mut p = Policy {
        name: spec.to_string(),
        max_attempts: 6,
        mult: 1.0,
        base: 2.0,
        min_s: 0.0,
        max_s: 60.0,
        jitter: Jitter::Full,
        hint: HintRule::Honour {
            max_s: None,
            above: AboveMax::Backoff,
            spread: 0.0,
        },
        retry_on: RetryOn::Retryable,
        total_cap_s: None,
        inner: None,
    };
    let mut honour = true;
    let mut max_hint: Option<f64> = None;
    let mut above = AboveMax::Backoff;
    let mut seen: Vec<&'static str> = Vec::new();
    for part in body
        .split(',')
        .map(str::trim)
        .filter(|_| !body.trim().is_empty())
    {
        if part.is_empty() {
            return Err(format!(
                "policy `{spec}`: an empty item between commas (write key=value,key=value)"
            ));
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("policy `{spec}`: `{part}` should be key=value"));
        };
        let key = key.trim().to_ascii_lowercase().replace('_', "-");
        // Each setting once: a second one would silently win.
        let canonical = match key.as_str() {
            "mult" | "multiplier" | "initial" => "mult",
            "base" | "exp-base" => "base",
            "honor-retry-after" | "honour-retry-after" | "retry-after" => "honor-retry-after",
            "retry" | "retry-on" => "retry",
            "total" | "total-cap" => "total",
            "min" => "min",
            "max" => "max",
            "jitter" => "jitter",
            "attempts" => "attempts",
            "max-retry-after" => "max-retry-after",
            "above" => "above",
            _ => "",
        };
        if !canonical.is_empty() {
            if seen.contains(&canonical) {
                return Err(format!("policy `{spec}`: {canonical} is given twice"));
            }
            seen.push(canonical);
        }
        let value = value.trim();
        let bad = |what: &str| format!("policy `{spec}`: {key}={value}: {what}");
        let secs = |v: &str| -> Result<f64, String> {
            match v.trim_end_matches('s').parse::<f64>() {
                Ok(x) if (0.0..=1e9).contains(&x) => Ok(x),
                Ok(x) if x > 1e9 => Err(bad("at most 1000000000 seconds (about 31 years)")),
                _ => Err(bad("expected a number of seconds >= 0")),
            }
        };
        match key.as_str() {
            "min" => p.min_s = secs(value)?,
            "max" => p.max_s = secs(value)?,
            "mult" | "multiplier" | "initial" => p.mult = secs(value)?,
            "base" | "exp-base" => {
                p.base = match value.parse::<f64>() {
                    Ok(b) if b.is_finite() && (1.0..=100.0).contains(&b) => b,
                    _ => return Err(bad("expected a factor from 1 to 100")),
                }
            }
            "jitter" => {
                p.jitter = parse_jitter(value).ok_or_else(|| {
                    bad("expected none, full, equal, sdk, minus:F (0..1) or plus:S")
                })?
            }
            "attempts" => {
                p.max_attempts = match value.parse::<u32>() {
                    Ok(n) if (1..=MAX_ATTEMPTS).contains(&n) => n,
                    _ => {
                        return Err(bad(&format!(
                            "expected a whole number from 1 to {MAX_ATTEMPTS}"
                        )));
                    }
                }
            }
            "honor-retry-after" | "honour-retry-after" | "retry-after" => {
                honour = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" | "on" => true,
                    "false" | "no" | "0" | "off" => false,
                    _ => return Err(bad("expected true or false")),
                }
            }
            "max-retry-after" => max_hint = Some(secs(value)?),
            "above" => {
                above = match value.to_ascii_lowercase().replace('_', "-").as_str() {
                    "backoff" => AboveMax::Backoff,
                    "give-up" | "giveup" | "stop" => AboveMax::GiveUp,
                    _ => return Err(bad("expected backoff or give-up")),
                }
            }
            "retry" | "retry-on" => {
                p.retry_on = match value.to_ascii_lowercase().as_str() {
                    "retryable" => RetryOn::Retryable,
                    "429" | "rate-limit" => RetryOn::RateLimitStatus,
                    "sdk" => RetryOn::SdkStatuses,
                    "google" => RetryOn::GoogleStatuses,
                    "never" | "none" => RetryOn::Never,
                    _ => return Err(bad("expected retryable, 429, sdk, google or never")),
                }
            }
            "total" | "total-cap" => p.total_cap_s = Some(secs(value)?),
            _ => {
                return Err(format!(
                    "policy `{spec}`: unknown key `{key}` (known: min, max, mult, base, jitter, attempts, honor-retry-after, max-retry-after, above, retry, total)"
                ));
            }
        }
    }
    if p.min_s > p.max_s {
        return Err(format!(
            "policy `{spec}`: min ({}) is larger than max ({})",
            p.min_s, p.max_s
        ));
    }
    p.hint = if honour {
        HintRule::Honour {
            max_s: max_hint,
            above,
            spread: 0.0,
        }
    } else {
        HintRule::Ignore
    };
    Ok(p)
}

/// Splits a comma-separated list of policies, keeping each custom spec's own
/// `key=value` commas: `openai-sdk,exp:min=1,max=30,ratedoctor` → three specs.
pub fn split_policy_list(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let continues = part.contains('=') && !part.starts_with("exp:");
        match out.last_mut() {
            Some(prev) if continues && prev.starts_with("exp") => {
                prev.push(',');
                prev.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

fn parse_jitter(v: &str) -> Option<Jitter> {
    let v = v.to_ascii_lowercase();
    let frac = |s: &str| s.parse::<f64>().ok().filter(|f| (0.0..=1.0).contains(f));
    Some(match v.as_str() {
        "none" | "off" | "0" => Jitter::None,
        "full" => Jitter::Full,
        "equal" => Jitter::Equal,
        "sdk" => Jitter::Subtract(0.25),
        _ => {
            if let Some(f) = v.strip_prefix("minus:") {
                Jitter::Subtract(frac(f)?)
            } else if let Some(s) = v.strip_prefix("plus:") {
                Jitter::Add(
                    s.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0)?,
                )
            } else {
                return None;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_custom() {
        assert_eq!(parse_policy(" OpenAI-SDK ").unwrap().max_attempts, 3);
        let p =
            parse_policy("exp:min=2,max=60,mult=1,jitter=full,attempts=6,honor-retry-after=true")
                .unwrap();
        assert_eq!(
            (p.min_s, p.max_s, p.mult, p.max_attempts),
            (2.0, 60.0, 1.0, 6)
        );
        assert_eq!(p.jitter, Jitter::Full);
        assert!(matches!(p.hint, HintRule::Honour { .. }));
        let p = parse_policy("exp:jitter=minus:0.5,honor-retry-after=false,retry=429,total=90")
            .unwrap();
        assert_eq!(p.jitter, Jitter::Subtract(0.5));
        assert_eq!(p.hint, HintRule::Ignore);
        assert_eq!(p.retry_on, RetryOn::RateLimitStatus);
        assert_eq!(p.total_cap_s, Some(90.0));
        assert!(parse_policy("exp").is_ok());
    }

    #[test]
    fn empty_items_repeated_keys_and_huge_seconds_are_refused() {
        // Issue #15: these were accepted silently (a second `min` simply won).
        let err = |s: &str| parse_policy(s).unwrap_err();
        assert!(err("exp:min=1,,max=2").contains("empty item"));
        assert!(err("exp:min=1,min=2").contains("min is given twice"));
        assert!(err("exp:mult=1,initial=2").contains("mult is given twice"));
        assert!(err("exp:honor-retry-after=true,honour-retry-after=false").contains("twice"));
        assert!(err("exp:min=1e308").contains("at most 1000000000 seconds"));
        assert!(err("exp:min=-1").contains(">= 0"));
    }

    #[test]
    fn policy_lists_keep_custom_specs_whole() {
        assert_eq!(
            split_policy_list("openai-sdk, exp:min=1,max=30,jitter=full ,ratedoctor"),
            vec!["openai-sdk", "exp:min=1,max=30,jitter=full", "ratedoctor"]
        );
        assert_eq!(split_policy_list(""), Vec::<String>::new());
    }

    #[test]
    fn errors_are_one_line() {
        for bad in [
            "fastest",
            "exp:min=abc",
            "exp:min=5,max=2",
            "exp:attempts=0",
            "exp:attempts=1000",
            "exp:jitter=wild",
            "exp:color=red",
            "exp:min",
            "exp:honor-retry-after=maybe",
            "exp:base=0.5",
        ] {
            let e = parse_policy(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
            assert!(e.contains("policy"), "{e}");
        }
    }
}
