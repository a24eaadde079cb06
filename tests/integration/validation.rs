//! `#[validate(...)]`: every rule, nested paths, and the answer on every transport.

use std::collections::{BTreeMap, HashMap};

use prost::Message as _;
use protoapi::schema::Constraints;
use protoapi::{Code, Status, Streaming, Validate as _};
use serde_json::json;
use tonic_types::StatusExt as _;

use crate::support::websocket::{connect, next_frame, next_json, send_json};
use crate::support::{TestServer, envelope, post_json, send};

#[protoapi::message]
pub struct Address {
    #[validate(min_len = 1, max_len = 20)]
    pub city: String,
    #[validate(pattern = "^[0-9]{5}$")]
    pub zip: String,
}

#[protoapi::message]
pub struct Item {
    #[validate(min_len = 1)]
    pub name: String,
    #[validate(min = 1, max = 99)]
    pub quantity: u32,
}

/// Rejects one reserved name.
fn not_reserved(name: &str) -> Result<(), String> {
    if name == "admin" {
        Err("is reserved".to_owned())
    } else {
        Ok(())
    }
}

#[protoapi::message]
pub struct Signup {
    #[validate(min_len = 2, max_len = 10)]
    pub name: String,
    #[validate(min = 18, max = 150)]
    pub age: u32,
    #[validate(min = -10.5, max = 10.5)]
    pub score: f64,
    #[validate(pattern = r"^[a-z]+@[a-z]+\.[a-z]+$")]
    pub email: String,
    #[validate(required)]
    pub address: Option<Address>,
    #[validate(min_items = 1, max_items = 3)]
    pub items: Vec<Item>,
    #[validate(max_items = 2)]
    #[validate(max = 5)]
    pub labels: BTreeMap<String, i32>,
    #[validate(max_len = 4)]
    pub avatar: Vec<u8>,
    #[validate(custom = "not_reserved")]
    pub nickname: String,
    #[validate(min = 0)]
    pub lucky: Option<i64>,
    #[validate(max_len = 3)]
    pub tags: Vec<String>,
    pub by_id: HashMap<String, Item>,
}

/// A message without rules of its own, whose fields hold messages with rules.
#[protoapi::message]
pub struct Order {
    pub first: Item,
    pub rest: Vec<Item>,
}

#[protoapi::message]
pub struct Search {
    #[validate(min = 1)]
    pub page: u32,
    #[validate(min_len = 3)]
    pub q: String,
}

#[protoapi::message]
#[form]
pub struct Note {
    #[validate(min_len = 1, max_len = 5)]
    pub title: String,
    #[validate(max = 10)]
    pub count: u32,
}

#[protoapi::service(package = "validation.v1")]
pub trait Registry {
    /// Answers with the request.
    #[protoapi(post = "/signup", websocket = "/signup/ws")]
    async fn signup(&self, req: Signup) -> Result<Signup, Status>;

    /// Path and query binding.
    #[protoapi(get = "/search/:page")]
    async fn search(&self, req: Search) -> Result<Search, Status>;

    /// A form body.
    #[protoapi(post = "/note")]
    async fn note(&self, req: Note) -> Result<Note, Status>;

    /// The sum of the quantities.
    #[protoapi(websocket = "/sum")]
    async fn sum(&self, items: Streaming<Item>) -> Result<Item, Status>;

    /// The item, twice.
    #[protoapi(post = "/twice")]
    async fn twice(&self, item: Item) -> Result<Streaming<Item>, Status>;
}

struct Impl;

impl Registry for Impl {
    async fn signup(&self, req: Signup) -> Result<Signup, Status> {
        Ok(req)
    }

    async fn search(&self, req: Search) -> Result<Search, Status> {
        Ok(req)
    }

    async fn note(&self, req: Note) -> Result<Note, Status> {
        Ok(req)
    }

    async fn sum(&self, mut items: Streaming<Item>) -> Result<Item, Status> {
        let mut quantity = 0;
        while let Some(item) = items.message().await? {
            quantity += item.quantity;
        }
        Ok(Item {
            name: "sum".into(),
            quantity,
        })
    }

    async fn twice(&self, item: Item) -> Result<Streaming<Item>, Status> {
        Ok(Streaming::iter([item.clone(), item]))
    }
}

async fn server() -> TestServer {
    TestServer::start(protoapi::Server::builder().add(RegistryServer::new(Impl))).await
}

fn valid() -> Signup {
    Signup {
        name: "ann".into(),
        age: 30,
        email: "ann@example.com".into(),
        address: Some(Address {
            city: "Paris".into(),
            zip: "75001".into(),
        }),
        items: vec![Item {
            name: "pen".into(),
            quantity: 1,
        }],
        ..Signup::default()
    }
}

