//! The explain engine (core layer: pure, no I/O, no clock): finds every API error in text
//! and diagnoses it.
//!
//! Pipeline: [`segment`] cuts the input into blocks (a log record, a traceback line, an
//! HTTP response with headers and body) and keeps those with a trigger word; [`envelope`]
//! finds the error bodies in a block (JSON, Python reprs, escaped JSON, nested JSON);
//! [`signals`] reads the status, headers and provider hints around them; [`classify`]
//! turns each into a [`Diagnosis`]; [`Scanner`] folds repeats of the same error.

mod classify;
mod envelope;
mod segment;
mod signals;
mod types;
pub mod value;

pub use types::*;

use classify::{Facts, classify};
pub(crate) use signals::re;

/// Diagnoses every error in `text`, repeats folded, in order of first appearance.
pub fn diagnose(text: &str) -> Vec<Diagnosis> {
    let mut scanner = Scanner::new();
    scanner.feed(text.as_bytes());
    scanner.finish()
}

/// Diagnoses one block of text (an error message, a body, a response) without splitting
/// it: what probe and the proxy use for a response body they already hold.
pub fn diagnose_block(text: &str) -> Vec<Diagnosis> {
    let end = text.len() as u64;
    let mut out = Vec::new();
    analyze_block(text, 0, end, &mut out);
    out
}

/// Diagnoses a stream of bytes fed in chunks, with bounded memory.
pub struct Scanner {
    segmenter: segment::Segmenter,
    folded: Vec<Diagnosis>,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// At most this many distinct diagnoses are kept (repeats are counted, not stored).
pub const MAX_DISTINCT: usize = 10_000;

impl Scanner {
    pub fn new() -> Self {
        Scanner {
            segmenter: segment::Segmenter::new(),
            folded: Vec::new(),
        }
    }

    /// Feeds the next bytes of the input (any split, invalid UTF-8 tolerated).
    pub fn feed(&mut self, data: &[u8]) {
        let folded = &mut self.folded;
        self.segmenter
            .feed(data, &mut |block| on_block(block, folded));
    }

    /// Ends the input and returns the diagnoses in order of first appearance.
    pub fn finish(mut self) -> Vec<Diagnosis> {
        let folded = &mut self.folded;
        self.segmenter.finish(&mut |block| on_block(block, folded));
        absorb_vague(self.folded)
    }
}

fn on_block(block: segment::Block<'_>, folded: &mut Vec<Diagnosis>) {
    let text = String::from_utf8_lossy(block.bytes);
    let mut found = Vec::new();
    analyze_block(&text, block.start, block.end, &mut found);
    for d in found {
        fold(folded, d);
    }
}

fn same_error(a: &Diagnosis, b: &Diagnosis) -> bool {
    a.provider == b.provider
        && a.detail == b.detail
        && a.model == b.model
        && a.limit == b.limit
        && a.organization == b.organization
        && a.status == b.status
}

fn fold(folded: &mut Vec<Diagnosis>, d: Diagnosis) {
    if let Some(existing) = folded.iter_mut().rev().find(|x| same_error(x, &d)) {
        existing.occurrences += 1;
        return;
    }
    if folded.len() < MAX_DISTINCT {
        folded.push(d);
    }
}

/// A diagnosis that says nothing specific: an unknown provider, no numbers, no hint.
fn is_vague(d: &Diagnosis) -> bool {
    d.provider == Provider::Unknown
        && matches!(d.kind, Kind::Transient | Kind::NotRateLimit)
        && d.limit.is_none()
        && d.retry_after_s.is_none()
}

/// The same error told twice nearby — a retry wrapper's summary after the provider's
/// error, an SDK's re-raise, the app's own access log line — is one error: a vague
/// mention, or an unknown-provider one of the same cause, next to a specific diagnosis is
/// absorbed into it.
fn absorb_vague(list: Vec<Diagnosis>) -> Vec<Diagnosis> {
    const NEAR: u64 = 4096;
    let specific: Vec<([u64; 2], Cause)> = list
        .iter()
        .filter(|d| d.provider != Provider::Unknown)
        .map(|d| (d.span, d.detail))
        .collect();
    list.into_iter()
        .filter(|d| {
            if d.provider != Provider::Unknown {
                return true;
            }
            let vague = is_vague(d);
            !specific.iter().any(|(s, cause)| {
                (vague || *cause == d.detail)
                    && d.span[0] <= s[1] + NEAR
                    && s[0] <= d.span[1] + NEAR
            })
        })
        .collect()
}

fn analyze_block(text: &str, start: u64, end: u64, out: &mut Vec<Diagnosis>) {
    let block_votes = signals::votes(text);
    let span = [start, end];
    let envs = envelope::envelopes(text);
    let mut any = false;
    for env in &envs {
        let facts = Facts {
            text: env.text(),
            envelope: Some(env),
            block: text,
            block_votes: &block_votes,
            span,
        };
        if let Some(d) = classify(&facts) {
            any = true;
            out.push(d);
        }
    }
    if !any {
        let facts = Facts {
            text: text.split_whitespace().collect::<Vec<_>>().join(" "),
            envelope: None,
            block: text,
            block_votes: &block_votes,
            span,
        };
        if let Some(d) = classify(&facts) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests;
