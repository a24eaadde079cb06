//! Compressed requests and answers: gzip and zstd over gRPC (`grpc-encoding`,
//! `grpc-accept-encoding`) and HTTP (`Content-Encoding`, `Accept-Encoding`), with the size limit
//! counted after decompression.

use protoapi::{Coding, Compression, Limits};
use tonic::codec::CompressionEncoding;

use crate::support::TestServer;
use crate::support::lab::{Everything, LabImpl, LabServer};

/// A raw tonic client of `Lab/Echo` that compresses its requests with `encoding` and accepts
/// answers compressed with it.
async fn echo(
    server: &TestServer,
    encoding: CompressionEncoding,
    request: Everything,
) -> Result<tonic::Response<Everything>, tonic::Status> {
    let channel = tonic::transport::Endpoint::from_shared(server.url(""))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel)
        .send_compressed(encoding)
        .accept_compressed(encoding);
    grpc.ready().await.expect("ready");
    grpc.unary(
        tonic::Request::new(request),
        http::uri::PathAndQuery::from_static("/test.v1.Lab/Echo"),
        tonic_prost::ProstCodec::<Everything, Everything>::default(),
    )
    .await
}

#[tokio::test]
async fn grpc_requests_and_answers_are_compressed_with_gzip_and_zstd() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let request = Everything {
        text: "火锅 ".repeat(2000),
        ..Everything::default()
    };
    for (encoding, name) in [
        (CompressionEncoding::Gzip, "gzip"),
        (CompressionEncoding::Zstd, "zstd"),
    ] {
        let answer = echo(&server, encoding, request.clone())
            .await
            .unwrap_or_else(|status| panic!("{name}: {status:?}"));
        assert_eq!(
            answer.metadata().get("grpc-encoding").map(|v| v.as_bytes()),
            Some(name.as_bytes()),
            "{name}"
        );
        assert_eq!(answer.into_inner(), request, "{name}");
    }
}

#[tokio::test]
async fn a_compressed_grpc_message_is_limited_after_decompression() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .limits(Limits::default().body(1024))
            .add(LabServer::new(LabImpl)),
    )
    .await;
    // 10,000 bytes that gzip makes a few dozen.
    let request = Everything {
        text: "x".repeat(10_000),
        ..Everything::default()
    };
    let status = echo(&server, CompressionEncoding::Gzip, request)
        .await
        .expect_err("past the limit once inflated");
    // tonic's code and message, which stops inflating at the limit.
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        status.message(),
        "Error decompressing: size limit, of 1024 bytes, exceeded while decompressing message"
    );
}

#[tokio::test]
async fn an_unknown_grpc_encoding_is_unimplemented_and_names_the_accepted_ones() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let response = client
        .post(server.url("/test.v1.Lab/Echo"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-encoding", "br")
        .body(crate::support::envelope(1, b"\x0a\x02hi").to_vec())
        .send()
        .await
        .expect("answer");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    assert_eq!(header("grpc-status").as_deref(), Some("12"));
    assert_eq!(
        header("grpc-message").as_deref(),
        // Percent-encoded, as grpc-message is.
        Some(
            "unsupported%20compression%20%60br%60:%20this%20server%20reads%20gzip,%20zstd%20or%20identity"
        )
    );
    assert_eq!(
        header("grpc-accept-encoding").as_deref(),
        Some("gzip, zstd, identity")
    );
}

/// A client that neither asks for compressed answers nor inflates them, to see them as sent.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .expect("client")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[tokio::test]
async fn http_bodies_in_gzip_and_zstd_are_inflated() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let body = r#"{"text": "火锅", "int32Value": 7}"#.as_bytes();
    for (encoding, compressed) in [
        ("gzip", gzip(body)),
        ("zstd", zstd::encode_all(body, 3).expect("zstd")),
    ] {
        let answer = crate::support::send(
            raw_client()
                .post(server.url("/test.v1/lab/echo"))
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(compressed),
        )
        .await;
        assert_eq!(answer.status, 200, "{encoding}: {}", answer.body);
        assert_eq!(answer.json()["text"], "火锅", "{encoding}");
        assert_eq!(answer.json()["int32Value"], 7, "{encoding}");
    }
}

