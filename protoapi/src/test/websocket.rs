//! [`TestWebSocket`]: a WebSocket client of a [`TestClient`](super::TestClient)'s server.

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::TestError;

/// A WebSocket opened by [`TestClient::websocket`](super::TestClient::websocket): send frames,
/// read what the server sends.
pub struct TestWebSocket {
    socket: WebSocketStream<DuplexStream>,
}

impl std::fmt::Debug for TestWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestWebSocket").finish_non_exhaustive()
    }
}

/// What the server sent, frame by frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Bytes),
    /// The close frame: its code and reason (1005 and empty when it had none).
    Close(u16, String),
}

impl TestWebSocket {
    /// Opens the WebSocket at `path` over `io`.
    pub(super) async fn open(
        io: DuplexStream,
        authority: &str,
        path: &str,
    ) -> Result<Self, TestError> {
        let url = format!("ws://{authority}{path}");
        let (socket, _) = tokio_tungstenite::client_async(url, io)
            .await
            .map_err(TestError::new)?;
        Ok(TestWebSocket { socket })
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: impl Into<String>) -> Result<(), TestError> {
        let text: String = text.into();
        self.socket
            .send(Message::text(text))
            .await
            .map_err(TestError::new)
    }

    /// Sends a JSON value as a text frame.
    pub async fn send_json(&mut self, value: &serde_json::Value) -> Result<(), TestError> {
        self.send_text(value.to_string()).await
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: impl Into<Bytes>) -> Result<(), TestError> {
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(TestError::new)
    }

    /// The next frame the server sent (pings and pongs skipped); `None` once the socket ended.
    pub async fn receive(&mut self) -> Option<Result<Received, TestError>> {
        loop {
            let message = match self.socket.next().await? {
                Ok(message) => message,
                Err(error) => return Some(Err(TestError::new(error))),
            };
            return Some(Ok(match message {
                Message::Text(text) => Received::Text(text.as_str().to_owned()),
                Message::Binary(bytes) => Received::Binary(bytes),
                Message::Close(frame) => {
                    let (code, reason) = frame.map_or((1005, String::new()), close_parts);
                    Received::Close(code, reason)
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            }));
        }
    }

    /// The next frame, which must be text.
    pub async fn receive_text(&mut self) -> Result<String, TestError> {
        match self.receive().await {
            Some(Ok(Received::Text(text))) => Ok(text),
            Some(Ok(other)) => Err(TestError::new(format!(
                "expected a text frame, got {other:?}"
            ))),
            Some(Err(error)) => Err(error),
            None => Err(TestError::new("the WebSocket ended")),
        }
    }

    /// The next frame, which must be text holding JSON.
    pub async fn receive_json(&mut self) -> Result<serde_json::Value, TestError> {
        let text = self.receive_text().await?;
        serde_json::from_str(&text).map_err(TestError::new)
    }

    /// Closes the WebSocket (code 1000).
    pub async fn close(&mut self) -> Result<(), TestError> {
        self.socket.close(None).await.map_err(TestError::new)
    }
}

/// A close frame's code and reason.
fn close_parts(frame: CloseFrame) -> (u16, String) {
    (u16::from(frame.code), frame.reason.as_str().to_owned())
}
