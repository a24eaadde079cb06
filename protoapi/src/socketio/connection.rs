//! [`Connection`]: one socket's state, and the handler that starts a call for each event the
//! client emits, in the order the socket reads them.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{Extensions, HeaderMap};
use serde_json::value::RawValue;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::{ConnectHandler, FromMessageParts as _, MessageHandler, Value};
use socketioxide::socket::Socket;
use socketioxide::{SendError, SocketError};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use super::call::{Call, Reply, send_ack};
use super::events::{Event, Events};
use super::frame::{Incoming, error_frame};
use super::stream::{Ending, OpenStreams, QUEUE, Queued, forward};
use crate::budget::Charge;
use crate::context::{Context, Transport};
use crate::method::{Encoding, Requests};
use crate::rooms::Member;
use crate::status::Status;

/// One socket: the handshake's headers and extensions, which every call's [`Context`] shares,
/// and the token that stops its calls when it disconnects.
pub(super) struct Connection<A: Adapter> {
    events: Arc<Events>,
    headers: Arc<HeaderMap>,
    extensions: Arc<Extensions>,
    /// The client's address, from the handshake's extensions.
    peer: Option<std::net::SocketAddr>,
    closed: CancellationToken,
    /// The client streams open on the socket.
    streams: OpenStreams<A>,
}

impl<A: Adapter> Connection<A> {
    /// Takes a socket that connects to the namespace: every event it emits goes to the
    /// connection's handler; its calls stop when it disconnects.
    fn open(socket: &Socket<A>, events: Arc<Events>) {
        let parts = socket.req_parts();
        let connection = Arc::new(Connection {
            events,
            headers: Arc::new(parts.headers.clone()),
            extensions: Arc::new(parts.extensions.clone()),
            peer: crate::context::peer_of(&parts.extensions),
            closed: CancellationToken::new(),
            streams: OpenStreams::default(),
        });
        let closed = connection.closed.clone();
        socket.on_fallback(Dispatch(connection));
        socket.on_disconnect(move || {
            closed.cancel();
            std::future::ready(())
        });
    }

    /// Starts the call of one event, or answers why it cannot start.
    fn dispatch(&self, socket: SocketRef<A>, ack: AckSender<A>, wants_ack: bool, value: Value) {
        let Value::Str(text, attachments) = &value else {
            // The common parser gives text only.
            return;
        };
        let member: Arc<dyn Member> = Arc::new(Caller(socket.clone()));
        let reply = Reply::new(socket, ack, wants_ack);
        let whole = || Incoming::read(text.as_str(), attachments.as_ref());
        let quick = match attachments {
            Some(attachments) if !attachments.is_empty() => None,
            _ => Incoming::read_quick(text.as_str()),
        };
        let incoming = match quick.map_or_else(whole, Ok) {
            Ok(incoming) => incoming,
            Err(status) => return reply.error_only_to_ack(&status),
        };
        let Some(event) = self.events.get(&incoming.event) else {
            let status = Status::unimplemented(format!(
                "unknown event `{}`",
                crate::status::shown(&incoming.event)
            ));
            return reply.error_only_to_ack(&status);
        };
        let reply = reply.named(event.name);
        let method = &event.method;
        let limit = self.events.limit(method);
        // A stream's requests, and a request over the limit, are read whole: the first to be
        // queued as read, the second to be refused for the right reason.
        let incoming = if incoming.quick && (method.client_streaming || incoming.size > limit) {
            match whole() {
                Ok(incoming) => incoming,
                Err(status) => return reply.error_only_to_ack(&status),
            }
        } else {
            incoming
        };
        if incoming.size > limit {
            let status = Status::resource_exhausted(format!(
                "the message is larger than the limit of {limit} bytes"
            ));
            return reply.last(&status);
        }
        let mut charge = self.events.budget.charge();
        if let Err(exhausted) = charge.grow(incoming.size) {
            return reply.last(&Status::from(exhausted));
        }
        if method.client_streaming {
            return self.stream(event, incoming, charge, reply, member);
        }
        let quick = incoming.quick;
        let requests = Requests {
            encoding: Encoding::Json,
            envelope: Some(super::frame::data_envelope()),
            first: Some(incoming.payload()),
            rest: None,
            upload: None,
        };
        let answers = (method.run)(self.context(member), self.events.params.clone(), requests);
        Call {
            answers,
            streaming: method.server_streaming,
            reply,
            binaries: event.binaries.clone(),
            charge: Some(charge),
            quick: quick.then_some(value),
        }
        .spawn(&self.closed);
    }

