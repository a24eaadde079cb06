//! Every gRPC code: the same code over gRPC, the mapped status and JSON body over HTTP.
//! In-process (`protoapi::test`): nothing here needs a port.

use protoapi::Code;
use protoapi::test::TestClient;

use crate::support::lab::{FailRequest, LabClient, LabImpl, LabServer};

async fn lab() -> TestClient {
    TestClient::new(protoapi::Server::builder().add(LabServer::new(LabImpl)))
        .await
        .expect("the server builds")
}

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
    let client = lab().await;
    for (code, http, name) in TABLE {
        let request = format!(
            r#"{{"code": {}, "message": "boom {name} ✗"}}"#,
            *code as i32
        );
        let answer = client
            .post_json("/test.v1/lab/fail", request)
            .await
            .expect("an answer");
        assert_eq!(answer.status, *http, "{name}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{name}"
        );
        assert_eq!(
            answer.json::<serde_json::Value>().expect("JSON"),
            serde_json::json!({"code": name, "message": format!("boom {name} ✗"), "details": []}),
            "{name}"
        );
        assert_eq!(protoapi::http_status(*code).as_u16(), *http);
        assert_eq!(protoapi::code_name(*code), *name);
    }
}

#[tokio::test]
async fn every_code_reaches_a_grpc_client_unchanged() {
    let client = LabClient::new(lab().await.channel());
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
    let answer = lab()
        .await
        .post_json("/test.v1/lab/fail", r#"{"message": "odd"}"#)
        .await
        .expect("an answer");
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.text(),
        r#"{"code":"unknown","message":"odd","details":[]}"#
    );
}
