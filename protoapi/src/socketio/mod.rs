//! Socket.IO (protocol 5 over Engine.IO 4: WebSocket and HTTP long-polling) through
//! socketioxide, at `/socket.io/` on the server's one port.
//!
//! Every method of a service that serves Socket.IO is an event named after the Rust method
//! (`say_hello`), in the default namespace `/`. How an event flows: socketioxide reads it and
//! calls the socket's [`connection`] handler, in the order the socket reads events; the handler
//! reads the event's one argument as the request ([`frame`]), checks its size and charges the
//! memory budget, and runs the method's [`crate::method::ErasedMethod`], as every message
//! transport does; the [`call`]'s task sends the answers: a unary call's `{"data": ...}` or
//! `{"error": ...}` to the client's ack, a stream's items as the method's event, then
//! `{"end": true}` or the error. The emits of a method that takes a stream of requests are the
//! requests of one call, queued for it ([`stream`]), until an emit without a request ends
//! them. docs/socketio.md shows every frame.

// `Binaries`: the `bytes` of answers, sent as binary attachments.
mod binary;
// `Call` and `Reply`: one call's task, and where its frames go.
mod call;
// `SocketIoConfig`: the path, the services, the timers.
mod config;
// `Connection`: one socket, and the handler that starts a call for each event.
mod connection;
// `Events`: the methods by event name, and the endpoint made of them.
mod events;
// `Incoming` and the answer frames.
mod frame;
// Client and bidirectional streams: the requests a client emits, queued for the method.
mod stream;

pub use config::SocketIoConfig;

pub(crate) use events::{Events, route};
