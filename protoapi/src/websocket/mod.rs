//! WebSocket endpoints: a method's own, or a service's on which frames name the method.
//!
//! How a frame flows: the [connection](connection) loop reads a frame; the [frame](frame) is
//! decoded (JSON in a text frame, a `protoapi.Frame` in a binary one); the [method](method) it
//! names is called, at once or in a [call](call) task; the [writer](writer) writes the answers,
//! in the encoding of the frame that started the call, taking turns with the other calls.
//! docs/websocket.md shows every frame.

mod call;
mod config;
mod connection;
mod endpoint;
mod frame;
mod method;
mod stats;
mod writer;

#[cfg(test)]
mod testing;

pub use config::WebSocketConfig;
pub use frame::{Frame, FrameError};
pub use stats::Stats;

pub(crate) use endpoint::{is_upgrade, upgrade_required};
pub(crate) use frame::{Encoding, Payload};
pub(crate) use method::{Answers, Params, Requests};

/// What generated code names, re-exported as `__private::websocket`.
pub mod generated {
    pub use super::endpoint::WebSocketEndpoint;
    pub use super::method::{
        WebSocketMethod, bidi_streaming, client_streaming, download, read_frame, server_streaming,
        unary,
    };
}

pub(crate) use generated::{WebSocketEndpoint, WebSocketMethod};
