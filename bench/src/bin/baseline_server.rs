//! The benchmark API written by hand with tonic and axum: the baseline of the benchmarks.
//!
//! This is the hand-written counterpart of `protoapi_server.rs`: the same messages (prost
//! structs as prost-build generates them for the `.proto` that `protoapi_server --print-proto`
//! prints, with serde derives for the proto3 JSON mapping), the same logic, the same routes, on
//! one port:
//!
//! - gRPC: `/bench.Bench/Echo` (unary) and `/bench.Bench/Ticks` (server stream), in a service
//!   written in the style of tonic-build's generated code; other rpcs answer `unimplemented`.
//! - HTTP: `POST /echo` (JSON), `GET /users/{id}` (path + query), `POST /signup` (form),
//!   `POST /upload` (multipart, the file spooled to a temporary file past 1 MiB),
//!   `GET /files/{name}` (`ServeFile`: ranges, conditional requests), `GET /ticks/{count}`
//!   (Server-Sent Events).
//! - WebSocket: `/echo/ws` and `/ticks/ws`, with protoapi's JSON frames
//!   (`{"id": 1, "data": {...}}`).
//! - Socket.IO (socketioxide) at `/socket.io/`: `echo` answers in its ack, and `shout` sends a
//!   `note` to every socket (`io.emit`), with protoapi's answers (`{"data": {...}}`).
//! - GraphQL at `/graphql` (async-graphql's derives, async-graphql-axum's `GraphQL` for POST
//!   and `GraphQLSubscription` for the WebSocket): protoapi's schema and answers for `getUser`,
//!   `echo`, `signup` and `ticks`.
//!
//! `baseline_server --addr 127.0.0.1:9002 --dir DIR` (`DIR` holds the files to download);
//! with `--compression`, gRPC reads and sends gzip (tonic's `accept_compressed` and
//! `send_compressed`) and the HTTP routes answer in gzip when the client accepts it
//! (tower-http's `CompressionLayer`, at the fastest level, as protoapi compresses).

use std::path::PathBuf;
use std::sync::Arc;

use async_graphql::ErrorExtensions as _;
use async_graphql_axum::GraphQLSubscription;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, Request, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, get_service, post};
use axum::serve::ListenerExt as _;
use axum::{Json, http::StatusCode};
use base64::Engine as _;
use bytes::BytesMut;
use futures_util::{SinkExt as _, StreamExt as _, stream};
use serde::{Deserialize, Serialize};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, TryData};
use tokio::io::AsyncWriteExt as _;
use tower::ServiceExt as _;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeFile;

// ---- Messages: as prost-build generates them, with serde for the proto3 JSON mapping ----

/// A call to echo.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct EchoRequest {
    #[prost(uint64, tag = "1")]
    #[serde(with = "json_u64", skip_serializing_if = "is_zero")]
    pub id: u64,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: ::prost::alloc::string::String,
    #[prost(string, repeated, tag = "3")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: ::prost::alloc::vec::Vec<::prost::alloc::string::String>,
    #[prost(bytes = "vec", tag = "4")]
    #[serde(with = "json_bytes", skip_serializing_if = "Vec::is_empty")]
    pub payload: ::prost::alloc::vec::Vec<u8>,
}

/// The echo.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct EchoReply {
    #[prost(uint64, tag = "1")]
    #[serde(with = "json_u64", skip_serializing_if = "is_zero")]
    pub id: u64,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: ::prost::alloc::string::String,
    #[prost(string, repeated, tag = "3")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: ::prost::alloc::vec::Vec<::prost::alloc::string::String>,
    #[prost(bytes = "vec", tag = "4")]
    #[serde(with = "json_bytes", skip_serializing_if = "Vec::is_empty")]
    pub payload: ::prost::alloc::vec::Vec<u8>,
}

/// Which user to look up: `id` from the path, the rest from the query.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct UserQuery {
    #[prost(uint64, tag = "1")]
    #[serde(with = "json_u64", skip_serializing_if = "is_zero")]
    pub id: u64,
    #[prost(bool, tag = "2")]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verbose: bool,
    #[prost(uint32, tag = "3")]
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u32,
    #[prost(string, tag = "4")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tag: ::prost::alloc::string::String,
}

