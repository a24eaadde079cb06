use protoapi::{Download, Status, Streaming};

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    /// GET has no body to carry a form.
    #[protoapi(get = "/get", delete = "/get", form = "data")]
    async fn get(&self, num: Num) -> Result<Num, Status>;

    /// A form field has a name.
    #[protoapi(post = "/empty", form = "")]
    async fn empty(&self, num: Num) -> Result<Num, Status>;

    /// A field is named by an identifier.
    #[protoapi(get = "/field", response_body = "n m")]
    async fn field(&self, num: Num) -> Result<Num, Status>;

    /// A stream has no one message to take a field of.
    #[protoapi(get = "/stream", response_body = "n")]
    async fn stream(&self, num: Num) -> Result<Streaming<Num>, Status>;

    /// Nor has a download.
    #[protoapi(get = "/file", response_body = "n")]
    async fn file(&self, num: Num) -> Result<Download, Status>;

    /// A client stream has no HTTP route.
    #[protoapi(form = "data", response_body = "n", websocket = "/sum")]
    async fn sum(&self, nums: Streaming<Num>) -> Result<Num, Status>;

    /// Each key once.
    #[protoapi(form = "a", form = "b", response_body = "n", response_body = "n")]
    async fn twice(&self, num: Num) -> Result<Num, Status>;
}

fn main() {}
