//! What a transport with connections gives the rooms: its connections as [`Member`]s of rooms,
//! and its sockets as a whole ([`Sockets`]), which a broadcast reaches.

use std::future::Future;
use std::pin::Pin;

use serde_json::value::RawValue;

use crate::status::Status;

/// The connection a call came on, when its transport keeps one that can join rooms (a
/// Socket.IO socket): what [`crate::Context::join`] and [`crate::Context::emit`] act on.
pub(crate) trait Member: Send + Sync {
    /// Puts the connection in `room`.
    fn join(&self, room: &str);
    /// Takes the connection out of `room`.
    fn leave(&self, room: &str);
    /// Sends `event` with `data` to the connection alone.
    fn emit(&self, event: &str, data: &RawValue) -> Result<(), Status>;
}

/// A boxed future that sends a broadcast.
pub(crate) type Sending = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

/// The sockets of a server (those of every instance, with a shared adapter), which a broadcast
/// to a room, or to everyone when `room` is `None`, reaches as an event.
pub(crate) trait Sockets: Send + Sync {
    fn emit(&self, room: Option<String>, event: &str, data: Box<RawValue>) -> Sending;
}
