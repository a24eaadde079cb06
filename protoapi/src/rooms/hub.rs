//! [`Hub`]: the subscriptions of this instance, by room, each room a broadcast channel; and
//! what a subscription receives, a [`Broadcast`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde::de::DeserializeOwned;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::status::Status;

/// How many broadcasts wait for a subscription that reads slowly; past them, it misses the
/// oldest rather than making the room hold more.
const BACKLOG: usize = 256;

/// One message sent to a room or to everyone, as a [`Subscription`] receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast(Arc<Parts>);

#[derive(Debug, PartialEq, Eq)]
struct Parts {
    room: Option<String>,
    event: String,
    json: String,
}

impl Broadcast {
    pub(super) fn new(room: Option<&str>, event: &str, json: &str) -> Self {
        Broadcast(Arc::new(Parts {
            room: room.map(str::to_owned),
            event: event.to_owned(),
            json: json.to_owned(),
        }))
    }

    /// The room it was sent to; `None` when it was sent to everyone.
    pub fn room(&self) -> Option<&str> {
        self.0.room.as_deref()
    }

    /// The event it was sent as.
    pub fn event(&self) -> &str {
        &self.0.event
    }

    /// The message in proto3 JSON.
    pub fn json(&self) -> &str {
        &self.0.json
    }

    /// The message read as `T` (a protoapi message, or any type that reads JSON). Fails with
    /// `internal` when it is not one: the sender sent another type under this event.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Status> {
        serde_json::from_str(&self.0.json).map_err(|error| {
            Status::internal(format!(
                "broadcast `{}` is not the message expected: {error}",
                self.0.event
            ))
        })
    }
}

/// The subscriptions of this instance: a channel per room that has one, and one for everyone.
pub(super) struct Hub {
    rooms: Mutex<HashMap<String, broadcast::Sender<Broadcast>>>,
    everyone: broadcast::Sender<Broadcast>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            rooms: Mutex::default(),
            everyone: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Hub {
    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Broadcast>>> {
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn subscribe(self: &Arc<Self>, room: String) -> Subscription {
        let receiver = self
            .rooms()
            .entry(room.clone())
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe();
        Subscription {
            room,
            receiver,
            everyone: self.everyone.subscribe(),
            missed: 0,
            hub: Arc::downgrade(self),
        }
    }

    /// Hands a broadcast to the subscriptions of its room, or to every subscription.
    pub(super) fn deliver(&self, broadcast: Broadcast) {
        let Some(room) = broadcast.room() else {
            let _ = self.everyone.send(broadcast);
            return;
        };
        let mut rooms = self.rooms();
        if let Some(sender) = rooms.get(room) {
            // A send fails only when the room has no subscription left.
            if sender.send(broadcast.clone()).is_err() {
                rooms.remove(room);
            }
        }
    }
}

/// A listener of one room, made by [`crate::Rooms::subscribe`]: it receives the messages sent
/// to its room and to everyone, in the order each sender sent them, until it is dropped.
///
/// A subscription that reads too slowly misses the oldest messages (more than 256 waiting)
/// rather than making the room hold them; [`Self::missed`] counts them.
#[derive(Debug)]
pub struct Subscription {
    room: String,
    receiver: broadcast::Receiver<Broadcast>,
    everyone: broadcast::Receiver<Broadcast>,
    missed: u64,
    /// Where its room's channel is removed once the last subscription to the room is dropped.
    hub: Weak<Hub>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let Some(hub) = self.hub.upgrade() else {
            return;
        };
        let mut rooms = hub.rooms();
        // This subscription's receiver is still counted.
        if rooms
            .get(&self.room)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            rooms.remove(&self.room);
        }
    }
}

impl Subscription {
    /// The next message, or `None` once the rooms are gone.
    pub async fn recv(&mut self) -> Option<Broadcast> {
        loop {
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                received = self.everyone.recv() => received,
            };
            match received {
                Ok(broadcast) => return Some(broadcast),
                Err(RecvError::Lagged(missed)) => {
                    self.missed = self.missed.saturating_add(missed);
                    tracing::warn!(room = %self.room, missed, "a slow subscription missed messages");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The room it listens to.
    pub fn room(&self) -> &str {
        &self.room
    }

    /// How many messages it missed by reading too slowly.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
