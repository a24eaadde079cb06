//! What generated clients call: one function per call shape, on tonic's client.

use bytes::Bytes;
use http::uri::PathAndQuery;
use tonic::{GrpcMethod, Status};
use tonic_prost::ProstCodec;

use crate::download::FileChunk;
use crate::message::{MethodMessages, ProtoMessage};
use crate::streaming::Streaming;
use crate::upload::UploadChunk;

/// A channel that generated clients can call: any tonic `GrpcService` whose response body
/// yields `Bytes`. `tonic::transport::Channel` is one.
pub trait ClientTransport:
    tonic::client::GrpcService<tonic::body::Body, ResponseBody = Self::Body> + Clone + Send + 'static
{
    /// The response body type.
    type Body: http_body::Body<Data = Bytes, Error = Self::BodyError> + Send + 'static;
    /// The response body's error type.
    type BodyError: Into<tonic::codegen::StdError> + Send;
}

impl<T, B> ClientTransport for T
where
    T: tonic::client::GrpcService<tonic::body::Body, ResponseBody = B> + Clone + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    type Body = B;
    type BodyError = B::Error;
}

/// A clone of the client, once its channel is ready for a call.
async fn ready<T: ClientTransport>(
    grpc: &tonic::client::Grpc<T>,
) -> Result<tonic::client::Grpc<T>, Status> {
    let mut grpc = grpc.clone();
    grpc.ready().await.map_err(|error| {
        Status::unavailable(format!("the channel is not ready: {}", error.into()))
    })?;
    Ok(grpc)
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

/// Sends one unary call from a generated client.
pub async fn unary<M: MethodMessages, T>(
    _: M,
    grpc: &tonic::client::Grpc<T>,
    mut request: tonic::Request<M::Request>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<M::Response>, Status>
where
    T: ClientTransport,
{
    let mut grpc = ready(grpc).await?;
    request
        .extensions_mut()
        .insert(GrpcMethod::new(service, method));
    grpc.unary(
        request,
        PathAndQuery::from_static(path),
        ProstCodec::<M::Request, M::Response>::default(),
    )
    .await
}

/// Calls a download method from a generated client: the answer is a stream of `FileChunk`s.
pub async fn download<M: MethodMessages, T>(
    _: M,
    grpc: &tonic::client::Grpc<T>,
    mut request: tonic::Request<M::Request>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<tonic::Streaming<FileChunk>>, Status>
where
    T: ClientTransport,
{
    let mut grpc = ready(grpc).await?;
    request
        .extensions_mut()
        .insert(GrpcMethod::new(service, method));
    grpc.server_streaming(
        request,
        PathAndQuery::from_static(path),
        ProstCodec::<M::Request, FileChunk>::default(),
    )
    .await
}

/// Calls a server-streaming method from a generated client.
pub async fn server_streaming<M: MethodMessages, T>(
    _: M,
    grpc: &tonic::client::Grpc<T>,
    request: tonic::Request<M::Request>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<Streaming<M::Response>>, Status>
where
    T: ClientTransport,
{
    let mut grpc = ready(grpc).await?;
    let response = grpc
        .server_streaming(
            with_method(request, service, method),
            PathAndQuery::from_static(path),
            ProstCodec::<M::Request, M::Response>::default(),
        )
        .await?;
    Ok(response.map(Streaming::from))
}

/// Calls a client-streaming method from a generated client.
pub async fn client_streaming<M: MethodMessages, T, St>(
    _: M,
    grpc: &tonic::client::Grpc<T>,
    request: tonic::Request<St>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<M::Response>, Status>
where
    T: ClientTransport,
    St: futures_util::Stream<Item = M::Request> + Send + 'static,
{
    let mut grpc = ready(grpc).await?;
    grpc.client_streaming(
        with_method(request, service, method),
        PathAndQuery::from_static(path),
        ProstCodec::<M::Request, M::Response>::default(),
    )
    .await
}

/// Calls a bidirectional method from a generated client.
pub async fn bidi_streaming<M: MethodMessages, T, St>(
    _: M,
    grpc: &tonic::client::Grpc<T>,
    request: tonic::Request<St>,
    path: &'static str,
    service: &'static str,
    method: &'static str,
) -> Result<tonic::Response<Streaming<M::Response>>, Status>
where
    T: ClientTransport,
    St: futures_util::Stream<Item = M::Request> + Send + 'static,
{
    let mut grpc = ready(grpc).await?;
    let response = grpc
        .streaming(
            with_method(request, service, method),
            PathAndQuery::from_static(path),
            ProstCodec::<M::Request, M::Response>::default(),
        )
        .await?;
    Ok(response.map(Streaming::from))
}

/// Sends a chunked upload over any tonic client: `chunks` to `path`, the rpc `<Rpc>Chunks` that
/// gRPC serves beside a unary method whose request has `#[file]` fields
/// (`/hello.Greeter/UploadChunks`), answered with the method's response.
///
/// ```no_run
/// # #[protoapi::message] #[form] pub struct UploadReq { #[file] pub test_file: protoapi::File }
/// # #[protoapi::message] pub struct UploadRsp { pub status: String }
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use protoapi::UploadChunk;
///
/// let channel = protoapi::Channel::from_static("http://127.0.0.1:8080").connect().await?;
/// let grpc = tonic::client::Grpc::new(channel); // or `GreeterClient::into_inner()`
/// let data = std::fs::read("notes.txt")?;
/// let chunks = UploadChunk::<UploadReq>::file_pieces("test_file", "notes.txt", "text/plain", data);
/// let answer: UploadRsp = protoapi::upload_chunks(
///     &grpc,
///     "/hello.Greeter/UploadChunks",
///     futures_util::stream::iter(chunks),
/// )
/// .await?
/// .into_inner();
/// # Ok(()) }
/// ```
pub async fn upload_chunks<Req, Rsp, T, St>(
    grpc: &tonic::client::Grpc<T>,
    path: &str,
    chunks: St,
) -> Result<tonic::Response<Rsp>, Status>
where
    Req: ProtoMessage,
    Rsp: ProtoMessage,
    T: ClientTransport,
    St: tonic::IntoStreamingRequest<Message = UploadChunk<Req>>,
    St::Stream: Send + 'static,
{
    let path = PathAndQuery::try_from(path)
        .map_err(|error| Status::invalid_argument(format!("invalid rpc path {path:?}: {error}")))?;
    let mut grpc = ready(grpc).await?;
    grpc.client_streaming(
        chunks.into_streaming_request(),
        path,
        ProstCodec::<UploadChunk<Req>, Rsp>::default(),
    )
    .await
}
