//! One mistake in a message (here a recursive one): the service and the message that use it add
//! no errors.
use protoapi::Status;

#[protoapi::message]
pub struct Ping {
    #[protoapi(tg = 1)]
    pub n: i32,
    pub replies: Vec<Ping>,
    pub next: Vec<Self>,
}

#[protoapi::message]
pub struct Batch {
    pub pings: Vec<Ping>,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn ping(&self, req: Ping) -> Result<Batch, Status>;
}

fn main() {}
