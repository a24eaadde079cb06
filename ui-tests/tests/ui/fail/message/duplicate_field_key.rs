#[protoapi::message]
pub struct Request {
    #[protoapi(tag = 1, tag = 2)]
    pub name: String,
}

fn main() {}
