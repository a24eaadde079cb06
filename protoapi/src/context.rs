//! [`Context`]: what a method knows about the request besides its message.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};

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
#[derive(Debug)]
pub struct Context {
    headers: Held<HeaderMap>,
    extensions: Held<Extensions>,
    peer: Option<SocketAddr>,
    transport: Transport,
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
        }
    }

    /// A context over headers and extensions that many calls share (those of a WebSocket's
    /// handshake), without copying them per call.
    pub(crate) fn shared(
        transport: Transport,
        headers: Arc<HeaderMap>,
        extensions: Arc<Extensions>,
    ) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        Context {
            headers: Held::Shared(headers),
            extensions: Held::Shared(extensions),
            peer,
            transport,
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
}
