//! The greeter's service: its messages, the `Greeter` trait and `MyGreeter`, which stores
//! uploads in a directory. The example serves it (`examples/greeter.rs`); the integration tests
//! include this file to test it in-process (`tests/integration/greeter.rs`).

use std::path::PathBuf;

use protoapi::{Download, File, Status};

/// Whom to greet.
#[protoapi::message]
pub struct HelloRequest {
    /// The name to greet; must not be empty.
    pub name: String,
}

/// The greeting.
#[protoapi::message]
pub struct HelloReply {
    /// `hello {name}`.
    pub message: String,
}

/// An upload: a multipart form whose file part is called `test_file`.
#[protoapi::message]
#[form]
pub struct UploadReq {
    /// The uploaded file.
    #[file]
    pub test_file: File,
}

/// What became of an upload.
#[protoapi::message]
pub struct UploadRsp {
    /// `received {file name} ({size} bytes)`.
    pub status: String,
}

/// Which stored file to send back.
#[protoapi::message]
pub struct DownloadReq {
    /// The file name, as the upload answer gave it.
    pub name: String,
}

/// Greets people, and keeps their files.
#[protoapi::service(package = "hello", socketio, graphql)]
pub trait Greeter {
    /// Answers `hello {name}`; an empty name is `invalid_argument`.
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;

    /// Stores an uploaded file under its sanitized name.
    #[protoapi(path = "/demo/upload", wbsk, limit = "1GiB")]
    async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status>;

    /// Sends a stored file back.
    #[protoapi(get = "/demo/download/:name")]
    async fn download(&self, req: DownloadReq) -> Result<Download, Status>;
}

pub struct MyGreeter {
    /// Where uploads are stored.
    pub dir: PathBuf,
}

impl Greeter for MyGreeter {
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status> {
        if req.name.is_empty() {
            return Err(Status::invalid_argument("name must not be empty"));
        }
        Ok(HelloReply {
            message: format!("hello {}", req.name),
        })
    }

    async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status> {
        let file = req.test_file;
        if file.name().is_empty() && file.size() == 0 {
            return Err(Status::invalid_argument("no file in `test_file`"));
        }
        let name = file.safe_name();
        let size = file.size();
        file.persist(self.dir.join(&name)).await.map_err(|error| {
            tracing::error!(%error, "failed to store an upload");
            Status::internal("failed to store the file")
        })?;
        Ok(UploadRsp {
            status: format!("received {name} ({size} bytes)"),
        })
    }

    async fn download(&self, req: DownloadReq) -> Result<Download, Status> {
        let path = self.dir.join(protoapi::safe_file_name(&req.name));
        match Download::from_path(&path).await {
            Ok(download) => Ok(download),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(Status::not_found(format!("no file named {}", req.name)))
            }
            Err(error) => {
                tracing::error!(%error, "failed to open a stored file");
                Err(Status::internal("failed to open the file"))
            }
        }
    }
}
