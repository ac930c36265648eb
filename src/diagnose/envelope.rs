//! Error envelopes: the JSON (or Python repr) bodies providers send, found anywhere in a
//! block and read into one flat [`Envelope`] whatever the provider's shape.

use super::value::{MAX_NESTING, scan_objects, str_field, unescape_once};
use crate::duration;
use serde_json::Value;

/// The body shape, a strong hint of who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"error":{"message","type","param","code"}}` (OpenAI and compatibles).
    OpenAi,
    /// `{"error":{"code":"429","message"}}`.
    Azure,
    /// `{"type":"error","error":{"type","message"}}`.
    Anthropic,
    /// `{"error":{"code":429,"message","status":"RESOURCE_EXHAUSTED","details":[…]}}`.
    Google,
    /// `{"error":{"code":429,"message","metadata":{…}},"user_id"}`.
    OpenRouter,
    /// `{"object":"error","message","type","code"}`.
    Mistral,
    /// `{"code":"…","error":"…"}`.
    Xai,
    /// `{"name":"ThrottlingException","$metadata":{…}}` or `{"__type":…}`.
    Bedrock,
    /// Anything else with a message.
    Generic,
}

/// A Gemini/Vertex quota violation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Violation {
    pub quota_id: String,
    pub metric: String,
    pub value: Option<f64>,
    pub model: Option<String>,
}

/// One error body, flattened.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub shape: Shape,
    pub message: String,
    /// More text that belongs to this error (OpenRouter `metadata.raw`, legacy `errors[]`).
    pub extra: Vec<String>,
    pub etype: Option<String>,
    pub code: Option<String>,
    pub status: Option<u16>,
    /// Google's `status` word (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`).
    pub status_text: Option<String>,
    /// Anthropic `details.error_code`, OpenRouter `metadata.limit_source`, Google reasons.
    pub detail_codes: Vec<String>,
    pub violations: Vec<Violation>,
    pub retry_delay: Option<f64>,
    /// Headers copied into the body (OpenRouter `metadata.headers`).
    pub headers: Vec<(String, String)>,
    /// OpenRouter `metadata.provider_name`.
    pub upstream: Option<String>,
    pub has_user_id: bool,
}

impl Envelope {
    fn new(shape: Shape, message: String) -> Self {
        Envelope {
            shape,
            message,
            extra: Vec::new(),
            etype: None,
            code: None,
            status: None,
            status_text: None,
            detail_codes: Vec::new(),
            violations: Vec::new(),
            retry_delay: None,
            headers: Vec::new(),
            upstream: None,
            has_user_id: false,
        }
    }

    /// All text of this error, for pattern matching.
    pub fn text(&self) -> String {
        let mut t = self.message.clone();
        for e in &self.extra {
            t.push('\n');
            t.push_str(e);
        }
        t
    }

    /// Fills what the inner error lacks from the wrapper around it.
    fn merge_outer(&mut self, outer: &Envelope) {
        if self.status.is_none() {
            self.status = outer.status;
        }
        if self.upstream.is_none() {
            self.upstream.clone_from(&outer.upstream);
        }
        if self.headers.is_empty() {
            self.headers.clone_from(&outer.headers);
        }
        self.has_user_id |= outer.has_user_id;
        if outer.shape == Shape::OpenRouter && self.shape == Shape::Generic {
            self.shape = Shape::OpenRouter;
        }
    }
}

fn status_of(v: &Value) -> Option<u16> {
    let n = match v {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) if s.len() == 3 => s.parse().ok()?,
        _ => return None,
    };
    (100..600).contains(&n).then_some(n as u16)
}

fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', "").parse().ok(),
        _ => None,
    }
}

fn read_details(details: &Value, env: &mut Envelope) {
    match details {
        Value::Array(items) => {
            for d in items {
                let t = str_field(d, "@type").unwrap_or_default();
                if t.ends_with("QuotaFailure") {
                    if let Some(Value::Array(vs)) = d.get("violations") {
                        for v in vs {
                            env.violations.push(Violation {
                                quota_id: str_field(v, "quotaId").unwrap_or_default().into_owned(),
                                metric: str_field(v, "quotaMetric")
                                    .unwrap_or_default()
                                    .into_owned(),
                                value: v.get("quotaValue").and_then(number_of),
                                model: v
                                    .get("quotaDimensions")
                                    .and_then(|q| str_field(q, "model"))
                                    .map(|m| m.into_owned()),
                            });
                        }
                    }
                } else if t.ends_with("RetryInfo") {
                    env.retry_delay = str_field(d, "retryDelay")
                        .and_then(|s| duration::parse_go(&s))
                        .or(env.retry_delay);
                } else if t.ends_with("ErrorInfo") {
                    if let Some(r) = str_field(d, "reason") {
                        env.detail_codes.push(r.into_owned());
                    }
                    if let Some(m) = d.get("metadata") {
                        let limit = str_field(m, "quota_limit").unwrap_or_default();
                        let metric = str_field(m, "quota_metric").unwrap_or_default();
                        if !limit.is_empty() || !metric.is_empty() {
                            env.violations.push(Violation {
                                quota_id: limit.into_owned(),
                                metric: metric.into_owned(),
                                value: m.get("quota_limit_value").and_then(number_of),
                                model: None,
                            });
                        }
                    }
                }
            }
        }
        Value::Object(_) => {
            if let Some(c) = str_field(details, "error_code") {
                env.detail_codes.push(c.into_owned());
            }
        }
        _ => {}
    }
}

