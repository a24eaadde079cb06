//! Observability: every call on every transport in one `tracing` span, and Prometheus metrics
//! of the calls at `GET /metrics`, on the same port as the API.
//!
//! ```sh
//! cargo run --example observability
//! curl -s localhost:8080/observe/greeter/say_hello -H 'content-type: application/json' -d '{"name":"Ann"}'
//! curl -s localhost:8080/count/3
//! curl -s localhost:8080/metrics
//! ```
//!
//! Each call logs one line at `INFO` when it ends (target `protoapi::call`), in a span named
//! `call` with the OpenTelemetry RPC attributes:
//!
//! ```text
//! INFO call{rpc.system="http" rpc.service="observe.Greeter" rpc.method="SayHello" protoapi.transport="HTTP" otel.kind="server"}: protoapi::call: call ended code="ok" duration_ms=0.21
//! ```
//!
//! With protoapi's `metrics` cargo feature, every call ends by counting itself in
//! `rpc_server_calls_total` and `rpc_server_call_duration_seconds` (labels `rpc_service`,
//! `rpc_method`, `transport` and `code`) through the `metrics` facade. This example installs the
//! recorder of `metrics-exporter-prometheus` and serves its text at `/metrics`.

mod common;

use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use protoapi::{Status, Streaming};

/// Whom to greet.
#[protoapi::message]
pub struct HelloRequest {
    /// The name to greet; must not be empty.
    pub name: String,
}

/// The greeting.
#[protoapi::message]
pub struct HelloReply {
    /// `hello {name}`.
    pub message: String,
}

/// How far to count.
#[protoapi::message]
pub struct CountRequest {
    /// The last number, at most 100.
    #[validate(max = 100)]
    pub n: u32,
}

/// One number of a count.
#[protoapi::message]
pub struct Count {
    /// The number.
    pub n: u32,
}

/// A greeting and a count, over every transport: HTTP, gRPC, Connect, WebSocket (`/ws`),
/// Socket.IO and GraphQL.
#[protoapi::service(package = "observe", socketio, graphql, websocket = "/ws")]
pub trait Greeter {
    /// Answers `hello {name}`; an empty name is `invalid_argument`.
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;
    /// Counts from 1 to `n`: over HTTP as Server-Sent Events or newline-delimited JSON.
    #[protoapi(get = "/count/:n")]
    async fn count(&self, req: CountRequest) -> Result<Streaming<Count>, Status>;
}

struct MyGreeter;

impl Greeter for MyGreeter {
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status> {
        if req.name.is_empty() {
            return Err(Status::invalid_argument("name must not be empty"));
        }
        tracing::debug!(name = %req.name, "greeting");
        Ok(HelloReply {
            message: format!("hello {}", req.name),
        })
    }

    async fn count(&self, req: CountRequest) -> Result<Streaming<Count>, Status> {
        Ok(Streaming::iter((1..=req.n).map(|n| Count { n })))
    }
}

/// The Prometheus recorder, installed for the whole process: calls are histograms with
/// protoapi's buckets.
fn prometheus() -> Result<PrometheusHandle, Box<dyn std::error::Error>> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(protoapi::observe::DURATION.to_owned()),
            protoapi::observe::DURATION_BUCKETS,
        )?
        .install_recorder()?;
    // The recorder drains its histograms' samples when asked to.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// `GET /metrics`: the calls so far, in Prometheus' text format.
fn metrics_route(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let text = handle.render();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    text,
                )
            }
        }),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let handle = prometheus()?;
    common::run(
        protoapi::Server::builder()
            .add(GreeterServer::new(MyGreeter))
            .merge(metrics_route(handle)),
        &[],
    )
    .await
}
