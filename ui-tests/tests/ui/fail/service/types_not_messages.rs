//! A request and a response that are no messages: one error each, at each type.
use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

pub struct Plain;
pub struct Answer;

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn ping(&self, req: Plain) -> Result<Ping, Status>;
    async fn pong(&self, req: Ping) -> Result<Answer, Status>;
}

fn main() {}
