//! [`Download`]: a file sent back to the client, streamed.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _, TryStreamExt as _};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;

/// The size of the pieces a download is read and sent in.
pub(crate) const CHUNK_SIZE: usize = 64 << 10;

/// A stream of content pieces.
pub(crate) type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A file that a method returns: `Result<Download, Status>`.
///
/// Over HTTP it streams with `Content-Type`, `Content-Disposition` (the name, RFC 6266) and
/// `Content-Length` when the size is known; a download from a file path also answers `Range`,
/// `If-Range`, `If-None-Match` / `ETag` and `If-Modified-Since` / `Last-Modified`. Over gRPC the
/// method is a server-streaming rpc of `protoapi.FileChunk` messages; the first carries the name,
/// the content type and the size.
///
/// ```
/// let download = protoapi::Download::from_bytes("hello.txt", "text/plain", "hello");
/// assert_eq!(download.name(), "hello.txt");
/// assert_eq!(download.size(), Some(5));
/// ```
pub struct Download {
    name: String,
    content_type: String,
    source: Source,
}

enum Source {
    Bytes(Bytes),
    File {
        file: tokio::fs::File,
        size: u64,
        modified: Option<SystemTime>,
    },
    Stream {
        stream: ByteStream,
        size: Option<u64>,
    },
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Bytes(_) => "bytes",
            Source::File { .. } => "file",
            Source::Stream { .. } => "stream",
        };
        f.debug_struct("Download")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("size", &self.size())
            .field("source", &source)
            .finish()
    }
}

impl Download {
    /// A download of bytes in memory.
    pub fn from_bytes(
        name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        Download {
            name: name.into(),
            content_type: content_type.into(),
            source: Source::Bytes(data.into()),
        }
    }

    /// A download of a file on disk, named after it, as `application/octet-stream` (see
    /// [`Download::with_content_type`]). Fails when the file cannot be opened (a missing file is
    /// `io::ErrorKind::NotFound`) or is not a regular file.
    pub async fn from_path(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_owned();
        let file = tokio::fs::File::open(&path).await?;
        let metadata = file.metadata().await?;
        if !metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "not a regular file",
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Download {
            name,
            content_type: "application/octet-stream".to_owned(),
            source: Source::File {
                modified: metadata.modified().ok(),
                size: metadata.len(),
                file,
            },
        })
    }

    /// A download read from `reader` until its end.
    pub fn from_reader(
        name: impl Into<String>,
        content_type: impl Into<String>,
        reader: impl AsyncRead + Send + 'static,
    ) -> Self {
        let stream = ReaderStream::with_capacity(reader, CHUNK_SIZE);
        Download {
            name: name.into(),
            content_type: content_type.into(),
            source: Source::Stream {
                stream: Box::pin(stream),
                size: None,
            },
        }
    }

    /// A download of the pieces of `stream`.
    pub fn from_stream<S, E>(
        name: impl Into<String>,
        content_type: impl Into<String>,
        stream: S,
    ) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let stream = stream.map_err(io::Error::other);
        Download {
            name: name.into(),
            content_type: content_type.into(),
            source: Source::Stream {
                stream: Box::pin(stream),
                size: None,
            },
        }
    }

    /// Sets the name the client sees.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// Declares the size of a reader or stream download, sent as `Content-Length`. The stream
    /// must then yield exactly that many bytes.
    pub fn with_size(mut self, size: u64) -> Self {
        if let Source::Stream { size: declared, .. } = &mut self.source {
            *declared = Some(size);
        }
        self
    }

    /// The name the client sees.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The size in bytes, when known.
    pub fn size(&self) -> Option<u64> {
        match &self.source {
            Source::Bytes(bytes) => Some(bytes.len() as u64),
            Source::File { size, .. } => Some(*size),
            Source::Stream { size, .. } => *size,
        }
    }

    /// Whether a range of the content can be sent: a file or bytes in memory, not a stream.
    pub(crate) fn rangeable(&self) -> bool {
        matches!(self.source, Source::File { .. } | Source::Bytes(_))
    }

    /// The file's size and modification time, for a download from a path.
    pub(crate) fn file_info(&self) -> Option<(u64, Option<SystemTime>)> {
        match &self.source {
            Source::File { size, modified, .. } => Some((*size, *modified)),
            _ => None,
        }
    }

    /// The whole content as a stream of pieces.
    pub(crate) fn into_stream(self) -> ByteStream {
        match self.source {
            Source::Bytes(bytes) => Box::pin(futures_util::stream::iter(chunks(bytes).map(Ok))),
            Source::File { file, .. } => Box::pin(ReaderStream::with_capacity(file, CHUNK_SIZE)),
            Source::Stream { stream, .. } => stream,
        }
    }

    /// The bytes `start..start + len` of a file download as a stream.
    pub(crate) async fn into_range_stream(self, start: u64, len: u64) -> io::Result<ByteStream> {
        match self.source {
            Source::File { mut file, .. } => {
                file.seek(io::SeekFrom::Start(start)).await?;
                Ok(Box::pin(ReaderStream::with_capacity(
                    file.take(len),
                    CHUNK_SIZE,
                )))
            }
            Source::Bytes(bytes) => {
                let start = usize::try_from(start)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = start
                    .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
                    .min(bytes.len());
                Ok(Box::pin(futures_util::stream::iter(
                    chunks(bytes.slice(start..end)).map(Ok),
                )))
            }
            Source::Stream { stream, .. } => Ok(stream),
        }
    }
}

/// Splits bytes into pieces of at most [`CHUNK_SIZE`] without copying.
fn chunks(bytes: Bytes) -> impl Iterator<Item = Bytes> + Send {
    let len = bytes.len();
    (0..len.div_ceil(CHUNK_SIZE).max(1))
        .map(move |i| bytes.slice(i * CHUNK_SIZE..((i + 1) * CHUNK_SIZE).min(len)))
}

/// One piece of a download over gRPC: `protoapi.FileChunk`. The first piece carries the name,
/// the content type and the size (0 when unknown); every piece carries data.
#[protoapi_macros::message(crate = "crate", name = "protoapi.FileChunk")]
pub struct FileChunk {
    /// The file name (first piece only).
    pub name: String,
    /// The content type (first piece only).
    pub content_type: String,
    /// The size in bytes, when known (first piece only).
    pub size: u64,
    /// The next bytes of the content.
    pub data: Bytes,
    /// In an upload sent in pieces: the `#[file]` field of the request that this file fills
    /// (first piece only; empty for the request's only `#[file]` field). Empty in a download.
    pub field: String,
}

impl Download {
    /// The download as `FileChunk` messages.
    pub(crate) fn into_chunks(self) -> impl Stream<Item = io::Result<FileChunk>> + Send {
        let mut first = Some(FileChunk {
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            size: self.size().unwrap_or(0),
            data: Bytes::new(),
            field: String::new(),
        });
        self.into_stream().map(move |piece| {
            let data = piece?;
            Ok(match first.take() {
                Some(head) => FileChunk { data, ..head },
                None => FileChunk {
                    data,
                    ..FileChunk::default()
                },
            })
        })
    }
}

/// Registers the messages of a download's answer and returns the streamed message's name.
pub fn register_download(registry: &mut crate::schema::Registry) -> &'static str {
    crate::message::register_message::<FileChunk>(registry)
}
