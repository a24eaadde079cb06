//! Connect for what only the gRPC side serves (the reflection and health services, a service's
//! chunked uploads): each Connect call is rewritten into a gRPC call and its answer back into
//! Connect. Both protocols
//! put a message in the same five-byte envelope, so stream bodies pass through unchanged; the
//! gRPC trailers become the end-of-stream envelope. These services speak protobuf only.

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use bytes::BytesMut;
use futures_util::StreamExt as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt as _;

use super::CallKind;
use super::stream::{end_stream, stream_error, stream_response};
use crate::compression::Compression;
use crate::grpc::BoxGrpcService;
use crate::http::{content_type_essence, render};
use crate::method::Encoding;
use crate::status::Status;

/// The largest unary request or answer the bridge holds; these services' messages are small.
const LIMIT: usize = 4 << 20;

/// Answers a Connect call to a gRPC-only service.
pub(crate) async fn call(
    grpc: BoxGrpcService,
    compression: Compression,
    kind: CallKind,
    request: Request,
) -> Response {
    let protobuf = match kind {
        CallKind::Unary => {
            content_type_essence(request.headers()).as_deref() == Some("application/proto")
        }
        CallKind::Stream => {
            content_type_essence(request.headers()).as_deref() == Some("application/connect+proto")
        }
    };
    if !protobuf || request.method() != Method::POST {
        let status = Status::unimplemented(format!(
            "`{}` is served over Connect with protobuf only: POST `application/proto` or \
             `application/connect+proto`",
            request.uri().path()
        ));
        return match kind {
            CallKind::Unary => {
                let mut response = render(&status);
                *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                response
            }
            CallKind::Stream => stream_error(Encoding::Json, &status),
        };
    }
    match kind {
        CallKind::Unary => unary(grpc, &compression, request).await,
        CallKind::Stream => stream(grpc, request).await,
    }
}

/// A Connect stream: the body passes through as gRPC frames, the answer's frames back as
/// envelopes, and its trailers as the end of the stream.
async fn stream(grpc: BoxGrpcService, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Err(status) = grpc_headers(&mut parts.headers, true) {
        return stream_error(Encoding::Proto, &status);
    }
    let response = match grpc.call(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let mut headers = leading_metadata(&parts.headers);
    if let Some(coding) = parts.headers.get("grpc-encoding") {
        headers.insert("connect-content-encoding", coding.clone());
    }
    if let Some(status) = trailers_only(&parts.headers) {
        return stream_response(
            Encoding::Proto,
            headers,
            Body::from(end_stream(status.as_ref(), None)),
        );
    }
    let frames = futures_util::stream::unfold(Some(body), |body| async move {
        let mut body = body?;
        match body.frame().await {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => Some((data, Some(body))),
                Err(frame) => {
                    let trailers = frame.into_trailers().unwrap_or_default();
                    let status = status_of(&trailers);
                    Some((end_stream(status.as_ref(), Some(&trailers)), None))
                }
            },
            Some(Err(error)) => {
                let status = Status::internal(format!("the stream broke: {error}"));
                Some((end_stream(Some(&status), None), None))
            }
            None => Some((
                end_stream(
                    Some(&Status::internal("the stream ended without a status")),
                    None,
                ),
                None,
            )),
        }
    })
    .map(Ok::<_, std::convert::Infallible>);
    stream_response(Encoding::Proto, headers, Body::from_stream(frames))
}

/// A Connect unary call: the body becomes one gRPC frame, and the answer's one frame the
/// body of the answer.
async fn unary(grpc: BoxGrpcService, compression: &Compression, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Err(status) = grpc_headers(&mut parts.headers, false) {
        return render(&status);
    }
    let body = match compression.request_coding(parts.headers.get(header::CONTENT_ENCODING)) {
        Ok(coding) => crate::http::inflate_with(coding, &mut parts.headers, body),
        Err(name) => return super::unary::unsupported_compression(compression, &name),
    };
    let message = match axum::body::to_bytes(body, LIMIT).await {
        Ok(message) => message,
        Err(error) => {
            return render(&Status::invalid_argument(format!(
                "the request could not be read: {error}"
            )));
        }
    };
    let mut framed = BytesMut::with_capacity(message.len() + 5);
    framed.extend_from_slice(&[0]);
    framed.extend_from_slice(
        &u32::try_from(message.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    framed.extend_from_slice(&message);
    let accepted = compression.answer_coding(parts.headers.get(header::ACCEPT_ENCODING));
    let response = match grpc
        .call(Request::from_parts(parts, Body::from(framed.freeze())))
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    if let Some(status) = trailers_only(&parts.headers) {
        return render(&status.unwrap_or_else(|| Status::internal("the method gave no answer")));
    }
    let collected = match http_body_util::Limited::new(body, LIMIT + 5)
        .collect()
        .await
    {
        Ok(collected) => collected,
        Err(error) => return render(&Status::internal(format!("the answer broke: {error}"))),
    };
    let trailers = collected.trailers().cloned().unwrap_or_default();
    if let Some(status) = status_of(&trailers) {
        return render(&status);
    }
    let mut bytes = collected.to_bytes();
    if bytes.len() < 5 || bytes[0] != 0 {
        return render(&Status::internal("the method's answer is not one message"));
    }
    let message = bytes.split_off(5);
    let (body, coding) = compression.compress_bytes(accepted, message);
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/proto"),
        )],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .extend(leading_metadata(&parts.headers));
    if accepted.is_some() {
        crate::http::mark(response.headers_mut(), coding);
    }
    response
}

/// Rewrites a Connect request's headers into a gRPC request's. A unary call's body is sent
/// uncompressed, and its answer asked for uncompressed: the bridge reads both whole.
fn grpc_headers(headers: &mut HeaderMap, stream: bool) -> Result<(), Status> {
    super::check_version(headers)?;
    let timeout = super::timeout(headers)?;
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc+proto"),
    );
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    headers.remove("connect-protocol-version");
    headers.remove("connect-timeout-ms");
    if let Some(timeout) = timeout {
        let millis = timeout.as_millis().min(99_999_999);
        if let Ok(value) = HeaderValue::from_str(&format!("{millis}m")) {
            headers.insert("grpc-timeout", value);
        }
    }
    if stream {
        for (from, to) in [
            ("connect-content-encoding", "grpc-encoding"),
            ("connect-accept-encoding", "grpc-accept-encoding"),
        ] {
            if let Some(value) = headers.remove(from) {
                headers.insert(HeaderName::from_static(to), value);
            }
        }
    }
    Ok(())
}

/// The status of a trailers-only answer (`grpc-status` among the headers): `Some(None)` for OK.
fn trailers_only(headers: &HeaderMap) -> Option<Option<Status>> {
    headers
        .contains_key("grpc-status")
        .then(|| status_of(headers))
}

/// The error a gRPC answer's trailers carry, if any.
fn status_of(trailers: &HeaderMap) -> Option<Status> {
    match Status::from_header_map(trailers) {
        Some(status) if status.code() == tonic::Code::Ok => None,
        Some(status) => Some(status),
        None => Some(Status::internal("the answer carries no status")),
    }
}

/// The headers of a gRPC answer that are the application's: all but the protocol's own.
fn leading_metadata(headers: &HeaderMap) -> HeaderMap {
    headers
        .iter()
        .filter(|(name, _)| !is_protocol_header(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

pub(super) fn is_protocol_header(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("grpc-")
        || name == "content-type"
        || name == "content-length"
        || name == "te"
        || name == "trailer"
}
