//! gRPC reflection and health, the descriptor set, gRPC-Web and the Connect protocol.

use bytes::Bytes;
use futures_util::StreamExt as _;
use prost::Message as _;
use protoapi::{Channel, Code, Server};
use serde_json::json;

use crate::support::lab::{LabImpl, LabServer};
use crate::support::streams::{Num, StreamsImpl, StreamsServer, streams_server};
use crate::support::uploads::{UploadsImpl, UploadsServer};
use crate::support::{TestServer, envelope, frames, send};

async fn servers() -> TestServer {
    TestServer::start(
        Server::builder()
            .add(StreamsServer::new(StreamsImpl::default()))
            .add(LabServer::new(LabImpl)),
    )
    .await
}

async fn channel(server: &TestServer) -> Channel {
    Channel::from_shared(server.url(""))
        .expect("uri")
        .connect()
        .await
        .expect("connect")
}

mod reflection {
    use super::*;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

    async fn ask(server: &TestServer, request: MessageRequest) -> MessageResponse {
        let mut client = ServerReflectionClient::new(channel(server).await);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        };
        let mut answers = client
            .server_reflection_info(futures_util::stream::iter([request]))
            .await
            .expect("reflection call")
            .into_inner();
        let answer: ServerReflectionResponse = answers
            .next()
            .await
            .expect("an answer")
            .expect("not an error");
        answer.message_response.expect("a message response")
    }

    /// Every service the server answers, both reflection versions included (as grpc-go lists
    /// them), so that `buf curl --list-services` and `grpcurl list` show v1alpha too.
    const EVERY_SERVICE: [&str; 5] = [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "lab.streams.Streams",
        "test.v1.Lab",
    ];

    #[tokio::test]
    async fn lists_every_service() {
        let server = servers().await;
        let MessageResponse::ListServicesResponse(list) =
            ask(&server, MessageRequest::ListServices(String::new())).await
        else {
            panic!("not a service list");
        };
        let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        names.sort();
        assert_eq!(names, EVERY_SERVICE);
    }

    #[tokio::test]
    async fn describes_both_reflection_services() {
        let server = servers().await;
        for (symbol, file) in [
            ("grpc.reflection.v1.ServerReflection", "reflection_v1.proto"),
            (
                "grpc.reflection.v1alpha.ServerReflection",
                "reflection_v1alpha.proto",
            ),
        ] {
            let MessageResponse::FileDescriptorResponse(files) = ask(
                &server,
                MessageRequest::FileContainingSymbol(symbol.to_owned()),
            )
            .await
            else {
                panic!("no file for {symbol}");
            };
            let names: Vec<String> = files
                .file_descriptor_proto
                .iter()
                .map(|bytes| {
                    prost_types::FileDescriptorProto::decode(bytes.as_slice())
                        .expect("decode")
                        .name()
                        .to_owned()
                })
                .collect();
            assert_eq!(names, [file], "{symbol}");
        }
    }

    #[tokio::test]
    async fn gives_the_file_of_a_symbol_with_its_methods() {
        let server = servers().await;
        let MessageResponse::FileDescriptorResponse(files) = ask(
            &server,
            MessageRequest::FileContainingSymbol("lab.streams.Streams".to_owned()),
        )
        .await
        else {
            panic!("not a file descriptor response");
        };
        let files: Vec<prost_types::FileDescriptorProto> = files
            .file_descriptor_proto
            .iter()
            .map(|bytes| {
                prost_types::FileDescriptorProto::decode(bytes.as_slice()).expect("decode")
            })
            .collect();
        let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
        // The service uses none of protoapi's own messages: its file stands alone.
        assert_eq!(names, ["lab/streams.proto"]);
        let service = &files[0].service[0];
        assert_eq!(service.name(), "Streams");
        let methods: Vec<(&str, bool, bool, bool)> = service
            .method
            .iter()
            .map(|m| {
                let get = m.options.as_ref().is_some_and(|o| {
                    o.idempotency_level()
                        == prost_types::method_options::IdempotencyLevel::NoSideEffects
                });
                (m.name(), m.client_streaming(), m.server_streaming(), get)
            })
            .collect();
        assert_eq!(
            methods,
            [
                ("Echo", false, false, true),
                ("Count", false, true, true),
                ("Sum", true, false, false),
                ("Doubles", true, true, false),
                ("Forever", false, true, true),
            ]
        );
        assert_eq!(service.method[0].input_type(), ".lab.streams.Num");
    }

    #[tokio::test]
    async fn v1alpha_answers_too() {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

        let server = servers().await;
        let mut client = ServerReflectionClient::new(channel(&server).await);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let answer = client
            .server_reflection_info(futures_util::stream::iter([request]))
            .await
            .expect("call")
            .into_inner()
            .next()
            .await
            .expect("answer")
            .expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("not a list");
        };
        let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        names.sort();
        assert_eq!(names, EVERY_SERVICE);
    }

    #[tokio::test]
    async fn can_be_switched_off_with_health() {
        let server = TestServer::start(
            Server::builder()
                .add(StreamsServer::new(StreamsImpl::default()))
                .reflection(false)
                .health(false),
        )
        .await;
        let mut client = ServerReflectionClient::new(channel(&server).await);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let status = client
            .server_reflection_info(futures_util::stream::iter([request]))
            .await
            .expect_err("no reflection");
        assert_eq!(status.code(), Code::Unimplemented);
        assert_eq!(
            status.message(),
            "unknown service or method /grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
        );
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel(&server).await);
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect_err("no health");
        assert_eq!(status.code(), Code::Unimplemented);
    }
}

