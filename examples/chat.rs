//! A chat room, as one bidirectional streaming method: package `chat`, trait `Chat`. Every
//! message a client sends reaches every client in the room, whichever transport it uses: a
//! browser or Python `websockets` on `ws://HOST/chat`, a Socket.IO client emitting `chat`, or a
//! gRPC client on `chat.Chat/Chat`. The room is one of protoapi's [`Rooms`]: with
//! `--redis redis://HOST:PORT/`, every instance started so shares it.
//!
//! ```sh
//! cargo run --example chat
//! cargo run --example chat -- --addr 127.0.0.1:8081 --redis redis://127.0.0.1:6379/
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
//!
//! From python-socketio: `sio.on("chat", print)`, `await sio.emit("chat", {"user": "ann"})`
//! to join, `await sio.emit("chat", {"text": "hello"})`, and `await sio.emit("chat")` to leave.
//!
//! A client that cannot hold a bidirectional stream (GraphQL has none) listens with `listen`
//! and talks with `say`: `subscription { listen { kind user text } }` on a GraphQL WebSocket,
//! and `mutation { say(user: "ann", text: "hello") { _empty } }`.

mod common;

use protoapi::{Rooms, Status, Streaming};

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

/// No parameters: the room's events are for everyone.
#[protoapi::message]
pub struct Listen {}

/// Nothing to answer: what was said reaches the room.
#[protoapi::message]
pub struct Said {}

/// One room that everyone talks in.
#[protoapi::service(package = "chat", socketio, graphql)]
pub trait Chat {
    /// Joins the room with the first message, says the text of every message, and receives
    /// every event of the room until the request stream ends.
    #[protoapi(websocket = "/chat")]
    async fn chat(&self, messages: Streaming<ChatMessage>) -> Result<Streaming<ChatEvent>, Status>;

    /// Receives every event of the room from now on, without joining it.
    async fn listen(&self, req: Listen) -> Result<Streaming<ChatEvent>, Status>;

    /// Says the text in the room as `user`, without joining it.
    async fn say(&self, req: ChatMessage) -> Result<Said, Status>;
}

/// The room everyone talks in: protoapi's rooms, shared with other instances through Redis
/// when the example runs with `--redis URL`.
struct Room {
    rooms: Rooms,
}

/// The room's name, and the event its messages are sent as.
const ROOM: &str = "chat";

impl Room {
    /// Tells everyone in the room that `kind` happened.
    async fn announce(&self, kind: Kind, user: &str, text: String) -> Result<(), Status> {
        announce(&self.rooms, kind, user.to_owned(), text).await
    }
}

async fn announce(rooms: &Rooms, kind: Kind, user: String, text: String) -> Result<(), Status> {
    rooms
        .to(ROOM)
        .emit(ROOM, &ChatEvent { kind, user, text })
        .await
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
        let mut events = self.rooms.subscribe(ROOM);
        self.announce(Kind::Joined, &user, String::new()).await?;
        if !first.text.is_empty() {
            self.announce(Kind::Message, &user, first.text).await?;
        }

        // Says each later message; when the requests end (or fail: the client is gone), it
        // announces `LEFT`, and the client's event stream ends.
        let (left, mut gone) = tokio::sync::oneshot::channel::<()>();
        let rooms = self.rooms.clone();
        tokio::spawn(async move {
            while let Ok(Some(message)) = messages.message().await {
                if let Err(status) =
                    announce(&rooms, Kind::Message, user.clone(), message.text).await
                {
                    tracing::warn!(message = status.message(), "a chat message was not sent");
                }
            }
            let _ = announce(&rooms, Kind::Left, user, String::new()).await;
            let _ = left.send(());
        });

        let (sender, stream) = Streaming::channel(16);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    // Events first: the client's own `LEFT` comes before the end.
                    biased;
                    event = events.recv() => {
                        let Some(event) = event else { break };
                        if sender.send(event.decode::<ChatEvent>()).await.is_err() {
                            break; // the client went away
                        }
                    }
                    _ = &mut gone => break,
                }
            }
        });
        Ok(stream)
    }

    async fn listen(&self, _req: Listen) -> Result<Streaming<ChatEvent>, Status> {
        let mut events = self.rooms.subscribe(ROOM);
        let (sender, stream) = Streaming::channel(16);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if sender.send(event.decode::<ChatEvent>()).await.is_err() {
                    break; // the client went away
                }
            }
        });
        Ok(stream)
    }

    async fn say(&self, req: ChatMessage) -> Result<Said, Status> {
        if req.user.trim().is_empty() {
            return Err(Status::invalid_argument("a message names its `user`"));
        }
        self.announce(Kind::Message, &req.user, req.text).await?;
        Ok(Said {})
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rooms = match common::option("--redis") {
        Some(url) => Rooms::redis(&url).await?,
        None => Rooms::new(),
    };
    common::run(
        protoapi::Server::builder()
            .rooms(rooms.clone())
            .add(ChatServer::new(Room { rooms })),
        &["--redis"],
    )
    .await
}
