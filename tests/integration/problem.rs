//! RFC 9457 problem details: an HTTP error as `application/problem+json` when `Accept` prefers
//! it or the server answers every error so; the JSON error body otherwise, and Connect's
//! errors always in Connect's shape. In-process (`protoapi::test`): nothing here needs a port.

use protoapi::test::{TestClient, TestResponse};
use serde_json::json;

use crate::support::lab::{LabImpl, LabServer};

const PROBLEM: &str = "application/problem+json";

async fn lab(problem_details: bool) -> TestClient {
    let server = protoapi::Server::builder()
        .problem_details(problem_details)
        .add(LabServer::new(LabImpl));
    TestClient::new(server).await.expect("the server builds")
}

/// A request with `accept`, when given.
async fn request(
    client: &TestClient,
    method: http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &'static str,
) -> TestResponse {
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    client
        .send(request.body(body).expect("a request"))
        .await
        .expect("an answer")
}

async fn fail(client: &TestClient, accept: Option<&str>) -> TestResponse {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(accept.map(|accept| ("accept", accept)));
    request(
        client,
        http::Method::POST,
        "/test.v1/lab/fail",
        &headers,
        r#"{"code": 5, "message": "no such thing"}"#,
    )
    .await
}

fn json(answer: &TestResponse) -> serde_json::Value {
    answer.json().expect("a JSON body")
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
    let client = lab(false).await;
    for accept in [
        PROBLEM,
        "application/json, application/problem+json",
        "application/problem+json, application/json;q=0.9",
    ] {
        let answer = fail(&client, Some(accept)).await;
        assert_eq!(answer.status, 404, "{accept}");
        assert_eq!(answer.header("content-type"), Some(PROBLEM), "{accept}");
        assert_eq!(json(&answer), not_found_problem(), "{accept}");
    }
    for accept in [
        None,
        Some("application/json"),
        Some("*/*"),
        Some("application/problem+json;q=0.5, application/json"),
    ] {
        let answer = fail(&client, accept).await;
        assert_eq!(answer.status, 404, "{accept:?}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{accept:?}"
        );
        assert_eq!(
            json(&answer),
            json!({"code": "not_found", "message": "no such thing", "details": []}),
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_request_is_a_problem_too() {
    let client = lab(false).await;
    let accept = ("accept", PROBLEM);

    let answer = request(&client, http::Method::GET, "/nowhere", &[accept], "").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.header("content-type"), Some(PROBLEM));
    assert_eq!(
        json(&answer),
        json!({
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "no route for GET /nowhere",
            "code": "not_found",
            "details": [],
        })
    );

    let answer = request(
        &client,
        http::Method::GET,
        "/test.v1/lab/fail",
        &[accept],
        "",
    )
    .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("content-type"), Some(PROBLEM));
    assert_eq!(answer.header("allow"), Some("POST"));
    assert_eq!(json(&answer)["title"], "Method Not Allowed");

    let answer = request(
        &client,
        http::Method::POST,
        "/test.v1/lab/fail",
        &[accept, ("content-type", "text/plain")],
        "x",
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(answer.header("content-type"), Some(PROBLEM));
    assert_eq!(json(&answer)["title"], "Unsupported Media Type");
    assert_eq!(json(&answer)["code"], "invalid_argument");
}

#[tokio::test]
async fn a_server_may_answer_every_error_as_a_problem() {
    let client = lab(true).await;
    let answer = fail(&client, None).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.header("content-type"), Some(PROBLEM));
    assert_eq!(json(&answer), not_found_problem());
}

#[tokio::test]
async fn connect_errors_keep_their_shape() {
    let client = lab(true).await;
    let answer = request(
        &client,
        http::Method::POST,
        "/test.v1.Lab/Fail",
        &[
            ("content-type", "application/json"),
            ("connect-protocol-version", "1"),
            ("accept", PROBLEM),
        ],
        r#"{"code": 5, "message": "no such thing"}"#,
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        json(&answer),
        json!({"code": "not_found", "message": "no such thing", "details": []})
    );
}
