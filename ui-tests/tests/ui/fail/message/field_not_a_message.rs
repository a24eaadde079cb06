pub struct NotAMessage;

#[protoapi::message]
pub struct Request {
    pub inner: Option<NotAMessage>,
}

fn main() {}
