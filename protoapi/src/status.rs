//! [`Status`] and what every transport renders of it: the HTTP status of each code and the
//! JSON error body. How a transport answers with them is the transport's own (`render`).

use http::StatusCode;
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

/// The JSON error body: `{"code": "not_found", "message": "...", "details": [...]}`.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
    details: Vec<ErrorDetail>,
}

/// One detail of an error, as the Connect protocol writes it in JSON: the detail's
/// fully-qualified type name, its protobuf bytes in base64 (standard alphabet, no padding) and,
/// for the detail types protoapi knows (`google.rpc.BadRequest`, `google.rpc.ErrorInfo`), the
/// same in proto3 JSON under `debug`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct ErrorDetail {
    #[serde(rename = "type")]
    type_name: String,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    debug: Option<serde_json::Value>,
}

/// The details of a status: those of the `google.rpc.Status` its details bytes hold (what
/// gRPC sends in `grpc-status-details-bin`); none when they are empty or hold something else.
pub(crate) fn error_details(status: &Status) -> Vec<ErrorDetail> {
    use base64::Engine as _;
    use prost::Message as _;
    if status.details().is_empty() {
        return Vec::new();
    }
    let Ok(rpc_status) = tonic_types::pb::Status::decode(status.details()) else {
        return Vec::new();
    };
    rpc_status
        .details
        .iter()
        .map(|any| {
            let type_name = any
                .type_url
                .rsplit_once('/')
                .map_or(any.type_url.as_str(), |(_, name)| name)
                .to_owned();
            ErrorDetail {
                debug: debug_json(&type_name, &any.value),
                value: base64::engine::general_purpose::STANDARD_NO_PAD.encode(&any.value),
                type_name,
            }
        })
        .collect()
}

/// A known detail type in proto3 JSON (default values left out, names in lowerCamelCase).
fn debug_json(type_name: &str, bytes: &[u8]) -> Option<serde_json::Value> {
    use prost::Message as _;
    use serde_json::{Map, Value};
    fn put(object: &mut Map<String, Value>, key: &str, text: &str) {
        if !text.is_empty() {
            object.insert(key.to_owned(), Value::from(text));
        }
    }
    match type_name {
        "google.rpc.BadRequest" => {
            let bad_request = tonic_types::pb::BadRequest::decode(bytes).ok()?;
            let violations: Vec<Value> = bad_request
                .field_violations
                .iter()
                .map(|violation| {
                    let mut object = Map::new();
                    put(&mut object, "field", &violation.field);
                    put(&mut object, "description", &violation.description);
                    put(&mut object, "reason", &violation.reason);
                    if let Some(localized) = &violation.localized_message {
                        let mut inner = Map::new();
                        put(&mut inner, "locale", &localized.locale);
                        put(&mut inner, "message", &localized.message);
                        object.insert("localizedMessage".to_owned(), Value::Object(inner));
                    }
                    Value::Object(object)
                })
                .collect();
            let mut object = Map::new();
            if !violations.is_empty() {
                object.insert("fieldViolations".to_owned(), Value::Array(violations));
            }
            Some(Value::Object(object))
        }
        "google.rpc.ErrorInfo" => {
            let info = tonic_types::pb::ErrorInfo::decode(bytes).ok()?;
            let mut object = Map::new();
            put(&mut object, "reason", &info.reason);
            put(&mut object, "domain", &info.domain);
            if !info.metadata.is_empty() {
                let metadata: std::collections::BTreeMap<_, _> = info.metadata.iter().collect();
                object.insert("metadata".to_owned(), serde_json::to_value(metadata).ok()?);
            }
            Some(Value::Object(object))
        }
        _ => None,
    }
}

/// The code a failed call answers with: `unknown` when it failed with `ok`.
pub(crate) fn failed_code(status: &Status) -> Code {
    if status.code() == Code::Ok {
        Code::Unknown
    } else {
        status.code()
    }
}

/// The JSON error body of a failed call, its details included (`unknown` when it failed with
/// `ok`).
pub(crate) fn error_json(status: &Status) -> String {
    error_body(failed_code(status), status.message(), error_details(status))
}