/// A user.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    #[prost(uint64, tag = "1")]
    #[serde(with = "json_u64", skip_serializing_if = "is_zero")]
    pub id: u64,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: ::prost::alloc::string::String,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: ::prost::alloc::string::String,
    #[prost(string, repeated, tag = "4")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: ::prost::alloc::vec::Vec<::prost::alloc::string::String>,
}

/// A sign-up form (urlencoded).
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: ::prost::alloc::string::String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: ::prost::alloc::string::String,
    #[prost(uint32, tag = "3")]
    #[serde(skip_serializing_if = "is_zero")]
    pub age: u32,
    #[prost(bool, tag = "4")]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub subscribe: bool,
}

/// The answer to a sign-up.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupReply {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: ::prost::alloc::string::String,
}

/// What was received.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadReply {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: ::prost::alloc::string::String,
    #[prost(uint64, tag = "2")]
    #[serde(with = "json_u64", skip_serializing_if = "is_zero")]
    pub size: u64,
}

/// How many ticks to stream.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct TicksRequest {
    #[prost(uint32, tag = "1")]
    #[serde(skip_serializing_if = "is_zero")]
    pub count: u32,
}

/// One tick of a stream.
#[derive(Clone, PartialEq, ::prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Tick {
    #[prost(uint64, tag = "1")]
    #[serde(with = "json_u64", skip_serializing_if = "is_zero")]
    pub seq: u64,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: ::prost::alloc::string::String,
}

/// Proto3 JSON leaves out the fields that hold their default.
fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A 64-bit integer in proto3 JSON: written as a string, read from a number or a string.
mod json_u64 {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        struct U64Visitor;
        impl Visitor<'_> for U64Visitor {
            type Value = u64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned 64-bit integer (a number or a string)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
                u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
                v.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
                Ok(0)
            }
        }
        deserializer.deserialize_any(U64Visitor)
    }
}

/// A `bytes` field in proto3 JSON: written in standard base64 with padding, read in the standard
/// or URL-safe alphabet, padded or not.
mod json_bytes {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::Serializer;

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn serialize<S: Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = String::with_capacity(value.len().div_ceil(3) * 4);
        for chunk in value.chunks(3) {
            let mut block = [0u8; 3];
            block[..chunk.len()].copy_from_slice(chunk);
            let bits = u32::from(block[0]) << 16 | u32::from(block[1]) << 8 | u32::from(block[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    text.push(char::from(ALPHABET[(bits >> (18 - 6 * i)) as usize & 63]));
                } else {
                    text.push('=');
                }
            }
        }
        serializer.serialize_str(&text)
    }

    fn decode(text: &str) -> Option<Vec<u8>> {
        let text = text.trim_end_matches('=');
        if text.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in text.bytes() {
            let sextet = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' | b'-' => 62,
                b'/' | b'_' => 63,
                _ => return None,
            };
            acc = acc << 6 | u32::from(sextet);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct BytesVisitor;
        impl Visitor<'_> for BytesVisitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                decode(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Vec<u8>, E> {
                Ok(Vec::new())
            }
        }
        deserializer.deserialize_any(BytesVisitor)
    }
}

// ---- gRPC: the service, in the style of tonic-build's generated code ----

pub mod bench_server {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
    use tonic::{Request, Response, Status};

    use super::{EchoReply, EchoRequest, Tick, TicksRequest};

    /// The gRPC methods of `bench.Bench` that the benchmarks call (tonic-build's trait, with
    /// native `async fn` in place of `#[async_trait]`: no boxed future per method).
    pub trait Bench: Send + Sync + 'static {
        /// `/bench.Bench/Echo`.
        fn echo(
            &self,
            request: Request<EchoRequest>,
        ) -> impl Future<Output = Result<Response<EchoReply>, Status>> + Send;

        /// Server streaming response type for the Ticks method.
        type TicksStream: futures_util::Stream<Item = Result<Tick, Status>> + Send + 'static;

