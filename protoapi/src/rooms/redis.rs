//! [`RedisLink`]: rooms shared by every instance connected to one Redis server. A broadcast to
//! the subscriptions is published on one Redis channel, and every instance (the sender too)
//! hands what it reads there to its own [`Hub`]; Socket.IO sockets are reached through
//! socketioxide's Redis adapter, which the link also makes.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::hub::{Broadcast, Hub};
use crate::error::Error;
use crate::status::Status;

/// socketioxide's Redis adapter, as the Socket.IO endpoint takes it.
pub(crate) type Adapter =
    socketioxide_redis::RedisAdapterCtr<socketioxide_redis::drivers::redis::RedisDriver>;

/// The Redis channel that carries the subscriptions' broadcasts.
const CHANNEL: &str = "protoapi-rooms";

/// The longest pause between two tries to listen again after Redis went away.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// A connection to the Redis server that the rooms share.
pub(super) struct RedisLink {
    client: redis::Client,
    publisher: redis::aio::MultiplexedConnection,
    /// socketioxide's adapter, until the Socket.IO endpoint takes it.
    adapter: Mutex<Option<Adapter>>,
}

/// A broadcast as it travels through Redis.
#[derive(Serialize)]
struct Sent<'a> {
    room: Option<&'a str>,
    event: &'a str,
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct Received {
    room: Option<String>,
    event: String,
    data: Box<RawValue>,
}

impl RedisLink {
    /// Connects to `url`, asking for RESP3, which socketioxide's adapter needs.
    pub(super) async fn connect(url: &str) -> Result<Self, Error> {
        let url = with_resp3(url);
        let unreachable =
            |error: redis::RedisError| Error::config(format!("Redis at {url}: {error}"));
        let client = redis::Client::open(url.as_str()).map_err(unreachable)?;
        let publisher = client
            .get_multiplexed_async_connection()
            .await
            .map_err(unreachable)?;
        let adapter = socketioxide_redis::RedisAdapterCtr::new_with_redis(&client)
            .await
            .map_err(unreachable)?;
        Ok(RedisLink {
            client,
            publisher,
            adapter: Mutex::new(Some(adapter)),
        })
    }

    /// Subscribes to the rooms' channel and hands every broadcast read there to `hub`, from a
    /// task that subscribes again whenever Redis goes away, until the hub is dropped.
    pub(super) async fn listen(&self, hub: &Arc<Hub>) -> Result<(), Error> {
        let first = subscribe(&self.client)
            .await
            .map_err(|error| Error::config(format!("Redis: {error}")))?;
        let client = self.client.clone();
        let hub = Arc::downgrade(hub);
        tokio::spawn(async move {
            let mut messages = Some(first);
            let mut wait = Duration::from_millis(100);
            loop {
                if let Some(stream) = messages.take() {
                    wait = Duration::from_millis(100);
                    if !hand_over(stream, &hub).await {
                        return;
                    }
                    tracing::warn!("lost the rooms' Redis channel; subscribing again");
                }
                tokio::time::sleep(wait).await;
                if hub.strong_count() == 0 {
                    return;
                }
                match subscribe(&client).await {
                    Ok(stream) => messages = Some(stream),
                    Err(error) => {
                        tracing::warn!(%error, "cannot subscribe to the rooms' Redis channel");
                        wait = (wait * 2).min(MAX_RETRY);
                    }
                }
            }
        });
        Ok(())
    }

    /// Publishes a broadcast (its message `data`) to the subscriptions of every instance.
    pub(super) async fn publish(
        &self,
        broadcast: &Broadcast,
        data: &RawValue,
    ) -> Result<(), Status> {
        let sent = serde_json::to_string(&Sent {
            room: broadcast.room(),
            event: broadcast.event(),
            data,
        })
        .map_err(|error| Status::internal(format!("a broadcast is not JSON: {error}")))?;
        let mut publisher = self.publisher.clone();
        redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(sent)
            .query_async::<i64>(&mut publisher)
            .await
            .map(drop)
            .map_err(|error| Status::unavailable(format!("the rooms' Redis: {error}")))
    }

    /// socketioxide's adapter, the first time it is asked for.
    pub(super) fn take_adapter(&self) -> Option<Adapter> {
        self.adapter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The messages of the rooms' channel, on a connection of their own.
async fn subscribe(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSubStream> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub.into_on_message())
}

/// Hands every message of `stream` to the hub until the stream ends (`true`: Redis went away)
/// or the hub is gone (`false`).
async fn hand_over(mut stream: redis::aio::PubSubStream, hub: &Weak<Hub>) -> bool {
    while let Some(message) = stream.next().await {
        let Some(hub) = hub.upgrade() else {
            return false;
        };
        match serde_json::from_slice::<Received>(message.get_payload_bytes()) {
            Ok(received) => hub.deliver(Broadcast::new(
                received.room.as_deref(),
                &received.event,
                received.data.get(),
            )),
            Err(error) => tracing::warn!(%error, "an unreadable message on the rooms' channel"),
        }
    }
    hub.strong_count() > 0
}

/// `url` with `protocol=resp3` among its parameters, unless it names a protocol.
fn with_resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_asks_for_resp3() {
        assert_eq!(
            with_resp3("redis://127.0.0.1:6379/"),
            "redis://127.0.0.1:6379/?protocol=resp3"
        );
        assert_eq!(
            with_resp3("redis://h/?db=1"),
            "redis://h/?db=1&protocol=resp3"
        );
        assert_eq!(
            with_resp3("redis://h/?protocol=resp2"),
            "redis://h/?protocol=resp2"
        );
    }
}
