//! With `debug` logs on, every request goes through `TraceLayer` (otherwise gRPC calls skip the
//! router): both transports are logged and answered alike. Its own test binary, so that its
//! global subscriber is the process's only one.

mod support;

use std::sync::{Arc, Mutex};

use support::lab::{Empty, lab_client, lab_server};

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

    let server = lab_server().await;

    let answer = reqwest::Client::new()
        .post(server.url("/test.v1/lab/whoami"))
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

    let client = lab_client(&server).await;
    let seen = client
        .whoami(protoapi::Request::new(Empty))
        .await
        .expect("gRPC call")
        .into_inner();
    assert_eq!(
        (seen.transport.as_str(), seen.peer_ip.as_str()),
        ("grpc", "127.0.0.1")
    );

    let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("UTF-8");
    for uri in [
        "uri=/test.v1/lab/whoami",
        "/test.v1.Lab/Whoami version=HTTP/2.0",
    ] {
        assert!(
            text.lines()
                .any(|line| line.contains(uri) && line.contains("finished processing request")),
            "no log of {uri} in:\n{text}"
        );
    }
}
