use protoapi::{Download, Status, Streaming};

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    /// A client stream cannot be an HTTP body.
    #[protoapi(post = "/sum")]
    async fn sum(&self, nums: Streaming<Num>) -> Result<Num, Status>;

    /// A download answers one request.
    async fn fetch(&self, nums: Streaming<Num>) -> Result<Download, Status>;
}

fn main() {}
