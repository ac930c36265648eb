//! One API call as the emulator understands it: which family and endpoint, the model, how
//! many tokens it brings and asks for, and what it costs in each limit.

use crate::limiter::{Cost, Dim};
use serde_json::Value;

/// The API family a path belongs to; it decides auth, wording and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    OpenAi,
    Azure,
    Anthropic,
    Gemini,
}

/// What is being called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/chat/completions` and Azure's deployment chat completions.
    Chat,
    /// `/v1/responses`.
    Responses,
    /// `/v1/embeddings`.
    Embeddings,
    /// Anthropic `/v1/messages`.
    Messages,
    /// Gemini `:generateContent` / `:streamGenerateContent`.
    Generate,
}

/// A validated request.
#[derive(Debug, Clone)]
pub struct Call {
    pub family: Family,
    pub endpoint: Endpoint,
    pub model: String,
    pub stream: bool,
    /// Gemini `:streamGenerateContent` without `alt=sse`: a JSON array, not SSE.
    pub json_array_stream: bool,
    /// OpenAI `stream_options.include_usage`.
    pub include_usage: bool,
    /// Estimated input tokens (characters / 4, rounded up, at least 1).
    pub input_tokens: u64,
    /// `max_tokens` / `max_completion_tokens` / `max_output_tokens` / `maxOutputTokens`.
    pub max_tokens: Option<u64>,
    /// Azure `api-version`.
    pub api_version: String,
    /// Embeddings: how many inputs, how many dimensions, base64 or floats.
    pub embed_count: usize,
    pub embed_dims: usize,
    pub embed_base64: bool,
}

/// Why a body was refused with a 400, in neutral terms; each family words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not JSON, or not a JSON object.
    Json,
    /// A required field is missing or has the wrong type.
    Missing(&'static str),
}

impl Call {
    /// Reads and validates a JSON body. `model` is given for Azure (deployment) and Gemini
    /// (path); otherwise it comes from the body.
    pub fn parse(
        family: Family,
        endpoint: Endpoint,
        body: &[u8],
        model: Option<&str>,
    ) -> Result<Call, Invalid> {
        let v: Value = serde_json::from_slice(body).map_err(|_| Invalid::Json)?;
        if !v.is_object() {
            return Err(Invalid::Json);
        }
        let model = match model {
            Some(m) => m.to_string(),
            None => match v.get("model").and_then(Value::as_str) {
                Some(m) if !m.is_empty() => m.to_string(),
                _ => return Err(Invalid::Missing("model")),
            },
        };
        let required = match endpoint {
            Endpoint::Chat | Endpoint::Messages => "messages",
            Endpoint::Responses | Endpoint::Embeddings => "input",
            Endpoint::Generate => "contents",
        };
        let main = v.get(required).ok_or(Invalid::Missing(required))?;
        let ok_shape = match endpoint {
            Endpoint::Chat | Endpoint::Messages | Endpoint::Generate => main.is_array(),
            Endpoint::Responses | Endpoint::Embeddings => main.is_array() || main.is_string(),
        };
        if !ok_shape {
            return Err(Invalid::Missing(required));
        }
        let max_tokens = match endpoint {
            Endpoint::Chat => uint(&v, "max_completion_tokens").or_else(|| uint(&v, "max_tokens")),
            Endpoint::Responses => uint(&v, "max_output_tokens"),
            Endpoint::Messages => match uint(&v, "max_tokens") {
                Some(n) => Some(n),
                None => return Err(Invalid::Missing("max_tokens")),
            },
            Endpoint::Generate => v
                .get("generationConfig")
                .and_then(|g| uint(g, "maxOutputTokens")),
            Endpoint::Embeddings => None,
        };
        let mut chars = chars(main);
        for extra in ["system", "instructions", "systemInstruction"] {
            if let Some(x) = v.get(extra) {
                chars += self::chars(x);
            }
        }
        let input_tokens = (chars as u64).div_ceil(4).max(1);
        let stream = v.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let include_usage = v
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let embed_count = match main {
            Value::Array(items) if items.iter().all(|i| !i.is_number()) => items.len().max(1),
            _ => 1,
        };
        Ok(Call {
            family,
            endpoint,
            model,
            stream,
            json_array_stream: false,
            include_usage,
            input_tokens,
            max_tokens,
            api_version: String::new(),
            embed_count,
            embed_dims: uint(&v, "dimensions").map_or(1536, |d| d.clamp(1, 4096) as usize),
            embed_base64: v.get("encoding_format").and_then(Value::as_str) == Some("base64"),
        })
    }

