//! [`Status`] and its HTTP face: the status code table and the JSON error body.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

pub use tonic::{Code, Status};

/// The HTTP status that answers a gRPC code.
///
/// | code | HTTP |
/// |---|---|
/// | `invalid_argument`, `failed_precondition`, `out_of_range` | 400 |
/// | `unauthenticated` | 401 |
/// | `permission_denied` | 403 |
/// | `not_found` | 404 |
/// | `already_exists`, `aborted` | 409 |
/// | `resource_exhausted` | 429 |
/// | `canceled` | 499 |
/// | `unimplemented` | 501 |
/// | `unavailable` | 503 |
/// | `deadline_exceeded` | 504 |
/// | any other | 500 |
///
/// ```
/// use protoapi::{Code, http_status};
/// assert_eq!(http_status(Code::NotFound).as_u16(), 404);
/// ```
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => CLIENT_CLOSED_REQUEST,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// 499, "client closed request", as nginx and grpc-gateway use it for `canceled`.
const CLIENT_CLOSED_REQUEST: StatusCode = match StatusCode::from_u16(499) {
    Ok(code) => code,
    Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
};

/// The code's name in the JSON error body: snake_case, as the Connect protocol spells it.
///
/// ```
/// assert_eq!(protoapi::code_name(protoapi::Code::InvalidArgument), "invalid_argument");
/// ```
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "ok",
        Code::Cancelled => "canceled",
        Code::Unknown => "unknown",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// The JSON error body: `{"code": "not_found", "message": "...", "details": []}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
    details: [(); 0],
}

/// The JSON error body of a failed call (`unknown` when it failed with `ok`).
pub(crate) fn error_json(status: &Status) -> String {
    let code = if status.code() == Code::Ok {
        Code::Unknown
    } else {
        status.code()
    };
    error_body(code, status.message())
}

fn error_body(code: Code, message: &str) -> String {
    serde_json::to_string(&ErrorBody {
        code: code_name(code),
        message,
        details: [],
    })
    .unwrap_or_else(|_| r#"{"code":"internal","message":"","details":[]}"#.to_owned())
}

/// An HTTP error response with the JSON error body.
pub(crate) fn error_response(status: StatusCode, code: Code, message: &str) -> Response {
    let body = error_body(code, message);
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The HTTP response for a [`Status`] returned by a method.
pub(crate) fn status_response(status: &Status) -> Response {
    // A handler that returns `Err` with code `ok` still failed.
    let code = if status.code() == Code::Ok {
        Code::Unknown
    } else {
        status.code()
    };
    error_response(http_status(code), code, status.message())
}

/// The answer that refuses a request before any method runs, in the request's own protocol: a
/// tower layer (authentication, rate limits) returns it instead of calling the service.
///
/// - gRPC: `200` with the status in `grpc-status` / `grpc-message` headers (trailers-only);
/// - gRPC-Web: the same, with the gRPC-Web content type the client sent;
/// - Connect streaming (`application/connect+json|proto`): `200` and the end-of-stream envelope
///   with the error;
/// - anything else (HTTP, Connect unary, a WebSocket handshake): the HTTP status of the code
///   ([`http_status`]) and the JSON error body.
///
/// ```
/// use protoapi::{Code, Status};
///
/// let request = http::Request::get("/me").body(()).unwrap();
/// let response = protoapi::reject(&request, &Status::unauthenticated("no token"));
/// assert_eq!(response.status(), 401);
///
/// let request = http::Request::post("/auth.Profile/Me")
///     .header("content-type", "application/grpc")
///     .body(())
///     .unwrap();
/// let response = protoapi::reject(&request, &Status::unauthenticated("no token"));
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["grpc-status"], "16");
/// ```
pub fn reject<B>(request: &http::Request<B>, status: &Status) -> Response {
    use crate::connect::Protocol;
    match Protocol::of(request.method(), request.headers()) {
        Protocol::Grpc => status.clone().into_http::<axum::body::Body>(),
        Protocol::GrpcWeb => {
            let mut response = status.clone().into_http::<axum::body::Body>();
            let text = request
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc-web-text"));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(if text {
                    "application/grpc-web-text+proto"
                } else {
                    "application/grpc-web+proto"
                }),
            );
            response
        }
        Protocol::ConnectStream => crate::connect::stream_error_for(request.headers(), status),
        Protocol::ConnectUnary | Protocol::Other => status_response(status),
    }
}
