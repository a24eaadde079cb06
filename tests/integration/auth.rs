//! The auth example: one tower layer refuses unauthenticated requests on every transport and
//! hands the user to methods through `Context`.

use protoapi::Code;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::support::examples::auth::{Me, MeRequest, ProfileClient};
use crate::support::examples::start;
use crate::support::send;
use crate::support::websocket::{next_json, send_text};

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn http_and_connect_answer_401_without_a_token() {
    let server = start("auth");
    let client = reqwest::Client::new();
    let unauthenticated = json!({
        "code": "unauthenticated",
        "message": "missing or invalid bearer token",
        "details": []
    });
    for request in [
        client.get(format!("{}/me", server.url)),
        client
            .get(format!("{}/me", server.url))
            .header("authorization", bearer("mallory-token")),
        client
            .post(format!("{}/auth.Profile/Me", server.url))
            .header("content-type", "application/json")
            .body("{}"),
    ] {
        let answer = send(request).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        assert_eq!(answer.json(), unauthenticated);
    }

    let answer = send(
        client
            .get(format!("{}/me", server.url))
            .header("authorization", bearer("alice-token")),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"name": "alice", "admin": true, "transport": "http"})
    );

    let answer = send(
        client
            .post(format!("{}/auth.Profile/Me", server.url))
            .header("content-type", "application/json")
            .header("authorization", bearer("bob-token"))
            .body("{}"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"name": "bob", "transport": "connect"})
    );

    let answer = send(
        client
            .get(format!("{}/admin", server.url))
            .header("authorization", bearer("bob-token")),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.json(),
        json!({"code": "permission_denied", "message": "administrators only", "details": []})
    );
}

#[tokio::test]
async fn grpc_answers_unauthenticated_without_a_token() {
    let server = start("auth");
    let client = ProfileClient::connect(server.url.clone())
        .await
        .expect("connect");
    let status = client.me(MeRequest {}).await.expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "missing or invalid bearer token");

    let mut request = protoapi::Request::new(MeRequest {});
    request.metadata_mut().insert(
        "authorization",
        bearer("alice-token").parse().expect("metadata value"),
    );
    let me = client.me(request).await.expect("signed in").into_inner();
    assert_eq!(
        me,
        Me {
            name: "alice".into(),
            admin: true,
            transport: "grpc".into()
        }
    );
}

#[tokio::test]
async fn grpc_web_is_refused_in_its_own_protocol() {
    let server = start("auth");
    let answer = send(
        reqwest::Client::new()
            .post(format!("{}/auth.Profile/Me", server.url))
            .header("content-type", "application/grpc-web+proto")
            .body(vec![0u8, 0, 0, 0, 0]),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/grpc-web+proto")
    );
    assert_eq!(answer.headers["grpc-status"], "16");
    assert_eq!(
        answer.headers["grpc-message"],
        "missing%20or%20invalid%20bearer%20token"
    );
}

#[tokio::test]
async fn a_websocket_handshake_needs_the_token_and_its_calls_see_the_user() {
    let server = start("auth");
    let ws_url = format!("{}/me/ws", server.url.replacen("http", "ws", 1));

    let error = tokio_tungstenite::connect_async(ws_url.as_str())
        .await
        .expect_err("refused");
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else {
        panic!("not an HTTP refusal: {error}");
    };
    assert_eq!(response.status().as_u16(), 401);
    let body = response.body().as_deref().expect("a body");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(body).expect("json"),
        json!({"code": "unauthenticated", "message": "missing or invalid bearer token", "details": []})
    );

    let mut request = ws_url.into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        bearer("bob-token").parse().expect("header value"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("handshake");
    send_text(&mut ws, r#"{"id": 1, "data": {}}"#).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"id": 1, "data": {"name": "bob", "transport": "websocket"}})
    );
}
