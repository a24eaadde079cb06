//! Connect streams of every kind (client, server, bidi), with compressed envelopes, and the
//! services served only over gRPC (reflection, health) called over Connect.

use std::io::{Read as _, Write as _};

use bytes::{Buf as _, Bytes, BytesMut};
use futures_util::StreamExt as _;
use prost::Message as _;
use protoapi::{Compression, Server};
use serde_json::json;

use crate::support::lab::{LabImpl, LabServer};
use crate::support::streams::{StreamsImpl, StreamsServer};
use crate::support::{TestServer, envelope, frames};

async fn servers() -> TestServer {
    TestServer::start(
        Server::builder()
            .add(StreamsServer::new(StreamsImpl::default()))
            .add(LabServer::new(LabImpl)),
    )
    .await
}

/// Posts a whole streaming body and reads the whole answer: (flags, message) per envelope.
async fn call(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (reqwest::header::HeaderMap, Vec<(u8, Bytes)>) {
    let mut request = client
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(content_type)
    );
    let headers = response.headers().clone();
    (headers, frames(response.bytes().await.expect("body")))
}

fn json_frames(frames: Vec<(u8, Bytes)>) -> Vec<(u8, serde_json::Value)> {
    frames
        .into_iter()
        .map(|(flags, bytes)| (flags, serde_json::from_slice(&bytes).expect("json")))
        .collect()
}