#[tokio::test]
async fn json_answers_are_compressed_when_the_client_accepts_it() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let body = format!(r#"{{"text": "{}"}}"#, "火锅".repeat(1000));
    for encoding in ["gzip", "zstd"] {
        let response = raw_client()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .header("accept-encoding", encoding)
            .body(body.clone())
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.as_bytes()),
            Some(encoding.as_bytes())
        );
        let sent = response.bytes().await.expect("body");
        assert!(sent.len() < 1000, "{encoding}: {} bytes", sent.len());
    }
    // A client that inflates answers gets the JSON back whole.
    let answer = crate::support::post_json(&server.url("/test.v1/lab/echo"), &body).await;
    assert_eq!(answer.json()["text"], "火锅".repeat(1000));
    // A small answer, and one to a client that does not accept compression, go as they are.
    let response = raw_client()
        .post(server.url("/test.v1/lab/echo"))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body(r#"{"text": "small"}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers().get("content-encoding"), None);
    let response = raw_client()
        .post(server.url("/test.v1/lab/echo"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers().get("content-encoding"), None);
}

#[tokio::test]
async fn a_small_gzip_body_that_inflates_past_the_limit_gets_the_size_error() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    // 8 MiB of one letter, a few kilobytes once gzipped, against the 4 MiB body limit.
    let inflated = format!(r#"{{"text": "{}"}}"#, "x".repeat(8 << 20));
    let bomb = gzip(inflated.as_bytes());
    assert!(bomb.len() < 10_000, "{} bytes", bomb.len());
    let answer = crate::support::send(
        raw_client()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(bomb),
    )
    .await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "code": "resource_exhausted",
            "message": "request body is larger than the limit of 4194304 bytes",
            "details": []
        })
    );
}

#[tokio::test]
async fn an_unknown_http_encoding_is_415() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let answer = crate::support::send(
        raw_client()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .header("content-encoding", "br")
            .body("{}"),
    )
    .await;
    assert_eq!(answer.status, 415, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "code": "invalid_argument",
            "message": "unsupported content encoding `br`: this server accepts gzip, zstd or identity",
            "details": []
        })
    );
}

#[tokio::test]
async fn connect_unary_bodies_and_answers_are_compressed() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let text = "火锅".repeat(1000);
    let body = format!(r#"{{"text": "{text}"}}"#);
    for encoding in ["gzip", "zstd"] {
        let compressed = match encoding {
            "gzip" => gzip(body.as_bytes()),
            _ => zstd::encode_all(body.as_bytes(), 3).expect("zstd"),
        };
        let response = raw_client()
            .post(server.url("/test.v1.Lab/Echo"))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .header("accept-encoding", encoding)
            .body(compressed)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200, "{encoding}");
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .map(|v| v.as_bytes()),
            Some(encoding.as_bytes())
        );
        let sent = response.bytes().await.expect("body");
        let inflated = match encoding {
            "gzip" => {
                use std::io::Read as _;
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&sent[..])
                    .read_to_end(&mut out)
                    .expect("gunzip");
                out
            }
            _ => zstd::decode_all(&sent[..]).expect("unzstd"),
        };
        let answer: serde_json::Value = serde_json::from_slice(&inflated).expect("JSON");
        assert_eq!(answer["text"], text.as_str(), "{encoding}");
    }
}

