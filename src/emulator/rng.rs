//! A tiny seeded PRNG (splitmix64) and the deterministic things drawn from it: ids, org ids,
//! generated text, overload draws, embeddings.

/// splitmix64 (Steele, Lea, Flood 2014): fast, good enough for ids and jitter, seedable.
#[derive(Debug, Clone)]
pub struct Rng(u64);

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// The words generated text is made of; one word is one token.
const WORDS: &[&str] = &[
    "the",
    "limit",
    "token",
    "bucket",
    "refills",
    "every",
    "second",
    "while",
    "requests",
    "wait",
    "patiently",
    "for",
    "their",
    "turn",
    "and",
    "retry",
    "after",
    "a",
    "short",
    "pause",
    "budget",
    "minute",
    "quota",
    "model",
    "answer",
    "stream",
    "header",
    "reset",
    "window",
    "gently",
    "backoff",
    "grows",
    "until",
    "capacity",
    "returns",
    "calm",
    "steady",
    "traffic",
    "flows",
    "again",
];

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// `n` characters from `[A-Za-z0-9]`.
    pub fn alnum(&mut self, n: usize) -> String {
        self.pick(ALNUM, n)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        self.pick(HEX, n)
    }

    fn pick(&mut self, set: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(set[(self.next_u64() % set.len() as u64) as usize]))
            .collect()
    }

    /// A UUID-shaped string (version 4 layout).
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// `n` words of generated text (one token each).
    pub fn words(&mut self, n: u64) -> Vec<&'static str> {
        (0..n)
            .map(|_| WORDS[(self.next_u64() % WORDS.len() as u64) as usize])
            .collect()
    }
}

/// The splitmix64 finaliser.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string: stable across runs, used to derive per-key ids from the seed.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Standard base64 (with padding), for `encoding_format: "base64"` embeddings.
pub use crate::base64::encode as base64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        assert_eq!(a.alnum(20), b.alnum(20));
        assert_eq!(a.words(5), b.words(5));
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs of splitmix64 seeded with 0 (reference implementation).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn floats_and_ranges_stay_in_bounds() {
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
            let n = r.range(8, 24);
            assert!((8..=24).contains(&n));
        }
        let u = r.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
    }

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }
}
