//! The HTTP side of generated services: JSON handlers, routes, and the JSON 404 and 405.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use bytes::Bytes;
use futures_util::FutureExt as _;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::Serialize;
use tonic::{Code, Status};

use axum::extract::{FromRequestParts as _, RawPathParams};

use crate::codec::json::JsonMessage;
use crate::codec::text::TextMessage;
use crate::context::{Context, Transport};
use crate::download::{Conditions, Download};
use crate::limits::Limits;
use crate::message::ProtoMessage;
use crate::path::HttpConfig;
use crate::status::{error_response, http_status, status_response};
use crate::streaming::Streaming;
use crate::websocket::WebSocketEndpoint as Socket;

/// The HTTP routes of one service, grouped by path so that a wrong verb gets a 405 that lists
/// the right ones.
#[derive(Default)]
pub struct Routes {
    paths: Vec<PathRoutes>,
}

/// Everything served at one path.
struct PathRoutes {
    path: String,
    verbs: Vec<&'static str>,
    router: MethodRouter,
    socket: Option<Arc<Socket>>,
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Routes::default()
    }

    /// Adds the handler of `verb` at `path` (axum syntax: `/students/{sno}`).
    pub fn add(&mut self, verb: &'static str, path: &str, handler: MethodRouter) {
        let at = self.at(path);
        at.verbs.push(verb);
        at.router = std::mem::take(&mut at.router).merge(handler);
    }

    /// Serves a WebSocket at `path`: a GET with `Upgrade: websocket` goes to the socket, any
    /// other request to the path's other routes.
    pub fn add_socket(&mut self, path: &str, socket: Arc<Socket>) {
        self.at(path).socket = Some(socket);
    }

    fn at(&mut self, path: &str) -> &mut PathRoutes {
        let index = match self.paths.iter().position(|p| p.path == path) {
            Some(index) => index,
            None => {
                self.paths.push(PathRoutes {
                    path: path.to_owned(),
                    verbs: Vec::new(),
                    router: MethodRouter::new(),
                    socket: None,
                });
                self.paths.len() - 1
            }
        };
        &mut self.paths[index]
    }

    /// The axum router; a known path with another verb answers 405 with `Allow`.
    pub fn into_router(self) -> Router {
        let mut router = Router::new();
        for PathRoutes {
            path,
            mut verbs,
            router: mut method_router,
            socket,
        } in self.paths
        {
            if socket.is_some() && !verbs.contains(&"GET") {
                verbs.push("GET");
                method_router = method_router.get(crate::websocket::upgrade_required);
            }
            let mut allow: Vec<&str> = Vec::new();
            for verb in verbs {
                allow.push(verb);
                if verb == "GET" {
                    allow.push("HEAD");
                }
            }
            let allow = allow.join(", ");
            let fallback = move |request: Request| {
                let allow = allow.clone();
                async move { method_not_allowed(request.method(), request.uri().path(), &allow) }
            };
            let mut method_router = method_router.fallback(fallback);
            if let Some(socket) = socket {
                method_router = method_router.layer(axum::middleware::from_fn(
                    move |request: Request, next: axum::middleware::Next| {
                        let socket = socket.clone();
                        async move {
                            if crate::websocket::is_upgrade(&request) {
                                socket.upgrade(request).await
                            } else {
                                next.run(request).await
                            }
                        }
                    },
                ));
            }
            router = router.route(&path, method_router);
        }
        router
    }
}

/// What the macro decided about one HTTP route of a method.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    /// The verb: `GET`, `POST`, `PUT`, `DELETE` or `PATCH`.
    pub verb: &'static str,
    /// Whether the verb carries a body (POST, PUT, PATCH); GET and DELETE take their whole
    /// request from the path and the query.
    pub body: bool,
    /// The success status.
    pub status: u16,
    /// The method's own body limit, if it sets one.
    pub limit: Option<u64>,
    /// Answers in the `{"code": 0, "data": ...}` envelope.
    pub envelope: bool,
}

