//! `Context`: headers, peer and transport, one view over both transports.

use protoapi::Request;

use crate::support::lab::{Empty, Who, lab_client, lab_server};
use crate::support::send;

#[tokio::test]
async fn grpc_metadata_reaches_the_context() {
    let server = lab_server().await;
    let client = lab_client(&server).await;
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
    let server = lab_server().await;
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/test.v1/lab/whoami"))
            .header("user-agent", "protoapi-test")
            .header("x-custom", "from http"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let who: Who = serde_json::from_str(&answer.body).expect("decode");
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