mod health {
    use super::*;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    async fn check(
        client: &mut HealthClient<Channel>,
        service: &str,
    ) -> Result<i32, protoapi::Status> {
        client
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .map(|answer| answer.into_inner().status)
    }

    #[tokio::test]
    async fn serves_the_server_and_every_service() {
        let builder = Server::builder().add(StreamsServer::new(StreamsImpl::default()));
        let reporter = builder.health_reporter().expect("health is on by default");
        let server = TestServer::start(builder).await;
        let mut client = HealthClient::new(channel(&server).await);
        assert_eq!(
            check(&mut client, "").await.ok(),
            Some(ServingStatus::Serving as i32)
        );
        assert_eq!(
            check(&mut client, "lab.streams.Streams").await.ok(),
            Some(ServingStatus::Serving as i32)
        );
        let unknown = check(&mut client, "nope.Nope").await.expect_err("unknown");
        assert_eq!(unknown.code(), Code::NotFound);

        reporter
            .set_service_status("lab.streams.Streams", protoapi::ServingStatus::NotServing)
            .await;
        assert_eq!(
            check(&mut client, "lab.streams.Streams").await.ok(),
            Some(ServingStatus::NotServing as i32)
        );
    }
}

/// The descriptor set is what a protobuf compiler makes of the `.proto` text.
#[tokio::test]
async fn descriptors_match_the_compiled_proto_text() {
    let builder = Server::builder()
        .add(StreamsServer::new(StreamsImpl::default()))
        .add(LabServer::new(LabImpl))
        .add(UploadsServer::new(UploadsImpl));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut names = Vec::new();
    for file in builder.proto_files() {
        let path = dir.path().join(&file.name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &file.content).expect("write");
        names.push(file.name);
    }
    // A protobuf compiler in Rust, so that no system protoc is needed; interop/run.sh also
    // has protoc itself accept the files.
    let mut compiler = protox::Compiler::new([dir.path()]).expect("compiler");
    compiler.include_imports(true).include_source_info(false);
    compiler.open_files(&names).expect("the files compile");
    let from_compiler = compiler.file_descriptor_set();
    let ours = builder.file_descriptor_set();
    let mut expected = from_compiler.file;
    let mut actual = ours.file;
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    actual.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(actual.len(), 4);
    assert_eq!(expected.len(), actual.len());
    for (ours, theirs) in actual.iter().zip(&expected) {
        assert_eq!(ours, theirs, "{}", ours.name());
    }
}

async fn post(
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: Bytes,
) -> (u16, String, Bytes) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (status, content_type, response.bytes().await.expect("body"))
}

#[tokio::test]
async fn grpc_web_calls_a_unary_method() {
    let server = servers().await;
    let request = Num {
        n: 21,
        tag: "web".into(),
    }
    .encode_to_vec();
    let (status, content_type, body) = post(
        &server,
        "/lab.streams.Streams/Echo",
        "application/grpc-web+proto",
        envelope(0, &request),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/grpc-web+proto")
    );
    let frames = frames(body);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].0, 0);
    assert_eq!(
        Num::decode(frames[0].1.clone()).expect("decode"),
        Num {
            n: 42,
            tag: "web/grpc".into()
        }
    );
    assert_eq!(frames[1].0, 0x80);
    let trailers = String::from_utf8(frames[1].1.to_vec()).expect("utf-8");
    assert!(trailers.contains("grpc-status:0\r\n"), "{trailers}");
}

/// A gRPC-Web text call (base64 bodies, as browsers without binary streams send them).
async fn grpc_web_text(server: &TestServer, n: i32) -> reqwest::Response {
    use base64::Engine as _;
    let request = Num {
        n,
        tag: String::new(),
    }
    .encode_to_vec();
    let body = base64::engine::general_purpose::STANDARD.encode(envelope(0, &request));
    let response = reqwest::Client::new()
        .post(server.url("/lab.streams.Streams/Echo"))
        .header("content-type", "application/grpc-web-text")
        .header("accept", "application/grpc-web-text")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/grpc-web-text+proto"
    );
    response
}