        /// `/bench.Bench/Ticks`.
        fn ticks(
            &self,
            request: Request<TicksRequest>,
        ) -> impl Future<Output = Result<Response<Self::TicksStream>, Status>> + Send;
    }

    #[derive(Debug)]
    pub struct BenchServer<T> {
        inner: Arc<T>,
        gzip: bool,
    }

    impl<T> BenchServer<T> {
        pub fn new(inner: T) -> Self {
            Self {
                inner: Arc::new(inner),
                gzip: false,
            }
        }

        /// Reads requests in gzip, and answers in gzip clients that accept it.
        pub fn gzip(mut self) -> Self {
            self.gzip = true;
            self
        }
    }

    impl<T> Clone for BenchServer<T> {
        fn clone(&self) -> Self {
            Self {
                inner: Arc::clone(&self.inner),
                gzip: self.gzip,
            }
        }
    }

    /// tonic's server side of one call, with gzip both ways when `gzip`.
    fn grpc<C: tonic::codec::Codec>(codec: C, gzip: bool) -> tonic::server::Grpc<C> {
        let grpc = tonic::server::Grpc::new(codec);
        if gzip {
            use tonic::codec::CompressionEncoding::Gzip;
            grpc.accept_compressed(Gzip).send_compressed(Gzip)
        } else {
            grpc
        }
    }

    impl<T, B> Service<http::Request<B>> for BenchServer<T>
    where
        T: Bench,
        B: Body + Send + 'static,
        B::Error: Into<StdError> + Send + 'static,
    {
        type Response = http::Response<tonic::body::Body>;
        type Error = std::convert::Infallible;
        type Future = BoxFuture<Self::Response, Self::Error>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        /// Routes on the path, as tonic-build's code does; each method is a `service_fn` over
        /// the trait (tonic-build writes a struct per method), so one box per call.
        fn call(&mut self, req: http::Request<B>) -> Self::Future {
            let inner = Arc::clone(&self.inner);
            let gzip = self.gzip;
            match req.uri().path() {
                "/bench.Bench/Echo" => Box::pin(async move {
                    let method = tower::service_fn(|request| inner.echo(request));
                    let mut grpc = grpc(tonic_prost::ProstCodec::default(), gzip);
                    Ok(grpc.unary(method, req).await)
                }),
                "/bench.Bench/Ticks" => Box::pin(async move {
                    let method = tower::service_fn(|request| inner.ticks(request));
                    let mut grpc = grpc(tonic_prost::ProstCodec::default(), gzip);
                    Ok(grpc.server_streaming(method, req).await)
                }),
                _ => Box::pin(async move {
                    let mut response = http::Response::new(tonic::body::Body::default());
                    let headers = response.headers_mut();
                    headers.insert(
                        Status::GRPC_STATUS,
                        (tonic::Code::Unimplemented as i32).into(),
                    );
                    headers.insert(
                        http::header::CONTENT_TYPE,
                        tonic::metadata::GRPC_CONTENT_TYPE,
                    );
                    Ok(response)
                }),
            }
        }
    }

    /// The gRPC service name.
    pub const SERVICE_NAME: &str = "bench.Bench";

    impl<T> tonic::server::NamedService for BenchServer<T> {
        const NAME: &'static str = SERVICE_NAME;
    }
}

use bench_server::{Bench, BenchServer};

// ---- The logic, shared by every transport ----

fn echo(req: EchoRequest) -> EchoReply {
    EchoReply {
        id: req.id,
        message: format!("hello {}", req.name),
        tags: req.tags,
        payload: req.payload,
    }
}

fn get_user(req: UserQuery) -> User {
    let tags = if req.verbose {
        vec![req.tag; req.limit.min(4) as usize]
    } else {
        Vec::new()
    };
    User {
        id: req.id,
        name: format!("user {}", req.id),
        email: format!("user{}@example.com", req.id),
        tags,
    }
}

fn tick(seq: u64) -> Tick {
    Tick {
        seq,
        text: "tick".to_owned(),
    }
}

/// The last path component of a client's file name, without leading dots (`file` if nothing
/// is left): safe to join to a directory.
fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let trimmed = last.trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "file".to_owned()
    } else {
        trimmed.to_owned()
    }
}

