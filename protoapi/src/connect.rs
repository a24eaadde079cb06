//! The Connect protocol (<https://connectrpc.com/docs/protocol>) for unary and server-streaming
//! methods, at the gRPC paths `/<package>.<Service>/<Method>`.
//!
//! - Unary: `POST` with `application/json` or `application/proto`; the answer is the message
//!   itself, or an error with the JSON error body and the HTTP status of its code.
//! - Unary `GET` for methods marked side-effect free (those with a `GET` route):
//!   `?encoding=json&message=...` (`base64=1` for URL-safe base64), `connect=v1`.
//! - Server streaming: `POST` with `application/connect+json` or `application/connect+proto`;
//!   the request is one enveloped message, the answer enveloped messages and an end-of-stream
//!   envelope `{"error": ...}` (always `200 OK`).
//!
//! Each call runs through the same type-erased method as a WebSocket call ([`SocketMethod`]), so
//! decoding, validation and encoding are those of every other transport. Compression is not
//! supported: a compressed request gets `unimplemented`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use bytes::{BufMut as _, Bytes, BytesMut};
use futures_util::{FutureExt as _, StreamExt as _};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::value::RawValue;

use crate::__private::socket::{Answers, Encoding, Params, Payload, Requests, SocketMethod};
use crate::context::{Context, Transport};
use crate::http::{content_type_essence, content_type_text, read_body};
use crate::http::{error_response, render};
use crate::server::Protocol;
use crate::status::{Code, Status, error_json};

/// The envelope flag of a compressed message.
const COMPRESSED: u8 = 0b01;
/// The envelope flag of the end-of-stream message.
const END_STREAM: u8 = 0b10;

/// The Connect side of one service: its methods, by rpc name.
pub(crate) struct ConnectService {
    service: String,
    methods: Vec<ConnectMethod>,
    body_limit: usize,
}

struct ConnectMethod {
    method: SocketMethod,
    /// Whether `GET` may call it.
    no_side_effects: bool,
}

impl ConnectService {
    pub(crate) fn new(
        service: String,
        methods: Vec<(SocketMethod, bool)>,
        body_limit: usize,
    ) -> Arc<Self> {
        Arc::new(ConnectService {
            service,
            methods: methods
                .into_iter()
                .map(|(method, no_side_effects)| ConnectMethod {
                    method,
                    no_side_effects,
                })
                .collect(),
            body_limit,
        })
    }

    /// Answers a Connect request at `/<service>/<method>`.
    pub(crate) async fn call(self: Arc<Self>, protocol: Protocol, request: Request) -> Response {
        let name = request
            .uri()
            .path()
            .strip_prefix('/')
            .and_then(|path| path.strip_prefix(self.service.as_str()))
            .and_then(|path| path.strip_prefix('/'))
            .unwrap_or_default();
        let Some(method) = self.methods.iter().find(|m| m.method.name == name) else {
            return render(&Status::unimplemented(format!(
                "unknown method `{}` of service `{}`",
                crate::status::shown(name),
                self.service
            )));
        };
        let name = method.method.name;
        let streaming = method.method.server_streaming;
        if method.method.client_streaming {
            let status = Status::unimplemented(format!(
                "`{}/{name}` takes a stream of requests: call it over gRPC or a WebSocket",
                self.service
            ));
            return match protocol {
                Protocol::ConnectStream => stream_error(Encoding::Json, &status),
                _ => render(&status),
            };
        }
        match (protocol, streaming) {
            (Protocol::ConnectUnary, false) => self.unary(method, request).await,
            (Protocol::ConnectStream, true) => self.server_stream(method, request).await,
            (Protocol::ConnectUnary, true) => unsupported(
                &request,
                "`application/connect+json` or `application/connect+proto`: the method streams its answers",
            ),
            _ => unsupported(
                &request,
                "`application/json` or `application/proto`: the method answers once",
            ),
        }
    }

    fn limit(&self, method: &SocketMethod) -> usize {
        method.limit.map_or(self.body_limit, |bytes| {
            usize::try_from(bytes).unwrap_or(usize::MAX)
        })
    }

