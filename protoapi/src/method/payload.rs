//! One message of a call, still encoded, and the encoding of a call's messages.

use bytes::Bytes;
use serde_json::value::RawValue;

/// The encoding of a call's requests, and of every answer to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// JSON: the proto3 JSON mapping.
    Json,
    /// The protobuf binary encoding.
    Proto,
}

/// One message of a call, still encoded.
#[derive(Debug)]
pub enum Payload {
    /// The JSON of a message.
    Json(String),
    /// The protobuf encoding of a message.
    Proto(Bytes),
    /// An answer written whole into its [`JsonEnvelope::Data`](super::envelope::JsonEnvelope)
    /// as one JSON value, which the transport sends as it is.
    Frame(Box<RawValue>),
}

impl Payload {
    /// The encoding of a message whose fields are all at their defaults.
    pub(crate) fn empty(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Json => Payload::Json("{}".to_owned()),
            Encoding::Proto => Payload::Proto(Bytes::new()),
        }
    }

    /// The length of the encoded message.
    pub(crate) fn len(&self) -> usize {
        match self {
            Payload::Json(text) => text.len(),
            Payload::Proto(bytes) => bytes.len(),
            Payload::Frame(frame) => frame.get().len(),
        }
    }
}