    /// An emit of a method that takes a stream of requests: the next request of the socket's
    /// open call of the method (the first of a new one when none is open), or, without a
    /// request, the end of its requests.
    fn stream(
        &self,
        event: &Event,
        incoming: Incoming<'_>,
        charge: Charge,
        mut reply: Reply<A>,
        member: Arc<dyn Member>,
    ) {
        let ends = incoming.request.is_none();
        let ack = reply.take_ack();
        let queued = if ends {
            Queued::End { ack }
        } else {
            Queued::Request {
                payload: incoming.payload(),
                charge,
                ack,
            }
        };
        self.streams.with(|open| {
            let sent = match open.get(event.name) {
                Some(queue) => queue.try_send(queued),
                None => Err(TrySendError::Closed(queued)),
            };
            let queued = match sent {
                Ok(()) => {
                    if ends {
                        open.remove(event.name);
                    }
                    return;
                }
                Err(TrySendError::Full(queued)) => {
                    let status = Status::resource_exhausted(format!(
                        "{QUEUE} requests of `{}` wait for the method already: wait for their \
                         acks before sending more",
                        event.name
                    ));
                    return refuse(reply, queued, &status);
                }
                // No call is open (or it is over): this emit starts one.
                Err(TrySendError::Closed(queued)) => {
                    open.remove(event.name);
                    queued
                }
            };
            let (queue, queued_rx) = mpsc::channel(QUEUE);
            let (requests_tx, requests_rx) = mpsc::channel(1);
            let ending = Arc::new(Ending::default());
            let requests = Requests {
                encoding: Encoding::Json,
                envelope: Some(super::frame::data_envelope()),
                first: None,
                rest: Some(requests_rx),
                upload: None,
            };
            let method = &event.method;
            let answers = (method.run)(self.context(member), self.events.params.clone(), requests);
            // A fresh queue has room.
            let _ = queue.try_send(queued);
            if !ends {
                open.insert(event.name, queue);
            }
            Call {
                answers,
                streaming: method.server_streaming,
                reply: reply.ending(ending.clone()),
                binaries: event.binaries.clone(),
                charge: None,
                quick: None,
            }
            .spawn_with(self.closed.clone(), forward(queued_rx, requests_tx, ending));
        });
    }

    /// The context of a call on the socket, whose caller is `member`.
    fn context(&self, member: Arc<dyn Member>) -> Context {
        Context::shared_at(
            Transport::SocketIo,
            self.headers.clone(),
            self.extensions.clone(),
            self.peer,
        )
        .with_member(member)
    }
}

/// The socket a call came on, as the rooms see it.
struct Caller<A: Adapter>(SocketRef<A>);

impl<A: Adapter> Member for Caller<A> {
    fn join(&self, room: &str) {
        self.0.join(room.to_owned());
    }

    fn leave(&self, room: &str) {
        self.0.leave(room.to_owned());
    }

    fn emit(&self, event: &str, data: &RawValue) -> Result<(), Status> {
        self.0.emit(event, data).map_err(|error| match error {
            SendError::Socket(SocketError::Closed) => {
                Status::unavailable("the Socket.IO socket is closed")
            }
            SendError::Socket(SocketError::InternalChannelFull) => Status::resource_exhausted(
                "the Socket.IO socket has too many packets waiting to be sent",
            ),
            SendError::Serialize(error) => {
                Status::internal(format!("failed to write an event: {error}"))
            }
        })
    }
}

/// Answers an emit of a stream that could not be queued: through its ack, else as the event.
fn refuse<A: Adapter>(reply: Reply<A>, queued: Queued<A>, status: &Status) {
    match queued.into_ack() {
        Some(ack) => send_ack(ack, error_frame(status)),
        None => reply.last(status),
    }
}

/// What the namespace does with a socket that connects: it opens its [`Connection`] before the
/// server confirms the connection to the client, so that no event the client emits once
/// connected comes before the socket's handler.
#[derive(Clone)]
pub(super) struct Open(pub(super) Arc<Events>);

/// The result of a connect middleware, as socketioxide names it.
type Admitted<'a> = Pin<Box<dyn Future<Output = Result<(), Box<dyn Display + Send>>> + Send + 'a>>;

impl<A: Adapter> ConnectHandler<A, Whole> for Open {
    fn call(&self, _: Arc<Socket<A>>, _: Option<Value>) {}

    fn call_middleware<'a>(&'a self, socket: Arc<Socket<A>>, _: &'a Option<Value>) -> Admitted<'a> {
        Connection::open(&socket, self.0.clone());
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The handler of every event of one socket: socketioxide calls it for each event as the
/// socket reads it.
struct Dispatch<A: Adapter>(Arc<Connection<A>>);

/// The extractor marker of [`Open`] and [`Dispatch`], which take the socket and event whole.
pub(super) struct Whole;

impl<A: Adapter> MessageHandler<A, Whole> for Dispatch<A> {
    fn call(&self, socket: Arc<Socket<A>>, mut value: Value, ack_id: Option<i64>) {
        let Ok(ack) = AckSender::from_message_parts(&socket, &mut value, &ack_id);
        let Ok(socket) = SocketRef::from_message_parts(&socket, &mut value, &ack_id);
        self.0.dispatch(socket, ack, ack_id.is_some(), value);
    }
}
