//! WebSocket endpoints: the frames, the calls they start, and the loop of one connection.
//!
//! A text frame carries JSON, a binary frame a `protoapi.Frame` message; each call answers in
//! the encoding of the frame that started it. docs/websocket.md shows every frame.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts as _, RawPathParams, Request};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Future, FutureExt as _, SinkExt as _, StreamExt as _, TryStreamExt as _};
use http::{HeaderMap, StatusCode, header};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status};

use crate::context::{Context, Transport};
use crate::download::Download;
use crate::http::error_response;
use crate::message::ProtoMessage;
use crate::path::HttpConfig;
use crate::status::{ErrorDetail, code_name, error_details};
use crate::streaming::Streaming;

/// The binary twin of a JSON frame: `protoapi.Frame`, sent in a binary WebSocket message.
///
/// A frame that neither ends a stream nor carries an error carries a message in `data`; a
/// client may leave `data` out for a message whose fields are all at their defaults.
#[protoapi_macros::message(crate = "crate", name = "protoapi.Frame")]
pub struct Frame {
    /// The call's id, chosen by the client; empty for none.
    pub id: String,
    /// On a service socket, the rpc a call's first frame starts, such as `GetStudent`.
    pub method: String,
    /// The request or response message, protobuf-encoded.
    pub data: Option<Bytes>,
    /// Ends a client stream (client to server), or a server stream that succeeded (server to
    /// client). A client that sends `end` for a call whose requests are all sent cancels it.
    pub end: bool,
    /// The call failed (server to client only).
    pub error: Option<FrameError>,
}

/// The error of a failed call: `protoapi.Error`, as in the JSON error body.
#[protoapi_macros::message(crate = "crate", name = "protoapi.Error")]
pub struct FrameError {
    /// The status code's name in snake case, such as `not_found`.
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// The error's details: a `google.rpc.Status` in protobuf, as gRPC sends it in
    /// `grpc-status-details-bin` (for a request that breaks a validation rule, its details hold
    /// a `google.rpc.BadRequest`); empty when the error has none.
    pub details: Bytes,
}

/// Settings of every WebSocket endpoint of a server.
///
/// The server pings a connection on which nothing arrived for `ping_interval`, and closes one on
/// which nothing (not even a pong) arrived for `idle_timeout`, or that stops reading what the
/// server sends for as long. At most `max_in_flight` calls run at once on one connection; further
/// frames wait to be read. The largest message a connection accepts is the largest limit of its
/// methods (the body limit, or a method's own `limit`); a larger one closes the connection with
/// code 1009.
///
/// ```
/// use std::time::Duration;
///
/// let config = protoapi::WebSocketConfig::default()
///     .ping_interval(Duration::from_secs(20))
///     .idle_timeout(Duration::from_secs(60))
///     .allow_origins(["https://app.example.com"]);
/// # drop(config);
/// ```
#[derive(Clone, Debug)]
pub struct WebSocketConfig {
    ping_interval: Duration,
    idle_timeout: Duration,
    max_in_flight: usize,
    origins: Origins,
}

/// Which `Origin` a browser's handshake may come from.
#[derive(Clone, Debug)]
enum Origins {
    /// The origin's host and port equal the request's `Host`.
    SameHost,
    /// These origins (`https://app.example.com`), and the same host.
    List(Arc<[String]>),
    /// Any origin.
    Any,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            max_in_flight: 64,
            origins: Origins::SameHost,
        }
    }
}

impl WebSocketConfig {
    /// How long a connection may be silent before the server pings it (default 30 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How long a connection may be silent, or refuse what the server writes, before the
    /// server closes it (default 90 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How many calls may run at once on one connection (default 64).
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// Accepts handshakes whose `Origin` is one of `origins` (such as
    /// `https://app.example.com`), besides those from the server's own host. By default only
    /// the server's own host is accepted; a handshake without `Origin` (not from a browser)
    /// always is.
    pub fn allow_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list: Vec<String> = origins
            .into_iter()
            .map(|o| o.into().trim_end_matches('/').to_ascii_lowercase())
            .collect();
        self.origins = Origins::List(list.into());
        self
    }

    /// Accepts handshakes from any origin.
    pub fn allow_any_origin(mut self) -> Self {
        self.origins = Origins::Any;
        self
    }

    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        match &self.origins {
            Origins::Any => return true,
            Origins::List(list) if list.contains(&origin) => return true,
            _ => {}
        }
        // Same host: the origin's authority equals the `Host` header.
        let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| host.eq_ignore_ascii_case(authority))
    }
}

/// Live counts of a server's connections, WebSockets and WebSocket calls: a handle that stays
/// valid while the server runs (`ServerBuilder::stats`).
#[derive(Clone, Debug, Default)]
pub struct Stats(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicUsize,
    websockets: AtomicUsize,
    socket_calls: AtomicUsize,
}

impl Stats {
    /// Open connections (HTTP/1.1 or HTTP/2, whatever they carry).
    pub fn connections(&self) -> usize {
        self.0.connections.load(Ordering::Relaxed)
    }

    /// Open WebSocket connections.
    pub fn websockets(&self) -> usize {
        self.0.websockets.load(Ordering::Relaxed)
    }

    /// Calls running on WebSocket connections.
    pub fn websocket_calls(&self) -> usize {
        self.0.socket_calls.load(Ordering::Relaxed)
    }

    pub(crate) fn connection(&self) -> Live {
        Live::new(self.0.clone(), |c| &c.connections)
    }

    fn websocket(&self) -> Live {
        Live::new(self.0.clone(), |c| &c.websockets)
    }

    fn socket_call(&self) -> Live {
        Live::new(self.0.clone(), |c| &c.socket_calls)
    }
}

/// One live thing, counted until dropped.
pub(crate) struct Live {
    counters: Arc<Counters>,
    counter: fn(&Counters) -> &AtomicUsize,
}

impl Live {
    fn new(counters: Arc<Counters>, counter: fn(&Counters) -> &AtomicUsize) -> Self {
        counter(&counters).fetch_add(1, Ordering::Relaxed);
        Live { counters, counter }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        (self.counter)(&self.counters).fetch_sub(1, Ordering::Relaxed);
    }
}

/// The encoding of a frame, and of every answer to the call it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Json,
    Proto,
}

/// One message of a call, still encoded.
#[derive(Debug)]
pub enum Payload {
    /// The JSON of a message.
    Json(String),
    /// The protobuf encoding of a message.
    Proto(Bytes),
}

impl Payload {
    fn empty(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Json => Payload::Json("{}".to_owned()),
            Encoding::Proto => Payload::Proto(Bytes::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Payload::Json(text) => text.len(),
            Payload::Proto(bytes) => bytes.len(),
        }
    }
}

