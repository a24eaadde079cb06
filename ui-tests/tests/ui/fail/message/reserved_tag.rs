#[protoapi::message]
pub struct Request {
    #[protoapi(tag = 19000)]
    pub name: String,
    #[protoapi(tag = 0)]
    pub age: i32,
}

fn main() {}
