use protoapi::{Context, Status};

#[protoapi::message]
pub struct Ping {
    pub n: i32,
}

/// A service with every method shape.
#[protoapi::service(package = "acme.demo.v1", name = "DemoService")]
pub trait Demo: Clone {
    /// Plain.
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
    /// With a context.
    async fn with_ctx(&self, ctx: Context, req: Ping) -> Result<Ping, protoapi::Status>;
    /// Renamed and moved.
    #[protoapi(path = "/v1/pong", name = "Pong")]
    async fn pong_it(&self, req: Ping) -> ::core::result::Result<Ping, Status>;
}

#[derive(Clone)]
struct Impl;

impl Demo for Impl {
    async fn ping(&self, req: Ping) -> Result<Ping, Status> {
        Ok(req)
    }
    async fn with_ctx(&self, ctx: Context, req: Ping) -> Result<Ping, Status> {
        let _ = ctx.header("x");
        Ok(req)
    }
    async fn pong_it(&self, req: Ping) -> Result<Ping, Status> {
        Ok(Ping { n: req.n + 1 })
    }
}

fn main() {
    let server = DemoServer::new(Impl);
    let _ = protoapi::Server::builder().add(server).into_router();
    // `Ping` is also an rpc: the message is named in full, as protoc would otherwise find the rpc.
    assert!(DemoServer::<Impl>::proto_file()
        .contains("rpc Pong(.acme.demo.v1.Ping) returns (.acme.demo.v1.Ping);"));
    fn client_is_send<T: Send + Sync>() {}
    client_is_send::<DemoClient>();
}
