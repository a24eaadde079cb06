use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo-v1")]
pub trait Demo {
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