/// The id of a call: a number or a string, echoed as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
enum Id {
    Unsigned(u64),
    Signed(i64),
    Text(String),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Unsigned(n) => write!(f, "{n}"),
            Id::Signed(n) => write!(f, "{n}"),
            Id::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id::Unsigned(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(u64::try_from(v).map_or(Id::Signed(v), Id::Unsigned))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// A JSON frame from the client.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFrame<'a> {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default, borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    end: bool,
}

/// A JSON frame to the client.
#[derive(Serialize)]
struct JsonAnswer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    end: bool,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    code: &'static str,
    message: &'a str,
    /// As in the HTTP error body; left out when the error has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<ErrorDetail>,
}

/// A frame from the client, whichever its encoding.
struct Incoming {
    encoding: Encoding,
    id: Option<Id>,
    method: Option<String>,
    /// The message it carries: present unless the frame only ends a stream.
    message: Option<Payload>,
    end: bool,
}

fn parse_text(text: &str) -> Result<Incoming, Status> {
    let frame: JsonFrame<'_> = serde_json::from_str(text)
        .map_err(|error| Status::invalid_argument(format!("invalid frame: {error}")))?;
    let message = match frame.data {
        Some(raw) => Some(Payload::Json(raw.get().to_owned())),
        None if !frame.end => Some(Payload::empty(Encoding::Json)),
        None => None,
    };
    Ok(Incoming {
        encoding: Encoding::Json,
        id: frame.id,
        method: frame.method.map(|m| m.into_owned()),
        message,
        end: frame.end,
    })
}

fn parse_binary(bytes: Bytes) -> Result<Incoming, Status> {
    let frame = <Frame as prost::Message>::decode(bytes).map_err(|error| {
        Status::invalid_argument(format!("invalid frame: not a protoapi.Frame: {error}"))
    })?;
    if frame.error.is_some() {
        return Err(Status::invalid_argument(
            "invalid frame: a client does not send errors",
        ));
    }
    let message = match frame.data {
        Some(bytes) => Some(Payload::Proto(bytes)),
        None if !frame.end => Some(Payload::empty(Encoding::Proto)),
        None => None,
    };
    Ok(Incoming {
        encoding: Encoding::Proto,
        id: (!frame.id.is_empty()).then_some(Id::Text(frame.id)),
        method: (!frame.method.is_empty()).then_some(frame.method),
        message,
        end: frame.end,
    })
}

/// How a call ends, besides its messages: the end of a stream, or an error.
enum Answer {
    End,
    Error(Status),
}

fn frame_message(encoding: Encoding, id: Option<&Id>, answer: Answer) -> Message {
    match encoding {
        Encoding::Json => {
            let (error, end) = match &answer {
                Answer::End => (None, true),
                Answer::Error(status) => (
                    Some(ErrorJson {
                        code: error_code(status),
                        message: status.message(),
                        details: error_details(status),
                    }),
                    false,
                ),
            };
            let text = serde_json::to_string(&JsonAnswer { id, error, end }).unwrap_or_else(|_| {
                r#"{"error":{"code":"internal","message":"failed to encode a frame"}}"#.to_owned()
            });
            Message::Text(text.into())
        }
        Encoding::Proto => proto_frame(id, |frame| match answer {
            Answer::End => frame.end = true,
            Answer::Error(status) => {
                frame.error = Some(FrameError {
                    code: error_code(&status).to_owned(),
                    message: status.message().to_owned(),
                    details: Bytes::copy_from_slice(status.details()),
                });
            }
        }),
    }
}

/// A binary frame with the call's id, filled in by `fill`.
fn proto_frame(id: Option<&Id>, fill: impl FnOnce(&mut Frame)) -> Message {
    let mut frame = Frame {
        id: match id {
            Some(Id::Text(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        },
        ..Frame::default()
    };
    fill(&mut frame);
    Message::Binary(prost::Message::encode_to_vec(&frame).into())
}

/// The frame of an answer's message. A JSON one is the whole frame already: a socket call's
/// encoder writes it so ([`Encoder::frame`]).
fn data_message(id: Option<&Id>, payload: Payload) -> Message {
    match payload {
        Payload::Json(text) => Message::Text(text.into()),
        Payload::Proto(bytes) => proto_frame(id, |frame| frame.data = Some(bytes)),
    }
}

/// A failed call's code; a method that fails with `ok` still failed.
fn error_code(status: &Status) -> &'static str {
    match status.code() {
        Code::Ok => code_name(Code::Unknown),
        code => code_name(code),
    }
}

/// The path and query parameters of the handshake, which fill every request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    query: Option<String>,
    path: Vec<(String, String)>,
}

/// Decodes one request: the handshake's query, then the message, then the handshake's path;
/// then checks its rules ([`crate::Validate`]).
fn decode<Req: ProtoMessage>(params: &Params, payload: Option<&Payload>) -> Result<Req, Status> {
    let mut message = Req::default();
    params.merge_query(&mut message)?;
    match payload {
        Some(Payload::Json(text)) => crate::http::merge_json_text(&mut message, text)?,
        Some(Payload::Proto(bytes)) => {
            prost::Message::merge(&mut message, bytes.clone()).map_err(|error| {
                Status::invalid_argument(format!("invalid protobuf message: {error}"))
            })?
        }
        None => {}
    }
    params.merge_path(&mut message)?;
    crate::__private::validate::check(&message)?;
    Ok(message)
}

/// Reads one client frame as a connection does — the envelope, then its message as a `Req` —
/// without a connection: a text frame when `binary` is false (its bytes must be UTF-8, as
/// the WebSocket protocol guarantees), a binary one otherwise. `Ok(None)` is a frame that only
/// ends a stream. The fuzz target `ws_frame` drives this; it is not part of the API.
#[doc(hidden)]
pub fn read_frame<Req: ProtoMessage>(binary: bool, bytes: Bytes) -> Result<Option<Req>, Status> {
    let incoming = if binary {
        parse_binary(bytes)?
    } else {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Status::invalid_argument("a text frame must be UTF-8"))?;
        parse_text(text)?
    };
    match incoming.message {
        Some(payload) => decode(&Params::default(), Some(&payload)).map(Some),
        None => Ok(None),
    }
}

impl Params {
    fn merge_query(&self, message: &mut dyn crate::codec::text::TextMessage) -> Result<(), Status> {
        if let Some(query) = &self.query {
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                message.merge_text(&key, &value).map_err(|error| {
                    Status::invalid_argument(format!(
                        "invalid query parameter `{}`: {error}",
                        crate::status::shown(&key)
                    ))
                })?;
            }
        }
        Ok(())
    }

    fn merge_path(&self, message: &mut dyn crate::codec::text::TextMessage) -> Result<(), Status> {
        for (name, value) in &self.path {
            message.merge_text(name, value).map_err(|error| {
                Status::invalid_argument(format!("invalid path parameter `{name}`: {error}"))
            })?;
        }
        Ok(())
    }
}

