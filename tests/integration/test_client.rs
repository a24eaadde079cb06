//! `protoapi::test::TestClient`: a server run in-process, without a port, called over HTTP,
//! gRPC (a generated client on its channel) and WebSocket through the server's own connection
//! code.

use futures_util::StreamExt as _;
use protoapi::Code;
use protoapi::test::{Received, TestClient};
use serde_json::json;

use crate::support::lab::{Everything, LabImpl, LabServer};
use crate::support::streams::{Num, StreamsClient, StreamsImpl, StreamsServer};

async fn client() -> TestClient {
    let server = protoapi::Server::builder()
        .add(LabServer::new(LabImpl))
        .add(StreamsServer::new(StreamsImpl::default()));
    TestClient::new(server).await.expect("the server builds")
}

#[tokio::test]
async fn http_routes_answer_as_over_a_socket() {
    let client = client().await;
    let answer = client
        .post_json(
            "/test.v1/lab/fail",
            r#"{"code": 5, "message": "no such thing"}"#,
        )
        .await
        .expect("an answer");
    assert_eq!(answer.status, 404);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        answer.text(),
        r#"{"code":"not_found","message":"no such thing","details":[]}"#
    );

    let answer = client.get("/lab/count/2").await.expect("an answer");
    assert_eq!(
        (answer.status.as_u16(), answer.text().as_ref()),
        (200, "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n")
    );

    let answer = client.get("/nowhere").await.expect("an answer");
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json::<serde_json::Value>().expect("JSON"),
        json!({"code": "not_found", "message": "no route for GET /nowhere", "details": []})
    );

    // Connect at the gRPC path, and the peer each connection is given.
    let answer = client
        .post_json("/test.v1.Lab/Whoami", "{}")
        .await
        .expect("an answer");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let who: serde_json::Value = answer.json().expect("JSON");
    assert_eq!(
        (&who["transport"], &who["peerIp"]),
        (&json!("Connect"), &json!("127.0.0.1"))
    );
}

#[tokio::test]
async fn bad_input_gets_the_servers_own_errors() {
    let client = client().await;
    let answer = client
        .post_json("/test.v1/lab/echo", r#"{"int32Value": "#)
        .await
        .expect("an answer");
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json::<serde_json::Value>().expect("JSON")["code"],
        json!("invalid_argument")
    );

    let request = http::Request::post("/test.v1/lab/echo")
        .header("content-type", "text/csv")
        .body("a,b")
        .expect("a request");
    let answer = client.send(request).await.expect("an answer");
    assert_eq!(answer.status, 415);
}

#[tokio::test]
async fn a_generated_client_calls_over_the_channel() {
    let client = client().await;
    let lab = crate::support::lab::LabClient::new(client.channel());
    let reply = lab
        .echo(Everything {
            int32_value: 7,
            ..Default::default()
        })
        .await
        .expect("echo");
    assert_eq!(reply.into_inner().int32_value, 7);
    let status = lab
        .fail(crate::support::lab::FailRequest {
            code: Code::AlreadyExists as i32,
            message: "twice".into(),
        })
        .await
        .expect_err("fails");
    assert_eq!(
        (status.code(), status.message()),
        (Code::AlreadyExists, "twice")
    );

    let streams = StreamsClient::new(client.channel());
    let mut count = streams
        .count(Num {
            n: 3,
            tag: String::new(),
        })
        .await
        .expect("count")
        .into_inner();
    let mut got = Vec::new();
    while let Some(item) = count.next().await {
        got.push(item.expect("an item").n);
    }
    assert_eq!(got, [1, 2, 3]);
}

#[tokio::test]
async fn a_websocket_reaches_every_method_of_the_service_socket() {
    let client = client().await;
    let mut ws = client.websocket("/lab/socket").await.expect("a WebSocket");
    ws.send_json(&json!({"id": 1, "method": "Echo", "data": {"n": 2}}))
        .await
        .expect("send");
    assert_eq!(
        ws.receive_text().await.expect("an answer"),
        r#"{"id":1,"data":{"n":4,"tag":"ws"}}"#
    );
    ws.send_json(&json!({"id": 2, "method": "Count", "data": {"n": 1}}))
        .await
        .expect("send");
    assert_eq!(
        ws.receive_json().await.expect("an item"),
        json!({"id": 2, "data": {"n": 1}})
    );
    assert_eq!(
        ws.receive_json().await.expect("the end"),
        json!({"id": 2, "end": true})
    );
    ws.send_text("not json").await.expect("send");
    assert_eq!(
        ws.receive().await.expect("a frame").expect("no error"),
        Received::Text(
            r#"{"error":{"code":"invalid_argument","message":"invalid frame: expected ident at line 1 column 2"}}"#
                .into()
        )
    );
    // Over the socket's message limit (the body limit, 4 MiB): closed with 1009. The server
    // may close its end of the pipe before the client has written all of it, which the client
    // then sees as a broken pipe; the close frame is read either way.
    if let Err(error) = ws.send_text("x".repeat(5 << 20)).await {
        assert_eq!(
            error.to_string(),
            "the in-process request failed: IO error: broken pipe"
        );
    }
    assert_eq!(
        ws.receive().await.expect("a frame").expect("no error"),
        Received::Close(1009, "message too big".into())
    );
}

#[tokio::test]
async fn a_websocket_handshake_at_no_endpoint_fails() {
    let client = client().await;
    let error = client.websocket("/nowhere").await.expect_err("no endpoint");
    assert_eq!(
        error.to_string(),
        "the in-process request failed: HTTP error: 404 Not Found"
    );
}
