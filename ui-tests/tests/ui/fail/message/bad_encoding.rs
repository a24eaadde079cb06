#[protoapi::message]
pub struct Request {
    #[protoapi(encoding = "sint64")]
    pub small: i32,
    #[protoapi(encoding = "fixed32")]
    pub name: String,
}

fn main() {}
