//! Redaction of secrets in text (core layer): API keys and bearer tokens never leave
//! ratedoctor, even when the user pastes them.

use crate::pattern::{Gated, Needles};
use std::borrow::Cow;

/// Every key shape, bearer token, credential header value and key in a URL query. Its
/// needles are the literals one of them always holds (checked on every sample and
/// canary by `gates_never_hide_a_key`): text without any is not even scanned.
static KEY_PATTERNS: Gated = Gated::new(
    KEY_NEEDLES,
    concat!(
        r"(?:sk-ant-[A-Za-z0-9_\-]{8,}",
        r"|sk-(?:proj-|svcacct-|or-v1-)?[A-Za-z0-9_\-]{16,}",
        r"|AIza[0-9A-Za-z_\-]{30,}",
        r"|gsk_[A-Za-z0-9]{20,}",
        r"|xai-[A-Za-z0-9]{20,}",
        r"|fw_[A-Za-z0-9]{20,}",
        r"|pplx-[A-Za-z0-9]{20,}",
        r"|AKIA[0-9A-Z]{16}",
        r"|(?i:bearer)\s+[A-Za-z0-9._~+/\-]{12,}=*",
        r"|(?i:(?:x-api-key|api-key|x-goog-api-key|authorization)[\x22']?\s*[:=]\s*[\x22']?)[A-Za-z0-9._~+/\-]{12,}",
        r"|(?i:[?&](?:key|api_?key|access_token|token)=)[^&\s#\x22'<>()\[\]{},;\\]{8,}",
        r")"
    ),
);

/// The lower-case literals one of [`KEY_PATTERNS`] always holds: where a key, or what
/// introduces it, can begin.
pub(crate) const KEY_NEEDLES: &[&str] = &[
    "sk-",
    "aiza",
    "gsk_",
    "xai-",
    "fw_",
    "pplx-",
    "akia",
    "bearer",
    "api-key",
    "authorization",
    "key=",
    "token=",
];

/// This module's gated patterns.
pub(crate) fn gates() -> impl Iterator<Item = &'static Gated> {
    [&KEY_PATTERNS, &QUOTED, &ACCOUNT_IDS].into_iter()
}

/// The well-known beginnings of keys: a redacted key keeps its family and nothing of its
/// secret part (`sk-proj-[REDACTED]`, `AIza[REDACTED]`). Longest first.
const FAMILIES: &[&str] = &[
    "sk-svcacct-",
    "sk-or-v1-",
    "sk-proj-",
    "sk-ant-",
    "sk-",
    "AIza",
    "gsk_",
    "xai-",
    "fw_",
    "pplx-",
    "AKIA",
];

/// Replaces every API key, bearer token, key-bearing header value and key in a URL query
/// in `text` with a marker that keeps only the key's family: `sk-proj-[REDACTED]`,
/// `Bearer [REDACTED]`, `x-api-key: [REDACTED]`, `?key=[REDACTED]`. Not one character of
/// the secret part survives.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Some(keys) = KEY_PATTERNS.get_any_case(text) else {
        return Cow::Borrowed(text);
    };
    // Every match, including those that begin inside another (`&key=…x-api-key: SECRET`:
    // the query value runs into the header, whose secret lies past the first match's end);
    // overlapping matches are hidden as one, under the first one's marker.
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    let mut pos = 0;
    while let Some(m) = keys.find_at(text, pos) {
        match spans.last_mut() {
            Some(last) if m.start() < last.1 => last.1 = last.1.max(m.end()),
            _ => spans.push((m.start(), m.end(), marker(m.as_str()))),
        }
        pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        if pos > text.len() {
            break;
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, mark) in spans {
        out.push_str(&text[at..start]);
        out.push_str(&mark);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// What a matched key becomes: its family or header name, and nothing of the secret.
fn marker(m: &str) -> String {
    let lower = m.to_ascii_lowercase();
    if lower.starts_with("bearer") {
        "Bearer [REDACTED]".to_string()
    } else if m.starts_with(['?', '&']) {
        let head = m.split_once('=').map_or(m, |(name, _)| name);
        format!("{head}=[REDACTED]")
    } else if let Some(pos) = m.find([':', '=']) {
        let (head, _) = m.split_at(pos + 1);
        format!("{head} [REDACTED]")
    } else {
        let family = FAMILIES.iter().find(|f| m.starts_with(**f)).unwrap_or(&"");
        format!("{family}[REDACTED]")
    }
}

/// Does `text` hold anything [`redact`] would replace? One scan, no allocation: a
/// cheap test before redacting many short texts one by one.
pub fn has_secret(text: &str) -> bool {
    KEY_PATTERNS
        .get_any_case(text)
        .is_some_and(|keys| keys.is_match(text))
}

/// Header names whose whole value is a credential, whatever it looks like (an Azure key
/// is 32 bare characters): the value is never shown.
const KEY_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
];

/// Whether `name` is a header whose value is a credential.
pub fn is_key_header(name: &str) -> bool {
    KEY_HEADERS
        .iter()
        .any(|h| name.trim().eq_ignore_ascii_case(h))
}

/// Whether `text` may hold a key: a key shape, or a credential header's name. A quick
/// test before the slower [`redact_json`].
pub fn may_hold_key(text: &str) -> bool {
    static NAMES: Needles = Needles::new(KEY_HEADERS);
    has_secret(text) || NAMES.found_in(text)
}

/// Redacts every string in a JSON document; a `[name, value]` pair whose name is a
/// credential header ([`is_key_header`]) loses its whole value. For documents that come
/// from outside (a recording made elsewhere), whose fields may hold anything.
pub fn redact_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let Cow::Owned(clean) = redact(s) {
                *s = clean;
            }
        }
        Value::Array(items) => {
            if let [Value::String(name), Value::String(value)] = items.as_mut_slice()
                && is_key_header(name)
            {
                *value = "[REDACTED]".to_string();
                return;
            }
            items.iter_mut().for_each(redact_json);
        }
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if let Value::String(value) = x
                    && is_key_header(k)
                {
                    *value = "[REDACTED]".to_string();
                } else {
                    redact_json(x);
                }
            }
        }
        _ => {}
    }
}

