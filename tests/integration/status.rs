//! Every gRPC code: the same code over gRPC, the mapped status and JSON body over HTTP.

use protoapi::Code;

use crate::support::lab::{FailRequest, lab_client, lab_server};
use crate::support::post_json;

const TABLE: &[(Code, u16, &str)] = &[
    (Code::Cancelled, 499, "canceled"),
    (Code::Unknown, 500, "unknown"),
    (Code::InvalidArgument, 400, "invalid_argument"),
    (Code::DeadlineExceeded, 504, "deadline_exceeded"),
    (Code::NotFound, 404, "not_found"),
    (Code::AlreadyExists, 409, "already_exists"),
    (Code::PermissionDenied, 403, "permission_denied"),
    (Code::ResourceExhausted, 429, "resource_exhausted"),
    (Code::FailedPrecondition, 400, "failed_precondition"),
    (Code::Aborted, 409, "aborted"),
    (Code::OutOfRange, 400, "out_of_range"),
    (Code::Unimplemented, 501, "unimplemented"),
    (Code::Internal, 500, "internal"),
    (Code::Unavailable, 503, "unavailable"),
    (Code::DataLoss, 500, "data_loss"),
    (Code::Unauthenticated, 401, "unauthenticated"),
];

#[tokio::test]
async fn every_code_maps_to_its_http_status_and_json_body() {
    let server = lab_server().await;
    for (code, http, name) in TABLE {
        let request = format!(
            r#"{{"code": {}, "message": "boom {name} ✗"}}"#,
            *code as i32
        );
        let answer = post_json(&server.url("/test.v1/lab/fail"), &request).await;
        assert_eq!(answer.status, *http, "{name}");
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/json"),
            "{name}"
        );
        assert_eq!(
            answer.json(),
            serde_json::json!({"code": name, "message": format!("boom {name} ✗"), "details": []}),
            "{name}"
        );
        assert_eq!(protoapi::http_status(*code).as_u16(), *http);
        assert_eq!(protoapi::code_name(*code), *name);
    }
}

#[tokio::test]
async fn every_code_reaches_a_grpc_client_unchanged() {
    let server = lab_server().await;
    let client = lab_client(&server).await;
    for (code, _, name) in TABLE {
        let request = FailRequest {
            code: *code as i32,
            message: format!("boom {name} ✗"),
        };
        let status = client.fail(request).await.expect_err("fails");
        assert_eq!(status.code(), *code, "{name}");
        assert_eq!(status.message(), format!("boom {name} ✗"));
    }
}

#[tokio::test]
async fn an_error_with_code_ok_is_still_an_error() {
    let server = lab_server().await;
    let answer = post_json(&server.url("/test.v1/lab/fail"), r#"{"message": "odd"}"#).await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.body,
        r#"{"code":"unknown","message":"odd","details":[]}"#
    );
}
