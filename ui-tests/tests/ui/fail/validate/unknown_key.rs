#[protoapi::message]
pub struct Request {
    #[validate(min_length = 3)]
    pub name: String,
}

fn main() {}
