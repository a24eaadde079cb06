//! One trait method with its message types erased ([`ErasedMethod`]), as the message
//! transports run it: WebSocket and Connect, and any other that carries a call's messages in
//! frames of its own.
//!
//! How a call flows: the transport reads each request into a [`Payload`] (JSON or protobuf) and
//! hands the call's [`Requests`] (with, for JSON answers, the [`JsonEnvelope`] it writes around
//! each) to the method's `run`; the adapter of the method's kind decodes the requests, calls the
//! method and encodes its [`Answers`], which the transport writes in its own frames. This folder
//! depends on no transport.

// The adapter of each kind of method: `unary`, `server_streaming`, ...
mod adapters;
// `Answers` and `Encoder`: a call's answers, encoded.
mod answers;
// `JsonEnvelope`: the text a transport writes around each JSON answer.
mod envelope;
// `ErasedMethod`: one method, its message types erased.
mod erased;
// `Encoding` and `Payload`: one message of a call, still encoded.
mod payload;
// `Params`, `Requests` and `decode`: a call's requests, decoded into the method's message.
mod requests;
// `Upload`: the files of a request sent in pieces, spooled as they arrive.
mod upload;

pub(crate) use answers::{Answers, next};
pub(crate) use envelope::{JsonEnvelope, frame_text};
pub(crate) use erased::ErasedMethod;
pub(crate) use payload::{Encoding, Payload};
pub(crate) use requests::{Params, Requests, decode};
pub(crate) use upload::{FileStart, Piece, Upload};

/// What generated code names, re-exported as `__private::method`.
pub mod codegen {
    pub use super::adapters::{
        bidi_streaming, client_streaming, download, server_streaming, unary,
    };
    pub use super::erased::ErasedMethod;
}
