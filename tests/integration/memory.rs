//! The server's memory budget: a request whose bytes would cross it is refused in each
//! transport's own way, the budget is given back after every request, and the stats show it.
//! The whole-message cap of a method with `#[file]` fields stays the body limit.

use futures_util::SinkExt as _;
use protoapi::Limits;
use tokio_tungstenite::tungstenite::Message;

use crate::support::lab::{Everything, LabClient, LabImpl, LabServer};
use crate::support::streams::{StreamsImpl, streams_server};
use crate::support::uploads::{
    LargeUploadReq, LargeUploadsClient, LargeUploadsImpl, LargeUploadsServer, UploadReq,
    UploadsClient, UploadsImpl, UploadsServer, checksum,
};
use crate::support::websocket::{connect, next, next_json, send_json};
use crate::support::{TestServer, envelope, post_json, send};

/// A budget of 4 KiB, below the body limit, so that a 6 KiB request is within its method's
/// limit and only the budget refuses it.
fn small_budget() -> Limits {
    Limits::default().memory(4096)
}

fn refusal(wanted: usize) -> String {
    format!(
        "the server's memory budget is exhausted: {wanted} bytes more would cross 4096 (0 in use); \
         try again later"
    )
}

#[tokio::test]
async fn an_http_body_past_the_budget_is_503_with_retry_after() {
    let builder = protoapi::Server::builder().limits(small_budget());
    let stats = builder.stats();
    let server = TestServer::start(builder.add(LabServer::new(LabImpl))).await;
    let body = format!(r#"{{"text":"{}"}}"#, "x".repeat(6000));
    let answer = post_json(&server.url("/test.v1/lab/echo"), &body).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        answer.headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"code": "resource_exhausted", "message": refusal(body.len()), "details": []})
    );
    // Within the budget, the same route answers, and the budget is given back.
    let answer = post_json(&server.url("/test.v1/lab/echo"), r#"{"text":"ok"}"#).await;
    assert_eq!(
        (answer.status, answer.json()["text"].as_str()),
        (200, Some("ok"))
    );
    let memory = stats.memory();
    assert_eq!(
        (memory.limit(), memory.used(), memory.refused()),
        (4096, 0, 1)
    );
    assert_eq!(memory.peak(), r#"{"text":"ok"}"#.len());
}

#[tokio::test]
async fn a_body_without_a_length_is_charged_as_it_arrives() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .limits(small_budget())
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(br#"{"text":""#.to_vec()),
        Ok(vec![b'x'; 3000]),
        Ok(vec![b'x'; 3000]),
        Ok(br#""}"#.to_vec()),
    ];
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(pieces));
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        answer.json()["message"],
        "the server's memory budget is exhausted: 3000 bytes more would cross 4096 (3009 in use); \
         try again later"
    );
}

#[tokio::test]
async fn a_grpc_message_past_the_budget_is_resource_exhausted() {
    let builder = protoapi::Server::builder().limits(small_budget());
    let stats = builder.stats();
    let server = TestServer::start(builder.add(LabServer::new(LabImpl))).await;
    let client = LabClient::connect(server.url("")).await.expect("connect");
    let large = Everything {
        text: "x".repeat(6000),
        ..Everything::default()
    };
    let status = client.echo(large).await.expect_err("past the budget");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(status.message(), refusal(6003));
    let small = Everything {
        text: "ok".into(),
        ..Everything::default()
    };
    let answer = client.echo(small.clone()).await.expect("within the budget");
    assert_eq!(answer.into_inner(), small);
    assert_eq!((stats.memory().used(), stats.memory().refused()), (0, 1));
}

#[tokio::test]
async fn a_connect_body_past_the_budget_is_resource_exhausted() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .limits(small_budget())
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let body = format!(r#"{{"text":"{}"}}"#, "x".repeat(6000));
    let answer = post_json(&server.url("/test.v1.Lab/Echo"), &body).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.json()["code"], "resource_exhausted");
    assert_eq!(answer.json()["message"], refusal(body.len()));

    // A Connect stream's body is read whole, and charged the same way.
    let (server, _) = streams_server(protoapi::Server::builder().limits(small_budget())).await;
    let message = format!(r#"{{"n":3,"tag":"{}"}}"#, "x".repeat(6000));
    let response = reqwest::Client::new()
        .post(server.url("/lab.streams.Streams/Count"))
        .header("content-type", "application/connect+json")
        .body(envelope(0, message.as_bytes()).to_vec())
        .send()
        .await
        .expect("Connect stream");
    assert_eq!(response.status(), 200);
    let end = crate::support::frames(response.bytes().await.expect("body"));
    assert_eq!(end.len(), 1);
    assert_eq!(end[0].0, 2, "the end-of-stream envelope");
    let end: serde_json::Value = serde_json::from_slice(&end[0].1).expect("end JSON");
    assert_eq!(end["error"]["code"], "resource_exhausted");
    assert_eq!(end["error"]["message"], refusal(message.len() + 5));
}

