//! Compressed HTTP bodies, through tower-http's codecs: request bodies in gzip or zstd
//! (`Content-Encoding`) are inflated before a route reads them, so that every limit counts
//! inflated bytes; JSON answers of at least [`MIN_SIZE`] bytes are compressed with the first of
//! zstd and gzip that `Accept-Encoding` allows.

use axum::Router;
use http::{HeaderMap, StatusCode, header};
use tonic::Code;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::decompression::RequestDecompressionLayer;

use super::response::Rejection;

/// The smallest answer worth compressing, in bytes.
pub(crate) const MIN_SIZE: u16 = 1024;

/// `router` with request bodies inflated and JSON answers compressed.
pub(crate) fn layers(router: Router) -> Router {
    // An encoding it does not know passes through, for the route to refuse with the JSON error
    // body (`unsupported_encoding`).
    let inflate = RequestDecompressionLayer::new()
        .gzip(true)
        .zstd(true)
        .pass_through_unaccepted(true);
    let compress = CompressionLayer::new()
        .gzip(true)
        .zstd(true)
        .compress_when(SizeAbove::new(MIN_SIZE).and(JsonAnswer));
    router.layer(compress).layer(inflate)
}

/// Compresses whole JSON answers only: a download keeps its bytes (and its ranges), and a
/// stream (SSE, NDJSON) is written as its items come, which a compressor would hold back.
#[derive(Clone, Copy, Debug)]
struct JsonAnswer;

impl Predicate for JsonAnswer {
    fn should_compress<B: http_body::Body>(&self, response: &http::Response<B>) -> bool {
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let essence = v.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
                    || (essence.starts_with("application/") && essence.ends_with("+json"))
            })
    }
}

/// Refuses a body in an encoding that [`layers`] did not inflate: 415, naming the ones it
/// does.
pub(super) fn check_encoding(headers: &HeaderMap) -> Result<(), Rejection> {
    match headers.get(header::CONTENT_ENCODING) {
        None => Ok(()),
        Some(value) if value.as_bytes().eq_ignore_ascii_case(b"identity") => Ok(()),
        Some(value) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content encoding `{}`: this server accepts gzip, zstd or identity",
                crate::status::shown(&String::from_utf8_lossy(value.as_bytes()))
            ),
        )),
    }
}
