#[protoapi::message(package = "x")]
pub struct Request {
    pub name: String,
}

fn main() {}
