//! Compression, the same on every transport: [`Compression`] says which codings a server reads
//! and sends and the smallest answer it compresses; [`Coding`] is one of them. The codecs are
//! flate2's and zstd's; each transport negotiates them in its own headers (`Content-Encoding`,
//! `grpc-encoding`, `Connect-Content-Encoding` and their `Accept` forms).

use std::io::{self, Read as _, Write as _};

use bytes::Bytes;
use http::HeaderValue;

/// A compression a body or message may be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Coding {
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
}

impl Coding {
    /// Its name in the protocols' headers: `gzip` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Zstd => "zstd",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Coding::Gzip => 1,
            Coding::Zstd => 2,
        }
    }
}

/// Which compressions a server reads and sends, set with
/// [`ServerBuilder::compression`](crate::ServerBuilder::compression).
///
/// By default it reads gzip and zstd on every transport, and compresses an answer with zstd,
/// else gzip, when the client accepts either and the answer is at least 1 KiB. A request in a
/// coding the server does not read gets the protocol's own error (415 over HTTP,
/// `unimplemented` over gRPC and Connect) with the codings it does.
///
/// ```
/// use protoapi::{Coding, Compression};
/// // Reads gzip only, answers in gzip from 4 KiB on.
/// let compression = Compression::default()
///     .accept(&[Coding::Gzip])
///     .send(&[Coding::Gzip])
///     .min_size(4096);
/// assert_eq!(compression.min_size_bytes(), 4096);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    accept: u8,
    send: u8,
    min_size: usize,
}

impl Default for Compression {
    fn default() -> Self {
        Compression {
            accept: Coding::Gzip.bit() | Coding::Zstd.bit(),
            send: Coding::Gzip.bit() | Coding::Zstd.bit(),
            min_size: 1024,
        }
    }
}

impl Compression {
    /// Reads and sends nothing but identity.
    pub fn off() -> Self {
        Compression {
            accept: 0,
            send: 0,
            min_size: 1024,
        }
    }

    /// The codings requests may be in (default gzip and zstd); an empty list reads identity
    /// only.
    pub fn accept(mut self, codings: &[Coding]) -> Self {
        self.accept = codings.iter().fold(0, |bits, coding| bits | coding.bit());
        self
    }

    /// The codings answers may be sent in, zstd first when the client accepts both (default
    /// gzip and zstd); an empty list sends identity only.
    pub fn send(mut self, codings: &[Coding]) -> Self {
        self.send = codings.iter().fold(0, |bits, coding| bits | coding.bit());
        self
    }

    /// The smallest answer compressed, in bytes (default 1024): a gRPC or HTTP answer, a
    /// Connect message. Streams of SSE and NDJSON compress as a whole, whatever their items'
    /// sizes, and gRPC streams compress every message.
    pub fn min_size(mut self, bytes: usize) -> Self {
        self.min_size = bytes;
        self
    }

    /// The smallest answer compressed, in bytes.
    pub fn min_size_bytes(&self) -> usize {
        self.min_size
    }

    /// Whether requests may be in `coding`.
    pub fn accepts(&self, coding: Coding) -> bool {
        self.accept & coding.bit() != 0
    }

    /// Whether answers may be sent in `coding`.
    pub fn sends(&self, coding: Coding) -> bool {
        self.send & coding.bit() != 0
    }

    /// The coding a request names (`Content-Encoding`, `grpc-encoding`,
    /// `Connect-Content-Encoding`): `Ok(None)` for none or identity, `Err` with the name of one
    /// this server does not read.
    pub(crate) fn request_coding(
        &self,
        value: Option<&HeaderValue>,
    ) -> Result<Option<Coding>, String> {
        let Some(value) = value else {
            return Ok(None);
        };
        let bytes = value.as_bytes();
        let coding = if bytes.eq_ignore_ascii_case(b"gzip") || bytes.eq_ignore_ascii_case(b"x-gzip")
        {
            Some(Coding::Gzip)
        } else if bytes.eq_ignore_ascii_case(b"zstd") {
            Some(Coding::Zstd)
        } else if bytes.eq_ignore_ascii_case(b"identity") {
            return Ok(None);
        } else {
            None
        };
        match coding {
            Some(coding) if self.accepts(coding) => Ok(Some(coding)),
            _ => Err(crate::status::shown(&String::from_utf8_lossy(bytes)).into_owned()),
        }
    }

