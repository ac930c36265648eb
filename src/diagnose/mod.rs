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
mod evidence;
pub mod normalize;
mod segment;
mod signals;
mod stream;
mod types;
pub mod value;

pub use types::*;

use classify::{Facts, classify};
pub use segment::{Block, MAX_BLOCK, Segmenter, TRIGGERS, has_trigger, safe_cut};
pub use stream::{Found, Stream, leading_time, leading_time_in};

/// The engine's gated patterns (see [`crate::pattern::Gated`]).
pub(crate) fn gates() -> impl Iterator<Item = &'static crate::pattern::Gated> {
    classify::gates().chain(signals::gates())
}

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
    analyzer: Analyzer,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// The second half of a [`Scanner`]: diagnoses the blocks a [`segment::Segmenter`] picked,
/// in input order, and folds repeats. Split from the segmenter so a caller can run the two
/// on different threads (segmenting a large file while the blocks before are analysed);
/// the result is the same as the [`Scanner`]'s.
#[derive(Default)]
pub struct Analyzer {
    state: Folding,
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer::default()
    }

    /// Diagnoses one block: its bytes and absolute range in the input.
    pub fn block(&mut self, start: u64, end: u64, bytes: &[u8]) {
        on_block(segment::Block { start, end, bytes }, &mut self.state);
    }

    /// The diagnoses in order of first appearance.
    pub fn finish(self) -> Vec<Diagnosis> {
        self.state.finish()
    }
}

/// An error's latest occurrence, as it told itself: its numbers and its words (the wait,
/// the cause with those numbers, the evidence, the message).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Latest(Option<Box<Diagnosis>>);

impl Latest {
    fn of(d: &Diagnosis) -> Latest {
        Latest(Some(Box::new(d.clone())))
    }

    /// Where the latest occurrence starts in the input.
    pub(crate) fn start(&self) -> Option<u64> {
        self.0.as_ref().map(|d| d.span[0])
    }

    /// `d` (the error as first seen, with its count) as its latest occurrence told it; a
    /// number that occurrence did not give stays the first one's.
    pub(crate) fn apply(&self, d: &mut Diagnosis) {
        let Some(latest) = &self.0 else {
            return;
        };
        let first = std::mem::replace(d, (**latest).clone());
        d.occurrences = first.occurrences;
        d.span = first.span;
        d.source = first.source;
        d.used = d.used.or(first.used);
        d.requested = d.requested.or(first.requested);
        d.retry_after_s = d.retry_after_s.or(first.retry_after_s);
    }
}

/// At most this many distinct diagnoses are kept (repeats are counted, not stored).
pub const MAX_DISTINCT: usize = 10_000;

/// The same error told twice nearby — a retry wrapper's summary after the provider's
/// error, an SDK's re-raise, the app's own access log line — is one error. Within this
/// many bytes, an unknown-provider mention that is vague or has the same cause as a
/// specific diagnosis is absorbed into it.
const NEAR: u64 = 4096;

#[derive(Default)]
struct Folding {
    folded: Vec<Diagnosis>,
    /// Per folded error: its latest occurrence (numbers and words), which a followed log
    /// reports with each occurrence.
    latest: Vec<Latest>,
    /// Unknown-provider diagnoses that a specific one may still absorb.
    pending: Vec<Diagnosis>,
    /// The last specific diagnosis seen: its span, cause and provider.
    last_specific: Option<([u64; 2], Cause, Provider)>,
}

/// Could two diagnoses be the same provider's? Gemini and Vertex share their errors.
fn same_family(a: Provider, b: Provider) -> bool {
    let google = |p| matches!(p, Provider::Gemini | Provider::Vertex);
    a == b || a == Provider::Unknown || (google(a) && google(b))
}

impl Folding {
    /// Does the specific diagnosis absorb `d`, a mention of the same error? A bare 429 or
    /// a bare connection failure nearby is; an unknown provider's mention with the same
    /// cause is. A vague mention that names another cause (a certificate failure beside a
    /// wrapper's "Connection error") is an error of its own.
    fn absorbs(specific: ([u64; 2], Cause, Provider), d: &Diagnosis) -> bool {
        let (span, cause, provider) = specific;
        same_family(d.provider, provider)
            && ((may_wait(d) && matches!(d.detail, Cause::Transient | Cause::Connection))
                || (d.provider == Provider::Unknown && cause == d.detail))
            && d.span[0] <= span[1] + NEAR
            && span[0] <= d.span[1] + NEAR
    }

