//! # protoapi
//!
//! One annotated Rust trait is a whole API. `#[protoapi::message]` turns structs into protobuf
//! messages (prost) with the proto3 JSON mapping; `#[protoapi::service]` turns a trait into a
//! gRPC service and client (tonic), HTTP JSON endpoints (axum) and a `.proto` file, all served on
//! one port by [`Server`]. No `.proto` file to write, no `protoc`, no `build.rs`.
//!
//! ```no_run
//! use protoapi::Status;
//!
//! #[protoapi::message]
//! pub struct HelloRequest {
//!     pub name: String,
//! }
//!
//! #[protoapi::message]
//! pub struct HelloReply {
//!     pub message: String,
//! }
//!
//! #[protoapi::service(package = "hello")]
//! pub trait Greeter {
//!     /// gRPC `/hello.Greeter/SayHello`, HTTP `POST /hello/greeter/say_hello`.
//!     async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;
//! }
//!
//! struct MyGreeter;
//!
//! impl Greeter for MyGreeter {
//!     async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status> {
//!         Ok(HelloReply { message: format!("hello {}", req.name) })
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), protoapi::Error> {
//!     protoapi::Server::builder()
//!         .add(GreeterServer::new(MyGreeter))
//!         .serve("127.0.0.1:8080")
//!         .await
//! }
//! ```
//!
//! [`ServerBuilder::openapi`] serves an OpenAPI 3.1 document of the HTTP routes, made from the
//! same trait ([`schema::openapi_document`]).
//!
//! See the `docs/` folder of the repository for the attribute grammar and the wire rules.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod budget;
mod codec;
mod compression;
mod connect;
mod context;
mod download;
mod error;
mod file;
mod graphql;
mod grpc;
mod http;
mod limits;
mod message;
mod method;
pub mod observe;
mod path;
mod rooms;
pub mod schema;
mod server;
mod service;
mod socketio;
mod status;
mod streaming;
#[cfg(feature = "test")]
pub mod test;
mod upload;
mod validate;
mod value;
mod websocket;

#[doc(hidden)]
pub mod __private;

/// Turns a struct into a protobuf message, or a C-like enum into a proto enum.
///
/// Fields take `#[protoapi(tag = .., name = "..", encoding = "..")]`, `#[file]` and validation
/// rules, `#[validate(min = .., max = .., min_len = .., max_len = .., min_items = ..,
/// max_items = .., pattern = "..", required, custom = "path")]`, which every transport checks
/// after decoding (see [`Validate`]).
///
/// ```
/// use protoapi::Validate as _;
///
/// #[protoapi::message]
/// pub struct Signup {
///     #[validate(min_len = 2, max_len = 40, pattern = "^[a-z]+$")]
///     pub name: String,
///     #[validate(required, min = 18)]
///     pub age: Option<u32>,
/// }
///
/// let error = Signup { name: "X".into(), age: None }.validate().expect_err("invalid");
/// assert_eq!(
///     error.to_string(),
///     "invalid request: name: must be at least 2 characters long; \
///      name: must match the pattern `^[a-z]+$`; age: must be present",
/// );
/// ```
///
/// See the crate documentation, `docs/attributes.md` and `docs/validation.md`.
pub use protoapi_macros::message;

/// Turns a trait into a gRPC service and client, HTTP JSON endpoints and a `.proto` file.
///
/// See the crate documentation and `docs/attributes.md`.
pub use protoapi_macros::service;

pub use budget::MemoryBudget;
pub use codec::ProtoEnum;
pub use compression::{Coding, Compression};
pub use context::{Context, Transport};
pub use download::{Download, FileChunk};
pub use error::Error;
pub use file::{File, sanitize_file_name as safe_file_name};
pub use graphql::GraphQlConfig;
pub use grpc::client::upload_chunks;
pub use limits::Limits;
pub use message::ProtoMessage;
pub use path::{DefaultPathGenerator, HttpConfig, HttpPathGenerator};
pub use rooms::{Broadcast, Recipients, Rooms, Subscription};
#[cfg(feature = "tls")]
pub use server::TlsConfig;
pub use server::{Server, ServerBuilder, reject};
pub use service::ProtoService;
pub use socketio::SocketIoConfig;
pub use status::{Code, Status, code_name, http_status};
pub use streaming::Streaming;
/// The rustls version protoapi serves TLS with, for [`TlsConfig::from_rustls`].
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
pub use upload::{UploadChunk, UploadPart};

pub use bytes::Bytes;
pub use tonic::transport::Channel;
pub use tonic::{IntoRequest, Request, Response};
pub use tonic_health::ServingStatus;
pub use tonic_health::server::HealthReporter;
pub use validate::{FieldViolation, MAX_VIOLATIONS, Validate, Violations};
pub use value::{ListValue, Struct, Value};
pub use websocket::{Frame, FrameError, Stats, WebSocketConfig};
