#[protoapi::message]
pub struct Upload {
    #[file]
    pub data: protoapi::File,
}

fn main() {}
