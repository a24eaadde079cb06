use protoapi::{Status, Streaming};

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    /// The WebSocket path names a field the request does not have.
    #[protoapi(websocket = "/count/:id")]
    async fn count(&self, num: Num) -> Result<Streaming<Num>, Status>;
}

fn main() {}