/// How a call's answers are encoded.
struct Encoder {
    encoding: Encoding,
    /// For a WebSocket's JSON answers: the frame each is written into at once (then
    /// `Payload::Json` holds the whole frame).
    frame: Option<AnswerFrame>,
}

/// The frame of a WebSocket call's JSON answers: `{"id":7,"data":` + message + `}`.
pub(crate) struct AnswerFrame {
    /// `{"id":7,"data":`, written once for all of the call's answers (without the id when
    /// the call has none).
    start: String,
}

impl AnswerFrame {
    fn new(id: Option<&Id>) -> Self {
        let mut start = String::with_capacity(32);
        start.push('{');
        if let Some(id) = id {
            start.push_str("\"id\":");
            match id {
                Id::Unsigned(n) => start.push_str(itoa::Buffer::new().format(*n)),
                Id::Signed(n) => start.push_str(itoa::Buffer::new().format(*n)),
                // A string always serializes.
                Id::Text(text) => start.push_str(&serde_json::to_string(text).unwrap_or_default()),
            }
            start.push(',');
        }
        start.push_str("\"data\":");
        AnswerFrame { start }
    }

    /// The frame of one message: the message's JSON with the frame written around it, rather
    /// than the frame serialized as a map, which would escape its two keys every time.
    fn frame<T: Serialize>(&self, message: &T) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string(message)?;
        text.insert_str(0, &self.start);
        text.push('}');
        Ok(text)
    }
}

impl Encoder {
    /// This encoder, moved out of a state that no longer encodes (which keeps an empty one).
    fn take(&mut self) -> Encoder {
        Encoder {
            encoding: self.encoding,
            frame: self.frame.take(),
        }
    }

    fn encode<Rsp: ProtoMessage>(&self, message: &Rsp) -> Result<Payload, Status> {
        let failed = |error: serde_json::Error| {
            tracing::error!(%error, "failed to encode a JSON answer");
            Status::internal("failed to encode the response")
        };
        match (self.encoding, &self.frame) {
            (Encoding::Json, None) => serde_json::to_string(message)
                .map(Payload::Json)
                .map_err(failed),
            (Encoding::Json, Some(frame)) => {
                frame.frame(message).map(Payload::Json).map_err(failed)
            }
            (Encoding::Proto, _) => Ok(Payload::Proto(
                prost::Message::encode_to_vec(message).into(),
            )),
        }
    }
}

/// The requests of a call: the first frame's message, then those of later frames.
pub(crate) struct Requests {
    pub(crate) encoding: Encoding,
    /// The frame of each JSON answer; see [`Encoder::frame`].
    pub(crate) frame: Option<AnswerFrame>,
    pub(crate) first: Option<Payload>,
    pub(crate) rest: Option<mpsc::Receiver<Payload>>,
}

impl Requests {
    /// The encoder of the call's answers (which takes over the frame).
    fn encoder(&mut self) -> Encoder {
        Encoder {
            encoding: self.encoding,
            frame: self.frame.take(),
        }
    }

    fn stream<Req: ProtoMessage>(self, params: Arc<Params>) -> Streaming<Req> {
        let Requests { first, rest, .. } = self;
        let mut rest = rest;
        let rest = futures_util::stream::poll_fn(move |cx| match rest.as_mut() {
            Some(receiver) => receiver.poll_recv(cx),
            None => std::task::Poll::Ready(None),
        });
        Streaming::new(
            futures_util::stream::iter(first)
                .chain(rest)
                .map(move |payload| decode::<Req>(&params, Some(&payload))),
        )
    }
}

pub(crate) type Answers = BoxStream<'static, Result<Payload, Status>>;
type RunFn = dyn Fn(Context, Arc<Params>, Requests) -> Answers + Send + Sync;

/// One method as a socket runs it, its types erased.
pub struct SocketMethod {
    pub(crate) name: &'static str,
    pub(crate) client_streaming: bool,
    pub(crate) server_streaming: bool,
    pub(crate) limit: Option<u64>,
    pub(crate) run: Box<RunFn>,
}

impl fmt::Debug for SocketMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketMethod")
            .field("name", &self.name)
            .field("client_streaming", &self.client_streaming)
            .field("server_streaming", &self.server_streaming)
            .finish_non_exhaustive()
    }
}

/// A unary method: one request, one response.
pub fn unary<S, F, Req, Rsp, Fut>(
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> SocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    SocketMethod {
        name,
        client_streaming: false,
        server_streaming: false,
        limit,
        run: Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            futures_util::stream::once(async move {
                let request = decode::<Req>(&params, requests.first.as_ref())?;
                let response = call(service, ctx, request).await?;
                encoder.encode(&response)
            })
            .boxed()
        }),
    }
}

/// A download method: one request, the file as a stream of `protoapi.FileChunk` messages.
pub fn download<S, F, Req, Fut>(
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> SocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Download, Status>> + Send + 'static,
    Req: ProtoMessage,
{
    SocketMethod {
        name,
        client_streaming: false,
        server_streaming: true,
        limit,
        run: Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            encoded(
                async move {
                    let request = decode::<Req>(&params, requests.first.as_ref())?;
                    let download = call(service, ctx, request).await?;
                    Ok(Streaming::new(download.into_chunks().map_err(|error| {
                        tracing::error!(%error, "failed to read a download");
                        Status::internal("failed to read the file")
                    })))
                },
                encoder,
            )
        }),
    }
}

/// The answers of a call that returns a stream: the call's error, or each message encoded.
fn encoded<Fut, Rsp>(call: Fut, encoder: Encoder) -> Answers
where
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Rsp: ProtoMessage,
{
    Box::pin(Encoded::Calling(Box::pin(call), encoder))
}

/// The stream of [`encoded`]: one state machine per call instead of a stack of adapters
/// (`once`, `try_flatten`, `map`), each polled per message.
enum Encoded<Fut, Rsp> {
    Calling(std::pin::Pin<Box<Fut>>, Encoder),
    Streaming(Streaming<Rsp>, Encoder),
    Done,
}

impl<Fut, Rsp> futures_util::Stream for Encoded<Fut, Rsp>
where
    Fut: Future<Output = Result<Streaming<Rsp>, Status>>,
    Rsp: ProtoMessage,
{
    type Item = Result<Payload, Status>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            match this {
                Encoded::Calling(call, encoder) => match call.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(stream)) => {
                        *this = Encoded::Streaming(stream, encoder.take());
                    }
                    Poll::Ready(Err(status)) => {
                        *this = Encoded::Done;
                        return Poll::Ready(Some(Err(status)));
                    }
                },
                Encoded::Streaming(stream, encoder) => {
                    return match stream.poll_next_unpin(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(Some(Ok(message))) => {
                            Poll::Ready(Some(encoder.encode(&message)))
                        }
                        Poll::Ready(Some(Err(status))) => Poll::Ready(Some(Err(status))),
                        Poll::Ready(None) => {
                            *this = Encoded::Done;
                            Poll::Ready(None)
                        }
                    };
                }
                Encoded::Done => return Poll::Ready(None),
            }
        }
    }
}

