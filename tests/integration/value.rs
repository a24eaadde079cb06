//! protobuf's JSON types (`protoapi::Value`, `Struct`, `ListValue`) as requests, replies and
//! fields, on every transport: HTTP JSON, gRPC (tonic, and prost-types' own messages), Connect
//! in JSON and protobuf, WebSocket and Socket.IO; their depth limit; their `.proto` text,
//! descriptors and reflection.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::FutureExt as _;
use prost::Message as _;
use protoapi::{ListValue, SocketIoConfig, Status, Struct, Value};
use serde_json::json;

use crate::support::websocket::{connect, next_json, send_json};
use crate::support::{TestServer, post_json, send};

/// A message with the JSON types as fields.
#[protoapi::message]
pub struct Tagged {
    pub name: String,
    /// Anything, as an object.
    pub extra: Struct,
    pub note: Option<Value>,
    pub items: Vec<Value>,
    pub meta: BTreeMap<String, Value>,
    pub list: ListValue,
}

/// Takes and answers any JSON.
#[protoapi::service(package = "json.v1", websocket = "/json/ws")]
pub trait Anything {
    /// The value, with the name of its kind.
    #[protoapi(post = "/json/echo")]
    async fn echo(&self, data: Value) -> Result<Value, Status>;
    /// The message, its name in capitals and one more item.
    async fn tag(&self, req: Tagged) -> Result<Tagged, Status>;
    /// The keys of an object.
    async fn keys(&self, req: Struct) -> Result<ListValue, Status>;
}

pub struct AnythingImpl;

impl Anything for AnythingImpl {
    async fn echo(&self, data: Value) -> Result<Value, Status> {
        let kind = match &*data {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        };
        Ok(Value::from(json!({"kind": kind, "value": data})))
    }

    async fn tag(&self, mut req: Tagged) -> Result<Tagged, Status> {
        req.name = req.name.to_uppercase();
        req.items.push(Value::from(req.extra.len()));
        Ok(req)
    }

    async fn keys(&self, req: Struct) -> Result<ListValue, Status> {
        Ok(req.keys().cloned().collect())
    }
}

async fn server() -> TestServer {
    TestServer::start(
        protoapi::Server::builder()
            .socketio(SocketIoConfig::default())
            .add(AnythingServer::new(AnythingImpl)),
    )
    .await
}

/// The request of `tag` in JSON, and the answer to it.
const TAGGED: &str = r#"{"name":"ada","extra":{"x":[1,{"y":null}],"z":"w"},"note":"n","items":[1,"two"],"meta":{"k":{"z":true}},"list":[false]}"#;
const TAGGED_ANSWER: &str = r#"{"name":"ADA","extra":{"x":[1,{"y":null}],"z":"w"},"note":"n","items":[1,"two",2],"meta":{"k":{"z":true}},"list":[false]}"#;

/// `n` levels of arrays around `1`.
fn nested(n: usize) -> String {
    format!("{}1{}", "[".repeat(n), "]".repeat(n))
}

/// A protobuf `Value` of 10,000 levels of lists, written with prost-types' messages.
fn deep_protobuf() -> Vec<u8> {
    let mut value = prost_types::Value {
        kind: Some(prost_types::value::Kind::NullValue(0)),
    };
    let mut bytes = value.encode_to_vec();
    for _ in 0..10_000 {
        // One level: Value{list_value: ListValue{values: [<bytes>]}}.
        let mut list = vec![0x0a];
        prost::encoding::encode_varint(bytes.len() as u64, &mut list);
        list.extend_from_slice(&bytes);
        let mut outer = vec![0x32];
        prost::encoding::encode_varint(list.len() as u64, &mut outer);
        outer.extend_from_slice(&list);
        bytes = outer;
    }
    value.kind = None;
    bytes
}

