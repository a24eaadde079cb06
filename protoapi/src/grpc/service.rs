//! [`BoxGrpcService`]: a generated (or any tonic) gRPC service, type-erased for the router.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use tonic::Status;

use crate::budget::ServerShare;
use crate::compression::{Coding, Compression};
use crate::context::{Context, Transport as CallTransport};
use crate::observe::{Names, Observed};

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

/// A generated service whose requests carry what their server shares with them.
struct WithServerShare {
    inner: BoxGrpcService,
    share: ServerShare,
}

impl ErasedGrpc for WithServerShare {
    fn call(&self, mut request: http::Request<axum::body::Body>) -> GrpcFuture {
        let compression = &self.share.compression;
        if let Err(name) = compression.request_coding(request.headers().get("grpc-encoding")) {
            return Box::pin(std::future::ready(Ok(unsupported_compression(
                compression,
                &name,
            ))));
        }
        if *compression != Compression::default() {
            sendable_only(compression, request.headers_mut());
        }
        request.extensions_mut().insert(self.share.clone());
        self.inner.call(request)
    }
}

/// The answer to a request in a compression the server does not read: `unimplemented`, with
/// the ones it does in `grpc-accept-encoding`.
fn unsupported_compression(
    compression: &Compression,
    name: &str,
) -> http::Response<axum::body::Body> {
    let status = Status::unimplemented(format!(
        "unsupported compression `{name}`: this server reads {}",
        compression.accepted_words()
    ));
    let mut response = status.into_http::<axum::body::Body>();
    response
        .headers_mut()
        .insert("grpc-accept-encoding", compression.accepted_list());
    response
}

/// Keeps in `grpc-accept-encoding` only the codings the server sends, so that tonic answers in
/// one of them.
fn sendable_only(compression: &Compression, headers: &mut http::HeaderMap) {
    let Some(value) = headers.get("grpc-accept-encoding") else {
        return;
    };
    let kept: Vec<&str> = value
        .to_str()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| match *name {
            "gzip" => compression.sends(Coding::Gzip),
            "zstd" => compression.sends(Coding::Zstd),
            _ => false,
        })
        .collect();
    match http::HeaderValue::from_str(&kept.join(",")) {
        Ok(value) if !kept.is_empty() => {
            headers.insert("grpc-accept-encoding", value);
        }
        _ => {
            headers.remove("grpc-accept-encoding");
        }
    }
}

/// `service`, its requests carrying `share`: the server's memory budget and upload directory.
pub(crate) fn with_server_share(service: BoxGrpcService, share: ServerShare) -> BoxGrpcService {
    BoxGrpcService(Arc::new(WithServerShare {
        inner: service,
        share,
    }))
}

/// The future of one gRPC call of a generated service.
pub type CallFuture = std::pin::Pin<
    Box<dyn Future<Output = Result<http::Response<tonic::body::Body>, Infallible>> + Send>,
>;

/// Serves one gRPC call in its span, observed to its end ([`crate::observe`]): an answer that
/// is only trailers (an error) ends it with its `grpc-status`; a single answer (`streams` is
/// false) ends it `ok`; a stream ends it with the `grpc-status` of its trailers.
pub(super) fn observed<F>(names: Names, streams: bool, serve: F) -> CallFuture
where
    F: Future<Output = http::Response<tonic::body::Body>> + Send + 'static,
{
    use tracing::Instrument as _;
    let observed = Observed::start(CallTransport::Grpc, names);
    if !observed.active() {
        return Box::pin(async move { Ok(serve.await) });
    }
    let span = observed.span();
    Box::pin(
        async move {
            let response = serve.await;
            if let Some(code) = grpc_status(response.headers()) {
                observed.end(code);
                return Ok(response);
            }
            if !streams {
                observed.end(tonic::Code::Ok);
                return Ok(response);
            }
            Ok(response.map(|body| tonic::body::Body::new(ObservedBody { body, observed })))
        }
        .instrument(span),
    )
}

/// The code of a `grpc-status` header or trailer.
fn grpc_status(headers: &http::HeaderMap) -> Option<tonic::Code> {
    let status = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(tonic::Code::from(status))
}

/// A stream's answer, its call observed until its trailers (or until it is dropped: the client
/// went away), its frames made in the call's span.
struct ObservedBody {
    body: tonic::body::Body,
    observed: Observed,
}

impl http_body::Body for ObservedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        use std::task::Poll;
        let ObservedBody { body, observed } = self.get_mut();
        let polled = {
            let _entered = observed.enter();
            std::pin::Pin::new(body).poll_frame(cx)
        };
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame
                .trailers_ref()
                .map(|trailers| grpc_status(trailers).unwrap_or(tonic::Code::Unknown)),
            Poll::Ready(Some(Err(_))) => Some(tonic::Code::Internal),
            Poll::Ready(None) => Some(tonic::Code::Unknown),
            Poll::Pending => None,
        };
        if let Some(code) = code {
            observed.take().end(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The answer to a gRPC request for a method the service does not have.
pub fn unimplemented(path: &str) -> CallFuture {
    let status = Status::unimplemented(format!("unknown method {}", crate::status::shown(path)));
    Box::pin(std::future::ready(Ok(status.into_http())))
}

/// The context of a gRPC call, from its metadata.
pub(super) fn grpc_context(
    metadata: tonic::metadata::MetadataMap,
    extensions: http::Extensions,
) -> Context {
    Context::new(CallTransport::Grpc, metadata.into_headers(), extensions)
}

/// tonic's server side of one call with `codec`: messages up to the body limit, requests
/// compressed with gzip or zstd accepted (`grpc-encoding`), and answers compressed with the
/// first of them that the client accepts (`grpc-accept-encoding`).
pub(super) fn server<C: tonic::codec::Codec>(
    codec: C,
    limits: crate::limits::Limits,
) -> tonic::server::Grpc<C> {
    use tonic::codec::CompressionEncoding::{Gzip, Zstd};
    tonic::server::Grpc::new(codec)
        .max_decoding_message_size(limits.body_limit())
        .max_encoding_message_size(usize::MAX)
        .accept_compressed(Gzip)
        .accept_compressed(Zstd)
        .send_compressed(Gzip)
        .send_compressed(Zstd)
}