    /// The codings this server reads, as a header lists them: `gzip, zstd, identity`.
    pub(crate) fn accepted_list(&self) -> HeaderValue {
        HeaderValue::from_static(
            match (self.accepts(Coding::Gzip), self.accepts(Coding::Zstd)) {
                (true, true) => "gzip, zstd, identity",
                (true, false) => "gzip, identity",
                (false, true) => "zstd, identity",
                (false, false) => "identity",
            },
        )
    }

    /// The codings this server reads, in words: `gzip, zstd or identity`.
    pub(crate) fn accepted_words(&self) -> &'static str {
        match (self.accepts(Coding::Gzip), self.accepts(Coding::Zstd)) {
            (true, true) => "gzip, zstd or identity",
            (true, false) => "gzip or identity",
            (false, true) => "zstd or identity",
            (false, false) => "identity only",
        }
    }

    /// The coding an answer is sent in, from the client's list (`Accept-Encoding`,
    /// `Connect-Accept-Encoding`): zstd, else gzip, when this server sends it and the client
    /// names it (or `*`) without `q=0`.
    pub(crate) fn answer_coding(&self, value: Option<&HeaderValue>) -> Option<Coding> {
        if self.send == 0 {
            return None;
        }
        let value = value?.to_str().ok()?;
        let (mut gzip, mut zstd) = (false, false);
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            if name.eq_ignore_ascii_case("zstd") {
                zstd = true;
            } else if name.eq_ignore_ascii_case("gzip") {
                gzip = true;
            } else if name == "*" {
                gzip = true;
                zstd = true;
            }
        }
        if zstd && self.sends(Coding::Zstd) {
            Some(Coding::Zstd)
        } else if gzip && self.sends(Coding::Gzip) {
            Some(Coding::Gzip)
        } else {
            None
        }
    }

    /// Compresses a whole answer in place when it is at least the minimum size; the coding it
    /// used.
    pub(crate) fn compress(&self, coding: Option<Coding>, body: &mut Vec<u8>) -> Option<Coding> {
        let coding = coding.filter(|_| body.len() >= self.min_size)?;
        let compressed = match coding {
            Coding::Zstd => zstd::bulk::compress(body, 3),
            // Read from the body itself: the writing encoder zero-fills its 32 KiB output
            // buffer on every write.
            Coding::Gzip => {
                let mut compressed = Vec::with_capacity(body.len() / 4);
                flate2::bufread::GzEncoder::new(body.as_slice(), flate2::Compression::fast())
                    .read_to_end(&mut compressed)
                    .map(|_| compressed)
            }
        };
        match compressed {
            Ok(compressed) => {
                *body = compressed;
                Some(coding)
            }
            Err(error) => {
                tracing::error!(%error, "failed to compress an answer");
                None
            }
        }
    }

    /// [`Compression::compress`] for an answer already in `Bytes`: copied only when it is
    /// compressed.
    pub(crate) fn compress_bytes(
        &self,
        coding: Option<Coding>,
        body: Bytes,
    ) -> (Bytes, Option<Coding>) {
        if coding.is_none() || body.len() < self.min_size {
            return (body, None);
        }
        let mut owned = body.to_vec();
        match self.compress(coding, &mut owned) {
            Some(used) => (Bytes::from(owned), Some(used)),
            None => (body, None),
        }
    }
}

/// One compressed message inflated, refused once it grows past `limit` bytes: the decoder
/// stops there, so a small bomb is never inflated whole.
pub(crate) fn inflate_message(
    coding: Coding,
    message: &[u8],
    limit: usize,
) -> Result<Bytes, Inflate> {
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::with_capacity(message.len().saturating_mul(2).min(limit));
    let read = match coding {
        Coding::Gzip => flate2::read::GzDecoder::new(message)
            .take(bound)
            .read_to_end(&mut out),
        Coding::Zstd => zstd::stream::read::Decoder::with_buffer(message)
            .and_then(|decoder| decoder.take(bound).read_to_end(&mut out)),
    };
    match read {
        Ok(_) if out.len() > limit => Err(Inflate::TooLarge),
        Ok(_) => Ok(Bytes::from(out)),
        Err(error) => Err(Inflate::Broken(error.to_string())),
    }
}

/// Why a compressed message could not be inflated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Inflate {
    /// It inflates past the limit.
    TooLarge,
    /// It is not valid in its coding.
    Broken(String),
}

