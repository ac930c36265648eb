//! Content codings (sources layer). The client gets a compressed body exactly as it came;
//! the proxy reads a decoded copy of it, piece by piece as it streams past, for the usage
//! and the diagnosis. gzip, deflate (zlib) and br are read; a body in any other coding
//! passes through unread.

use std::io::Write;

/// Compressed bytes are decoded this many at a time, so one chunk of a highly compressed
/// body never swells into more than a few hundred kilobytes at once.
const PIECE: usize = 512;

/// A streaming decoder for one body.
pub(crate) struct Decoder {
    inner: Inner,
}

enum Inner {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Zlib(flate2::write::ZlibDecoder<Vec<u8>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Vec<u8>>>),
    /// The data was corrupt, or was given up on: nothing more is decoded.
    Done,
}

impl Decoder {
    /// The decoder for a `Content-Encoding` value; `None` for identity or a coding not read.
    pub fn for_encoding(value: Option<&str>) -> Option<Decoder> {
        let v = value?.trim().to_ascii_lowercase();
        let inner = match v.as_str() {
            "gzip" | "x-gzip" => Inner::Gzip(flate2::write::GzDecoder::new(Vec::new())),
            "deflate" => Inner::Zlib(flate2::write::ZlibDecoder::new(Vec::new())),
            "br" => Inner::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                Vec::new(),
                4096,
            ))),
            _ => return None,
        };
        Some(Decoder { inner })
    }

    /// Stops decoding: nothing more is wanted from this body.
    pub fn give_up(&mut self) {
        self.inner = Inner::Done;
    }

    /// Decodes `input`, handing each decoded piece to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut impl FnMut(&[u8])) {
        for piece in input.chunks(PIECE) {
            let ok = match &mut self.inner {
                Inner::Gzip(d) => d.write_all(piece).and_then(|()| d.flush()).is_ok(),
                Inner::Zlib(d) => d.write_all(piece).and_then(|()| d.flush()).is_ok(),
                Inner::Brotli(d) => d.write_all(piece).and_then(|()| d.flush()).is_ok(),
                Inner::Done => return,
            };
            self.drain(out);
            if !ok {
                self.inner = Inner::Done;
                return;
            }
        }
    }

    /// The body has ended: hands over what the decoder still holds.
    pub fn finish(&mut self, out: &mut impl FnMut(&[u8])) {
        let _ = match &mut self.inner {
            Inner::Gzip(d) => d.try_finish().is_ok(),
            Inner::Zlib(d) => d.try_finish().is_ok(),
            Inner::Brotli(d) => d.flush().is_ok(),
            Inner::Done => return,
        };
        self.drain(out);
        self.inner = Inner::Done;
    }

    fn drain(&mut self, out: &mut impl FnMut(&[u8])) {
        let buf = match &mut self.inner {
            Inner::Gzip(d) => d.get_mut(),
            Inner::Zlib(d) => d.get_mut(),
            Inner::Brotli(d) => d.get_mut(),
            Inner::Done => return,
        };
        if !buf.is_empty() {
            out(buf);
            buf.clear();
        }
    }
}

/// A whole body decoded, at most `cap` bytes of it; the body itself when it is not encoded
/// in a coding the proxy reads.
pub(crate) fn decode_whole(encoding: Option<&str>, body: &[u8], cap: usize) -> Vec<u8> {
    let Some(mut d) = Decoder::for_encoding(encoding) else {
        return body[..body.len().min(cap)].to_vec();
    };
    let mut text: Vec<u8> = Vec::new();
    let keep = |text: &mut Vec<u8>, b: &[u8]| {
        let room = cap.saturating_sub(text.len());
        text.extend_from_slice(&b[..b.len().min(room)]);
    };
    for piece in body.chunks(PIECE) {
        if text.len() >= cap {
            return text;
        }
        d.feed(piece, &mut |b| keep(&mut text, b));
    }
    d.finish(&mut |b| keep(&mut text, b));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] =
        br#"{"id":"chatcmpl-1","usage":{"prompt_tokens":12,"completion_tokens":34}}"#;

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn brotli(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut e = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            e.write_all(b).unwrap();
        }
        out
    }

    /// Fed one byte at a time, every coding gives back the text.
    #[test]
    fn every_coding_decodes_byte_by_byte() {
        for (name, packed) in [
            ("gzip", gzip(TEXT)),
            ("x-gzip", gzip(TEXT)),
            ("deflate", zlib(TEXT)),
            ("BR", brotli(TEXT)),
        ] {
            let mut d = Decoder::for_encoding(Some(name)).unwrap();
            let mut got = Vec::new();
            for b in &packed {
                d.feed(std::slice::from_ref(b), &mut |p| got.extend_from_slice(p));
            }
            d.finish(&mut |p| got.extend_from_slice(p));
            assert_eq!(got, TEXT, "{name}");
            assert_eq!(decode_whole(Some(name), &packed, 1 << 20), TEXT, "{name}");
        }
    }

    /// Decoded text reaches the reader before the body ends, so an SSE stream's lines can
    /// be read as they come.
    #[test]
    fn decoded_text_comes_out_as_it_goes_in() {
        let mut text = Vec::new();
        for i in 0..200 {
            text.extend_from_slice(format!("data: {{\"n\":{i}}}\n\n").as_bytes());
        }
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&text[..text.len() / 2]).unwrap();
        e.flush().unwrap();
        let first = e.get_ref().len();
        e.write_all(&text[text.len() / 2..]).unwrap();
        let packed = e.finish().unwrap();
        let mut d = Decoder::for_encoding(Some("gzip")).unwrap();
        let mut got = Vec::new();
        d.feed(&packed[..first], &mut |p| got.extend_from_slice(p));
        assert_eq!(got, &text[..text.len() / 2]);
    }

    #[test]
    fn corrupt_data_stops_decoding_and_a_cap_holds() {
        let mut d = Decoder::for_encoding(Some("gzip")).unwrap();
        let mut got = Vec::new();
        d.feed(b"this is not gzip at all", &mut |p| {
            got.extend_from_slice(p)
        });
        assert!(matches!(d.inner, Inner::Done));
        assert!(got.is_empty());
        // A bomb: 8 MB of zeros in a few kilobytes, read no further than the cap.
        let packed = gzip(&vec![0u8; 8 << 20]);
        assert!(packed.len() < 64 << 10);
        assert_eq!(decode_whole(Some("gzip"), &packed, 1000).len(), 1000);
        // Identity and unknown codings: the body as it is.
        assert_eq!(decode_whole(None, TEXT, 1 << 20), TEXT);
        assert_eq!(decode_whole(Some("zstd"), b"abc", 2), b"ab");
    }
}