#[tokio::test]
async fn grpc_web_text_answers_in_base64_and_errors_in_headers() {
    use base64::Engine as _;
    let server = servers().await;
    let body = grpc_web_text(&server, 4).await.bytes().await.expect("body");
    // Each chunk is padded base64 of its own: decode four characters at a time.
    let decoded: Vec<u8> = body
        .chunks(4)
        .flat_map(|group| {
            base64::engine::general_purpose::STANDARD
                .decode(group)
                .expect("base64")
        })
        .collect();
    let frames = frames(Bytes::from(decoded));
    assert_eq!(frames.len(), 2);
    assert_eq!(
        Num::decode(frames[0].1.clone()).expect("decode"),
        Num {
            n: 8,
            tag: "grpc".into()
        }
    );
    assert_eq!(frames[1].0, 0x80);
    let trailers = String::from_utf8(frames[1].1.to_vec()).expect("utf-8");
    assert!(trailers.contains("grpc-status:0\r\n"), "{trailers}");

    // A call that fails before its first message answers with headers only.
    let response = grpc_web_text(&server, -1).await;
    assert_eq!(response.headers()["grpc-status"], "3");
    assert_eq!(
        response.headers()["grpc-message"],
        "n%20must%20not%20be%20negative"
    );
    assert!(response.bytes().await.expect("body").is_empty());
}

mod connect {
    use super::*;

    #[tokio::test]
    async fn unary_json_and_proto() {
        let server = servers().await;
        let (status, content_type, body) = post(
            &server,
            "/lab.streams.Streams/Echo",
            "application/json",
            Bytes::from_static(br#"{"n": 21}"#),
        )
        .await;
        assert_eq!((status, content_type.as_str()), (200, "application/json"));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).expect("json"),
            json!({"n": 42, "tag": "connect"})
        );

