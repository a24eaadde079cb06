//! GraphQL: methods as `Query`, `Mutation` and `Subscription` fields, every field type as
//! proto3 JSON writes it, errors with `extensions.code`, and the endpoint's limits.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use protoapi::GraphQlConfig;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::support::TestServer;
use crate::support::lab::{LabImpl, LabServer, sample_json};
use crate::support::server::{Answer, send};
use crate::support::streams::{StreamsImpl, StreamsServer, streams_server};

/// POSTs a GraphQL request.
async fn post(server: &TestServer, body: Value) -> Answer {
    send(
        reqwest::Client::new()
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

/// POSTs `query` and answers the JSON body, checking the status and content type.
async fn query(server: &TestServer, query: &str) -> Value {
    let answer = post(server, json!({ "query": query })).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    answer.json()
}

async fn lab() -> TestServer {
    TestServer::start(
        protoapi::Server::builder()
            .graphql(GraphQlConfig::default())
            .add(LabServer::new(LabImpl)),
    )
    .await
}

async fn streams() -> TestServer {
    streams_server(protoapi::Server::builder().graphql(GraphQlConfig::default()))
        .await
        .0
}

/// Every field of `Everything`, selected.
const EVERYTHING: &str = "text flag int32Value int64Value uint32Value uint64Value floatValue \
     doubleValue raw buf zigzag fixed sfixed maybeText maybeInt maybeKind numbers words kinds \
     children { name age } child { name age } kind counts { key value } \
     byId { key value { name age } } flags { key value } blobs renamedField";

#[tokio::test]
async fn the_greeter_says_hello_as_a_mutation() {
    let greeter = crate::support::examples::start("greeter");
    let answer = send(
        reqwest::Client::new()
            .post(format!("{}/graphql", greeter.url))
            .header("content-type", "application/json")
            .body(r#"{"query":"mutation { sayHello(name: \"世界\") { message } }"}"#),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"data":{"sayHello":{"message":"hello 世界"}}}"#)
    );
    let answer = send(
        reqwest::Client::new()
            .post(format!("{}/graphql", greeter.url))
            .header("content-type", "application/json")
            .body(r#"{"query":"mutation { sayHello(name: \"\") { message } }"}"#),
    )
    .await;
    assert_eq!(
        answer.json(),
        json!({
            "data": {"sayHello": null},
            "errors": [{
                "message": "name must not be empty",
                "locations": [{"line": 1, "column": 12}],
                "path": ["sayHello"],
                "extensions": {"code": "invalid_argument", "details": []}
            }]
        })
    );
}

#[tokio::test]
async fn a_failed_field_is_null_beside_the_others() {
    let server = lab().await;
    let body = query(
        &server,
        r#"mutation { a: fail(code: 3, message: "bad") { _empty } b: echo(text: "ok") { text } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({
            "data": {"a": null, "b": {"text": "ok"}},
            "errors": [{
                "message": "bad",
                "locations": [{"line": 1, "column": 12}],
                "path": ["a"],
                "extensions": {"code": "invalid_argument", "details": []}
            }]
        })
    );
}

#[tokio::test]
async fn every_field_type_goes_in_as_arguments_and_comes_back() {
    let server = lab().await;
    // The sample as arguments: maps as lists of entries, enums by name.
    let sample = sample_json();
    let mut arguments = Vec::new();
    for (key, value) in sample.as_object().expect("an object") {
        let value = match value {
            Value::Object(map) if ["counts", "byId", "flags"].contains(&key.as_str()) => {
                Value::Array(
                    map.iter()
                        .map(|(k, v)| json!({"key": k, "value": v}))
                        .collect(),
                )
            }
            other => other.clone(),
        };
        arguments.push(format!("{key}: {}", graphql_literal(key, &value)));
    }
    let body = query(
        &server,
        &format!(
            "mutation {{ echo({}) {{ {EVERYTHING} }} }}",
            arguments.join(", ")
        ),
    )
    .await;
    assert_eq!(body.get("errors"), None, "{body}");
    // The sample as GraphQL answers it: every field selected is there, those the JSON leaves
    // out at their defaults, maps as lists of entries; 64-bit integers and bytes as strings.
    let mut expected = sample;
    expected["child"] = json!({"name": "solo", "age": "0"});
    expected["counts"] = json!([{"key": "x", "value": 1}]);
    expected["byId"] = json!([
        {"key": "1", "value": {"name": "one", "age": "1"}},
        {"key": "2", "value": {"name": "", "age": "0"}}
    ]);
    expected["flags"] = json!([{"key": "false", "value": "no"}, {"key": "true", "value": "yes"}]);
    assert_eq!(body["data"]["echo"], expected);
}

/// A JSON value as a GraphQL literal: object keys unquoted, enums (the `kind` fields) bare.
fn graphql_literal(key: &str, value: &Value) -> String {
    match value {
        Value::String(text) if key.to_ascii_lowercase().contains("kind") => text.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|item| graphql_literal(key, item))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}: {}", graphql_literal(k, v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn defaults_fill_what_the_answer_leaves_out() {
    let server = lab().await;
    let body = query(
        &server,
        "mutation { echo { text flag int64Value kind numbers counts { key } child { name } maybeText } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"echo": {
            "text": "", "flag": false, "int64Value": "0", "kind": "UNSPECIFIED",
            "numbers": [], "counts": [], "child": null, "maybeText": null
        }}})
    );
}

