#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn ping(&self, req: Ping) -> Ping;
    async fn pong(&self, req: Ping) -> Result<Ping, String>;
    async fn none(&self, req: Ping);
}

fn main() {}
