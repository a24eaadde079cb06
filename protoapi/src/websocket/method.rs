//! What generated code calls: one type-erased [`WebSocketMethod`] per method, made by the
//! adapter of its kind (`unary`, `server_streaming`, ...), which decodes the requests, calls the
//! method and encodes its answers.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Future, StreamExt as _, TryStreamExt as _};
use tokio::sync::mpsc;
use tonic::Status;

use super::frame::{AnswerFrame, Encoding, Payload, parse_binary, parse_text};
use crate::context::Context;
use crate::download::Download;
use crate::message::ProtoMessage;
use crate::streaming::Streaming;

/// The path and query parameters of the handshake, which fill every request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub(super) query: Option<String>,
    pub(super) path: Vec<(String, String)>,
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
    crate::validate::check(&message)?;
    Ok(message)
}

/// Reads one client frame as a connection does — the envelope, then its message as a `Req` —
/// without a connection: a text frame when `binary` is false (its bytes must be UTF-8, as
/// the WebSocket protocol guarantees), a binary one otherwise. `Ok(None)` is a frame that only
/// ends a stream. The fuzz target `websocket_frame` drives this; it is not part of the API.
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

/// One method as a WebSocket (and the Connect protocol) runs it, its types erased.
pub struct WebSocketMethod {
    pub(crate) name: &'static str,
    pub(crate) client_streaming: bool,
    pub(crate) server_streaming: bool,
    pub(crate) limit: Option<u64>,
    pub(crate) run: Box<RunFn>,
}

impl fmt::Debug for WebSocketMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketMethod")
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
) -> WebSocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    WebSocketMethod {
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
) -> WebSocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Download, Status>> + Send + 'static,
    Req: ProtoMessage,
{
    WebSocketMethod {
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
) -> WebSocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    WebSocketMethod {
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
) -> WebSocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    WebSocketMethod {
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
) -> WebSocketMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    WebSocketMethod {
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
