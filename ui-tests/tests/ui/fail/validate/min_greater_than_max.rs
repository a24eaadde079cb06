#[protoapi::message]
pub struct Request {
    #[validate(min = 10, max = 5)]
    pub age: u32,
    #[validate(min_len = 3)]
    #[validate(max_len = 2)]
    pub name: String,
    #[validate(min_items = 4, max_items = 1)]
    pub tags: Vec<String>,
    #[validate(min = 0.5, max = -0.5)]
    pub score: f32,
}

fn main() {}
