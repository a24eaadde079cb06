//! Starting servers and calling them.

use std::net::SocketAddr;

use bytes::{Buf as _, Bytes};
use protoapi::ServerBuilder;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server on an ephemeral port, stopped when dropped or with [`TestServer::shutdown`].
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), protoapi::Error>>>,
}

impl TestServer {
    pub async fn start(builder: ServerBuilder) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(builder.serve_listener(listener, async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting and waits for the server to finish.
    pub async fn shutdown(mut self) -> Result<(), protoapi::Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP answer: status, content type and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("HTTP request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = response.text().await.expect("body");
    Answer {
        status,
        content_type,
        headers,
        body,
    }
}

/// POSTs a JSON body.
pub async fn post_json(url: &str, body: &str) -> Answer {
    send(
        reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

/// A length-prefixed message, as gRPC frames and Connect envelopes are: a flags byte, the length
/// as four big-endian bytes, the message.
pub fn envelope(flags: u8, message: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(message.len() + 5);
    out.push(flags);
    out.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    out.extend_from_slice(message);
    out.into()
}

/// The length-prefixed messages of a body (gRPC-Web frames, Connect envelopes): (flags, message).
pub fn frames(mut body: Bytes) -> Vec<(u8, Bytes)> {
    let mut out = Vec::new();
    while body.remaining() >= 5 {
        let flag = body.get_u8();
        let len = body.get_u32() as usize;
        out.push((flag, body.split_to(len)));
    }
    assert!(body.is_empty(), "trailing bytes");
    out
}
