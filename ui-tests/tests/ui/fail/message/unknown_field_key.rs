#[protoapi::message]
pub struct Request {
    #[protoapi(tga = 3)]
    pub name: String,
}

fn main() {}
