#[protoapi::service(package = "demo")]
pub struct Demo;

fn main() {}
