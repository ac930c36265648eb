//! What a block says besides its body: the HTTP status, rate-limit headers, and who sent
//! it (URLs, SDK and wrapper names, header families, model names).

use super::types::Provider;
use crate::pattern::Gated;
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

static STATUS: [Gated; 14] = [
    Gated::new(&["error code"], r"(?i)error code:?\s*(\d{3})\b"),
    Gated::new(&["http/"], r"HTTP/[\d.]+ (\d{3})\b"),
    Gated::new(&["got status"], r"(?i)got status:? (\d{3})\b"),
    Gated::new(&["status_code"], r"(?i)status_code[=:]\s*(\d{3})\b"),
    Gated::new(&["status"], r"(?i)\bstatus[ =:]+(\d{3})\b"),
    Gated::new(
        &["httpstatuscode"],
        r#"(?i)"?httpStatusCode"?\s*[:=]\s*(\d{3})\b"#,
    ),
    Gated::new(
        &[],
        r"(?m)(?:^\s*|Error: |Error: \S+: |\] |\()([45]\d\d) [\x22{A-Za-z]",
    ),
    Gated::new(
        &[
            "error:",
            "exception:",
            "exhausted:",
            "requests:",
            "unavailable:",
        ],
        r"\w(?:Error|Exception|Exhausted|Requests|Unavailable):\s+([45]\d\d)\b",
    ),
    Gated::new(
        &["failed", "error", "exception"],
        r"(?i)(?:failed|error|exception):?\s+([45]\d\d) [\x22{A-Z]",
    ),
    Gated::new(&[":"], r":\s+([45]\d\d) [\x22{]"),
    Gated::new(
        &[],
        r"\b([45]\d\d) (?:Too Many Requests|RESOURCE_EXHAUSTED|UNAVAILABLE|Service Unavailable|Internal Server Error|Unauthorized|Not Found|Bad Request|Payment Required|Forbidden|Request Timeout|Gateway Timeout|Bad Gateway)",
    ),
    Gated::new(&["["], r"(?i)\[(\d{3})\]"),
    Gated::new(&["statuscode"], r#"(?i)"?statusCode"?\s*[:=]\s*(\d{3})\b"#),
    // httpx: `Client error '429 Too Many Requests' for url …`, `Server error '529 '`.
    Gated::new(&["error '"], r"(?i)(?:client|server) error '(\d{3})\b"),
];

/// This module's gated patterns.
pub(crate) fn gates() -> impl Iterator<Item = &'static Gated> {
    let votes = VOTES.iter().filter_map(|v| match &v.matcher {
        Matcher::Re(g) => Some(g),
        Matcher::Words { .. } => None,
    });
    STATUS.iter().chain([&HEADER]).chain(votes)
}

/// The HTTP status the text states, if any.
pub fn status(text: &str) -> Option<u16> {
    let lower = text.to_ascii_lowercase();
    for r in STATUS.iter() {
        if let Some(c) = r.captures(text, &lower)
            && let Some(n) = c.get(1).and_then(|m| m.as_str().parse::<u16>().ok())
            && (100..600).contains(&n)
        {
            return Some(n);
        }
    }
    None
}

static HEADER: Gated = Gated::new(
    &[
        "ratelimit",
        "anthropic-priority",
        "x-tokenlimit",
        "retry-after",
        "x-should-retry",
        "x-amzn-errortype",
        "x-ms-region",
        "request-id",
        "openai-organization",
        "openai-processing-ms",
        "x-groq-region",
    ],
    concat!(
        r#"(?im)(?:^|[\s{,<'"])['"]?((?:x-ratelimit|anthropic-ratelimit|anthropic-priority|x-tokenlimit|x-ratelimitbysize|ratelimitbysize)[a-z0-9_-]*"#,
        r#"|retry-after-ms|retry-after|x-amz-retry-after|x-should-retry|x-amzn-errortype|x-ms-region|apim-request-id|openai-organization|openai-processing-ms|x-groq-region|request-id|x-request-id)['"]?\s*[:=]\s*['"]?([^'"\r\n,}]+)"#
    ),
);

/// Header name/value pairs anywhere in the text: `curl -i` lines, Python dict reprs, JSON.
pub fn headers(text: &str) -> Vec<(String, String)> {
    HEADER
        .captures_iter(text, &text.to_ascii_lowercase())
        .filter_map(|c| {
            let name = c.get(1)?.as_str().to_ascii_lowercase();
            let value = c.get(2)?.as_str().trim().to_string();
            (!value.is_empty()).then_some((name, value))
        })
        .collect()
}

struct Vote {
    matcher: Matcher,
    provider: Provider,
    weight: i32,
}

