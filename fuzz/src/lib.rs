//! What the fuzz targets share: a service whose messages have every kind of field, the
//! router protoapi builds for it, and a check of every answer.
//!
//! Each target hands its input to one decoder through the same path a request takes (the
//! router, for HTTP) and holds the server to its rules: no panic (a panic inside a handler
//! would be answered 500, so a 5xx fails the target too), every refusal a 4xx with the JSON
//! error body, no temporary file left and nothing left charged to the memory budget after a
//! request. The wire-format targets (gRPC frames, Connect envelopes, compressed bodies) call
//! the [`wire`] service and check their answers with [`grpc`] and [`connect`].

pub mod connect;
pub mod grpc;
pub mod input;
pub mod wire;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use http_body::Body as _;
use http_body_util::BodyExt as _;
use protoapi::__private::axum::Router;
use protoapi::__private::axum::body::Body;
use protoapi::__private::http::{HeaderMap, Request, header};
use protoapi::{File, Limits, MemoryBudget, Status};
use tower::ServiceExt as _;

#[protoapi::message]
pub enum Color {
    Unspecified,
    Red,
    #[protoapi(name = "COLOR_BLUE")]
    Blue = 5,
}

#[protoapi::message]
pub struct Part {
    pub label: String,
    pub weight: i64,
}

/// Every kind of field the JSON mapping has.
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
    pub buf: protoapi::Bytes,
    #[protoapi(encoding = "sint64")]
    pub zigzag: i64,
    #[protoapi(encoding = "fixed32")]
    pub fixed: u32,
    #[protoapi(encoding = "sfixed64")]
    pub sfixed: i64,
    pub maybe_text: Option<String>,
    pub maybe_int: Option<i32>,
    pub maybe_color: Option<Color>,
    pub numbers: Vec<i64>,
    pub words: Vec<String>,
    pub colors: Vec<Color>,
    pub parts: Vec<Part>,
    pub part: Option<Part>,
    pub color: Color,
    pub counts: HashMap<String, i32>,
    pub by_id: BTreeMap<u64, Part>,
    pub flags: BTreeMap<bool, String>,
    pub blobs: Vec<Vec<u8>>,
}

/// What a path and query can bind: scalars, enums, repeated and optional fields.
#[protoapi::message]
pub struct Lookup {
    pub id: u64,
    pub name: String,
    pub count: i32,
    pub big: i64,
    pub verbose: bool,
    pub ratio: f64,
    pub color: Color,
    pub tags: Vec<String>,
    pub sizes: Vec<u32>,
    pub maybe: Option<i64>,
    pub raw: Vec<u8>,
}

#[protoapi::message]
#[form]
pub struct Signup {
    pub name: String,
    pub age: u32,
    pub score: f32,
    pub agree: bool,
    pub color: Color,
    pub tags: Vec<String>,
    pub maybe: Option<i32>,
}

#[protoapi::message]
#[form]
pub struct Upload {
    pub title: String,
    pub count: u32,
    pub tags: Vec<String>,
    #[file]
    pub doc: Option<File>,
    #[file]
    pub extra: Vec<File>,
}

#[protoapi::message]
pub struct Ack {
    pub size: u64,
}

#[protoapi::service(package = "fuzz.v1")]
pub trait Fuzz {
    #[protoapi(post = "/echo", wbsk = "/echo/ws")]
    async fn echo(&self, req: Everything) -> Result<Everything, Status>;
    #[protoapi(get = "/items/:id/:name")]
    async fn lookup(&self, req: Lookup) -> Result<Lookup, Status>;
    #[protoapi(post = "/signup")]
    async fn signup(&self, req: Signup) -> Result<Signup, Status>;
    #[protoapi(post = "/upload", limit = "64KiB")]
    async fn upload(&self, req: Upload) -> Result<Ack, Status>;
}

struct FuzzImpl;

impl Fuzz for FuzzImpl {
    async fn echo(&self, req: Everything) -> Result<Everything, Status> {
        Ok(req)
    }

    async fn lookup(&self, req: Lookup) -> Result<Lookup, Status> {
        Ok(req)
    }

    async fn signup(&self, req: Signup) -> Result<Signup, Status> {
        Ok(req)
    }

