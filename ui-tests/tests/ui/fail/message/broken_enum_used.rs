//! One mistake in an enum: the message that uses it adds no errors.
#[protoapi::message]
pub enum Level {
    Low = 1,
    High = 2,
}

#[protoapi::message]
pub struct Request {
    pub level: Level,
    pub levels: Vec<Level>,
}

fn main() {}
