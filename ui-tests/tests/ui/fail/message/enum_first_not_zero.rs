#[protoapi::message]
pub enum Kind {
    First = 1,
    Second = 2,
}

fn main() {}