#[tokio::test]
async fn http_json_takes_any_document() {
    let server = server().await;
    let url = server.url("/json/echo");
    let cases = [
        (
            r#""Hello guys. ""#,
            r#"{"kind":"string","value":"Hello guys. "}"#,
        ),
        (
            r#"{"msg":"hi","n":[1,2.5]}"#,
            r#"{"kind":"object","value":{"msg":"hi","n":[1,2.5]}}"#,
        ),
        ("[]", r#"{"kind":"array","value":[]}"#),
        ("-7", r#"{"kind":"number","value":-7}"#),
        ("true", r#"{"kind":"bool","value":true}"#),
        ("null", r#"{"kind":"null","value":null}"#),
        ("", r#"{"kind":"null","value":null}"#),
    ];
    for (body, expected) in cases {
        let answer = post_json(&url, body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, expected),
            "{body}"
        );
    }

    let answer = post_json(&server.url("/json.v1/anything/tag"), TAGGED).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, TAGGED_ANSWER));

    // Fields left out: the message fields hold their defaults, `{}`, null and `[]`.
    let answer = post_json(&server.url("/json.v1/anything/tag"), "{}").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"extra":{},"items":[0],"list":[]}"#)
    );

    let answer = post_json(&server.url("/json.v1/anything/keys"), r#"{"b":1,"a":[]}"#).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, r#"["a","b"]"#));
    let answer = post_json(&server.url("/json.v1/anything/keys"), r#""Hello""#).await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            400,
            json!({"code": "invalid_argument", "message": "invalid JSON: invalid type: string \"Hello\", expected a JSON object (google.protobuf.Struct) at line 1 column 7", "details": []})
        )
    );
    let answer = post_json(&server.url("/json.v1/anything/tag"), r#"{"extra":[1]}"#).await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            400,
            json!({"code": "invalid_argument", "message": "invalid JSON at `extra`: invalid type: sequence, expected a JSON object (google.protobuf.Struct) at line 1 column 9", "details": []})
        )
    );
}

#[tokio::test]
async fn grpc_carries_struct_proto_messages() {
    let server = server().await;
    let client = AnythingClient::connect(server.url(""))
        .await
        .expect("connect");
    let reply = client
        .echo(Value::from("Hello"))
        .await
        .expect("echo")
        .into_inner();
    assert_eq!(reply.to_string(), r#"{"kind":"string","value":"Hello"}"#);

    let tagged: Tagged = serde_json::from_str(TAGGED).expect("the request");
    let reply = client.tag(tagged).await.expect("tag").into_inner();
    assert_eq!(serde_json::to_string(&reply).expect("JSON"), TAGGED_ANSWER);

    // A client of prost-types' own `google.protobuf.Value` reads and writes the same bytes.
    let channel = tonic::transport::Channel::from_shared(server.url(""))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let request = prost_types::Value {
        kind: Some(prost_types::value::Kind::ListValue(
            prost_types::ListValue {
                values: vec![prost_types::Value {
                    kind: Some(prost_types::value::Kind::NumberValue(1.5)),
                }],
            },
        )),
    };
    let codec = tonic_prost::ProstCodec::<prost_types::Value, prost_types::Value>::default();
    let path = http::uri::PathAndQuery::from_static("/json.v1.Anything/Echo");
    let reply = grpc
        .unary(tonic::Request::new(request.clone()), path, codec)
        .await
        .expect("echo")
        .into_inner();
    let Some(prost_types::value::Kind::StructValue(object)) = reply.kind else {
        panic!("not an object: {reply:?}");
    };
    assert_eq!(
        object.fields["kind"].kind,
        Some(prost_types::value::Kind::StringValue("array".into()))
    );
    assert_eq!(object.fields["value"], request);
}

#[tokio::test]
async fn connect_takes_json_and_protobuf() {
    let server = server().await;
    let client = reqwest::Client::new();
    let connect = |content_type: &str, body: Vec<u8>| {
        client
            .post(server.url("/json.v1.Anything/Echo"))
            .header("content-type", content_type)
            .body(body)
    };
    let answer = send(connect("application/json", br#""Hello""#.to_vec())).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"kind":"string","value":"Hello"}"#)
    );

    let request = Value::from(json!({"a": [true, null]}));
    let response = connect("application/proto", request.encode_to_vec())
        .send()
        .await
        .expect("call");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("body");
    let reply = Value::decode(bytes.clone()).expect("a Value");
    assert_eq!(
        reply.to_string(),
        r#"{"kind":"object","value":{"a":[true,null]}}"#
    );
    assert_eq!(
        prost_types::Value::decode(bytes)
            .expect("prost-types reads it")
            .encode_to_vec(),
        reply.encode_to_vec()
    );

    // NaN has no JSON form: a protobuf Value that holds it is refused.
    let nan = prost_types::Value {
        kind: Some(prost_types::value::Kind::NumberValue(f64::NAN)),
    };
    let answer = send(connect("application/proto", nan.encode_to_vec())).await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            400,
            json!({"code": "invalid_argument", "message": "invalid protobuf message: failed to decode Protobuf message: google.protobuf.Value.number_value is NaN, which is not a JSON number", "details": []})
        )
    );
}

