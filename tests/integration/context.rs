//! `Context`: headers, peer and transport, one view over both transports. In-process
//! (`protoapi::test`): each connection of the test client comes from 127.0.0.1.

use protoapi::Request;
use protoapi::test::TestClient;

use crate::support::lab::{Empty, LabClient, LabImpl, LabServer, Who};

async fn lab() -> TestClient {
    TestClient::new(protoapi::Server::builder().add(LabServer::new(LabImpl)))
        .await
        .expect("the server builds")
}

#[tokio::test]
async fn grpc_metadata_reaches_the_context() {
    let client = LabClient::new(lab().await.channel());
    let mut request = Request::new(Empty);
    request
        .metadata_mut()
        .insert("x-custom", "from grpc".parse().expect("ascii"));
    let who = client.whoami(request).await.expect("whoami").into_inner();
    assert_eq!(who.transport, "grpc");
    assert_eq!(who.peer_ip, "127.0.0.1");
    assert_eq!(who.custom, "from grpc");
    assert!(who.user_agent.starts_with("tonic/"), "{}", who.user_agent);
    assert_eq!(who.tagged, "");
}

#[tokio::test]
async fn http_headers_reach_the_context() {
    let request = http::Request::post("/test.v1/lab/whoami")
        .header("user-agent", "protoapi-test")
        .header("x-custom", "from http")
        .body("")
        .expect("a request");
    let answer = lab().await.send(request).await.expect("an answer");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let who: Who = answer.json().expect("decode");
    assert_eq!(
        who,
        Who {
            transport: "http".into(),
            peer_ip: "127.0.0.1".into(),
            user_agent: "protoapi-test".into(),
            custom: "from http".into(),
            tagged: String::new(),
        }
    );
}