/// A stream compressed as it is written: each piece is flushed out whole, so that a client
/// reads every item of an SSE or NDJSON stream as soon as it is sent.
pub(crate) enum StreamEncoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl StreamEncoder {
    pub(crate) fn new(coding: Coding) -> io::Result<Self> {
        Ok(match coding {
            Coding::Gzip => StreamEncoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
            Coding::Zstd => StreamEncoder::Zstd(zstd::stream::write::Encoder::new(Vec::new(), 3)?),
        })
    }

    /// The compressed bytes of `piece`, flushed.
    pub(crate) fn piece(&mut self, piece: &[u8]) -> io::Result<Bytes> {
        match self {
            StreamEncoder::Gzip(encoder) => {
                encoder.write_all(piece)?;
                encoder.flush()?;
                Ok(Bytes::from(std::mem::take(encoder.get_mut())))
            }
            StreamEncoder::Zstd(encoder) => {
                encoder.write_all(piece)?;
                encoder.flush()?;
                Ok(Bytes::from(std::mem::take(encoder.get_mut())))
            }
        }
    }

    /// The last bytes of the stream.
    pub(crate) fn finish(self) -> io::Result<Bytes> {
        match self {
            StreamEncoder::Gzip(encoder) => encoder.finish().map(Bytes::from),
            StreamEncoder::Zstd(encoder) => encoder.finish().map(Bytes::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_coding_follows_the_client_and_the_server() {
        let all = Compression::default();
        let value = |text: &'static str| HeaderValue::from_static(text);
        assert_eq!(
            all.answer_coding(Some(&value("gzip, zstd"))),
            Some(Coding::Zstd)
        );
        assert_eq!(
            all.answer_coding(Some(&value("gzip, zstd;q=0"))),
            Some(Coding::Gzip)
        );
        assert_eq!(all.answer_coding(Some(&value("*"))), Some(Coding::Zstd));
        assert_eq!(all.answer_coding(Some(&value("br"))), None);
        let gzip = Compression::default().send(&[Coding::Gzip]);
        assert_eq!(
            gzip.answer_coding(Some(&value("zstd, gzip"))),
            Some(Coding::Gzip)
        );
        assert_eq!(gzip.answer_coding(Some(&value("zstd"))), None);
        assert_eq!(Compression::off().answer_coding(Some(&value("gzip"))), None);
    }

    #[test]
    fn a_request_coding_is_read_only_when_accepted() {
        let value = |text: &'static str| HeaderValue::from_static(text);
        let gzip = Compression::default().accept(&[Coding::Gzip]);
        assert_eq!(
            gzip.request_coding(Some(&value("GZIP"))),
            Ok(Some(Coding::Gzip))
        );
        assert_eq!(gzip.request_coding(Some(&value("identity"))), Ok(None));
        assert_eq!(
            gzip.request_coding(Some(&value("zstd"))),
            Err("zstd".to_owned())
        );
        assert_eq!(gzip.accepted_list(), "gzip, identity");
        assert_eq!(Compression::off().accepted_list(), "identity");
    }

    #[test]
    fn a_stream_encoder_flushes_every_piece() {
        for coding in [Coding::Gzip, Coding::Zstd] {
            let mut encoder = StreamEncoder::new(coding).expect("encoder");
            let mut out = encoder.piece(b"data: 1\n\n").expect("piece").to_vec();
            // What was sent so far already inflates to the first piece.
            let mut first = Vec::new();
            match coding {
                Coding::Gzip => {
                    let _ = flate2::read::GzDecoder::new(&out[..]).read_to_end(&mut first);
                }
                Coding::Zstd => {
                    let _ = zstd::stream::read::Decoder::new(&out[..])
                        .expect("zstd")
                        .read_to_end(&mut first);
                }
            }
            assert_eq!(first, b"data: 1\n\n");
            out.extend_from_slice(&encoder.piece(b"data: 2\n\n").expect("piece"));
            out.extend_from_slice(&encoder.finish().expect("finish"));
            let whole = match coding {
                Coding::Gzip => inflate_message(coding, &out, 1024),
                Coding::Zstd => inflate_message(coding, &out, 1024),
            };
            assert_eq!(whole.as_deref(), Ok(&b"data: 1\n\ndata: 2\n\n"[..]));
        }
    }
}
