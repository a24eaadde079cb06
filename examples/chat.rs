//! The chat room of the Socket.IO example, as one bidirectional streaming method: package
//! `chat`, trait `Chat`. Every message a client sends is broadcast to every connected client,
//! whichever transport it uses: a browser or Python `websockets` on `ws://HOST/chat`, or a gRPC
//! client on `chat.Chat/Chat`.
//!
//! ```sh
//! cargo run --example chat
//! ```
//!
//! In a browser console (or any WebSocket client):
//!
//! ```js
//! const ws = new WebSocket("ws://127.0.0.1:8080/chat");
//! ws.onmessage = (e) => console.log(e.data);
//! ws.onopen = () => ws.send(JSON.stringify({ data: { user: "ann" } }));  // join
//! ws.send(JSON.stringify({ data: { text: "hello" } }));                  // say something
//! ws.send(JSON.stringify({ end: true }));                                // leave
//! ```

mod common;

use protoapi::{Status, Streaming};
use tokio::sync::broadcast;

/// What a client sends: its name first, then what it says.
#[protoapi::message]
pub struct ChatMessage {
    /// Who is talking; the first message must name them.
    pub user: String,
    /// What they say; the first message may leave it empty (it then only joins).
    pub text: String,
}

/// What happened in the room.
#[protoapi::message]
pub enum Kind {
    /// Never sent.
    Unspecified = 0,
    /// Someone said something.
    Message = 1,
    /// Someone's first message opened their stream.
    Joined = 2,
    /// Someone's stream ended, or they disconnected.
    Left = 3,
}

/// One event of the room, as every client sees it.
#[protoapi::message]
pub struct ChatEvent {
    /// What happened.
    pub kind: Kind,
    /// Who did it.
    pub user: String,
    /// What they said (`MESSAGE` only).
    pub text: String,
}

/// One room that everyone talks in.
#[protoapi::service(package = "chat", socketio)]
pub trait Chat {
    /// Joins the room with the first message, says the text of every message, and receives
    /// every event of the room until the request stream ends.
    #[protoapi(websocket = "/chat")]
    async fn chat(&self, messages: Streaming<ChatMessage>) -> Result<Streaming<ChatEvent>, Status>;
}

/// The room: a broadcast channel. A client that reads too slowly misses events rather than
/// making the room buffer for it.
struct Room {
    events: broadcast::Sender<ChatEvent>,
}

/// Someone in the room: announces `LEFT` when dropped, however their stream ends.
struct Presence {
    events: broadcast::Sender<ChatEvent>,
    user: String,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let _ = self.events.send(ChatEvent {
            kind: Kind::Left,
            user: std::mem::take(&mut self.user),
            text: String::new(),
        });
    }
}

impl Chat for Room {
    async fn chat(
        &self,
        mut messages: Streaming<ChatMessage>,
    ) -> Result<Streaming<ChatEvent>, Status> {
        let Some(first) = messages.message().await? else {
            return Ok(Streaming::empty());
        };
        if first.user.trim().is_empty() {
            return Err(Status::invalid_argument(
                "the first message names its `user`",
            ));
        }
        let user = first.user;
        // Subscribe first, so that the client sees its own arrival.
        let mut events = self.events.subscribe();
        let _ = self.events.send(ChatEvent {
            kind: Kind::Joined,
            user: user.clone(),
            text: String::new(),
        });
        let presence = Presence {
            events: self.events.clone(),
            user: user.clone(),
        };
        if !first.text.is_empty() {
            let _ = self.events.send(ChatEvent {
                kind: Kind::Message,
                user: user.clone(),
                text: first.text,
            });
        }

        // Says each later message; when the requests end (or fail: the client is gone), the
        // presence is dropped, which announces `LEFT`, and the client's event stream ends.
        let (left, mut gone) = tokio::sync::oneshot::channel::<()>();
        let room = self.events.clone();
        tokio::spawn(async move {
            while let Ok(Some(message)) = messages.message().await {
                let _ = room.send(ChatEvent {
                    kind: Kind::Message,
                    user: user.clone(),
                    text: message.text,
                });
            }
            drop(presence);
            let _ = left.send(());
        });

        let (sender, stream) = Streaming::channel(16);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    // Events first: the client's own `LEFT` comes before the end.
                    biased;
                    event = events.recv() => match event {
                        Ok(event) => {
                            if sender.send(Ok(event)).await.is_err() {
                                break; // the client went away
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a slow client missed events");
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = &mut gone => break,
                }
            }
        });
        Ok(stream)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (events, _) = broadcast::channel(256);
    common::run(
        protoapi::Server::builder().add(ChatServer::new(Room { events })),
        &[],
    )
    .await
}
