//! Three fields whose types are no messages: one error each, at each field.
pub struct NotAMessage;
pub struct Other;

#[protoapi::message]
pub struct Child {
    pub n: i32,
}

#[protoapi::message]
pub struct Request {
    pub child: Child,
    pub first: Vec<NotAMessage>,
    pub second: std::collections::HashMap<String, Other>,
    pub again: Option<NotAMessage>,
}

fn main() {}
