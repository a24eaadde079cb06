#[protoapi::message]
pub struct Request<T> {
    pub value: T,
}

fn main() {}