struct Api;

/// The stream of `Ticks`: no allocation beyond each tick.
type TickStream =
    stream::Iter<std::iter::Map<std::ops::Range<u64>, fn(u64) -> Result<Tick, tonic::Status>>>;

impl Bench for Api {
    async fn echo(
        &self,
        request: tonic::Request<EchoRequest>,
    ) -> Result<tonic::Response<EchoReply>, tonic::Status> {
        Ok(tonic::Response::new(echo(request.into_inner())))
    }

    type TicksStream = TickStream;

    async fn ticks(
        &self,
        request: tonic::Request<TicksRequest>,
    ) -> Result<tonic::Response<TickStream>, tonic::Status> {
        let count = u64::from(request.into_inner().count);
        let ok_tick: fn(u64) -> Result<Tick, tonic::Status> = |seq| Ok(tick(seq));
        Ok(tonic::Response::new(stream::iter((0..count).map(ok_tick))))
    }
}

// ---- HTTP ----

/// An error in a WebSocket frame, as protoapi writes it (no `details` when there are none).
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: &'a str,
}

/// protoapi's HTTP error body (the Connect protocol's shape): `details` is always there.
#[derive(Serialize)]
struct HttpErrorBody<'a> {
    code: &'static str,
    message: &'a str,
    details: &'static [serde_json::Value],
}

fn error_response(status: StatusCode, code: &'static str, message: &str) -> Response {
    let body = HttpErrorBody {
        code,
        message,
        details: &[],
    };
    (status, Json(body)).into_response()
}

async fn echo_http(Json(req): Json<EchoRequest>) -> Json<EchoReply> {
    Json(echo(req))
}

async fn get_user_http(Path(id): Path<u64>, Query(mut req): Query<UserQuery>) -> Json<User> {
    req.id = id;
    Json(get_user(req))
}

async fn signup_http(Form(req): Form<SignupForm>) -> Result<Json<SignupReply>, Response> {
    if req.age < 13 {
        return Err(error_response(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "too young",
        ));
    }
    let list = if req.subscribe { " (subscribed)" } else { "" };
    Ok(Json(SignupReply {
        message: format!("welcome {} <{}>{list}", req.name, req.email),
    }))
}

/// Uploads are kept in memory up to this size, and spooled to a temporary file past it.
const SPOOL_THRESHOLD: usize = 1 << 20;

/// The largest upload.
const UPLOAD_LIMIT: usize = 1 << 30;

/// Receives one multipart field, in memory up to [`SPOOL_THRESHOLD`] bytes, then streamed to a
/// temporary file chunk by chunk; answers its size. The temporary file is removed on return.
async fn receive(field: &mut axum::extract::multipart::Field<'_>) -> Result<u64, Response> {
    let store_failed = |error: std::io::Error| {
        eprintln!("failed to spool an upload: {error}");
        error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "failed to store the upload",
        )
    };
    let mut memory = BytesMut::new();
    let mut spool: Option<(tokio::fs::File, tempfile::TempPath)> = None;
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(IntoResponse::into_response)? {
        size += chunk.len() as u64;
        if spool.is_none() && memory.len() + chunk.len() > SPOOL_THRESHOLD {
            let (file, path) = tokio::task::spawn_blocking(|| {
                tempfile::NamedTempFile::new().map(tempfile::NamedTempFile::into_parts)
            })
            .await
            .map_err(|error| store_failed(std::io::Error::other(error)))?
            .map_err(store_failed)?;
            let mut file = tokio::fs::File::from_std(file);
            file.write_all(&memory).await.map_err(store_failed)?;
            memory = BytesMut::new();
            spool = Some((file, path));
        }
        match &mut spool {
            Some((file, _)) => file.write_all(&chunk).await.map_err(store_failed)?,
            None => memory.extend_from_slice(&chunk),
        }
    }
    if let Some((mut file, _path)) = spool {
        file.flush().await.map_err(store_failed)?;
    }
    Ok(size)
}

