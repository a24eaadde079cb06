//! `form` and `response_body` on the routes of a method, and with the other keys.
use protoapi::{File, Status};

#[protoapi::message]
pub struct Item {
    pub id: u64,
    pub r#type: String,
}

#[protoapi::message]
pub struct Items {
    pub items: Vec<Item>,
    pub r#type: String,
}

#[protoapi::message]
#[form]
pub struct Upload {
    pub id: u64,
    pub title: String,
    #[file]
    pub file: File,
}

#[protoapi::service(package = "demo", envelope)]
pub trait Demo {
    #[protoapi(put = "/items/:id", post = "/items", get = "/items/:id/get", form = "data", status = 201)]
    async fn put(&self, item: Item) -> Result<Items, Status>;
    #[protoapi(get = "/items", response_body = "items", websocket)]
    async fn list(&self, item: Item) -> Result<Items, Status>;
    #[protoapi(get = "/kind", response_body = "r#type")]
    async fn kind(&self, item: Item) -> Result<Items, Status>;
    #[protoapi(path = "/upload", form = "meta", response_body = "type", limit = "1GiB")]
    async fn upload(&self, upload: Upload) -> Result<Item, Status>;
}

fn main() {
    let descriptor = DemoServer::<()>::descriptor();
    let shapes: Vec<_> = descriptor
        .methods
        .iter()
        .map(|m| (m.form, m.response_body))
        .collect();
    assert_eq!(
        shapes,
        [
            (Some("data"), None),
            (None, Some("items")),
            (None, Some("type")),
            (Some("meta"), Some("type")),
        ]
    );
}
