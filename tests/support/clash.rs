//! A service whose routes are other services' routes: beside `Lab` it claims `Lab`'s
//! `/custom/greet`, beside `Items` it has `Items`' `/items/:id` with another parameter name.

use protoapi::Status;

use super::lab::Child;
use super::rest::Item;

#[protoapi::message]
pub struct Keyed {
    pub key: String,
}

#[protoapi::service(package = "other")]
pub trait Clash {
    #[protoapi(path = "/custom/greet")]
    async fn greet(&self, req: Child) -> Result<Child, Status>;
    #[protoapi(get = "/items/:key")]
    async fn get(&self, req: Keyed) -> Result<Item, Status>;
}

pub struct ClashImpl;

impl Clash for ClashImpl {
    async fn greet(&self, req: Child) -> Result<Child, Status> {
        Ok(req)
    }

    async fn get(&self, _req: Keyed) -> Result<Item, Status> {
        Ok(Item::default())
    }
}
