//! Recordings (source layer): reads the JSON Lines that `watch --record`, `run --record`
//! and `probe --record` write, one [`Event`] a line, streaming line by line; [`infer`]
//! (pure) turns the events into the limits, workload and outcome `replay --policy` needs.

pub mod infer;

use crate::error::AppError;
use crate::event::Event;
use crate::redact;
use std::io::BufRead;
use std::path::Path;

/// Reads the recording at `path`, handing each event to `each` in order; returns how many
/// there were. Blank lines are skipped; a line that is not an event stops the read with an
/// error naming the file and the line number.
pub fn read_events(path: &Path, each: impl FnMut(Event)) -> Result<u64, AppError> {
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::Unreadable(format!("cannot read {}: {e}", path.display())))?;
    read_from(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        each,
    )
}

/// The longest line a recording may have: an event is a few KB, so a longer line is not
/// one, and reading it whole would cost its size in memory.
pub const MAX_LINE: usize = 8 << 20;

/// [`read_events`] over any reader; `name` is used in error messages.
pub fn read_from(
    mut reader: impl BufRead,
    name: &str,
    mut each: impl FnMut(Event),
) -> Result<u64, AppError> {
    use std::io::Read;
    let mut n = 0u64;
    let mut buf = Vec::new();
    for i in 0.. {
        buf.clear();
        let got = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| {
                AppError::Unreadable(format!("{name} line {}: cannot read it: {e}", i + 1))
            })?;
        if got == 0 {
            break;
        }
        if buf.len() > MAX_LINE {
            return Err(AppError::Unreadable(format!(
                "{name} line {}: longer than {} MiB, so not an event written by --record",
                i + 1,
                MAX_LINE >> 20
            )));
        }
        let line = std::str::from_utf8(&buf).map_err(|e| {
            AppError::Unreadable(format!("{name} line {}: cannot read it: {e}", i + 1))
        })?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let event = parse(line).map_err(|e| {
            AppError::Unreadable(format!(
                "{name} line {}: not a ratedoctor event ({}); expected one JSON object a line as written by --record",
                i + 1,
                redact::elide_quoted(&e)
            ))
        })?;
        each(event);
        n += 1;
    }
    Ok(n)
}

/// One line as an event. A recording may come from elsewhere (another tool, an older
/// version, a hand edit): when a line may hold a key, every string in it is redacted
/// before it becomes an event, so no view can show one.
fn parse(line: &str) -> Result<Event, String> {
    if !redact::may_hold_key(line) {
        return Event::from_json_line(line);
    }
    let mut v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    redact::redact_json(&mut v);
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn keys_in_a_recording_never_reach_an_event() {
        let line = r#"{"t_ms":1,"id":1,"event":"response_received","status":429,"ttfb_ms":2,"snapshot":{"budgets":[],"retry_after_s":null,"notes":[]},"headers":[["X-Api-Key","0123456789abcdef0123456789abcdef"],["x-ratelimit-limit-requests","2"]],"diagnosis":null,"usage":null}
{"t_ms":2,"id":2,"event":"failed","error":"GET /v1?key=abcdefgh12345678 sk-proj-ABCDEFGHIJKLMNOPQRST"}
"#;
        let mut events = Vec::new();
        read_from(line.as_bytes(), "rec", |e| events.push(e)).unwrap();
        let EventKind::ResponseReceived { headers, .. } = &events[0].kind else {
            panic!("{events:?}");
        };
        assert_eq!(headers[0].1, "[REDACTED]");
        assert_eq!(headers[1].1, "2");
        let EventKind::Failed { error } = &events[1].kind else {
            panic!("{events:?}");
        };
        assert_eq!(error, "GET /v1?key=[REDACTED] sk-proj-[REDACTED]");
    }

    #[test]
    fn a_line_past_the_cap_is_refused_by_its_number() {
        // Issue #15: a 200 MB line was read whole (201 MB of memory).
        let mut text = String::from("\n");
        text.push_str(&"x".repeat(MAX_LINE + 10));
        let err = read_from(text.as_bytes(), "rec", |_| {}).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("rec line 2: longer than 8 MiB, so not an event"),
            "{err}"
        );
        assert_eq!(err.exit_code(), crate::error::ExitCode::Unreadable);
    }

    #[test]
    fn a_bad_line_is_named_not_quoted() {
        let line =
            r#"{"t_ms":"J3cbZyF1V2esLAKaeZIi0bxyF33eKYIM","id":1,"event":"failed","error":"x"}"#;
        let err = read_from(line.as_bytes(), "rec", |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("rec line 1: not a ratedoctor event"),
            "{err}"
        );
        assert!(!err.contains("J3cbZyF1"), "{err}");
    }
}