fn envelopes(messages: &[&str]) -> Vec<u8> {
    messages
        .iter()
        .flat_map(|message| envelope(0, message.as_bytes()))
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[tokio::test]
async fn a_client_stream_answers_once_its_requests_end() {
    let server = servers().await;
    let client = reqwest::Client::new();
    let body = envelopes(&[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#]);
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Sum",
        "application/connect+json",
        body,
        &[],
    )
    .await;
    assert_eq!(json_frames(frames), [(0, json!({"n": 6})), (2, json!({}))]);

    // No request at all is an empty stream, summed to 0 (the default, `{}` in JSON).
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Sum",
        "application/connect+json",
        Vec::new(),
        &[],
    )
    .await;
    assert_eq!(json_frames(frames), [(0, json!({})), (2, json!({}))]);
}

#[tokio::test]
async fn a_bidi_stream_over_http1_is_half_duplex() {
    let server = servers().await;
    let client = reqwest::Client::builder()
        .http1_only()
        .build()
        .expect("client");
    let body = envelopes(&[r#"{"n":1}"#, r#"{"n":5,"tag":"x"}"#]);
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Doubles",
        "application/connect+json",
        body,
        &[],
    )
    .await;
    assert_eq!(
        json_frames(frames),
        [
            (0, json!({"n": 2})),
            (0, json!({"n": 10, "tag": "x"})),
            (2, json!({}))
        ]
    );
}

/// Reads one whole envelope from an answer being streamed.
async fn read_envelope(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<Bytes>> + Unpin),
    buffer: &mut BytesMut,
) -> (u8, Bytes) {
    loop {
        if buffer.len() >= 5 {
            let length = u32::from_be_bytes([buffer[1], buffer[2], buffer[3], buffer[4]]) as usize;
            if buffer.len() >= 5 + length {
                let flags = buffer[0];
                buffer.advance(5);
                return (flags, buffer.split_to(length).freeze());
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("an answer in time")
            .expect("more of the answer")
            .expect("chunk");
        buffer.extend_from_slice(&chunk);
    }
}

#[tokio::test]
async fn a_bidi_stream_over_http2_answers_while_the_client_sends() {
    let server = servers().await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let (sender, receiver) = tokio::sync::mpsc::channel::<Bytes>(4);
    let requests = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let bytes = receiver.recv().await?;
        Some((Ok::<_, std::io::Error>(bytes), receiver))
    });
    let response = client
        .post(server.url("/lab.streams.Streams/Doubles"))
        .header("content-type", "application/connect+proto")
        .body(reqwest::Body::wrap_stream(requests))
        .send();
    // The first request goes out before the answer's head is awaited.
    let num = |n: i32| crate::support::streams::Num {
        n,
        tag: String::new(),
    };
    sender
        .send(envelope(0, &num(1).encode_to_vec()))
        .await
        .expect("send");
    let response = response.await.expect("response");
    assert_eq!(response.status().as_u16(), 200);
    let mut body = response.bytes_stream();
    let mut buffer = BytesMut::new();
    // Each answer arrives before the next request is sent.
    for n in [1, 7, 20] {
        if n != 1 {
            sender
                .send(envelope(0, &num(n).encode_to_vec()))
                .await
                .expect("send");
        }
        let (flags, message) = read_envelope(&mut body, &mut buffer).await;
        assert_eq!(flags, 0);
        assert_eq!(
            crate::support::streams::Num::decode(message).expect("num"),
            num(2 * n)
        );
    }
    drop(sender);
    let (flags, end) = read_envelope(&mut body, &mut buffer).await;
    assert_eq!((flags, &end[..]), (2, &b"{}"[..]));
}

#[tokio::test]
async fn stream_envelopes_are_compressed_both_ways() {
    let server = servers().await;
    let client = reqwest::Client::new();
    let tag = "ab".repeat(1000);
    let first = gzip(format!(r#"{{"n":1,"tag":"{tag}"}}"#).as_bytes());
    let mut body = envelope(1, &first).to_vec();
    // Compressed and plain envelopes may mix in one stream.
    body.extend_from_slice(&envelope(0, br#"{"n":2}"#));
    let (headers, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Sum",
        "application/connect+json",
        body,
        &[
            ("connect-content-encoding", "gzip"),
            ("connect-accept-encoding", "gzip"),
        ],
    )
    .await;
    assert_eq!(
        headers
            .get("connect-content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    // A small answer stays uncompressed; its envelope says so.
    assert_eq!(json_frames(frames), [(0, json!({"n": 3})), (2, json!({}))]);

    // An answer of the minimum size is compressed.
    let server = TestServer::start(
        Server::builder()
            .add(StreamsServer::new(StreamsImpl::default()))
            .compression(Compression::default().min_size(100)),
    )
    .await;
    let tag = "ab".repeat(50);
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Doubles",
        "application/connect+json",
        envelope(0, format!(r#"{{"n":4,"tag":"{tag}"}}"#).as_bytes()).to_vec(),
        &[("connect-accept-encoding", "zstd")],
    )
    .await;
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].0, 1);
    let mut inflated = Vec::new();
    zstd::stream::read::Decoder::new(&frames[0].1[..])
        .expect("zstd")
        .read_to_end(&mut inflated)
        .expect("zstd");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&inflated).expect("json"),
        json!({"n": 8, "tag": tag})
    );
    assert_eq!(frames[1], (2, Bytes::from_static(b"{}")));
}

#[tokio::test]
async fn a_compressed_stream_bomb_is_refused_as_too_large() {
    let server = servers().await;
    // 1 MiB of spaces inside a JSON string: a few kilobytes compressed, past `Doubles`' 1 KiB.
    let bomb = gzip(format!(r#"{{"tag":"{}"}}"#, " ".repeat(1 << 20)).as_bytes());
    assert!(bomb.len() < 10_000, "{} bytes", bomb.len());
    let (_, frames) = call(
        &reqwest::Client::new(),
        &server,
        "/lab.streams.Streams/Doubles",
        "application/connect+json",
        envelope(1, &bomb).to_vec(),
        &[("connect-content-encoding", "gzip")],
    )
    .await;
    assert_eq!(
        json_frames(frames),
        [(
            2,
            json!({"error": {"code": "resource_exhausted", "message": "the message is larger than the limit of 1024 bytes", "details": []}})
        )]
    );
}

#[tokio::test]
async fn a_broken_client_stream_ends_the_call_with_its_error() {
    let server = servers().await;
    let client = reqwest::Client::new();
    // The method sees its requests end and answers; the answer is the stream's error.
    let mut body = envelopes(&[r#"{"n":1}"#]);
    body.extend_from_slice(&[4, 0, 0, 0, 0]);
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Sum",
        "application/connect+json",
        body,
        &[],
    )
    .await;
    assert_eq!(
        json_frames(frames),
        [(
            2,
            json!({"error": {"code": "invalid_argument", "message": "invalid envelope: unexpected flags 0x04", "details": []}})
        )]
    );

    // A request that is not JSON reaches the method as an error, which it returns.
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Sum",
        "application/connect+json",
        envelopes(&[r#"{"n":1}"#, "{"]),
        &[],
    )
    .await;
    let frames = json_frames(frames);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, 2);
    assert_eq!(frames[0].1["error"]["code"], "invalid_argument");
    assert_eq!(
        frames[0].1["error"]["message"],
        "invalid JSON: EOF while parsing an object at line 1 column 1"
    );

    // A compression the server does not read.
    let response = client
        .post(server.url("/lab.streams.Streams/Sum"))
        .header("content-type", "application/connect+json")
        .header("connect-content-encoding", "br")
        .body(envelopes(&[r#"{"n":1}"#]))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("connect-accept-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip, zstd, identity")
    );
    assert_eq!(
        json_frames(frames_of(response).await),
        [(
            2,
            json!({"error": {"code": "unimplemented", "message": "unsupported compression `br`: this server reads gzip, zstd or identity", "details": []}})
        )]
    );

    // A server stream takes exactly one request.
    let (_, frames) = call(
        &client,
        &server,
        "/lab.streams.Streams/Count",
        "application/connect+json",
        envelopes(&[r#"{"n":1}"#, r#"{"n":2}"#]),
        &[],
    )
    .await;
    assert_eq!(
        json_frames(frames),
        [(
            2,
            json!({"error": {"code": "invalid_argument", "message": "invalid envelope: a server stream's request is one message, and the body has more", "details": []}})
        )]
    );
}

async fn frames_of(response: reqwest::Response) -> Vec<(u8, Bytes)> {
    frames(response.bytes().await.expect("body"))
}

#[tokio::test]
async fn reflection_and_health_answer_over_connect() {
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

    let server = servers().await;
    let client = reqwest::Client::new();
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let (_, frames) = call(
        &client,
        &server,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "application/connect+proto",
        envelope(0, &request.encode_to_vec()).to_vec(),
        &[],
    )
    .await;
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].0, 0);
    let answer = ServerReflectionResponse::decode(frames[0].1.clone()).expect("answer");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a list: {answer:?}");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
            "lab.streams.Streams",
            "test.v1.Lab",
        ]
    );
    assert_eq!(frames[1], (2, Bytes::from_static(b"{}")));

    // Health's unary check, in protobuf: `{service: ""}` is the empty message.
    let response = client
        .post(server.url("/grpc.health.v1.Health/Check"))
        .header("content-type", "application/proto")
        .body(Vec::new())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/proto")
    );
    // `status: SERVING` (field 1, value 1).
    assert_eq!(&response.bytes().await.expect("body")[..], &[0x08, 0x01]);

    // An unknown service is the gRPC service's own error, as Connect's JSON error.
    let response = client
        .post(server.url("/grpc.health.v1.Health/Check"))
        .header("content-type", "application/proto")
        .body(vec![0x0a, 0x04, b'n', b'o', b'p', b'e'])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&response.bytes().await.expect("body"))
            .expect("json"),
        json!({"code": "not_found", "message": "service not registered", "details": []})
    );

    // These services speak protobuf only.
    let response = client
        .post(server.url("/grpc.health.v1.Health/Check"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&response.bytes().await.expect("body"))
            .expect("json"),
        json!({"code": "unimplemented", "message": "`/grpc.health.v1.Health/Check` is served over Connect with protobuf only: POST `application/proto` or `application/connect+proto`", "details": []})
    );
}
