//! Fuzz target: the explain engine on arbitrary bytes.
//!
//! The input is fed to the streaming [`Scanner`] twice, once whole and once in chunks whose
//! sizes are drawn from a hash of the input (so every mutation also moves the split
//! points, down to one byte at a time); both must give the same diagnoses. Each diagnosis
//! must be sane (span inside the input, finite numbers, no surviving key) and the text and
//! JSON views must render it. Any panic is a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ratedoctor::diagnose::{Diagnosis, Scanner, diagnose_block};
use ratedoctor::redact::redact;
use ratedoctor::views::explain;
use ratedoctor::views::style::Style;

/// FNV-1a: a stable seed for the split points.
fn seed_of(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn next(state: &mut u64) -> u64 {
    // xorshift64*
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn scan_whole(data: &[u8]) -> Vec<Diagnosis> {
    let mut s = Scanner::new();
    s.feed(data);
    s.finish()
}

fn scan_split(data: &[u8]) -> Vec<Diagnosis> {
    let mut state = seed_of(data) | 1;
    // The largest chunk: 1, 3, 17, 200 or 5000 bytes, chosen by the input too.
    let max = [1u64, 3, 17, 200, 5000][(next(&mut state) % 5) as usize];
    let mut s = Scanner::new();
    let mut pos = 0;
    while pos < data.len() {
        let n = (1 + next(&mut state) % max) as usize;
        let end = (pos + n).min(data.len());
        s.feed(&data[pos..end]);
        pos = end;
    }
    s.finish()
}

fn check(d: &Diagnosis, len: usize) {
    assert!(d.occurrences >= 1, "{d:?}");
    assert!(
        d.span[0] <= d.span[1] && d.span[1] <= len as u64,
        "{d:?} len {len}"
    );
    for v in [d.limit, d.used, d.requested, d.retry_after_s]
        .into_iter()
        .flatten()
    {
        assert!(v.is_finite() && v >= 0.0, "{d:?}");
    }
    if let Some(m) = &d.message {
        assert_eq!(redact(m), m.as_str(), "a key survived in the message: {m}");
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = scan_whole(data);
    let split = scan_split(data);
    assert_eq!(whole, split, "splitting the input changed the answer");
    for d in &whole {
        check(d, data.len());
    }
    let text = String::from_utf8_lossy(data);
    for d in diagnose_block(&text) {
        check(&d, text.len());
    }
    let _ = explain::json(&whole);
    let _ = explain::cards(&whole, Style::PLAIN, 80);
    let _ = explain::cards(&whole, Style { color: true }, 20);
});
