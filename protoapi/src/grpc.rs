//! The gRPC side of generated services: one adapter per call shape, on tonic. Unary calls,
//! the common case, go through one type-erased codec ([`ErasedCodec`]), so that tonic's server
//! machinery is compiled once per service rather than once per method.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryFutureExt as _;
use futures_util::future::MapOk;
use http::uri::PathAndQuery;
use tonic::server::{Grpc, UnaryService};
use tonic::{GrpcMethod, Status};
use tonic_prost::ProstCodec;

use crate::context::{Context, Transport as CallTransport};
use crate::download::{Download, FileChunk};
use crate::limits::Limits;
use crate::message::ProtoMessage;
use crate::streaming::Streaming;
use crate::validate::{self, Validate};

/// The future of a call to a [`BoxGrpcService`].
pub type GrpcFuture = std::pin::Pin<
    Box<dyn Future<Output = Result<http::Response<axum::body::Body>, Infallible>> + Send>,
>;

/// The gRPC service of one protoapi service, type-erased, as the server routes to it.
///
/// Cloning it is a reference count, and a call costs one boxed future: the server clones its
/// gRPC services for every request, and a boxed tower service (`BoxCloneSyncService`) would
/// allocate a copy of each layer every time.
#[derive(Clone)]
pub struct BoxGrpcService(Arc<dyn ErasedGrpc>);

trait ErasedGrpc: Send + Sync + 'static {
    fn call(&self, request: http::Request<axum::body::Body>) -> GrpcFuture;
}

struct Erased<S>(S);

impl<S, B> ErasedGrpc for Erased<S>
where
    S: tower::Service<
            http::Request<axum::body::Body>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    fn call(&self, request: http::Request<axum::body::Body>) -> GrpcFuture {
        use futures_util::FutureExt as _;
        use tower::ServiceExt as _;
        let service = self.0.clone();
        Box::pin(async move {
            // A method that panics (in `call` or in its future) answers `internal` with no
            // detail, and the connection goes on.
            let response = match std::panic::AssertUnwindSafe(service.oneshot(request))
                .catch_unwind()
                .await
            {
                Ok(Ok(response)) => response.map(axum::body::Body::new),
                Err(_) => crate::status::panicked(None).into_http::<axum::body::Body>(),
            };
            Ok(response)
        })
    }
}

impl BoxGrpcService {
    /// Serves one request.
    pub(crate) fn call(&self, request: http::Request<axum::body::Body>) -> GrpcFuture {
        self.0.call(request)
    }
}

impl tower::Service<http::Request<axum::body::Body>> for BoxGrpcService {
    type Response = http::Response<axum::body::Body>;
    type Error = Infallible;
    type Future = GrpcFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> GrpcFuture {
        self.0.call(request)
    }
}

/// Erases a generated (or any tonic) gRPC service for the router.
pub fn boxed<S, B>(service: S) -> BoxGrpcService
where
    S: tower::Service<
            http::Request<axum::body::Body>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    BoxGrpcService(Arc::new(Erased(service)))
}

/// The future of one gRPC call of a generated service.
pub type CallFuture = std::pin::Pin<
    Box<dyn Future<Output = Result<http::Response<tonic::body::Body>, Infallible>> + Send>,
>;

/// A unary method's reply as tonic encodes it: type-erased, so that tonic's server machinery
/// (framing, decoding, encoding, the response body) is compiled once per service rather than
/// once per method; only decoding the request, the call and boxing the reply are per method.
type Reply = Box<dyn EncodeReply>;

trait EncodeReply: Send + 'static {
    fn encode_to(&self, buf: &mut tonic::codec::EncodeBuf<'_>);
}

impl<M: prost::Message + Send + 'static> EncodeReply for M {
    fn encode_to(&self, buf: &mut tonic::codec::EncodeBuf<'_>) {
        self.encode_raw(buf);
    }
}

/// A unary method's request, decoded by tonic's one decoder into a box of the method's type.
type Request = Box<dyn std::any::Any + Send>;

/// Decodes a request message of one type, as tonic's prost codec does.
type DecodeFn = fn(&mut tonic::codec::DecodeBuf<'_>) -> Result<Request, Status>;

fn decode_request<M: ProtoMessage>(
    buf: &mut tonic::codec::DecodeBuf<'_>,
) -> Result<Request, Status> {
    // As tonic's prost codec answers a message that does not decode.
    match <M as prost::Message>::decode(buf) {
        Ok(message) => Ok(Box::new(message)),
        Err(error) => Err(Status::internal(error.to_string())),
    }
}

/// The codec of unary calls: a request is decoded, as soon as tonic has its bytes, by the
/// method's decode function into a box; a reply encodes itself. (Decoding later, from the
/// request's bytes, would hold tonic's read buffer until then: with 64 KiB messages that
/// turned into a page fault every third call, the allocator trimming and regrowing its heap.)
#[derive(Clone, Copy)]
struct ErasedCodec {
    decode: DecodeFn,
}

impl tonic::codec::Codec for ErasedCodec {
    type Encode = Reply;
    type Decode = Request;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        *self
    }

    fn decoder(&mut self) -> Self {
        *self
    }
}