/// Most votes are plain words: they are matched as substrings (no automaton to build at
/// start-up); the few that need a regex get one.
enum Matcher {
    /// Any of these substrings; `lower` means they are matched against lower-cased text.
    Words { lower: bool, words: Vec<String> },
    /// Compiled on first use, and tried only where its needles are: most blocks never
    /// need most of them.
    Re(Gated),
}

impl Matcher {
    /// A row of plain words; a row that is not one becomes a regex without needles
    /// (tried on every block: `every_regex_vote_has_needles` keeps such rows out).
    fn new(pattern: &'static str) -> Matcher {
        let (lower, body) = match pattern.strip_prefix("(?i)") {
            Some(b) => (true, b),
            None => (false, pattern),
        };
        let mut words = Vec::new();
        for alt in body.split('|') {
            let mut w = String::new();
            let mut chars = alt.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(e @ ('.' | '$' | '-' | '/')) => w.push(e),
                        _ => return Matcher::Re(Gated::new(&[], pattern)),
                    },
                    '(' | ')' | '[' | ']' | '?' | '*' | '+' | '{' | '}' | '^' | '$' | '.' => {
                        return Matcher::Re(Gated::new(&[], pattern));
                    }
                    c => w.push(if lower { c.to_ascii_lowercase() } else { c }),
                }
            }
            if w.is_empty() {
                return Matcher::Re(Gated::new(&[], pattern));
            }
            words.push(w);
        }
        Matcher::Words { lower, words }
    }
}

static VOTES: LazyLock<Vec<Vote>> = LazyLock::new(|| {
    use Provider::*;
    let table: &[(&str, Provider, i32)] = &[
        // URLs and domains
        (
            r"(?i)platform\.openai\.com|api\.openai\.com|help\.openai\.com",
            Openai,
            10,
        ),
        (r"(?i)console\.groq\.com|api\.groq\.com|groq", Groq, 10),
        (r"(?i)anthropic\.com|claude\.com|anthropic", Anthropic, 9),
        (
            r"(?i)ai\.google\.dev|generativelanguage\.googleapis\.com|ai\.studio|aistudio|ai\.dev/|google\.genai|@google/genai|genai",
            Gemini,
            9,
        ),
        (
            r"(?i)aiplatform\.googleapis\.com|cloud\.google\.com/vertex-ai|vertex",
            Vertex,
            10,
        ),
        (
            r"(?i)aka\.ms/oai|azure openai|azureexception|azure|s0 pricing tier",
            Azure,
            10,
        ),
        (r"(?i)openrouter", Openrouter, 10),
        (
            r"(?i)together\.ai|together\.xyz|togetherexception|dynamic_request_limited|dynamic_token_limited",
            Together,
            10,
        ),
        (r"(?i)deepseek", Deepseek, 4),
        (r"(?i)cohere|trial key", Cohere, 10),
        (
            r"(?i)console\.x\.ai|xai-|xai api|too many tokens for team|too many requests for team",
            Xai,
            10,
        ),
        (r"(?i)fireworks", Fireworks, 10),
        (
            r"(?i)bedrock|botocore|amazon|throttlingexception|x-amzn|\$metadata|when calling the",
            Bedrock,
            10,
        ),
        (r"(?i)perplexity|sonar", Perplexity, 8),
        (
            r"(?i)mistral|ratelimitbysize|service tier capacity exceeded",
            Mistral,
            10,
        ),
        // SDK exception names
        (
            r"google\.api_core|ResourceExhausted|RESOURCE_EXHAUSTED|google\.rpc",
            Gemini,
            3,
        ),
        // header families
        (r"(?i)anthropic-ratelimit", Anthropic, 6),
        (r"(?i)x-ms-region|apim-request-id|retry-after-ms", Azure, 3),
        (r"(?i)openai-organization|openai-processing-ms", Openai, 6),
        (
            r"(?i)x-ratelimit-limit-tokens-prompt|x-ratelimit-limit-tokens-generated|x-ratelimit-remaining-tokens-prompt|x-ratelimit-remaining-tokens-generated|x-ratelimit-over-limit",
            Fireworks,
            6,
        ),
        (
            r"insufficient_quota|context_length_exceeded|invalid_api_key|credit_balance_exhausted|rate_limit_exceeded|server_is_overloaded|service_unavailable_error|engine is currently overloaded",
            Openai,
            2,
        ),
        // organization ids and message grammars
        (r"organization org-", Openai, 3),
        (r"organization `org_|organization org_", Groq, 6),
        (
            r"service tier `on_demand|service tier on_demand|service tier `",
            Groq,
            6,
        ),
        (r"for model `", Groq, 3),
        (
            r"(?i)Rate limit reached for|Request too large for",
            Openai,
            2,
        ),
        (
            r"(?i)Quota exceeded for quota metric|Quota exceeded for metric",
            Gemini,
            4,
        ),
        (
            r"(?i)exceeded token rate limit|exceeded call rate limit|Rate limit is exceeded\. Try again in",
            Azure,
            6,
        ),
        (r"(?i)Insufficient Balance", Deepseek, 4),
        (r"(?i)API calls / minute|API calls / month", Cohere, 6),
        // model names
        (r"claude-", Anthropic, 2),
        (r"gemini-", Gemini, 2),
        (r"grok-", Xai, 2),
        (r"command-r|command-a|command-light", Cohere, 2),
        (r"mistral-|mixtral-|codestral-|magistral-", Mistral, 2),
    ];
    // The votes that need a regex, with their needles (lower-case literals every match
    // holds: the regex is built and tried only where one of them is).
    let regex_votes: &[(&[&str], &str, Provider, i32)] = &[
        (
            &["openai"],
            r"\bopenai\.\w*Error\b|OpenAIException|OpenAIError",
            Openai,
            2,
        ),
        (
            &["anthropic"],
            r"\banthropic\.\w*Error\b|AnthropicException",
            Anthropic,
            8,
        ),
        (&["groq"], r"\bgroq\.\w*Error\b|GroqException", Groq, 10),
        (
            &[
                "this request would exceed",
                "concurrent connections has exceeded",
            ],
            r"(?i)This request would exceed (?:your organization's|the) rate limit|concurrent connections has exceeded",
            Anthropic,
            6,
        ),
        (
            &["current concurrency is "],
            r"(?i)current concurrency is \d+, which exceeds",
            Deepseek,
            2,
        ),
        (
            &["concurrency limit of "],
            r"(?i)concurrency limit of \d+ based on your remaining balance",
            Deepseek,
            6,
        ),
        (
            &[
                "gpt-",
                "o1",
                "o3",
                "o4",
                "dall-e",
                "text-embedding",
                "chatgpt-",
                "whisper",
                "tts-1",
            ],
            r"\b(?:gpt-[\w.-]+|o[134](?:-mini|-pro)?\b|dall-e|text-embedding|chatgpt-|gpt-image|whisper|tts-1)",
            Openai,
            2,
        ),
    ];
    let words = table.iter().map(|(p, provider, weight)| Vote {
        matcher: Matcher::new(p),
        provider: *provider,
        weight: *weight,
    });
    let regexes = regex_votes
        .iter()
        .map(|(needles, p, provider, weight)| Vote {
            matcher: Matcher::Re(Gated::new(needles, p)),
            provider: *provider,
            weight: *weight,
        });
    words.chain(regexes).collect()
});

