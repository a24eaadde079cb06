//! Downloads and the three streaming shapes, on tonic's prost codec.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryFutureExt as _;
use tonic::Status;
use tonic::server::Grpc;
use tonic_prost::ProstCodec;

use super::charged::charged;
use super::service::{CallFuture, grpc_context, observed};
use crate::context::Context;
use crate::download::{Download, FileChunk};
use crate::limits::Limits;
use crate::message::{MethodMessages, ProtoMessage};
use crate::observe::Names;
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
    observed(Names::of::<M>(), true, async move {
        let mut grpc =
            super::service::server(ProstCodec::<FileChunk, M::Request>::default(), limits);
        let request = charged(request, limits.body_limit());
        grpc.server_streaming(DownloadCall { service, call }, request)
            .await
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
        Box::pin(answer.map_ok(answers))
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
        Box::pin(answer.map_ok(answers))
    }
}

/// The requests of a client stream, each checked as it arrives: a message that breaks a rule
/// is an `invalid_argument` item, which ends the stream for a method that reads it with `?`.
/// An error of tonic's (a body cut inside a message, a message over the limit or that does not
/// decode) is the stream's last item: tonic would give a cut body's error on every read, and
/// read the bytes of a message over the limit as messages.
fn validated<Req: Validate + Send + 'static>(messages: tonic::Streaming<Req>) -> Streaming<Req> {
    use futures_util::StreamExt as _;
    Streaming::new(until_error(messages).map(|message| {
        let message = message?;
        validate::check(&message)?;
        Ok(message)
    }))
}

/// A method's stream of answers as tonic sends it: ended at its first error, as on every other
/// transport. tonic's body reads the stream on after it sent an error as the trailers.
fn answers<Rsp: Send + 'static>(stream: Streaming<Rsp>) -> tonic::Response<Streaming<Rsp>> {
    tonic::Response::new(Streaming::new(until_error(stream)))
}

/// `stream`, ended after its first error.
fn until_error<T, S>(stream: S) -> impl futures_util::Stream<Item = Result<T, Status>> + Send
where
    T: Send,
    S: futures_util::Stream<Item = Result<T, Status>> + Send,
{
    use futures_util::StreamExt as _;
    stream.scan(false, |failed, item| {
        let item = (!*failed).then(|| {
            *failed = item.is_err();
            item
        });
        std::future::ready(item)
    })
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
    observed(Names::of::<M>(), true, async move {
        let request = charged(request, limits.body_limit());
        server_grpc::<M::Response, M::Request>(limits)
            .server_streaming(StreamCall { service, call }, request)
            .await
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
    observed(Names::of::<M>(), false, async move {
        let request = charged(request, limits.body_limit());
        server_grpc::<M::Response, M::Request>(limits)
            .client_streaming(StreamCall { service, call }, request)
            .await
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
    observed(Names::of::<M>(), true, async move {
        let request = charged(request, limits.body_limit());
        server_grpc::<M::Response, M::Request>(limits)
            .streaming(StreamCall { service, call }, request)
            .await
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;
    use tonic::Code;
    use tonic::codec::Codec as _;

    use super::*;

    #[derive(Clone, PartialEq, prost::Message)]
    struct Num {
        #[prost(int32, tag = "1")]
        n: i32,
    }

    impl Validate for Num {}

    /// What tonic reads from `body` as a server reads a client stream, with messages up to
    /// `limit` bytes.
    fn requests(body: Vec<u8>, limit: usize) -> Streaming<Num> {
        let decoder = ProstCodec::<Num, Num>::default().decoder();
        let body = axum::body::Body::from(body);
        validated(tonic::Streaming::new_request(
            decoder,
            body,
            None,
            Some(limit),
        ))
    }

    async fn codes(mut stream: Streaming<Num>) -> Vec<Result<i32, Code>> {
        let mut items = Vec::new();
        // A stream that never ends is cut after a few items.
        while let Some(item) = stream.next().await {
            items.push(item.map(|num| num.n).map_err(|status| status.code()));
            if items.len() == 4 {
                break;
            }
        }
        items
    }

    #[tokio::test]
    async fn a_request_stream_cut_inside_a_message_ends_at_its_error() {
        // A message (n = 7), then three bytes of a header.
        let body = vec![0, 0, 0, 0, 2, 8, 7, 0, 0, 0];
        assert_eq!(
            codes(requests(body, 64)).await,
            [Ok(7), Err(Code::Internal)]
        );
    }

    #[tokio::test]
    async fn a_request_stream_ends_at_a_message_over_the_limit() {
        // A 7-byte message over a limit of 4, whose bytes are a message of their own.
        let body = vec![0, 0, 0, 0, 7, 0, 0, 0, 0, 2, 8, 9];
        assert_eq!(codes(requests(body, 4)).await, [Err(Code::OutOfRange)]);
    }

    #[tokio::test]
    async fn an_answer_stream_ends_at_its_first_error() {
        let stream = Streaming::new(futures_util::stream::iter([
            Ok(Num { n: 1 }),
            Err(Status::aborted("first")),
            Ok(Num { n: 2 }),
            Err(Status::aborted("second")),
        ]));
        let stream = answers(stream).into_inner();
        assert_eq!(codes(stream).await, [Ok(1), Err(Code::Aborted)]);
    }
}
