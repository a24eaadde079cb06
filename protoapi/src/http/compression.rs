//! Compressed HTTP bodies: a request body in gzip or zstd (`Content-Encoding`) is inflated as
//! it is read, so that every limit counts inflated bytes; a JSON answer of at least
//! [`MIN_SIZE`] bytes is compressed whole with zstd or gzip when `Accept-Encoding` allows it. A
//! request that names neither pays one header lookup each way.

use std::io::{self, Write as _};

use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use axum::body::Body;
use futures_util::TryStreamExt as _;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio_util::io::{ReaderStream, StreamReader};
use tonic::Code;

use super::response::Rejection;

/// The smallest answer worth compressing, in bytes.
pub(crate) const MIN_SIZE: usize = 1024;

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

/// The body as its route reads it: inflated when it came in gzip or zstd, whose
/// `Content-Encoding` and `Content-Length` (of the compressed bytes) are then removed. Another
/// coding is 415.
pub(super) fn inflate(headers: &mut HeaderMap, body: Body) -> Result<Body, Rejection> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(body);
    };
    let coding = match value.as_bytes() {
        b"gzip" | b"x-gzip" => Coding::Gzip,
        b"zstd" => Coding::Zstd,
        v if v.eq_ignore_ascii_case(b"identity") => return Ok(body),
        v if v.eq_ignore_ascii_case(b"gzip") => Coding::Gzip,
        v if v.eq_ignore_ascii_case(b"zstd") => Coding::Zstd,
        other => {
            return Err(Rejection::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::InvalidArgument,
                format!(
                    "unsupported content encoding `{}`: this server accepts gzip, zstd or \
                     identity",
                    crate::status::shown(&String::from_utf8_lossy(other))
                ),
            ));
        }
    };
    headers.remove(header::CONTENT_ENCODING);
    headers.remove(header::CONTENT_LENGTH);
    let compressed = StreamReader::new(body.into_data_stream().map_err(io::Error::other));
    Ok(match coding {
        Coding::Gzip => Body::from_stream(ReaderStream::new(GzipDecoder::new(compressed))),
        Coding::Zstd => Body::from_stream(ReaderStream::new(ZstdDecoder::new(compressed))),
    })
}

/// The coding an answer may be sent in: zstd, else gzip, if `Accept-Encoding` names it (or
/// `*`) without `q=0`.
pub(super) fn accepted(headers: &HeaderMap) -> Option<Coding> {
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
pub(super) fn compress(coding: Option<Coding>, body: &mut Vec<u8>) -> Option<Coding> {
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

/// Marks an answer compressed with `coding`; any answer that could have been says it depends on
/// `Accept-Encoding`.
pub(super) fn mark(headers: &mut HeaderMap, coding: Option<Coding>) {
    if let Some(coding) = coding {
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.name()),
        );
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}
