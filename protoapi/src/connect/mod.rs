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
//! Each call runs through the method's [`ErasedMethod`], as a WebSocket call does, so decoding,
//! validation and encoding are those of every other transport. Compression is not
//! supported: a compressed request gets `unimplemented`.
//!
//! - `unary`: unary calls, `POST` and `GET`;
//! - `stream`: server streams and their envelopes, and a [`Status`] as a stream's end.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{FutureExt as _, StreamExt as _};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::value::RawValue;

use crate::budget::MemoryBudget;
use crate::http::{content_type_essence, content_type_text, error_response, render};
use crate::method::{Answers, Encoding, ErasedMethod, Payload};
use crate::status::{Code, Status};

mod stream;
mod unary;

pub(crate) use stream::render_stream;
use stream::stream_error;

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
    body_limit: usize,
    /// The server's memory budget, charged for the bodies read.
    budget: MemoryBudget,
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
        body_limit: usize,
        budget: MemoryBudget,
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
            budget,
        })
    }

    /// Answers a Connect request at `/<service>/<method>`.
    pub(crate) async fn call(self: Arc<Self>, kind: CallKind, request: Request) -> Response {
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
            return match kind {
                CallKind::Stream => stream_error(Encoding::Json, &status),
                CallKind::Unary => render(&status),
            };
        }
        match (kind, streaming) {
            (CallKind::Unary, false) => self.unary(method, request).await,
            (CallKind::Stream, true) => self.server_stream(method, request).await,
            (CallKind::Unary, true) => unsupported(
                &request,
                "`application/connect+json` or `application/connect+proto`: the method streams its answers",
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

/// Refuses compressed requests: protoapi reads only `identity`.
fn check_headers(headers: &HeaderMap, encoding_header: &str) -> Result<(), Status> {
    check_version(headers)?;
    match headers.get(encoding_header).map(HeaderValue::as_bytes) {
        None | Some(b"identity") => Ok(()),
        Some(other) => Err(Status::unimplemented(format!(
            "unsupported compression `{}`: this server reads only identity",
            String::from_utf8_lossy(other)
        ))),
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