/// Votes per provider (index = position in [`Provider::ALL`]).
pub type Votes = [i32; 16];

fn index(p: Provider) -> usize {
    Provider::ALL.iter().position(|x| *x == p).unwrap_or(15)
}

pub fn add(votes: &mut Votes, p: Provider, w: i32) {
    votes[index(p)] += w;
}

/// Counts who the text points at.
pub fn votes(text: &str) -> Votes {
    let mut v = [0; 16];
    let lower = text.to_ascii_lowercase();
    let words = &*VOTE_WORDS;
    let mut hit = vec![false; VOTES.len()];
    for (ac, owners, hay) in [
        (&words.lower, &words.lower_owner, lower.as_str()),
        (&words.exact, &words.exact_owner, text),
    ] {
        if let Some(ac) = ac {
            for m in ac.find_overlapping_iter(hay) {
                hit[owners[m.pattern().as_usize()]] = true;
            }
        }
    }
    for (i, vote) in VOTES.iter().enumerate() {
        let matched = match &vote.matcher {
            // No automaton (it failed to build, which the tests rule out): one word at a
            // time.
            Matcher::Words { lower: l, words: w } if words.missing(*l) => {
                let t = if *l { lower.as_str() } else { text };
                w.iter().any(|w| t.contains(w.as_str()))
            }
            Matcher::Words { .. } => hit[i],
            Matcher::Re(g) => g.is_match(text, &lower),
        };
        if matched {
            add(&mut v, vote.provider, vote.weight);
        }
    }
    v
}

/// Every word of the word votes in two automata (lower-cased ones matched against the
/// lower-cased text, the others as they are), so a block is read twice rather than once
/// per word: the votes were a sixth of the time spent on each error.
struct VoteWords {
    lower: Option<AhoCorasick>,
    /// The vote (index in `VOTES`) each pattern of `lower` belongs to.
    lower_owner: Vec<usize>,
    exact: Option<AhoCorasick>,
    exact_owner: Vec<usize>,
}

impl VoteWords {
    fn missing(&self, lower: bool) -> bool {
        if lower {
            self.lower.is_none()
        } else {
            self.exact.is_none()
        }
    }
}

