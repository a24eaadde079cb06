//! Compressed HTTP bodies: a request body in gzip or zstd (`Content-Encoding`) is inflated as
//! it is read, so that every limit counts inflated bytes; a JSON answer of at least
//! [`MIN_SIZE`] bytes is compressed whole with zstd or gzip when `Accept-Encoding` allows it. A
//! request that names neither pays one header lookup each way.

use std::io::{self, Write as _};

use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use axum::body::Body;
use bytes::Bytes;
use futures_util::TryStreamExt as _;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio_util::io::{ReaderStream, StreamReader};
use tonic::Code;

use super::response::Rejection;

/// The smallest answer worth compressing, in bytes.
const MIN_SIZE: usize = 1024;

/// A content coding both ways: what a body is in, or what an answer may be sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Zstd,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Zstd => "zstd",
        }
    }
}

/// The coding a request body is in (`Content-Encoding`): `Ok(None)` for none or identity,
/// `Err` with the name of one this server does not read.
pub(crate) fn coding_of(headers: &HeaderMap) -> Result<Option<Coding>, String> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(None);
    };
    match value.as_bytes() {
        b"gzip" | b"x-gzip" => Ok(Some(Coding::Gzip)),
        b"zstd" => Ok(Some(Coding::Zstd)),
        v if v.eq_ignore_ascii_case(b"identity") => Ok(None),
        v if v.eq_ignore_ascii_case(b"gzip") => Ok(Some(Coding::Gzip)),
        v if v.eq_ignore_ascii_case(b"zstd") => Ok(Some(Coding::Zstd)),
        other => Err(crate::status::shown(&String::from_utf8_lossy(other)).into_owned()),
    }
}

/// The body inflated as it is read, when it is in `coding`; the request's `Content-Encoding`
/// and `Content-Length` (of the compressed bytes) are removed.
pub(crate) fn inflate_with(coding: Option<Coding>, headers: &mut HeaderMap, body: Body) -> Body {
    let Some(coding) = coding else {
        return body;
    };
    headers.remove(header::CONTENT_ENCODING);
    headers.remove(header::CONTENT_LENGTH);
    let compressed = StreamReader::new(body.into_data_stream().map_err(io::Error::other));
    match coding {
        Coding::Gzip => Body::from_stream(ReaderStream::new(GzipDecoder::new(compressed))),
        Coding::Zstd => Body::from_stream(ReaderStream::new(ZstdDecoder::new(compressed))),
    }
}

/// The body as an HTTP route reads it: inflated when it came in gzip or zstd; another coding
/// is 415.
pub(super) fn inflate(headers: &mut HeaderMap, body: Body) -> Result<Body, Rejection> {
    match coding_of(headers) {
        Ok(coding) => Ok(inflate_with(coding, headers, body)),
        Err(name) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content encoding `{name}`: this server accepts gzip, zstd or \
                 identity"
            ),
        )),
    }
}

/// The coding an answer may be sent in: zstd, else gzip, if `Accept-Encoding` names it (or
/// `*`) without `q=0`.
pub(crate) fn accepted(headers: &HeaderMap) -> Option<Coding> {
    let value = headers.get(header::ACCEPT_ENCODING)?.to_str().ok()?;
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
        } else if name.eq_ignore_ascii_case("gzip") || name == "*" {
            gzip = true;
        }
    }
    if zstd {
        Some(Coding::Zstd)
    } else if gzip {
        Some(Coding::Gzip)
    } else {
        None
    }
}

/// Compresses a whole answer body in place when it is worth it; the coding it used, for
/// [`mark`].
pub(crate) fn compress(coding: Option<Coding>, body: &mut Vec<u8>) -> Option<Coding> {
    let coding = coding.filter(|_| body.len() >= MIN_SIZE)?;
    let compressed = match coding {
        Coding::Zstd => zstd::bulk::compress(body, 3),
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::fast(),
            );
            encoder.write_all(body).and_then(|()| encoder.finish())
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

/// [`compress`] for an answer already in `Bytes`: copied only when it is compressed.
pub(crate) fn compress_bytes(coding: Option<Coding>, body: Bytes) -> (Bytes, Option<Coding>) {
    if coding.is_none() || body.len() < MIN_SIZE {
        return (body, None);
    }
    let mut owned = body.to_vec();
    match compress(coding, &mut owned) {
        Some(used) => (Bytes::from(owned), Some(used)),
        None => (body, None),
    }
}

/// Marks an answer compressed with `coding`; any answer that could have been says it depends on
/// `Accept-Encoding`.
pub(crate) fn mark(headers: &mut HeaderMap, coding: Option<Coding>) {
    if let Some(coding) = coding {
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.name()),
        );
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}