    async fn upload(&self, req: Upload) -> Result<Ack, Status> {
        let size = req.doc.iter().chain(&req.extra).map(File::size).sum();
        Ok(Ack { size })
    }
}

/// The router, its runtime, the upload directory and the server's memory budget, made once
/// per process.
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    router: Router,
    uploads: tempfile::TempDir,
    budget: MemoryBudget,
}

/// An answer as the client reads it: status, headers, the whole body and the trailers.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub trailers: Option<HeaderMap>,
}

/// The one harness of this process.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let uploads = tempfile::tempdir().expect("an upload directory");
        let builder = protoapi::Server::builder()
            .add(FuzzServer::new(FuzzImpl))
            .add(wire::WireServer::new(wire::WireImpl));
        let budget = builder.stats().memory().clone();
        let router = builder
            .upload_dir(uploads.path())
            .limits(Limits::default().fields(64).parts(16))
            .into_router()
            .expect("the fuzz service's router")
            // What `serve` adds: `into_router` leaves the fallback to the application.
            .fallback(protoapi::__private::not_found);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        Harness {
            runtime,
            router,
            uploads,
            budget,
        }
    })
}

impl Harness {
    /// Sends one request through the router and reads its whole answer. The server must hold
    /// nothing in its memory budget once the answer is read, and leave no temporary file.
    pub fn answer(&self, request: Request<Body>) -> Answer {
        let answer = self.runtime.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let (parts, mut body) = response.into_parts();
            let mut data = Vec::new();
            let mut trailers = None;
            // Frame by frame, to hold the body to its contract: nothing after the trailers,
            // and nothing once it says it ended.
            while let Some(frame) = body.frame().await {
                let frame = frame.expect("an answer's body");
                assert!(trailers.is_none(), "a frame after the trailers");
                match frame.into_data() {
                    Ok(bytes) => data.extend_from_slice(&bytes),
                    Err(frame) => trailers = frame.into_trailers().ok(),
                }
                if body.is_end_stream() {
                    assert!(body.frame().await.is_none(), "a frame after the end");
                    break;
                }
            }
            Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: data,
                trailers,
            }
        });
        assert_eq!(
            self.budget.used(),
            0,
            "a request left bytes charged to the memory budget"
        );
        let left = std::fs::read_dir(self.uploads.path())
            .expect("the upload directory")
            .count();
        assert_eq!(left, 0, "a request left {left} temporary files");
        answer
    }

    /// Sends one request through the router and checks its answer as an HTTP answer: below 500,
    /// and a refusal has the JSON error body. Returns the status and body.
    pub fn send(&self, request: Request<Body>) -> (u16, Vec<u8>) {
        let answer = self.answer(request);
        check_http(&answer);
        (answer.status, answer.body)
    }

    /// The server's memory budget.
    pub fn budget(&self) -> &MemoryBudget {
        &self.budget
    }

    /// A request with a body and a content type.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_vec()))
            .expect("a request");
        self.send(request)
    }

    /// A GET of `path`, or `None` when `path` is no URI at all (the HTTP server refuses those
    /// before a router sees them).
    pub fn get(&self, path: &[u8]) -> Option<(u16, Vec<u8>)> {
        let uri = protoapi::__private::http::Uri::try_from(path).ok()?;
        let request = Request::get(uri).body(Body::empty()).expect("a request");
        Some(self.send(request))
    }
}

/// Holds an HTTP answer to protoapi's rules: no 5xx, and every refusal has the JSON error body
/// ([`check_error_body`]).
pub fn check_http(answer: &Answer) {
    assert!(
        answer.status < 500,
        "answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    check_error_body(answer);
}

/// Holds a refusal (4xx or 5xx) to the JSON error body with a code and a message.
pub fn check_error_body(answer: &Answer) {
    let (status, body) = (answer.status, &answer.body);
    if status >= 400 {
        let error: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|error| {
            panic!(
                "the {status} answer is not JSON ({error}): {:?}",
                String::from_utf8_lossy(body)
            )
        });
        assert!(
            error["message"].is_string() && error["code"].is_string(),
            "an error answer has a code and a message: {error}"
        );
    }
}
