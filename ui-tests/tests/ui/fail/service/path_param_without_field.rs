use protoapi::Status;

#[protoapi::message]
pub struct Student {
    pub sno: u64,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    #[protoapi(get = "/students/:id")]
    async fn get(&self, req: Student) -> Result<Student, Status>;
}

fn main() {}