#[tokio::test]
async fn websocket_frames_carry_any_json() {
    let server = server().await;
    let mut ws = connect(&server, "/json/ws").await;
    send_json(&mut ws, json!({"id": 1, "method": "Echo", "data": "Hello"})).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"id": 1, "data": {"kind": "string", "value": "Hello"}})
    );
    send_json(
        &mut ws,
        json!({"id": 2, "method": "Echo", "data": [1, {"a": null}]}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"id": 2, "data": {"kind": "array", "value": [1, {"a": null}]}})
    );
    let tagged: serde_json::Value = serde_json::from_str(TAGGED).expect("JSON");
    send_json(&mut ws, json!({"id": 3, "method": "Tag", "data": tagged})).await;
    let answer: serde_json::Value = serde_json::from_str(TAGGED_ANSWER).expect("JSON");
    assert_eq!(next_json(&mut ws).await, json!({"id": 3, "data": answer}));
    send_json(
        &mut ws,
        json!({"id": 4, "method": "Echo", "data": serde_json::from_str::<serde_json::Value>(&nested(40)).expect("JSON")}),
    )
    .await;
    let error = next_json(&mut ws).await;
    assert_eq!(error["id"], 4);
    assert_eq!(error["error"]["code"], "invalid_argument");
    let message = error["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains(
            "a google.protobuf.Value holds at most 32 levels of arrays and objects at line 1"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn socketio_events_carry_any_json() {
    use rust_socketio::Payload;
    use rust_socketio::asynchronous::ClientBuilder;

    let server = server().await;
    let (connected, confirmed) = tokio::sync::oneshot::channel();
    let connected = std::sync::Mutex::new(Some(connected));
    let client = ClientBuilder::new(server.url("/"))
        .reconnect(false)
        .on(rust_socketio::Event::Connect, move |_, _| {
            if let Some(connected) = connected.lock().expect("sender").take() {
                let _ = connected.send(());
            }
            async {}.boxed()
        })
        .connect()
        .await
        .expect("Socket.IO connection");
    tokio::time::timeout(Duration::from_secs(10), confirmed)
        .await
        .expect("the namespace confirmed within 10 s")
        .expect("the confirmation");
    for (data, expected) in [
        (
            json!("Hello guys. "),
            json!({"kind": "string", "value": "Hello guys. "}),
        ),
        (
            json!({"msg": "a string"}),
            json!({"kind": "object", "value": {"msg": "a string"}}),
        ),
    ] {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        client
            .emit_with_ack("echo", data, Duration::from_secs(10), move |payload, _| {
                if let Some(tx) = tx.lock().expect("ack sender").take() {
                    let _ = tx.send(payload);
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        let payload = tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .expect("an ack within 10 s")
            .expect("the ack");
        let Payload::Text(arguments) = payload else {
            panic!("not JSON: {payload:?}");
        };
        assert_eq!(arguments, [json!([{"data": expected}])]);
    }
    client.disconnect().await.expect("disconnect");
}

#[tokio::test]
async fn ten_thousand_levels_are_refused_on_every_encoding() {
    let server = server().await;
    let answer = post_json(&server.url("/json/echo"), &nested(10_000)).await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            400,
            json!({"code": "invalid_argument", "message": format!("invalid JSON at `{}…`: a google.protobuf.Value holds at most 32 levels of arrays and objects at line 1 column 33", "[0]".repeat(32)), "details": []})
        )
    );
    // 32 levels pass.
    let answer = post_json(&server.url("/json/echo"), &nested(32)).await;
    assert_eq!(
        (answer.status, answer.body),
        (200, format!(r#"{{"kind":"array","value":{}}}"#, nested(32)))
    );

    let answer = send(
        reqwest::Client::new()
            .post(server.url("/json.v1.Anything/Echo"))
            .header("content-type", "application/proto")
            .body(deep_protobuf()),
    )
    .await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            400,
            json!({"code": "invalid_argument", "message": "invalid protobuf message: failed to decode Protobuf message: recursion limit reached", "details": []})
        )
    );

    // gRPC answers a message that does not decode as tonic does.
    let channel = tonic::transport::Channel::from_shared(server.url(""))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let codec = tonic_prost::ProstCodec::<RawBytes, prost_types::Value>::default();
    let path = http::uri::PathAndQuery::from_static("/json.v1.Anything/Echo");
    let status = grpc
        .unary(tonic::Request::new(RawBytes(deep_protobuf())), path, codec)
        .await
        .expect_err("too deep");
    assert_eq!(
        (status.code(), status.message()),
        (
            tonic::Code::Internal,
            "failed to decode Protobuf message: recursion limit reached"
        )
    );
}

/// Bytes sent as they are, as a message.
#[derive(Clone, Debug, Default, PartialEq)]
struct RawBytes(Vec<u8>);

impl prost::Message for RawBytes {
    fn encode_raw(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(&self.0);
    }
    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        prost::encoding::skip_field(wire_type, tag, buf, ctx)
    }
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}

mod schema {
    use super::*;

    const PROTO: &str = r#"// Generated by protoapi from the Rust trait `Anything`.
syntax = "proto3";

package json.v1;

import "google/protobuf/struct.proto";

// Takes and answers any JSON.
service Anything {
  // The value, with the name of its kind.
  rpc Echo(google.protobuf.Value) returns (google.protobuf.Value);
  // The message, its name in capitals and one more item.
  rpc Tag(Tagged) returns (Tagged);
  // The keys of an object.
  rpc Keys(google.protobuf.Struct) returns (google.protobuf.ListValue);
}

// A message with the JSON types as fields.
message Tagged {
  string name = 1;
  // Anything, as an object.
  google.protobuf.Struct extra = 2;
  google.protobuf.Value note = 3;
  repeated google.protobuf.Value items = 4;
  map<string, google.protobuf.Value> meta = 5;
  google.protobuf.ListValue list = 6;
}
"#;

    #[test]
    fn the_proto_file_imports_struct_proto() {
        let descriptor = AnythingServer::<AnythingImpl>::descriptor();
        assert_eq!(descriptor.proto_file(), PROTO);
        // The file that compiles alone is the same: protobuf compilers ship struct.proto.
        assert_eq!(descriptor.standalone_proto_file(), PROTO);
    }

    #[test]
    fn the_printed_files_compile_into_the_served_descriptors() {
        let builder = protoapi::Server::builder().add(AnythingServer::new(AnythingImpl));
        let dir = tempfile::tempdir().expect("tempdir");
        let mut names = Vec::new();
        // The service's file, and protoapi/types.proto for the WebSocket's binary frames.
        for file in builder.proto_files() {
            let path = dir.path().join(&file.name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &file.content).expect("write");
            names.push(file.name);
        }
        assert_eq!(names, ["json/v1.proto", "protoapi/types.proto"]);
        let mut compiler = protox::Compiler::new([dir.path()]).expect("compiler");
        compiler.include_imports(true).include_source_info(false);
        compiler.open_files(&names).expect("the files compile");
        let mut theirs = compiler.file_descriptor_set().file;
        let mut ours = builder.file_descriptor_set().file;
        theirs.sort_by(|a, b| a.name.cmp(&b.name));
        ours.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<&str> = ours.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            [
                "google/protobuf/struct.proto",
                "json/v1.proto",
                "protoapi/types.proto"
            ]
        );
        assert_eq!(ours.len(), theirs.len());
        for (ours, theirs) in ours.iter().zip(&theirs) {
            let mut theirs = theirs.clone();
            // The well-known file comes from protox with its comments.
            theirs.source_code_info = None;
            assert_eq!(ours, &theirs, "{}", ours.name());
        }
    }

    #[tokio::test]
    async fn reflection_serves_struct_proto() {
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

        let server = server().await;
        let channel = tonic::transport::Channel::from_shared(server.url(""))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut client = ServerReflectionClient::new(channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "google.protobuf.Value".into(),
            )),
        };
        let mut answers = client
            .server_reflection_info(futures_util::stream::iter([request]))
            .await
            .expect("reflection")
            .into_inner();
        let answer: ServerReflectionResponse = answers
            .message()
            .await
            .expect("an answer")
            .expect("not the end");
        let Some(MessageResponse::FileDescriptorResponse(files)) = answer.message_response else {
            panic!("no file: {answer:?}");
        };
        let files: Vec<prost_types::FileDescriptorProto> = files
            .file_descriptor_proto
            .iter()
            .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).expect("file"))
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name(), "google/protobuf/struct.proto");
        let messages: Vec<&str> = files[0].message_type.iter().map(|m| m.name()).collect();
        assert_eq!(messages, ["Struct", "Value", "ListValue"]);
    }

    #[test]
    fn openapi_shows_any_json() {
        let document = protoapi::Server::builder()
            .add(AnythingServer::new(AnythingImpl))
            .openapi_document();
        let schemas = &document["components"]["schemas"];
        assert_eq!(
            schemas["google.protobuf.Value"],
            json!({"description": "Any JSON value: null, a number, a string, a bool, an object or an array."})
        );
        assert_eq!(
            schemas["google.protobuf.Struct"],
            json!({"type": "object", "additionalProperties": {}, "description": "A JSON object."})
        );
        assert_eq!(
            schemas["google.protobuf.ListValue"],
            json!({"type": "array", "items": {}, "description": "A JSON array."})
        );
        assert_eq!(
            schemas["Tagged"]["properties"]["meta"],
            json!({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/google.protobuf.Value"}})
        );
        assert_eq!(
            document["paths"]["/json/echo"]["post"]["requestBody"]["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/google.protobuf.Value"})
        );
    }
}