#[tokio::test]
async fn a_status_is_an_error_with_its_code_and_details() {
    let server = lab().await;
    let body = query(
        &server,
        r#"mutation { fail(code: 5, message: "no such thing") { _empty } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"],
        json!({"code": "not_found", "details": []})
    );
    assert_eq!(body["errors"][0]["message"], json!("no such thing"));
}

#[tokio::test]
async fn a_query_is_a_method_with_a_get_route_and_get_runs_it() {
    let server = streams().await;
    let answer = send(
        reqwest::Client::new().get(server.url("/graphql?query=%7Becho(n%3A2)%7Bn%20tag%7D%7D")),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"data":{"echo":{"n":4,"tag":"graphql"}}}"#)
    );
}

#[tokio::test]
async fn get_refuses_a_mutation_and_post_refuses_other_bodies() {
    let server = lab().await;
    let answer =
        send(reqwest::Client::new().get(server.url("/graphql?query=mutation%7Becho%7Btext%7D%7D")))
            .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.headers["allow"], "POST");
    assert_eq!(
        answer.json(),
        json!({"data": null, "errors": [{"message": "a mutation is sent with POST, not GET"}]})
    );
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/graphql"))
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json()["errors"][0]["message"],
        json!("a GraphQL POST is JSON: Content-Type: application/json")
    );
}

#[tokio::test]
async fn graphql_response_json_answers_400_when_nothing_ran() {
    let server = lab().await;
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(r#"{"query":"{ nope }"}"#),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/graphql-response+json; charset=utf-8")
    );
    assert_eq!(
        answer.json()["errors"][0]["message"],
        json!("Unknown field \"nope\" on type \"Query\".")
    );
}

#[tokio::test]
async fn a_batch_runs_each_operation_within_its_bound() {
    let server = lab().await;
    let answer = post(
        &server,
        json!([
            {"query": "mutation { echo(text: \"a\") { text } }"},
            {"query": "mutation { echo(text: \"b\") { text } }"}
        ]),
    )
    .await;
    assert_eq!(
        answer.json(),
        json!([{"data": {"echo": {"text": "a"}}}, {"data": {"echo": {"text": "b"}}}])
    );
    let many: Vec<Value> = (0..17).map(|_| json!({"query": "{ _empty }"})).collect();
    let answer = post(&server, Value::Array(many)).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["errors"][0]["message"],
        json!("a batch holds at most 16 operations; this one has 17")
    );
}

