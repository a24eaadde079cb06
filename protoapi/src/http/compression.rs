//! Compressed HTTP bodies: a request body in a coding the server reads (`Content-Encoding`) is
//! inflated as it is read, so that every limit counts inflated bytes; a JSON answer is
//! compressed whole, and an SSE or NDJSON stream as it goes, when `Accept-Encoding` allows it
//! ([`Compression`]). A request that names neither pays one header lookup each way.

use std::io;

use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use axum::body::Body;
use axum::response::Response;
use futures_util::{StreamExt as _, TryStreamExt as _};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio_util::io::{ReaderStream, StreamReader};
use tonic::Code;

use super::response::Rejection;
use crate::compression::{Coding, Compression, StreamEncoder};

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

/// The body as an HTTP route reads it: inflated when it came in a coding the server reads;
/// another coding is 415.
pub(super) fn inflate(
    headers: &mut HeaderMap,
    body: Body,
    compression: &Compression,
) -> Result<Body, Rejection> {
    match compression.request_coding(headers.get(header::CONTENT_ENCODING)) {
        Ok(coding) => Ok(inflate_with(coding, headers, body)),
        Err(name) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content encoding `{name}`: this server accepts {}",
                compression.accepted_words()
            ),
        )),
    }
}

/// Compresses a streamed answer (SSE, NDJSON) as it goes, each piece flushed as it is sent.
pub(super) fn compress_stream(response: &mut Response, coding: Option<Coding>) {
    let Some(coding) = coding else {
        return;
    };
    let encoder = match StreamEncoder::new(coding) {
        Ok(encoder) => encoder,
        Err(error) => {
            tracing::error!(%error, "failed to start compressing a stream");
            return;
        }
    };
    let data = std::mem::take(response.body_mut()).into_data_stream();
    let pieces = futures_util::stream::unfold(Some((data, encoder)), |state| async move {
        let (mut data, mut encoder) = state?;
        match data.next().await {
            Some(Ok(bytes)) => match encoder.piece(&bytes) {
                Ok(out) => Some((Ok(out), Some((data, encoder)))),
                Err(error) => Some((Err(error), None)),
            },
            Some(Err(error)) => Some((Err(io::Error::other(error)), None)),
            None => Some((encoder.finish(), None)),
        }
    });
    *response.body_mut() = Body::from_stream(pieces);
    response.headers_mut().remove(header::CONTENT_LENGTH);
    mark(response.headers_mut(), Some(coding));
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