impl tonic::codec::Encoder for ErasedCodec {
    type Item = Reply;
    type Error = Status;

    fn encode(&mut self, item: Reply, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), Status> {
        item.encode_to(dst);
        Ok(())
    }
}

impl tonic::codec::Decoder for ErasedCodec {
    type Item = Request;
    type Error = Status;

    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Request>, Status> {
        (self.decode)(src).map(Some)
    }
}

type ReplyFuture = std::pin::Pin<Box<dyn Future<Output = Result<Reply, Status>> + Send>>;

/// A unary method with its message types erased: checks the request, calls the trait method.
/// It captures only the generated call function (zero-sized), so boxing it does not allocate.
type UnaryMethod<S> = Box<dyn Fn(Arc<S>, Context, Request) -> ReplyFuture + Send>;

/// A unary call as tonic's `Grpc::unary` serves it.
struct UnaryCall<S> {
    service: Arc<S>,
    method: UnaryMethod<S>,
}

impl<S> UnaryService<Request> for UnaryCall<S> {
    type Response = Reply;
    type Future = MapOk<ReplyFuture, fn(Reply) -> tonic::Response<Reply>>;

    fn call(&mut self, request: tonic::Request<Request>) -> Self::Future {
        let (metadata, extensions, message) = request.into_parts();
        let ctx = grpc_context(metadata, extensions);
        (self.method)(self.service.clone(), ctx, message).map_ok(tonic::Response::new as fn(_) -> _)
    }
}

/// Serves one unary call of a service: compiled once per service type.
async fn serve_unary<S: Send + Sync + 'static>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<axum::body::Body>,
    decode: DecodeFn,
    method: UnaryMethod<S>,
) -> Result<http::Response<tonic::body::Body>, Infallible> {
    let mut grpc = Grpc::new(ErasedCodec { decode })
        .max_decoding_message_size(limits.body_limit())
        .max_encoding_message_size(usize::MAX);
    let call = UnaryCall { service, method };
    Ok(grpc.unary(call, request).await)
}

/// Serves one unary gRPC request.
pub fn unary<S, F, Req, Rsp, Fut, B>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    let method: UnaryMethod<S> = Box::new(move |service, ctx, request: Request| {
        let call = call.clone();
        Box::pin(async move {
            // The request was decoded by `decode_request::<Req>`.
            let message = *request
                .downcast::<Req>()
                .map_err(|_| Status::internal("internal error"))?;
            validate::check(&message)?;
            let reply = call(service, ctx, message).await?;
            Ok(Box::new(reply) as Reply)
        })
    });
    Box::pin(serve_unary(
        service,
        limits,
        request.map(axum::body::Body::new),
        decode_request::<Req>,
        method,
    ))
}

/// The answer to a gRPC request for a method the service does not have.
pub fn unimplemented(path: &str) -> CallFuture {
    let status = Status::unimplemented(format!("unknown method {}", crate::status::shown(path)));
    Box::pin(std::future::ready(Ok(status.into_http())))
}

/// A channel that generated clients can call: any tonic `GrpcService` whose response body
/// yields `Bytes`. `tonic::transport::Channel` is one.
pub trait Transport:
    tonic::client::GrpcService<tonic::body::Body, ResponseBody = Self::Body> + Clone + Send + 'static
{
    /// The response body type.
    type Body: http_body::Body<Data = Bytes, Error = Self::BodyError> + Send + 'static;
    /// The response body's error type.
    type BodyError: Into<tonic::codegen::StdError> + Send;
}

impl<T, B> Transport for T
where
    T: tonic::client::GrpcService<tonic::body::Body, ResponseBody = B> + Clone + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    type Body = B;
    type BodyError = B::Error;
}

/// A clone of the client, once its channel is ready for a call.
async fn ready<T: Transport>(
    grpc: &tonic::client::Grpc<T>,
) -> Result<tonic::client::Grpc<T>, Status> {
    let mut grpc = grpc.clone();
    grpc.ready().await.map_err(|error| {
        Status::unavailable(format!("the channel is not ready: {}", error.into()))
    })?;
    Ok(grpc)
}

