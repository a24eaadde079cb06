#[protoapi::message]
pub struct Request {
    pub name: String,
    #[protoapi(tag = 1)]
    pub age: i32,
}

fn main() {}
