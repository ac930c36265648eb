//! A lenient reader for the structured values people paste: JSON, Python reprs (single
//! quotes, `None`/`True`/`False`, `b'…'` bytes), trailing commas; plus a scanner that finds
//! every object in free text, including JSON escaped once or twice inside log lines.

use serde_json::{Map, Number, Value};

const MAX_DEPTH: usize = 48;
/// Nested JSON inside strings is unpacked at most this deep.
pub const MAX_NESTING: usize = 4;

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    /// Bytes the reader may still look at before it gives up (bounds pathological input).
    budget: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        if self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        let c = self.s.get(self.i).copied();
        if c.is_some() {
            self.i += 1;
        }
        c
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' | b'\'' => self.string().map(Value::String),
            b'b' if matches!(self.s.get(self.i + 1), Some(b'\'' | b'"')) => {
                self.i += 1;
                self.string().map(Value::String)
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.literal(),
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.bump(); // {
        let mut map = Map::new();
        loop {
            self.ws();
            match self.peek()? {
                b'}' => {
                    self.bump();
                    return Some(Value::Object(map));
                }
                b'"' | b'\'' => {}
                _ => return None,
            }
            let key = self.string()?;
            self.ws();
            if self.bump()? != b':' {
                return None;
            }
            let v = self.value(depth + 1)?;
            map.insert(key, v);
            self.ws();
            match self.bump()? {
                b',' => continue,
                b'}' => return Some(Value::Object(map)),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.bump(); // [
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.peek()? == b']' {
                self.bump();
                return Some(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.bump()? {
                b',' => continue,
                b']' => return Some(Value::Array(items)),
                _ => return None,
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.bump()?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.bump()?;
            if c == quote {
                break;
            }
            if c == b'\n' || c == b'\r' {
                // A repr wrapped by a terminal or an editor: the break was a space.
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
                continue;
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let e = self.bump()?;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'0' => out.push(0),
                b'u' => {
                    let hex = self.s.get(self.i..self.i + 4)?;
                    let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    self.i += 4;
                    let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                b'x' => {
                    let hex = self.s.get(self.i..self.i + 2)?;
                    let code = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    self.i += 2;
                    out.push(code);
                }
                other => out.push(other),
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-') {
                self.bump();
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(self.s.get(start..self.i)?).ok()?;
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(Number::from(i)));
        }
        let f: f64 = text.parse().ok()?;
        Number::from_f64(f).map(Value::Number)
    }

    fn literal(&mut self) -> Option<Value> {
        let rest = self.s.get(self.i..)?;
        for (word, v) in [
            (&b"true"[..], Value::Bool(true)),
            (b"True", Value::Bool(true)),
            (b"false", Value::Bool(false)),
            (b"False", Value::Bool(false)),
            (b"null", Value::Null),
            (b"None", Value::Null),
        ] {
            if rest.starts_with(word) {
                self.i += word.len();
                return Some(v);
            }
        }
        None
    }
}

/// Parses one value starting at byte `start` of `s`; returns it and the end offset.
pub fn parse_at(s: &[u8], start: usize, budget: usize) -> Option<(Value, usize)> {
    let mut r = Reader {
        s,
        i: start,
        budget,
    };
    let v = r.value(0)?;
    Some((v, r.i))
}

/// An object found in text, with its byte range.
#[derive(Debug, Clone)]
pub struct Found {
    pub value: Value,
    pub start: usize,
    pub end: usize,
}

/// Finds every top-level `{…}` object in `text` that parses leniently. Objects nested in a
/// found object are not reported separately (walk the value for them).
pub fn scan_objects(text: &str) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // Total work is bounded to a small multiple of the input, whatever it holds.
    let mut budget = bytes.len().saturating_mul(8).max(4096);
    let mut pos = 0;
    while let Some(off) = memchr::memchr(b'{', bytes.get(pos..).unwrap_or_default()) {
        let start = pos + off;
        if budget == 0 {
            break;
        }
        let mut r = Reader {
            s: bytes,
            i: start,
            budget,
        };
        match r.value(0) {
            Some(v @ Value::Object(_)) => {
                budget = r.budget;
                out.push(Found {
                    value: v,
                    start,
                    end: r.i,
                });
                pos = r.i;
            }
            _ => {
                budget = r.budget;
                pos = start + 1;
            }
        }
    }
    out
}

/// Undoes one level of backslash escaping, as when JSON is embedded in a JSON string
/// that was printed raw: `{\"error\":…}` → `{"error":…}`.
pub fn unescape_once(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\'') => out.push('\''),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A string field of an object, if present and a string (numbers are rendered).
pub fn str_field<'v>(v: &'v Value, key: &str) -> Option<std::borrow::Cow<'v, str>> {
    match v.get(key)? {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_repr() {
        let t = r#"Error code: 429 - {'error': {'message': "You've hit it", 'type': 'tokens', 'param': None, 'ok': True, 'n': 3.5}}"#;
        let found = scan_objects(t);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].value,
            json!({"error": {"message": "You've hit it", "type": "tokens", "param": null, "ok": true, "n": 3.5}})
        );
    }

    #[test]
    fn bytes_repr_and_trailing_commas() {
        let t = r#"GroqException - b'{"error":{"message":"x","type":"tokens",},}\n'"#;
        let found = scan_objects(t);
        assert_eq!(
            found[0].value,
            json!({"error": {"message": "x", "type": "tokens"}})
        );
    }

    #[test]
    fn escaped_json() {
        let t = r#"body="{\"error\":{\"message\":\"Rate limit\"}}" done"#;
        assert!(scan_objects(t).is_empty());
        let un = unescape_once(t);
        let found = scan_objects(&un);
        assert_eq!(found[0].value, json!({"error": {"message": "Rate limit"}}));
    }

    #[test]
    fn several_objects_and_junk() {
        let t = "{oops {\"a\":1} text {'b': [1, 2, {'c': None}]} {unclosed";
        let found = scan_objects(t);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].value, json!({"b": [1, 2, {"c": null}]}));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let t = "{\"a\":".repeat(10_000);
        assert!(scan_objects(&t).is_empty());
    }

    #[test]
    fn unicode_escapes() {
        let found = scan_objects(r#"{"m": "\u2014 dash \x41"}"#);
        assert_eq!(found[0].value, json!({"m": "\u{2014} dash A"}));
    }
}
