#[protoapi::message]
pub enum Kind {
    Zero,
    One(String),
}

fn main() {}