#[tokio::test]
async fn deep_large_and_complex_queries_are_refused() {
    let server = lab().await;
    // 100 levels deep: the parser's recursion limit, an error rather than a crash.
    let deep = format!("{{{}a{}}}", "a{".repeat(99), "}".repeat(99));
    let body = query(&server, &deep).await;
    assert_eq!(
        body,
        json!({"data": null, "errors": [{"message": "recursion limit exceeded."}]})
    );
    // 17 levels of selections: past the depth limit of 16.
    let nested = format!(
        "mutation {{ echo {{ {}name{} }} }}",
        "child { ".repeat(16),
        " }".repeat(16)
    );
    let body = query(&server, &nested).await;
    assert_eq!(
        body["errors"][0]["message"],
        json!("Query is nested too deep.")
    );
    let long = format!("{{ _empty # {} }}", "x".repeat(32 * 1024));
    let answer = post(&server, json!({ "query": long })).await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.json()["errors"][0]["message"],
        json!(format!(
            "the query is {} bytes, larger than the limit of 32768",
            long.len()
        ))
    );
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .graphql(GraphQlConfig::default().introspection(false))
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let body = query(&server, "{ __schema { queryType { name } } }").await;
    assert_eq!(
        body["errors"][0]["message"],
        json!("Unknown field \"__schema\" on type \"Query\".")
    );
}

#[tokio::test]
async fn two_methods_of_one_field_name_are_refused() {
    let error = protoapi::Server::builder()
        .graphql(GraphQlConfig::default())
        .add(LabServer::new(LabImpl))
        .add(StreamsServer::new(StreamsImpl::default()))
        .into_router()
        .expect_err("a clash");
    assert_eq!(
        error.to_string(),
        "conflicting routes: GraphQL field `echo` is claimed by test.v1.Lab and \
         lab.streams.Streams: fields are named after methods, one name per server; rename \
         one, or leave its service out of GraphQL"
    );
}

#[tokio::test]
async fn the_sdl_names_every_kind_of_field() {
    let sdl = protoapi::Server::builder()
        .graphql(GraphQlConfig::default())
        .add(StreamsServer::new(StreamsImpl::default()))
        .graphql_sdl()
        .expect("a schema")
        .expect("GraphQL is served");
    for line in [
        "type Query {",
        "\techo(n: Int, tag: String): Num",
        "type Subscription {",
        "\tcount(n: Int, tag: String): Num!",
    ] {
        assert!(sdl.lines().any(|l| l == line), "missing {line:?} in\n{sdl}");
    }
    // Client and bidirectional streams have no GraphQL operation.
    assert!(!sdl.contains("sum(") && !sdl.contains("doubles("), "{sdl}");
    assert!(!sdl.contains("type Mutation"), "{sdl}");
}

#[tokio::test]
async fn a_subscription_streams_over_graphql_transport_ws() {
    let server = streams().await;
    let mut request = format!("ws://{}/graphql", server.addr)
        .into_client_request()
        .expect("a request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header"),
    );
    let (mut ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("handshake");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws.send(Message::text(r#"{"type":"connection_init"}"#))
        .await
        .expect("send");
    assert_eq!(next(&mut ws).await, json!({"type": "connection_ack"}));
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { count(n: 3) { n } }"}})
            .to_string(),
    ))
    .await
    .expect("send");
    for n in 1..=3 {
        assert_eq!(
            next(&mut ws).await,
            json!({"id": "1", "type": "next", "payload": {"data": {"count": {"n": n}}}})
        );
    }
    assert_eq!(next(&mut ws).await, json!({"id": "1", "type": "complete"}));
    // A stream that fails ends with its error.
    ws.send(Message::text(
        json!({"id": "2", "type": "subscribe", "payload": {"query": "subscription { count(n: 13) { n } }"}})
            .to_string(),
    ))
    .await
    .expect("send");
    for n in 1..=3 {
        assert_eq!(
            next(&mut ws).await["payload"]["data"]["count"]["n"],
            json!(n)
        );
    }
    let failed = next(&mut ws).await;
    assert_eq!(failed["payload"]["errors"][0]["message"], json!("unlucky"));
    assert_eq!(
        failed["payload"]["errors"][0]["extensions"]["code"],
        json!("failed_precondition")
    );
}

