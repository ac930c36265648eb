//! Response building blocks shared by the families: JSON bodies, headers, retry rounding.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A JSON response with `status`.
pub fn json(status: u16, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(Bytes::from(bytes)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A JSON object that keeps its keys in the order written, so error bodies read exactly
/// like the providers' own (`message`, `type`, `param`, `code`), which `serde_json::Value`
/// (sorted keys) cannot do.
#[derive(Debug, Default)]
pub struct Obj(Vec<(&'static str, Node)>);

#[derive(Debug)]
enum Node {
    Value(Value),
    Obj(Obj),
}

impl Obj {
    pub fn new() -> Self {
        Obj(Vec::new())
    }

    /// Adds a plain value.
    #[must_use]
    pub fn v(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.0.push((key, Node::Value(value.into())));
        self
    }

    /// Adds a nested ordered object.
    #[must_use]
    pub fn o(mut self, key: &'static str, value: Obj) -> Self {
        self.0.push((key, Node::Obj(value)));
        self
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            match v {
                Node::Value(v) => map.serialize_entry(k, v)?,
                Node::Obj(o) => map.serialize_entry(k, o)?,
            }
        }
        map.end()
    }
}

/// A JSON response from an ordered object (optionally wrapped in a one-element array).
pub fn ordered(status: u16, body: &Obj, in_array: bool) -> Response {
    let bytes = if in_array {
        serde_json::to_vec(&[body])
    } else {
        serde_json::to_vec(body)
    };
    let mut resp = Response::new(Body::from(Bytes::from(bytes.unwrap_or_default())));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Whether an `Accept-Encoding` value accepts gzip (listed, or `*`, without `q=0`).
pub fn accepts_gzip(accept: &str) -> bool {
    accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f64>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// A whole JSON answer compressed with gzip. Streams (SSE, and Gemini's JSON array
/// stream, whose length is not known in advance) go as they are.
pub async fn gzip(resp: Response) -> Response {
    use std::io::Write;
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let whole = hyper::body::Body::size_hint(resp.body()).exact().is_some();
    if !json || !whole || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let packed = e.write_all(&bytes).and_then(|()| e.finish());
    let Ok(packed) = packed else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts
        .headers
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Response::from_parts(parts, Body::from(packed))
}

/// Sets a header; values that are not valid header text are skipped.
pub fn set(resp: &mut Response, name: &'static str, value: impl AsRef<str>) {
    if let Ok(v) = HeaderValue::from_str(value.as_ref()) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

/// A wait rounded up to the next millisecond (so waiting it is always enough).
pub fn ceil_ms(wait_s: f64) -> f64 {
    ((wait_s * 1000.0).ceil() / 1000.0).max(0.001)
}

/// A wait rounded up to whole seconds, at least 1 (`retry-after`).
pub fn ceil_s(wait_s: f64) -> u64 {
    (wait_s.ceil() as u64).max(1)
}

/// Seconds with at most three decimals, trailing zeros trimmed (`19.5`, `0.25`, `26`).
pub fn secs(wait_s: f64) -> String {
    let s = format!("{:.3}", ceil_ms(wait_s));
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A number with comma thousands separators (`1,000,000`), as Anthropic writes limits.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The generated text of a reply.
pub fn text(words: &[&str]) -> String {
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_unless_refused() {
        assert!(accepts_gzip("gzip, deflate"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip("br, deflate"));
    }

    #[test]
    fn rounding_and_numbers() {
        assert_eq!(ceil_ms(26.6031), 26.604);
        assert_eq!(ceil_s(0.2), 1);
        assert_eq!(ceil_s(2.01), 3);
        assert_eq!(secs(19.5), "19.5");
        assert_eq!(secs(26.0), "26");
        assert_eq!(thousands(30_000), "30,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn ordered_objects_keep_their_key_order() {
        let o = Obj::new()
            .o(
                "error",
                Obj::new()
                    .v("message", "m")
                    .v("type", "t")
                    .v("param", Value::Null),
            )
            .v("code", 429);
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"error":{"message":"m","type":"t","param":null},"code":429}"#
        );
    }
}