/// A server-streaming method: one request, a stream of responses.
pub fn server_streaming<S, F, Req, Rsp, Fut>(
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> SocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    SocketMethod {
        name,
        client_streaming: false,
        server_streaming: true,
        limit,
        run: Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            encoded(
                async move {
                    let request = decode::<Req>(&params, requests.first.as_ref())?;
                    call(service, ctx, request).await
                },
                encoder,
            )
        }),
    }
}

/// A client-streaming method: a stream of requests, one response.
pub fn client_streaming<S, F, Req, Rsp, Fut>(
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> SocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    SocketMethod {
        name,
        client_streaming: true,
        server_streaming: false,
        limit,
        run: Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            futures_util::stream::once(async move {
                let response = call(service, ctx, requests.stream(params)).await?;
                encoder.encode(&response)
            })
            .boxed()
        }),
    }
}

/// A bidirectional method: a stream of requests, a stream of responses.
pub fn bidi_streaming<S, F, Req, Rsp, Fut>(
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> SocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    SocketMethod {
        name,
        client_streaming: true,
        server_streaming: true,
        limit,
        run: Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            encoded(
                async move { call(service, ctx, requests.stream(params)).await },
                encoder,
            )
        }),
    }
}

/// A WebSocket endpoint: one method at its path, or every method of a service (frames name
/// the method).
pub struct Socket {
    methods: Vec<SocketMethod>,
    /// Whether frames name their method (a service socket).
    named: bool,
    config: WebSocketConfig,
    stats: Stats,
    body_limit: usize,
    fields_limit: usize,
    shutdown: tokio_util::sync::CancellationToken,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("methods", &self.methods)
            .field("named", &self.named)
            .finish_non_exhaustive()
    }
}

impl Socket {
    /// The endpoint of one method.
    pub fn method(config: &HttpConfig, method: SocketMethod) -> Arc<Socket> {
        Socket::new(config, vec![method], false)
    }

    /// The socket of a whole service.
    pub fn service(config: &HttpConfig, methods: Vec<SocketMethod>) -> Arc<Socket> {
        Socket::new(config, methods, true)
    }

    fn new(config: &HttpConfig, methods: Vec<SocketMethod>, named: bool) -> Arc<Socket> {
        Arc::new(Socket {
            methods,
            named,
            config: config.websocket.clone(),
            stats: config.stats.clone(),
            body_limit: config.limits.body_limit(),
            fields_limit: config.limits.fields_limit(),
            shutdown: config.shutdown.clone(),
        })
    }

    fn limit(&self, method: &SocketMethod) -> usize {
        method.limit.map_or(self.body_limit, |l| {
            usize::try_from(l).unwrap_or(usize::MAX)
        })
    }

    /// The largest message the connection accepts.
    fn max_message(&self) -> usize {
        self.methods
            .iter()
            .map(|m| self.limit(m))
            .max()
            .unwrap_or(self.body_limit)
    }

    fn find(&self, name: Option<&str>) -> Result<&SocketMethod, Status> {
        match (self.named, name) {
            (false, None) => self
                .methods
                .first()
                .ok_or_else(|| Status::unimplemented("no method")),
            (false, Some(name)) => {
                self.methods
                    .first()
                    .filter(|m| m.name == name)
                    .ok_or_else(|| {
                        Status::invalid_argument(format!(
                            "this socket serves `{}`, not `{}`",
                            self.methods.first().map_or("", |m| m.name),
                            crate::status::shown(name)
                        ))
                    })
            }
            (true, None) => Err(Status::invalid_argument(
                "the first frame of a call names its `method`",
            )),
            (true, Some(name)) => self.methods.iter().find(|m| m.name == name).ok_or_else(|| {
                let known: Vec<&str> = self.methods.iter().map(|m| m.name).collect();
                Status::unimplemented(format!(
                    "unknown method `{}`; this socket serves {}",
                    crate::status::shown(name),
                    known.join(", ")
                ))
            }),
        }
    }

    /// Answers a handshake: checks the origin, reads the path and query parameters, and
    /// upgrades.
    pub async fn upgrade(self: Arc<Self>, request: Request) -> Response {
        if !self.config.origin_allowed(request.headers()) {
            return error_response(
                StatusCode::FORBIDDEN,
                Code::PermissionDenied,
                "the WebSocket handshake's origin is not allowed",
            );
        }
        let (mut parts, _body) = request.into_parts();
        let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => upgrade,
            Err(rejection) => {
                let status = rejection.status();
                let code = if status == StatusCode::BAD_REQUEST {
                    Code::InvalidArgument
                } else {
                    Code::FailedPrecondition
                };
                return error_response(
                    status,
                    code,
                    &format!("not a WebSocket handshake: {}", rejection.body_text()),
                );
            }
        };
        let path = match RawPathParams::from_request_parts(&mut parts, &()).await {
            Ok(params) => params
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            Err(rejection) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    &rejection.body_text(),
                );
            }
        };
        let query = parts.uri.query();
        if let Some(query) = query {
            let pairs = crate::http::count_pairs(query.as_bytes());
            if pairs > self.fields_limit {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    &format!(
                        "too many query parameters: {pairs}, the limit is {}",
                        self.fields_limit
                    ),
                );
            }
        }
        let params = Arc::new(Params {
            query: query.map(str::to_owned),
            path,
        });
        let max = self.max_message();
        let headers = Arc::new(parts.headers);
        let extensions = Arc::new(parts.extensions);
        upgrade
            .max_message_size(max)
            .max_frame_size(max)
            .read_buffer_size(READ_BUFFER)
            .on_upgrade(move |socket| async move {
                let connection = Connection {
                    socket: self,
                    params,
                    headers,
                    extensions,
                };
                connection.run(socket).await;
            })
            .into_response()
    }
}

