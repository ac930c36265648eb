//! Recordings (source layer): reads the JSON Lines that `watch --record`, `run --record`
//! and `probe --record` write, one [`Event`] a line, streaming line by line; [`infer`]
//! (pure) turns the events into the limits, workload and outcome `replay --policy` needs.

pub mod infer;

use crate::error::AppError;
use crate::event::Event;
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

/// [`read_events`] over any reader; `name` is used in error messages.
pub fn read_from(
    reader: impl BufRead,
    name: &str,
    mut each: impl FnMut(Event),
) -> Result<u64, AppError> {
    let mut n = 0u64;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| {
            AppError::Unreadable(format!("{name} line {}: cannot read it: {e}", i + 1))
        })?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let event = Event::from_json_line(line).map_err(|e| {
            AppError::Unreadable(format!(
                "{name} line {}: not a ratedoctor event ({e}); expected one JSON object a line as written by --record",
                i + 1
            ))
        })?;
        each(event);
        n += 1;
    }
    Ok(n)
}
