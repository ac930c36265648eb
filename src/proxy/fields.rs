//! The few JSON fields the proxy reads from bodies, read without building a
//! `serde_json::Value` (sources layer): every other field is skipped as it is parsed, so a
//! request or response costs a handful of allocations instead of one per JSON node.
//!
//! Each reader gives exactly what the `Value`-based reading gives (`Value::get`,
//! `as_u64`, `as_str`, `as_bool`; a repeated key keeps its last value; anything that is
//! not an object has no fields); the tests compare the two on many shapes.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A value reduced to what the proxy asks of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// A non-negative integer (`Value::as_u64`).
    U64(u64),
    /// `true` (`Value::as_bool() == Some(true)`).
    True,
    /// A string (`Value::as_str`).
    Str(Cow<'a, str>),
    /// Anything else, skipped.
    Other,
}

impl Scalar<'_> {
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Scalar::U64(n) => Some(*n),
            _ => None,
        }
    }
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(if v { Scalar::True } else { Scalar::Other })
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::U64(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(Scalar::Other, Scalar::U64))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|()| Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|()| Scalar::Other)
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A map key: its index in a list of wanted names, or `None` (no allocation either way).
struct KeyIn(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIn {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|k| *k == v))
    }
}

/// Implements `Deserialize` for a type read from any JSON value: strings, arrays and
/// objects by the given bodies, every other shape as the default value.
macro_rules! any_json {
    ($ty:ident, $lt:lifetime,
     str: |$s:pat_param| $str_body:expr,
     seq: |$seq:ident| $seq_body:block,
     map: |$map:ident| $map_body:block) => {
        impl<$lt> de::Deserialize<$lt> for $ty {
            fn deserialize<D: Deserializer<$lt>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<$lt> Visitor<$lt> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_bool<E>(self, _: bool) -> Result<$ty, E> {
                        Ok($ty::default())
                    }
                    fn visit_u64<E>(self, _: u64) -> Result<$ty, E> {
                        Ok($ty::default())
                    }
                    fn visit_i64<E>(self, _: i64) -> Result<$ty, E> {
                        Ok($ty::default())
                    }
                    fn visit_f64<E>(self, _: f64) -> Result<$ty, E> {
                        Ok($ty::default())
                    }
                    fn visit_str<E>(self, $s: &str) -> Result<$ty, E> {
                        Ok($str_body)
                    }
                    fn visit_unit<E>(self) -> Result<$ty, E> {
                        Ok($ty::default())
                    }
                    fn visit_none<E>(self) -> Result<$ty, E> {
                        Ok($ty::default())
                    }
                    #[allow(unused_mut)]
                    fn visit_seq<A: SeqAccess<$lt>>(self, mut $seq: A) -> Result<$ty, A::Error> {
                        $seq_body
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: MapAccess<$lt>>(self, mut $map: A) -> Result<$ty, A::Error> {
                        $map_body
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

/// [`any_json!`] for a type read from an object: any other shape gives the default value.
macro_rules! map_or_default {
    ($ty:ident, $lt:lifetime, |$map:ident| $body:block) => {
        any_json!($ty, $lt,
            str: |_| $ty::default(),
            seq: |seq| { skip_seq(seq).map(|()| $ty::default()) },
            map: |$map| $body);
    };
}

/// The characters of text in a value, as `limiter::text_chars` counts them: strings,
/// arrays summed, and in objects the `text`, `content` and `parts` fields.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct TextChars(pub usize);

any_json!(TextChars, 'de,
str: |v| TextChars(v.chars().count()),
seq: |seq| {
    let mut n = 0;
    while let Some(TextChars(c)) = seq.next_element()? {
        n += c;
    }
    Ok(TextChars(n))
},
map: |map| {
    let mut slots = [0usize; 3];
    while let Some(k) = map.next_key_seed(KeyIn(&["text", "content", "parts"]))? {
        match k {
            Some(i) => slots[i] = map.next_value::<TextChars>()?.0,
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(TextChars(slots.iter().sum()))
});

/// `generationConfig.maxOutputTokens` (Gemini).
#[derive(Debug, Default)]
struct GenerationConfig(Option<u64>);

map_or_default!(GenerationConfig, 'de, |map| {
    let mut max = None;
    while let Some(k) = map.next_key_seed(KeyIn(&["maxOutputTokens"]))? {
        match k {
            Some(_) => max = map.next_value::<Scalar<'de>>()?.as_u64(),
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(GenerationConfig(max))
});

/// What a request body says about itself.
#[derive(Debug, Default)]
pub(crate) struct RequestFields {
    pub model: Option<String>,
    pub stream: bool,
    /// Characters of text per [`TEXT_FIELDS`] entry (absent: 0).
    pub text_chars: usize,
    /// `max_tokens`, else `max_completion_tokens`, else `max_output_tokens`, else
    /// `generationConfig.maxOutputTokens`: the first that is a non-negative integer.
    pub max_tokens: Option<u64>,
}

#[derive(Debug, Default)]
struct RequestSlots {
    model: Option<String>,
    stream: bool,
    text: [usize; 7],
    max: [Option<u64>; 3],
    generation: Option<u64>,
}

/// The request fields read: the last seven are the text counted as input.
const REQUEST_KEYS: [&str; 13] = [
    "model",
    "stream",
    "generationConfig",
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "messages",
    "system",
    "input",
    "prompt",
    "contents",
    "instructions",
    "systemInstruction",
];

map_or_default!(RequestSlots, 'de, |map| {
    let mut s = RequestSlots::default();
    while let Some(k) = map.next_key_seed(KeyIn(&REQUEST_KEYS))? {
        match k {
            Some(0) => {
                s.model = match map.next_value::<Scalar<'de>>()? {
                    Scalar::Str(m) => Some(m.into_owned()),
                    _ => None,
                }
            }
            Some(1) => s.stream = map.next_value::<Scalar<'de>>()? == Scalar::True,
            Some(2) => s.generation = map.next_value::<GenerationConfig>()?.0,
            Some(i @ 3..=5) => s.max[i - 3] = map.next_value::<Scalar<'de>>()?.as_u64(),
            Some(i) => s.text[i - 6] = map.next_value::<TextChars>()?.0,
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(s)
});

/// Reads a request body; `None` when it is not JSON.
pub(crate) fn request_fields(body: &[u8]) -> Option<RequestFields> {
    let s: RequestSlots = serde_json::from_slice(body).ok()?;
    Some(RequestFields {
        model: s.model,
        stream: s.stream,
        text_chars: s.text.iter().sum(),
        max_tokens: s.max.iter().find_map(|m| *m).or(s.generation),
    })
}

/// A `usage`-like value: an object's token fields (the last of a repeated key), or
/// something that is not an object.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum UsageValue {
    Object([Option<u64>; 6]),
    #[default]
    NotObject,
}

const USAGE_KEYS: [&str; 6] = [
    "prompt_tokens",
    "input_tokens",
    "promptTokenCount",
    "completion_tokens",
    "output_tokens",
    "candidatesTokenCount",
];

map_or_default!(UsageValue, 'de, |map| {
    let mut slots = [None; 6];
    while let Some(k) = map.next_key_seed(KeyIn(&USAGE_KEYS))? {
        match k {
            Some(i) => slots[i] = map.next_value::<Scalar<'de>>()?.as_u64(),
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(UsageValue::Object(slots))
});

/// `X.usage` of an object X (`None` when X is not an object or has no `usage`).
#[derive(Debug, Default)]
struct HasUsage(Option<UsageValue>);

map_or_default!(HasUsage, 'de, |map| {
    let mut u = None;
    while let Some(k) = map.next_key_seed(KeyIn(&["usage"]))? {
        match k {
            Some(_) => u = Some(map.next_value::<UsageValue>()?),
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(HasUsage(u))
});

/// Input and output tokens one JSON value reports.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct UsageFields {
    pub input: Option<u64>,
    pub output: Option<u64>,
}

/// The usage of one object: `usage` (when it is an object), else `usageMetadata`, else
/// `message.usage`, else `response.usage`, if what is found is an object.
#[derive(Debug, Default)]
struct UsageOf(UsageFields);

map_or_default!(UsageOf, 'de, |map| {
    let mut usage = None;
    let mut metadata = None;
    let mut message = None;
    let mut response = None;
    while let Some(k) =
        map.next_key_seed(KeyIn(&["usage", "usageMetadata", "message", "response"]))?
    {
        match k {
            Some(0) => usage = Some(map.next_value::<UsageValue>()?),
            Some(1) => metadata = Some(map.next_value::<UsageValue>()?),
            Some(2) => message = Some(map.next_value::<HasUsage>()?.0),
            Some(3) => response = Some(map.next_value::<HasUsage>()?.0),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    let found = usage
        .filter(|u| matches!(u, UsageValue::Object(_)))
        .or(metadata)
        .or(message.flatten())
        .or(response.flatten());
    let Some(UsageValue::Object(s)) = found else {
        return Ok(UsageOf(UsageFields::default()));
    };
    Ok(UsageOf(UsageFields {
        input: s[..3].iter().find_map(|x| *x),
        output: s[3..].iter().find_map(|x| *x),
    }))
});

/// The usage of one SSE `data:` payload; `None` when it is not JSON.
pub(crate) fn usage_of(json: &[u8]) -> Option<UsageFields> {
    serde_json::from_slice::<UsageOf>(json).ok().map(|u| u.0)
}

/// The usage of a whole JSON body: an object, or (Gemini's streaming endpoint without
/// `alt=sse`) an array of chunks, whose usage is the last each chunk reported. `None` when
/// it is not JSON.
pub(crate) fn body_usage(json: &[u8]) -> Option<UsageFields> {
    #[derive(Default)]
    struct Body(UsageFields);
    any_json!(Body, 'de,
    str: |_| Body::default(),
    seq: |seq| {
        let mut all = UsageFields::default();
        while let Some(UsageOf(u)) = seq.next_element()? {
            all.input = u.input.or(all.input);
            all.output = u.output.or(all.output);
        }
        Ok(Body(all))
    },
    map: |map| {
        let UsageOf(u) =
            de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Body(u))
    });
    serde_json::from_slice::<Body>(json).ok().map(|b| b.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::{Value, json};

    /// The `Value`-based reading these readers replace.
    fn usage_by_value(v: &Value) -> (Option<u64>, Option<u64>) {
        let Some(u) = v
            .get("usage")
            .filter(|u| u.is_object())
            .or_else(|| v.get("usageMetadata"))
            .or_else(|| v.get("message").and_then(|m| m.get("usage")))
            .or_else(|| v.get("response").and_then(|r| r.get("usage")))
            .filter(|u| u.is_object())
        else {
            return (None, None);
        };
        let get = |keys: &[&str]| keys.iter().find_map(|k| u.get(*k).and_then(Value::as_u64));
        (
            get(&["prompt_tokens", "input_tokens", "promptTokenCount"]),
            get(&["completion_tokens", "output_tokens", "candidatesTokenCount"]),
        )
    }

    const TEXT_FIELDS: [&str; 7] = [
        "messages",
        "system",
        "input",
        "prompt",
        "contents",
        "instructions",
        "systemInstruction",
    ];
    const MAX_FIELDS: [&str; 3] = ["max_tokens", "max_completion_tokens", "max_output_tokens"];

    fn request_by_value(v: &Value) -> (Option<String>, bool, usize, Option<u64>) {
        let model = v.get("model").and_then(Value::as_str).map(str::to_string);
        let stream = v.get("stream").and_then(Value::as_bool) == Some(true);
        let chars = TEXT_FIELDS
            .iter()
            .filter_map(|k| v.get(*k))
            .map(crate::limiter::text_chars)
            .sum();
        let max = MAX_FIELDS
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_u64))
            .or_else(|| {
                v.get("generationConfig")
                    .and_then(|g| g.get("maxOutputTokens"))
                    .and_then(Value::as_u64)
            });
        (model, stream, chars, max)
    }

    fn samples() -> Vec<Value> {
        vec![
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "héllo wörld"}], "max_tokens": 5, "stream": true}),
            json!({"model": 7, "stream": "true", "max_tokens": -1, "max_completion_tokens": 9}),
            json!({"max_tokens": 2.5, "max_output_tokens": 3, "input": "abc", "prompt": ["ab", {"text": "c"}]}),
            json!({"contents": [{"parts": [{"text": "hi"}, {"inline": "x"}]}], "generationConfig": {"maxOutputTokens": 7}}),
            json!({"generationConfig": [1, 2], "system": [{"type": "text", "text": "be brief"}], "instructions": null}),
            json!({"systemInstruction": {"parts": [{"text": "sys"}]}, "messages": [{"content": [{"type": "text", "text": "a"}, {"type": "image", "source": {"data": "zzzz"}}]}]}),
            json!({"usage": {"prompt_tokens": 2, "completion_tokens": 3}, "choices": []}),
            json!({"usage": null, "choices": [{"delta": {"content": "x"}}]}),
            json!({"usage": 5, "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6}}),
            json!({"usageMetadata": "nope", "message": {"usage": {"input_tokens": 1}}}),
            json!({"type": "message_start", "message": {"usage": {"input_tokens": 9, "output_tokens": 1}}}),
            json!({"type": "response.completed", "response": {"usage": {"input_tokens": 3, "output_tokens": 4.0}}}),
            json!({"message": "text", "response": {"usage": {"output_tokens": 8}}}),
            json!({"usage": {"input_tokens": -3, "prompt_tokens": 4, "output_tokens": 2}}),
            json!([{"usage": {"prompt_tokens": 1}}]),
            json!("a string"),
            json!(42),
            json!(null),
        ]
    }

    #[test]
    fn requests_read_as_the_value_reading_reads_them() {
        for v in samples() {
            let bytes = serde_json::to_vec(&v).unwrap();
            let f = request_fields(&bytes).unwrap();
            assert_eq!(
                (f.model, f.stream, f.text_chars, f.max_tokens),
                request_by_value(&v),
                "{v}"
            );
        }
        // A repeated key keeps its last value, as in a Value.
        let dup = br#"{"model":"a","model":"b","max_tokens":1,"max_tokens":"x","messages":"abc","messages":"z"}"#;
        let v: Value = serde_json::from_slice(dup).unwrap();
        let f = request_fields(dup).unwrap();
        assert_eq!(
            (f.model, f.stream, f.text_chars, f.max_tokens),
            request_by_value(&v)
        );
        assert!(request_fields(b"{not json").is_none());
        assert!(request_fields(br#"{"a":1} trailing"#).is_none());
    }

    #[test]
    fn usage_reads_as_the_value_reading_reads_it() {
        for v in samples() {
            let bytes = serde_json::to_vec(&v).unwrap();
            let want = usage_by_value(&v);
            let got = usage_of(&bytes).unwrap();
            assert_eq!((got.input, got.output), want, "{v}");
            // A whole body: an object as it is, an array chunk by chunk.
            let body = body_usage(&bytes).unwrap();
            let body_want = match &v {
                Value::Array(items) => items.iter().fold((None, None), |acc, it| {
                    let (i, o) = usage_by_value(it);
                    (i.or(acc.0), o.or(acc.1))
                }),
                other => usage_by_value(other),
            };
            assert_eq!((body.input, body.output), body_want, "{v}");
        }
        let chunks = br#"[{"usageMetadata":{"promptTokenCount":4}},[1],{"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":6}}]"#;
        assert_eq!(
            body_usage(chunks),
            Some(UsageFields {
                input: Some(5),
                output: Some(6)
            })
        );
        assert!(usage_of(b"[DONE]").is_none());
    }
}
