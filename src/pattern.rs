//! The engine's constant patterns (core layer): compiled with ASCII classes, on first use,
//! and only for text that can match them.

use aho_corasick::AhoCorasick;
use regex::{Captures, Regex};
use std::sync::OnceLock;

/// Compiles one of the engine's constant patterns.
///
/// The patterns are literals in this crate; `all_patterns_compile` and every sample test
/// compile each of them, so a failure here is a programming error caught before release.
#[expect(
    clippy::expect_used,
    reason = "constant patterns, all compiled by the tests"
)]
pub fn re(pattern: &str) -> Regex {
    Regex::new(&ascii_classes(pattern)).expect("a constant pattern compiles")
}

/// The engine reads ASCII protocol text: Unicode-aware `\d`, `\w`, `\s` and `\b` only make
/// the automata bigger and slower to build (most of a cold start). Rewrites them to their
/// ASCII forms.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str(r"[\t\n\x0B\x0C\r ]"),
            Some('S') => out.push_str(r"[^\t\n\x0B\x0C\r ]"),
            Some('b') => out.push_str(r"(?-u:\b)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Every gated pattern of the crate, for the tests that check each gate's needles
/// (`tests/patterns.rs`: no sample can match a pattern whose gate stays shut).
#[doc(hidden)]
pub fn every_gate() -> Vec<&'static Gated> {
    crate::diagnose::gates()
        .chain(crate::redact::gates())
        .collect()
}

/// The only letters outside ASCII that case-insensitive matching equates with ASCII ones:
/// the long s (`s`) and the Kelvin sign (`k`). `only_two_letters_fold_onto_ascii` checks
/// the regex engine agrees.
const FOLDS_TO_ASCII: [char; 2] = ['\u{17F}', '\u{212A}'];

fn folds_to_ascii(text: &str) -> bool {
    // A byte search (SIMD) for their UTF-8 forms: matching chars one at a time was a
    // thirtieth of the time spent on each error that holds any text outside ASCII.
    !text.is_ascii()
        && FOLDS_TO_ASCII.iter().any(|c| {
            let mut utf8 = [0u8; 4];
            memchr::memmem::find(text.as_bytes(), c.encode_utf8(&mut utf8).as_bytes()).is_some()
        })
}

/// Lower-case words looked for in any ASCII case, all in one scan (the automaton is
/// built on first use: cheap for a few words).
pub struct Needles {
    words: &'static [&'static str],
    any_case: OnceLock<Option<AhoCorasick>>,
}

impl Needles {
    pub const fn new(words: &'static [&'static str]) -> Needles {
        Needles {
            words,
            any_case: OnceLock::new(),
        }
    }

    /// Whether `text` holds one of the words in any ASCII case.
    pub fn found_in(&self, text: &str) -> bool {
        let built = self.any_case.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(self.words)
                .ok()
        });
        match built {
            Some(ac) => ac.is_match(text),
            None => self.words.iter().any(|n| {
                let (hay, n) = (text.as_bytes(), n.as_bytes());
                hay.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
            }),
        }
    }

    /// Whether lower-cased text holds one of the words.
    fn found_in_lower(&self, lower: &str) -> bool {
        self.words.iter().any(|n| lower.contains(n))
    }

    fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// A constant pattern compiled on its first use, and tried only on text that holds one of
/// its needles: lower-case literals that every match contains (none: always tried).
///
/// Building an automaton costs far more than matching one block with it (it was nine
/// tenths of a cold `explain`), and most blocks need few of the patterns.
pub struct Gated {
    needles: Needles,
    pattern: &'static str,
    re: OnceLock<Regex>,
}