    /// Output tokens this call will produce, given a drawn natural length.
    pub fn output_tokens(&self, natural: u64) -> u64 {
        if self.endpoint == Endpoint::Embeddings {
            return 0;
        }
        match self.max_tokens {
            Some(max) => natural.min(max.max(1)),
            None => natural,
        }
    }

    /// What the call costs. OpenAI documents the per-minute token charge as the larger of
    /// `max_tokens` and the character-based input estimate; Anthropic charges input to
    /// ITPM and `max_tokens` to OTPM; Gemini counts input tokens. Day limits apply to
    /// OpenAI and Gemini only, input/output limits to Anthropic only. Only OpenAI documents
    /// that a refused request still counts against the per-minute limit, so only its calls
    /// take a request when refused.
    pub fn cost(&self, output_tokens: u64) -> Cost {
        let billed = self.input_tokens + output_tokens;
        let openai_tokens = self.input_tokens.max(self.max_tokens.unwrap_or(0));
        let base = Cost::default().with(Dim::Rpm, 1).billed(billed);
        match self.family {
            Family::OpenAi => base
                .on_refusal(1)
                .with(Dim::Rpd, 1)
                .with(Dim::Tpm, openai_tokens)
                .with(Dim::Tpd, openai_tokens),
            Family::Azure => base.with(Dim::Tpm, openai_tokens),
            Family::Anthropic => base
                .with(Dim::InputTpm, self.input_tokens)
                .with(Dim::OutputTpm, self.max_tokens.unwrap_or(0)),
            Family::Gemini => base
                .with(Dim::Rpd, 1)
                .with(Dim::Tpm, self.input_tokens)
                .with(Dim::Tpd, self.input_tokens),
        }
    }
}

fn uint(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

fn chars(v: &Value) -> usize {
    crate::limiter::text_chars(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_input_from_characters() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":"abcdefghi"},{"role":"user","content":[{"type":"text","text":"abc"}]}],"max_tokens":2}"#;
        let c = Call::parse(Family::OpenAi, Endpoint::Chat, body, None).unwrap();
        assert_eq!(c.input_tokens, 3); // 12 chars / 4
        assert_eq!(c.max_tokens, Some(2));
        assert_eq!(c.cost(2).get(Dim::Tpm), 3);
        let c = Call::parse(
            Family::Gemini,
            Endpoint::Generate,
            br#"{"contents":[{"parts":[{"text":"hello"}]}],"generationConfig":{"maxOutputTokens":7}}"#,
            Some("gemini-2.5-flash"),
        )
        .unwrap();
        assert_eq!((c.input_tokens, c.max_tokens), (2, Some(7)));
    }

    #[test]
    fn openai_charges_max_tokens_when_larger() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100}"#;
        let c = Call::parse(Family::OpenAi, Endpoint::Chat, body, None).unwrap();
        let cost = c.cost(c.output_tokens(20));
        assert_eq!(cost.get(Dim::Tpm), 100);
        assert_eq!(cost.get(Dim::Rpm), 1);
        assert_eq!(cost.billed_tokens, 21);
    }

    #[test]
    fn rejects_bad_bodies() {
        let p = |b: &[u8]| Call::parse(Family::OpenAi, Endpoint::Chat, b, None).err();
        assert_eq!(p(b"{nope"), Some(Invalid::Json));
        assert_eq!(p(b"[1]"), Some(Invalid::Json));
        assert_eq!(p(br#"{"messages":[]}"#), Some(Invalid::Missing("model")));
        assert_eq!(p(br#"{"model":"m"}"#), Some(Invalid::Missing("messages")));
        let a = Call::parse(
            Family::Anthropic,
            Endpoint::Messages,
            br#"{"model":"m","messages":[]}"#,
            None,
        );
        assert_eq!(a.err(), Some(Invalid::Missing("max_tokens")));
    }
}
