//! Downloads and the three streaming shapes, on tonic's prost codec.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryFutureExt as _;
use tonic::Status;
use tonic::server::Grpc;
use tonic_prost::ProstCodec;

use super::charged::charged;
use super::service::{CallFuture, grpc_context};
use crate::context::Context;
use crate::download::{Download, FileChunk};
use crate::limits::Limits;
use crate::message::{MethodMessages, ProtoMessage};
use crate::streaming::Streaming;
use crate::validate::{self, Validate};

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
        let ctx = grpc_context(metadata, extensions);
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
pub fn download<M: MethodMessages, S, F, Fut, B>(
    _: M,
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Download, Status>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        let mut grpc =
            super::service::server(ProstCodec::<FileChunk, M::Request>::default(), limits);
        let request = charged(request, limits.body_limit());
        Ok(grpc
            .server_streaming(DownloadCall { service, call }, request)
            .await)
    })
}

/// A streaming call: the service, and the generated closure that calls the trait method. One
/// type serves the three streaming shapes; which one is decided by the closure's signature.
struct StreamCall<S, F> {
    service: Arc<S>,
    call: F,
}

type BoxStatusFuture<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, Status>> + Send>>;

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
    super::service::server(ProstCodec::<Rsp, Req>::default(), limits)
}

/// Serves one server-streaming gRPC call: one request, a stream of responses.
pub fn server_streaming<M: MethodMessages, S, F, Fut, B>(
    _: M,
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: Send + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone,
    Fut: Future<Output = Result<Streaming<M::Response>, Status>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        let request = charged(request, limits.body_limit());
        Ok(server_grpc::<M::Response, M::Request>(limits)
            .server_streaming(StreamCall { service, call }, request)
            .await)
    })
}

/// Serves one client-streaming gRPC call: a stream of requests, one response.
pub fn client_streaming<M: MethodMessages, S, F, Fut, B>(
    _: M,
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: Send + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<M::Request>) -> Fut + Clone,
    Fut: Future<Output = Result<M::Response, Status>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        let request = charged(request, limits.body_limit());
        Ok(server_grpc::<M::Response, M::Request>(limits)
            .client_streaming(StreamCall { service, call }, request)
            .await)
    })
}

/// Serves one bidirectional gRPC call: a stream of requests and a stream of responses.
pub fn bidi_streaming<M: MethodMessages, S, F, Fut, B>(
    _: M,
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: Send + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<M::Request>) -> Fut + Clone,
    Fut: Future<Output = Result<Streaming<M::Response>, Status>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    Box::pin(async move {
        let request = charged(request, limits.body_limit());
        Ok(server_grpc::<M::Response, M::Request>(limits)
            .streaming(StreamCall { service, call }, request)
            .await)
    })
}
