use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

pub struct Plain {
    pub name: String,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn ping(&self, req: Plain) -> Result<Ping, Status>;
}

fn main() {}
