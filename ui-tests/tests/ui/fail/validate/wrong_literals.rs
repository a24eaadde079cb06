//! Eight wrong literals in `#[validate]`: one error each, at each literal.
#[protoapi::message]
pub struct Request {
    #[validate(max = 1.5)]
    pub count: i32,
    #[validate(min = -1)]
    pub unsigned: u64,
    #[validate(max = 3000000000)]
    pub small: i32,
    #[validate(min_len = -1, max_items = 2.0)]
    pub name: String,
    #[validate(pattern = 5, custom = check)]
    pub other: String,
    #[validate(max = 5u8)]
    pub suffixed: u32,
}

fn main() {}