async fn upload_http(mut multipart: Multipart) -> Result<Json<UploadReply>, Response> {
    let mut reply = UploadReply {
        name: safe_file_name(""),
        size: 0,
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(IntoResponse::into_response)?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = safe_file_name(field.file_name().unwrap_or_default());
        let size = receive(&mut field).await?;
        reply = UploadReply { name, size };
    }
    Ok(Json(reply))
}

async fn download_http(
    State(dir): State<Arc<PathBuf>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let path = dir.join(safe_file_name(&name));
    match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

async fn ticks_sse(Path(count): Path<u32>) -> impl IntoResponse {
    let ticks = stream::iter(0..u64::from(count)).map(|seq| Event::default().json_data(tick(seq)));
    let end = stream::once(std::future::ready(Ok(Event::default()
        .event("end")
        .data("{}"))));
    Sse::new(ticks.chain(end)).keep_alive(KeepAlive::default())
}

// ---- WebSocket ----

/// A frame from the client: `{"id": 7, "data": {...}}`; the id is echoed as sent.
#[derive(Deserialize)]
struct InFrame<T> {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    data: T,
}

/// A frame to the client.
#[derive(Serialize)]
struct OutFrame<'a, T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    end: bool,
}

impl<'a, T: Serialize> OutFrame<'a, T> {
    fn data(id: Option<&'a serde_json::Value>, data: T) -> Self {
        OutFrame {
            id,
            data: Some(data),
            error: None,
            end: false,
        }
    }

    /// The frame in a text message. Our frames always serialize; were one not to, the client
    /// would get an `internal` error frame rather than nothing.
    fn message(&self) -> Message {
        match serde_json::to_string(self) {
            Ok(text) => Message::Text(text.into()),
            Err(_) => Message::Text(INTERNAL_FRAME.into()),
        }
    }
}

const INTERNAL_FRAME: &str =
    r#"{"error":{"code":"internal","message":"failed to encode the response"}}"#;

fn invalid_frame(error: &serde_json::Error) -> Message {
    let message = format!("invalid frame: {error}");
    OutFrame::<()> {
        id: None,
        data: None,
        error: Some(ErrorBody {
            code: "invalid_argument",
            message: &message,
        }),
        end: false,
    }
    .message()
}

/// The next call on a socket: its frame, or the error frame to answer a malformed one. `None`
/// once the socket is closed.
async fn next_call<T>(socket: &mut WebSocket) -> Option<Result<InFrame<T>, Message>>
where
    T: for<'de> Deserialize<'de> + Default,
{
    while let Some(Ok(message)) = socket.recv().await {
        if let Message::Text(text) = message {
            return Some(
                serde_json::from_str(text.as_str()).map_err(|error| invalid_frame(&error)),
            );
        }
    }
    None
}

async fn echo_ws(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(call) = next_call::<EchoRequest>(&mut socket).await {
            let answer = match call {
                Ok(frame) => OutFrame::data(frame.id.as_ref(), echo(frame.data)).message(),
                Err(error) => error,
            };
            if socket.send(answer).await.is_err() {
                break;
            }
        }
    })
}

async fn ticks_ws(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(call) = next_call::<TicksRequest>(&mut socket).await {
            let frame = match call {
                Ok(frame) => frame,
                Err(error) => match socket.send(error).await {
                    Ok(()) => continue,
                    Err(_) => break,
                },
            };
            if send_ticks(&mut socket, frame).await.is_err() {
                break;
            }
        }
    })
}

/// Sends the ticks of one call, each queued without a flush, then its end, which flushes them.
async fn send_ticks(
    socket: &mut WebSocket,
    frame: InFrame<TicksRequest>,
) -> Result<(), axum::Error> {
    let id = frame.id.as_ref();
    for seq in 0..u64::from(frame.data.count) {
        socket.feed(OutFrame::data(id, tick(seq)).message()).await?;
    }
    let end = OutFrame::<()> {
        id,
        data: None,
        error: None,
        end: true,
    };
    socket.send(end.message()).await
}

// ---- Socket.IO ----

/// A shout: broadcast to every socket as a `note`.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Shout {
    seq: u32,
    text: String,
}

