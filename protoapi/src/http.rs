//! The HTTP side of generated services: JSON handlers, routes, and the JSON 404 and 405.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Code, Status};

use crate::context::{Context, Transport};
use crate::limits::Limits;
use crate::message::ProtoMessage;
use crate::status::{error_response, status_response};

/// The HTTP routes of one service, grouped by path so that a wrong verb gets a 405 that lists
/// the right ones.
pub struct Routes {
    limits: Limits,
    paths: Vec<(String, Vec<Method>, MethodRouter)>,
}

impl Routes {
    /// No routes yet.
    pub fn new(limits: Limits) -> Self {
        Routes {
            limits,
            paths: Vec::new(),
        }
    }

    /// The limits handlers should apply.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Adds a handler for `method` at `path`.
    pub fn add(&mut self, method: Method, path: &str, handler: MethodRouter) {
        match self.paths.iter_mut().find(|(p, _, _)| p == path) {
            Some((_, methods, router)) => {
                methods.push(method);
                let merged = std::mem::take(router).merge(handler);
                *router = merged;
            }
            None => self.paths.push((path.to_owned(), vec![method], handler)),
        }
    }

    /// The axum router; a known path with another verb answers 405 with `Allow`.
    pub fn into_router(self) -> Router {
        let mut router = Router::new();
        for (path, methods, method_router) in self.paths {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let fallback = move |request: Request| {
                let allow = allow.clone();
                async move { method_not_allowed(request.method(), request.uri().path(), &allow) }
            };
            router = router.route(&path, method_router.fallback(fallback));
        }
        router
    }
}

/// A POST handler that takes a JSON request and answers JSON.
pub fn post_json<S, F, Req, Rsp, Fut>(service: Arc<S>, limits: Limits, call: F) -> MethodRouter
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, Req) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Rsp, Status>> + Send,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    let handler = move |request: Request| {
        let service = service.clone();
        let call = call.clone();
        async move { unary_json(service, limits, request, call).await }
    };
    axum::routing::on(MethodFilter::POST, handler)
}

/// Serves one JSON call: check the content type, read the body within the limit, decode,
/// call, encode.
pub async fn unary_json<S, F, Req, Rsp, Fut>(
    service: Arc<S>,
    limits: Limits,
    request: Request,
    call: F,
) -> Response
where
    F: FnOnce(Arc<S>, Context, Req) -> Fut,
    Fut: Future<Output = Result<Rsp, Status>>,
    Req: ProtoMessage,
    Rsp: ProtoMessage,
{
    let (parts, body) = request.into_parts();
    if let Err(rejection) = check_json_content_type(&parts.headers) {
        return rejection.into_response();
    }
    let bytes = match read_body(&parts.headers, body, limits.body_limit()).await {
        Ok(bytes) => bytes,
        Err(rejection) => return rejection.into_response(),
    };
    let message = match decode_json::<Req>(&bytes) {
        Ok(message) => message,
        Err(status) => return status_response(&status),
    };
    let ctx = Context::new(Transport::Http, parts.headers, parts.extensions);
    match call(service, ctx, message).await {
        Ok(reply) => json_response(StatusCode::OK, &reply),
        Err(status) => {
            tracing::debug!(code = ?status.code(), message = status.message(), "call failed");
            status_response(&status)
        }
    }
}

/// A request refused before the method runs: an HTTP status and the JSON error body.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    code: Code,
    message: String,
}

impl Rejection {
    fn new(status: StatusCode, code: Code, message: String) -> Self {
        Rejection {
            status,
            code,
            message,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        error_response(self.status, self.code, &self.message)
    }
}

/// Accepts `application/json`, `application/*+json` or no content type; anything else is 415.
fn check_json_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        Some(v) if v.starts_with("application/") && v.ends_with("+json") => Ok(()),
        _ => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content type `{}`: this method accepts application/json",
                String::from_utf8_lossy(value.as_bytes())
            ),
        )),
    }
}

/// Reads a whole body of at most `limit` bytes; past it, 413 with the JSON error body.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Rejection> {
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

/// Decodes a JSON request body; an empty body is the default message. A failure names the
/// field (as a path such as `items[2].name`) and the reason.
pub fn decode_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, Status> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = json_path(error.path());
        let inner = error.into_inner();
        if path.is_empty() {
            Status::invalid_argument(format!("invalid JSON: {inner}"))
        } else {
            Status::invalid_argument(format!("invalid JSON at `{path}`: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|error| Status::invalid_argument(format!("invalid JSON: {error}")))?;
    Ok(value)
}

/// A field path such as `items[2].name`, up to the first segment that is not known (the key
/// of an object cut short, say).
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => break,
        }
    }
    out
}

/// A JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, body).into_response();
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
