//! [`Limits`]: how large a request may be, and how long a method may take.

use std::time::Duration;

/// Limits that apply to every method of a server (a method's `limit = "..."` and
/// `timeout = "..."` override the body limit and the timeout for that method).
///
/// - The body limit (default 4 MiB, gRPC's default maximum message size): an HTTP request body
///   larger than it is answered with 413 and the JSON error body, a gRPC message with
///   `out_of_range` (tonic's code), a WebSocket message by closing with 1009 (or
///   `resource_exhausted` when it is within the socket's limit but over its method's).
/// - Fields (default 1,000): how many `key=value` pairs a query string or an urlencoded form,
///   and how many text parts a multipart body may carry; more are answered with 400.
/// - Parts (default 100): how many parts a multipart body may have in all; more: 413.
/// - Memory (default 256 MiB): how many bytes of requests the whole server holds in memory at
///   once while it reads and decodes them, on every transport ([`crate::MemoryBudget`]); a
///   request that would cross it is refused with `resource_exhausted` (HTTP: 503 with
///   `Retry-After`).
/// - Head (default 64 KiB): the largest request head, the request line and headers (HTTP/1.1;
///   hyper's buffer, at least 8 KiB) or the header list (HTTP/2); past it hyper answers 431
///   with an empty body, before any route.
/// - Timeout (default none): how long a method may take to answer; past it the call ends with
///   `deadline_exceeded` (HTTP 504) and the method's future is dropped. A gRPC client's
///   `grpc-timeout` shortens it.
///
/// ```
/// use std::time::Duration;
///
/// let limits = protoapi::Limits::default()
///     .body(16 << 20)
///     .fields(200)
///     .timeout(Duration::from_secs(10));
/// assert_eq!(limits.body_limit(), 16 << 20);
/// assert_eq!(limits.fields_limit(), 200);
/// assert_eq!(limits.timeout_limit(), Some(Duration::from_secs(10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    body: usize,
    upload: Option<usize>,
    memory: usize,
    head: usize,
    spool_threshold: usize,
    fields: usize,
    parts: usize,
    timeout: Option<Duration>,
}

impl Limits {
    /// The default body limit: 4 MiB.
    pub const DEFAULT_BODY: usize = 4 << 20;

    /// The default largest request head: 64 KiB.
    pub const DEFAULT_HEAD: usize = 64 << 10;

    /// The default memory budget of a server: 256 MiB.
    pub const DEFAULT_MEMORY: usize = 256 << 20;

    /// The default number of fields of a query string or form: 1,000.
    pub const DEFAULT_FIELDS: usize = 1_000;

    /// The default number of parts of a multipart body: 100.
    pub const DEFAULT_PARTS: usize = 100;

    /// Sets how many `key=value` pairs a query string or an urlencoded form, and how many text
    /// parts a multipart body, may carry.
    pub fn fields(mut self, count: usize) -> Self {
        self.fields = count;
        self
    }

    /// How many fields a query string, form or multipart body may carry.
    pub fn fields_limit(&self) -> usize {
        self.fields
    }

    /// Sets how many parts (fields and files) a multipart body may have.
    pub fn parts(mut self, count: usize) -> Self {
        self.parts = count;
        self
    }

    /// How many parts a multipart body may have.
    pub fn parts_limit(&self) -> usize {
        self.parts
    }

    /// Sets how long a method may take to answer (for a stream: to return it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long a method may take to answer, if there is a limit.
    pub fn timeout_limit(&self) -> Option<Duration> {
        self.timeout
    }

    /// The default size past which an uploaded file goes to a temporary file: 1 MiB.
    pub const DEFAULT_SPOOL_THRESHOLD: usize = 1 << 20;

    /// Sets the size past which an uploaded file is spooled to a temporary file rather than
    /// kept in memory.
    pub fn spool_threshold(mut self, bytes: usize) -> Self {
        self.spool_threshold = bytes;
        self
    }

    /// The size past which an uploaded file is spooled to a temporary file.
    pub fn spool_threshold_bytes(&self) -> usize {
        self.spool_threshold
    }

    /// Sets the largest request body (HTTP) or message (gRPC) in bytes.
    pub fn body(mut self, bytes: usize) -> Self {
        self.body = bytes;
        self
    }

    /// The largest request body or message in bytes.
    pub fn body_limit(&self) -> usize {
        self.body
    }

