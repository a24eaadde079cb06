//! The Connect protocol (<https://connectrpc.com/docs/protocol>) for every kind of method, at
//! the gRPC paths `/<package>.<Service>/<Method>`.
//!
//! - Unary: `POST` with `application/json` or `application/proto`; the answer is the message
//!   itself, or an error with the JSON error body and the HTTP status of its code. Bodies may be
//!   compressed (`Content-Encoding`, `Accept-Encoding`).
//! - Unary `GET` for methods marked side-effect free (those with a `GET` route):
//!   `?encoding=json&message=...` (`base64=1` for URL-safe base64), `connect=v1`.
//! - Streams (server, client and bidi): `POST` with `application/connect+json` or
//!   `application/connect+proto`; requests and answers are enveloped messages, which may be
//!   compressed (`Connect-Content-Encoding`, `Connect-Accept-Encoding`), and the answer ends
//!   with an end-of-stream envelope `{"error": ..., "metadata": ...}` (always `200 OK`).
//!
//! Each call runs through the method's [`ErasedMethod`], as a WebSocket call does, so decoding,
//! validation and encoding are those of every other transport.
//!
//! - `unary`: unary calls, `POST` and `GET`;
//! - `stream`: streams, their envelopes, and a [`Status`] as a stream's end;
//! - `bridge`: Connect for what only the gRPC side serves (reflection, health, chunked uploads).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{FutureExt as _, StreamExt as _};
use http::{HeaderMap, StatusCode};
use serde_json::value::RawValue;

use crate::budget::MemoryBudget;
use crate::compression::Compression;
use crate::grpc::BoxGrpcService;
use crate::http::{content_type_essence, content_type_text, error_response, render};
use crate::method::{Answers, Encoding, ErasedMethod, Payload};
use crate::status::{Code, Status};

mod bridge;
mod stream;
mod unary;

pub(crate) use bridge::call as bridge;
pub(crate) use stream::render_stream;

/// The shape of a Connect request, from its content type: the router tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// `POST application/json|proto`, or `GET`.
    Unary,
    /// `POST application/connect+json|proto`.
    Stream,
}

/// The Connect side of one service: its methods, by rpc name.
pub(crate) struct ConnectService {
    service: String,
    methods: Vec<ConnectMethod>,
    /// The chunked uploads (`<Rpc>Chunks`), which only the gRPC side serves.
    chunked: Vec<String>,
    body_limit: usize,
    /// The server's memory budget, charged for the bodies read.
    budget: MemoryBudget,
    compression: Compression,
}

struct ConnectMethod {
    method: ErasedMethod,
    /// Whether `GET` may call it.
    no_side_effects: bool,
}

impl ConnectService {
    pub(crate) fn new(
        service: String,
        methods: Vec<(ErasedMethod, bool)>,
        chunked: Vec<String>,
        body_limit: usize,
        budget: MemoryBudget,
        compression: Compression,
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
            chunked,
            body_limit,
            budget,
            compression,
        })
    }

    fn method_name<'a>(&self, path: &'a str) -> &'a str {
        path.strip_prefix('/')
            .and_then(|path| path.strip_prefix(self.service.as_str()))
            .and_then(|path| path.strip_prefix('/'))
            .unwrap_or_default()
    }

    /// Answers a Connect request at `/<service>/<method>`; a method that only the service's
    /// gRPC side serves (a chunked upload) is called through `grpc` when the request is in
    /// protobuf.
    pub(crate) async fn call(
        self: Arc<Self>,
        kind: CallKind,
        request: Request,
        grpc: BoxGrpcService,
    ) -> Response {
        let name = self.method_name(request.uri().path());
        let Some(method) = self.methods.iter().find(|m| m.method.name == name) else {
            let protobuf = matches!(
                content_type_essence(request.headers()).as_deref(),
                Some("application/proto" | "application/connect+proto")
            );
            if protobuf {
                return bridge::call(grpc, self.compression, kind, request).await;
            }
            let status = if self.chunked.iter().any(|chunked| chunked == name) {
                Status::unimplemented(format!(
                    "`{}/{name}` is a chunked upload, served over Connect in protobuf only: \
                     send `application/connect+proto`",
                    self.service
                ))
            } else {
                Status::unimplemented(format!(
                    "unknown method `{}` of service `{}`",
                    crate::status::shown(name),
                    self.service
                ))
            };
            return match kind {
                CallKind::Unary => render(&status),
                CallKind::Stream => render_stream(request.headers(), &status),
            };
        };
        let streaming = method.method.server_streaming || method.method.client_streaming;
        match (kind, streaming) {
            (CallKind::Unary, false) => self.unary(method, request).await,
            (CallKind::Stream, true) => self.stream(method, request).await,
            (CallKind::Unary, true) => unsupported(
                &request,
                "`application/connect+json` or `application/connect+proto`: the method streams",
            ),
            (CallKind::Stream, false) => unsupported(
                &request,
                "`application/json` or `application/proto`: the method answers once",
            ),
        }
    }

    fn limit(&self, method: &ErasedMethod) -> usize {
        method.limit.map_or(self.body_limit, |bytes| {
            usize::try_from(bytes).unwrap_or(usize::MAX)
        })
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

/// `connect-protocol-version`, when sent, is 1.
fn check_version(headers: &HeaderMap) -> Result<(), Status> {
    match headers.get("connect-protocol-version") {
        Some(version) if version.as_bytes() != b"1" => Err(Status::invalid_argument(
            "unsupported connect-protocol-version: this server speaks version 1",
        )),
        _ => Ok(()),
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

/// The bytes of an encoded message, without a copy.
fn payload_bytes(payload: Payload) -> Bytes {
    match payload {
        Payload::Json(text) => Bytes::from(text),
        Payload::Proto(bytes) => bytes,
        Payload::Frame(frame) => Bytes::from(crate::method::frame_text(frame)),
    }
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
