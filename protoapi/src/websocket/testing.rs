//! A WebSocket over an in-memory stream, for the unit tests of the writer and the call tasks:
//! the server's end is a real upgraded `WebSocket`, the client's a tokio-tungstenite stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::FromRequestParts as _;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::IntoResponse as _;
use futures_util::StreamExt as _;
use hyper_util::rt::TokioIo;
use tokio::io::DuplexStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The client's end of the connection.
pub(super) type Client = WebSocketStream<DuplexStream>;

/// A connection whose bytes pass through an in-memory pipe of `buffer` bytes each way.
pub(super) async fn connected(buffer: usize) -> (WebSocket, Client) {
    let (client_io, server_io) = tokio::io::duplex(buffer);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let sender = std::sync::Mutex::new(Some(sender));
    let service =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let sender = sender.lock().expect("not poisoned").take();
            async move {
                let (mut parts, _body) = request.into_parts();
                let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
                    .await
                    .expect("a WebSocket handshake");
                let response = upgrade.on_upgrade(move |websocket| async move {
                    if let Some(sender) = sender {
                        let _ = sender.send(websocket);
                    }
                });
                Ok::<_, Infallible>(response.into_response())
            }
        });
    tokio::spawn(
        hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(server_io), service)
            .with_upgrades(),
    );
    let (client, _) = tokio_tungstenite::client_async("ws://localhost/", client_io)
        .await
        .expect("the handshake succeeds");
    let server = receiver.await.expect("the connection is upgraded");
    (server, client)
}

/// The client's next text frame, or `None` if none arrives within a second.
pub(super) async fn next_text(client: &mut Client) -> Option<String> {
    match tokio::time::timeout(Duration::from_secs(1), client.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => Some(text.as_str().to_owned()),
        Ok(other) => panic!("expected a text frame, got {other:?}"),
        Err(_) => None,
    }
}

/// The texts of the client's next `n` frames.
pub(super) async fn texts(client: &mut Client, n: usize) -> Vec<String> {
    let mut texts = Vec::with_capacity(n);
    for _ in 0..n {
        texts.push(next_text(client).await.expect("a frame"));
    }
    texts
}
