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
}

impl Download {
    /// The download as `FileChunk` messages.
    pub(crate) fn into_chunks(self) -> impl Stream<Item = io::Result<FileChunk>> + Send {
        let mut first = Some(FileChunk {
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            size: self.size().unwrap_or(0),
            data: Bytes::new(),
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

// ---- HTTP ----

/// The request headers a download answers to.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct Conditions {
    range: Option<http::HeaderValue>,
    if_range: Option<http::HeaderValue>,
    if_none_match: Option<http::HeaderValue>,
    if_modified_since: Option<http::HeaderValue>,
}

impl Conditions {
    pub(crate) fn from_headers(headers: &http::HeaderMap) -> Self {
        use http::header;
        Conditions {
            range: headers.get(header::RANGE).cloned(),
            if_range: headers.get(header::IF_RANGE).cloned(),
            if_none_match: headers.get(header::IF_NONE_MATCH).cloned(),
            if_modified_since: headers.get(header::IF_MODIFIED_SINCE).cloned(),
        }
    }
}

impl Download {
    /// The HTTP response: the whole content, a range (206), not modified (304) or an
    /// unsatisfiable range (416).
    pub(crate) async fn into_response(
        self,
        conditions: Conditions,
        status: http::StatusCode,
    ) -> axum::response::Response {
        use axum::body::Body;
        use http::{HeaderValue, StatusCode, header};

        let mut headers = http::HeaderMap::new();
        let content_type = HeaderValue::from_str(&self.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let content_type = if self.content_type.is_empty() {
            HeaderValue::from_static("application/octet-stream")
        } else {
            content_type
        };
        headers.insert(header::CONTENT_TYPE, content_type);
        if let Ok(value) = HeaderValue::from_str(&content_disposition(&self.name)) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }

        let validators = self
            .file_info()
            .map(|(size, modified)| (etag(size, modified), modified));
        if let Some((etag, modified)) = &validators {
            if let Ok(value) = HeaderValue::from_str(etag) {
                headers.insert(header::ETAG, value);
            }
            if let Some(modified) = modified
                && let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(*modified))
            {
                headers.insert(header::LAST_MODIFIED, value);
            }
            if not_modified(&conditions, etag, *modified) {
                return respond(StatusCode::NOT_MODIFIED, headers, Body::empty());
            }
        }

        let rangeable = matches!(self.source, Source::File { .. } | Source::Bytes(_));
        let size = self.size();
        if rangeable {
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        if let (true, Some(size), Some(range)) = (rangeable, size, conditions.range.as_ref()) {
            let if_range_holds = match &conditions.if_range {
                None => true,
                Some(value) => if_range_matches(value, validators.as_ref()),
            };
            if if_range_holds {
                match parse_range(range.as_bytes(), size) {
                    RangeRequest::Satisfiable(start, end) => {
                        let len = end - start + 1;
                        if let Ok(value) =
                            HeaderValue::from_str(&format!("bytes {start}-{end}/{size}"))
                        {
                            headers.insert(header::CONTENT_RANGE, value);
                        }
                        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
                        return match self.into_range_stream(start, len).await {
                            Ok(stream) => respond(
                                StatusCode::PARTIAL_CONTENT,
                                headers,
                                Body::from_stream(stream),
                            ),
                            Err(error) => read_failed(error),
                        };
                    }
                    RangeRequest::Unsatisfiable => {
                        if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                            headers.insert(header::CONTENT_RANGE, value);
                        }
                        headers.remove(header::CONTENT_TYPE);
                        let mut response = crate::status::error_response(
                            StatusCode::RANGE_NOT_SATISFIABLE,
                            tonic::Code::OutOfRange,
                            &format!("the range is outside the file's {size} bytes"),
                        );
                        response.headers_mut().extend(headers);
                        return response;
                    }
                    RangeRequest::Ignored => {}
                }
            }
        }
        if let Some(size) = size {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
        respond(status, headers, Body::from_stream(self.into_stream()))
    }
}

fn respond(
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: axum::body::Body,
) -> axum::response::Response {
    let mut response = axum::response::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn read_failed(error: io::Error) -> axum::response::Response {
    tracing::error!(%error, "failed to read a download");
    crate::status::error_response(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        tonic::Code::Internal,
        "failed to read the file",
    )
}

/// A strong validator from the size and the modification time.
fn etag(size: u64, modified: Option<SystemTime>) -> String {
    let since = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!(
        "\"{size:x}-{:x}-{:x}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// `If-None-Match` (any listed tag, weakly compared, or `*`), else `If-Modified-Since`.
fn not_modified(conditions: &Conditions, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(value) = &conditions.if_none_match {
        let Ok(value) = value.to_str() else {
            return false;
        };
        let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
        return value.trim() == "*" || value.split(',').any(|tag| opaque(tag) == opaque(etag));
    }
    match (&conditions.if_modified_since, modified) {
        (Some(value), Some(modified)) => value
            .to_str()
            .ok()
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| truncate_to_seconds(modified) <= since),
        _ => false,
    }
}

fn truncate_to_seconds(time: SystemTime) -> SystemTime {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(since.as_secs()),
        Err(_) => time,
    }
}

/// `If-Range`: an entity tag must match strongly, a date must equal `Last-Modified`.
fn if_range_matches(
    value: &http::HeaderValue,
    validators: Option<&(String, Option<SystemTime>)>,
) -> bool {
    let (Ok(value), Some((etag, modified))) = (value.to_str(), validators) else {
        return false;
    };
    let value = value.trim();
    if value.starts_with('"') {
        return value == etag;
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), modified) {
        (Ok(date), Some(modified)) => truncate_to_seconds(*modified) == date,
        _ => false,
    }
}

/// What a `Range` header asks of a resource of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// The inclusive byte range to send.
    Satisfiable(u64, u64),
    /// No byte of it exists: 416.
    Unsatisfiable,
    /// Not a single byte range this server honours (several ranges, another unit, bad syntax):
    /// the whole content is sent, as RFC 9110 allows.
    Ignored,
}

/// Parses `bytes=0-99`, `bytes=100-` or `bytes=-100`.
pub(crate) fn parse_range(header: &[u8], size: u64) -> RangeRequest {
    let Ok(text) = std::str::from_utf8(header) else {
        return RangeRequest::Ignored;
    };
    let Some(spec) = text.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignored;
    };
    if spec.contains(',') {
        return RangeRequest::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignored;
    };
    let number = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(n) if size == 0 => {
                let _ = n;
                RangeRequest::Unsatisfiable
            }
            Some(n) => RangeRequest::Satisfiable(size.saturating_sub(n), size - 1),
            None => RangeRequest::Ignored,
        },
        // bytes=N-: from N to the end.
        (false, true) => match number(first) {
            Some(start) if start < size => RangeRequest::Satisfiable(start, size - 1),
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Ignored,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start > end => RangeRequest::Ignored,
            (Some(start), Some(_)) if start >= size => RangeRequest::Unsatisfiable,
            (Some(start), Some(end)) => RangeRequest::Satisfiable(start, end.min(size - 1)),
            _ => RangeRequest::Ignored,
        },
        (true, true) => RangeRequest::Ignored,
    }
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266),
/// from the name reduced to one safe path component: no path, no control characters, no quote
/// or backslash in the fallback, so no header injection.
pub(crate) fn content_disposition(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 8187 attr-char, less what must be encoded.
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let name = crate::file::sanitize_file_name(name);
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(&name, ATTR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Registers the messages of a download's answer and returns the streamed message's name.
pub fn register_download(registry: &mut crate::schema::Registry) -> &'static str {
    crate::message::register_message::<FileChunk>(registry)
}

#[cfg(test)]
mod tests {
    use super::{RangeRequest, content_disposition, parse_range};

    #[test]
    fn ranges() {
        use RangeRequest::*;
        let cases: &[(&str, RangeRequest)] = &[
            ("bytes=0-99", Satisfiable(0, 99)),
            ("bytes=100-", Satisfiable(100, 999)),
            ("bytes=-100", Satisfiable(900, 999)),
            ("bytes=-5000", Satisfiable(0, 999)),
            ("bytes=990-2000", Satisfiable(990, 999)),
            ("bytes=1000-", Unsatisfiable),
            ("bytes=1000-1001", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=5-1", Ignored),
            ("bytes=0-1,5-6", Ignored),
            ("items=0-1", Ignored),
            ("bytes=a-b", Ignored),
            ("bytes=-", Ignored),
            ("bytes=+1-2", Ignored),
        ];
        for (header, expected) in cases {
            assert_eq!(&parse_range(header.as_bytes(), 1000), expected, "{header}");
        }
        assert_eq!(parse_range(b"bytes=0-", 0), Unsatisfiable);
    }

    #[test]
    fn dispositions_cannot_inject_headers() {
        assert_eq!(
            content_disposition("星际穿越.txt"),
            "attachment; filename=\"____.txt\"; filename*=UTF-8''%E6%98%9F%E9%99%85%E7%A9%BF%E8%B6%8A.txt"
        );
        assert_eq!(
            content_disposition("a\"b\r\nSet-Cookie: x=1.txt"),
            "attachment; filename=\"a_b__Set-Cookie_ x=1.txt\"; filename*=UTF-8''a_b__Set-Cookie_%20x%3D1.txt"
        );
        assert_eq!(
            content_disposition("../../etc/passwd"),
            "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"
        );
    }
}