static QUOTED: Gated = Gated::new(&["\"", "`"], r#""[^"]{25,}"|`[^`]{25,}`"#);

/// Shortens every quoted value longer than 24 characters to `"…"`: a parser's error
/// message quotes the input it choked on, and that input may be a key.
pub fn elide_quoted(text: &str) -> Cow<'_, str> {
    let Some(quoted) = QUOTED.get_any_case(text) else {
        return Cow::Borrowed(text);
    };
    quoted.replace_all(text, |caps: &regex::Captures<'_>| {
        let q = caps.get(0).map_or("\"", |m| &m.as_str()[..1]);
        format!("{q}…{q}")
    })
}

static ACCOUNT_IDS: Gated = Gated::new(
    &["-", "org_", "user_"],
    concat!(
        r"\b(?:org-[A-Za-z0-9]{12,}|org_[a-z0-9]{12,}|user_[A-Za-z0-9]{12,}",
        r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"
    ),
);

/// Shortens organization, team and user ids in text the way [`short_org`] does.
pub fn shorten_ids(text: &str) -> Cow<'_, str> {
    let Some(ids) = ACCOUNT_IDS.get_any_case(text) else {
        return Cow::Borrowed(text);
    };
    ids.replace_all(text, |caps: &regex::Captures<'_>| {
        short_org(caps.get(0).map_or("", |m| m.as_str()))
    })
}

