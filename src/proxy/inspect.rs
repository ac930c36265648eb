//! What the proxy reads from bodies without holding them (sources layer): the model, an
//! input-token estimate and the output cap of a request; the usage of a response, from a
//! JSON body or from SSE lines as they stream past.

use super::fields::UsageFields;
use crate::event::Usage;
use std::hash::{Hash, Hasher};

/// What a request body says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestInfo {
    pub model: Option<String>,
    pub est_input_tokens: Option<u64>,
    pub max_tokens: Option<u64>,
    pub stream: bool,
}

/// Reads a request: `path` for Azure deployments, Gemini models and streaming, the JSON
/// body (when it was read whole) for the rest.
pub fn request_info(path: &str, body: Option<&[u8]>) -> RequestInfo {
    let mut info = RequestInfo::default();
    let path_only = path.split('?').next().unwrap_or(path);
    if let Some(rest) = path_only.strip_prefix("/openai/deployments/") {
        info.model = rest.split('/').next().map(str::to_string);
    }
    if let Some(i) = path_only.find("/models/")
        && let Some((m, action)) = path_only[i + 8..].split_once(':')
    {
        info.model = Some(m.to_string());
        info.stream = action.starts_with("streamGenerateContent");
    }
    let Some(f) = body.and_then(super::fields::request_fields) else {
        return info;
    };
    if info.model.is_none() {
        info.model = f.model;
    }
    info.stream |= f.stream;
    info.est_input_tokens = Some((f.text_chars as u64).div_ceil(4).max(1));
    info.max_tokens = f.max_tokens;
    info
}

/// A stable hash of a request (method, path, body): attempts of one logical request share
/// it.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    method.hash(&mut h);
    path.hash(&mut h);
    body.hash(&mut h);
    h.finish()
}

/// The SDK's own attempt counter, when the request carries one.
pub fn sdk_retry_count<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<u32> {
    headers.into_iter().find_map(|(k, v)| {
        [
            "x-stainless-retry-count",
            "x-retry-count",
            "x-retry-attempt",
            "x-attempt",
        ]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(k))
        .then(|| v.trim().parse::<u32>().ok())
        .flatten()
    })
}

/// The longest SSE line kept while looking for usage; longer lines are skipped.
const MAX_LINE: usize = 1 << 20;
/// The most of a JSON body kept to read its usage or diagnose it.
pub const MAX_JSON: usize = 1 << 20;

/// Reads usage from a response body chunk by chunk. SSE: each complete `data:` line that
/// mentions usage is parsed (OpenAI's final chunk, Anthropic's `message_start` and
/// `message_delta`, Gemini's `usageMetadata`, the Responses API's `response.completed`).
/// Anything else: the first [`MAX_JSON`] bytes, parsed at the end.
#[derive(Debug, Default)]
pub struct UsageTap {
    sse: bool,
    line: Vec<u8>,
    skipping: bool,
    body: Vec<u8>,
    overflow: bool,
    input: Option<u64>,
    output: Option<u64>,
}

impl UsageTap {
    pub fn new(sse: bool) -> Self {
        UsageTap {
            sse,
            ..UsageTap::default()
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.sse {
            if self.body.len() + chunk.len() <= MAX_JSON {
                self.body.extend_from_slice(chunk);
            } else {
                self.overflow = true;
            }
            return;
        }
        let mut rest = chunk;
        while let Some(pos) = memchr::memchr(b'\n', rest) {
            if !self.skipping && self.line.len() + pos <= MAX_LINE {
                self.line.extend_from_slice(&rest[..pos]);
                let line = std::mem::take(&mut self.line);
                self.sse_line(&line);
            }
            self.line.clear();
            self.skipping = false;
            rest = &rest[pos + 1..];
        }
        if !self.skipping {
            if self.line.len() + rest.len() > MAX_LINE {
                self.skipping = true;
                self.line.clear();
            } else {
                self.line.extend_from_slice(rest);
            }
        }
    }

    fn sse_line(&mut self, line: &[u8]) {
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        if memchr::memmem::find(data, b"sage").is_none() {
            return;
        }
        if let Some(u) = super::fields::usage_of(data) {
            self.merge(u);
        }
    }

    fn merge(&mut self, u: UsageFields) {
        if u.input.is_some() {
            self.input = u.input;
        }
        if u.output.is_some() {
            self.output = u.output;
        }
    }

    /// Whether more of the body could still tell anything (a JSON body is read no further
    /// than [`MAX_JSON`]).
    pub fn wants_more(&self) -> bool {
        self.sse || !self.overflow
    }

    /// The usage seen, once the body has ended.
    pub fn finish(&mut self) -> Option<Usage> {
        if !self.sse && !self.overflow && !self.body.is_empty() {
            // An object, or (Gemini's streaming endpoint without alt=sse) an array of
            // chunks.
            if let Some(u) = super::fields::body_usage(&self.body) {
                self.merge(u);
            }
        }
        if self.sse && !self.line.is_empty() && !self.skipping {
            let line = std::mem::take(&mut self.line);
            self.sse_line(&line);
        }
        if self.input.is_none() && self.output.is_none() {
            return None;
        }
        Some(Usage {
            input_tokens: self.input.unwrap_or(0),
            output_tokens: self.output.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_fields_per_family() {
        let b = br#"{"messages":[{"role":"user","content":"hello world!"}],"model":"gpt-4o-mini","max_tokens":20,"stream":true}"#;
        let i = request_info("/v1/chat/completions", Some(b));
        assert_eq!(i.model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(i.max_tokens, Some(20));
        assert_eq!(i.est_input_tokens, Some(3));
        assert!(i.stream);
        let g = request_info(
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            Some(br#"{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":7}}"#),
        );
        assert_eq!(g.model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(g.max_tokens, Some(7));
        assert!(g.stream);
        let a = request_info(
            "/openai/deployments/prod/chat/completions?api-version=1",
            None,
        );
        assert_eq!(a.model.as_deref(), Some("prod"));
    }

    #[test]
    fn retry_headers() {
        assert_eq!(
            sdk_retry_count([("X-Stainless-Retry-Count", "2"), ("a", "b")]),
            Some(2)
        );
        assert_eq!(sdk_retry_count([("a", "b")]), None);
    }

    #[test]
    fn usage_from_split_sse_and_json() {
        let mut t = UsageTap::new(true);
        let s = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":5}}\n\n";
        for c in s.chunks(7) {
            t.feed(c);
        }
        assert_eq!(
            t.finish(),
            Some(Usage {
                input_tokens: 9,
                output_tokens: 5
            })
        );
        let mut o = UsageTap::new(true);
        o.feed(b"data: {\"choices\":[],\"usage\":null}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n");
        assert_eq!(o.finish().map(|u| u.output_tokens), Some(3));
        let mut j = UsageTap::new(false);
        j.feed(br#"[{"usageMetadata":{"promptTokenCount":4}},{"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":6}}]"#);
        assert_eq!(
            j.finish(),
            Some(Usage {
                input_tokens: 4,
                output_tokens: 6
            })
        );
    }
}
