use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    async fn no_self(req: Ping) -> Result<Ping, Status>;
    async fn no_request(&self) -> Result<Ping, Status>;
    async fn two_requests(&self, a: Ping, b: Ping) -> Result<Ping, Status>;
    async fn mut_self(&mut self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
