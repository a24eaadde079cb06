//! The adapter of each kind of method (`unary`, `server_streaming`, ...): each makes the
//! method's [`ErasedMethod`], which decodes the requests, calls the method and encodes its
//! answers. Generated code calls one per method.

use std::sync::Arc;

use futures_util::{Future, FutureExt as _, TryStreamExt as _};
use tonic::Status;

use super::answers::{encoded, once};
use super::erased::{ErasedMethod, RunFn};
use super::requests::Now;
use crate::context::Context;
use crate::download::Download;
use crate::message::{MethodMessages, ProtoMessage as _};
use crate::observe::{Names, Observed};
use crate::streaming::Streaming;

/// A unary method: one request, one response.
pub fn unary<M: MethodMessages, S, F, Fut>(
    _: M,
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> ErasedMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<M::Response, Status>> + Send + 'static,
{
    erased::<M>(
        name,
        limit,
        (false, false),
        Box::new(move |ctx, params, mut requests| {
            let encoder = requests.encoder();
            let observed = Observed::start(ctx.transport(), Names::of::<M>());
            // A request without files in pieces is decoded now, and the method's future made
            // at once: the call's future then holds that future alone, not the context and
            // the requests beside it.
            match requests.now::<M::Request>(&params) {
                Now::Decoded(Ok(request)) => {
                    let called = call.clone()(service.clone(), ctx, request);
                    // A combinator, not an `async` block: that would hold the method's future
                    // twice, as what it captured and as what it awaits.
                    let encoded = called.map(move |response| encoder.encode(&response?));
                    once(observed, encoded)
                }
                Now::Decoded(Err(status)) => once(observed, std::future::ready(Err(status))),
                Now::Later(requests) => {
                    let (service, call) = (service.clone(), call.clone());
                    once(observed, async move {
                        let request = requests.one::<M::Request>(&params).await?;
                        let response = call(service, ctx, request).await?;
                        encoder.encode(&response)
                    })
                }
            }
        }),
    )
}

/// A download method: one request, the file as a stream of `protoapi.FileChunk` messages.
pub fn download<M: MethodMessages, S, F, Fut>(
    _: M,
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> ErasedMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Download, Status>> + Send + 'static,
{
    erased::<M>(
        name,
        limit,
        (false, true),
        Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            let observed = Observed::start(ctx.transport(), Names::of::<M>());
            encoded(
                async move {
                    let request = requests.one::<M::Request>(&params).await?;
                    let download = call(service, ctx, request).await?;
                    Ok(Streaming::new(download.into_chunks().map_err(|error| {
                        tracing::error!(%error, "failed to read a download");
                        Status::internal("failed to read the file")
                    })))
                },
                encoder,
                observed,
            )
        }),
    )
}

/// A server-streaming method: one request, a stream of responses.
pub fn server_streaming<M: MethodMessages, S, F, Fut>(
    _: M,
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> ErasedMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<M::Response>, Status>> + Send + 'static,
{
    erased::<M>(
        name,
        limit,
        (false, true),
        Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            let observed = Observed::start(ctx.transport(), Names::of::<M>());
            encoded(
                async move {
                    let request = requests.one::<M::Request>(&params).await?;
                    call(service, ctx, request).await
                },
                encoder,
                observed,
            )
        }),
    )
}

/// A client-streaming method: a stream of requests, one response.
pub fn client_streaming<M: MethodMessages, S, F, Fut>(
    _: M,
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> ErasedMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<M::Request>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<M::Response, Status>> + Send + 'static,
{
    erased::<M>(
        name,
        limit,
        (true, false),
        Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            let observed = Observed::start(ctx.transport(), Names::of::<M>());
            once(observed, async move {
                let response = call(service, ctx, requests.stream(params)).await?;
                encoder.encode(&response)
            })
        }),
    )
}

/// A bidirectional method: a stream of requests, a stream of responses.
pub fn bidi_streaming<M: MethodMessages, S, F, Fut>(
    _: M,
    name: &'static str,
    limit: Option<u64>,
    service: Arc<S>,
    call: F,
) -> ErasedMethod
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Streaming<M::Request>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<M::Response>, Status>> + Send + 'static,
{
    erased::<M>(
        name,
        limit,
        (true, true),
        Box::new(move |ctx, params, mut requests| {
            let (service, call) = (service.clone(), call.clone());
            let encoder = requests.encoder();
            let observed = Observed::start(ctx.transport(), Names::of::<M>());
            encoded(
                async move { call(service, ctx, requests.stream(params)).await },
                encoder,
                observed,
            )
        }),
    )
}

/// The erased method of `M` with its shape and its `run`; its limits and `#[file]` fields
/// from `M`'s request.
fn erased<M: MethodMessages>(
    name: &'static str,
    limit: Option<u64>,
    (client_streaming, server_streaming): (bool, bool),
    run: Box<RunFn>,
) -> ErasedMethod {
    ErasedMethod {
        name,
        client_streaming,
        server_streaming,
        limit: message_limit::<M>(limit),
        upload: upload_limit::<M>(limit),
        files: M::Request::FILE_FIELDS,
        run,
    }
}

/// A method's `limit` as the cap of one request message: none for a request with `#[file]`
/// fields, whose `limit` is its upload limit (a whole message keeps the body limit).
fn message_limit<M: MethodMessages>(limit: Option<u64>) -> Option<u64> {
    limit.filter(|_| !M::Request::FILES)
}

/// A method's `limit` as the cap of the files of a request sent in pieces.
fn upload_limit<M: MethodMessages>(limit: Option<u64>) -> Option<u64> {
    limit.filter(|_| M::Request::FILES)
}
