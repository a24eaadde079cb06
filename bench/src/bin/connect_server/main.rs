//! The Echo method of the benchmark API written by hand with connectrpc (connect-rust): the
//! baseline of the Connect cases.
//!
//! The messages and the service come from `bench/connect/bench.proto` through connectrpc's
//! code generator (buffa messages, `generated/`, written by `bench/connect/generate.sh`); the
//! method builds the same answer as `protoapi_server.rs`. It runs on connectrpc's own server
//! (HTTP/1.1 and HTTP/2, `TCP_NODELAY`) with its defaults, and the generated dispatcher
//! (a `match` on the method name).
//!
//! `connect_server --addr 127.0.0.1:9004`.

use connectrpc::{ConnectRpcService, RequestContext, Response, ServiceRequest, ServiceResult};

/// connectrpc's code for `bench.Bench`, as generated.
#[allow(
    non_camel_case_types,
    dead_code,
    unused_imports,
    unused_qualifications,
    unexpected_cfgs,
    clippy::all
)]
mod bench {
    include!("generated/bench.mod.rs");
}

use bench::{Bench, BenchServer, EchoReply, EchoRequest};

struct Api;

// The method names its answer type where the trait says `impl Encodable<EchoReply>`.
#[allow(refining_impl_trait)]
impl Bench for Api {
    async fn echo(
        &self,
        _ctx: RequestContext,
        request: ServiceRequest<'_, EchoRequest>,
    ) -> ServiceResult<EchoReply> {
        Response::ok(EchoReply {
            id: request.id,
            message: format!("hello {}", request.name),
            tags: request.tags.iter().map(|tag| (*tag).to_owned()).collect(),
            payload: request.payload.to_vec(),
            ..Default::default()
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = String::from("127.0.0.1:9004");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    connectrpc::Server::from_listener(listener)
        .serve_with_service_and_shutdown(ConnectRpcService::new(BenchServer::new(Api)), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|error| error.to_string())?;
    Ok(())
}