/// Sends one unary call from a generated client.
pub async fn client_unary<T, Req, Rsp>(
    grpc: &tonic::client::Grpc<T>,
    mut request: tonic::Request<Req>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<Rsp>, Status>
where
    T: Transport,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    let mut grpc = ready(grpc).await?;
    request
        .extensions_mut()
        .insert(GrpcMethod::new(service, method));
    grpc.unary(
        request,
        PathAndQuery::from_static(path),
        ProstCodec::<Req, Rsp>::default(),
    )
    .await
}

/// A download call: the trait method returns a [`Download`], sent as `FileChunk` messages.
struct DownloadCall<S, F> {
    service: Arc<S>,
    call: F,
}

type ChunkStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<FileChunk, Status>> + Send>>;

impl<S, F, Req, Fut> tonic::server::ServerStreamingService<Req> for DownloadCall<S, F>
where
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone,
    Fut: Future<Output = Result<Download, Status>> + Send + 'static,
    Req: Validate,
{
    type Response = FileChunk;
    type ResponseStream = ChunkStream;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<tonic::Response<ChunkStream>, Status>> + Send>,
    >;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        use futures_util::TryStreamExt as _;
        let (metadata, extensions, message) = request.into_parts();
        if let Err(status) = validate::check(&message) {
            return Box::pin(futures_util::future::ready(Err(status)));
        }
        let ctx = Context::new(CallTransport::Grpc, metadata.into_headers(), extensions);
        let download = (self.call.clone())(self.service.clone(), ctx, message);
        Box::pin(async move {
            let chunks = download.await?.into_chunks().map_err(|error| {
                tracing::error!(%error, "failed to read a download");
                Status::internal("failed to read the file")
            });
            let stream: ChunkStream = Box::pin(chunks);
            Ok(tonic::Response::new(stream))
        })
    }
}

/// Serves one download over gRPC: a server stream of `FileChunk` messages.
pub fn download<S, F, Req, Fut, B>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Download, Status>> + Send + 'static,
    Req: ProtoMessage,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        let mut grpc = Grpc::new(ProstCodec::<FileChunk, Req>::default())
            .max_decoding_message_size(limits.body_limit())
            .max_encoding_message_size(usize::MAX);
        Ok(grpc
            .server_streaming(DownloadCall { service, call }, request)
            .await)
    })
}

/// Calls a download method from a generated client: the answer is a stream of `FileChunk`s.
pub async fn client_download<T, Req>(
    grpc: &tonic::client::Grpc<T>,
    mut request: tonic::Request<Req>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<tonic::Streaming<FileChunk>>, Status>
where
    T: Transport,
    Req: ProtoMessage,
{
    let mut grpc = ready(grpc).await?;
    request
        .extensions_mut()
        .insert(GrpcMethod::new(service, method));
    grpc.server_streaming(
        request,
        PathAndQuery::from_static(path),
        ProstCodec::<Req, FileChunk>::default(),
    )
    .await
}

/// A streaming call: the service, and the generated closure that calls the trait method. One
/// type serves the three streaming shapes; which one is decided by the closure's signature.
struct StreamCall<S, F> {
    service: Arc<S>,
    call: F,
}

type BoxStatusFuture<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, Status>> + Send>>;

fn grpc_context(metadata: tonic::metadata::MetadataMap, extensions: http::Extensions) -> Context {
    Context::new(CallTransport::Grpc, metadata.into_headers(), extensions)
}

impl<S, F, Req, Rsp, Fut> tonic::server::ServerStreamingService<Req> for StreamCall<S, F>
where
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: Validate,
    Rsp: Send + 'static,
{
    type Response = Rsp;
    type ResponseStream = Streaming<Rsp>;
    type Future = BoxStatusFuture<tonic::Response<Streaming<Rsp>>>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        let (metadata, extensions, message) = request.into_parts();
        if let Err(status) = validate::check(&message) {
            return Box::pin(futures_util::future::ready(Err(status)));
        }
        let answer = (self.call.clone())(
            self.service.clone(),
            grpc_context(metadata, extensions),
            message,
        );
        Box::pin(answer.map_ok(tonic::Response::new))
    }
}

impl<S, F, Req, Rsp, Fut> tonic::server::ClientStreamingService<Req> for StreamCall<S, F>
where
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: Validate + Send + 'static,
    Rsp: Send + 'static,
{
    type Response = Rsp;
    type Future = BoxStatusFuture<tonic::Response<Rsp>>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<Req>>) -> Self::Future {
        let (metadata, extensions, messages) = request.into_parts();
        let answer = (self.call.clone())(
            self.service.clone(),
            grpc_context(metadata, extensions),
            validated(messages),
        );
        Box::pin(answer.map_ok(tonic::Response::new))
    }
}

