//! One wrong literal in `#[validate]`: one error, at the literal.
#[protoapi::message]
pub struct Request {
    #[validate(min = "1")]
    pub age: u32,
}

fn main() {}
