//! Fuzz target: redaction across block cuts (issue #15, defect 1).
//!
//! A line longer than a block is cut where [`safe_cut`] says and each piece is redacted on
//! its own. The input chooses the text before the key (arbitrary bytes, after a run of
//! padding that is one token or many words), the key's family and introducer, and where
//! the cut would fall if nothing moved it: from 300 bytes before the key to past its end.
//! Neither piece, redacted, may hold 8 characters of the secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memchr::memmem;
use ratedoctor::diagnose::safe_cut;
use ratedoctor::redact::redact;

const HEADS: &[&str] = &[
    "sk-",
    "sk-proj-",
    "sk-ant-api03-",
    "sk-svcacct-",
    "sk-or-v1-",
    "AIzaSy",
    "gsk_",
    "xai-",
    "fw_",
    "pplx-",
    "Authorization: Bearer ",
    "Bearer ",
    "x-api-key: ",
    "api-key: ",
    "\"api-key\": \"",
    "x-goog-api-key: ",
    "?key=",
    "&access_token=",
    "Authorization: Bearer sk-proj-",
    "https://h/v1beta/models/m:generateContent?alt=sse&key=AIzaSy",
];

const SECRET: &str = "Zx7Wv3Ut9Sr1Qp5On2Ml8Kj4Ih6Gf0Ed";

fuzz_target!(|data: &[u8]| {
    let [pick, pad, back, rest @ ..] = data else {
        return;
    };
    let head = HEADS[usize::from(*pick) % HEADS.len()];
    // 20 KB of padding: one endless token, or words (made once).
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static WORDS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let padding = if pad % 2 == 0 {
        TOKEN.get_or_init(|| "q".repeat(20_000))
    } else {
        WORDS.get_or_init(|| "lorem ipsum ".repeat(20_000 / 12))
    };
    let before = String::from_utf8_lossy(rest);
    // The checks look for each 8-byte window with memchr's memmem (the same predicate as
    // `windows(8).any(..)` and `str::contains`): the fuzzer's instrumented comparisons in
    // naive byte loops over 20 KB took most of each run and only fed the mutator the
    // secret's bytes, which lead to this early return.
    static WINDOWS: std::sync::OnceLock<Vec<memmem::Finder<'static>>> = std::sync::OnceLock::new();
    let windows = WINDOWS.get_or_init(|| {
        SECRET
            .as_bytes()
            .windows(8)
            .map(memmem::Finder::new)
            .collect()
    });
    if windows.iter().any(|f| f.find(rest).is_some()) {
        return; // the secret is in the text before it: nothing to hide
    }
    let line = format!("{padding}{before}{head}{SECRET} -> HTTP 429 rate limit exceeded");
    let key_at = padding.len() + before.len();
    // The cut before moving: 300 bytes before the key to 44 bytes into it.
    let at = key_at + head.len() + SECRET.len() - (usize::from(*back) * 2).min(head.len() + 344);
    let bytes = line.as_bytes();
    let cut = safe_cut(&bytes[..at]);
    assert!(cut > 0 && cut <= at, "cut {cut} of {at}");
    for piece in [&bytes[..cut], &bytes[cut..]] {
        let shown = redact(&String::from_utf8_lossy(piece)).into_owned();
        for f in windows {
            assert!(
                f.find(shown.as_bytes()).is_none(),
                "{:?} of {head}{SECRET} shown after a cut at {cut} (of {at})",
                String::from_utf8_lossy(f.needle())
            );
        }
    }
});
