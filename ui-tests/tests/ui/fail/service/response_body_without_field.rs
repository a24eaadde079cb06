use protoapi::Status;

#[protoapi::message]
pub struct Task {
    pub id: u32,
}

#[protoapi::message]
pub struct TaskList {
    pub tasks: Vec<Task>,
    pub total: u32,
}

#[protoapi::service(package = "demo")]
pub trait Demo {
    #[protoapi(get = "/tasks", response_body = "taks")]
    async fn list(&self, req: Task) -> Result<TaskList, Status>;
}

fn main() {}