fn violations(message: &impl protoapi::Validate) -> Vec<(String, String)> {
    match message.validate() {
        Ok(()) => Vec::new(),
        Err(violations) => violations
            .into_vec()
            .into_iter()
            .map(|v| (v.field, v.description))
            .collect(),
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, d)| ((*f).to_owned(), (*d).to_owned()))
        .collect()
}

#[test]
fn a_valid_message_passes() {
    assert_eq!(violations(&valid()), []);
    let mut edges = valid();
    edges.name = "é".repeat(10);
    edges.age = 150;
    edges.score = -10.5;
    edges.items = (0..3)
        .map(|_| Item {
            name: "x".into(),
            quantity: 99,
        })
        .collect();
    edges.labels = BTreeMap::from([("a".into(), 5), ("b".into(), -7)]);
    edges.avatar = vec![1, 2, 3, 4];
    edges.lucky = Some(0);
    edges.tags = vec!["abc".into()];
    assert_eq!(violations(&edges), []);
}

#[test]
fn every_rule_reports_its_field_path() {
    let mut signup = Signup {
        name: "a".repeat(11),
        age: 17,
        score: f64::NAN,
        email: "Ann@example.com".into(),
        address: Some(Address {
            city: String::new(),
            zip: "7500".into(),
        }),
        items: (0..4)
            .map(|i| Item {
                name: if i == 2 { String::new() } else { "x".into() },
                quantity: if i == 3 { 100 } else { 1 },
            })
            .collect(),
        labels: BTreeMap::from([("a".into(), 6), ("b".into(), 1), ("c".into(), 9)]),
        avatar: vec![0; 5],
        nickname: "admin".into(),
        lucky: Some(-1),
        tags: vec!["ok".into(), "long".into()],
        by_id: HashMap::from([(
            "k1".to_owned(),
            Item {
                name: "y".into(),
                quantity: 0,
            },
        )]),
    };
    assert_eq!(
        violations(&signup),
        pairs(&[
            ("name", "must be at most 10 characters long"),
            ("age", "must be at least 18"),
            ("score", "must be at least -10.5"),
            ("score", "must be at most 10.5"),
            ("email", r"must match the pattern `^[a-z]+@[a-z]+\.[a-z]+$`"),
            ("address.city", "must not be empty"),
            ("address.zip", "must match the pattern `^[0-9]{5}$`"),
            ("items", "must have at most 3 items"),
            ("items[2].name", "must not be empty"),
            ("items[3].quantity", "must be at most 99"),
            ("labels", "must have at most 2 entries"),
            ("labels[a]", "must be at most 5"),
            ("labels[c]", "must be at most 5"),
            ("avatar", "must be at most 4 bytes long"),
            ("nickname", "is reserved"),
            ("lucky", "must be at least 0"),
            ("tags[1]", "must be at most 3 characters long"),
            ("by_id[k1].quantity", "must be at least 1"),
        ])
    );

    signup = valid();
    signup.name = "a".into();
    signup.address = None;
    signup.items.clear();
    assert_eq!(
        violations(&signup),
        pairs(&[
            ("name", "must be at least 2 characters long"),
            ("address", "must be present"),
            ("items", "must not be empty"),
        ])
    );
}

#[test]
fn a_message_without_rules_checks_the_messages_it_holds() {
    let order = Order {
        first: Item::default(),
        rest: vec![
            Item {
                name: "x".into(),
                quantity: 1,
            },
            Item {
                name: "y".into(),
                quantity: 0,
            },
        ],
    };
    assert_eq!(
        violations(&order),
        pairs(&[
            ("first.name", "must not be empty"),
            ("first.quantity", "must be at least 1"),
            ("rest[1].quantity", "must be at least 1"),
        ])
    );
    assert_eq!(
        Status::from(order.validate().expect_err("invalid")).message(),
        "invalid request: first.name: must not be empty; first.quantity: must be at least 1; \
         rest[1].quantity: must be at least 1"
    );
}

#[test]
fn the_descriptor_states_the_constraints() {
    let descriptor = RegistryServer::<Impl>::descriptor();
    let signup = descriptor
        .messages
        .iter()
        .find(|m| m.name == "Signup")
        .expect("Signup");
    let constraints = |name: &str| {
        signup
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.constraints.clone())
            .expect("field")
    };
    assert_eq!(
        constraints("name"),
        Constraints {
            min_len: Some(2),
            max_len: Some(10),
            ..Constraints::default()
        }
    );
    assert_eq!(
        constraints("score"),
        Constraints {
            min: Some(-10.5),
            max: Some(10.5),
            ..Constraints::default()
        }
    );
    assert_eq!(
        constraints("email"),
        Constraints {
            pattern: Some(r"^[a-z]+@[a-z]+\.[a-z]+$"),
            ..Constraints::default()
        }
    );
    assert_eq!(
        constraints("address"),
        Constraints {
            required: true,
            ..Constraints::default()
        }
    );
    assert_eq!(
        constraints("labels"),
        Constraints {
            max: Some(5.0),
            max_items: Some(2),
            ..Constraints::default()
        }
    );
    // A custom function has no schema.
    assert_eq!(constraints("nickname"), Constraints::default());
}