    async fn unary(&self, method: &ConnectMethod, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let parsed = if parts.method == Method::GET {
            if !method.no_side_effects {
                let mut response = render(&Status::invalid_argument(format!(
                    "`{}` is not marked side-effect free: call it with POST",
                    method.method.name
                )));
                *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            get_message(parts.uri.query().unwrap_or_default())
        } else {
            match check_headers(&parts.headers, "content-encoding") {
                Ok(()) => {}
                Err(status) => return render(&status),
            }
            let encoding = if content_type_is(&parts.headers, "application/proto") {
                Encoding::Proto
            } else {
                Encoding::Json
            };
            match read_body(&parts.headers, body, self.limit(&method.method)).await {
                Ok(bytes) => payload(encoding, bytes),
                Err(rejection) => return rejection.into_response(false),
            }
        };
        let (encoding, payload) = match parsed {
            Ok(parsed) => parsed,
            Err(status) => return render(&status),
        };
        let timeout = match timeout(&parts.headers) {
            Ok(timeout) => timeout,
            Err(status) => return render(&status),
        };
        let ctx = Context::new(Transport::Connect, parts.headers, parts.extensions);
        let requests = Requests {
            encoding,
            frame: None,
            first: Some(payload),
            rest: None,
        };
        let mut answers = (method.method.run)(ctx, Arc::new(Params::default()), requests);
        let answer = match timeout {
            Some(limit) => match tokio::time::timeout(limit, next(&mut answers)).await {
                Ok(answer) => answer,
                Err(_) => Some(Err(Status::deadline_exceeded("the call's deadline passed"))),
            },
            None => next(&mut answers).await,
        };
        match answer {
            Some(Ok(payload)) => {
                let content_type = match payload {
                    Payload::Json(_) => "application/json",
                    Payload::Proto(_) => "application/proto",
                };
                (
                    [(header::CONTENT_TYPE, content_type)],
                    payload_bytes(payload),
                )
                    .into_response()
            }
            Some(Err(status)) => render(&status),
            None => render(&Status::internal("the method gave no answer")),
        }
    }

    async fn server_stream(&self, method: &ConnectMethod, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let encoding = if content_type_is(&parts.headers, "application/connect+proto") {
            Encoding::Proto
        } else {
            Encoding::Json
        };
        if let Err(status) = check_headers(&parts.headers, "connect-content-encoding") {
            return stream_error(encoding, &status);
        }
        let timeout = match timeout(&parts.headers) {
            Ok(timeout) => timeout,
            Err(status) => return stream_error(encoding, &status),
        };
        // The envelope adds five bytes to the message.
        let limit = self.limit(&method.method).saturating_add(5);
        let bytes = match read_body(&parts.headers, body, limit).await {
            Ok(bytes) => bytes,
            Err(rejection) => {
                return stream_error(encoding, &Status::resource_exhausted(rejection.message()));
            }
        };
        let message = match unenvelope(bytes) {
            Ok(message) => message,
            Err(status) => return stream_error(encoding, &status),
        };
        let payload = match payload(encoding, message) {
            Ok((_, payload)) => payload,
            Err(status) => return stream_error(encoding, &status),
        };
        let ctx = Context::new(Transport::Connect, parts.headers, parts.extensions);
        let requests = Requests {
            encoding,
            frame: None,
            first: Some(payload),
            rest: None,
        };
        let answers = (method.method.run)(ctx, Arc::new(Params::default()), requests);
        let deadline = timeout.map(|limit| tokio::time::Instant::now() + limit);
        // Messages until the first error, then the end-of-stream envelope.
        let body = futures_util::stream::unfold(Some(answers), move |answers| async move {
            let mut answers = answers?;
            let answer = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, next(&mut answers))
                    .await
                    .unwrap_or_else(|_| {
                        Some(Err(Status::deadline_exceeded("the call's deadline passed")))
                    }),
                None => next(&mut answers).await,
            };
            match answer {
                Some(Ok(payload)) => Some((envelope(0, payload_bytes(payload)), Some(answers))),
                Some(Err(status)) => Some((end_stream(Some(&status)), None)),
                None => Some((end_stream(None), None)),
            }
        })
        .map(Ok::<_, std::convert::Infallible>);
        stream_response(encoding, Body::from_stream(body))
    }
}

/// The next answer of a call; a method that panics answers `internal` and ends the call.
async fn next(answers: &mut Answers) -> Option<Result<Payload, Status>> {
    match std::panic::AssertUnwindSafe(answers.next())
        .catch_unwind()
        .await
    {
        Ok(answer) => answer,
        Err(_) => Some(Err(crate::status::panicked(None))),
    }
}

