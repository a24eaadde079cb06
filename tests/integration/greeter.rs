//! The greeter's service (`examples/greeter/service.rs`, included here) tested in-process with
//! `protoapi::test`, as README.md shows: no port, the server's own connection code over an
//! in-memory pipe.

#[path = "../../examples/greeter/service.rs"]
#[allow(
    dead_code,
    reason = "the example's whole service; these tests call say_hello"
)]
mod service;

use protoapi::Code;
use protoapi::test::TestClient;

use service::{GreeterClient, GreeterServer, HelloRequest, MyGreeter};

async fn client() -> TestClient {
    let greeter = MyGreeter {
        dir: std::env::temp_dir(),
    };
    let server = protoapi::Server::builder().add(GreeterServer::new(greeter));
    TestClient::new(server).await.expect("the server builds")
}

#[tokio::test]
async fn says_hello_over_http() {
    let client = client().await;
    let answer = client
        .post_json("/hello/greeter/say_hello", r#"{"name":"火锅"}"#)
        .await
        .expect("an answer");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), r#"{"message":"hello 火锅"}"#);

    let answer = client
        .post_json("/hello/greeter/say_hello", r#"{"name":""}"#)
        .await
        .expect("an answer");
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.text(),
        r#"{"code":"invalid_argument","message":"name must not be empty","details":[]}"#
    );
}

#[tokio::test]
async fn says_hello_over_grpc() {
    let greeter = GreeterClient::new(client().await.channel());
    let reply = greeter
        .say_hello(HelloRequest {
            name: "火锅".into(),
        })
        .await
        .expect("say_hello");
    assert_eq!(reply.into_inner().message, "hello 火锅");

    let status = greeter
        .say_hello(HelloRequest::default())
        .await
        .expect_err("an empty name");
    assert_eq!(
        (status.code(), status.message()),
        (Code::InvalidArgument, "name must not be empty")
    );
}
