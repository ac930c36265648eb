//! The demo without a terminal UI (`--no-tui`, what CI checks): one text line per event,
//! then the summary — requests, 429s by kind, retries, time spent waiting, wasted calls, the
//! tightest dimension and the recommendation.

use crate::duration;
use crate::event::Event;
use crate::session::Session;
use crate::tui::app::Logged;
use std::fmt::Write;

/// One event as a text line.
pub fn line(e: &Event) -> String {
    let logged = Logged {
        seq: 0,
        event: e.clone(),
        model: None,
    };
    let (text, _) = crate::tui::panes::events::describe(&logged);
    format!("{:>8.3}s #{:<5} {text}", e.t_ms / 1000.0, e.id)
}

/// The after-run summary.
pub fn summary(s: &Session, elapsed_s: f64) -> String {
    let audit = s.audit();
    let mut out = String::new();
    let ok: u64 = s
        .by_status
        .iter()
        .filter(|(k, _)| (200..300).contains(*k))
        .map(|(_, n)| n)
        .sum();
    let _ = writeln!(out, "\nsummary ({:.1} s)", elapsed_s);
    let _ = writeln!(
        out,
        "  requests        {} ({} ok, {} rate-limited, {} other errors, {} failed)",
        s.requests,
        ok,
        s.rate_limited,
        s.responses.saturating_sub(ok + s.rate_limited),
        s.failures
    );
    let mut kinds: Vec<(u64, &str)> = s.by_kind.iter().map(|(k, n)| (*n, k.id())).collect();
    kinds.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let kinds: Vec<String> = kinds.iter().map(|(n, k)| format!("{k} {n}")).collect();
    let _ = writeln!(
        out,
        "  429s            {}{}",
        s.rate_limited,
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" (errors by kind: {})", kinds.join(", "))
        }
    );
    let _ = writeln!(
        out,
        "  retries         {} ({} too early, {} of errors retrying cannot fix, {} gave up early)",
        audit.retries, audit.too_early, audit.non_retryable_retried, audit.gave_up_early
    );
    let _ = writeln!(out, "  time waiting    {}", duration::human(audit.waited_s));
    let _ = writeln!(out, "  wasted calls    {}", audit.wasted_calls);
    let tight = match s.tightest() {
        Some(b) => format!(
            "{} {} ({} of {} left{})",
            b.provider.id(),
            b.dimension.id(),
            b.remaining_at(s.last_ms)
                .map_or("?".into(), duration::count),
            b.latest.limit.map_or("?".into(), duration::count),
            b.stale_note(s.last_ms, duration::count)
                .map(|n| format!("; {n}"))
                .unwrap_or_default()
        ),
        None => "none reported".to_string(),
    };
    let _ = writeln!(out, "  tightest        {tight}");
    let _ = writeln!(out, "  recommendation  {}", s.recommendation());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::scripted_events;

    #[test]
    fn summary_of_a_scripted_session() {
        let mut s = Session::new();
        let events = scripted_events(300);
        for e in &events {
            s.apply(e);
        }
        let text = summary(&s, 42.0);
        for want in [
            "requests",
            "429s",
            "rpm",
            "retries",
            "too early",
            "time waiting",
            "wasted calls",
            "tightest",
            "recommendation",
        ] {
            assert!(text.contains(want), "{want} missing:\n{text}");
        }
        insta::assert_snapshot!(text);
        let lines: Vec<String> = events.iter().take(6).map(line).collect();
        insta::assert_snapshot!("lines", lines.join("\n"));
    }
}