fn read_metadata(meta: &Value, env: &mut Envelope) {
    if let Some(Value::Object(h)) = meta.get("headers") {
        for (k, v) in h {
            if let Some(v) = string_of(v) {
                env.headers.push((k.clone(), v));
            }
        }
    }
    if let Some(p) = str_field(meta, "provider_name") {
        env.upstream = Some(p.into_owned());
    }
    if let Some(s) = str_field(meta, "limit_source") {
        env.detail_codes.push(s.into_owned());
    }
    match meta.get("raw") {
        Some(Value::String(s)) => env.extra.push(s.clone()),
        Some(v @ Value::Object(_)) => env.extra.push(v.to_string()),
        _ => {}
    }
}

/// Reads `v` as an error envelope if it is one.
fn envelope_of(v: &Value) -> Option<Envelope> {
    let obj = v.as_object()?;
    match obj.get("error") {
        Some(e @ Value::Object(inner)) => {
            let message = inner.get("message").and_then(string_of).unwrap_or_default();
            let top_type = str_field(v, "type");
            let shape = if top_type.as_deref() == Some("error") {
                Shape::Anthropic
            } else if inner.get("status").is_some_and(Value::is_string)
                && inner.get("code").is_some_and(Value::is_number)
            {
                Shape::Google
            } else if inner.contains_key("metadata") || obj.contains_key("user_id") {
                Shape::OpenRouter
            } else if inner.get("code").and_then(Value::as_str) == Some("429")
                || (inner
                    .get("code")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.len() == 3)
                    && !inner.contains_key("type"))
            {
                Shape::Azure
            } else {
                Shape::OpenAi
            };
            let mut env = Envelope::new(shape, message);
            env.etype = inner
                .get("type")
                .and_then(string_of)
                .filter(|s| !s.is_empty());
            env.code = inner
                .get("code")
                .and_then(string_of)
                .filter(|s| !s.is_empty());
            env.status = inner.get("code").and_then(status_of);
            env.status_text = str_field(e, "status").map(|s| s.into_owned());
            if let Some(d) = inner.get("details") {
                read_details(d, &mut env);
            }
            if let Some(m) = inner.get("metadata") {
                read_metadata(m, &mut env);
            }
            if let Some(Value::Array(errs)) = inner.get("errors") {
                for x in errs {
                    if let Some(r) = str_field(x, "reason") {
                        env.detail_codes.push(r.into_owned());
                    }
                }
            }
            env.has_user_id = obj.contains_key("user_id");
            Some(env)
        }
        Some(Value::String(s)) => {
            let shape = if obj.get("code").is_some_and(Value::is_string) {
                Shape::Xai
            } else {
                Shape::Generic
            };
            let mut env = Envelope::new(shape, s.clone());
            env.code = obj.get("code").and_then(string_of);
            env.status = obj
                .get("status")
                .or_else(|| obj.get("status_code"))
                .and_then(status_of);
            Some(env)
        }
        _ => {
            if let Some(name) = str_field(v, "name").filter(|n| n.ends_with("Exception")) {
                let mut env = Envelope::new(
                    Shape::Bedrock,
                    obj.get("message").and_then(string_of).unwrap_or_default(),
                );
                env.etype = Some(name.into_owned());
                env.status = obj
                    .get("$metadata")
                    .and_then(|m| m.get("httpStatusCode"))
                    .and_then(status_of);
                return Some(env);
            }
            if let Some(t) = str_field(v, "__type") {
                let mut env = Envelope::new(
                    Shape::Bedrock,
                    obj.get("message").and_then(string_of).unwrap_or_default(),
                );
                env.etype = Some(t.rsplit('#').next().unwrap_or_default().to_string());
                return Some(env);
            }
            let message = obj
                .get("message")
                .or_else(|| obj.get("Message"))
                .and_then(Value::as_str)?;
            let shape = if str_field(v, "object").as_deref() == Some("error") {
                Shape::Mistral
            } else {
                Shape::Generic
            };
            if shape == Shape::Generic && obj.len() > 8 {
                return None;
            }
            let mut env = Envelope::new(shape, message.to_string());
            env.etype = obj
                .get("type")
                .and_then(string_of)
                .filter(|s| !s.is_empty());
            env.code = obj
                .get("code")
                .and_then(string_of)
                .filter(|s| !s.is_empty());
            env.status = obj
                .get("raw_status_code")
                .or_else(|| obj.get("status"))
                .or_else(|| obj.get("status_code"))
                .and_then(status_of);
            Some(env)
        }
    }
}

