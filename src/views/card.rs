//! The words of a diagnosis card, shared by the text view and the TUI so both say the same
//! thing: the "what" line, the numbers, the retry verdict.

use crate::diagnose::{Diagnosis, Kind};
use crate::duration;

/// The unit a kind counts.
pub fn unit(kind: Kind) -> &'static str {
    match kind {
        Kind::Rpm | Kind::Rpd => "requests",
        Kind::Tpm | Kind::Tpd | Kind::InputTpm | Kind::OutputTpm => "tokens",
        Kind::Ipm => "images",
        Kind::Concurrency => "in flight",
        _ => "",
    }
}

/// "tpm (per minute) · provider openai · HTTP 429 · model gpt-4o · org org-71S…hCq".
pub fn what(d: &Diagnosis) -> String {
    let mut what = vec![match d.window {
        Some(w) => format!("{} (per {})", d.kind.id(), w.id()),
        None => d.kind.id().to_string(),
    }];
    what.push(format!("provider {}", d.provider.id()));
    if let Some(st) = d.status {
        what.push(format!("HTTP {st}"));
    }
    if let Some(m) = &d.model {
        what.push(format!("model {m}"));
    }
    if let Some(o) = &d.organization {
        what.push(format!("org {o}"));
    }
    what.join(" · ")
}

/// `(used, limit, requested)` for the small bar.
pub type Bar = (f64, f64, f64);

/// The numbers line, and what to draw in the bar when one can be drawn.
pub fn numbers(d: &Diagnosis) -> Option<(String, Option<Bar>)> {
    let u = unit(d.kind);
    match (d.limit, d.used, d.requested) {
        (Some(l), Some(used), req) => {
            let pct = if l > 0.0 { used / l * 100.0 } else { 0.0 };
            let mut t = format!(
                "used {} / {} {u} ({pct:.0}%)",
                duration::count(used),
                duration::count(l)
            );
            if let Some(r) = req {
                t.push_str(&format!(" · requested {}", duration::count(r)));
                if used + r > l {
                    t.push_str(&format!(" (over by {})", duration::count(used + r - l)));
                }
            }
            Some((t, Some((used, l, req.unwrap_or(0.0)))))
        }
        (Some(l), None, Some(r)) => Some((
            format!(
                "limit {} {u} · requested {}",
                duration::count(l),
                duration::count(r)
            ),
            Some((0.0, l, r)),
        )),
        (Some(l), None, None) => Some((format!("limit {} {u}", duration::count(l)), None)),
        (None, Some(used), _) => Some((format!("used {} {u}", duration::count(used)), None)),
        _ => None,
    }
}

/// "yes, wait 20 s (server hint: 20 s)" / "no: shrink the request".
/// The phrases that decided the diagnosis, quoted: `"on tokens per min (TPM): Limit
/// 30000" · "Used 28541"`.
pub fn because(d: &Diagnosis) -> Option<String> {
    (!d.evidence.is_empty()).then(|| {
        d.evidence
            .iter()
            .map(|e| format!("\"{}\"", e.text))
            .collect::<Vec<_>>()
            .join(" · ")
    })
}

pub fn verdict(d: &Diagnosis) -> String {
    if d.retryable {
        let mut t = format!("yes, wait {}", d.wait);
        if let Some(r) = d.retry_after_s
            && duration::human(r) == d.wait
        {
            t.push_str(&format!(" (server hint: {} s)", duration::trim_float(r, 3)));
        }
        t
    } else {
        let why = d
            .wait
            .trim_start_matches("do not retry")
            .trim_start_matches([':', ';', ' ']);
        if why.is_empty() {
            "no".to_string()
        } else {
            format!("no: {why}")
        }
    }
}
