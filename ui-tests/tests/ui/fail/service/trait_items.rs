use protoapi::Status;

#[protoapi::message]
pub struct Ping {}

#[protoapi::service(package = "demo")]
pub trait Demo {
    const LIMIT: usize;
    async fn ping(&self, req: Ping) -> Result<Ping, Status> {
        Ok(req)
    }
    async fn generic<T>(&self, req: Ping) -> Result<Ping, Status>;
}

fn main() {}