/// The handler of one route: binds the request from the query, the body and the path (in
/// that order, so that the path wins over the body and the body over the query), calls the
/// method and answers.
pub fn endpoint<S, F, Req, Rsp, Fut>(
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
    let limits = config.limits.for_method(endpoint.limit);
    let upload_dir = config.upload_dir.clone();
    let status = StatusCode::from_u16(endpoint.status).unwrap_or(StatusCode::OK);
    let (with_body, envelope) = (endpoint.body, endpoint.envelope);
    // The per-method future holds only what needs the method's types; binding, the reply's
    // settings and the error answers are compiled once (`bind_text`, `reply_to`, `failed`).
    let handler = move |request: Request| -> ResponseFuture {
        let service = service.clone();
        let call = call.clone();
        let upload_dir = upload_dir.clone();
        let (mut parts, body) = request.into_parts();
        // The future is boxed, and its size is copied on every request: the binding and the
        // call are each in a block of their own, so that what one holds takes no room while
        // the other runs.
        Box::pin(async move {
            let (called, to) = {
                let mut message = Req::default();
                let body = with_body.then(|| {
                    if Req::FORM {
                        BodyKind::Form(body)
                    } else {
                        BodyKind::Json(body)
                    }
                });
                let bound = bind_text(
                    &mut message,
                    &mut parts,
                    body,
                    limits,
                    upload_dir.as_deref(),
                )
                .await;
                if let Some(response) = bind_rest(&mut message, bound, envelope) {
                    return response;
                }
                let (ctx, to) = reply_to(parts, status, envelope, Rsp::CONDITIONAL, Rsp::STREAM);
                (call(service, ctx, message), to)
            };
            // A method that panics is answered `internal`, as on a WebSocket, instead of
            // leaving the client with a closed connection.
            match std::panic::AssertUnwindSafe(called).catch_unwind().await {
                Ok(Ok(reply)) => reply.into_http(to).await,
                Ok(Err(error)) => failed(&error, envelope),
                Err(_) => failed(&crate::status::panicked(None), envelope),
            }
        })
    };
    let filter = match endpoint.verb {
        "GET" => MethodFilter::GET,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        _ => MethodFilter::POST,
    };
    axum::routing::on_service(filter, ErasedEndpoint(Arc::new(handler)))
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

/// What the request says about the shape of the answer.
#[derive(Debug)]
pub struct ReplyTo {
    /// Conditional and range headers (downloads).
    conditions: Conditions,
    /// The client asked for `text/event-stream` (streams).
    event_stream: bool,
    /// The success status.
    status: StatusCode,
    /// Answers in the `{"code": 0, "data": ...}` envelope.
    envelope: bool,
}

/// Whether `Accept` lists `text/event-stream`.
fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// What a method answers over HTTP: a message as JSON, a [`Download`] streamed, or a
/// [`Streaming`] as Server-Sent Events or newline-delimited JSON.
pub trait HttpReply: Send + 'static {
    /// Whether the answer depends on conditional and range headers of the request.
    const CONDITIONAL: bool = false;
    /// Whether the answer is a stream of messages.
    const STREAM: bool = false;
    /// The response.
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send;
}

impl<T: ProtoMessage> HttpReply for T {
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send {
        let (status, envelope) = (to.status, to.envelope);
        // The envelope `{"code":0,"data":...}` is written around the message's JSON, not
        // derived: a derived wrapper would add serializer code for every message type.
        let mut body = Vec::with_capacity(128);
        if envelope {
            body.extend_from_slice(br#"{"code":0,"data":"#);
        }
        let encoded = match serde_json::to_writer(&mut body, &self) {
            Ok(()) => {
                if envelope {
                    body.push(b'}');
                }
                Ok(body)
            }
            Err(error) => Err(error),
        };
        let response = json_body_response(status, encoded);
        std::future::ready(response)
    }
}

impl HttpReply for Download {
    const CONDITIONAL: bool = true;
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send {
        self.into_response(to.conditions, to.status)
    }
}

/// A server stream over HTTP: Server-Sent Events when the client accepts
/// `text/event-stream`, newline-delimited JSON otherwise. The stream is read only as fast as
/// the client reads the body.
impl<T: ProtoMessage> HttpReply for Streaming<T> {
    const STREAM: bool = true;
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send {
        let response = if to.event_stream {
            event_stream(self, to.status)
        } else {
            ndjson(self, to.status)
        };
        std::future::ready(response)
    }
}

/// One step of a stream that ends after its first error.
enum Step<T> {
    Item(T),
    Failed(Status),
    Done,
}

/// The stream's items, then `Done`; nothing after the first error.
fn steps<T: Send + 'static>(
    stream: Streaming<T>,
) -> impl futures_util::Stream<Item = Step<T>> + Send {
    use futures_util::StreamExt as _;
    futures_util::stream::unfold(Some(stream), |state| async move {
        let mut stream = state?;
        match stream.next().await {
            Some(Ok(item)) => Some((Step::Item(item), Some(stream))),
            Some(Err(status)) => Some((Step::Failed(status), None)),
            None => Some((Step::Done, None)),
        }
    })
}

