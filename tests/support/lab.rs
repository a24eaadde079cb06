//! `Lab`: every supported field type, every status code, what a method sees of its request,
//! and a renamed rpc at a custom path; `sample()`, a value of every field type.

use std::collections::{BTreeMap, HashMap};

use protoapi::{Bytes, Code, Context, Status, Transport};

use super::server::TestServer;

/// A proto enum with a renamed value and a gap.
#[protoapi::message]
pub enum Kind {
    Unspecified,
    Message,
    #[protoapi(name = "KIND_LEFT")]
    Left = 5,
}

/// A nested message.
#[protoapi::message]
pub struct Child {
    pub name: String,
    pub age: i64,
}

/// Every supported field type.
#[protoapi::message]
pub struct Everything {
    pub text: String,
    pub flag: bool,
    pub int32_value: i32,
    pub int64_value: i64,
    pub uint32_value: u32,
    pub uint64_value: u64,
    pub float_value: f32,
    pub double_value: f64,
    pub raw: Vec<u8>,
    pub buf: Bytes,
    #[protoapi(encoding = "sint64")]
    pub zigzag: i64,
    #[protoapi(encoding = "fixed32")]
    pub fixed: u32,
    #[protoapi(encoding = "sfixed64")]
    pub sfixed: i64,
    pub maybe_text: Option<String>,
    pub maybe_int: Option<i32>,
    pub maybe_kind: Option<Kind>,
    pub numbers: Vec<i64>,
    pub words: Vec<String>,
    pub kinds: Vec<Kind>,
    pub children: Vec<Child>,
    pub child: Option<Child>,
    pub kind: Kind,
    pub counts: HashMap<String, i32>,
    pub by_id: BTreeMap<u64, Child>,
    pub flags: BTreeMap<bool, String>,
    pub blobs: Vec<Vec<u8>>,
    #[protoapi(tag = 100, name = "renamed_field")]
    pub renamed: String,
}

#[protoapi::message]
pub struct Empty;

/// Asks `fail` to answer with a status.
#[protoapi::message]
pub struct FailRequest {
    pub code: i32,
    pub message: String,
}

/// What the server saw of the request.
#[protoapi::message]
pub struct Who {
    pub transport: String,
    pub peer_ip: String,
    pub user_agent: String,
    pub custom: String,
    pub tagged: String,
}

/// An extension that a tower layer sets.
#[derive(Clone)]
pub struct Tag(pub String);

/// The service under test.
#[protoapi::service(package = "test.v1")]
pub trait Lab {
    /// Answers its request.
    async fn echo(&self, req: Everything) -> Result<Everything, Status>;
    /// Fails with the requested code.
    async fn fail(&self, req: FailRequest) -> Result<Empty, Status>;
    /// Tells what it saw of the request.
    async fn whoami(&self, ctx: Context, req: Empty) -> Result<Who, Status>;
    /// A renamed rpc at a custom path.
    #[protoapi(path = "/custom/greet", name = "Greet")]
    async fn say(&self, req: Child) -> Result<Child, Status>;
}

pub struct LabImpl;

impl Lab for LabImpl {
    async fn echo(&self, req: Everything) -> Result<Everything, Status> {
        Ok(req)
    }

    async fn fail(&self, req: FailRequest) -> Result<Empty, Status> {
        Err(Status::new(Code::from_i32(req.code), req.message))
    }

    async fn whoami(&self, ctx: Context, _req: Empty) -> Result<Who, Status> {
        Ok(Who {
            transport: match ctx.transport() {
                Transport::Grpc => "grpc".into(),
                Transport::Http => "http".into(),
                other => format!("{other:?}"),
            },
            peer_ip: ctx
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            user_agent: ctx.header("user-agent").unwrap_or_default().into(),
            custom: ctx.header("x-custom").unwrap_or_default().into(),
            tagged: ctx
                .extension::<Tag>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
        })
    }

    async fn say(&self, req: Child) -> Result<Child, Status> {
        Ok(Child {
            name: format!("hello {}", req.name),
            age: req.age + 1,
        })
    }
}

/// A service at the same name as `Lab` with a method `Lab` lacks: its client calls a method the
/// server does not have.
pub mod impostor {
    use super::Empty;
    use protoapi::Status;

    #[protoapi::service(package = "test.v1", name = "Lab")]
    pub trait Impostor {
        async fn missing(&self, req: Empty) -> Result<Empty, Status>;
    }
}

/// A value in which every field holds something other than its default.
pub fn sample() -> Everything {
    Everything {
        text: "火锅".into(),
        flag: true,
        int32_value: -5,
        int64_value: -9_007_199_254_740_993,
        uint32_value: u32::MAX,
        uint64_value: u64::MAX,
        float_value: 1.5,
        double_value: -0.25,
        raw: vec![0, 1, 2, 255],
        buf: Bytes::from_static(b"hi"),
        zigzag: -3,
        fixed: 7,
        sfixed: -8,
        maybe_text: Some(String::new()),
        maybe_int: Some(0),
        maybe_kind: Some(Kind::Unspecified),
        numbers: vec![1, -2],
        words: vec!["a".into(), "b".into()],
        kinds: vec![Kind::Message, Kind::Left],
        children: vec![Child {
            name: "c1".into(),
            age: 3,
        }],
        child: Some(Child {
            name: "solo".into(),
            age: 0,
        }),
        kind: Kind::Left,
        counts: HashMap::from([("x".to_owned(), 1)]),
        by_id: BTreeMap::from([
            (
                1,
                Child {
                    name: "one".into(),
                    age: 1,
                },
            ),
            (2, Child::default()),
        ]),
        flags: BTreeMap::from([(false, "no".into()), (true, "yes".into())]),
        blobs: vec![vec![1], vec![]],
        renamed: "r".into(),
    }
}

/// `sample()` in the proto3 JSON mapping.
pub fn sample_json() -> serde_json::Value {
    serde_json::json!({
        "text": "火锅",
        "flag": true,
        "int32Value": -5,
        "int64Value": "-9007199254740993",
        "uint32Value": 4294967295u32,
        "uint64Value": "18446744073709551615",
        "floatValue": 1.5,
        "doubleValue": -0.25,
        "raw": "AAEC/w==",
        "buf": "aGk=",
        "zigzag": "-3",
        "fixed": 7,
        "sfixed": "-8",
        "maybeText": "",
        "maybeInt": 0,
        "maybeKind": "UNSPECIFIED",
        "numbers": ["1", "-2"],
        "words": ["a", "b"],
        "kinds": ["MESSAGE", "KIND_LEFT"],
        "children": [{"name": "c1", "age": "3"}],
        "child": {"name": "solo"},
        "kind": "KIND_LEFT",
        "counts": {"x": 1},
        "byId": {"1": {"name": "one", "age": "1"}, "2": {}},
        "flags": {"false": "no", "true": "yes"},
        "blobs": ["AQ==", ""],
        "renamedField": "r"
    })
}

/// A server with `Lab` under the default settings.
pub async fn lab_server() -> TestServer {
    TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await
}

/// A connected client of `Lab`.
pub async fn lab_client(server: &TestServer) -> LabClient {
    LabClient::connect(server.url("")).await.expect("connect")
}
