//! Tests of a service without a port (cargo feature `test`): [`TestClient`] serves a built
//! server in-process, each connection over an in-memory pipe through the server's own hyper
//! connection code, and calls it over HTTP, gRPC (a generated client on [`TestClient::channel`])
//! and WebSocket, as FastAPI's `TestClient` and axum-test do.
//!
//! ```
//! # #[protoapi::message] pub struct HelloRequest { pub name: String }
//! # #[protoapi::message] pub struct HelloReply { pub message: String }
//! #[protoapi::service(package = "hello")]
//! pub trait Greeter {
//!     async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, protoapi::Status>;
//! }
//!
//! struct MyGreeter;
//!
//! impl Greeter for MyGreeter {
//!     async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, protoapi::Status> {
//!         Ok(HelloReply { message: format!("hello {}", req.name) })
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use protoapi::test::TestClient;
//!
//! let server = protoapi::Server::builder().add(GreeterServer::new(MyGreeter));
//! let client = TestClient::new(server).await?;
//!
//! let answer = client.post_json("/hello/greeter/say_hello", r#"{"name":"Ann"}"#).await?;
//! assert_eq!(answer.status, 200);
//! assert_eq!(answer.text(), r#"{"message":"hello Ann"}"#);
//!
//! let greeter = GreeterClient::new(client.channel());
//! let reply = greeter.say_hello(HelloRequest { name: "Ann".into() }).await?;
//! assert_eq!(reply.into_inner().message, "hello Ann");
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::io::DuplexStream;

use crate::ServerBuilder;
use crate::budget::Meter;
use crate::error::Error;
use crate::server::{Connection, Serving};

mod websocket;

pub use websocket::{Received, TestWebSocket};

/// How many bytes each way an in-memory connection holds before its writer waits.
const PIPE: usize = 64 << 10;

/// The content type of a JSON body.
const JSON: &str = "application/json";

/// The authority of every request a [`TestClient`] sends.
const AUTHORITY: &str = "protoapi.test";

/// A server run in-process, and a client of it: every request and call goes through the
/// server's own connection code (hyper, its limits and timeouts, the router, every layer), over
/// an in-memory pipe instead of a socket. Cheap to clone; each clone reaches the same server.
#[derive(Clone)]
pub struct TestClient {
    serving: Arc<Serving>,
    /// The port of the next connection's peer address (`127.0.0.1:<port>`), so that each
    /// connection has its own.
    ports: Arc<AtomicU16>,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient").finish_non_exhaustive()
    }
}

/// An HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, decompressed by nothing.
    pub body: Bytes,
}

impl TestResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The value of a header, when it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Why a request of a [`TestClient`] got no answer: the connection failed (the server closed
/// it, or the request was malformed).
#[derive(Debug)]
pub struct TestError(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the in-process request failed: {}", self.0)
    }
}

impl std::error::Error for TestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl TestError {
    fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        TestError(error.into())
    }
}

impl TestClient {
    /// Builds `server` as `serve` would (refusing what `serve` refuses) and makes its client.
    /// Needs a Tokio runtime: each connection's server side is a task of its own.
    pub async fn new(server: ServerBuilder) -> Result<TestClient, Error> {
        Ok(TestClient {
            serving: Arc::new(server.serving().await?),
            ports: Arc::new(AtomicU16::new(1)),
        })
    }

    /// A new connection to the server: the client's end of the pipe; the server's end is
    /// served in a task until either end closes.
    fn connect(&self) -> DuplexStream {
        let (client, server) = tokio::io::duplex(PIPE);
        let port = self.ports.fetch_add(1, Ordering::Relaxed);
        let connection = Connection {
            peer: SocketAddr::from(([127, 0, 0, 1], port)),
            permit: None,
            meter: Meter::default(),
            watcher: None,
        };
        let serving = self.serving.clone();
        tokio::spawn(async move { serving.serve(server, connection).await });
        client
    }

    /// Sends one HTTP/1.1 request on a connection of its own and reads the whole answer. A
    /// relative URI (`/hello`) is sent to the server's authority.
    pub async fn send(
        &self,
        request: Request<impl Into<Bytes>>,
    ) -> Result<TestResponse, TestError> {
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(header::HOST) {
            parts
                .headers
                .insert(header::HOST, header::HeaderValue::from_static(AUTHORITY));
        }
        let request = Request::from_parts(parts, Full::new(body.into()));
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(self.connect()))
                .await
                .map_err(TestError::new)?;
        tokio::spawn(async move {
            let _ = connection.with_upgrades().await;
        });
        let response = sender.send_request(request).await.map_err(TestError::new)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(TestError::new)?.to_bytes();
        Ok(TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<TestResponse, TestError> {
        self.send(build(Method::GET, path, None, Bytes::new())?)
            .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<TestResponse, TestError> {
        self.send(build(Method::DELETE, path, None, Bytes::new())?)
            .await
    }

    /// `POST path` with a JSON body (`content-type: application/json`).
    pub async fn post_json(
        &self,
        path: &str,
        json: impl Into<Bytes>,
    ) -> Result<TestResponse, TestError> {
        self.send(build(Method::POST, path, Some(JSON), json.into())?)
            .await
    }

    /// `PUT path` with a JSON body (`content-type: application/json`).
    pub async fn put_json(
        &self,
        path: &str,
        json: impl Into<Bytes>,
    ) -> Result<TestResponse, TestError> {
        self.send(build(Method::PUT, path, Some(JSON), json.into())?)
            .await
    }

    /// A gRPC channel to the server over HTTP/2, for a generated client:
    /// `GreeterClient::new(client.channel())`. Each connection it opens is a new pipe.
    pub fn channel(&self) -> tonic::transport::Channel {
        let client = self.clone();
        let connector = tower::service_fn(move |_: http::Uri| {
            let io = TokioIo::new(client.connect());
            std::future::ready(Ok::<_, std::convert::Infallible>(io))
        });
        tonic::transport::Endpoint::from_static("http://protoapi.test")
            .connect_with_connector_lazy(connector)
    }

    /// Opens a WebSocket at `path` (with its query, if any).
    pub async fn websocket(&self, path: &str) -> Result<TestWebSocket, TestError> {
        TestWebSocket::open(self.connect(), AUTHORITY, path).await
    }
}

/// A request of `method` to `path`, with a body of `content_type`.
fn build(
    method: Method,
    path: &str,
    content_type: Option<&'static str>,
    body: Bytes,
) -> Result<Request<Bytes>, TestError> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body).map_err(TestError::new)
}
