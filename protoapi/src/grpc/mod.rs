//! gRPC, on tonic: the type-erased service the server routes to, one adapter per call shape,
//! the generated clients' calls, gRPC-Web, reflection and health, and how a [`Status`] is
//! answered in gRPC.
//!
//! - `service`: [`BoxGrpcService`], what a generated service becomes for the router;
//! - `charged`: request bodies whose messages are charged to the memory budget;
//! - `unary`: unary calls through one type-erased codec;
//! - `streaming`: downloads and the three streaming shapes;
//! - `upload`: the chunked form of unary methods whose requests have files;
//! - `client`: what generated clients call;
//! - `web`: gRPC-Web;
//! - `reflection`, `health`: the reflection (v1, v1alpha) and health services.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

use crate::status::Status;

mod charged;
pub mod client;
mod health;
mod reflection;
mod service;
mod streaming;
mod unary;
mod upload;
mod web;

pub(crate) use health::{HEALTH_SERVICE, health_service};
pub(crate) use reflection::reflection_services;
pub(crate) use service::{BoxGrpcService, GrpcFuture, with_server_share};
pub(crate) use web::grpc_web_service;

/// What generated code calls on the gRPC side.
pub mod codegen {
    pub use super::client;
    pub use super::service::{BoxGrpcService, CallFuture, boxed, unimplemented};
    pub use super::streaming::{bidi_streaming, client_streaming, download, server_streaming};
    pub use super::unary::unary;
    pub use super::upload::upload;
}

const GRPC: &[u8] = b"application/grpc";

/// Whether a request is gRPC: its content type is `application/grpc`, alone or followed by
/// `+codec` or `;parameters`, in any case (`application/GRPC+proto` is gRPC), spaces around it
/// allowed. gRPC-Web (`application/grpc-web`) is not. Told from the header's bytes, without a
/// copy: the router asks it of every request.
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let bytes = value.as_bytes().trim_ascii_start();
    if bytes.len() < GRPC.len() || !bytes[..GRPC.len()].eq_ignore_ascii_case(GRPC) {
        return false;
    }
    match bytes[GRPC.len()..] {
        [] | [b'+' | b';', ..] => true,
        [space, ..] if space.is_ascii_whitespace() => {
            matches!(bytes[GRPC.len()..].trim_ascii_start(), [] | [b';', ..])
        }
        _ => false,
    }
}

/// A status as a gRPC answer: `200` with `grpc-status` and `grpc-message` (trailers-only).
pub(crate) fn render(status: &Status) -> Response {
    status.clone().into_http::<Body>()
}

/// A status as a gRPC-Web answer: [`render`] with the gRPC-Web content type the client sent.
pub(crate) fn render_web(request_headers: &HeaderMap, status: &Status) -> Response {
    let mut response = render(status);
    const TEXT: &[u8] = b"application/grpc-web-text";
    let text = request_headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            let bytes = value.as_bytes().trim_ascii_start();
            bytes
                .get(..TEXT.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(TEXT))
        });
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if text {
            "application/grpc-web-text+proto"
        } else {
            "application/grpc-web+proto"
        }),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers
    }

    #[test]
    fn the_grpc_content_type_is_told_in_any_case() {
        for grpc in [
            "application/grpc",
            "application/GRPC+proto",
            "Application/Grpc;charset=utf-8",
            "application/grpc+json",
            " application/grpc ",
            "application/grpc ; x=y",
        ] {
            assert!(is_grpc(&headers(grpc)), "{grpc}");
        }
        for other in [
            "application/grpc-web",
            "application/grpcx",
            "application/grpc +proto",
            "application/json",
            "",
        ] {
            assert!(!is_grpc(&headers(other)), "{other}");
        }
        assert!(!is_grpc(&HeaderMap::new()));
    }

    #[test]
    fn a_grpc_web_error_keeps_the_clients_encoding_in_any_case() {
        let status = Status::unauthenticated("no token");
        for (sent, answered) in [
            ("application/grpc-web+proto", "application/grpc-web+proto"),
            (
                "application/grpc-web-text",
                "application/grpc-web-text+proto",
            ),
            (
                "Application/GRPC-Web-Text+proto",
                "application/grpc-web-text+proto",
            ),
        ] {
            let response = render_web(&headers(sent), &status);
            assert_eq!(response.headers()[header::CONTENT_TYPE], answered, "{sent}");
            assert_eq!(response.headers()["grpc-status"], "16", "{sent}");
        }
    }
}
