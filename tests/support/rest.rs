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

pub mod clash {
    use super::Item;
    use protoapi::Status;

    #[protoapi::message]
    pub struct Keyed {
        pub key: String,
    }

    #[protoapi::service(package = "other")]
    pub trait Clash {
        #[protoapi(get = "/items/:key")]
        async fn get(&self, req: Keyed) -> Result<Item, Status>;
    }

    pub struct ClashImpl;

    impl Clash for ClashImpl {
        async fn get(&self, _req: Keyed) -> Result<Item, Status> {
            Ok(Item::default())
        }
    }
}

/// Uploads: one file, several files, and text fields next to them.
pub mod uploads {
    use protoapi::{File, Status};

    #[protoapi::message]
    #[form]
    pub struct UploadReq {
        #[file]
        pub test_file: File,
        #[file]
        pub more: Vec<File>,
        pub note: String,
        pub count: u32,
    }

    /// What the server received.
    #[protoapi::message]
    pub struct UploadRsp {
        pub names: Vec<String>,
        pub safe_names: Vec<String>,
        pub types: Vec<String>,
        pub sizes: Vec<u64>,
        pub spooled: Vec<bool>,
        pub first_bytes: Vec<u8>,
        pub note: String,
        pub count: u32,
    }

    #[protoapi::service(package = "files")]
    pub trait Uploads {
        #[protoapi(path = "/upload", limit = "8MiB")]
        async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status>;
    }

    pub struct UploadsImpl;

    impl Uploads for UploadsImpl {
        async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status> {
            let mut rsp = UploadRsp {
                note: req.note,
                count: req.count,
                ..UploadRsp::default()
            };
            let first = req
                .test_file
                .bytes()
                .await
                .map_err(|e| Status::internal(e.to_string()))?;
            rsp.first_bytes = first[..first.len().min(16)].to_vec();
            for file in std::iter::once(&req.test_file).chain(&req.more) {
                rsp.names.push(file.name().to_owned());
                rsp.safe_names.push(file.safe_name());
                rsp.types.push(file.content_type().to_owned());
                rsp.sizes.push(file.size());
                rsp.spooled.push(file.is_spooled());
            }
            Ok(rsp)
        }
    }
}

/// Downloads from a directory, from memory and from a stream.
pub mod files {
    use std::path::PathBuf;

    use protoapi::{Download, Status};

    #[protoapi::message]
    pub struct FileReq {
        pub name: String,
    }

    #[protoapi::service(package = "files.v1")]
    pub trait Files {
        #[protoapi(get = "/files/:name")]
        async fn fetch(&self, req: FileReq) -> Result<Download, Status>;
        #[protoapi(get = "/memory/:name")]
        async fn memory(&self, req: FileReq) -> Result<Download, Status>;
        #[protoapi(get = "/stream")]
        async fn stream(&self, req: FileReq) -> Result<Download, Status>;
    }

    pub struct FilesImpl {
        pub dir: PathBuf,
    }

    impl Files for FilesImpl {
        async fn fetch(&self, req: FileReq) -> Result<Download, Status> {
            let path = self.dir.join(protoapi::safe_file_name(&req.name));
            match Download::from_path(&path).await {
                Ok(download) => Ok(download.with_content_type("text/plain; charset=utf-8")),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    Err(Status::not_found(format!("no file {}", req.name)))
                }
                Err(error) => Err(Status::internal(error.to_string())),
            }
        }

        async fn memory(&self, req: FileReq) -> Result<Download, Status> {
            Ok(Download::from_bytes(
                req.name,
                "application/octet-stream",
                &b"0123456789"[..],
            ))
        }

        async fn stream(&self, _req: FileReq) -> Result<Download, Status> {
            let pieces =
                ["one ", "two ", "three"].map(|s| Ok::<_, std::io::Error>(bytes::Bytes::from(s)));
            Ok(Download::from_stream(
                "words.txt",
                "text/plain",
                futures_util::stream::iter(pieces),
            ))
        }
    }
}
