use protoapi::Status;

#[protoapi::message]
pub struct Student {
    pub sno: u64,
    pub id: u64,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    #[protoapi(get = "/students/:sno")]
    async fn get(&self, req: Student) -> Result<Student, Status>;
    #[protoapi(get = "/students/:sno")]
    async fn fetch(&self, req: Student) -> Result<Student, Status>;
    #[protoapi(put = "/students/:id")]
    async fn put(&self, req: Student) -> Result<Student, Status>;
    #[protoapi(get = "/a", get = "/b")]
    async fn twice(&self, req: Student) -> Result<Student, Status>;
}

fn main() {}
