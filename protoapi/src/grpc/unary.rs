//! Unary calls, the common case: one type-erased codec ([`ErasedCodec`]), so that tonic's
//! server machinery is compiled once per service rather than once per method.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use tonic::Status;
use tonic::server::UnaryService;

use super::charged::charged;
use super::service::{CallFuture, grpc_context, observed};
use crate::budget::ServerShare;
use crate::context::Context;
use crate::limits::Limits;
use crate::message::MethodMessages;
use crate::observe::Names;
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

/// A request decoded and bound to its method's call: the message and the call together, their
/// types erased. It holds the message, so boxing it is the request's one allocation. It is
/// given the smallest reply to compress, when the client accepts compressed replies.
type PreparedCall<S> = Box<dyn FnOnce(Arc<S>, Context, Option<usize>) -> ReplyFuture + Send>;

/// Decodes a request of the method's type, as soon as tonic has its bytes (so that tonic's read
/// buffer is not held until the call), and binds it to the call. It captures only the generated
/// call function (zero-sized), so boxing it does not allocate.
type DecodeFn<S> =
    Box<dyn FnMut(&mut tonic::codec::DecodeBuf<'_>) -> Result<PreparedCall<S>, Status> + Send>;

/// The codec of unary calls: the method's decode function on the way in; a reply encodes itself
/// on the way out.
struct ErasedCodec<S> {
    decode: Option<DecodeFn<S>>,
}

impl<S: Send + Sync + 'static> tonic::codec::Codec for ErasedCodec<S> {
    type Encode = Reply;
    type Decode = PreparedCall<S>;
    type Encoder = ReplyEncoder;
    type Decoder = RequestDecoder<S>;

    fn encoder(&mut self) -> ReplyEncoder {
        ReplyEncoder
    }

    fn decoder(&mut self) -> RequestDecoder<S> {
        RequestDecoder(self.decode.take())
    }
}

/// Writes a reply: the reply encodes itself.
struct ReplyEncoder;

impl tonic::codec::Encoder for ReplyEncoder {
    type Item = Reply;
    type Error = Status;

    fn encode(&mut self, item: Reply, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), Status> {
        item.encode_to(dst);
        Ok(())
    }
}

/// Reads the request through the method's decode function (tonic asks for the decoder once
/// per call).
struct RequestDecoder<S>(Option<DecodeFn<S>>);

impl<S: Send + Sync + 'static> tonic::codec::Decoder for RequestDecoder<S> {
    type Item = PreparedCall<S>;
    type Error = Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<PreparedCall<S>>, Status> {
        match &mut self.0 {
            Some(decode) => decode(src).map(Some),
            None => Err(Status::internal("internal error")),
        }
    }
}

type ReplyFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<tonic::Response<Reply>, Status>> + Send>>;

/// A unary call as tonic's `Grpc::unary` serves it.
struct UnaryCall<S> {
    service: Arc<S>,
    /// The smallest reply compressed, when the client accepts compressed replies.
    min_size: Option<usize>,
}

impl<S: Send + Sync + 'static> UnaryService<PreparedCall<S>> for UnaryCall<S> {
    type Response = Reply;
    type Future = ReplyFuture;

    fn call(&mut self, request: tonic::Request<PreparedCall<S>>) -> Self::Future {
        let (metadata, extensions, prepared) = request.into_parts();
        let ctx = grpc_context(metadata, extensions);
        prepared(self.service.clone(), ctx, self.min_size)
    }
}

/// The reply as tonic sends it: not compressed when it is smaller than `min_size`.
fn reply<M: prost::Message + Send + 'static>(
    message: M,
    min_size: Option<usize>,
) -> tonic::Response<Reply> {
    let small = min_size.is_some_and(|min_size| message.encoded_len() < min_size);
    let mut response = tonic::Response::new(Box::new(message) as Reply);
    if small {
        response
            .extensions_mut()
            .insert(tonic::codec::SingleMessageCompressionOverride::Disable);
    }
    response
}

/// Serves one unary call of a service: compiled once per service type.
async fn serve_unary<S: Send + Sync + 'static>(
    service: Arc<S>,
    limits: Limits,
    request: http::Request<axum::body::Body>,
    decode: DecodeFn<S>,
) -> http::Response<tonic::body::Body> {
    let codec = ErasedCodec {
        decode: Some(decode),
    };
    let mut grpc = super::service::server(codec, limits);
    let min_size = request
        .headers()
        .contains_key("grpc-accept-encoding")
        .then(|| {
            request
                .extensions()
                .get::<ServerShare>()
                .map_or(0, |share| share.compression.min_size_bytes())
        })
        .filter(|min_size| *min_size > 0);
    let request = charged(request, limits.body_limit());
    grpc.unary(UnaryCall { service, min_size }, request).await
}

/// Serves one unary gRPC request.
pub fn unary<M: MethodMessages, S, F, Fut, B>(
    _: M,
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<M::Response, Status>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    let decode: DecodeFn<S> = Box::new(move |buf| {
        // As tonic's prost codec answers a message that does not decode.
        let message = <M::Request as prost::Message>::decode(buf)
            .map_err(|error| Status::internal(error.to_string()))?;
        let call = call.clone();
        let prepared: PreparedCall<S> = Box::new(move |service, ctx, min_size| {
            Box::pin(async move {
                validate::check(&message)?;
                let message = call(service, ctx, message).await?;
                Ok(reply(message, min_size))
            })
        });
        Ok(prepared)
    });
    observed(
        Names::of::<M>(),
        false,
        serve_unary(service, limits, request.map(axum::body::Body::new), decode),
    )
}
