use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn connect(&self, req: Ping) -> Result<Ping, Status>;
    async fn new(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
