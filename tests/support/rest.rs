//! Services that exercise the HTTP surface: verbs, paths, query and form binding.

use protoapi::{Context, Status};

#[protoapi::message]
pub enum Color {
    Unset,
    Red,
    Blue,
}

#[protoapi::message]
pub struct Filter {
    pub field: String,
    pub desc: bool,
}

/// Everything a route can bind.
#[protoapi::message]
pub struct Item {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub size: Option<i32>,
    pub color: Color,
    pub filter: Option<Filter>,
    pub rest: String,
    pub verb: String,
}

/// A form body.
#[protoapi::message]
#[form]
pub struct ItemForm {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub checked: bool,
    pub color: Color,
}

#[protoapi::service(package = "rest")]
pub trait Items {
    #[protoapi(get = "/items/:id")]
    async fn get_item(&self, ctx: Context, req: Item) -> Result<Item, Status>;
    #[protoapi(put = "/items/:id", patch = "/items/:id", status = 201)]
    async fn put_item(&self, ctx: Context, req: Item) -> Result<Item, Status>;
    #[protoapi(delete = "/items/:id")]
    async fn delete_item(&self, ctx: Context, req: Item) -> Result<Item, Status>;
    #[protoapi(post = "/items", get = "/items")]
    async fn list(&self, ctx: Context, req: Item) -> Result<Item, Status>;
    #[protoapi(get = "/files/*rest")]
    async fn file(&self, ctx: Context, req: Item) -> Result<Item, Status>;
    #[protoapi(post = "/forms/:id")]
    async fn form(&self, req: ItemForm) -> Result<ItemForm, Status>;
    #[protoapi(limit = "64B")]
    async fn small(&self, req: Item) -> Result<Item, Status>;
}

pub struct ItemsImpl;

/// The request as the method saw it, with the verb it came by.
fn seen(ctx: &Context, mut req: Item) -> Result<Item, Status> {
    req.verb = ctx.header("x-verb").unwrap_or_default().to_owned();
    Ok(req)
}

impl Items for ItemsImpl {
    async fn get_item(&self, ctx: Context, req: Item) -> Result<Item, Status> {
        seen(&ctx, req)
    }
    async fn put_item(&self, ctx: Context, req: Item) -> Result<Item, Status> {
        seen(&ctx, req)
    }
    async fn delete_item(&self, ctx: Context, req: Item) -> Result<Item, Status> {
        seen(&ctx, req)
    }
    async fn list(&self, ctx: Context, req: Item) -> Result<Item, Status> {
        seen(&ctx, req)
    }
    async fn file(&self, ctx: Context, req: Item) -> Result<Item, Status> {
        seen(&ctx, req)
    }
    async fn form(&self, req: ItemForm) -> Result<ItemForm, Status> {
        Ok(req)
    }
    async fn small(&self, req: Item) -> Result<Item, Status> {
        Ok(req)
    }
}

/// A service under a base path that answers in the Go protoapi's envelope, HTTP only.
#[protoapi::service(package = "legacy", path = "/api", envelope, grpc = false)]
pub trait Legacy {
    async fn echo(&self, req: Item) -> Result<Item, Status>;
    #[protoapi(get = "/items/:id")]
    async fn find(&self, req: Item) -> Result<Item, Status>;
}

pub struct LegacyImpl;

impl Legacy for LegacyImpl {
    async fn echo(&self, req: Item) -> Result<Item, Status> {
        Ok(req)
    }
    async fn find(&self, req: Item) -> Result<Item, Status> {
        if req.id == 0 {
            return Err(Status::not_found("no item 0"));
        }
        Ok(req)
    }
}

/// A gRPC-only service.
#[protoapi::service(package = "internal", http = false)]
pub trait Internal {
    async fn ping(&self, req: Item) -> Result<Item, Status>;
}

pub struct InternalImpl;

impl Internal for InternalImpl {
    async fn ping(&self, req: Item) -> Result<Item, Status> {
        Ok(req)
    }
}