impl<S, F, Req, Rsp, Fut> tonic::server::StreamingService<Req> for StreamCall<S, F>
where
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: Validate + Send + 'static,
    Rsp: Send + 'static,
{
    type Response = Rsp;
    type ResponseStream = Streaming<Rsp>;
    type Future = BoxStatusFuture<tonic::Response<Streaming<Rsp>>>;

    fn call(&mut self, request: tonic::Request<tonic::Streaming<Req>>) -> Self::Future {
        let (metadata, extensions, messages) = request.into_parts();
        let answer = (self.call.clone())(
            self.service.clone(),
            grpc_context(metadata, extensions),
            validated(messages),
        );
        Box::pin(answer.map_ok(tonic::Response::new))
    }
}

/// The requests of a client stream, each checked as it arrives: a message that breaks a rule
/// is an `invalid_argument` item, which ends the stream for a method that reads it with `?`.
fn validated<Req: Validate + Send + 'static>(messages: tonic::Streaming<Req>) -> Streaming<Req> {
    use futures_util::StreamExt as _;
    Streaming::new(messages.map(|message| {
        let message = message?;
        validate::check(&message)?;
        Ok(message)
    }))
}

fn server_grpc<Rsp: ProtoMessage, Req: ProtoMessage>(limits: Limits) -> Grpc<ProstCodec<Rsp, Req>> {
    Grpc::new(ProstCodec::<Rsp, Req>::default())
        .max_decoding_message_size(limits.body_limit())
        .max_encoding_message_size(usize::MAX)
}

/// Serves one server-streaming gRPC call: one request, a stream of responses.
pub fn server_streaming<S, F, Req, Rsp, Fut, B>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: Send + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        Ok(server_grpc::<Rsp, Req>(limits)
            .server_streaming(StreamCall { service, call }, request)
            .await)
    })
}

/// Serves one client-streaming gRPC call: a stream of requests, one response.
pub fn client_streaming<S, F, Req, Rsp, Fut, B>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: Send + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone,
    Fut: Future<Output = Result<Rsp, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        Ok(server_grpc::<Rsp, Req>(limits)
            .client_streaming(StreamCall { service, call }, request)
            .await)
    })
}

/// Serves one bidirectional gRPC call: a stream of requests and a stream of responses.
pub fn bidi_streaming<S, F, Req, Rsp, Fut, B>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: Send + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<Req>) -> Fut + Clone,
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        Ok(server_grpc::<Rsp, Req>(limits)
            .streaming(StreamCall { service, call }, request)
            .await)
    })
}

/// A generated client's request, named for tonic.
fn with_method<T>(
    mut request: tonic::Request<T>,
    service: &'static str,
    method: &'static str,
) -> tonic::Request<T> {
    request
        .extensions_mut()
        .insert(GrpcMethod::new(service, method));
    request
}

/// Calls a server-streaming method from a generated client.
pub async fn client_server_streaming<T, Req, Rsp>(
    grpc: &tonic::client::Grpc<T>,
    request: tonic::Request<Req>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<Streaming<Rsp>>, Status>
where
    T: Transport,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    let mut grpc = ready(grpc).await?;
    let response = grpc
        .server_streaming(
            with_method(request, service, method),
            PathAndQuery::from_static(path),
            ProstCodec::<Req, Rsp>::default(),
        )
        .await?;
    Ok(response.map(Streaming::from))
}

/// Calls a client-streaming method from a generated client.
pub async fn client_client_streaming<T, Req, Rsp, St>(
    grpc: &tonic::client::Grpc<T>,
    request: tonic::Request<St>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<Rsp>, Status>
where
    T: Transport,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    St: futures_util::Stream<Item = Req> + Send + 'static,
{
    let mut grpc = ready(grpc).await?;
    grpc.client_streaming(
        with_method(request, service, method),
        PathAndQuery::from_static(path),
        ProstCodec::<Req, Rsp>::default(),
    )
    .await
}

/// Calls a bidirectional method from a generated client.
pub async fn client_bidi_streaming<T, Req, Rsp, St>(
    grpc: &tonic::client::Grpc<T>,
    request: tonic::Request<St>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<Streaming<Rsp>>, Status>
where
    T: Transport,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    St: futures_util::Stream<Item = Req> + Send + 'static,
{
    let mut grpc = ready(grpc).await?;
    let response = grpc
        .streaming(
            with_method(request, service, method),
            PathAndQuery::from_static(path),
            ProstCodec::<Req, Rsp>::default(),
        )
        .await?;
    Ok(response.map(Streaming::from))
}