/// The JSON error body of two violations, with its `google.rpc.BadRequest` detail.
fn two_violations_body() -> serde_json::Value {
    let bad_request = tonic_types::pb::BadRequest {
        field_violations: vec![
            tonic_types::pb::bad_request::FieldViolation {
                field: "age".into(),
                description: "must be at most 150".into(),
                ..Default::default()
            },
            tonic_types::pb::bad_request::FieldViolation {
                field: "items[0].name".into(),
                description: "must not be empty".into(),
                ..Default::default()
            },
        ],
    };
    use base64::Engine as _;
    json!({
        "code": "invalid_argument",
        "message": "invalid request: age: must be at most 150; items[0].name: must not be empty",
        "details": [{
            "type": "google.rpc.BadRequest",
            "value": base64::engine::general_purpose::STANDARD_NO_PAD.encode(bad_request.encode_to_vec()),
            "debug": {"fieldViolations": [
                {"field": "age", "description": "must be at most 150"},
                {"field": "items[0].name", "description": "must not be empty"},
            ]},
        }],
    })
}

const TWO_VIOLATIONS: &str = r#"{"name": "ann", "age": 151, "email": "ann@example.com",
    "address": {"city": "Paris", "zip": "75001"}, "items": [{"quantity": 1}]}"#;

#[tokio::test]
async fn a_problem_carries_every_violation_as_its_details() {
    let server = server().await;
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/signup"))
            .header("content-type", "application/json")
            .header("accept", "application/problem+json")
            .body(TWO_VIOLATIONS),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );
    let error = two_violations_body();
    assert_eq!(
        answer.json(),
        json!({
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "detail": error["message"],
            "code": "invalid_argument",
            "details": error["details"],
        })
    );
}

#[tokio::test]
async fn http_json_answers_400_with_every_violation() {
    let server = server().await;
    let answer = post_json(&server.url("/signup"), TWO_VIOLATIONS).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), two_violations_body());

    let ok = post_json(
        &server.url("/signup"),
        r#"{"name": "ann", "age": 30, "email": "ann@example.com",
            "address": {"city": "Paris", "zip": "75001"}, "items": [{"name": "pen", "quantity": 1}]}"#,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["name"], "ann");
}

#[tokio::test]
async fn connect_answers_400_with_every_violation() {
    let server = server().await;
    let answer = post_json(
        &server.url("/validation.v1.Registry/Signup"),
        TWO_VIOLATIONS,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), two_violations_body());

    // A server stream reports the violation in its end-of-stream envelope.
    let body = envelope(0, br#"{"quantity": 100}"#);
    let response = reqwest::Client::new()
        .post(server.url("/validation.v1.Registry/Twice"))
        .header("content-type", "application/connect+json")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.bytes().await.expect("body");
    assert_eq!(bytes[0], 2, "an end-of-stream envelope");
    let end: serde_json::Value = serde_json::from_slice(&bytes[5..]).expect("json");
    assert_eq!(end["error"]["code"], "invalid_argument");
    assert_eq!(
        end["error"]["message"],
        "invalid request: name: must not be empty; quantity: must be at most 99"
    );
    assert_eq!(
        end["error"]["details"][0]["debug"],
        serde_json::json!({"fieldViolations": [
            {"field": "name", "description": "must not be empty"},
            {"field": "quantity", "description": "must be at most 99"}
        ]})
    );
}

