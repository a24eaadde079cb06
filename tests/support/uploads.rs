//! Uploads. `Uploads` tells what it received: one file, several files, and text fields next to
//! them, up to 8 MiB, in a multipart body, over its WebSockets (`/upload/ws` its own, `/files/ws`
//! the service's) or over gRPC, with a checksum of each file's content. `LargeUploads` takes up
//! to 1 GiB and never reads the file, so that what a test measures of the server's memory is the
//! server's own.

use protoapi::{File, Status};

#[protoapi::message]
#[form]
pub struct UploadReq {
    #[file]
    pub test_file: File,
    #[file]
    pub more: Vec<File>,
    pub note: String,
    #[validate(max = 10)]
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
    /// Each file's [`checksum`], to compare its content byte for byte.
    pub checksums: Vec<u64>,
}

/// The 64-bit FNV-1a hash of `bytes`.
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[protoapi::service(package = "files", websocket = "/files/ws")]
pub trait Uploads {
    #[protoapi(path = "/upload", limit = "8MiB", websocket = "/upload/ws")]
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
            let bytes = file
                .bytes()
                .await
                .map_err(|e| Status::internal(e.to_string()))?;
            rsp.checksums.push(checksum(&bytes));
        }
        Ok(rsp)
    }
}
#[protoapi::message]
#[form]
pub struct LargeUploadReq {
    #[file]
    pub test_file: File,
}

#[protoapi::message]
pub struct LargeUploadRsp {
    pub size: u64,
    pub spooled: bool,
}

#[protoapi::service(package = "big")]
pub trait LargeUploads {
    #[protoapi(path = "/upload", limit = "1GiB")]
    async fn upload(&self, req: LargeUploadReq) -> Result<LargeUploadRsp, Status>;
}

pub struct LargeUploadsImpl;

impl LargeUploads for LargeUploadsImpl {
    async fn upload(&self, req: LargeUploadReq) -> Result<LargeUploadRsp, Status> {
        Ok(LargeUploadRsp {
            size: req.test_file.size(),
            spooled: req.test_file.is_spooled(),
        })
    }
}
