use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo", package = "other")]
pub trait Demo {
    #[protoapi(name = "A", name = "B")]
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
