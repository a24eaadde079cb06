#[protoapi::message]
#[form]
pub struct Upload {
    #[file]
    pub data: Vec<u8>,
    #[file]
    pub name: String,
}

fn main() {}
