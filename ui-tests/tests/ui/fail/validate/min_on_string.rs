#[protoapi::message]
pub struct Request {
    #[validate(min = 1)]
    pub name: String,
    #[validate(max = 3)]
    pub child: Option<Child>,
}

#[protoapi::message]
pub struct Child {
    pub flag: bool,
}

fn main() {}