/// The JSON error body of `code` and `message` with `details`.
pub(crate) fn error_body(code: Code, message: &str, details: Vec<ErrorDetail>) -> String {
    serde_json::to_string(&ErrorBody {
        code: code_name(code),
        message,
        details,
    })
    .unwrap_or_else(|_| r#"{"code":"internal","message":"","details":[]}"#.to_owned())
}

/// How much of a request's own text (a value, a key, a field name) an error message quotes.
pub(crate) const SHOWN_CHARS: usize = 64;

/// A request's text as an error message quotes it: the first [`SHOWN_CHARS`] characters, and
/// `…` when there were more, so that an error is never as long as the value that caused it.
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// The status of a call whose method panicked, on every transport: `internal` with no more than
/// `internal error`; the panic itself is logged (with the method, when known), never sent.
#[cold]
pub(crate) fn panicked(method: Option<&str>) -> Status {
    match method {
        Some(method) => tracing::error!(method, "a method panicked"),
        None => tracing::error!("a method panicked"),
    }
    Status::internal("internal error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

    #[test]
    fn every_code_has_its_http_status() {
        let table = [
            (Code::Ok, 500),
            (Code::Cancelled, 499),
            (Code::Unknown, 500),
            (Code::InvalidArgument, 400),
            (Code::DeadlineExceeded, 504),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::PermissionDenied, 403),
            (Code::ResourceExhausted, 429),
            (Code::FailedPrecondition, 400),
            (Code::Aborted, 409),
            (Code::OutOfRange, 400),
            (Code::Unimplemented, 501),
            (Code::Internal, 500),
            (Code::Unavailable, 503),
            (Code::DataLoss, 500),
            (Code::Unauthenticated, 401),
        ];
        for (code, status) in table {
            assert_eq!(http_status(code).as_u16(), status, "{code:?}");
        }
    }

    #[test]
    fn shown_quotes_at_most_64_characters() {
        assert_eq!(shown("short"), "short");
        let exact = "é".repeat(SHOWN_CHARS);
        assert_eq!(shown(&exact), exact);
        let long = format!("{exact}x");
        assert_eq!(shown(&long), format!("{exact}…"));
    }

    #[test]
    fn a_bad_request_renders_in_the_connect_shape() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "invalid request: age: must be at most 150",
            ErrorDetails::with_bad_request(vec![FieldViolation::new("age", "must be at most 150")]),
        );
        let body: serde_json::Value = serde_json::from_str(&error_json(&status)).expect("JSON");
        // The BadRequest message: field 1 (a FieldViolation) holding field 1 and field 2.
        let bytes = [
            0x0a, 0x1a, 0x0a, 0x03, b'a', b'g', b'e', 0x12, 0x13, b'm', b'u', b's', b't', b' ',
            b'b', b'e', b' ', b'a', b't', b' ', b'm', b'o', b's', b't', b' ', b'1', b'5', b'0',
        ];
        use base64::Engine as _;
        assert_eq!(
            body,
            serde_json::json!({
                "code": "invalid_argument",
                "message": "invalid request: age: must be at most 150",
                "details": [{
                    "type": "google.rpc.BadRequest",
                    "value": base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes),
                    "debug": {"fieldViolations": [{"field": "age", "description": "must be at most 150"}]},
                }],
            })
        );
        assert!(
            !body["details"][0]["value"]
                .as_str()
                .expect("text")
                .ends_with('=')
        );
    }

    #[test]
    fn error_info_renders_and_unknown_details_have_no_debug() {
        let details = ErrorDetails::with_error_info(
            "QUOTA",
            "example.com",
            std::collections::HashMap::from([
                ("b".to_owned(), "2".to_owned()),
                ("a".to_owned(), "1".to_owned()),
            ]),
        );
        let status = Status::with_error_details(Code::ResourceExhausted, "slow down", details);
        let rendered = error_details(&status);
        assert_eq!(rendered.len(), 1);
        assert_eq!(rendered[0].type_name, "google.rpc.ErrorInfo");
        assert_eq!(
            rendered[0].debug,
            Some(
                serde_json::json!({"reason": "QUOTA", "domain": "example.com", "metadata": {"a": "1", "b": "2"}})
            )
        );

        let help = ErrorDetails::with_help(vec![tonic_types::HelpLink::new(
            "docs",
            "https://example.com",
        )]);
        let status = Status::with_error_details(Code::InvalidArgument, "see the docs", help);
        let rendered = error_details(&status);
        assert_eq!(rendered.len(), 1);
        assert_eq!(rendered[0].type_name, "google.rpc.Help");
        assert_eq!(rendered[0].debug, None);
        assert!(!rendered[0].value.is_empty());
    }

    #[test]
    fn details_that_are_no_rpc_status_are_left_out() {
        let status = Status::with_details(
            Code::Internal,
            "odd",
            bytes::Bytes::from_static(&[0xff, 0xff]),
        );
        assert_eq!(
            error_json(&status),
            r#"{"code":"internal","message":"odd","details":[]}"#
        );
        assert_eq!(
            error_json(&Status::not_found("gone")),
            r#"{"code":"not_found","message":"gone","details":[]}"#
        );
    }
}
