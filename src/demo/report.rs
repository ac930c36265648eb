//! The demo without a terminal UI (`--no-tui`, what CI checks): one text line per event,
//! then the summary — requests, 429s by kind, retries, time spent waiting, wasted calls, the
//! tightest dimension and the recommendation.

use crate::event::Event;
use crate::session::Session;

/// One event as a text line (the one event-line view).
pub fn line(e: &Event) -> String {
    crate::views::event_line::with_time(e)
}

/// The after-run summary: the one every command prints.
pub fn summary(s: &Session, elapsed_s: f64) -> String {
    let helped = crate::session::Helped::default();
    format!(
        "\n{}",
        crate::views::summary::text(&s.summary(&helped), s, Some(elapsed_s))
    )
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
            "sooner than the server asked",
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
