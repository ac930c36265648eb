//! The engine compiles a pattern only for text that holds one of its needles (literals every
//! match contains), which keeps a cold `explain` near 5 ms. A wrong needle would silently
//! hide a diagnosis or, in redaction, a key; this test tries every gate on every sample,
//! as pasted and with its whitespace folded the way the engine folds a block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::pattern::{Gated, every_gate};
use std::path::Path;

fn texts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name.clone(), text));
        out.push((format!("{name}, folded"), folded));
    }
    // Keys of every family the redaction knows, in the forms users paste them.
    for key in [
        "Authorization: Bearer abcdefghijklmnop0123",
        "curl -H 'X-Api-Key: 0123456789abcdef0123'",
        "GET /v1beta/models/x:generateContent?KEY=abcdefgh12345678",
        "https://host/v1?Access_Token=abcdefgh12345678",
        "{'api-key': 'abcdefghijkl0123456789'}",
        "AKIAABCDEFGHIJKLMNOP and AIzaSyA1234567890abcdefghijklmnopqrstu",
        "gsk_ABCDEFGHIJKLMNOPQRSTUVWX xai-ABCDEFGHIJKLMNOPQRSTUVWX",
        "fw_ABCDEFGHIJKLMNOPQRSTUVWX pplx-ABCDEFGHIJKLMNOPQRSTUVWX",
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123 sk-ant-api03-AAAABBBBCCCC",
    ] {
        out.push((key.to_string(), key.to_string()));
    }
    out
}

#[test]
fn no_sample_matches_a_pattern_whose_gate_stays_shut() {
    let gates: Vec<&Gated> = every_gate();
    assert!(gates.len() > 30, "{} gates", gates.len());
    let texts = texts();
    assert!(texts.len() > 100);
    let mut opened = vec![false; gates.len()];
    for (name, text) in &texts {
        for (i, g) in gates.iter().enumerate() {
            let (needles, pattern) = g.parts();
            assert!(
                !g.misses(text),
                "{name}: {pattern:?} matches, but none of {needles:?} opens its gate"
            );
            opened[i] |= ratedoctor::pattern::re(pattern).is_match(text);
        }
    }
    // Needles are lower-case (the text they are looked for in is).
    for g in &gates {
        let (needles, pattern) = g.parts();
        for n in needles {
            assert_eq!(*n, n.to_ascii_lowercase(), "needle of {pattern:?}");
        }
    }
    // Most patterns match some sample: the check above is not vacuous.
    let used = opened.iter().filter(|o| **o).count();
    assert!(
        used * 3 >= gates.len() * 2,
        "only {used} of {} gates matched a sample",
        gates.len()
    );
}
