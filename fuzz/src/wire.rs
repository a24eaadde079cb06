//! The service the wire-format targets call: one method of each call shape, each with a small
//! body limit ([`LIMIT`]) that the fuzzer can cross, so that every framing reads several
//! messages, messages over the limit and lies about lengths.

use protoapi::{Status, Streaming};

use crate::{Ack, Everything, Part};

/// The body limit of every method of [`Wire`]: an HTTP body (once inflated), a gRPC message,
/// a Connect envelope's message.
pub const LIMIT: usize = 1 << 10;

#[protoapi::service(package = "fuzz.v1")]
pub trait Wire {
    /// The request back. Its HTTP route takes JSON bodies in gzip or zstd.
    #[protoapi(post = "/wire/echo", limit = "1KiB")]
    async fn echo(&self, req: Everything) -> Result<Everything, Status>;

    /// The request's parts one by one; a part with a negative weight is an
    /// `invalid_argument` item, and the stream goes on: every transport ends the answer at the
    /// first error.
    #[protoapi(post = "/wire/parts", limit = "1KiB")]
    async fn parts(&self, req: Everything) -> Result<Streaming<Part>, Status>;

    /// The sum of the parts' weights (wrapping), in `size`.
    #[protoapi(limit = "1KiB")]
    async fn total(&self, parts: Streaming<Part>) -> Result<Ack, Status>;

    /// Each part back as it comes.
    #[protoapi(limit = "1KiB")]
    async fn relay(&self, parts: Streaming<Part>) -> Result<Streaming<Part>, Status>;
}

/// The one implementation of [`Wire`].
pub struct WireImpl;

impl Wire for WireImpl {
    async fn echo(&self, req: Everything) -> Result<Everything, Status> {
        Ok(req)
    }

    async fn parts(&self, req: Everything) -> Result<Streaming<Part>, Status> {
        let parts = req.parts.into_iter().map(|part| {
            if part.weight < 0 {
                Err(Status::invalid_argument("a part has a negative weight"))
            } else {
                Ok(part)
            }
        });
        Ok(Streaming::new(futures_util::stream::iter(parts)))
    }

    async fn total(&self, mut parts: Streaming<Part>) -> Result<Ack, Status> {
        let mut size = 0u64;
        while let Some(part) = parts.message().await? {
            size = size.wrapping_add(part.weight as u64);
        }
        Ok(Ack { size })
    }

    async fn relay(&self, parts: Streaming<Part>) -> Result<Streaming<Part>, Status> {
        Ok(parts)
    }
}

/// A method of [`Wire`], as the targets choose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Echo,
    Parts,
    Total,
    Relay,
}

impl Method {
    /// Every method, in the order the targets number them.
    pub const ALL: [Method; 4] = [Method::Echo, Method::Parts, Method::Total, Method::Relay];

    /// The gRPC (and Connect) path.
    pub fn path(self) -> &'static str {
        match self {
            Method::Echo => "/fuzz.v1.Wire/Echo",
            Method::Parts => "/fuzz.v1.Wire/Parts",
            Method::Total => "/fuzz.v1.Wire/Total",
            Method::Relay => "/fuzz.v1.Wire/Relay",
        }
    }

    /// Whether the client sends a stream of messages.
    pub fn client_streaming(self) -> bool {
        matches!(self, Method::Total | Method::Relay)
    }

    /// Whether the server answers with a stream of messages.
    pub fn server_streaming(self) -> bool {
        matches!(self, Method::Parts | Method::Relay)
    }

    /// Whether `message` decodes as one of the method's requests in protobuf.
    pub fn decodes_request(self, message: &[u8]) -> bool {
        use prost::Message as _;
        match self {
            Method::Echo | Method::Parts => Everything::decode(message).is_ok(),
            Method::Total | Method::Relay => Part::decode(message).is_ok(),
        }
    }

    /// Whether `message` reads as one of the method's requests in JSON.
    pub fn reads_request(self, message: &[u8]) -> bool {
        use protoapi::__private::rest::merge_json;
        match self {
            Method::Echo | Method::Parts => merge_json(&mut Everything::default(), message).is_ok(),
            Method::Total | Method::Relay => merge_json(&mut Part::default(), message).is_ok(),
        }
    }

    /// Whether `message` decodes as one of the method's answers in protobuf.
    pub fn decodes_answer(self, message: &[u8]) -> bool {
        use prost::Message as _;
        match self {
            Method::Echo => Everything::decode(message).is_ok(),
            Method::Parts | Method::Relay => Part::decode(message).is_ok(),
            Method::Total => Ack::decode(message).is_ok(),
        }
    }

    /// Whether `message` reads as one of the method's answers in JSON.
    pub fn reads_answer(self, message: &[u8]) -> bool {
        use protoapi::__private::rest::merge_json;
        match self {
            Method::Echo => merge_json(&mut Everything::default(), message).is_ok(),
            Method::Parts | Method::Relay => merge_json(&mut Part::default(), message).is_ok(),
            Method::Total => merge_json(&mut Ack::default(), message).is_ok(),
        }
    }
}
