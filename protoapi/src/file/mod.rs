//! [`File`]: an uploaded file, kept in memory or spooled to a temporary file.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tempfile::TempPath;
use tokio::io::AsyncRead;
use tokio::task::JoinHandle;

use crate::budget::{Charge, Exhausted, MemoryBudget};

mod message;

/// A file: from a multipart upload (the part of a `#[file]` field), or from a gRPC or JSON
/// client as the message `protoapi.File { name, content_type, data }`.
///
/// An upload is kept in memory up to a threshold (1 MiB by default, see
/// [`crate::Limits::spool_threshold`]) and spooled to a temporary file past it; the temporary file
/// is removed when the last clone of the `File` is dropped, unless [`File::persist`] moved it.
///
/// ```
/// # async fn demo() -> std::io::Result<()> {
/// let file = protoapi::File::from_bytes("../../etc/星际穿越.txt", "text/plain", "hello");
/// assert_eq!(file.name(), "../../etc/星际穿越.txt");
/// assert_eq!(file.safe_name(), "星际穿越.txt");
/// assert_eq!(file.size(), 5);
/// assert_eq!(file.bytes().await?, "hello");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct File {
    name: String,
    content_type: String,
    data: Data,
    /// What an upload held in memory is charged to the server's memory budget, given back when
    /// the last clone is dropped.
    _charge: Option<Arc<Charge>>,
}

#[derive(Clone)]
enum Data {
    Memory(Bytes),
    Spooled(Arc<Spooled>),
}

impl Default for Data {
    fn default() -> Self {
        Data::Memory(Bytes::new())
    }
}

/// A temporary file, removed on drop.
struct Spooled {
    path: TempPath,
    size: u64,
}

impl File {
    /// A file held in memory.
    pub fn from_bytes(
        name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        File {
            name: name.into(),
            content_type: content_type.into(),
            data: Data::Memory(data.into()),
            _charge: None,
        }
    }

    /// The file name the client sent, as it sent it. Never use it as a path: see
    /// [`File::safe_name`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name reduced to one safe path component: the last component of what the client
    /// sent, without control characters, path separators, characters that Windows forbids,
    /// leading dots or trailing dots and spaces, at most 255 bytes, never empty (`file`), never a
    /// reserved device name.
    pub fn safe_name(&self) -> String {
        sanitize_file_name(&self.name)
    }

    /// The content type the client sent (may be empty).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        match &self.data {
            Data::Memory(bytes) => bytes.len() as u64,
            Data::Spooled(spooled) => spooled.size,
        }
    }

    /// Whether the content is in a temporary file rather than in memory.
    pub fn is_spooled(&self) -> bool {
        matches!(self.data, Data::Spooled(_))
    }

    /// The whole content in memory (reads the temporary file of a spooled upload).
    pub async fn bytes(&self) -> io::Result<Bytes> {
        match &self.data {
            Data::Memory(bytes) => Ok(bytes.clone()),
            Data::Spooled(spooled) => tokio::fs::read(&spooled.path).await.map(Bytes::from),
        }
    }

    /// A reader of the content.
    pub async fn reader(&self) -> io::Result<Box<dyn AsyncRead + Send + Unpin>> {
        match &self.data {
            Data::Memory(bytes) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
            Data::Spooled(spooled) => Ok(Box::new(tokio::fs::File::open(&spooled.path).await?)),
        }
    }

    /// Stores the content at `path`: a rename when the upload was spooled (a copy when the
    /// temporary directory is on another file system, or when clones of this `File` still use
    /// the temporary file), a write otherwise.
    pub async fn persist(self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        match self.data {
            Data::Memory(bytes) => tokio::fs::write(&path, &bytes).await,
            Data::Spooled(spooled) => match Arc::try_unwrap(spooled) {
                Ok(spooled) => {
                    let temp = spooled.path;
                    tokio::task::spawn_blocking(move || match temp.persist(&path) {
                        Ok(()) => Ok(()),
                        Err(error) => {
                            // Another file system: copy, then let the temporary file go.
                            std::fs::copy(&error.path, &path).map(|_| ())
                        }
                    })
                    .await
                    .map_err(io::Error::other)?
                }
                Err(shared) => tokio::fs::copy(&shared.path, &path).await.map(|_| ()),
            },
        }
    }

    /// The content for encoding; a spooled file is read from disk.
    fn content(&self) -> io::Result<Bytes> {
        match &self.data {
            Data::Memory(bytes) => Ok(bytes.clone()),
            Data::Spooled(spooled) => std::fs::read(&spooled.path).map(Bytes::from),
        }
    }

    /// Receives an upload: kept in memory up to `threshold` bytes, spooled to a temporary file
    /// past it. Fails with the stream's error, or an I/O error of the temporary file. What it
    /// holds in memory is charged to `budget` until it is spooled or the file dropped; past the
    /// budget it fails with [`ReceiveError::Budget`].
    pub(crate) async fn receive<S, E>(
        name: String,
        content_type: String,
        mut chunks: S,
        threshold: usize,
        dir: Option<&Path>,
        budget: Option<&MemoryBudget>,
    ) -> Result<File, ReceiveError<E>>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    {
        use futures_util::StreamExt as _;
        let mut memory = BytesMut::new();
        let mut spool: Option<Spool> = None;
        let mut size: u64 = 0;
        let mut charge = budget.map(MemoryBudget::charge);
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(ReceiveError::Stream)?;
            size += chunk.len() as u64;
            if spool.is_none() && memory.len() + chunk.len() > threshold {
                let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
                let create = move || {
                    tempfile::Builder::new()
                        .prefix(".protoapi-upload-")
                        .tempfile_in(dir)
                };
                let (file, path) =
                    tokio::task::spawn_blocking(move || create().map(|f| f.into_parts()))
                        .await
                        .map_err(|e| ReceiveError::Io(io::Error::other(e)))?
                        .map_err(ReceiveError::Io)?;
                let mut new = Spool::new(file, path);
                new.push(std::mem::take(&mut memory).freeze())
                    .await
                    .map_err(ReceiveError::Io)?;
                spool = Some(new);
            }
            match &mut spool {
                Some(spool) => {
                    // What was in memory is on its way to the disk.
                    if let Some(charge) = charge.as_mut() {
                        charge.clear();
                    }
                    spool.push(chunk).await.map_err(ReceiveError::Io)?
                }
                None => {
                    if let Some(charge) = charge.as_mut() {
                        charge.grow(chunk.len()).map_err(ReceiveError::Budget)?;
                    }
                    memory.extend_from_slice(&chunk)
                }
            }
        }
        let data = match spool {
            Some(spool) => {
                let path = spool.finish().await.map_err(ReceiveError::Io)?;
                Data::Spooled(Arc::new(Spooled { path, size }))
            }
            None => Data::Memory(memory.freeze()),
        };
        let charge = match data {
            Data::Memory(_) => charge.map(Arc::new),
            Data::Spooled(_) => None,
        };
        Ok(File {
            name,
            content_type,
            data,
            _charge: charge,
        })
    }
}