use crate::status::error_json;

fn item_json<T: Serialize>(item: &T) -> Result<String, Status> {
    serde_json::to_string(item).map_err(|error| {
        tracing::error!(%error, "failed to encode a JSON stream item");
        Status::internal("failed to encode the response")
    })
}

/// Server-Sent Events: each message in a `data:` line; an `error` event with the error body,
/// or an `end` event when the stream succeeded.
fn event_stream<T: ProtoMessage>(stream: Streaming<T>, status: StatusCode) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures_util::StreamExt as _;
    let events = steps(stream).map(|step| {
        let event = match step {
            Step::Item(item) => match item_json(&item) {
                Ok(json) => Event::default().data(json),
                Err(status) => Event::default().event("error").data(error_json(&status)),
            },
            Step::Failed(status) => Event::default().event("error").data(error_json(&status)),
            Step::Done => Event::default().event("end").data("{}"),
        };
        Ok::<_, std::convert::Infallible>(event)
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    *response.status_mut() = status;
    response
}

/// Newline-delimited JSON: `{"result": ...}` for each message, `{"error": {...}}` when the
/// stream fails; the body ends when the stream succeeded.
fn ndjson<T: ProtoMessage>(stream: Streaming<T>, status: StatusCode) -> Response {
    use futures_util::StreamExt as _;
    let lines = steps(stream).filter_map(|step| {
        let line = match step {
            Step::Item(item) => Some(match item_json(&item) {
                Ok(json) => format!("{{\"result\":{json}}}\n"),
                Err(status) => format!("{{\"error\":{}}}\n", error_json(&status)),
            }),
            Step::Failed(status) => Some(format!("{{\"error\":{}}}\n", error_json(&status))),
            Step::Done => None,
        };
        std::future::ready(line.map(|l| Ok::<_, std::convert::Infallible>(Bytes::from(l))))
    });
    let mut response = Response::new(Body::from_stream(lines));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

/// Ends binding a request: merges the JSON body that `bind_text` read and then the path
/// parameters, and validates the message; `Some` error answer if one of these fails.
fn bind_rest<Req: ProtoMessage>(
    message: &mut Req,
    bound: Result<(Option<Bytes>, RawPathParams), Rejection>,
    envelope: bool,
) -> Option<Response> {
    let merged = bound.and_then(|(json, params)| {
        if let Some(bytes) = json {
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

/// The call's context and how to answer it.
fn reply_to(
    parts: http::request::Parts,
    status: StatusCode,
    envelope: bool,
    conditional: bool,
    stream: bool,
) -> (Context, ReplyTo) {
    let to = ReplyTo {
        conditions: if conditional {
            Conditions::from_headers(&parts.headers)
        } else {
            Conditions::default()
        },
        event_stream: stream && accepts_event_stream(&parts.headers),
        status,
        envelope,
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
        status_response(error)
    }
}

/// A request body, by how the message takes it.
enum BodyKind {
    Form(Body),
    Json(Body),
}

/// Merges the query and a form body; reads a JSON body (for the caller to merge) and the path
/// parameters (to merge after it).
async fn bind_text(
    message: &mut (dyn TextMessage + Send),
    parts: &mut http::request::Parts,
    body: Option<BodyKind>,
    limits: Limits,
    upload_dir: Option<&std::path::Path>,
) -> Result<(Option<Bytes>, RawPathParams), Rejection> {
    if let Some(query) = parts.uri.query() {
        merge_pairs(
            message,
            query.as_bytes(),
            "query parameter",
            limits.fields_limit(),
        )?;
    }
    let json = match body {
        Some(BodyKind::Form(body)) => {
            merge_form_body(message, &parts.headers, body, limits, upload_dir).await?;
            None
        }
        Some(BodyKind::Json(body)) => {
            check_json_content_type(&parts.headers)?;
            Some(read_body(&parts.headers, body, limits.body_limit()).await?)
        }
        None => None,
    };
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|error| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidArgument,
                error.body_text(),
            )
        })?;
    Ok((json, params))
}

/// Merges the path parameters of the route.
fn merge_path_params(
    message: &mut dyn TextMessage,
    params: &RawPathParams,
) -> Result<(), Rejection> {
    for (name, value) in params {
        message.merge_text(name, value).map_err(|error| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidArgument,
                format!("invalid path parameter `{name}`: {error}"),
            )
        })?;
    }
    Ok(())
}

/// Merges `key=value` pairs (a query string or an urlencoded form); unknown keys are ignored.
/// More than `most` pairs are refused before any is merged.
fn merge_pairs(
    message: &mut dyn TextMessage,
    text: &[u8],
    what: &str,
    most: usize,
) -> Result<(), Rejection> {
    let pairs = count_pairs(text);
    if pairs > most {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            format!("too many {what}s: {pairs}, the limit is {most}"),
        ));
    }
    for (key, value) in form_urlencoded::parse(text) {
        message.merge_text(&key, &value).map_err(|error| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidArgument,
                format!("invalid {what} `{}`: {error}", crate::status::shown(&key)),
            )
        })?;
    }
    Ok(())
}

