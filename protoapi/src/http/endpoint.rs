//! One route's handler per kind of method ([`unary`], [`server_streaming`], [`download`]),
//! type-erased: binds the request, calls the method, answers with
//! [`HttpReply`](super::reply::HttpReply).

use std::future::Future;
use std::sync::Arc;

use axum::extract::{RawPathParams, Request};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};
use bytes::Bytes;
use futures_util::FutureExt as _;
use http::StatusCode;
use tonic::Status;
use tracing::Instrument as _;

use super::body::{BodyKind, bind_text, merge_path_params};
use super::download::Conditions;
use super::reply::{HttpReply, ReplyTo};
use super::response::render;
use super::response::{Rejection, envelope_error};
use super::stream::accepts_event_stream;
use crate::budget::Charge;
use crate::codec::json_merge::merge_json;
use crate::compression::Compression;
use crate::context::{Context, Transport};
use crate::download::Download;
use crate::message::{MethodMessages, ProtoMessage};
use crate::observe::{Failed, Names, Observed};
use crate::path::HttpConfig;
use crate::schema::Verb;
use crate::streaming::Streaming;

/// What the macro decided about one HTTP route of a method.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    /// The verb.
    pub verb: Verb,
    /// Whether the verb carries a body (POST, PUT, PATCH); GET and DELETE take their whole
    /// request from the path and the query.
    pub body: bool,
    /// The success status.
    pub status: u16,
    /// The method's own body limit, if it sets one.
    pub limit: Option<u64>,
    /// Answers in the `{"code": 0, "data": ...}` envelope.
    pub envelope: bool,
    /// The form field whose value is the request in proto3 JSON (`form = "data"`): the body is
    /// then a form, whatever the message says.
    pub form: Option<&'static str>,
    /// The response field whose value is the whole answer (`response_body = "items"`), by its
    /// Rust name.
    pub response_body: Option<&'static str>,
}

/// The route of a unary method: answers its response message.
pub fn unary<M: MethodMessages, S, F, Fut>(
    _: M,
    service: Arc<S>,
    config: &HttpConfig,
    endpoint: Endpoint,
    call: F,
) -> MethodRouter
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<M::Response, Status>> + Send,
{
    handler(Names::of::<M>(), service, config, endpoint, call)
}

/// The route of a server-streaming method: answers SSE or NDJSON.
pub fn server_streaming<M: MethodMessages, S, F, Fut>(
    _: M,
    service: Arc<S>,
    config: &HttpConfig,
    endpoint: Endpoint,
    call: F,
) -> MethodRouter
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Streaming<M::Response>, Status>> + Send,
{
    handler(Names::of::<M>(), service, config, endpoint, call)
}

/// The route of a download method: answers the file.
pub fn download<M: MethodMessages, S, F, Fut>(
    _: M,
    service: Arc<S>,
    config: &HttpConfig,
    endpoint: Endpoint,
    call: F,
) -> MethodRouter
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Download, Status>> + Send,
{
    handler(Names::of::<M>(), service, config, endpoint, call)
}

/// The handler of one route: binds the request from the query, the body and the path (in
/// that order, so that the path wins over the body and the body over the query), calls the
/// method and answers.
fn handler<S, F, Req, Rsp, Fut>(
    names: Names,
    service: Arc<S>,
    config: &HttpConfig,
    endpoint: Endpoint,
    call: F,
) -> MethodRouter
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send,
    Req: ProtoMessage,
    Rsp: HttpReply,
{
    let limits = config.limits.for_method(endpoint.limit, Req::FILES);
    let compression = config.compression;
    let upload_dir = config.upload_dir.clone();
    let budget = config.stats.memory().clone();
    let status = StatusCode::from_u16(endpoint.status).unwrap_or(StatusCode::OK);
    let (with_body, envelope, form) = (endpoint.body, endpoint.envelope, endpoint.form);
    let body_field = endpoint.response_body.and_then(Rsp::body_field);
    // The per-method future holds only what needs the method's types; binding, the reply's
    // settings and the error answers are compiled once (`bind_text`, `reply_to`, `failed`).
    let handler = move |request: Request| -> ResponseFuture {
        let service = service.clone();
        let call = call.clone();
        let (upload_dir, budget) = (upload_dir.clone(), budget.clone());
        let (mut parts, body) = request.into_parts();
        let observed = Observed::start(Transport::Http, names);
        let span = observed.active().then(|| observed.span());
        // The future is boxed, and its size is copied on every request: the binding and the
        // call are each in a block of their own, so that what one holds takes no room while
        // the other runs.
        let answer = async move {
            let mut observed = observed;
            let (called, mut to) = {
                let mut message = Req::default();
                let body = with_body.then(|| {
                    if Req::FORM || form.is_some() {
                        BodyKind::Form(body, form)
                    } else {
                        BodyKind::Json(body)
                    }
                });
                let bound = bind_text(
                    &mut message,
                    &mut parts,
                    body,
                    limits,
                    &compression,
                    upload_dir.as_deref(),
                    &budget,
                )
                .await;
                if let Some(response) = bind_rest(&mut message, bound, envelope) {
                    return answered(observed, response);
                }
                let (conditional, stream) = (Rsp::CONDITIONAL, Rsp::STREAM);
                let shape = Shape {
                    status,
                    envelope,
                    conditional,
                    stream,
                    body_field,
                    compression,
                };
                let (ctx, to) = reply_to(parts, shape);
                (call(service, ctx, message), to)
            };
            // A method that panics is answered `internal`, as on a WebSocket, instead of
            // leaving the client with a closed connection.
            let response = match std::panic::AssertUnwindSafe(called).catch_unwind().await {
                Ok(Ok(reply)) => {
                    // A stream's call ends with its last item.
                    if Rsp::STREAM {
                        to.observed = observed.take();
                    }
                    reply.into_http(to).await
                }
                Ok(Err(error)) => failed(&error, envelope),
                Err(_) => failed(&crate::status::panicked(None), envelope),
            };
            answered(observed, response)
        };
        match span {
            Some(span) => Box::pin(answer.instrument(span)),
            None => Box::pin(answer),
        }
    };
    axum::routing::on_service(
        method_filter(endpoint.verb),
        ErasedEndpoint(Arc::new(handler)),
    )
}

