#[protoapi::message]
pub struct Request {
    #[validate(min_len = 1)]
    pub age: u32,
    #[validate(max_len = 3)]
    pub tags: Vec<i64>,
    #[validate(min_items = 1)]
    pub name: String,
    #[validate(pattern = "^a")]
    pub count: Option<i32>,
}

fn main() {}