#[tokio::test]
async fn a_websocket_message_past_the_budget_closes_with_1013() {
    let builder = protoapi::Server::builder().limits(small_budget());
    let stats = builder.stats();
    let (server, _) = streams_server(builder).await;
    let mut ws = connect(&server, "/lab/echo").await;
    send_json(&mut ws, serde_json::json!({"id": 1, "data": {"n": 5}})).await;
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"id": 1, "data": {"n": 10, "tag": "ws"}})
    );
    let text = serde_json::json!({"id": 2, "data": {"tag": "x".repeat(6000)}}).to_string();
    ws.send(Message::text(text)).await.expect("send");
    match next(&mut ws).await {
        Message::Close(Some(close)) => {
            assert_eq!(u16::from(close.code), 1013);
            assert_eq!(
                close.reason.as_str(),
                "the server's memory budget is exhausted"
            );
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    drop(ws);
    let mut waited = 0;
    while stats.memory().used() > 0 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!((stats.memory().used(), stats.memory().refused()), (0, 1));
}

#[tokio::test]
async fn behind_another_server_a_websocket_message_is_charged_once_read() {
    // A router served by axum's own server: the socket's reads are not metered, and each
    // message is charged once read whole; past the budget it gets an error frame, and the
    // socket stays open.
    let router = protoapi::Server::builder()
        .limits(small_budget())
        .add(crate::support::streams::StreamsServer::new(
            StreamsImpl::default(),
        ))
        .into_router()
        .expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let served = tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("ws://{addr}/lab/echo");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let text = serde_json::json!({"id": 1, "data": {"tag": "x".repeat(6000)}}).to_string();
    ws.send(Message::text(text.clone())).await.expect("send");
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"error": {"code": "resource_exhausted", "message": refusal(text.len())}})
    );
    send_json(&mut ws, serde_json::json!({"id": 2, "data": {"n": 5}})).await;
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"id": 2, "data": {"n": 10, "tag": "ws"}})
    );
    served.abort();
}

#[tokio::test]
async fn a_file_methods_limit_is_its_upload_limit_not_a_message_limit() {
    // `LargeUploads::upload` has `limit = "1GiB"`: a multipart body of 5 MiB goes through, but
    // the same file in one gRPC message is past the 4 MiB body limit.
    let server = TestServer::start(
        protoapi::Server::builder().add(LargeUploadsServer::new(LargeUploadsImpl)),
    )
    .await;
    let form = reqwest::multipart::Form::new().part(
        "test_file",
        reqwest::multipart::Part::bytes(vec![7; 5 << 20]).file_name("big.bin"),
    );
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/upload"))
            .multipart(form),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({"size": "5242880", "spooled": true})
    );

    let client = LargeUploadsClient::connect(server.url(""))
        .await
        .expect("connect");
    let request = LargeUploadReq {
        test_file: protoapi::File::from_bytes("big.bin", "", vec![7; 5 << 20]),
    };
    let status = client
        .upload(request)
        .await
        .expect_err("past the body limit");
    assert_eq!(status.code(), tonic::Code::OutOfRange);
    assert_eq!(
        status.message(),
        "Error, decoded message length too large: found 5242899 bytes, the limit is: 4194304 bytes"
    );
}

#[tokio::test]
async fn a_file_method_takes_whole_messages_up_to_the_body_limit() {
    // `Uploads::upload` has `limit = "8MiB"` and files: a 3 MiB file in one gRPC message is
    // within the 4 MiB body limit.
    let server =
        TestServer::start(protoapi::Server::builder().add(UploadsServer::new(UploadsImpl))).await;
    let client = UploadsClient::connect(server.url(""))
        .await
        .expect("connect");
    let request = UploadReq {
        test_file: protoapi::File::from_bytes("a.bin", "", vec![1; 3 << 20]),
        ..UploadReq::default()
    };
    let answer = client.upload(request).await.expect("3 MiB in one message");
    let answer = answer.into_inner();
    assert_eq!(answer.sizes, vec![3 << 20]);
    assert_eq!(answer.checksums, vec![checksum(&vec![1; 3 << 20])]);
}

#[tokio::test]
async fn a_multipart_file_in_memory_is_charged_until_it_is_spooled() {
    let builder = protoapi::Server::builder().limits(small_budget());
    let stats = builder.stats();
    let server = TestServer::start(builder.add(UploadsServer::new(UploadsImpl))).await;
    let upload = |size: usize| {
        let form = reqwest::multipart::Form::new().part(
            "test_file",
            reqwest::multipart::Part::bytes(vec![7; size]).file_name("a.bin"),
        );
        send(
            reqwest::Client::new()
                .post(server.url("/upload"))
                .multipart(form),
        )
    };
    // Under the spool threshold (1 MiB) a file stays in memory: 6,000 bytes cross 4 KiB.
    let answer = upload(6000).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.json()["code"], "resource_exhausted");
    // The chunk that crossed it depends on how the body was cut in pieces.
    let message = answer.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("the server's memory budget is exhausted: ")
            && message.contains(" bytes more would cross 4096 (")
            && message.ends_with(" in use); try again later"),
        "{message}"
    );
    // 3,000 bytes fit, and are given back once the request is answered.
    let answer = upload(3000).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["sizes"], serde_json::json!(["3000"]));
    assert_eq!((stats.memory().used(), stats.memory().refused()), (0, 1));
}