/// Ends the observed call (unless a stream carried it on) with the code of its answer.
fn answered(observed: Observed, response: Response) -> Response {
    if observed.active() {
        let code = response
            .extensions()
            .get::<Failed>()
            .map_or(tonic::Code::Ok, |failed| failed.0);
        observed.end(code);
    }
    response
}

/// The axum filter of a verb.
fn method_filter(verb: Verb) -> MethodFilter {
    match verb {
        Verb::Get => MethodFilter::GET,
        Verb::Post => MethodFilter::POST,
        Verb::Put => MethodFilter::PUT,
        Verb::Delete => MethodFilter::DELETE,
        Verb::Patch => MethodFilter::PATCH,
    }
}

type ResponseFuture = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

/// An endpoint with its types erased: axum's handler machinery (extraction, boxing, the method
/// router) is compiled once for this type, not once per method of every service.
#[derive(Clone)]
struct ErasedEndpoint(Arc<dyn Fn(Request) -> ResponseFuture + Send + Sync>);

impl tower::Service<Request> for ErasedEndpoint {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::Map<
        ResponseFuture,
        fn(Response) -> Result<Response, std::convert::Infallible>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        (self.0)(request).map(Ok as fn(_) -> _)
    }
}

/// Ends binding a request: merges the JSON body that `bind_text` read and then the path
/// parameters, and validates the message; `Some` error answer if one of these fails.
fn bind_rest<Req: ProtoMessage>(
    message: &mut Req,
    bound: Result<(Option<(Bytes, Charge)>, RawPathParams), Rejection>,
    envelope: bool,
) -> Option<Response> {
    let merged = bound.and_then(|(json, params)| {
        if let Some((bytes, _charge)) = json {
            merge_json(message, &bytes).map_err(Rejection::from_status)?;
        }
        merge_path_params(message, &params)
    });
    match merged {
        Ok(()) => crate::validate::check(message)
            .err()
            .map(|status| error_answer(&status, envelope)),
        Err(rejection) => Some(rejection.into_response(envelope)),
    }
}

/// What a route decided about its answers, beside what each request says.
#[derive(Clone, Copy)]
struct Shape {
    status: StatusCode,
    envelope: bool,
    conditional: bool,
    stream: bool,
    body_field: Option<usize>,
    compression: Compression,
}

/// The call's context and how to answer it.
fn reply_to(parts: http::request::Parts, shape: Shape) -> (Context, ReplyTo) {
    let Shape {
        status,
        envelope,
        conditional,
        stream,
        body_field,
        compression,
    } = shape;
    let to = ReplyTo {
        conditions: if conditional {
            Conditions::from_headers(&parts.headers)
        } else {
            Conditions::default()
        },
        event_stream: stream && accepts_event_stream(&parts.headers),
        observed: Observed::none(),
        status,
        envelope,
        body_field,
        coding: compression.answer_coding(parts.headers.get(http::header::ACCEPT_ENCODING)),
        compression,
    };
    (
        Context::new(Transport::Http, parts.headers, parts.extensions),
        to,
    )
}

/// The answer to a call that failed.
#[cold]
fn failed(error: &Status, envelope: bool) -> Response {
    tracing::debug!(code = ?error.code(), message = error.message(), "call failed");
    error_answer(error, envelope)
}

/// A status as the error answer of an endpoint.
#[cold]
fn error_answer(error: &Status, envelope: bool) -> Response {
    if envelope {
        envelope_error(error)
    } else {
        render(error)
    }
}
