#[protoapi::message]
pub struct Request {
    #[validate(required)]
    pub name: String,
    #[validate(required)]
    pub tags: Vec<String>,
    #[validate(required = true)]
    pub nick: Option<String>,
}

fn main() {}
