use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    fn ping(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
