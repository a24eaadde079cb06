use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo", pakage = "demo")]
pub trait Demo {
    #[protoapi(methd = "GET")]
    async fn ping(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