static VOTE_WORDS: LazyLock<VoteWords> = LazyLock::new(|| {
    let mut lists: [(Vec<&str>, Vec<usize>); 2] = Default::default();
    for (i, vote) in VOTES.iter().enumerate() {
        if let Matcher::Words { lower, words } = &vote.matcher {
            let (w, owner) = &mut lists[usize::from(!lower)];
            for word in words {
                w.push(word);
                owner.push(i);
            }
        }
    }
    let [(lower, lower_owner), (exact, exact_owner)] = lists;
    // A DFA: about 3 times faster here than the default NFA for an overlapping search,
    // and under a millisecond to build.
    let build = |words: &[&str]| {
        AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(words)
            .ok()
    };
    VoteWords {
        lower: build(&lower),
        lower_owner,
        exact: build(&exact),
        exact_owner,
    }
});

/// The provider with the most votes; `Unknown` on a tie at the top or no votes.
pub fn winner(votes: &Votes) -> Provider {
    let mut best = (0, Provider::Unknown);
    let mut tie = false;
    for (i, &score) in votes.iter().enumerate() {
        if score > best.0 {
            best = (score, Provider::ALL[i]);
            tie = false;
        } else if score == best.0 && score > 0 {
            tie = true;
        }
    }
    if tie { Provider::Unknown } else { best.1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_patterns_compile() {
        for g in crate::pattern::every_gate() {
            let _ = crate::pattern::re(g.parts().1);
        }
    }

    /// Regex votes belong in the table with needles, not among the words.
    #[test]
    fn every_regex_vote_has_needles() {
        for v in VOTES.iter() {
            if let Matcher::Re(g) = &v.matcher {
                assert!(!g.parts().0.is_empty(), "{:?} has no needles", g.parts().1);
            }
        }
    }

    #[test]
    fn statuses() {
        for (t, s) in [
            ("openai.RateLimitError: Error code: 429 - {}", 429),
            ("HTTP/2 529\r\n", 529),
            ("got status: 429 Too Many Requests. {}", 429),
            ("status_code: 429, body: x", 429),
            ("API error occurred: Status 429\n{}", 429),
            ("429 Rate limit reached for gpt-4.1", 429),
            ("Error: 503 {\"error\":1}", 503),
            ("429 RESOURCE_EXHAUSTED. {'error': 1}", 429),
        ] {
            assert_eq!(status(t), Some(s), "{t}");
        }
        assert_eq!(status("Limit 3500, Used 3500, Requested 1."), None);
    }

    #[test]
    fn header_pairs() {
        let h = headers(
            "retry-after: 20\r\nx-ratelimit-limit-requests: 3\n{'anthropic-ratelimit-tokens-remaining': '16000'}",
        );
        assert_eq!(
            h,
            vec![
                ("retry-after".to_string(), "20".to_string()),
                ("x-ratelimit-limit-requests".to_string(), "3".to_string()),
                (
                    "anthropic-ratelimit-tokens-remaining".to_string(),
                    "16000".to_string()
                ),
            ]
        );
        assert!(headers("follow the Retry-After header when present").is_empty());
    }

    #[test]
    fn plain_votes_need_no_regex() {
        let words = VOTES
            .iter()
            .filter(|v| matches!(v.matcher, Matcher::Words { .. }))
            .count();
        assert!(words * 2 > VOTES.len(), "{words} of {}", VOTES.len());
        let m = Matcher::new(r"(?i)platform\.openai\.com|Azure OpenAI");
        assert!(
            matches!(&m, Matcher::Words { lower: true, words } if words == &["platform.openai.com", "azure openai"])
        );
        assert!(matches!(Matcher::new(r"\bgpt-[\w.-]+"), Matcher::Re(..)));
    }

    /// The word automata vote as matching word by word did: every word, in any case
    /// where the row is `(?i)`, overlapping ones too, and case-sensitive rows only as
    /// written.
    #[test]
    fn word_votes_match_each_word() {
        let openai = index(Provider::Openai);
        let azure = index(Provider::Azure);
        let v = votes("Error from API.OPENAI.COM via Azure OpenAI (aka.ms/oai)");
        assert!(v[openai] >= 10 && v[azure] >= 10, "{v:?}");
        // `organization org-` is case-sensitive: not in capitals.
        assert_eq!(votes("ORGANIZATION ORG-abc")[openai], 0);
        assert_eq!(votes("in organization org-abc")[openai], 3);
        // Words inside one another each vote: `anthropic` and `anthropic-ratelimit`.
        let anthropic = index(Provider::Anthropic);
        assert_eq!(
            votes("anthropic-ratelimit-requests-remaining: 0")[anthropic],
            9 + 6
        );
    }

    #[test]
    fn winners() {
        assert_eq!(
            winner(&votes("see https://console.groq.com/docs")),
            Provider::Groq
        );
        assert_eq!(winner(&votes("nothing here")), Provider::Unknown);
    }
}
