use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    #[protoapi(path = "/same")]
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
    #[protoapi(path = "/same")]
    async fn pong(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
