//! Streaming methods over gRPC (the generated client) and over HTTP (SSE and NDJSON).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use protoapi::{Code, Server};

use crate::support::streams::{Num, StreamsClient, streams_server};
use crate::support::websocket::{connect, next_text, send_json};
use crate::support::{TestServer, send};

async fn lab() -> (TestServer, StreamsClient) {
    let (server, _) = streams_server(Server::builder()).await;
    let client = StreamsClient::connect(server.url(""))
        .await
        .expect("connect");
    (server, client)
}

fn num(n: i32) -> Num {
    Num {
        n,
        tag: String::new(),
    }
}

#[tokio::test]
async fn a_grpc_method_that_panics_answers_internal_and_the_connection_goes_on() {
    let (_server, client) = lab().await;
    let status = client.echo(num(666)).await.expect_err("panicked");
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(status.message(), "internal error");
    // The same connection serves the next call.
    let answer = client.echo(num(1)).await.expect("echo").into_inner();
    assert_eq!(answer.n, 2);
}

#[tokio::test]
async fn grpc_unary_and_server_streaming() {
    let (_server, client) = lab().await;
    let answer = client.echo(num(4)).await.expect("echo").into_inner();
    assert_eq!(
        answer,
        Num {
            n: 8,
            tag: "grpc".into()
        }
    );

    let mut stream = client.count(num(3)).await.expect("count").into_inner();
    let mut seen = Vec::new();
    while let Some(item) = stream.message().await.expect("item") {
        seen.push(item.n);
    }
    assert_eq!(seen, [1, 2, 3]);

    let mut stream = client.count(num(13)).await.expect("count").into_inner();
    for n in 1..=3 {
        assert_eq!(stream.message().await.expect("item"), Some(num(n)));
    }
    let error = stream.message().await.expect_err("unlucky");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert_eq!(error.message(), "unlucky");

    let error = client.count(num(-1)).await.expect_err("negative");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(error.message(), "n must not be negative");
}

#[tokio::test]
async fn grpc_client_streaming() {
    let (_server, client) = lab().await;
    let requests = futures_util::stream::iter([num(1), num(2), num(39)]);
    let answer = client.sum(requests).await.expect("sum").into_inner();
    assert_eq!(answer, num(42));
    let answer = client
        .sum(futures_util::stream::empty())
        .await
        .expect("sum")
        .into_inner();
    assert_eq!(answer, num(0));
}

#[tokio::test]
async fn grpc_bidirectional_streaming_answers_as_requests_come() {
    let (_server, client) = lab().await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Num>(4);
    let requests = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let mut answers = client
        .doubles(requests)
        .await
        .expect("doubles")
        .into_inner();
    // Each answer arrives before the next request is sent.
    for n in [1, 5, 21] {
        sender.send(num(n)).await.expect("send");
        assert_eq!(answers.message().await.expect("answer"), Some(num(n * 2)));
    }
    drop(sender);
    assert_eq!(answers.message().await.expect("end"), None);
}

#[tokio::test]
async fn server_streams_over_http_as_ndjson_and_sse() {
    let (server, _client) = lab().await;
    let http = reqwest::Client::new();

    let answer = send(http.get(server.url("/lab/count/3"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/x-ndjson"));
    assert_eq!(
        answer.body,
        "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n{\"result\":{\"n\":3}}\n"
    );
    let answer = send(http.get(server.url("/lab/count/13"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n{\"result\":{\"n\":3}}\n\
         {\"error\":{\"code\":\"failed_precondition\",\"message\":\"unlucky\",\"details\":[]}}\n"
    );

    let answer = send(
        http.get(server.url("/lab/count/2"))
            .header("accept", "text/event-stream"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("text/event-stream"));
    assert_eq!(
        answer.body,
        "data: {\"n\":1}\n\ndata: {\"n\":2}\n\nevent: end\ndata: {}\n\n"
    );
    let answer = send(
        http.get(server.url("/lab/count/13"))
            .header("accept", "text/html, text/event-stream;q=0.9"),
    )
    .await;
    assert_eq!(
        answer.body,
        "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\n\
         event: error\ndata: {\"code\":\"failed_precondition\",\"message\":\"unlucky\",\"details\":[]}\n\n"
    );

    // A failure before the stream starts is an ordinary error response.
    let answer = send(http.get(server.url("/lab/count/-1"))).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        r#"{"code":"invalid_argument","message":"n must not be negative","details":[]}"#
    );
}

/// Waits until `produced` stops growing, and returns where it stopped.
async fn stalls(produced: &AtomicUsize) -> usize {
    let mut last = produced.load(Ordering::SeqCst);
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = produced.load(Ordering::SeqCst);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the stream never stopped producing: {last} items");
}

#[tokio::test]
async fn slow_readers_hold_back_streams_on_every_transport() {
    let (server, lab) = streams_server(Server::builder()).await;
    let fast = Num {
        n: 0,
        tag: "fast".into(),
    };

    // HTTP: read one chunk, then nothing.
    let plain = reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .expect("client");
    let response = plain
        .get(server.url("/lab/forever?tag=fast"))
        .send()
        .await
        .expect("response");
    let mut body = response.bytes_stream();
    body.next().await.expect("a chunk").expect("bytes");
    let held = stalls(&lab.produced).await;
    // What the socket buffers hold, not what a whole stream would make.
    assert!(held < 20_000, "{held} items made for a reader that stopped");
    drop(body);

    // A compressed stream stops too, once the socket buffers hold its compressed bytes.
    let before = lab.produced.load(Ordering::SeqCst);
    let response = plain
        .get(server.url("/lab/forever?tag=fast"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("response");
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let mut body = response.bytes_stream();
    body.next().await.expect("a chunk").expect("bytes");
    let held = stalls(&lab.produced).await - before;
    assert!(
        held < 2_000_000,
        "{held} items made for a reader that stopped"
    );
    drop(body);

    // gRPC: read one message, then nothing.
    let client = StreamsClient::connect(server.url(""))
        .await
        .expect("connect");
    let before = lab.produced.load(Ordering::SeqCst);
    let mut stream = client
        .forever(fast.clone())
        .await
        .expect("forever")
        .into_inner();
    stream.message().await.expect("item");
    let held = stalls(&lab.produced).await - before;
    assert!(
        held < 20_000,
        "{held} items made for a gRPC reader that stopped"
    );
    drop(stream);

    // WebSocket: read one frame, then nothing.
    let mut ws = connect(&server, "/lab/forever").await;
    let before = lab.produced.load(Ordering::SeqCst);
    send_json(
        &mut ws,
        serde_json::json!({"id": 1, "data": {"tag": "fast"}}),
    )
    .await;
    next_text(&mut ws).await;
    let held = stalls(&lab.produced).await - before;
    assert!(
        held < 20_000,
        "{held} items made for a WebSocket reader that stopped"
    );
    drop(ws);
    let live = lab.live_streams.clone();
    for _ in 0..500 {
        if live.load(Ordering::SeqCst) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("streams still alive after their readers left");
}
