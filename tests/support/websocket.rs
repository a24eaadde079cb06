//! WebSocket clients: the handshake, and sending and reading frames.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use prost::Message as _;
use protoapi::Frame;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::server::TestServer;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(server: &TestServer, path: &str) -> Ws {
    let url = format!("ws://{}{path}", server.addr);
    let (ws, response) = tokio_tungstenite::connect_async(url)
        .await
        .expect("WebSocket handshake");
    assert_eq!(response.status().as_u16(), 101);
    ws
}

pub async fn send_text(ws: &mut Ws, text: impl Into<String>) {
    ws.send(Message::text(text.into())).await.expect("send");
}

pub async fn send_json(ws: &mut Ws, value: Value) {
    send_text(ws, value.to_string()).await;
}

/// The next message other than a ping or pong.
pub async fn next(ws: &mut Ws) -> Message {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("the connection is open")
            .expect("a valid frame");
        if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
            return message;
        }
    }
}

pub async fn next_json(ws: &mut Ws) -> Value {
    match next(ws).await {
        Message::Text(text) => serde_json::from_str(text.as_str()).expect("JSON frame"),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

pub async fn next_text(ws: &mut Ws) -> String {
    match next(ws).await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next message, a binary `protoapi.Frame`.
pub async fn next_frame(ws: &mut Ws) -> Frame {
    match next(ws).await {
        Message::Binary(bytes) => Frame::decode(bytes).expect("a protoapi.Frame"),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}