/// Bytes of a spooled upload written to its temporary file by one blocking-pool task.
const SPOOL_BATCH: usize = 256 << 10;

/// An upload's temporary file being written: chunks are gathered into batches of
/// [`SPOOL_BATCH`] bytes, and each batch is written by one blocking-pool task while the next is
/// received. One task per batch rather than per chunk (a few KiB from the network) keeps the
/// blocking pool small under many concurrent uploads.
///
/// Dropped mid-upload, the temporary path is removed at once; a write in flight finishes into
/// the unlinked file and closes it.
struct Spool {
    path: TempPath,
    /// The file, or the task writing the previous batch, which hands the file back; `None` once
    /// a write failed.
    writer: Option<Writer>,
    batch: Vec<Bytes>,
    batched: usize,
}

enum Writer {
    Idle(std::fs::File),
    Busy(JoinHandle<io::Result<std::fs::File>>),
}

impl Writer {
    async fn into_file(self) -> io::Result<std::fs::File> {
        match self {
            Self::Idle(file) => Ok(file),
            Self::Busy(task) => task.await.map_err(io::Error::other)?,
        }
    }
}

impl Spool {
    fn new(file: std::fs::File, path: TempPath) -> Self {
        Self {
            path,
            writer: Some(Writer::Idle(file)),
            batch: Vec::new(),
            batched: 0,
        }
    }

    /// Adds a chunk; past [`SPOOL_BATCH`] bytes, waits for the previous write and starts one of
    /// the batch.
    async fn push(&mut self, chunk: Bytes) -> io::Result<()> {
        self.batched += chunk.len();
        self.batch.push(chunk);
        if self.batched >= SPOOL_BATCH {
            self.write().await?;
        }
        Ok(())
    }

    async fn write(&mut self) -> io::Result<()> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("spool failed"))?;
        let mut file = writer.into_file().await?;
        let batch = std::mem::take(&mut self.batch);
        self.batched = 0;
        self.writer = Some(Writer::Busy(tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            for chunk in &batch {
                file.write_all(chunk)?;
            }
            Ok(file)
        })));
        Ok(())
    }

    /// Writes what is left and waits for every write; the file is then closed.
    async fn finish(mut self) -> io::Result<TempPath> {
        if !self.batch.is_empty() {
            self.write().await?;
        }
        let writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("spool failed"))?;
        writer.into_file().await?;
        Ok(self.path)
    }
}

/// Why an upload could not be received.
#[derive(Debug)]
pub(crate) enum ReceiveError<E> {
    /// The request body failed (too large, cut short, malformed).
    Stream(E),
    /// The temporary file failed.
    Io(io::Error),
    /// The file in memory would cross the server's memory budget.
    Budget(Exhausted),
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("size", &self.size())
            .field("spooled", &self.is_spooled())
            .finish()
    }
}