async fn next(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

#[tokio::test]
async fn a_method_sees_the_graphql_transport_and_headers() {
    let server = lab().await;
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/graphql"))
            .header("content-type", "application/json")
            .header("x-custom", "from GraphQL")
            .body(r#"{"query":"mutation { whoami { transport custom } }"}"#),
    )
    .await;
    assert_eq!(
        answer.json(),
        json!({"data": {"whoami": {"transport": "GraphQl", "custom": "from GraphQL"}}})
    );
}

/// A document of any JSON.
#[protoapi::message]
pub struct Doc {
    pub body: protoapi::Struct,
    pub tags: Vec<protoapi::Value>,
}

#[protoapi::service(package = "lab.json", graphql)]
pub trait Keeper {
    /// Keeps any JSON.
    async fn keep(&self, value: protoapi::Value) -> Result<Doc, protoapi::Status>;
}

struct KeeperImpl;

impl Keeper for KeeperImpl {
    async fn keep(&self, value: protoapi::Value) -> Result<Doc, protoapi::Status> {
        let mut body = protoapi::Struct::new();
        body.insert("got".to_owned(), value.clone().into_inner());
        Ok(Doc {
            body,
            tags: vec![value],
        })
    }
}

#[tokio::test]
async fn any_json_is_the_json_scalar() {
    let server =
        TestServer::start(protoapi::Server::builder().add(KeeperServer::new(KeeperImpl))).await;
    let body = query(
        &server,
        r#"mutation { keep(value: {a: [1, "x"]}) { body tags } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"keep": {"body": {"got": {"a": [1, "x"]}}, "tags": [{"a": [1, "x"]}]}}})
    );
    let body = query(
        &server,
        r#"mutation { keep(value: "just a string") { tags } }"#,
    )
    .await;
    assert_eq!(body, json!({"data": {"keep": {"tags": ["just a string"]}}}));
    let sdl = protoapi::Server::builder()
        .add(KeeperServer::new(KeeperImpl))
        .graphql_sdl()
        .expect("a schema")
        .expect("GraphQL is served");
    assert!(sdl.contains("\tkeep(value: JSON): Doc\n"), "{sdl}");
    assert!(sdl.contains("\tbody: JSON\n\ttags: [JSON!]!\n"), "{sdl}");
}

/// A name with a rule.
#[protoapi::message]
pub struct Named {
    #[validate(min_len = 2)]
    pub name: String,
    pub inner: Option<Inner>,
}

#[protoapi::message]
pub struct Inner {
    #[validate(max = 10)]
    pub n: i32,
}

#[protoapi::service(package = "lab.rules", graphql)]
pub trait Rules {
    async fn check(&self, named: Named) -> Result<Named, protoapi::Status>;
}

struct RulesImpl;

impl Rules for RulesImpl {
    async fn check(&self, named: Named) -> Result<Named, protoapi::Status> {
        Ok(named)
    }
}

#[tokio::test]
async fn validation_rules_apply_with_their_field_paths() {
    let server =
        TestServer::start(protoapi::Server::builder().add(RulesServer::new(RulesImpl))).await;
    let body = query(
        &server,
        r#"mutation { check(name: "x", inner: {n: 11}) { name } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        json!(
            "invalid request: name: must be at least 2 characters long; inner.n: must be at most 10"
        )
    );
    let details = &body["errors"][0]["extensions"]["details"][0];
    assert_eq!(details["type"], json!("google.rpc.BadRequest"));
    assert_eq!(
        details["debug"],
        json!({"fieldViolations": [
            {"field": "name", "description": "must be at least 2 characters long"},
            {"field": "inner.n", "description": "must be at most 10"}
        ]})
    );
}
