//! The settings of a server's WebSocket endpoints, and the fixed limits of one connection.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, header};

/// Settings of every WebSocket endpoint of a server.
///
/// The server pings a connection on which nothing arrived for `ping_interval`, and closes one on
/// which nothing (not even a pong) arrived for `idle_timeout`, or that stops reading what the
/// server sends for as long. At most `max_in_flight` calls run at once on one connection; further
/// frames wait to be read. The largest message a connection accepts is the largest limit of its
/// methods (the body limit, or a method's own `limit`); a larger one closes the connection with
/// code 1009.
///
/// ```
/// use std::time::Duration;
///
/// let config = protoapi::WebSocketConfig::default()
///     .ping_interval(Duration::from_secs(20))
///     .idle_timeout(Duration::from_secs(60))
///     .allow_origins(["https://app.example.com"]);
/// # drop(config);
/// ```
#[derive(Clone, Debug)]
pub struct WebSocketConfig {
    pub(super) ping_interval: Duration,
    pub(super) idle_timeout: Duration,
    pub(super) max_in_flight: usize,
    origins: Origins,
}

/// Which `Origin` a browser's handshake may come from.
#[derive(Clone, Debug)]
enum Origins {
    /// The origin's host and port equal the request's `Host`.
    SameHost,
    /// These origins (`https://app.example.com`), and the same host.
    List(Arc<[String]>),
    /// Any origin.
    Any,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            max_in_flight: 64,
            origins: Origins::SameHost,
        }
    }
}

impl WebSocketConfig {
    /// How long a connection may be silent before the server pings it (default 30 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How long a connection may be silent, or refuse what the server writes, before the
    /// server closes it (default 90 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How many calls may run at once on one connection (default 64).
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// Accepts handshakes whose `Origin` is one of `origins` (such as
    /// `https://app.example.com`), besides those from the server's own host. By default only
    /// the server's own host is accepted; a handshake without `Origin` (not from a browser)
    /// always is.
    pub fn allow_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list: Vec<String> = origins
            .into_iter()
            .map(|o| o.into().trim_end_matches('/').to_ascii_lowercase())
            .collect();
        self.origins = Origins::List(list.into());
        self
    }

    /// Accepts handshakes from any origin.
    pub fn allow_any_origin(mut self) -> Self {
        self.origins = Origins::Any;
        self
    }

    /// Whether a handshake with these headers comes from an allowed origin.
    pub(super) fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        match &self.origins {
            Origins::Any => return true,
            Origins::List(list) if list.contains(&origin) => return true,
            _ => {}
        }
        // Same host: the origin's authority equals the `Host` header.
        let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| host.eq_ignore_ascii_case(authority))
    }
}

/// How long a connection the server closes waits for the client's close frame.
pub(super) const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The most a connection reads at once: tungstenite zeroes this much of its buffer before every
/// read, and its default (128 KiB) costs more than reading a small frame.
pub(super) const READ_BUFFER: usize = 16 << 10;

/// How many requests of one client stream may wait for the method to read them.
pub(super) const INBOX: usize = 16;

/// How many pieces of one upload may wait for its call's task to spool them: with pieces of up
/// to a message each, a few messages per upload in memory.
pub(super) const UPLOAD_INBOX: usize = 4;

/// How many failed uploads a connection remembers, to drop the pieces their client still sends.
pub(super) const FAILED_UPLOADS: usize = 64;

/// How many frames at hand the connection's loop handles before it looks at its timer, its
/// tokens and its call tasks.
pub(super) const FRAMES_IN_A_ROW: u32 = 16;

/// About how many bytes of one call's frames go out in one turn before it lets others write.
pub(super) const TURN_BYTES: usize = 64 << 10;

/// How many ready frames of a call are handed to the socket at once: few, so that each is freed
/// while the allocator still has it at hand (BENCHMARKS.md, *Why the WebSocket code is ...*).
pub(super) const CHUNK_FRAMES: usize = 4;
