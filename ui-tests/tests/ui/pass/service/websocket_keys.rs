//! `websocket` is the key; `wbsk` (the Go protoapi's) and `socket` (the older one) are aliases.
use protoapi::Status;

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "one", websocket = "/one/ws")]
pub trait One {
    #[protoapi(get = "/one/:n", websocket)]
    async fn get(&self, num: Num) -> Result<Num, Status>;
    #[protoapi(wbsk = "/one/put/ws")]
    async fn put(&self, num: Num) -> Result<Num, Status>;
}

#[protoapi::service(package = "two", socket = "/two/ws")]
pub trait Two {
    async fn get(&self, num: Num) -> Result<Num, Status>;
}

struct Impl;

impl One for Impl {
    async fn get(&self, num: Num) -> Result<Num, Status> {
        Ok(num)
    }
    async fn put(&self, num: Num) -> Result<Num, Status> {
        Ok(num)
    }
}

impl Two for Impl {
    async fn get(&self, num: Num) -> Result<Num, Status> {
        Ok(num)
    }
}

fn main() {
    let one = OneServer::<Impl>::descriptor();
    assert_eq!(one.socket, Some("/one/ws"));
    assert_eq!(one.methods[0].websocket.as_deref(), Some("/one/{n}"));
    assert_eq!(one.methods[0].websocket_shape, Some("/one/{}"));
    assert_eq!(one.methods[0].http[0].shape, Some("/one/{}"));
    assert_eq!(one.methods[1].websocket.as_deref(), Some("/one/put/ws"));
    assert_eq!(TwoServer::<Impl>::descriptor().socket, Some("/two/ws"));
    let _ = protoapi::Server::builder()
        .add(OneServer::new(Impl))
        .add(TwoServer::new(Impl))
        .into_router();
}
