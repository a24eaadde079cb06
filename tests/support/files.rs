//! Downloads from a directory, from memory and from a stream.

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
