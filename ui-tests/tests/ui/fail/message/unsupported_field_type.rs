#[protoapi::message]
pub struct Request {
    pub count: usize,
    pub pair: (i32, i32),
    pub nested: Option<Vec<String>>,
    pub map: std::collections::HashMap<f64, String>,
}

fn main() {}