fn walk(v: &Value, nesting: usize, out: &mut Vec<Envelope>) {
    if let Some(env) = envelope_of(v) {
        let mut inner = Vec::new();
        if nesting < MAX_NESTING {
            for text in std::iter::once(&env.message).chain(env.extra.iter()) {
                from_text_into(text, nesting + 1, &mut inner);
            }
        }
        if inner.is_empty() {
            out.push(env);
        } else {
            for mut e in inner {
                e.merge_outer(&env);
                out.push(e);
            }
        }
        return;
    }
    match v {
        Value::Object(map) => {
            for child in map.values() {
                walk(child, nesting, out);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(child, nesting, out);
            }
        }
        Value::String(s) if nesting < MAX_NESTING => from_text_into(s, nesting + 1, out),
        _ => {}
    }
}

fn from_text_into(text: &str, nesting: usize, out: &mut Vec<Envelope>) {
    if !text.contains('{') {
        return;
    }
    let before = out.len();
    for found in scan_objects(text) {
        walk(&found.value, nesting, out);
    }
    if out.len() == before && text.contains("\\\"") && nesting < MAX_NESTING {
        let un = unescape_once(text);
        from_text_into(&un, nesting + 1, out);
    }
}

/// Every error envelope in `text`: bodies in JSON or Python repr, nested ones unpacked.
pub fn envelopes(text: &str) -> Vec<Envelope> {
    let mut out = Vec::new();
    from_text_into(text, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_double_encoded() {
        let t = r#"got status: 429 Too Many Requests. {"error":{"message":"{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"You exceeded your current quota\",\n    \"status\": \"RESOURCE_EXHAUSTED\",\n    \"details\": [{\"@type\": \"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \"26s\"}]\n  }\n}\n","code":429,"status":"Too Many Requests"}}"#;
        let envs = envelopes(t);
        assert_eq!(envs.len(), 1, "{envs:?}");
        assert_eq!(envs[0].status_text.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(envs[0].retry_delay, Some(26.0));
        assert_eq!(envs[0].status, Some(429));
    }

    #[test]
    fn escaped_in_log_line() {
        let t = r#"{"level":"error","msg":"upstream","body":"{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"}"#;
        let envs = envelopes(t);
        assert_eq!(envs.len(), 1);
        assert_eq!(envs[0].code.as_deref(), Some("rate_limit_exceeded"));
        assert_eq!(envs[0].shape, Shape::OpenAi);
    }

    #[test]
    fn shapes() {
        let cases = [
            (
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                Shape::Anthropic,
            ),
            (
                r#"{"error":{"code":"429","message":"Rate limit is exceeded."}}"#,
                Shape::Azure,
            ),
            (
                r#"{"code":"permission-denied","error":"Your team has used all credits"}"#,
                Shape::Xai,
            ),
            (
                r#"{"object":"error","message":"Rate limit exceeded","type":"rate_limited","code":"1300"}"#,
                Shape::Mistral,
            ),
            (
                r#"{"name":"ThrottlingException","$fault":"client","$metadata":{"httpStatusCode":429}}"#,
                Shape::Bedrock,
            ),
            (
                r#"{"message":"Too many requests, please wait before trying again."}"#,
                Shape::Generic,
            ),
        ];
        for (t, shape) in cases {
            let e = envelopes(t);
            assert_eq!(e.len(), 1, "{t}");
            assert_eq!(e[0].shape, shape, "{t}");
        }
    }

    #[test]
    fn openrouter_metadata() {
        let t = r#"{'error': {'message': 'Rate limit exceeded: free-models-per-day', 'code': 429, 'metadata': {'headers': {'X-RateLimit-Limit': '50', 'X-RateLimit-Reset': '1784505600000'}, 'provider_name': None}}, 'user_id': 'user_x'}"#;
        let e = &envelopes(t)[0];
        assert_eq!(e.shape, Shape::OpenRouter);
        assert_eq!(e.status, Some(429));
        assert_eq!(e.headers.len(), 2);
    }

    #[test]
    fn gemini_violations() {
        let t = r#"[{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"model":"gemini-2.5-flash"},"quotaValue":"10"}]}]}}]"#;
        let e = &envelopes(t)[0];
        assert_eq!(e.violations[0].value, Some(10.0));
        assert_eq!(e.violations[0].model.as_deref(), Some("gemini-2.5-flash"));
    }
}
