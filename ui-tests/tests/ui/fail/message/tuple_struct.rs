#[protoapi::message]
pub struct Request(String);

fn main() {}
