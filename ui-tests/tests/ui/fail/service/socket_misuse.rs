use protoapi::Status;

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "one", socket = "/ws/:room")]
pub trait One {
    async fn get(&self, num: Num) -> Result<Num, Status>;
}

#[protoapi::service(package = "two", http = false, socket = "/ws")]
pub trait Two {
    #[protoapi(wbsk)]
    async fn get(&self, num: Num) -> Result<Num, Status>;
}

fn main() {}