impl PartialEq for File {
    /// Equal names and content types, and the same content: equal bytes in memory, or the same
    /// temporary file.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.content_type == other.content_type
            && match (&self.data, &other.data) {
                (Data::Memory(a), Data::Memory(b)) => a == b,
                (Data::Spooled(a), Data::Spooled(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

/// Reduces a file name from a client to one path component that is safe to join to a
/// directory: the last component, without control characters, characters that Windows forbids,
/// leading dots or trailing dots and spaces, at most 255 bytes, never empty (`file`), never a
/// reserved device name. [`File::safe_name`] applies it to an upload's name.
///
/// ```
/// assert_eq!(protoapi::safe_file_name("../../etc/passwd"), "passwd");
/// assert_eq!(protoapi::safe_file_name(".."), "file");
/// ```
pub fn sanitize_file_name(name: &str) -> String {
    const RESERVED: &[&str] = &[
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .trim_start();
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 255 {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        return "file".to_owned();
    }
    let stem = out.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        out.insert(0, '_');
    }
    out
}

/// A `#[file]` field: `File`, `Option<File>` or `Vec<File>`.
pub trait FileField {
    /// Stores one uploaded file.
    fn put_file(&mut self, file: File);
}

impl FileField for File {
    fn put_file(&mut self, file: File) {
        *self = file;
    }
}

impl FileField for Option<File> {
    fn put_file(&mut self, file: File) {
        *self = Some(file);
    }
}

impl FileField for Vec<File> {
    fn put_file(&mut self, file: File) {
        self.push(file);
    }
}

#[cfg(test)]
mod tests {
    use super::{File, ReceiveError, sanitize_file_name};
    use bytes::Bytes;

    /// `n` chunks of `size` bytes, each byte telling its offset.
    fn chunks(n: usize, size: usize) -> Vec<Result<Bytes, ()>> {
        (0..n)
            .map(|i| Ok((0..size).map(|j| ((i * size + j) % 251) as u8).collect()))
            .collect()
    }

    /// The bytes `chunks(n, size)` carries.
    fn content(n: usize, size: usize) -> Vec<u8> {
        (0..n * size).map(|k| (k % 251) as u8).collect()
    }

    /// Receives `chunks(n, size)` with a 64 KiB spool threshold into `dir`.
    async fn receive(n: usize, size: usize, dir: &std::path::Path) -> File {
        let stream = futures_util::stream::iter(chunks(n, size));
        File::receive(
            "a.bin".into(),
            String::new(),
            stream,
            64 << 10,
            Some(dir),
            None,
        )
        .await
        .map_err(|_| "receive failed")
        .expect("received")
    }

    fn names(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_spooled_upload_is_written_whole_and_in_order_across_batches() {
        let dir = tempfile::tempdir().expect("temp dir");
        // 700 chunks of 3,001 bytes: past a 64 KiB threshold, then eight batches and a rest.
        let file = receive(700, 3_001, dir.path()).await;
        assert!(file.is_spooled());
        assert_eq!(file.size(), 700 * 3_001);
        assert_eq!(
            file.bytes().await.expect("read").as_ref(),
            content(700, 3_001).as_slice()
        );
        assert_eq!(names(dir.path()).len(), 1);
        drop(file);
        assert_eq!(names(dir.path()), Vec::<String>::new());

        // Under the threshold: kept in memory, no file.
        let file = receive(3, 1_000, dir.path()).await;
        assert!(!file.is_spooled());
        assert_eq!(
            file.bytes().await.expect("read").as_ref(),
            content(3, 1_000).as_slice()
        );
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[tokio::test]
    async fn an_upload_that_fails_midway_leaves_no_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut items = chunks(200, 4_096);
        items.push(Err(()));
        let stream = futures_util::stream::iter(items);
        let result = File::receive(
            "c.bin".into(),
            String::new(),
            stream,
            1 << 10,
            Some(dir.path()),
            None,
        )
        .await;
        assert!(matches!(result, Err(ReceiveError::Stream(()))));
        // A batch write may still be in flight into the unlinked file; the path is gone.
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn file_names_become_one_safe_component() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\win.ini", "win.ini"),
            ("星际穿越.txt", "星际穿越.txt"),
            ("..", "file"),
            ("", "file"),
            ("   ", "file"),
            (".hidden", "hidden"),
            ("a\u{0}b\r\nc.txt", "a_b__c.txt"),
            ("what?.txt", "what_.txt"),
            ("CON.txt", "_CON.txt"),
            ("name. . ", "name"),
        ];
        for (input, expected) in cases {
            assert_eq!(sanitize_file_name(input), expected, "{input:?}");
        }
        let long = "é".repeat(200);
        assert!(sanitize_file_name(&long).len() <= 255);
    }
}