    fn push(&mut self, d: Diagnosis) {
        // Pending mentions too far behind to be absorbed are final.
        let horizon = d.span[0].saturating_sub(NEAR);
        let (done, keep): (Vec<Diagnosis>, Vec<Diagnosis>) =
            self.pending.drain(..).partition(|p| p.span[1] < horizon);
        self.pending = keep;
        for p in done {
            self.fold(p);
        }
        // A vague mention (a wrapper's line, an access log, a status line) waits: the
        // specific reading of the same error may come next, and the mention is then one
        // event with it.
        if d.provider == Provider::Unknown || may_wait(&d) {
            if self.last_specific.is_some_and(|s| Self::absorbs(s, &d)) {
                return;
            }
            // Between two vague mentions, the one that names its provider stays.
            if d.provider == Provider::Unknown {
                if self.pending.iter().any(|p| {
                    p.provider != Provider::Unknown
                        && Self::absorbs((p.span, p.detail, p.provider), &d)
                }) {
                    return;
                }
            } else {
                let me = (d.span, d.detail, d.provider);
                self.pending
                    .retain(|p| p.provider != Provider::Unknown || !Self::absorbs(me, p));
            }
            self.pending.push(d);
            return;
        }
        let me = (d.span, d.detail, d.provider);
        self.pending.retain(|p| !Self::absorbs(me, p));
        // The block right before, read as the same error: one event, one diagnosis.
        if let Some(last) = self.folded.last_mut()
            && one_event(last, &d)
        {
            merge(last, d);
            self.last_specific = Some((last.span, last.detail, last.provider));
            let numbers = Latest::of(last);
            let i = self.folded.len() - 1;
            self.set_latest(i, numbers);
            return;
        }
        self.last_specific = Some(me);
        self.fold(d);
    }

    /// Folds the vague mentions still waiting for a specific reading: they are final.
    fn settle(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            self.fold(p);
        }
    }

    /// Counts `d` as one more occurrence of the same error folded before, or keeps it as
    /// a new one (at most [`MAX_DISTINCT`]); its numbers become that error's latest.
    fn fold(&mut self, d: Diagnosis) {
        let numbers = Latest::of(&d);
        let at = match self.folded.iter().rposition(|x| same_error(x, &d)) {
            Some(i) => {
                self.folded[i].occurrences += 1;
                i
            }
            None if self.folded.len() < MAX_DISTINCT => {
                self.folded.push(d);
                self.folded.len() - 1
            }
            None => return,
        };
        self.set_latest(at, numbers);
    }

    fn set_latest(&mut self, i: usize, numbers: Latest) {
        if self.latest.len() <= i {
            self.latest.resize(i + 1, Latest::default());
        }
        self.latest[i] = numbers;
    }

    /// Error `i`'s latest occurrence.
    fn latest(&self, i: usize) -> Option<&Latest> {
        self.latest.get(i)
    }

    fn finish(mut self) -> Vec<Diagnosis> {
        self.settle();
        self.folded.sort_by_key(|d| d.span[0]);
        self.folded
    }
}

impl Scanner {
    pub fn new() -> Self {
        Scanner {
            segmenter: segment::Segmenter::new(),
            analyzer: Analyzer::new(),
        }
    }

    /// Feeds the next bytes of the input (any split, invalid UTF-8 tolerated).
    pub fn feed(&mut self, data: &[u8]) {
        let state = &mut self.analyzer.state;
        self.segmenter
            .feed(data, &mut |block| on_block(block, state));
    }

    /// Ends the input and returns the diagnoses in order of first appearance.
    pub fn finish(mut self) -> Vec<Diagnosis> {
        let state = &mut self.analyzer.state;
        self.segmenter.finish(&mut |block| on_block(block, state));
        self.analyzer.finish()
    }
}

fn on_block(block: segment::Block<'_>, state: &mut Folding) {
    let text = String::from_utf8_lossy(block.bytes);
    let mut found = Vec::new();
    analyze_block(&text, block.start, block.end, &mut found);
    for d in found {
        state.push(d);
    }
}

/// How much a diagnosis says about which limit was hit: a bare 429, a named limit
/// without its window, a named limit with it (or a verdict of another class).
fn specificity(d: &Diagnosis) -> u8 {
    match d.kind {
        Kind::Transient => 0,
        k if k.is_rate() && d.window.is_none() => 1,
        _ => 2,
    }
}

