#[protoapi::message]
pub struct Request {
    #[validate(min, max_len)]
    pub name: String,
    #[validate(pattern, custom)]
    pub other: String,
    #[validate]
    pub third: String,
}

fn main() {}
