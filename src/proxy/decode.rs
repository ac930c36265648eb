//! Content codings (sources layer). The client gets a compressed body exactly as it came;
//! the proxy reads a decoded copy of it, piece by piece as it streams past, for the usage
//! and the diagnosis. gzip, deflate (zlib) and br are read; a body in any other coding
//! passes through unread.

use std::borrow::Cow;
use std::io::Write;

/// Compressed bytes are decoded this many at a time, so one chunk of a highly compressed
/// body never swells into more than a few hundred kilobytes at once.
const PIECE: usize = 512;

/// A streaming decoder for one body.
pub(crate) struct Decoder {
    /// `None` once the data was corrupt, or was given up on: nothing more is decoded.
    inner: Option<Box<dyn Unpack + Send>>,
}

/// A decoder that writes what it decodes into a buffer of its own.
trait Unpack: Write {
    /// The decoded bytes not handed over yet.
    fn decoded(&mut self) -> &mut Vec<u8>;
    /// Decodes what is held back for the end of the data.
    fn end(&mut self) -> std::io::Result<()>;
}

impl Unpack for flate2::write::GzDecoder<Vec<u8>> {
    fn decoded(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.try_finish()
    }
}

impl Unpack for flate2::write::ZlibDecoder<Vec<u8>> {
    fn decoded(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.try_finish()
    }
}

impl Unpack for brotli_decompressor::DecompressorWriter<Vec<u8>> {
    fn decoded(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
    fn end(&mut self) -> std::io::Result<()> {
        self.flush()
    }
}

impl Decoder {
    /// The decoder for a `Content-Encoding` value; `None` for identity or a coding not read.
    pub fn for_encoding(value: Option<&str>) -> Option<Decoder> {
        let v = value?.trim().to_ascii_lowercase();
        let inner: Box<dyn Unpack + Send> = match v.as_str() {
            "gzip" | "x-gzip" => Box::new(flate2::write::GzDecoder::new(Vec::new())),
            "deflate" => Box::new(flate2::write::ZlibDecoder::new(Vec::new())),
            "br" => Box::new(brotli_decompressor::DecompressorWriter::new(
                Vec::new(),
                4096,
            )),
            _ => return None,
        };
        Some(Decoder { inner: Some(inner) })
    }

    /// Stops decoding: nothing more is wanted from this body.
    pub fn give_up(&mut self) {
        self.inner = None;
    }

    /// Decodes `input`, handing each decoded piece to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut impl FnMut(&[u8])) {
        for piece in input.chunks(PIECE) {
            let Some(d) = &mut self.inner else {
                return;
            };
            let ok = d.write_all(piece).and_then(|()| d.flush()).is_ok();
            hand_over(d.as_mut(), out);
            if !ok {
                self.inner = None;
            }
        }
    }

    /// The body has ended: hands over what the decoder still holds.
    pub fn finish(&mut self, out: &mut impl FnMut(&[u8])) {
        if let Some(mut d) = self.inner.take() {
            // A body cut short still gives what was decoded before the cut.
            let _ = d.end();
            hand_over(d.as_mut(), out);
        }
    }
}

fn hand_over(d: &mut dyn Unpack, out: &mut impl FnMut(&[u8])) {
    let buf = d.decoded();
    if !buf.is_empty() {
        out(buf);
        buf.clear();
    }
}

/// A whole body decoded, at most `cap` bytes of it; the body itself when it is not encoded
/// in a coding the proxy reads.
pub(crate) fn decode_whole<'a>(
    encoding: Option<&str>,
    body: &'a [u8],
    cap: usize,
) -> Cow<'a, [u8]> {
    let Some(mut d) = Decoder::for_encoding(encoding) else {
        return Cow::Borrowed(&body[..body.len().min(cap)]);
    };
    let mut text: Vec<u8> = Vec::new();
    let keep = |text: &mut Vec<u8>, b: &[u8]| {
        let room = cap.saturating_sub(text.len());
        text.extend_from_slice(&b[..b.len().min(room)]);
    };
    for piece in body.chunks(PIECE) {
        if text.len() >= cap {
            return Cow::Owned(text);
        }
        d.feed(piece, &mut |b| keep(&mut text, b));
    }
    d.finish(&mut |b| keep(&mut text, b));
    Cow::Owned(text)
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
            assert_eq!(&*decode_whole(Some(name), &packed, 1 << 20), TEXT, "{name}");
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
        assert!(d.inner.is_none());
        assert!(got.is_empty());
        // A bomb: 8 MB of zeros in a few kilobytes, read no further than the cap.
        let packed = gzip(&vec![0u8; 8 << 20]);
        assert!(packed.len() < 64 << 10);
        assert_eq!(decode_whole(Some("gzip"), &packed, 1000).len(), 1000);
        // Identity and unknown codings: the body as it is.
        assert_eq!(&*decode_whole(None, TEXT, 1 << 20), TEXT);
        assert_eq!(&*decode_whole(Some("zstd"), b"abc", 2), b"ab");
    }
}
