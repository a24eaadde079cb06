//! Rooms and broadcast: a Socket.IO caller joins a room and hears what is sent to it as an
//! event; a subscription turns the room into a stream on any transport; callers without a
//! connection that joins rooms get `failed_precondition`.

use protoapi::{Context, Rooms, Status, Streaming};
use rust_socketio::TransportType;
use serde_json::json;

use crate::socketio::connect;
use crate::support::TestServer;
use crate::support::server::post_json;
use crate::support::websocket;

/// A room's name.
#[protoapi::message]
pub struct Door {
    pub room: String,
}

/// Something said in a room, or to everyone when `room` is empty.
#[protoapi::message]
pub struct Shout {
    pub room: String,
    pub text: String,
}

/// What a listener hears.
#[protoapi::message]
pub struct Note {
    pub text: String,
}

#[protoapi::message]
pub struct Done {}

#[protoapi::service(package = "lab.rooms", socketio)]
pub trait Lobby {
    /// Puts the caller in a room.
    async fn enter(&self, ctx: Context, door: Door) -> Result<Done, Status>;
    /// Takes the caller out of a room.
    async fn exit(&self, ctx: Context, door: Door) -> Result<Done, Status>;
    /// Sends to a room, or to everyone.
    async fn shout(&self, shout: Shout) -> Result<Done, Status>;
    /// Sends to the caller alone, as the `whisper` event.
    async fn whisper(&self, ctx: Context, note: Note) -> Result<Done, Status>;
    /// `listening` once subscribed, then every note sent to the room, as a stream.
    #[protoapi(websocket = "/lab/rooms/listen")]
    async fn listen(&self, door: Door) -> Result<Streaming<Note>, Status>;
}

struct LobbyImpl {
    rooms: Rooms,
}

impl Lobby for LobbyImpl {
    async fn enter(&self, ctx: Context, door: Door) -> Result<Done, Status> {
        ctx.join(&door.room)?;
        Ok(Done {})
    }

    async fn exit(&self, ctx: Context, door: Door) -> Result<Done, Status> {
        ctx.leave(&door.room)?;
        Ok(Done {})
    }

    async fn shout(&self, shout: Shout) -> Result<Done, Status> {
        let note = Note { text: shout.text };
        if shout.room.is_empty() {
            self.rooms.everyone().emit("note", &note).await?;
        } else {
            self.rooms.to(shout.room).emit("note", &note).await?;
        }
        Ok(Done {})
    }

    async fn whisper(&self, ctx: Context, note: Note) -> Result<Done, Status> {
        ctx.emit("whisper", &note)?;
        Ok(Done {})
    }

    async fn listen(&self, door: Door) -> Result<Streaming<Note>, Status> {
        let mut subscription = self.rooms.subscribe(door.room);
        let (sender, stream) = Streaming::channel(16);
        let listening = Note {
            text: "listening".to_owned(),
        };
        tokio::spawn(async move {
            if sender.send(Ok(listening)).await.is_err() {
                return;
            }
            while let Some(broadcast) = subscription.recv().await {
                if sender.send(broadcast.decode::<Note>()).await.is_err() {
                    break;
                }
            }
        });
        Ok(stream)
    }
}

async fn lobby() -> TestServer {
    let rooms = Rooms::new();
    TestServer::start(
        protoapi::Server::builder()
            .rooms(rooms.clone())
            .add(LobbyServer::new(LobbyImpl { rooms })),
    )
    .await
}

#[tokio::test]
async fn a_socket_in_a_room_hears_the_room_and_everyone() {
    let server = lobby().await;
    let url = server.url("/");
    let mut red = connect(&url, TransportType::Websocket).await;
    let mut other = connect(&url, TransportType::Polling).await;
    assert_eq!(
        red.call("enter", json!({"room": "red"})).await,
        json!({"data": {}})
    );

    assert_eq!(
        other
            .call("shout", json!({"room": "red", "text": "to red"}))
            .await,
        json!({"data": {}})
    );
    assert_eq!(
        red.next_event().await,
        ("note".to_owned(), json!({"text": "to red"}))
    );
    // Without an ack, the empty answer is not emitted back: the next event is the note.
    other
        .emit("shout", json!({"room": "", "text": "to all"}))
        .await;
    // The socket outside the room hears only what went to everyone.
    assert_eq!(
        other.next_event().await,
        ("note".to_owned(), json!({"text": "to all"}))
    );
    assert_eq!(
        red.next_event().await,
        ("note".to_owned(), json!({"text": "to all"}))
    );

    assert_eq!(
        red.call("exit", json!({"room": "red"})).await,
        json!({"data": {}})
    );
    other
        .call("shout", json!({"room": "red", "text": "gone"}))
        .await;
    other
        .call("shout", json!({"room": "", "text": "last"}))
        .await;
    assert_eq!(
        red.next_event().await,
        ("note".to_owned(), json!({"text": "last"}))
    );
    red.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_caller_hears_its_own_event() {
    let server = lobby().await;
    let mut sio = connect(&server.url("/"), TransportType::Websocket).await;
    assert_eq!(
        sio.call("whisper", json!({"text": "psst"})).await,
        json!({"data": {}})
    );
    assert_eq!(
        sio.next_event().await,
        ("whisper".to_owned(), json!({"text": "psst"}))
    );
    sio.close().await;
}

#[tokio::test]
async fn a_subscription_streams_the_room_over_a_websocket_and_socketio() {
    let server = lobby().await;
    let mut ws = websocket::connect(&server, "/lab/rooms/listen").await;
    websocket::send_json(&mut ws, json!({"id": 1, "data": {"room": "blue"}})).await;
    assert_eq!(
        websocket::next_json(&mut ws).await,
        json!({"id": 1, "data": {"text": "listening"}})
    );
    let mut sio = connect(&server.url("/"), TransportType::Websocket).await;
    // A Socket.IO call of the streaming method: its items come back as the `listen` event.
    sio.emit("listen", json!({"room": "blue"})).await;
    assert_eq!(
        sio.next_event().await,
        ("listen".to_owned(), json!({"data": {"text": "listening"}}))
    );
    let answer = post_json(
        &server.url("/lab.rooms.Lobby/Shout"),
        r#"{"room":"blue","text":"hello blue"}"#,
    )
    .await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "{}"));
    assert_eq!(
        websocket::next_json(&mut ws).await,
        json!({"id": 1, "data": {"text": "hello blue"}})
    );
    assert_eq!(
        sio.next_event().await,
        ("listen".to_owned(), json!({"data": {"text": "hello blue"}}))
    );
    sio.close().await;
}

#[tokio::test]
async fn joining_without_a_socket_is_a_failed_precondition() {
    let server = lobby().await;
    let answer = post_json(&server.url("/lab.rooms.Lobby/Enter"), r#"{"room":"red"}"#).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({
            "code": "failed_precondition",
            "message": "a Connect caller has no connection that joins rooms: a Socket.IO socket \
                        does; on other transports, a streaming method listens with \
                        Rooms::subscribe",
            "details": []
        })
    );
}
