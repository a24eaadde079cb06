#[protoapi::message]
pub struct Request {
    #[validate(pattern = "^(abc")]
    pub name: String,
    #[validate(pattern = "[z-a]")]
    pub other: String,
}

fn main() {}
