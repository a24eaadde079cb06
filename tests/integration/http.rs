//! The HTTP side: routes, content types, limits, and the JSON 404 and 405.

use protoapi::Limits;

use crate::support::lab::{LabImpl, LabServer, lab_server};
use crate::support::{TestServer, post_json, send};

#[tokio::test]
async fn a_custom_path_serves_the_method() {
    let server = lab_server().await;
    let answer = post_json(
        &server.url("/custom/greet"),
        r#"{"name": "火锅", "age": "41"}"#,
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"name":"hello 火锅","age":"42"}"#)
    );
    // The default path is not served when a path is given.
    let answer = post_json(&server.url("/test.v1/lab/say"), "{}").await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn an_empty_body_is_the_default_message() {
    let server = lab_server().await;
    let answer = send(reqwest::Client::new().post(server.url("/custom/greet"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"name":"hello ","age":"1"}"#)
    );
}

#[tokio::test]
async fn json_content_types_are_accepted() {
    let server = lab_server().await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.api+json",
        "Application/JSON",
    ] {
        let answer = send(
            reqwest::Client::new()
                .post(server.url("/custom/greet"))
                .header("content-type", content_type)
                .body(r#"{"name":"a"}"#),
        )
        .await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, r#"{"name":"hello a","age":"1"}"#),
            "{content_type}"
        );
    }
}

#[tokio::test]
async fn another_content_type_is_415() {
    let server = lab_server().await;
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/custom/greet"))
            .header("content-type", "text/plain")
            .body("name=a"),
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "code": "invalid_argument",
            "message": "unsupported content type `text/plain`: this method accepts application/json",
            "details": []
        })
    );
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let server = lab_server().await;
    let answer = send(reqwest::Client::new().get(server.url("/nowhere?x=1"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        answer.body,
        r#"{"code":"not_found","message":"no route for GET /nowhere","details":[]}"#
    );

    // A gRPC path asked over plain HTTP, in no protocol of the gRPC paths (gRPC, gRPC-Web,
    // Connect), is no gRPC answer.
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/test.v1.Lab/Echo"))
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.body,
        r#"{"code":"not_found","message":"no route for POST /test.v1.Lab/Echo","details":[]}"#
    );
    assert!(answer.headers.get("grpc-status").is_none());
}

#[tokio::test]
async fn a_wrong_verb_is_a_json_405_with_allow() {
    let server = lab_server().await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let answer =
            send(reqwest::Client::new().request(method.clone(), server.url("/test.v1/lab/echo")))
                .await;
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(
            answer
                .headers
                .get("allow")
                .map(|v| v.to_str().expect("ascii")),
            Some("POST")
        );
        assert_eq!(
            answer.json(),
            serde_json::json!({
                "code": "unimplemented",
                "message": format!("method {method} is not allowed on /test.v1/lab/echo; allowed: POST"),
                "details": []
            })
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let builder = protoapi::Server::builder()
        .limits(Limits::default().body(64))
        .add(LabServer::new(LabImpl));
    let server = TestServer::start(builder).await;
    let expected = serde_json::json!({
        "code": "resource_exhausted",
        "message": "request body is larger than the limit of 64 bytes",
        "details": []
    });

    let fits = format!(r#"{{"text":"{}"}}"#, "x".repeat(50));
    let answer = post_json(&server.url("/test.v1/lab/echo"), &fits).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // Known length: refused before the body is read.
    let body = format!(r#"{{"text":"{}"}}"#, "x".repeat(100));
    let answer = post_json(&server.url("/test.v1/lab/echo"), &body).await;
    assert_eq!((answer.status, answer.json()), (413, expected.clone()));

    // Chunked, no length: refused while reading.
    let chunks = futures_util::stream::iter(
        (0..10).map(|_| Ok::<_, std::io::Error>("xxxxxxxxxxxxxxxxxxxx")),
    );
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(chunks)),
    )
    .await;
    assert_eq!((answer.status, answer.json()), (413, expected));

    // The server goes on serving.
    let answer = post_json(&server.url("/test.v1/lab/echo"), r#"{"text":"ok"}"#).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"text":"ok"}"#)
    );
}

#[tokio::test]
async fn http2_without_tls_serves_json() {
    let server = lab_server().await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let response = client
        .post(server.url("/custom/greet"))
        .header("content-type", "application/json")
        .body(r#"{"name":"h2"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.text().await.expect("body"),
        r#"{"name":"hello h2","age":"1"}"#
    );
}
