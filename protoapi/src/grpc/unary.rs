//! Unary calls, the common case: one type-erased codec ([`ErasedCodec`]), so that tonic's
//! server machinery is compiled once per service rather than once per method.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryFutureExt as _;
use futures_util::future::MapOk;
use tonic::Status;
use tonic::server::{Grpc, UnaryService};

use super::service::{CallFuture, grpc_context};
use crate::context::Context;
use crate::limits::Limits;
use crate::message::ProtoMessage;
use crate::validate;

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

/// The codec of unary calls: the method's decode function boxes a request as soon as tonic has
/// its bytes, so that tonic's read buffer is not held until the call; a reply encodes itself.
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
