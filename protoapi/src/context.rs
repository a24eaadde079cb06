//! [`Context`]: what a method knows about the request besides its message.

use std::net::SocketAddr;

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
    headers: HeaderMap,
    extensions: Extensions,
    peer: Option<SocketAddr>,
    transport: Transport,
}

impl Context {
    /// A context from a request's headers and extensions; the peer address comes from axum's
    /// `ConnectInfo<SocketAddr>` extension, which the server sets on every request.
    pub fn new(transport: Transport, headers: HeaderMap, extensions: Extensions) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        Context {
            headers,
            extensions,
            peer,
            transport,
        }
    }

    /// All request headers (or gRPC metadata).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of a header, when it is present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The request extensions, as tower layers (authentication, tracing) left them.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Mutable access to the request extensions.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// The extension of type `T`, if a layer set one.
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get::<T>()
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