/// What every socket hears of a shout, in proto3 JSON.
#[derive(Serialize)]
struct Note {
    #[serde(skip_serializing_if = "is_zero")]
    seq: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
}

/// The answer to a shout: an empty message.
#[derive(Serialize)]
struct Shouted {}

/// An ack's argument, as protoapi writes it: `{"data": ...}` or `{"error": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Answer<'a, T> {
    Data(T),
    Error(HttpErrorBody<'a>),
}

fn error_answer<'a>(code: &'static str, message: &'a str) -> Answer<'a, ()> {
    Answer::Error(HttpErrorBody {
        code,
        message,
        details: &[],
    })
}

/// Acks `answer`; a socket that went away gets nothing.
fn send_ack<T: Serialize>(ack: AckSender, answer: &Answer<'_, T>) {
    let _ = ack.send(answer);
}

async fn on_connect(socket: SocketRef) {
    socket.on("echo", echo_event);
    socket.on("shout", shout_event);
}

async fn echo_event(TryData(req): TryData<EchoRequest>, ack: AckSender) {
    match req {
        Ok(req) => send_ack(ack, &Answer::Data(echo(req))),
        Err(error) => send_ack(ack, &error_answer("invalid_argument", &error.to_string())),
    }
}

async fn shout_event(io: SocketIo, TryData(req): TryData<Shout>, ack: AckSender) {
    let req = match req {
        Ok(req) => req,
        Err(error) => {
            return send_ack(ack, &error_answer("invalid_argument", &error.to_string()));
        }
    };
    let note = Note {
        seq: req.seq,
        text: req.text,
    };
    match io.emit("note", &note).await {
        Ok(()) => send_ack(ack, &Answer::Data(Shouted {})),
        Err(error) => send_ack(ack, &error_answer("unavailable", &error.to_string())),
    }
}

// ---- GraphQL: async-graphql's derives, served by async-graphql-axum ----

/// The GraphQL schema of the benchmark API, as protoapi serves it: `getUser` a query, `echo`
/// and `signup` mutations, `ticks` a subscription; 64-bit integers and bytes as strings, every
/// argument optional (its proto3 default). protoapi's schema also has `upload`, `shout` and
/// `download`, which no benchmark calls.
type GraphQlSchema = async_graphql::Schema<GraphQlQuery, GraphQlMutation, GraphQlSubscription>;

fn graphql_schema() -> GraphQlSchema {
    async_graphql::Schema::build(GraphQlQuery, GraphQlMutation, GraphQlSubscription)
        .limit_depth(16)
        .limit_complexity(1_000)
        .finish()
}

/// A `uint64` argument: proto3 JSON's decimal string.
fn graphql_u64(value: Option<String>) -> async_graphql::Result<u64> {
    match value {
        None => Ok(0),
        Some(text) => text
            .parse()
            .map_err(|_| async_graphql::Error::new(format!("invalid uint64 `{text}`"))),
    }
}

struct GraphQlQuery;

#[async_graphql::Object(name = "Query")]
impl GraphQlQuery {
    /// `GET /users/:id?verbose=true&limit=3&tag=rust`.
    async fn get_user(
        &self,
        id: Option<String>,
        verbose: Option<bool>,
        limit: Option<u32>,
        tag: Option<String>,
    ) -> async_graphql::Result<Option<GraphQlUser>> {
        let req = UserQuery {
            id: graphql_u64(id)?,
            verbose: verbose.unwrap_or_default(),
            limit: limit.unwrap_or_default(),
            tag: tag.unwrap_or_default(),
        };
        Ok(Some(GraphQlUser(get_user(req))))
    }
}

struct GraphQlMutation;

#[async_graphql::Object(name = "Mutation")]
impl GraphQlMutation {
    /// gRPC `/bench.Bench/Echo`, `POST /echo` (JSON), WebSocket `/echo/ws`.
    async fn echo(
        &self,
        id: Option<String>,
        name: Option<String>,
        tags: Option<Vec<String>>,
        payload: Option<String>,
    ) -> async_graphql::Result<Option<GraphQlEchoReply>> {
        let payload = match payload {
            None => Vec::new(),
            Some(text) => base64::engine::general_purpose::STANDARD
                .decode(&text)
                .map_err(|_| async_graphql::Error::new("invalid base64 in `payload`"))?,
        };
        let req = EchoRequest {
            id: graphql_u64(id)?,
            name: name.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            payload,
        };
        Ok(Some(GraphQlEchoReply(echo(req))))
    }