/// Two readings of one error in adjacent blocks (a message and the body or headers that
/// follow it): the same provider family, nothing between them, and kinds that agree or
/// refine each other (a bare 429 and a named limit, requests per minute and per day).
fn one_event(a: &Diagnosis, b: &Diagnosis) -> bool {
    let unit = |k: Kind| match k {
        Kind::Rpm | Kind::Rpd => 1,
        Kind::Tpm | Kind::Tpd | Kind::InputTpm | Kind::OutputTpm => 2,
        _ => 0,
    };
    let agree = a.kind == b.kind
        || a.kind == Kind::Transient
        || b.kind == Kind::Transient
        || (unit(a.kind) != 0 && unit(a.kind) == unit(b.kind));
    b.span[0] <= a.span[1] + 2
        && a.occurrences == 1
        && !same_error(a, b)
        && (same_family(a.provider, b.provider) || same_family(b.provider, a.provider))
        && a.kind != Kind::NotRateLimit
        && b.kind != Kind::NotRateLimit
        && agree
}

/// One diagnosis from two readings: the more specific one's verdict, every number either
/// found.
fn merge(into: &mut Diagnosis, other: Diagnosis) {
    let span = [
        into.span[0].min(other.span[0]),
        into.span[1].max(other.span[1]),
    ];
    let first_message = into.message.clone().or_else(|| other.message.clone());
    let (mut keep, rest) = if specificity(&other) > specificity(into) {
        (other, into.clone())
    } else {
        (into.clone(), other)
    };
    keep.span = span;
    if keep.provider == Provider::Unknown {
        keep.provider = rest.provider;
    }
    keep.limit = keep.limit.or(rest.limit);
    keep.used = keep.used.or(rest.used);
    keep.requested = keep.requested.or(rest.requested);
    if keep.kind != Kind::NotRateLimit {
        keep.retry_after_s = keep.retry_after_s.or(rest.retry_after_s);
    }
    keep.model = keep.model.or(rest.model);
    keep.organization = keep.organization.or(rest.organization);
    keep.status = keep.status.or(rest.status);
    keep.resets = keep.resets.or(rest.resets);
    keep.message = first_message;
    let mut because = into.evidence.clone();
    because.extend(keep.evidence.iter().chain(rest.evidence.iter()).cloned());
    because.sort_by_key(|e| e.span);
    because.dedup();
    because.truncate(evidence::MAX);
    keep.evidence = because;
    classify::retell(&mut keep);
    *into = keep;
}

fn same_error(a: &Diagnosis, b: &Diagnosis) -> bool {
    a.provider == b.provider
        && a.detail == b.detail
        && a.model == b.model
        && a.limit == b.limit
        && a.organization == b.organization
        && a.status == b.status
}

/// A diagnosis that says nothing specific: no limit named, no numbers, no hint.
fn is_vague(d: &Diagnosis) -> bool {
    matches!(d.kind, Kind::Transient | Kind::NotRateLimit)
        && d.limit.is_none()
        && d.retry_after_s.is_none()
}

/// A vague mention that a specific diagnosis nearby may absorb: any provider's bare 429,
/// or an unknown provider's vague error (a known provider's 401 is an error of its own).
fn may_wait(d: &Diagnosis) -> bool {
    is_vague(d) && (d.kind == Kind::Transient || d.provider == Provider::Unknown)
}

fn analyze_block(raw: &str, start: u64, end: u64, out: &mut Vec<Diagnosis>) {
    // Evidence is read from the block made plain (quotes folded, escapes undone, box
    // drawing gone); bodies are parsed from the block as it came first.
    let text = &*normalize::normalize(raw);
    let block_votes = signals::votes(text);
    let span = [start, end];
    let mut envs = envelope::envelopes(raw);
    if envs.is_empty() && text != raw {
        envs = envelope::envelopes(text);
    }
    let mut any = false;
    for env in &envs {
        let facts = Facts {
            text: normalize::normalize(&env.text()).into_owned(),
            envelope: Some(env),
            block: text,
            block_votes: &block_votes,
            span,
        };
        if let Some(mut d) = classify(&facts) {
            any = true;
            d.evidence = evidence::find(raw, start, &d);
            out.push(d);
        }
    }
    if !any {
        let facts = Facts {
            text: normalize::one_line(text),
            envelope: None,
            block: text,
            block_votes: &block_votes,
            span,
        };
        if let Some(mut d) = classify(&facts) {
            d.evidence = evidence::find(raw, start, &d);
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests;
