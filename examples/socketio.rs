//! The Socket.IO server of the comparison protoapi grew from
//! (`rpc-styles-comparison.md`: a Node server and a python-socketio server), its events as a
//! trait: package `comparison`, trait `Events`. Each method is the event of its name; the
//! requests are any JSON (`protoapi::Value`), as the comparison's clients send bare strings and
//! dicts.
//!
//! ```sh
//! cargo run --example socketio
//! ```
//!
//! The comparison's python-socketio client runs against it as written, with its URL
//! `http://127.0.0.1:8080`:
//!
//! ```python
//! await sio.send('Hello guys. ')                              # every client gets `message` {'a': 'messagetest'}
//! await sio.send({'msg': 'use message channel 2 send data'})  # the same
//! await sio.emit('msg', 'use msg channel 2 send data')        # the caller gets `message` 'resend use msg ...'
//! ```
//!
//! With `--redis redis://HOST:PORT/`, every instance started so shares its sockets: a
//! `message` sent to one reaches the clients of all. The methods are also served over HTTP,
//! gRPC and Connect, where the broadcasts reach the Socket.IO clients just the same.

mod common;

use protoapi::{Context, Rooms, Status, Value};

/// What a method answers: nothing, so a Socket.IO client without an ack is sent nothing back.
#[protoapi::message]
pub struct Done {}

/// The comparison's events.
#[protoapi::service(package = "comparison", socketio, graphql)]
pub trait Events {
    /// `send(data)`: tells every client `message` `{"a": "messagetest"}`.
    async fn message(&self, data: Value) -> Result<Done, Status>;
    /// `emit('login', data)`: tells every client `login` `{"a": "logintest"}`.
    async fn login(&self, data: Value) -> Result<Done, Status>;
    /// `emit('msg', data)`: answers the caller on the `message` event with `resend <data>`.
    async fn msg(&self, ctx: Context, data: Value) -> Result<Done, Status>;
    /// `emit('reply', data)`: tells every client `reply`.
    async fn reply(&self, data: Value) -> Result<Done, Status>;
}

struct Comparison {
    rooms: Rooms,
}

impl Events for Comparison {
    async fn message(&self, data: Value) -> Result<Done, Status> {
        tracing::info!(%data, "get message and return to client...");
        let answer = Value::from(serde_json::json!({"a": "messagetest"}));
        self.rooms.everyone().emit("message", &answer).await?;
        Ok(Done {})
    }

    async fn login(&self, data: Value) -> Result<Done, Status> {
        tracing::info!(%data, "get login data and return to client...");
        let answer = Value::from(serde_json::json!({"a": "logintest"}));
        self.rooms.everyone().emit("login", &answer).await?;
        Ok(Done {})
    }

    async fn msg(&self, ctx: Context, data: Value) -> Result<Done, Status> {
        tracing::info!(%data, "received a message at the msg event");
        // A string is said as it is, anything else as its JSON.
        let said = match data.as_str() {
            Some(text) => text.to_owned(),
            None => data.to_string(),
        };
        ctx.emit("message", &format!("resend {said}"))?;
        Ok(Done {})
    }

    async fn reply(&self, data: Value) -> Result<Done, Status> {
        tracing::info!(%data, "received at the reply event");
        self.rooms
            .everyone()
            .emit("reply", &Value::default())
            .await?;
        Ok(Done {})
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
            .add(EventsServer::new(Comparison { rooms })),
        &["--redis"],
    )
    .await
}
