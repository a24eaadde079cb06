//! [`SocketIoConfig`]: where the Socket.IO endpoint is, which services it serves, its timers.

use std::time::Duration;

/// How the server's Socket.IO endpoint is served: its path, which services are events on it,
/// and its timers. Set with [`crate::ServerBuilder::socketio`].
///
/// Without that call, the services marked `#[protoapi::service(socketio)]` are served with the
/// defaults below; with it, every service added to the server is, unless
/// [`Self::marked_only`] keeps it to the marked ones.
///
/// ```
/// use std::time::Duration;
/// use protoapi::SocketIoConfig;
///
/// let config = SocketIoConfig::default()
///     .path("/io/")
///     .ping_interval(Duration::from_secs(10));
/// assert_eq!(config.path_str(), "/io/");
/// let builder = protoapi::Server::builder().socketio(config);
/// # drop(builder);
/// ```
#[derive(Clone, Debug)]
pub struct SocketIoConfig {
    path: String,
    every_service: bool,
    ping_interval: Duration,
    ping_timeout: Duration,
    connect_timeout: Duration,
    max_buffer_size: usize,
}

impl Default for SocketIoConfig {
    /// `/socket.io/`, every service, a ping every 25 s answered within 20 s, 45 s for a
    /// client to connect to the namespace, 128 packets waiting to be sent per socket.
    fn default() -> Self {
        SocketIoConfig {
            path: "/socket.io/".to_owned(),
            every_service: true,
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(45),
            max_buffer_size: 128,
        }
    }
}

impl SocketIoConfig {
    /// The configuration the marked services get when the builder sets none: the defaults,
    /// for the marked services only.
    pub(crate) fn marked_services() -> Self {
        SocketIoConfig::default().marked_only()
    }

    /// Sets the path of the endpoint (default `/socket.io/`, what every client library asks
    /// for). A missing leading or trailing `/` is added: clients send `<path>/?EIO=4&...`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        self.path = path;
        self
    }

    /// The path of the endpoint, with its leading and trailing `/`.
    pub fn path_str(&self) -> &str {
        &self.path
    }

    /// Serves only the services marked `#[protoapi::service(socketio)]`, not every service.
    pub fn marked_only(mut self) -> Self {
        self.every_service = false;
        self
    }

    /// Whether every service is served, or only the marked ones.
    pub(crate) fn every_service(&self) -> bool {
        self.every_service
    }

    /// Sets how often the server pings a client (default 25 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets how long a client has to answer a ping before it is disconnected (default 20 s).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// Sets how long a client has, after the Engine.IO handshake, to connect to the namespace
    /// (default 45 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how many packets may wait to be sent to one socket (default 128); a stream whose
    /// socket has that many waiting waits for the client to take them.
    pub fn max_buffer_size(mut self, packets: usize) -> Self {
        self.max_buffer_size = packets.max(1);
        self
    }

    /// socketioxide's builder with these settings, for messages of at most `max_message`
    /// bytes (a polling payload may hold a few messages: it gets some room more).
    pub(super) fn builder(&self, max_message: usize) -> socketioxide::SocketIoBuilder {
        let max_message_u64 = u64::try_from(max_message).unwrap_or(u64::MAX);
        socketioxide::SocketIo::builder()
            .req_path(self.path.clone())
            .ping_interval(self.ping_interval)
            .ping_timeout(self.ping_timeout)
            .connect_timeout(self.connect_timeout)
            .max_buffer_size(self.max_buffer_size)
            .max_payload(max_message_u64.saturating_add(POLLING_ROOM))
            .ws_max_message_size(max_message.saturating_add(FRAME_ROOM))
            .ws_max_frame_size(max_message.saturating_add(FRAME_ROOM))
            .with_parser(
                socketioxide::ParserConfig::common()
                    .max_incoming_binary_buf_size(max_message)
                    .max_incoming_binaries(MAX_ATTACHMENTS),
            )
    }
}

/// What a polling payload may hold beyond one message of the largest size: packet headers and
/// a few small packets beside it.
const POLLING_ROOM: u64 = 64 * 1024;

/// What a WebSocket frame holds beyond its message: the packet header and event name.
const FRAME_ROOM: usize = 4 * 1024;

/// The most binary attachments one event may carry.
const MAX_ATTACHMENTS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_gets_its_slashes() {
        assert_eq!(SocketIoConfig::default().path_str(), "/socket.io/");
        assert_eq!(SocketIoConfig::default().path("io").path_str(), "/io/");
        assert_eq!(
            SocketIoConfig::default().path("/a/io/").path_str(),
            "/a/io/"
        );
    }

    #[test]
    fn the_builder_switch_serves_every_service_unless_told() {
        assert!(SocketIoConfig::default().every_service());
        assert!(!SocketIoConfig::default().marked_only().every_service());
        assert!(!SocketIoConfig::marked_services().every_service());
    }
}