#[tokio::test]
async fn path_query_and_form_requests_are_checked() {
    let server = server().await;
    let client = reqwest::Client::new();
    let answer = send(client.get(server.url("/search/0?q=ab"))).await;
    assert_eq!(answer.status, 400);
    let body = answer.json();
    assert_eq!(
        body["message"],
        "invalid request: page: must be at least 1; q: must be at least 3 characters long"
    );
    assert_eq!(
        body["details"][0]["debug"],
        json!({"fieldViolations": [
            {"field": "page", "description": "must be at least 1"},
            {"field": "q", "description": "must be at least 3 characters long"},
        ]})
    );
    let answer = send(client.get(server.url("/search/2?q=abc"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"page": 2, "q": "abc"}));

    let answer = send(
        client
            .post(server.url("/note"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("title=toolong&count=11"),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "invalid request: title: must be at most 5 characters long; count: must be at most 10"
    );
    let answer = send(
        client
            .post(server.url("/note"))
            .multipart(reqwest::multipart::Form::new().text("title", "")),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "invalid request: title: must not be empty"
    );
    let answer = send(
        client
            .post(server.url("/note"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("title=hi&count=10"),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"title": "hi", "count": 10}));
}

#[tokio::test]
async fn grpc_carries_a_bad_request_in_the_status_details() {
    let server = server().await;
    let client = RegistryClient::connect(server.url(""))
        .await
        .expect("connect");
    let mut request = valid();
    request.age = 151;
    request.items[0].name.clear();
    let status = client.signup(request).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "invalid request: age: must be at most 150; items[0].name: must not be empty"
    );
    let bad_request = status.get_details_bad_request().expect("a BadRequest");
    let fields: Vec<_> = bad_request
        .field_violations
        .iter()
        .map(|v| (v.field.as_str(), v.description.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("age", "must be at most 150"),
            ("items[0].name", "must not be empty")
        ]
    );

    let answer = client.signup(valid()).await.expect("valid").into_inner();
    assert_eq!(answer, valid());

    // A server stream checks its request before it starts.
    let status = client.twice(Item::default()).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "invalid request: name: must not be empty; quantity: must be at least 1"
    );
}

#[tokio::test]
async fn grpc_checks_each_message_of_a_client_stream() {
    let server = server().await;
    let client = RegistryClient::connect(server.url(""))
        .await
        .expect("connect");
    let item = |quantity| Item {
        name: "x".into(),
        quantity,
    };
    let sum = client
        .sum(futures_util::stream::iter([item(2), item(3)]))
        .await
        .expect("valid")
        .into_inner();
    assert_eq!(sum.quantity, 5);

    let status = client
        .sum(futures_util::stream::iter([item(2), item(100), item(3)]))
        .await
        .expect_err("the second breaks a rule");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "invalid request: quantity: must be at most 99"
    );
    assert_eq!(
        status
            .get_details_bad_request()
            .expect("a BadRequest")
            .field_violations[0]
            .field,
        "quantity"
    );
}

#[tokio::test]
async fn websocket_error_frames_carry_the_details() {
    let server = server().await;
    let mut ws = connect(&server, "/signup/ws").await;
    let data: serde_json::Value = serde_json::from_str(TWO_VIOLATIONS).expect("JSON");
    send_json(&mut ws, json!({"id": 1, "data": data})).await;
    let mut expected = two_violations_body();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"id": 1, "error": expected.take()})
    );
    // The connection goes on.
    let valid = serde_json::to_value(valid()).expect("JSON");
    send_json(&mut ws, json!({"id": 2, "data": valid})).await;
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["id"], 2);
    assert_eq!(answer["data"]["name"], "ann");

    // Each message of a client stream over WebSocket.
    let mut ws = connect(&server, "/sum").await;
    send_json(
        &mut ws,
        json!({"id": 3, "data": {"name": "x", "quantity": 1}}),
    )
    .await;
    send_json(
        &mut ws,
        json!({"id": 3, "data": {"name": "", "quantity": 1}}),
    )
    .await;
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["id"], 3);
    assert_eq!(
        answer["error"]["message"],
        "invalid request: name: must not be empty"
    );
    assert_eq!(
        answer["error"]["details"][0]["debug"],
        json!({"fieldViolations": [{"field": "name", "description": "must not be empty"}]})
    );
}

#[tokio::test]
async fn binary_websocket_errors_carry_the_rpc_status() {
    use futures_util::SinkExt as _;
    use tokio_tungstenite::tungstenite::Message;
    let server = server().await;
    let mut ws = connect(&server, "/signup/ws").await;
    let frame = protoapi::Frame {
        id: "b1".into(),
        data: Some(Signup::default().encode_to_vec().into()),
        ..protoapi::Frame::default()
    };
    ws.send(Message::binary(frame.encode_to_vec()))
        .await
        .expect("send");
    let answer = next_frame(&mut ws).await;
    let error = answer.error.expect("an error");
    assert_eq!(error.code, "invalid_argument");
    assert_eq!(
        error.message,
        "invalid request: name: must be at least 2 characters long; age: must be at least 18; \
         email: must match the pattern `^[a-z]+@[a-z]+\\.[a-z]+$`; address: must be present; \
         items: must not be empty"
    );
    let status = tonic_types::pb::Status::decode(error.details).expect("a google.rpc.Status");
    assert_eq!(status.code, Code::InvalidArgument as i32);
    assert_eq!(status.message, error.message);
    assert_eq!(status.details.len(), 1);
    assert_eq!(
        status.details[0].type_url,
        "type.googleapis.com/google.rpc.BadRequest"
    );
    let bad_request =
        tonic_types::pb::BadRequest::decode(status.details[0].value.as_slice()).expect("decode");
    assert_eq!(bad_request.field_violations.len(), 5);
}