/// How many `key=value` pairs a query or form has, at most: pairs are separated by `&`, and
/// empty pieces are no pairs.
pub(crate) fn count_pairs(text: &[u8]) -> usize {
    text.split(|&b| b == b'&').filter(|p| !p.is_empty()).count()
}

/// The body of a `#[form]` message: urlencoded (or absent; multipart in [`crate::multipart`]).
async fn merge_form_body(
    message: &mut (dyn TextMessage + Send),
    headers: &HeaderMap,
    body: Body,
    limits: Limits,
    upload_dir: Option<&std::path::Path>,
) -> Result<(), Rejection> {
    let limit = limits.body_limit();
    match content_type_essence(headers).as_deref() {
        None | Some("application/x-www-form-urlencoded") => {
            let bytes = read_body(headers, body, limit).await?;
            merge_pairs(message, &bytes, "form field", limits.fields_limit())
        }
        // Boxed: its state is large, and would otherwise be room in every request's future.
        Some("multipart/form-data") => {
            Box::pin(crate::multipart::merge(
                message, headers, body, limits, upload_dir,
            ))
            .await
        }
        Some(_) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content type `{}`: this method accepts application/x-www-form-urlencoded or multipart/form-data",
                content_type_text(headers)
            ),
        )),
    }
}

/// The content type without parameters, in lowercase.
pub(crate) fn content_type_essence(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    headers.get(header::CONTENT_TYPE).map(|value| {
        let essence = value.to_str().map_or("", |value| {
            let end = value.bytes().position(|b| b == b';');
            // `;` is ASCII, so `end` is a character boundary.
            value[..end.unwrap_or(value.len())].trim_ascii()
        });
        // Lower case as sent (the usual case) is borrowed, not copied.
        if essence.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(essence.to_ascii_lowercase())
        } else {
            Cow::Borrowed(essence)
        }
    })
}

/// The content type as sent, for error messages.
pub(crate) fn content_type_text(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// The error envelope: `{"code": <gRPC code number>, "message": "..."}`, with the HTTP status
/// of the code.
#[cold]
fn envelope_error(status: &Status) -> Response {
    #[derive(Serialize)]
    struct EnvelopeError<'a> {
        code: i32,
        message: &'a str,
    }
    let code = if status.code() == Code::Ok {
        Code::Unknown
    } else {
        status.code()
    };
    json_response(
        http_status(code),
        &EnvelopeError {
            code: code as i32,
            message: status.message(),
        },
    )
}

/// A request refused before the method runs: an HTTP status and the JSON error body.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    code: Code,
    message: String,
}

impl Rejection {
    #[cold]
    pub(crate) fn new(status: StatusCode, code: Code, message: String) -> Self {
        Rejection {
            status,
            code,
            message,
        }
    }

    /// The error message.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    #[cold]
    fn from_status(status: Status) -> Self {
        Rejection::new(
            http_status(status.code()),
            status.code(),
            status.message().to_owned(),
        )
    }