    /// `POST /signup` (application/x-www-form-urlencoded).
    async fn signup(
        &self,
        name: Option<String>,
        email: Option<String>,
        age: Option<u32>,
        subscribe: Option<bool>,
    ) -> async_graphql::Result<Option<GraphQlSignupReply>> {
        let req = SignupForm {
            name: name.unwrap_or_default(),
            email: email.unwrap_or_default(),
            age: age.unwrap_or_default(),
            subscribe: subscribe.unwrap_or_default(),
        };
        if req.age < 13 {
            return Err(async_graphql::Error::new("too young")
                .extend_with(|_, extensions| extensions.set("code", "invalid_argument")));
        }
        let list = if req.subscribe { " (subscribed)" } else { "" };
        Ok(Some(GraphQlSignupReply(SignupReply {
            message: format!("welcome {} <{}>{list}", req.name, req.email),
        })))
    }
}

struct GraphQlSubscription;

#[async_graphql::Subscription(name = "Subscription")]
impl GraphQlSubscription {
    /// gRPC server stream, `GET /ticks/:count` (SSE with `Accept: text/event-stream`),
    /// WebSocket `/ticks/ws`.
    async fn ticks(&self, count: Option<u32>) -> impl futures_util::Stream<Item = GraphQlTick> {
        stream::iter((0..u64::from(count.unwrap_or_default())).map(|seq| GraphQlTick(tick(seq))))
    }
}

/// The echo.
struct GraphQlEchoReply(EchoReply);

#[async_graphql::Object(name = "EchoReply")]
impl GraphQlEchoReply {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn payload(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0.payload)
    }
}

/// A user.
struct GraphQlUser(User);

#[async_graphql::Object(name = "User")]
impl GraphQlUser {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
}

/// The answer to a sign-up.
struct GraphQlSignupReply(SignupReply);

#[async_graphql::Object(name = "SignupReply")]
impl GraphQlSignupReply {
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// One tick of a stream.
struct GraphQlTick(Tick);

#[async_graphql::Object(name = "Tick")]
impl GraphQlTick {
    async fn seq(&self) -> String {
        self.0.seq.to_string()
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
}

// ---- The server: gRPC, HTTP, Socket.IO and GraphQL on one port ----

fn app(dir: PathBuf, compression: bool) -> Router {
    let http = Router::new()
        .route("/echo", post(echo_http))
        .route("/users/{id}", get(get_user_http))
        .route("/signup", post(signup_http))
        .route(
            "/upload",
            post(upload_http).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/files/{name}", get(download_http))
        .route("/ticks/{count}", get(ticks_sse))
        .route("/echo/ws", get(echo_ws))
        .route("/ticks/ws", get(ticks_ws));
    let schema = graphql_schema();
    let graphql = get_service(GraphQLSubscription::new(schema.clone()))
        .post_service(async_graphql_axum::GraphQL::new(schema));
    let (http, grpc) = if compression {
        let layer = CompressionLayer::new().quality(CompressionLevel::Fastest);
        (http.layer(layer), BenchServer::new(Api).gzip())
    } else {
        (http, BenchServer::new(Api))
    };
    let (socketio, io) = SocketIo::new_svc();
    io.ns("/", on_connect);
    http.route_service(
        &format!("/{}/{{*method}}", bench_server::SERVICE_NAME),
        grpc,
    )
    .route_service("/socket.io/", socketio)
    .route("/graphql", graphql)
    .with_state(Arc::new(dir))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = String::from("127.0.0.1:9002");
    let mut dir = std::env::temp_dir();
    let mut compression = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--dir" => dir = args.next().ok_or("--dir needs a directory")?.into(),
            "--compression" => compression = true,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app(dir, compression))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