impl Gated {
    pub const fn new(needles: &'static [&'static str], pattern: &'static str) -> Gated {
        Gated {
            needles: Needles::new(needles),
            pattern,
            re: OnceLock::new(),
        }
    }

    /// The regex, when `lower` (the text, ASCII lower-cased) holds one of the needles.
    /// Text with one of the two non-ASCII letters `(?i)` folds onto ASCII ones always gets
    /// it: the needles would not see them.
    pub fn get(&self, lower: &str) -> Option<&Regex> {
        let open =
            self.needles.is_empty() || self.needles.found_in_lower(lower) || folds_to_ascii(lower);
        open.then(|| self.re.get_or_init(|| re(self.pattern)))
    }

    /// The regex, when `text` holds one of the needles in any ASCII case (or it is built
    /// already): for callers that have no lower-cased copy of the text at hand.
    pub fn get_any_case(&self, text: &str) -> Option<&Regex> {
        // Once built, the regex's own literal scan is faster than looking for the needles.
        if let Some(built) = self.re.get() {
            return Some(built);
        }
        let open = self.needles.is_empty() || self.needles.found_in(text) || folds_to_ascii(text);
        open.then(|| self.re.get_or_init(|| re(self.pattern)))
    }

    /// Whether `text` can match although the gate stays shut: a wrong needle. For tests.
    #[doc(hidden)]
    pub fn misses(&self, text: &str) -> bool {
        self.get(&text.to_ascii_lowercase()).is_none() && re(self.pattern).is_match(text)
    }

    pub fn captures<'t>(&self, text: &'t str, lower: &str) -> Option<Captures<'t>> {
        self.get(lower)?.captures(text)
    }

    pub fn is_match(&self, text: &str, lower: &str) -> bool {
        self.get(lower).is_some_and(|r| r.is_match(text))
    }

    pub fn captures_iter<'s, 't>(
        &'s self,
        text: &'t str,
        lower: &str,
    ) -> impl Iterator<Item = Captures<'t>> + use<'s, 't> {
        self.get(lower)
            .into_iter()
            .flat_map(move |r| r.captures_iter(text))
    }

    /// The needles and the pattern, for tests.
    #[doc(hidden)]
    pub fn parts(&self) -> (&'static [&'static str], &'static str) {
        (self.needles.words, self.pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_rewrite() {
        assert_eq!(
            ascii_classes(r"\d+\s\w\b\.\\"),
            r"[0-9]+[\t\n\x0B\x0C\r ][0-9A-Za-z_](?-u:\b)\.\\"
        );
        assert_eq!(ascii_classes(r"[^,\s]"), r"[^,[\t\n\x0B\x0C\r ]]");
        assert!(re(r"[^,\s]+ \S+").is_match("ab cd"));
    }

    #[test]
    fn only_two_letters_fold_onto_ascii() {
        let all: String = (0x80..=0x10FFFF_u32).filter_map(char::from_u32).collect();
        let folding: Vec<char> = regex::Regex::new("(?i)[a-z]")
            .unwrap()
            .find_iter(&all)
            .flat_map(|m| m.as_str().chars())
            .collect();
        assert_eq!(folding, FOLDS_TO_ASCII);
        // Other text outside ASCII (a dash, an ellipsis) leaves the gates to their needles.
        static G: Gated = Gated::new(&["try again"], r"(?i)try again");
        assert!(G.get("wait — later…").is_none());
        assert!(G.get_any_case("wait — later…").is_none());
    }

    #[test]
    fn a_gate_opens_only_on_its_needles() {
        static G: Gated = Gated::new(&["try again"], r"(?i)try again in (\d+)s");
        assert!(
            G.captures("Please TRY AGAIN in 5s", "please try again in 5s")
                .is_some()
        );
        assert!(G.get("nothing to see").is_none());
        assert!(!G.is_match("nothing", "nothing"));
        // Text with a letter that (?i) folds onto ASCII is always tried (the Kelvin sign).
        static K: Gated = Gated::new(&["key="], r"(?i)key=(\w+)");
        let kelvin = "?\u{212A}ey=abcdef";
        assert!(K.is_match(kelvin, &kelvin.to_ascii_lowercase()));
        assert!(!K.misses(kelvin));
        assert!(K.get_any_case(kelvin).is_some());
        static A: Gated = Gated::new(&["try again"], r"(?i)try again");
        assert!(A.get_any_case("try agai").is_none());
        assert!(A.get_any_case("then Try Again in 2s").is_some());
        // Built now: from here on the regex itself decides.
        assert!(
            A.get_any_case("try agai")
                .is_some_and(|r| !r.is_match("try agai"))
        );
        static WRONG: Gated = Gated::new(&["absent"], r"present");
        assert!(WRONG.misses("present"));
        static ALWAYS: Gated = Gated::new(&[], r"(\d{3})");
        assert_eq!(
            ALWAYS.captures_iter("429 and 503", "429 and 503").count(),
            2
        );
    }
}
