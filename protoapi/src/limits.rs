//! [`Limits`]: how large a request may be.

/// Size limits that apply to every method of a server.
///
/// The default body limit is 4 MiB, the same as gRPC's default maximum message size: an HTTP
/// request body larger than the limit is answered with 413 and the JSON error body, and a gRPC
/// message larger than it with `resource_exhausted`.
///
/// ```
/// let limits = protoapi::Limits::default().body(16 << 20);
/// assert_eq!(limits.body_limit(), 16 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    body: usize,
    spool_threshold: usize,
}

impl Limits {
    /// The default body limit: 4 MiB.
    pub const DEFAULT_BODY: usize = 4 << 20;

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

    /// These limits with a method's own `limit = "..."`, when it sets one.
    #[doc(hidden)]
    pub fn for_method(self, method_limit: Option<u64>) -> Self {
        match method_limit {
            Some(bytes) => self.body(usize::try_from(bytes).unwrap_or(usize::MAX)),
            None => self,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body: Self::DEFAULT_BODY,
            spool_threshold: Self::DEFAULT_SPOOL_THRESHOLD,
        }
    }
}
