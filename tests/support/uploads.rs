//! Uploads. `Uploads` tells what it received: one file, several files, and text fields next to
//! them, up to 8 MiB, with a digest of each file's content. `LargeUploads` takes up to 1 GiB and never reads the file, so that what a
//! test measures of the server's memory is the server's own.

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
    /// FNV-1a (64 bits) of each file's content: see [`fnv1a`].
    pub digests: Vec<u64>,
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
            rsp.digests.push(digest(file).await?);
        }
        Ok(rsp)
    }
}

/// FNV-1a (64 bits) of `bytes`, continuing from `hash` (start with [`FNV_START`]).
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The digest of a file's content, read as a stream.
async fn digest(file: &File) -> Result<u64, Status> {
    use tokio::io::AsyncReadExt as _;
    let mut reader = file
        .reader()
        .await
        .map_err(|e| Status::internal(e.to_string()))?;
    let mut buf = vec![0u8; 64 << 10];
    let mut hash = FNV_START;
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        if n == 0 {
            return Ok(hash);
        }
        hash = fnv1a(hash, &buf[..n]);
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
