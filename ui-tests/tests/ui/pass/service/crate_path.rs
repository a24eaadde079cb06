mod renamed {
    pub use protoapi as api;
}

#[protoapi::message(crate = "renamed::api")]
pub struct Ping {}

#[protoapi::service(package = "demo", crate = "renamed::api")]
pub trait Demo {
    async fn ping(&self, req: Ping) -> Result<Ping, renamed::api::Status>;
}

fn main() {}