/// Shortens an organization or account id to a form that identifies it to its owner
/// without publishing it: `org-71S7UOygwwfrJ7ox1qe2ZhCq` → `org-71S…hCq`.
pub fn short_org(org: &str) -> String {
    let org = org.trim_matches(|c| c == '`' || c == '\'' || c == '"');
    let chars: Vec<char> = org.chars().collect();
    if chars.len() <= 10 || org.contains("***") || org.contains("XXX") {
        return org.to_string();
    }
    let (prefix_len, body_start) = match org.find(['-', '_']) {
        Some(p) if p <= 5 => (p + 1, p + 1),
        _ => (0, 0),
    };
    let prefix: String = chars[..prefix_len].iter().collect();
    let body = &chars[body_start..];
    if body.len() <= 6 {
        return org.to_string();
    }
    let head: String = body[..3].iter().collect();
    let tail: String = body[body.len() - 3..].iter().collect();
    format!("{prefix}{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_compiles() {
        assert!(KEY_PATTERNS.get_any_case("sk-").is_some());
    }

    #[test]
    fn keys_are_redacted() {
        let cases = [
            "key sk-proj-abcdefghijklmnopqrstuvwxyz0123 here",
            "sk-ant-api03-AAAABBBBCCCCDDDD-xyz",
            "AIzaSyA1234567890abcdefghijklmnopqrstu",
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def",
            "x-api-key: 0123456789abcdef0123",
            "gsk_ABCDEFGHIJKLMNOPQRSTUVWX",
            "{'api-key': 'abcdef0123456789abcd'}",
        ];
        for c in cases {
            assert!(has_secret(c), "{c}");
            let out = redact(c);
            assert!(out.contains("[REDACTED]"), "{c} -> {out}");
            assert!(!out.contains("abcdefghijklmnop"), "{c} -> {out}");
            assert!(!out.contains("0123456789abcdef0123"), "{c} -> {out}");
            assert!(!out.contains("BBBBCCCC"), "{c} -> {out}");
        }
    }

    #[test]
    fn nothing_of_the_secret_part_survives() {
        let cases = [
            ("sk-ABCDEFGHIJKLMNOPQRSTUVWX", "sk-[REDACTED]"),
            ("sk-proj-ABCDEFGHIJKLMNOPQRST", "sk-proj-[REDACTED]"),
            ("sk-ant-api03-ABCDEFGHIJKL", "sk-ant-[REDACTED]"),
            ("AIzaSyABCDEFGHIJKLMNOPQRSTUVWXYZ01234", "AIza[REDACTED]"),
            ("gsk_ABCDEFGHIJKLMNOPQRSTUV", "gsk_[REDACTED]"),
            ("xai-ABCDEFGHIJKLMNOPQRSTUV", "xai-[REDACTED]"),
        ];
        for (key, want) in cases {
            assert_eq!(redact(key), want);
        }
    }

    #[test]
    fn keys_in_url_queries_are_redacted() {
        assert_eq!(
            redact("GET /v1beta/models/m:generateContent?key=q1w2e3r4t5y6&alt=sse"),
            "GET /v1beta/models/m:generateContent?key=[REDACTED]&alt=sse"
        );
        assert_eq!(
            redact("https://x.example/v1?alt=json&API_KEY=abcdefgh12345678"),
            "https://x.example/v1?alt=json&API_KEY=[REDACTED]"
        );
        assert_eq!(redact("see ?key=short"), "see ?key=short");
        assert_eq!(
            redact(r#"{"url":"(https://h/v1?key=abcdefgh12345678)"}"#),
            r#"{"url":"(https://h/v1?key=[REDACTED])"}"#
        );
    }

    #[test]
    fn a_key_inside_another_match_is_hidden_too() {
        // Found by fuzz/redact_cuts: a URL query value ran on into a header, and the
        // header's secret, past the end of the first match, was left as it was.
        let t = "see ?x=1&key=^^^^58^^^x-api-key: Zx7Wv3Ut9Sr1Qp5On2Ml8Kj4Ih6Gf0Ed -> HTTP";
        let out = redact(t);
        assert!(!out.contains("Zx7Wv3Ut"), "{out}");
        assert_eq!(out, "see ?x=1&key=[REDACTED] -> HTTP");
    }

    #[test]
    fn redaction_is_idempotent() {
        let t = "Bearer abcdefghijklmnop x-api-key: sk-ant-api03-ABCDEFGHIJKL ?key=AIzaSyABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
        let once = redact(t).into_owned();
        assert_eq!(redact(&once), once);
    }

    #[test]
    fn json_from_outside_is_redacted_field_by_field() {
        let mut v = serde_json::json!({
            "path": "/v1/x?key=abcdefgh12345678",
            "headers": [["X-Api-Key", "0123456789abcdef0123456789abcdef"], ["x-ratelimit-limit-requests", "60"]],
            "api-key": "bare0123456789",
            "message": "Incorrect API key provided: sk-proj-ABCDEFGHIJKLMNOPQRST",
            "n": 3
        });
        assert!(may_hold_key(&v.to_string()));
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "path": "/v1/x?key=[REDACTED]",
                "headers": [["X-Api-Key", "[REDACTED]"], ["x-ratelimit-limit-requests", "60"]],
                "api-key": "[REDACTED]",
                "message": "Incorrect API key provided: sk-proj-[REDACTED]",
                "n": 3
            })
        );
        assert!(!may_hold_key(
            r#"{"path":"/v1/chat/completions","status":429}"#
        ));
    }

    #[test]
    fn long_quoted_values_are_elided() {
        assert_eq!(
            elide_quoted(
                r#"invalid type: string "J3cbZyF1V2esLAKaeZIi0bxyF33eKYIM", expected f64"#
            ),
            r#"invalid type: string "…", expected f64"#
        );
        assert_eq!(
            elide_quoted("unknown variant `J3cbZyF1V2esLAKaeZIi0bxyF33eKYIM`, expected `failed`"),
            "unknown variant `…`, expected `failed`"
        );
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let t = "Rate limit reached for gpt-4o in organization org-abc123 on requests per min";
        assert_eq!(redact(t), t);
        assert!(!has_secret(t));
    }

    #[test]
    fn ids_in_text_are_shortened() {
        let t = "in organization org-71S7UOygwwfrJ7ox1qe2ZhCq (org: 5456025a-920d-4fae-83df-eb142ce029c1)";
        assert_eq!(shorten_ids(t), "in organization org-71S…hCq (org: 545…9c1)");
    }

    #[test]
    fn org_is_shortened() {
        assert_eq!(short_org("org-71S7UOygwwfrJ7ox1qe2ZhCq"), "org-71S…hCq");
        assert_eq!(short_org("org-abc123"), "org-abc123");
        assert_eq!(short_org("org-**********"), "org-**********");
        assert_eq!(short_org("0dccdde6-f924-4f1b-bb3b-92ef846e0a5b"), "0dc…a5b");
    }
}