    /// The response: the JSON error body, or the error envelope when the service uses it.
    #[cold]
    pub(crate) fn into_response(self, envelope: bool) -> Response {
        if envelope {
            let mut response = envelope_error(&Status::new(self.code, self.message));
            *response.status_mut() = self.status;
            response
        } else {
            error_response(self.status, self.code, &self.message)
        }
    }
}

/// Accepts `application/json`, `application/*+json` or no content type; anything else is 415.
fn check_json_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let content_type = headers.get(header::CONTENT_TYPE);
    // What nearly every client sends, checked in one comparison.
    if content_type.is_none_or(|value| value.as_bytes() == b"application/json") {
        return Ok(());
    }
    match content_type_essence(headers).as_deref() {
        None | Some("application/json") => Ok(()),
        Some(v) if v.starts_with("application/") && v.ends_with("+json") => Ok(()),
        Some(_) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content type `{}`: this method accepts application/json",
                content_type_text(headers)
            ),
        )),
    }
}

/// Reads a whole body of at most `limit` bytes; past it, 413 with the JSON error body.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, Rejection> {
    let too_large = || {
        Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::ResourceExhausted,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(too_large()),
        Err(error) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            format!("failed to read the request body: {error}"),
        )),
    }
}

/// Merges a JSON request body into `message`; an empty body leaves it as it is. A failure names
/// the field (as a path such as `items[2].name`) and the reason.
///
/// The path is found only for a body that failed, from where the decoder stopped
/// ([`crate::codec::json_path`]): tracking it while decoding would cost a copy of every key (a
/// third of the decoding time of a small, valid request), and a second, tracking decoder per
/// message type would double the compiled code.
pub fn merge_json<T: JsonMessage>(message: &mut T, bytes: &[u8]) -> Result<(), Status> {
    merge_json_with(message, bytes, serde_json::Deserializer::from_slice(bytes))
}

/// [`merge_json`] of text already known to be UTF-8 (a WebSocket text frame): its strings are
/// read without a check of their own.
pub(crate) fn merge_json_text<T: JsonMessage>(message: &mut T, text: &str) -> Result<(), Status> {
    merge_json_with(
        message,
        text.as_bytes(),
        serde_json::Deserializer::from_str(text),
    )
}

fn merge_json_with<'de, T: JsonMessage, R: serde_json::de::Read<'de>>(
    message: &mut T,
    bytes: &[u8],
    mut deserializer: serde_json::Deserializer<R>,
) -> Result<(), Status> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    crate::codec::json::merge_message(message, &mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|error| json_error(bytes, &error))
}

/// The error of a JSON body that failed to decode, with the path of the field it failed at.
fn json_error(bytes: &[u8], error: &serde_json::Error) -> Status {
    let path = crate::codec::json_path::error_path(bytes, error);
    if path.is_empty() {
        Status::invalid_argument(format!("invalid JSON: {error}"))
    } else {
        Status::invalid_argument(format!("invalid JSON at `{path}`: {error}"))
    }
}

/// A JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    json_body_response(status, serde_json::to_vec(value))
}

/// The response of an encoded JSON body, or of its failure.
fn json_body_response(status: StatusCode, encoded: serde_json::Result<Vec<u8>>) -> Response {
    match encoded {
        Ok(body) => {
            // Built in place: `(status, body).into_response()` would first set
            // `application/octet-stream` only for it to be replaced.
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "failed to encode a JSON response");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::Internal,
                "failed to encode the response",
            )
        }
    }
}

/// 405 with `Allow` and the JSON error body.
fn method_not_allowed(method: &Method, path: &str, allow: &str) -> Response {
    let mut response = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::Unimplemented,
        &format!("method {method} is not allowed on {path}; allowed: {allow}"),
    );
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The answer to a request for a path that no route serves: a gRPC `unimplemented` status for
/// gRPC clients, a JSON 404 for everyone else.
pub async fn not_found(request: Request) -> Response {
    if is_grpc(request.headers()) {
        let status = Status::unimplemented(format!(
            "unknown service or method {}",
            request.uri().path()
        ));
        return status.into_http::<Body>();
    }
    error_response(
        StatusCode::NOT_FOUND,
        Code::NotFound,
        &format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

/// Whether a request is gRPC (content type `application/grpc` or `application/grpc+...`).
pub fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|value| {
        let value = value.as_bytes();
        value.starts_with(b"application/grpc")
            && matches!(value.get(16), None | Some(b'+') | Some(b';'))
    })
}
