//! The explain engine (core layer: pure, no I/O, no clock): finds every API error in text
//! and diagnoses it.

mod types;

pub use types::*;

/// Diagnoses every error in `text`, repeats folded, in order of first appearance.
pub fn diagnose(text: &str) -> Vec<Diagnosis> {
    let _ = text;
    Vec::new()
}
