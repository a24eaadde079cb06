//! One mistake in the trait: the code that names the server and the client adds no error.
use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    fn not_async(&self, req: Ping) -> Result<Ping, Status>;
    async fn fine(&self, req: Ping) -> Result<Ping, Status>;
}

struct Impl;

impl Demo for Impl {
    fn not_async(&self, req: Ping) -> Result<Ping, Status> {
        Ok(req)
    }
    async fn fine(&self, req: Ping) -> Result<Ping, Status> {
        Ok(req)
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let _server = DemoServer::new(Impl).with_limits(protoapi::Limits::default());
    let _text = DemoServer::<Impl>::proto_file();
    let client = DemoClient::connect("http://127.0.0.1:8080").await?;
    let _answer: Ping = client.fine(Ping {}).await?.into_inner();
    Ok(())
}

fn main() {
    let _ = run();
}
