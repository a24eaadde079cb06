use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    #[protoapi(limit = "5 parsecs", status = 404)]
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
    #[protoapi(limit = "lots")]
    async fn pong(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