/// Whether a request asks to become a WebSocket.
pub fn is_upgrade(request: &Request) -> bool {
    request.method() == http::Method::GET
        && request
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The answer to a plain GET on a path that only serves a WebSocket.
pub async fn upgrade_required() -> Response {
    let mut response = error_response(
        StatusCode::UPGRADE_REQUIRED,
        Code::FailedPrecondition,
        "this path serves a WebSocket: send a GET with `Upgrade: websocket`",
    );
    response
        .headers_mut()
        .insert(header::UPGRADE, http::HeaderValue::from_static("websocket"));
    response
}

/// How long a connection the server closes waits for the client's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The most a socket reads at once. tungstenite zeroes this much of its buffer before every
/// read: its default, 128 KiB, costs more than the read of a small frame.
const READ_BUFFER: usize = 16 << 10;

/// How many requests of one client stream may wait for the method to read them.
const INBOX: usize = 16;

/// A call in progress on a connection.
struct Call {
    /// Where later requests go, while the client stream is open.
    input: Option<mpsc::Sender<Payload>>,
    encoding: Encoding,
    method: &'static str,
    /// A stream in either direction: it may need more frames, or never end by itself.
    streaming: bool,
    /// The largest request message.
    limit: usize,
    /// Set by the call's task before its last frame.
    finished: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::Id,
    abort: tokio::task::AbortHandle,
}

struct Connection {
    socket: Arc<Socket>,
    params: Arc<Params>,
    headers: Arc<HeaderMap>,
    extensions: Arc<http::Extensions>,
}

/// How many frames at hand the connection's loop handles before it looks at its timer, its
/// tokens and its call tasks.
const FRAMES_IN_A_ROW: u32 = 16;

/// What woke the connection's loop.
enum Event {
    /// The client's next message, or the end of its stream.
    Read(Option<Result<Message, axum::Error>>),
    /// A call's task ended.
    Finished(Result<(tokio::task::Id, Option<Id>), tokio::task::JoinError>),
    /// Time to look at the client's silence.
    Tick,
}

/// Why the reading loop stopped.
enum Stop {
    /// The client closed, went away or broke the protocol: nothing more to send.
    Gone,
    /// The server closes with this code and reason.
    Close(u16, &'static str),
}

impl Connection {
    async fn run(self, socket: WebSocket) {
        let _live = self.socket.stats.websocket();
        let config = self.socket.config.clone();
        let writer = Arc::new(Writer::new(socket, config.idle_timeout));
        let mut state = State {
            calls: HashMap::new(),
            tasks: JoinSet::new(),
            permits: Arc::new(Semaphore::new(config.max_in_flight)),
            writer: writer.clone(),
            unflushed: false,
        };
        let tick = config.ping_interval.min(config.idle_timeout) / 2;
        let mut ticks = tokio::time::interval(tick.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_seen = Instant::now();
        let mut pinged = false;
        // Made once, not once per frame: each one made registers with its token when polled.
        let broken = writer.broken.cancelled();
        let shutdown = self.socket.shutdown.cancelled();
        tokio::pin!(broken, shutdown);
        // Frames handled in a row without looking at anything else.
        let mut streak = 0;
        let stop = loop {
            // A frame the socket has at hand is handled at once: a client sending many calls
            // is read without polling the timer, the tokens and the call tasks between its
            // frames. They are looked at every few frames, and whenever no frame is at hand.
            let at_hand = if streak < FRAMES_IN_A_ROW {
                std::future::poll_fn(|cx| Poll::Ready(writer.poll_read(cx))).await
            } else {
                Poll::Pending
            };
            let event = match at_hand {
                Poll::Ready(message) => {
                    streak += 1;
                    Event::Read(message)
                }
                Poll::Pending => {
                    streak = 0;
                    // The answers written since the last wait go out together: pipelined
                    // calls are answered in one socket write rather than one each.
                    if !state.flush().await {
                        break Stop::Gone;
                    }
                    tokio::select! {
                        message = std::future::poll_fn(|cx| writer.poll_read(cx)) => Event::Read(message),
                        Some(done) = state.tasks.join_next_with_id(), if !state.tasks.is_empty() => {
                            Event::Finished(done)
                        }
                        () = &mut broken => break Stop::Gone,
                        () = &mut shutdown => break Stop::Close(1001, "server shutting down"),
                        _ = ticks.tick() => Event::Tick,
                    }
                }
            };
            match event {
                Event::Read(message) => {
                    let message = match message {
                        None => break Stop::Gone,
                        Some(Ok(message)) => message,
                        Some(Err(error)) => break read_error(error),
                    };
                    pinged = false;
                    let (encoding, incoming) = match message {
                        Message::Text(text) => (Encoding::Json, parse_text(text.as_str())),
                        Message::Binary(bytes) => (Encoding::Proto, parse_binary(bytes)),
                        Message::Close(_) => break Stop::Gone,
                        Message::Ping(_) | Message::Pong(_) => {
                            last_seen = Instant::now();
                            continue;
                        }
                    };
                    let sent = match incoming {
                        Ok(frame) => self.handle(&mut state, frame).await,
                        // A frame that could not be read is answered without id.
                        Err(status) => {
                            state
                                .send(frame_message(encoding, None, Answer::Error(status)))
                                .await
                        }
                    };
                    if !sent {
                        break Stop::Gone;
                    }
                    // Read once the frame is handled: waiting for a method to take a request
                    // is not the client's silence.
                    last_seen = Instant::now();
                }
                Event::Finished(done) => {
                    if !state.finished(done).await {
                        break Stop::Gone;
                    }
                }
                Event::Tick => {
                    let silent = last_seen.elapsed();
                    if silent >= config.idle_timeout {
                        break Stop::Close(1000, "idle timeout");
                    }
                    if silent >= config.ping_interval && !pinged {
                        pinged = true;
                        // A call writing now shows the client is there: no ping is needed then.
                        if let Some(mut turn) = writer.try_turn()
                            && !turn.send_flushed(Message::Ping(Bytes::new())).await
                        {
                            break Stop::Gone;
                        }
                    }
                }
            }
        };
        // Every call stops with the connection: their tasks are aborted, which drops the
        // methods' futures and streams.
        state.tasks.abort_all();
        drop(state);
        // The aborted calls give up the turn as their tasks are dropped.
        if let Some(mut turn) = writer.turn().await {
            if let Stop::Close(code, reason) = stop {
                let frame = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                if turn.send_flushed(Message::Close(Some(frame))).await {
                    // Frames the client sent before it saw ours are read and dropped until its
                    // own close frame: a socket closed with them unread is reset, and the reset
                    // may destroy the close frame on its way.
                    let drain = async {
                        while let Some(Ok(message)) =
                            std::future::poll_fn(|cx| writer.poll_read(cx)).await
                        {
                            if let Message::Close(_) = message {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
                }
            }
            let _ = turn.close().await;
        }
    }

    /// Handles one frame; false when the connection is gone.
    async fn handle(&self, state: &mut State, frame: Incoming) -> bool {
        let key = frame.id.clone();
        // A call that sent its last frame is over, even if its task has not been reaped yet.
        state
            .calls
            .retain(|_, call| !call.finished.load(Ordering::Acquire));
        if let Some(call) = state.calls.get_mut(&key) {
            if frame.encoding != call.encoding
                || frame.method.as_deref().is_some_and(|m| m != call.method)
            {
                let status = in_progress(key.as_ref());
                return state
                    .send(frame_message(
                        frame.encoding,
                        key.as_ref(),
                        Answer::Error(status),
                    ))
                    .await;
            }
            match &call.input {
                Some(input) => {
                    if let Some(payload) = &frame.message
                        && payload.len() > call.limit
                    {
                        // The request is lost, so the call fails.
                        let status = too_large(call.limit);
                        call.abort.abort();
                        state.calls.remove(&key);
                        return state
                            .send(frame_message(
                                frame.encoding,
                                key.as_ref(),
                                Answer::Error(status),
                            ))
                            .await;
                    }
                    if let Some(payload) = frame.message {
                        // The method may have stopped reading: then the message is dropped.
                        let _ = input.send(payload).await;
                    }
                    if frame.end
                        && let Some(call) = state.calls.get_mut(&key)
                    {
                        call.input = None;
                    }
                    return true;
                }
                None if frame.end && frame.message.is_none() => {
                    // `end` on a call whose requests are all sent cancels it.
                    let encoding = call.encoding;
                    call.abort.abort();
                    state.calls.remove(&key);
                    return state
                        .send(frame_message(
                            encoding,
                            key.as_ref(),
                            Answer::Error(Status::cancelled("canceled by the client")),
                        ))
                        .await;
                }
                None => {
                    let status = in_progress(key.as_ref());
                    return state
                        .send(frame_message(
                            frame.encoding,
                            key.as_ref(),
                            Answer::Error(status),
                        ))
                        .await;
                }
            }
        }

        let method = match self.socket.find(frame.method.as_deref()) {
            Ok(method) => method,
            Err(status) => {
                if frame.end && frame.message.is_none() {
                    // A late cancel of a call that already ended.
                    return true;
                }
                return state
                    .send(frame_message(
                        frame.encoding,
                        key.as_ref(),
                        Answer::Error(status),
                    ))
                    .await;
            }
        };
        if frame.end && frame.message.is_none() && !method.client_streaming {
            // A late cancel of a call that already ended.
            return true;
        }
        let limit = self.socket.limit(method);
        if let Some(payload) = &frame.message
            && payload.len() > limit
        {
            let status = too_large(limit);
            return state
                .send(frame_message(
                    frame.encoding,
                    key.as_ref(),
                    Answer::Error(status),
                ))
                .await;
        }
        // A call that answers at once takes no permit: only the connection's loop takes them,
        // so one that is free now is still free once the method has been polled.
        // Waiting for a permit is safe while every call in progress is unary: each ends without
        // another frame. A stream might need frames the wait would hold back, or never end.
        let permit = match state.permits.available_permits() {
            1.. => None,
            0 if state.calls.values().any(|call| call.streaming) => {
                let status = Status::resource_exhausted(format!(
                    "too many calls in progress on this connection (at most {})",
                    self.socket.config.max_in_flight
                ));
                return state
                    .send(frame_message(
                        frame.encoding,
                        key.as_ref(),
                        Answer::Error(status),
                    ))
                    .await;
            }
            0 => match state.permits.clone().acquire_owned().await {
                Ok(permit) => Some(permit),
                Err(_) => return false,
            },
        };
        let (input, rest) = if method.client_streaming {
            let (sender, receiver) = mpsc::channel(INBOX);
            ((!frame.end).then_some(sender), Some(receiver))
        } else {
            (None, None)
        };
        let requests = Requests {
            encoding: frame.encoding,
            frame: (frame.encoding == Encoding::Json).then(|| AnswerFrame::new(key.as_ref())),
            first: frame.message,
            rest,
        };
        let ctx = Context::shared(
            Transport::WebSocket,
            self.headers.clone(),
            self.extensions.clone(),
        );
        let live = self.socket.stats.socket_call();
        let mut answers = (method.run)(ctx, self.params.clone(), requests);
        if !method.client_streaming && !method.server_streaming {
            // Most unary methods answer at once: then the answer goes out from here, without
            // a task of its own. One that has to wait goes on in its task below.
            let polled = std::future::poll_fn(|cx| {
                Poll::Ready(std::panic::catch_unwind(AssertUnwindSafe(|| {
                    answers.poll_next_unpin(cx)
                })))
            })
            .await;
            let answer = match polled {
                Ok(Poll::Pending) => None,
                Ok(Poll::Ready(Some(Ok(payload)))) => {
                    let message = data_message(key.as_ref(), payload);
                    drop((permit, live));
                    return state.send(message).await;
                }
                Ok(Poll::Ready(Some(Err(status)))) => {
                    tracing::debug!(code = ?status.code(), message = status.message(), "socket call failed");
                    Some(Answer::Error(status))
                }
                Ok(Poll::Ready(None)) => {
                    Some(Answer::Error(Status::internal("the method gave no answer")))
                }
                Err(_) => Some(Answer::Error(crate::status::panicked(Some(method.name)))),
            };
            if let Some(answer) = answer {
                drop((permit, live));
                return state
                    .send(frame_message(frame.encoding, key.as_ref(), answer))
                    .await;
            }
        }
        let permit = match permit {
            Some(permit) => permit,
            None => match state.permits.clone().acquire_owned().await {
                Ok(permit) => permit,
                Err(_) => return false,
            },
        };
        // The call's task writes in turns: what the loop wrote alone goes out first.
        if !state.flush().await {
            return false;
        }
        let writer = state.writer.clone();
        let encoding = frame.encoding;
        let server_streaming = method.server_streaming;
        let id = key.clone();
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = Done {
            permit: Some(permit),
            finished: finished.clone(),
        };
        let abort = state.tasks.spawn(async move {
            let _live = live;
            answer(
                answers,
                writer,
                encoding,
                id.as_ref(),
                server_streaming,
                done,
            )
            .await;
            id
        });
        state.calls.insert(
            key,
            Call {
                input,
                encoding,
                method: method.name,
                streaming: method.client_streaming || method.server_streaming,
                finished,
                limit,
                task: abort.id(),
                abort,
            },
        );
        true
    }
}

fn in_progress(id: Option<&Id>) -> Status {
    Status::already_exists(format!(
        "call {} is in progress",
        id.map_or_else(|| "without id".to_owned(), Id::to_string)
    ))
}

fn too_large(limit: usize) -> Status {
    Status::resource_exhausted(format!(
        "the message is larger than the limit of {limit} bytes"
    ))
}

/// Sends a call's answers: each message, then the end of a stream, or the error.
///
/// Before the last frame goes out, the call is marked finished and gives back its permit, so
/// that a client which answers that frame with a new call (perhaps reusing the id) finds room.
///
/// The messages a stream has ready at once are written in one turn (up to about
/// [`TURN_BYTES`]); they are flushed once the stream has no more at hand, so that a fast stream
/// is written in few socket writes.
async fn answer(
    mut answers: Answers,
    writer: Arc<Writer>,
    encoding: Encoding,
    id: Option<&Id>,
    server_streaming: bool,
    mut done: Done,
) {
    // Frames ready together are handed to the socket a few at a time: few enough that they
    // are freed (once the socket has copied them) while the allocator still has them at hand.
    // `ready`: the first message of the next turn, taken when a turn ended with more at hand.
    let mut ready = None;
    loop {
        let item = match ready.take() {
            Some(item) => item,
            None => match answers.next().await {
                Some(item) => item,
                None => break,
            },
        };
        let Some(mut turn) = writer.turn().await else {
            return;
        };
        let mut item = Some(item);
        let mut written = 0;
        let mut over = false;
        while let Some(next) = item.take() {
            let message = match next {
                Ok(payload) => {
                    over = !server_streaming;
                    data_message(id, payload)
                }
                Err(status) => {
                    tracing::debug!(code = ?status.code(), message = status.message(), "socket call failed");
                    over = true;
                    frame_message(encoding, id, Answer::Error(status))
                }
            };
            written += frame_len(&message);
            turn.queue(message);
            if !over && written < TURN_BYTES {
                match answers.next().now_or_never() {
                    Some(Some(next)) => item = Some(next),
                    Some(None) => {
                        over = true;
                        turn.queue(frame_message(encoding, id, Answer::End));
                    }
                    None => {}
                }
            }
            if over {
                done.finish();
            }
            if (item.is_none() || turn.queued() >= CHUNK_FRAMES) && !turn.send_queued().await {
                return;
            }
        }
        // A turn that spent its budget with the stream still ready is not flushed: the socket
        // writes its buffer out once that is full, as a hand-written loop of `feed` would.
        // The frames are flushed as soon as the stream has nothing at hand, or ends.
        let mut ended = false;
        if !over && written >= TURN_BYTES {
            match answers.next().now_or_never() {
                Some(Some(next)) => {
                    ready = Some(next);
                    continue;
                }
                Some(None) => ended = true,
                None => {}
            }
        }
        if !turn.flush().await || over {
            return;
        }
        if ended {
            break;
        }
    }
    done.finish();
    if server_streaming {
        writer
            .send_one(frame_message(encoding, id, Answer::End))
            .await;
    }
}

/// What a call gives back when it is done: its permit, and the mark that it finished.
struct Done {
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    finished: Arc<std::sync::atomic::AtomicBool>,
}

impl Done {
    fn finish(&mut self) {
        self.finished.store(true, Ordering::Release);
        self.permit = None;
    }
}

struct State {
    calls: HashMap<Option<Id>, Call>,
    tasks: JoinSet<Option<Id>>,
    permits: Arc<Semaphore>,
    writer: Arc<Writer>,
    /// Frames the loop wrote alone since its last flush. Only while no call task is left:
    /// the loop flushes before it starts one, and before it waits for anything.
    unflushed: bool,
}

impl State {
    /// Sends a frame of the connection's own; false when the connection is broken.
    async fn send(&mut self, message: Message) -> bool {
        if self.tasks.is_empty() {
            // No call task is left that could take the turn: the loop writes alone, and
            // flushes once it has no more frames at hand.
            self.unflushed = true;
            self.writer.write_alone(message).await
        } else {
            self.writer.send_one(message).await
        }
    }

    /// Writes out the frames the loop wrote alone; false when the connection is broken.
    async fn flush(&mut self) -> bool {
        !std::mem::take(&mut self.unflushed) || self.writer.flush().await
    }

    /// A call's task ended: forget the call; a panic is answered with `internal`.
    async fn finished(
        &mut self,
        done: Result<(tokio::task::Id, Option<Id>), tokio::task::JoinError>,
    ) -> bool {
        match done {
            Ok((task, key)) => {
                if self.calls.get(&key).is_some_and(|call| call.task == task) {
                    self.calls.remove(&key);
                }
                true
            }
            Err(error) => {
                let task = error.id();
                let key = self
                    .calls
                    .iter()
                    .find(|(_, call)| call.task == task)
                    .map(|(key, _)| key.clone());
                let Some(key) = key else {
                    return true;
                };
                let Some(call) = self.calls.remove(&key) else {
                    return true;
                };
                if !error.is_panic() {
                    return true;
                }
                self.send(frame_message(
                    call.encoding,
                    key.as_ref(),
                    Answer::Error(crate::status::panicked(Some(call.method))),
                ))
                .await
            }
        }
    }
}

/// What a failed read means: a message over the limit is closed with 1009, anything else ends
/// the connection.
fn read_error(error: axum::Error) -> Stop {
    let inner = error.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Stop::Close(1009, "message too big"),
        Some(tungstenite::Error::Utf8(_)) => Stop::Close(1007, "invalid UTF-8 in a text message"),
        Some(tungstenite::Error::Protocol(_)) => Stop::Close(1002, "protocol error"),
        _ => Stop::Gone,
    }
}

/// The sending side of a connection, shared by its loop and its calls' tasks.
///
/// Whoever has frames to send takes the turn (a fair async lock), writes them straight into the
/// socket, and flushes once it has no more ready: a stream's frames reach the socket without a
/// queue or a task in between. While no call task is left, the connection's loop writes without
/// the turn. The socket sits behind a plain mutex held only within one poll, so that the
/// connection's loop reads while a call writes.
struct Writer {
    socket: std::sync::Mutex<WebSocket>,
    /// The turn, with the frames its holder has queued (kept for the next turn's use).
    turn: tokio::sync::Mutex<VecDeque<Message>>,
    /// How long one turn may wait for a client that does not read.
    timeout: Duration,
    /// Set once a write failed or timed out: the connection is over. Read before every turn;
    /// `broken` wakes the connection's loop.
    is_broken: std::sync::atomic::AtomicBool,
    /// Cancelled once a write failed or timed out.
    broken: CancellationToken,
}

impl Writer {
    fn new(socket: WebSocket, timeout: Duration) -> Self {
        Writer {
            socket: std::sync::Mutex::new(socket),
            turn: tokio::sync::Mutex::new(VecDeque::with_capacity(CHUNK_FRAMES)),
            timeout,
            is_broken: std::sync::atomic::AtomicBool::new(false),
            broken: CancellationToken::new(),
        }
    }

    fn is_broken(&self) -> bool {
        self.is_broken.load(Ordering::Acquire)
    }

    /// Marks the connection broken, and wakes its loop.
    fn break_off(&self) {
        self.is_broken.store(true, Ordering::Release);
        self.broken.cancel();
    }

    /// The socket, for one poll. A panic cannot leave it half-changed in a way that matters
    /// more than the connection breaking, so a poisoned lock is used as it is.
    fn socket(&self) -> std::sync::MutexGuard<'_, WebSocket> {
        self.socket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next message from the client.
    fn poll_read(
        &self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<Message, axum::Error>>> {
        self.socket().poll_next_unpin(cx)
    }

    /// Waits for the turn to write; `None` once the connection is broken.
    async fn turn(&self) -> Option<Turn<'_>> {
        let guard = self.turn.lock().await;
        self.turn_with(guard)
    }

    /// The turn if nobody has it now.
    fn try_turn(&self) -> Option<Turn<'_>> {
        let guard = self.turn.try_lock().ok()?;
        self.turn_with(guard)
    }

    fn turn_with<'a>(
        &'a self,
        mut queued: tokio::sync::MutexGuard<'a, VecDeque<Message>>,
    ) -> Option<Turn<'a>> {
        // Frames of a turn whose task was aborted are not sent in another's.
        queued.clear();
        (!self.is_broken()).then(|| Turn {
            writer: self,
            queued,
            timer: None,
        })
    }

    /// Sends one frame in a turn of its own, and flushes; false when the connection is broken.
    async fn send_one(&self, message: Message) -> bool {
        match self.turn().await {
            Some(mut turn) => turn.send_flushed(message).await,
            None => false,
        }
    }

    /// Hands a frame to the socket without taking the turn (for the connection's loop while
    /// nothing else can write), to go out with the next flush. False when the connection is
    /// broken.
    async fn write_alone(&self, message: Message) -> bool {
        !self.is_broken() && self.poll_socket(&mut None, send(message, false)).await
    }

    /// Writes out what the socket holds. Needs no turn: a flush adds no frame between a
    /// turn's. False when the connection is broken.
    async fn flush(&self) -> bool {
        !self.is_broken()
            && self
                .poll_socket(&mut None, |socket, cx| socket.poll_flush_unpin(cx))
                .await
    }

    /// Polls `op` on the socket until it is done, fails, or `timer` is up (armed with the
    /// writer's timeout the first time the socket is not ready: the client has that long to take
    /// what is written). False, and the connection broken, unless it succeeded.
    async fn poll_socket(
        &self,
        timer: &mut Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
        mut op: impl FnMut(&mut WebSocket, &mut std::task::Context<'_>) -> Poll<Result<(), axum::Error>>,
    ) -> bool {
        let done = std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = op(&mut self.socket(), cx) {
                return Poll::Ready(result.is_ok());
            }
            let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(self.timeout)));
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(false),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        if !done {
            self.break_off();
        }
        done
    }
}

/// The socket operation that hands `message` to the socket, then flushes if `flush`.
fn send(
    message: Message,
    flush: bool,
) -> impl FnMut(&mut WebSocket, &mut std::task::Context<'_>) -> Poll<Result<(), axum::Error>> {
    let mut message = Some(message);
    move |socket, cx| {
        if message.is_some() {
            std::task::ready!(socket.poll_ready_unpin(cx))?;
            if let Some(message) = message.take() {
                socket.start_send_unpin(message)?;
            }
        }
        if flush {
            socket.poll_flush_unpin(cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

/// The right to write for a while: frames sent in one turn go out in order, with no other's in
/// between. A client that does not take them within the writer's timeout breaks the connection.
struct Turn<'a> {
    writer: &'a Writer,
    /// Frames waiting for [`Turn::send_queued`].
    queued: tokio::sync::MutexGuard<'a, VecDeque<Message>>,
    /// The turn's timer ([`Writer::poll_socket`]).
    timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Turn<'_> {
    /// Sends a frame and flushes.
    async fn send_flushed(&mut self, message: Message) -> bool {
        self.poll_socket(send(message, true)).await
    }

    /// Queues a frame for [`Turn::send_queued`].
    fn queue(&mut self, message: Message) {
        self.queued.push_back(message);
    }

    /// How many frames are queued.
    fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Hands the queued frames to the socket in order: one lock of the socket for all of them
    /// unless it has to wait. The queue's buffer is kept for the connection's next frames.
    async fn send_queued(&mut self) -> bool {
        let mut frames = std::mem::take(&mut *self.queued);
        let sent = self
            .poll_socket(|socket, cx| {
                while !frames.is_empty() {
                    std::task::ready!(socket.poll_ready_unpin(cx))?;
                    if let Some(message) = frames.pop_front() {
                        socket.start_send_unpin(message)?;
                    }
                }
                Poll::Ready(Ok(()))
            })
            .await;
        frames.clear();
        *self.queued = frames;
        sent
    }

    /// Writes out what the socket holds.
    async fn flush(&mut self) -> bool {
        self.poll_socket(|socket, cx| socket.poll_flush_unpin(cx))
            .await
    }

    /// Closes the socket (a close frame if none was sent yet, then the end of the stream).
    async fn close(&mut self) -> bool {
        self.poll_socket(|socket, cx| socket.poll_close_unpin(cx))
            .await
    }

    /// Polls `op` on the socket ([`Writer::poll_socket`]).
    async fn poll_socket(
        &mut self,
        op: impl FnMut(&mut WebSocket, &mut std::task::Context<'_>) -> Poll<Result<(), axum::Error>>,
    ) -> bool {
        self.writer.poll_socket(&mut self.timer, op).await
    }
}

/// About how many bytes of one call's frames go out in one turn before it lets others write.
const TURN_BYTES: usize = 64 << 10;
/// How many ready frames of a call are handed to the socket at once: the 4 texts and 4 `Bytes`
/// headers of 4 frames fit glibc's per-size cache of 7 freed blocks, which 8 frames overflowed
/// (4 % more time per message in the stream benchmark).
const CHUNK_FRAMES: usize = 4;

/// The length of a frame's payload.
fn frame_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) | Message::Ping(bytes) | Message::Pong(bytes) => bytes.len(),
        Message::Close(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Note {
        n: u32,
    }

    #[test]
    fn answer_frames_carry_the_call_id_as_the_client_sent_it() {
        let frame = |id: Option<Id>| {
            AnswerFrame::new(id.as_ref())
                .frame(&Note { n: 1 })
                .expect("a frame")
        };
        assert_eq!(frame(None), r#"{"data":{"n":1}}"#);
        assert_eq!(frame(Some(Id::Unsigned(7))), r#"{"id":7,"data":{"n":1}}"#);
        assert_eq!(
            frame(Some(Id::Unsigned(u64::MAX))),
            r#"{"id":18446744073709551615,"data":{"n":1}}"#
        );
        assert_eq!(frame(Some(Id::Signed(-3))), r#"{"id":-3,"data":{"n":1}}"#);
        assert_eq!(
            frame(Some(Id::Text("a\"b\\ü\n".to_owned()))),
            r#"{"id":"a\"b\\ü\n","data":{"n":1}}"#
        );
    }
}
