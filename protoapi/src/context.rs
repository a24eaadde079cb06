//! [`Context`]: what a method knows about the request besides its message.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};
use serde::Serialize;

use crate::rooms::Member;
use crate::status::Status;

/// The transport a call arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// gRPC over HTTP/2, or gRPC-Web.
    Grpc,
    /// Plain HTTP (JSON) over HTTP/1.1 or HTTP/2.
    Http,
    /// A WebSocket: one of the frames of a connection.
    WebSocket,
    /// The Connect protocol, at the gRPC paths.
    Connect,
    /// Socket.IO: one of the events of a socket, over a WebSocket or HTTP long-polling.
    SocketIo,
    /// GraphQL: one field of an operation, over HTTP or a WebSocket.
    GraphQl,
}

impl Transport {
    /// The transport's name as people write it: `gRPC`, `HTTP`, `WebSocket`, `Connect`,
    /// `Socket.IO`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Transport::Grpc => "gRPC",
            Transport::Http => "HTTP",
            Transport::WebSocket => "WebSocket",
            Transport::Connect => "Connect",
            Transport::SocketIo => "Socket.IO",
            Transport::GraphQl => "GraphQL",
        }
    }
}

/// The request around a call: headers, extensions set by tower layers, the peer and the
/// transport. A method receives it when its first argument is `ctx: protoapi::Context`.
///
/// Headers are one view over both transports: the HTTP request headers, or the gRPC metadata
/// (which travels as HTTP/2 headers); binary metadata keys (`-bin`) keep their base64 text.
///
/// ```
/// use protoapi::{Context, Status};
///
/// fn user_agent(ctx: &Context) -> Result<&str, Status> {
///     ctx.header("user-agent")
///         .ok_or_else(|| Status::invalid_argument("no user agent"))
/// }
/// ```
pub struct Context {
    headers: Held<HeaderMap>,
    extensions: Held<Extensions>,
    peer: Option<SocketAddr>,
    transport: Transport,
    /// The connection the call came on, when it can join rooms (a Socket.IO socket).
    member: Option<Arc<dyn Member>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("headers", &self.headers)
            .field("extensions", &self.extensions)
            .field("peer", &self.peer)
            .field("transport", &self.transport)
            .field("member", &self.member.is_some())
            .finish()
    }
}

/// A request's headers or extensions: its own, or shared by the calls of one WebSocket (copied
/// on the first change).
#[derive(Debug)]
enum Held<T> {
    Own(T),
    Shared(Arc<T>),
}

impl<T: Clone> Held<T> {
    fn get(&self) -> &T {
        match self {
            Held::Own(value) => value,
            Held::Shared(value) => value,
        }
    }

    fn get_mut(&mut self) -> &mut T {
        match self {
            Held::Own(value) => value,
            Held::Shared(shared) => Arc::make_mut(shared),
        }
    }
}

impl Context {
    /// A context from a request's headers and extensions; the peer address comes from axum's
    /// `ConnectInfo<SocketAddr>` extension, which the server sets on every request.
    pub fn new(transport: Transport, headers: HeaderMap, extensions: Extensions) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        Context {
            headers: Held::Own(headers),
            extensions: Held::Own(extensions),
            peer,
            transport,
            member: None,
        }
    }

    /// A context over headers and extensions that many calls share (those of a WebSocket's
    /// handshake), without copying them per call.
    pub(crate) fn shared(
        transport: Transport,
        headers: Arc<HeaderMap>,
        extensions: Arc<Extensions>,
    ) -> Self {
        let peer = peer_of(&extensions);
        Context::shared_at(transport, headers, extensions, peer)
    }

    /// [`Self::shared`] with the peer address already read from the extensions ([`peer_of`]),
    /// for a connection whose calls share it.
    pub(crate) fn shared_at(
        transport: Transport,
        headers: Arc<HeaderMap>,
        extensions: Arc<Extensions>,
        peer: Option<SocketAddr>,
    ) -> Self {
        Context {
            headers: Held::Shared(headers),
            extensions: Held::Shared(extensions),
            peer,
            transport,
            member: None,
        }
    }

    /// All request headers (or gRPC metadata).
    pub fn headers(&self) -> &HeaderMap {
        self.headers.get()
    }

    /// The first value of a header, when it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get()
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    /// The request extensions, as tower layers (authentication, tracing) left them.
    pub fn extensions(&self) -> &Extensions {
        self.extensions.get()
    }

    /// Mutable access to the request extensions.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        self.extensions.get_mut()
    }

    /// The extension of type `T`, if a layer set one.
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get().get::<T>()
    }

    /// The client's address, when the server knows it.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The transport the call arrived on.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The context of a call on a connection that can join rooms.
    pub(crate) fn with_member(mut self, member: Arc<dyn Member>) -> Self {
        self.member = Some(member);
        self
    }

    /// The caller's connection, or why the call has none that joins rooms.
    fn member(&self) -> Result<&dyn Member, Status> {
        self.member.as_deref().ok_or_else(|| {
            Status::failed_precondition(format!(
                "a {} caller has no connection that joins rooms: a Socket.IO socket does; on \
                 other transports, a streaming method listens with Rooms::subscribe",
                self.transport.name()
            ))
        })
    }

    /// Puts the caller's connection in `room`, so that what is sent to the room
    /// ([`crate::Rooms::to`]) reaches it as an event until it leaves or disconnects. Only a
    /// Socket.IO socket joins rooms; on other transports this fails with `failed_precondition`.
    pub fn join(&self, room: &str) -> Result<(), Status> {
        self.member()?.join(room);
        Ok(())
    }

    /// Takes the caller's connection out of `room`; fails as [`Self::join`] does.
    pub fn leave(&self, room: &str) -> Result<(), Status> {
        self.member()?.leave(room);
        Ok(())
    }

    /// Sends `event` with `message` (in proto3 JSON) to the caller's connection alone, beside
    /// the call's answer; fails as [`Self::join`] does, or when the connection is gone.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, message: &T) -> Result<(), Status> {
        let member = self.member()?;
        let data = serde_json::value::to_raw_value(message).map_err(|error| {
            Status::internal(format!("failed to write an event as JSON: {error}"))
        })?;
        member.emit(event, &data)
    }
}

/// The peer address that the accept loop put in a request's extensions.
pub(crate) fn peer_of(extensions: &Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}
