//! Many clients sending maximum-size messages at once on every transport cannot grow the
//! server's memory past its budget plus a constant: the `greeter` example runs in its own
//! process with `--memory 32 MiB`, and 16 clients per transport (HTTP JSON, Connect, gRPC,
//! WebSocket) each send a 4 MiB message (the body limit) at the same time, 256 MiB in all. Every
//! call either completes or gets the budget's refusal (WebSocket: close code 1013), and the
//! example's peak resident memory
//! above idle stays under the budget plus [`CONSTANT`]. Its own test binary, so that nothing else
//! runs beside it.

mod support;

use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

use support::examples::hello::{GreeterClient, HelloRequest};
use support::examples::start_with;

const BUDGET: usize = 32 << 20;
/// What the server holds beyond its budget: decoded requests inside the methods and their
/// answers being written, which the budget does not count (docs/reliability.md).
const CONSTANT: u64 = 64 << 20;
const CLIENTS: usize = 16;
/// A 4 MiB body, less room for the JSON around the name.
const NAME: usize = (4 << 20) - 64;
/// A file whose base64 in a JSON frame is just under the 4 MiB message cap.
const FILE: usize = (3 << 20) - 3072;

/// `VmHWM` (the peak) or `VmRSS` (now) of a process, in bytes.
fn memory(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("{key} in /proc/{pid}/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("a number");
    kib * 1024
}

/// How a call ended: done, or refused by the budget as the transport documents it.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Refused,
}

/// `the server's memory budget is exhausted: N bytes more would cross 33554432 (M in use); try
/// again later`, with N and M what the server saw.
fn refusal_message(message: &str) -> bool {
    message.starts_with("the server's memory budget is exhausted: ")
        && message.contains(&format!(" bytes more would cross {BUDGET} ("))
        && message.ends_with(" in use); try again later")
}

async fn http_json(url: String, body: bytes::Bytes) -> Outcome {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("HTTP answer");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").cloned();
    let body = response.bytes().await.expect("answer");
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON answer");
    match status {
        200 => {
            assert_eq!(body["message"].as_str().map(str::len), Some(NAME + 6));
            Outcome::Done
        }
        503 => {
            assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
            assert_eq!(body["code"], "resource_exhausted", "{body}");
            let message = body["message"].as_str().expect("message");
            assert!(refusal_message(message), "{message}");
            Outcome::Refused
        }
        other => panic!("HTTP {other}: {body}"),
    }
}

async fn grpc(url: String, name: String) -> Outcome {
    let client = GreeterClient::connect(url).await.expect("connect");
    match client.say_hello(HelloRequest { name }).await {
        Ok(reply) => {
            assert_eq!(reply.into_inner().message.len(), NAME + 6);
            Outcome::Done
        }
        Err(status) => {
            assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
            assert!(refusal_message(status.message()), "{}", status.message());
            Outcome::Refused
        }
    }
}

async fn websocket(url: String, message: String) -> Outcome {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("WebSocket");
    ws.send(Message::text(message)).await.expect("send");
    let answer = match tokio::time::timeout(Duration::from_secs(60), ws.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => text,
        // Past the budget while the message is read from the socket.
        Ok(Some(Ok(Message::Close(Some(close))))) => {
            assert_eq!(u16::from(close.code), 1013);
            assert_eq!(
                close.reason.as_str(),
                "the server's memory budget is exhausted"
            );
            return Outcome::Refused;
        }
        other => panic!("no answer frame: {other:?}"),
    };
    let answer: serde_json::Value = serde_json::from_str(answer.as_str()).expect("JSON frame");
    assert_eq!(
        answer["data"]["status"],
        format!("received big.bin ({FILE} bytes)"),
        "{answer}"
    );
    Outcome::Done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_maximum_size_messages_stay_within_the_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir_arg = dir.path().to_str().expect("UTF-8 path");
    let greeter = start_with(
        "greeter",
        &["--memory", &BUDGET.to_string(), "--dir", dir_arg],
    );
    let pid = greeter.pid();
    let name = "x".repeat(NAME);
    let json = bytes::Bytes::from(format!(r#"{{"name":"{name}"}}"#));
    let file = base64::engine::general_purpose::STANDARD.encode(vec![7u8; FILE]);
    let upload =
        format!(r#"{{"id":1,"data":{{"testFile":{{"name":"big.bin","data":"{file}"}}}}}}"#);
    let ws_url = format!("{}/demo/upload", greeter.url.replacen("http", "ws", 1));

    // One call of each kind first, so that idle memory includes what the first call sets up.
    assert_eq!(
        http_json(
            format!("{}/hello/greeter/say_hello", greeter.url),
            json.clone()
        )
        .await,
        Outcome::Done
    );
    assert_eq!(grpc(greeter.url.clone(), name.clone()).await, Outcome::Done);
    assert_eq!(
        websocket(ws_url.clone(), upload.clone()).await,
        Outcome::Done
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = memory(pid, "VmRSS:");
    // Resets the peak (`VmHWM`) to the memory now, so that the warm-up's peak is not counted.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("clear_refs");

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        calls.spawn(http_json(
            format!("{}/hello/greeter/say_hello", greeter.url),
            json.clone(),
        ));
        calls.spawn(http_json(
            format!("{}/hello.Greeter/SayHello", greeter.url),
            json.clone(),
        ));
        calls.spawn(grpc(greeter.url.clone(), name.clone()));
        calls.spawn(websocket(ws_url.clone(), upload.clone()));
    }
    let (mut done, mut refused) = (0, 0);
    while let Some(outcome) = calls.join_next().await {
        match outcome.expect("a call panicked") {
            Outcome::Done => done += 1,
            Outcome::Refused => refused += 1,
        }
    }
    let peak = memory(pid, "VmHWM:");
    let growth = peak.saturating_sub(idle);
    println!(
        "{done} done, {refused} refused; idle {} MiB, peak {} MiB, growth {} MiB (budget {} MiB)",
        idle >> 20,
        peak >> 20,
        growth >> 20,
        BUDGET >> 20
    );
    assert_eq!(done + refused, 4 * CLIENTS);
    assert!(done > 0, "every call was refused");
    assert!(
        growth < BUDGET as u64 + CONSTANT,
        "resident memory grew by {} MiB with a budget of {} MiB",
        growth >> 20,
        BUDGET >> 20
    );
}
