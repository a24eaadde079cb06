//! Answers: JSON responses, the error envelope, and [`Rejection`], a request refused before
//! its method runs.

use axum::body::Body;
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tonic::{Code, Status};

use super::problem::ErrorBody;
use crate::observe::Failed;
use crate::status::{error_json, failed_code, http_status};

/// The error envelope: `{"code": <gRPC code number>, "message": "..."}`, with the HTTP status
/// of the code.
#[cold]
pub(super) fn envelope_error(status: &Status) -> Response {
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
    let mut response = json_response(
        http_status(code),
        &EnvelopeError {
            code: code as i32,
            message: status.message(),
        },
    );
    response.extensions_mut().insert(Failed(code));
    response
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

    #[cold]
    pub(super) fn from_status(status: Status) -> Self {
        Rejection::new(
            http_status(status.code()),
            status.code(),
            status.message().to_owned(),
        )
    }

    /// The response: the JSON error body, or the error envelope when the service uses it.
    #[cold]
    pub(crate) fn into_response(self, envelope: bool) -> Response {
        let mut response = if envelope {
            let mut response = envelope_error(&Status::new(self.code, self.message));
            *response.status_mut() = self.status;
            response
        } else {
            error_response(self.status, self.code, &self.message)
        };
        // A 503 is the server's memory budget: the client may try again in a moment.
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// A JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    json_body_response(status, serde_json::to_vec(value))
}

/// The response of an encoded JSON body, or of its failure.
pub(super) fn json_body_response(
    status: StatusCode,
    encoded: serde_json::Result<Vec<u8>>,
) -> Response {
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

/// An HTTP error response with the JSON error body (without details).
#[cold]
pub(crate) fn error_response(status: StatusCode, code: Code, message: &str) -> Response {
    json_error_response(
        status,
        code,
        crate::status::error_body(code, message, Vec::new()),
    )
}

/// A response with the JSON error body, marked as one so that it can become a problem
/// ([`super::problem`]).
fn json_error_response(status: StatusCode, code: Code, body: String) -> Response {
    let body = Bytes::from(body);
    let mut response = (status, body.clone()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.extensions_mut().insert(ErrorBody(body));
    response.extensions_mut().insert(Failed(code));
    response
}

/// A [`Status`] as an HTTP answer, for a [`Status`] returned by a method or by validation: the
/// status of its code and the JSON error body with its details.
#[cold]
pub(crate) fn render(status: &Status) -> Response {
    // A handler that returns `Err` with code `ok` still failed.
    let code = failed_code(status);
    json_error_response(http_status(code), code, error_json(status))
}