/// Refuses compressed requests: protoapi reads only `identity`.
fn check_headers(headers: &HeaderMap, encoding_header: &str) -> Result<(), Status> {
    if let Some(version) = headers.get("connect-protocol-version")
        && version.as_bytes() != b"1"
    {
        return Err(Status::invalid_argument(
            "unsupported connect-protocol-version: this server speaks version 1",
        ));
    }
    match headers.get(encoding_header).map(HeaderValue::as_bytes) {
        None | Some(b"identity") => Ok(()),
        Some(other) => Err(Status::unimplemented(format!(
            "unsupported compression `{}`: this server reads only identity",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// The `connect-timeout-ms` header: at most ten digits.
fn timeout(headers: &HeaderMap) -> Result<Option<Duration>, Status> {
    let Some(value) = headers.get("connect-timeout-ms") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .filter(|text| !text.is_empty() && text.len() <= 10)
        .and_then(|text| text.parse::<u64>().ok())
        .map(|ms| Some(Duration::from_millis(ms)))
        .ok_or_else(|| {
            Status::invalid_argument("invalid connect-timeout-ms: not a number of milliseconds")
        })
}

fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    content_type_essence(headers).as_deref() == Some(expected)
}

/// A request message in its encoding; an empty JSON body is the empty message.
fn payload(encoding: Encoding, bytes: Bytes) -> Result<(Encoding, Payload), Status> {
    let payload = match encoding {
        Encoding::Proto => Payload::Proto(bytes),
        Encoding::Json => {
            let text = if bytes.iter().all(u8::is_ascii_whitespace) {
                "{}".to_owned()
            } else {
                String::from_utf8(bytes.into())
                    .map_err(|_| Status::invalid_argument("invalid JSON: not UTF-8"))?
            };
            // Checked here, so that a broken body is answered as broken JSON.
            let raw = RawValue::from_string(text)
                .map_err(|error| Status::invalid_argument(format!("invalid JSON: {error}")))?;
            Payload::Json(Box::<str>::from(raw).into())
        }
    };
    Ok((encoding, payload))
}

/// The message of a `GET` call, from its query.
fn get_message(query: &str) -> Result<(Encoding, Payload), Status> {
    let mut encoding = None;
    let mut message = None;
    let mut base64 = false;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "encoding" => encoding = Some(value.into_owned()),
            "message" => message = Some(value.into_owned()),
            "base64" => base64 = value == "1",
            "compression" if value != "identity" => {
                return Err(Status::unimplemented(format!(
                    "unsupported compression `{value}`: this server reads only identity"
                )));
            }
            "connect" if value != "v1" => {
                return Err(Status::invalid_argument(
                    "unsupported connect version: this server speaks v1",
                ));
            }
            _ => {}
        }
    }
    let encoding = match encoding.as_deref() {
        Some("json") => Encoding::Json,
        Some("proto") => Encoding::Proto,
        Some(other) => {
            return Err(Status::invalid_argument(format!(
                "unsupported encoding `{other}`: use json or proto"
            )));
        }
        None => {
            return Err(Status::invalid_argument(
                "a GET call names its `encoding` (json or proto) in the query",
            ));
        }
    };
    let message = message.unwrap_or_default();
    let bytes = if base64 {
        let trimmed = message.trim_end_matches('=');
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(trimmed)
            .map_err(|error| {
                Status::invalid_argument(format!("invalid base64 in `message`: {error}"))
            })?
    } else {
        message.into_bytes()
    };
    payload(encoding, Bytes::from(bytes))
}

/// The one message of a streaming request body.
fn unenvelope(mut bytes: Bytes) -> Result<Bytes, Status> {
    if bytes.len() < 5 {
        return Err(Status::invalid_argument(
            "invalid envelope: a streaming request is one enveloped message",
        ));
    }
    let header = bytes.split_to(5);
    let flags = header[0];
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if flags & COMPRESSED != 0 {
        return Err(Status::unimplemented(
            "unsupported compression: this server reads only identity",
        ));
    }
    if flags != 0 {
        return Err(Status::invalid_argument(format!(
            "invalid envelope: unexpected flags {flags:#04x}"
        )));
    }
    if length != bytes.len() {
        return Err(Status::invalid_argument(format!(
            "invalid envelope: it declares {length} bytes and carries {}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// The bytes of an encoded message, without a copy.
fn payload_bytes(payload: Payload) -> Bytes {
    match payload {
        Payload::Json(text) => Bytes::from(text),
        Payload::Proto(bytes) => bytes,
    }
}

fn envelope(flags: u8, message: Bytes) -> Bytes {
    let mut out = BytesMut::with_capacity(message.len() + 5);
    out.put_u8(flags);
    out.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    out.put(message);
    out.freeze()
}

/// The end-of-stream envelope: `{}`, or `{"error": {...}}`.
fn end_stream(status: Option<&Status>) -> Bytes {
    let json = match status {
        None => "{}".to_owned(),
        Some(status) => format!("{{\"error\":{}}}", error_json(status)),
    };
    envelope(END_STREAM, Bytes::from(json))
}

fn stream_response(encoding: Encoding, body: Body) -> Response {
    let content_type = match encoding {
        Encoding::Json => "application/connect+json",
        Encoding::Proto => "application/connect+proto",
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// [`stream_error`] in the encoding the request's content type names.
pub(crate) fn stream_error_for(headers: &HeaderMap, status: &Status) -> Response {
    let encoding = if content_type_is(headers, "application/connect+proto") {
        Encoding::Proto
    } else {
        Encoding::Json
    };
    stream_error(encoding, status)
}

/// A streaming call that fails before it starts: `200 OK` and the end-of-stream error.
fn stream_error(encoding: Encoding, status: &Status) -> Response {
    stream_response(encoding, Body::from(end_stream(Some(status))))
}

/// 415 for a content type the method cannot take.
fn unsupported(request: &Request, accepted: &str) -> Response {
    let given = content_type_text(request.headers());
    error_response(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::InvalidArgument,
        &format!("unsupported content type `{given}`: this method accepts {accepted}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_follows_the_content_type_in_any_case() {
        let of = |method: Method, content_type: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            );
            Protocol::of(&method, &headers)
        };
        for grpc in [
            "application/grpc",
            "Application/GRPC",
            "application/grpc+proto",
            "application/grpc;charset=utf-8",
            " application/grpc ",
            "application/grpc ; x=y",
        ] {
            assert_eq!(of(Method::POST, grpc), Protocol::Grpc, "{grpc}");
        }
        for web in ["application/grpc-web", "application/grpc-web-text+proto"] {
            assert_eq!(of(Method::POST, web), Protocol::GrpcWeb, "{web}");
        }
        assert_eq!(of(Method::POST, "application/grpcx"), Protocol::Other);
        assert_eq!(of(Method::POST, "application/JSON"), Protocol::ConnectUnary);
        assert_eq!(
            of(Method::POST, "application/connect+proto"),
            Protocol::ConnectStream
        );
        assert_eq!(of(Method::PUT, "application/json"), Protocol::Other);
        assert_eq!(
            Protocol::of(&Method::POST, &HeaderMap::new()),
            Protocol::Other
        );
    }

    #[test]
    fn an_envelope_holds_exactly_its_message() {
        let message = Bytes::from_static(b"{\"a\":1}");
        assert_eq!(unenvelope(envelope(0, message.clone())).ok(), Some(message));
        let short = Bytes::from_static(&[0, 0, 0, 0, 9, b'{', b'}']);
        assert_eq!(
            unenvelope(short).err().map(|s| s.message().to_owned()),
            Some("invalid envelope: it declares 9 bytes and carries 2".to_owned())
        );
        assert_eq!(
            unenvelope(Bytes::from_static(&[1, 0, 0, 0, 0]))
                .err()
                .map(|s| s.code()),
            Some(Code::Unimplemented)
        );
    }

    #[test]
    fn get_reads_base64_with_or_without_padding() {
        // `{"n":1}` in URL-safe base64, padded.
        let (encoding, payload) =
            get_message("encoding=json&base64=1&message=eyJuIjoxfQ%3D%3D&connect=v1")
                .unwrap_or_else(|status| panic!("{status:?}"));
        assert_eq!(encoding, Encoding::Json);
        assert_eq!(payload_bytes(payload), Bytes::from_static(b"{\"n\":1}"));
        let error = get_message("message=%7B%7D")
            .err()
            .map(|s| s.message().to_owned());
        assert_eq!(
            error.as_deref(),
            Some("a GET call names its `encoding` (json or proto) in the query")
        );
    }
}