    /// Sets the largest request head in bytes: the request line and headers of HTTP/1.1
    /// (hyper's buffer, which is at least 8 KiB) and the header list of HTTP/2.
    pub fn head(mut self, bytes: usize) -> Self {
        self.head = bytes;
        self
    }

    /// The largest request head in bytes.
    pub fn head_limit(&self) -> usize {
        self.head
    }

    /// Sets how many bytes of requests the server holds in memory at once, over all requests
    /// and transports.
    pub fn memory(mut self, bytes: usize) -> Self {
        self.memory = bytes;
        self
    }

    /// How many bytes of requests the server holds in memory at once.
    pub fn memory_limit(&self) -> usize {
        self.memory
    }

    /// The largest upload in bytes: a multipart body, or the files of a request sent in pieces
    /// (a gRPC stream of `protoapi.FileChunk`, a WebSocket upload). The method's `limit` of a
    /// request with `#[file]` fields, else the body limit.
    pub fn upload_limit(&self) -> usize {
        self.upload.unwrap_or(self.body)
    }

    /// These limits with a method's own `limit = "..."`, when it sets one: for a request with
    /// `#[file]` fields it is the upload limit, and a whole message (a gRPC message, a JSON
    /// body, a WebSocket message) keeps the body limit; for any other request it is the body
    /// limit.
    #[doc(hidden)]
    pub fn for_method(mut self, method_limit: Option<u64>, files: bool) -> Self {
        if let Some(bytes) = method_limit {
            let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
            match files {
                true => self.upload = Some(bytes),
                false => self.body = bytes,
            }
        }
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: Self::DEFAULT_BODY,
            upload: None,
            memory: Self::DEFAULT_MEMORY,
            head: Self::DEFAULT_HEAD,
            spool_threshold: Self::DEFAULT_SPOOL_THRESHOLD,
            fields: Self::DEFAULT_FIELDS,
            parts: Self::DEFAULT_PARTS,
            timeout: None,
        }
    }
}

/// The server's default timeout, in a request's extensions (set by `serve*`, and by the router
/// of `into_router` when [`Limits::timeout`] is set).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServerTimeout(pub(crate) Duration);

/// How long a call may take: the method's own timeout (milliseconds) or else the server's,
/// shortened by the client's deadline (gRPC's `grpc-timeout`, Connect's
/// `connect-timeout-ms`).
pub fn call_timeout(ctx: &crate::context::Context, method: Option<u64>) -> Option<Duration> {
    let own = method.map(Duration::from_millis).or_else(|| {
        ctx.extension::<ServerTimeout>()
            .map(|ServerTimeout(timeout)| *timeout)
    });
    let client = match ctx.transport() {
        crate::context::Transport::Grpc => ctx.header("grpc-timeout").and_then(grpc_timeout),
        crate::context::Transport::Connect => ctx
            .header("connect-timeout-ms")
            .and_then(|ms| ms.parse().ok())
            .map(Duration::from_millis),
        _ => None,
    };
    match (own, client) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A `grpc-timeout` value: at most eight digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
fn grpc_timeout(value: &str) -> Option<Duration> {
    let (unit, digits) = value.as_bytes().split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0'));
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Runs a method's call within its timeout: past it, the call's future is dropped and the
/// answer is `deadline_exceeded`.
pub fn within<T, F>(
    timeout: Option<Duration>,
    call: F,
) -> impl std::future::Future<Output = Result<T, crate::status::Status>>
where
    F: std::future::Future<Output = Result<T, crate::status::Status>>,
{
    use futures_util::FutureExt as _;
    use futures_util::future::Either;
    // Not an `async fn`: that would hold the call twice, as its argument and as what it awaits.
    match timeout {
        None => Either::Left(call),
        // Boxed: a timer is large, and carried by every call's future when inline.
        Some(timeout) => Either::Right(Box::pin(tokio::time::timeout(timeout, call).map(
            move |answer| {
                answer.unwrap_or_else(|_| {
                    Err(crate::status::Status::deadline_exceeded(format!(
                        "the method did not answer within {timeout:?}"
                    )))
                })
            },
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::grpc_timeout;

    #[test]
    fn grpc_timeouts() {
        assert_eq!(grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(
            grpc_timeout("99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
        assert_eq!(grpc_timeout("123456789S"), None);
        assert_eq!(grpc_timeout("S"), None);
        assert_eq!(grpc_timeout(""), None);
        assert_eq!(grpc_timeout("5s"), None);
        assert_eq!(grpc_timeout("-5S"), None);
        assert_eq!(grpc_timeout("5é"), None);
    }
}
