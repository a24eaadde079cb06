#[protoapi::message]
pub struct Request {
    #[validate(min_len = 1)]
    #[validate(min_len = 2)]
    pub name: String,
}

fn main() {}
