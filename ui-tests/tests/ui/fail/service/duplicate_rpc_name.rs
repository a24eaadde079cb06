use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
    #[protoapi(name = "Ping")]
    async fn pong(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
