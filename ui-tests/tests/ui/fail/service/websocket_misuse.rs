use protoapi::Status;

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "one", websocket = "/ws/:room")]
pub trait One {
    async fn get(&self, num: Num) -> Result<Num, Status>;
}

#[protoapi::service(package = "two", http = false, websocket = "/ws")]
pub trait Two {
    #[protoapi(websocket)]
    async fn get(&self, num: Num) -> Result<Num, Status>;
}

fn main() {}
