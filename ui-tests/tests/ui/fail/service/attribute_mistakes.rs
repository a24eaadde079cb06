//! Several mistakes in the attributes of several items: one error each, all reported at once.
use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo", websocket = "/ws", socket = "/ws2", pakage = "x")]
pub trait Demo {
    #[protoapi(wbsk, websocket = "/w", status = 404)]
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
    #[protoapi(timeout = "5", metod = "GET")]
    async fn pong(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