        let request = Num {
            n: 5,
            tag: "p".into(),
        }
        .encode_to_vec();
        let (status, content_type, body) = post(
            &server,
            "/lab.streams.Streams/Echo",
            "application/proto",
            Bytes::from(request),
        )
        .await;
        assert_eq!((status, content_type.as_str()), (200, "application/proto"));
        assert_eq!(
            Num::decode(body).expect("decode"),
            Num {
                n: 10,
                tag: "p/connect".into()
            }
        );
    }

    #[tokio::test]
    async fn errors_have_the_connect_error_body() {
        let server = servers().await;
        let cases: [(&str, &[u8], u16, serde_json::Value); 5] = [
            (
                "/lab.streams.Streams/Echo",
                br#"{"n": -1}"#,
                400,
                json!({"code": "invalid_argument", "message": "n must not be negative", "details": []}),
            ),
            (
                "/lab.streams.Streams/Echo",
                br#"{"n": 666}"#,
                500,
                json!({"code": "internal", "message": "internal error", "details": []}),
            ),
            (
                "/lab.streams.Streams/Echo",
                br#"{"n": "#,
                400,
                json!({"code": "invalid_argument", "message": "invalid JSON: EOF while parsing a value at line 1 column 6", "details": []}),
            ),
            (
                "/lab.streams.Streams/Nope",
                b"{}",
                501,
                json!({"code": "unimplemented", "message": "unknown method `Nope` of service `lab.streams.Streams`", "details": []}),
            ),
            (
                "/lab.streams.Streams/Sum",
                b"{}",
                415,
                json!({"code": "invalid_argument", "message": "unsupported content type `application/json`: this method accepts `application/connect+json` or `application/connect+proto`: the method streams", "details": []}),
            ),
        ];
        for (path, body, status, expected) in cases {
            let (got, content_type, answer) =
                post(&server, path, "application/json", Bytes::from_static(body)).await;
            assert_eq!(
                (got, content_type.as_str()),
                (status, "application/json"),
                "{path}"
            );
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&answer).expect("json"),
                expected,
                "{path}"
            );
        }
    }

    #[tokio::test]
    async fn get_calls_side_effect_free_methods_only() {
        let server = servers().await;
        let answer =
            send(reqwest::Client::new().get(server.url(
                "/lab.streams.Streams/Echo?connect=v1&encoding=json&message=%7B%22n%22%3A4%7D",
            )))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.json(), json!({"n": 8, "tag": "connect"}));

        // `{"n":3}` as URL-safe base64 without padding.
        let answer = send(reqwest::Client::new().get(
            server.url("/lab.streams.Streams/Echo?encoding=json&base64=1&message=eyJuIjozfQ"),
        ))
        .await;
        assert_eq!(answer.json(), json!({"n": 6, "tag": "connect"}));

        let answer = send(
            reqwest::Client::new()
                .get(server.url("/test.v1.Lab/Greet?encoding=json&message=%7B%7D")),
        )
        .await;
        assert_eq!(answer.status, 405);
        assert_eq!(
            answer.headers.get("allow").map(|v| v.to_str().ok()),
            Some(Some("POST"))
        );
        assert_eq!(
            answer.json(),
            json!({"code": "invalid_argument", "message": "`Greet` is not marked side-effect free: call it with POST", "details": []})
        );
    }

    async fn stream(
        server: &TestServer,
        path: &str,
        message: &str,
        headers: &[(&str, &str)],
    ) -> Vec<(u8, serde_json::Value)> {
        let mut request = reqwest::Client::new()
            .post(server.url(path))
            .header("content-type", "application/connect+json")
            .body(envelope(0, message.as_bytes()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().ok()),
            Some(Some("application/connect+json"))
        );
        frames(response.bytes().await.expect("body"))
            .into_iter()
            .map(|(flags, bytes)| (flags, serde_json::from_slice(&bytes).expect("json")))
            .collect()
    }

    #[tokio::test]
    async fn server_streams_end_with_an_end_of_stream_message() {
        let server = servers().await;
        assert_eq!(
            stream(&server, "/lab.streams.Streams/Count", r#"{"n":3}"#, &[]).await,
            [
                (0, json!({"n": 1})),
                (0, json!({"n": 2})),
                (0, json!({"n": 3})),
                (2, json!({})),
            ]
        );
        assert_eq!(
            stream(&server, "/lab.streams.Streams/Count", r#"{"n":13}"#, &[]).await,
            [
                (0, json!({"n": 1})),
                (0, json!({"n": 2})),
                (0, json!({"n": 3})),
                (
                    2,
                    json!({"error": {"code": "failed_precondition", "message": "unlucky", "details": []}})
                ),
            ]
        );
        assert_eq!(
            stream(&server, "/lab.streams.Streams/Count", r#"{"n":-1}"#, &[]).await,
            [(
                2,
                json!({"error": {"code": "invalid_argument", "message": "n must not be negative", "details": []}})
            )]
        );
    }

    #[tokio::test]
    async fn a_stream_ends_at_its_deadline() {
        let (server, lab) = streams_server(Server::builder()).await;
        let frames = stream(
            &server,
            "/lab.streams.Streams/Forever",
            "{}",
            &[("connect-timeout-ms", "100")],
        )
        .await;
        let (last, items) = frames.split_last().expect("frames");
        assert!(items.len() >= 2, "{} items", items.len());
        assert_eq!(
            *last,
            (
                2,
                json!({"error": {"code": "deadline_exceeded", "message": "the call's deadline passed", "details": []}})
            )
        );
        // The method's stream is dropped with the call.
        for _ in 0..100 {
            if lab.live_streams.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            lab.live_streams.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
    }

    #[tokio::test]
    async fn wrong_shapes_and_compression_are_refused() {
        let server = servers().await;
        let (status, _, body) = post(
            &server,
            "/lab.streams.Streams/Count",
            "application/json",
            Bytes::from_static(b"{}"),
        )
        .await;
        assert_eq!(status, 415);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).expect("json"),
            json!({"code": "invalid_argument", "message": "unsupported content type `application/json`: this method accepts `application/connect+json` or `application/connect+proto`: the method streams", "details": []})
        );

        let answer = send(
            reqwest::Client::new()
                .post(server.url("/lab.streams.Streams/Echo"))
                .header("content-type", "application/json")
                .header("content-encoding", "br")
                .body("{}"),
        )
        .await;
        assert_eq!(answer.status, 501);
        assert_eq!(
            answer.json(),
            json!({"code": "unimplemented", "message": "unsupported compression `br`: this server reads gzip, zstd or identity", "details": []})
        );
        assert_eq!(
            answer.headers.get("accept-encoding").map(|v| v.as_bytes()),
            Some(&b"gzip, zstd, identity"[..])
        );

        let frames = {
            let response = reqwest::Client::new()
                .post(server.url("/lab.streams.Streams/Count"))
                .header("content-type", "application/connect+json")
                .body(Bytes::from_static(&[0, 0, 0, 0, 9, b'{', b'}']))
                .send()
                .await
                .expect("request");
            frames(response.bytes().await.expect("body"))
        };
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0, 2);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&frames[0].1).expect("json"),
            json!({"error": {"code": "invalid_argument", "message": "invalid envelope: it declares 9 bytes and the body ends after 2", "details": []}})
        );

        // A plain POST with another content type is no Connect call: the HTTP 404.
        let (status, _, _) = post(
            &server,
            "/lab.streams.Streams/Echo",
            "text/plain",
            Bytes::from_static(b"{}"),
        )
        .await;
        assert_eq!(status, 404);
    }
}
