//! WebSocket endpoints: a method's own, or a service's on which frames name the method.
//!
//! How a frame flows: the connection's loop reads a frame; the frame is decoded (JSON in a
//! text frame, a `protoapi.Frame` in a binary one); the method it names is called through its
//! [`crate::method::ErasedMethod`], at once or in a call's task; the writer writes the answers,
//! in the encoding of the frame that started the call, taking turns with the connection's other
//! calls. docs/websocket.md shows every frame.

// The task of a call that does not answer at once.
mod call;
// The calls in progress on one connection.
mod calls;
// `WebSocketConfig` and the fixed limits of a connection.
mod config;
// The loop of one connection.
mod connection;
// The handshake and the upgrade.
mod endpoint;
// `Frame`, `FrameError`: the client's frames read, the answers' frames written.
mod frame;
// `Stats`, the live counts of a server.
mod stats;
// A call that sends its request's files in pieces: each piece checked and queued.
mod upload;
// `Writer` and `Turn`: who writes when, and when it is flushed.
mod writer;

// A WebSocket over an in-memory pipe, for the unit tests.
#[cfg(test)]
mod testing;

pub use config::WebSocketConfig;
pub use frame::{Frame, FrameError};
pub use stats::Stats;

pub(crate) use codegen::WebSocketEndpoint;
pub(crate) use endpoint::{is_upgrade, upgrade_required};

/// What generated code names, re-exported as `__private::websocket` (and the fuzz target
/// `websocket_frame`: `read_frame`).
pub mod codegen {
    pub use super::endpoint::WebSocketEndpoint;
    pub use super::frame::read_frame;
}
