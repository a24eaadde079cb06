//! With `debug` logs on, every request goes through `TraceLayer` (otherwise gRPC calls skip the
//! router): both transports are logged and answered alike. Its own test binary, so that its
//! global subscriber is the process's only one.

use std::sync::{Arc, Mutex};

use protoapi::{Context, Status, Transport};

#[protoapi::message]
pub struct Empty {}

#[protoapi::message]
pub struct Seen {
    pub transport: String,
    pub peer_ip: String,
}

#[protoapi::service(package = "logs")]
pub trait Peers {
    async fn who(&self, ctx: Context, req: Empty) -> Result<Seen, Status>;
}

struct PeersImpl;

impl Peers for PeersImpl {
    async fn who(&self, ctx: Context, _req: Empty) -> Result<Seen, Status> {
        Ok(Seen {
            transport: match ctx.transport() {
                Transport::Grpc => "grpc".into(),
                Transport::Http => "http".into(),
                other => format!("{other:?}"),
            },
            peer_ip: ctx
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
        })
    }
}

/// A `Write` into a buffer the test reads afterwards.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_are_logged_at_debug_and_answered_alike() {
    let logs = Logs::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .expect("the only subscriber");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(
        protoapi::Server::builder()
            .add(PeersServer::new(PeersImpl))
            .serve_listener(listener, std::future::pending()),
    );

    let answer = reqwest::Client::new()
        .post(format!("http://{addr}/logs/peers/who"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("HTTP call");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"transport":"http","peerIp":"127.0.0.1"}"#
    );

    let client = PeersClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let seen = client
        .who(protoapi::Request::new(Empty {}))
        .await
        .expect("gRPC call")
        .into_inner();
    assert_eq!(
        (seen.transport.as_str(), seen.peer_ip.as_str()),
        ("grpc", "127.0.0.1")
    );

    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("UTF-8");
    for uri in ["uri=/logs/peers/who", "/logs.Peers/Who version=HTTP/2.0"] {
        assert!(
            text.lines()
                .any(|line| line.contains(uri) && line.contains("finished processing request")),
            "no log of {uri} in:\n{text}"
        );
    }
    server.abort();
}
