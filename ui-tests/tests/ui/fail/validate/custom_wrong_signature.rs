#[protoapi::message]
pub struct Request {
    #[validate(custom = "check_age")]
    pub age: u32,
    #[validate(custom = "no_such_function")]
    pub name: String,
}

fn check_age(age: &i64) -> Result<(), String> {
    let _ = age;
    Ok(())
}

fn main() {}