#[tokio::test]
async fn the_builder_chooses_the_codings_and_the_minimum_size() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .compression(
                Compression::default()
                    .accept(&[Coding::Gzip])
                    .send(&[Coding::Gzip])
                    .min_size(64),
            )
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let body = r#"{"text": "火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅火锅"}"#;
    // zstd is not read: 415 over HTTP, `unimplemented` over gRPC, each naming what is.
    let answer = crate::support::send(
        raw_client()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .header("content-encoding", "zstd")
            .body(zstd::encode_all(body.as_bytes(), 3).expect("zstd")),
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json(),
        serde_json::json!({"code": "invalid_argument", "message": "unsupported content encoding `zstd`: this server accepts gzip or identity", "details": []})
    );
    let status = echo(&server, CompressionEncoding::Zstd, Everything::default())
        .await
        .expect_err("zstd is not read");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    assert_eq!(
        status.message(),
        "unsupported compression `zstd`: this server reads gzip or identity"
    );
    // Answers go out in gzip even to a client that prefers zstd, from 64 bytes on.
    for (accept, expected) in [("zstd, gzip", Some("gzip")), ("zstd", None)] {
        let response = raw_client()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .header("accept-encoding", accept)
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            expected,
            "{accept}"
        );
    }
    let small = raw_client()
        .post(server.url("/test.v1/lab/echo"))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body(r#"{"text": "x"}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(small.headers().get("content-encoding"), None);
    // gRPC: a reply under the minimum size is sent whole, a larger one in gzip: the flag of
    // its frame says which.
    let grpc_client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    for (text, flag) in [("x".to_owned(), 0), ("xyz".repeat(100), 1)] {
        use prost::Message as _;
        let request = Everything {
            text: text.clone(),
            ..Everything::default()
        };
        let response = grpc_client
            .post(server.url("/test.v1.Lab/Echo"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("grpc-accept-encoding", "gzip")
            .body(crate::support::envelope(0, &request.encode_to_vec()).to_vec())
            .send()
            .await
            .expect("answer");
        let frames = crate::support::frames(response.bytes().await.expect("body"));
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0, flag, "{} bytes", text.len());
    }
}

#[tokio::test]
async fn compression_can_be_switched_off() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .compression(Compression::off())
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let answer = crate::support::send(
        raw_client()
            .post(server.url("/test.v1/lab/echo"))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gzip(b"{}")),
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json()["message"],
        "unsupported content encoding `gzip`: this server accepts identity only"
    );
    let response = raw_client()
        .post(server.url("/test.v1/lab/echo"))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip, zstd")
        .body(format!(r#"{{"text": "{}"}}"#, "x".repeat(5000)))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-encoding"), None);
}

/// Reads a compressed stream as it arrives: the inflated text so far, once it holds `until`.
async fn inflated_until(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    decoder: &mut flate2::write::GzDecoder<Vec<u8>>,
    until: &str,
) -> String {
    use futures_util::StreamExt as _;
    use std::io::Write as _;
    loop {
        let text = String::from_utf8_lossy(decoder.get_ref()).into_owned();
        if text.contains(until) {
            return text;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("in time")
            .expect("more")
            .expect("chunk");
        decoder.write_all(&chunk).expect("gzip");
        decoder.flush().expect("gzip");
    }
}

#[tokio::test]
async fn sse_and_ndjson_streams_are_compressed_item_by_item() {
    use crate::support::streams::{StreamsImpl, StreamsServer};
    let server = TestServer::start(
        protoapi::Server::builder().add(StreamsServer::new(StreamsImpl::default())),
    )
    .await;
    // NDJSON: the whole stream, inflated, is the plain one.
    let response = raw_client()
        .get(server.url("/lab/count/3"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&response.bytes().await.expect("body")[..]),
        &mut text,
    )
    .expect("gzip");
    assert_eq!(
        text,
        "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n{\"result\":{\"n\":3}}\n"
    );
    // SSE from a stream that never ends: each event arrives, inflatable, as it is sent.
    let response = raw_client()
        .get(server.url("/lab/forever"))
        .header("accept", "text/event-stream")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let mut body = response.bytes_stream();
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    let text = inflated_until(&mut body, &mut decoder, "data: {\"n\":1}\n\n").await;
    assert!(
        text.starts_with("data: {}\n\ndata: {\"n\":1}\n\n"),
        "{text}"
    );
}
