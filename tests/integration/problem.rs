//! RFC 9457 problem details: an HTTP error as `application/problem+json` when `Accept` prefers
//! it or the server answers every error so; the JSON error body otherwise, and Connect's
//! errors always in Connect's shape.

use serde_json::json;

use crate::support::lab::{LabImpl, LabServer, lab_server};
use crate::support::{TestServer, send};

const PROBLEM: &str = "application/problem+json";

fn fail(server: &TestServer, accept: Option<&str>) -> reqwest::RequestBuilder {
    let request = reqwest::Client::new()
        .post(server.url("/test.v1/lab/fail"))
        .header("content-type", "application/json")
        .body(r#"{"code": 5, "message": "no such thing"}"#);
    match accept {
        Some(accept) => request.header("accept", accept),
        None => request,
    }
}

fn not_found_problem() -> serde_json::Value {
    json!({
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no such thing",
        "code": "not_found",
        "details": [],
    })
}

#[tokio::test]
async fn a_failed_call_is_a_problem_when_accept_prefers_one() {
    let server = lab_server().await;
    for accept in [
        PROBLEM,
        "application/json, application/problem+json",
        "application/problem+json, application/json;q=0.9",
    ] {
        let answer = send(fail(&server, Some(accept))).await;
        assert_eq!(answer.status, 404, "{accept}");
        assert_eq!(answer.content_type.as_deref(), Some(PROBLEM), "{accept}");
        assert_eq!(answer.json(), not_found_problem(), "{accept}");
    }
    for accept in [
        None,
        Some("application/json"),
        Some("*/*"),
        Some("application/problem+json;q=0.5, application/json"),
    ] {
        let answer = send(fail(&server, accept)).await;
        assert_eq!(answer.status, 404, "{accept:?}");
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/json"),
            "{accept:?}"
        );
        assert_eq!(
            answer.json(),
            json!({"code": "not_found", "message": "no such thing", "details": []}),
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_request_is_a_problem_too() {
    let server = lab_server().await;
    let problem = |request: reqwest::RequestBuilder| send(request.header("accept", PROBLEM));
    let client = reqwest::Client::new();

    let answer = problem(client.get(server.url("/nowhere"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type.as_deref(), Some(PROBLEM));
    assert_eq!(
        answer.json(),
        json!({
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "no route for GET /nowhere",
            "code": "not_found",
            "details": [],
        })
    );

    let answer = problem(client.get(server.url("/test.v1/lab/fail"))).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.content_type.as_deref(), Some(PROBLEM));
    assert_eq!(answer.headers["allow"], "POST");
    assert_eq!(answer.json()["title"], "Method Not Allowed");

    let answer = problem(
        client
            .post(server.url("/test.v1/lab/fail"))
            .header("content-type", "text/plain")
            .body("x"),
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(answer.content_type.as_deref(), Some(PROBLEM));
    assert_eq!(answer.json()["title"], "Unsupported Media Type");
    assert_eq!(answer.json()["code"], "invalid_argument");
}

#[tokio::test]
async fn a_server_may_answer_every_error_as_a_problem() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .problem_details(true)
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let answer = send(fail(&server, None)).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type.as_deref(), Some(PROBLEM));
    assert_eq!(answer.json(), not_found_problem());
}

#[tokio::test]
async fn connect_errors_keep_their_shape() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .problem_details(true)
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/test.v1.Lab/Fail"))
            .header("content-type", "application/json")
            .header("connect-protocol-version", "1")
            .header("accept", PROBLEM)
            .body(r#"{"code": 5, "message": "no such thing"}"#),
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        answer.json(),
        json!({"code": "not_found", "message": "no such thing", "details": []})
    );
}
