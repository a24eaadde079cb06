//! Rooms and broadcast, for every transport: a message sent to a room (or to everyone)
//! reaches the Socket.IO sockets that joined it, as an event, and every [`Subscription`] to it,
//! which any streaming method (gRPC, WebSocket, Connect, Socket.IO, SSE) turns into its
//! answers. With Redis (the `redis` feature), every instance of a server shares the rooms.
//!
//! How a broadcast flows: [`Recipients::emit`] writes the message as proto3 JSON once; the
//! Socket.IO part goes to socketioxide's adapter ([`Sockets`]), which reaches the sockets of
//! every instance; the subscriptions' part goes to the [`hub`] of this instance, or through
//! Redis pub/sub ([`redis`]) to the hub of every instance.

// `Hub` and `Subscription`: the subscriptions of this instance, by room.
mod hub;
// `Member` and `Sockets`: what a transport with connections gives the rooms.
mod member;
// `RedisLink`: the rooms of every instance, through Redis pub/sub.
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;

use crate::error::Error;
use crate::status::Status;

/// A step of setting up the rooms that the server awaits before it accepts connections.
pub(crate) type Pending = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

pub use hub::{Broadcast, Subscription};
pub(crate) use member::{Member, Sending, Sockets};

/// The rooms of a server: named groups that a message is sent to. Clone it freely; every clone
/// is the same rooms.
///
/// A method puts its Socket.IO caller in a room with [`crate::Context::join`]; any streaming
/// method, on any transport, listens to a room with [`Rooms::subscribe`]; anything holding the
/// rooms sends with [`Rooms::to`] or [`Rooms::everyone`]. Give the server the same rooms
/// ([`crate::ServerBuilder::rooms`]) so that its Socket.IO sockets are reached too.
///
/// ```
/// # async fn demo() -> Result<(), protoapi::Status> {
/// #[protoapi::message]
/// pub struct Note {
///     pub text: String,
/// }
///
/// let rooms = protoapi::Rooms::new();
/// let mut listener = rooms.subscribe("lobby");
/// rooms.to("lobby").emit("note", &Note { text: "hi".into() }).await?;
/// let broadcast = listener.recv().await.expect("a broadcast");
/// assert_eq!(broadcast.event(), "note");
/// assert_eq!(broadcast.json(), r#"{"text":"hi"}"#);
/// assert_eq!(broadcast.decode::<Note>()?.text, "hi");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Rooms(Arc<Shared>);

#[derive(Default)]
struct Shared {
    hub: Arc<hub::Hub>,
    /// The server's Socket.IO sockets, once a server that serves Socket.IO took these rooms.
    sockets: OnceLock<Arc<dyn Sockets>>,
    /// What must finish before the server accepts connections (socketioxide's adapter
    /// subscribing to Redis).
    pending: Mutex<Vec<Pending>>,
    #[cfg(feature = "redis")]
    redis: Option<redis::RedisLink>,
}

impl fmt::Debug for Rooms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rooms")
            .field("socketio", &self.0.sockets.get().is_some())
            .field("redis", &self.is_shared())
            .finish_non_exhaustive()
    }
}

impl Rooms {
    /// Rooms that live in this process.
    pub fn new() -> Self {
        Rooms::default()
    }

    /// Rooms shared by every instance that connects to the Redis server at `url`
    /// (`redis://host:port/`; Redis 7 or later): a message sent on one instance reaches the
    /// sockets and subscriptions of all. Fails when Redis cannot be reached.
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str) -> Result<Self, crate::Error> {
        let link = redis::RedisLink::connect(url).await?;
        let rooms = Rooms(Arc::new(Shared {
            hub: Arc::default(),
            sockets: OnceLock::new(),
            pending: Mutex::default(),
            redis: Some(link),
        }));
        if let Some(link) = &rooms.0.redis {
            link.listen(&rooms.0.hub).await?;
        }
        Ok(rooms)
    }

    /// Whether the rooms are shared with other instances.
    fn is_shared(&self) -> bool {
        #[cfg(feature = "redis")]
        return self.0.redis.is_some();
        #[cfg(not(feature = "redis"))]
        false
    }

    /// Whoever is in `room`: Socket.IO sockets that joined it and subscriptions to it.
    pub fn to(&self, room: impl Into<String>) -> Recipients<'_> {
        Recipients {
            rooms: self,
            room: Some(room.into()),
        }
    }

    /// Everyone: every Socket.IO socket and every subscription, whatever its room.
    pub fn everyone(&self) -> Recipients<'_> {
        Recipients {
            rooms: self,
            room: None,
        }
    }

    /// Listens to `room`: the subscription receives every message sent to the room, and every
    /// message sent to everyone, from the moment it is made until it is dropped.
    pub fn subscribe(&self, room: impl Into<String>) -> Subscription {
        self.0.hub.subscribe(room.into())
    }

    /// The Socket.IO sockets of a server, which messages then reach too. A server takes its
    /// rooms once.
    pub(crate) fn attach(&self, sockets: Arc<dyn Sockets>) -> bool {
        self.0.sockets.set(sockets).is_ok()
    }

    /// Adds a step the server awaits before it accepts connections.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn pending(&self, step: Pending) {
        self.0
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(step);
    }

    /// Awaits the steps the rooms need before the server accepts connections.
    pub(crate) async fn ready(&self) -> Result<(), Error> {
        let steps = std::mem::take(
            &mut *self
                .0
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for step in steps {
            step.await?;
        }
        Ok(())
    }

    /// Runs the steps the rooms need in the background, for a router served by someone else.
    pub(crate) fn spawn_pending(&self) {
        let rooms = self.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = rooms.ready().await {
                    tracing::error!(%error, "the rooms are not ready");
                }
            });
        }
    }

    /// The Redis adapter of socketioxide for these rooms, when they are shared through Redis;
    /// it can be taken once.
    #[cfg(feature = "redis")]
    pub(crate) fn take_adapter(&self) -> Option<redis::Adapter> {
        self.0
            .redis
            .as_ref()
            .and_then(redis::RedisLink::take_adapter)
    }
}

/// Whom a message goes to: one room, or everyone. Made by [`Rooms::to`] and
/// [`Rooms::everyone`].
#[derive(Debug)]
pub struct Recipients<'a> {
    rooms: &'a Rooms,
    room: Option<String>,
}

impl Recipients<'_> {
    /// Sends `message` as `event`: a Socket.IO socket gets the event with the message in proto3
    /// JSON as its one argument; a subscription gets a [`Broadcast`]. Fails when the message
    /// cannot be written as JSON, or when Redis cannot be reached.
    pub async fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        message: &T,
    ) -> Result<(), Status> {
        let data = serde_json::value::to_raw_value(message).map_err(|error| {
            Status::internal(format!("failed to write a broadcast as JSON: {error}"))
        })?;
        let broadcast = Broadcast::new(self.room.as_deref(), event, data.get());
        let shared = &self.rooms.0;
        // Through Redis, the subscriptions of every instance (this one's too) get it from the
        // channel; else this instance's hub hands it over.
        #[cfg(feature = "redis")]
        let published = match &shared.redis {
            Some(link) => {
                link.publish(&broadcast, &data).await?;
                true
            }
            None => false,
        };
        #[cfg(not(feature = "redis"))]
        let published = false;
        if let Some(sockets) = shared.sockets.get() {
            sockets.emit(self.room.clone(), event, data).await?;
        }
        if !published {
            shared.hub.deliver(broadcast);
        }
        Ok(())
    }
}
