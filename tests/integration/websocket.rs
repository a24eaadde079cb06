//! WebSocket endpoints: frames in JSON and protobuf, pipelining, errors, limits, sockets.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use prost::Message as _;
use protoapi::{Frame, FrameError, Server, WebSocketConfig};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::streams::{Num, StreamsImpl, streams_server};
use crate::support::websocket::{
    Ws, connect, next, next_frame, next_json, next_text, send_json, send_text,
};
use crate::support::{TestServer, send};

/// Sends a binary frame calling with `Num { n, tag }`.
async fn send_proto(ws: &mut Ws, id: &str, n: i32, tag: &str) {
    let request = Frame {
        id: id.into(),
        data: Some(Num { n, tag: tag.into() }.encode_to_vec().into()),
        ..Frame::default()
    };
    ws.send(Message::binary(request.encode_to_vec()))
        .await
        .expect("send");
}

async fn lab() -> (TestServer, StreamsImpl) {
    streams_server(Server::builder()).await
}

#[tokio::test]
async fn a_unary_call_in_json() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/echo").await;
    send_text(&mut ws, r#"{"id": 7, "data": {"n": 21}}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":7,"data":{"n":42,"tag":"ws"}}"#
    );
    // A string id, and no id at all.
    send_text(&mut ws, r#"{"id": "a", "data": {"n": 1}}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":"a","data":{"n":2,"tag":"ws"}}"#
    );
    send_text(&mut ws, r#"{"data": {"n": 2}}"#).await;
    assert_eq!(next_text(&mut ws).await, r#"{"data":{"n":4,"tag":"ws"}}"#);
    // An id is free again as soon as its answer arrives.
    for n in 1..=200 {
        send_json(&mut ws, json!({"id": 1, "data": {"n": n}})).await;
        assert_eq!(
            next_json(&mut ws).await,
            json!({"id": 1, "data": {"n": n * 2, "tag": "ws"}})
        );
    }
}

#[tokio::test]
async fn a_unary_call_in_protobuf() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/echo").await;
    send_proto(&mut ws, "p1", 5, "bin").await;
    let answer = next_frame(&mut ws).await;
    assert_eq!(answer.id, "p1");
    assert!(!answer.end);
    assert_eq!(answer.error, None);
    let num = Num::decode(answer.data.expect("data")).expect("Num");
    assert_eq!(
        num,
        Num {
            n: 10,
            tag: "bin/ws".into()
        }
    );
    // An error in protobuf.
    send_proto(&mut ws, "p2", -1, "").await;
    let answer = next_frame(&mut ws).await;
    assert_eq!(
        answer,
        Frame {
            id: "p2".into(),
            error: Some(FrameError {
                code: "invalid_argument".into(),
                message: "n must not be negative".into(),
                ..FrameError::default()
            }),
            ..Frame::default()
        }
    );
    // Bytes that are no frame.
    ws.send(Message::binary(vec![0xff, 0xff, 0xff]))
        .await
        .expect("send");
    let answer = next_frame(&mut ws).await;
    assert_eq!(answer.id, "");
    assert_eq!(
        answer.error.map(|e| (e.code, e.message)),
        Some((
            "invalid_argument".to_owned(),
            "invalid frame: not a protoapi.Frame: failed to decode Protobuf message: invalid varint".to_owned()
        ))
    );
}

#[tokio::test]
async fn errors_do_not_close_the_connection() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/echo").await;
    send_json(&mut ws, json!({"id": 1, "data": {"n": -4}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":1,"error":{"code":"invalid_argument","message":"n must not be negative"}}"#
    );
    send_text(&mut ws, "not json").await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"error":{"code":"invalid_argument","message":"invalid frame: expected ident at line 1 column 2"}}"#
    );
    send_text(&mut ws, r#"{"id": 2, "dat": {}}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"error":{"code":"invalid_argument","message":"invalid frame: unknown field `dat`, expected one of `id`, `method`, `data`, `end`, `file` at line 1 column 15"}}"#
    );
    send_text(&mut ws, r#"{"id": true, "data": {}}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"error":{"code":"invalid_argument","message":"invalid frame: invalid type: boolean `true`, expected an integer or a string at line 1 column 11"}}"#
    );
    send_json(&mut ws, json!({"id": 3, "data": {"n": "x"}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":3,"error":{"code":"invalid_argument","message":"invalid JSON at `n`: invalid value: string \"x\", expected a 32-bit integer (a number or a string) at line 1 column 8"}}"#
    );
    send_json(
        &mut ws,
        json!({"id": 4, "method": "Count", "data": {"n": 1}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":4,"error":{"code":"invalid_argument","message":"this socket serves `Echo`, not `Count`"}}"#
    );
    // A panic is `internal`, without its message.
    send_json(&mut ws, json!({"id": 5, "data": {"n": 666}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":5,"error":{"code":"internal","message":"internal error"}}"#
    );
    send_json(&mut ws, json!({"id": 6, "data": {"n": 3}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":6,"data":{"n":6,"tag":"ws"}}"#
    );
}

#[tokio::test]
async fn a_thousand_pipelined_calls() {
    let (server, _) = lab().await;
    let ws = connect(&server, "/lab/echo").await;
    let (mut sink, mut stream) = ws.split();
    let writer = tokio::spawn(async move {
        for i in 0..1000 {
            let frame = json!({"id": i, "data": {"n": 3 * i + 1}}).to_string();
            sink.send(Message::text(frame)).await.expect("send");
        }
        sink
    });
    let mut seen = vec![false; 1000];
    for _ in 0..1000 {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an answer")
            .expect("open")
            .expect("valid");
        let Message::Text(text) = message else {
            panic!("not text: {message:?}")
        };
        let answer: Value = serde_json::from_str(text.as_str()).expect("JSON");
        let id = answer["id"].as_u64().expect("numeric id") as usize;
        assert_eq!(
            answer["data"]["n"],
            json!((3 * id + 1) * 2),
            "answer to {id}"
        );
        assert!(!seen[id], "answered twice: {id}");
        seen[id] = true;
    }
    assert!(seen.iter().all(|s| *s));
    let _ = writer.await.expect("writer");
}

#[tokio::test]
async fn get_and_websocket_share_a_path() {
    let (server, _) = lab().await;
    let answer = send(reqwest::Client::new().get(server.url("/lab/echo?n=4&tag=q"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, r#"{"n":8,"tag":"q/http"}"#);
    // The handshake's query fills every request; the frame's data wins over it.
    let mut ws = connect(&server, "/lab/echo?tag=q&n=1").await;
    send_json(&mut ws, json!({"id": 1, "data": {}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":1,"data":{"n":2,"tag":"q/ws"}}"#
    );
    send_json(&mut ws, json!({"id": 2, "data": {"n": 5}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":2,"data":{"n":10,"tag":"q/ws"}}"#
    );
    // A path that only serves a WebSocket asks for the upgrade.
    let answer = send(reqwest::Client::new().get(server.url("/lab/sum"))).await;
    assert_eq!(answer.status, 426);
    assert_eq!(
        answer.body,
        r#"{"code":"failed_precondition","message":"this path serves a WebSocket: send a GET with `Upgrade: websocket`","details":[]}"#
    );
    let answer = send(reqwest::Client::new().post(server.url("/lab/sum"))).await;
    assert_eq!(answer.status, 405);
    assert_eq!(
        answer
            .headers
            .get("allow")
            .map(|v| v.to_str().expect("ascii")),
        Some("GET, HEAD")
    );
}

#[tokio::test]
async fn server_streams_end_with_end_or_error() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/count").await;
    send_json(&mut ws, json!({"id": 1, "data": {"n": 3}})).await;
    for n in 1..=3 {
        assert_eq!(
            next_text(&mut ws).await,
            format!(r#"{{"id":1,"data":{{"n":{n}}}}}"#)
        );
    }
    assert_eq!(next_text(&mut ws).await, r#"{"id":1,"end":true}"#);
    send_json(&mut ws, json!({"id": 2, "data": {"n": 13}})).await;
    for n in 1..=3 {
        assert_eq!(
            next_text(&mut ws).await,
            format!(r#"{{"id":2,"data":{{"n":{n}}}}}"#)
        );
    }
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":2,"error":{"code":"failed_precondition","message":"unlucky"}}"#
    );
    // An empty stream ends at once.
    send_json(&mut ws, json!({"id": 3, "data": {"n": 0}})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":3,"end":true}"#);
}

/// A stream of many batches of frames, and of several of the writer's 64 KiB turns, arrives
/// whole and in order, in JSON and in binary, each frame exactly as a single answer would be.
#[tokio::test]
async fn long_streams_arrive_frame_by_frame_in_order() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/count").await;
    send_json(&mut ws, json!({"id": "long", "data": {"n": 5000}})).await;
    for n in 1..=5000 {
        assert_eq!(
            next_text(&mut ws).await,
            format!(r#"{{"id":"long","data":{{"n":{n}}}}}"#)
        );
    }
    assert_eq!(next_text(&mut ws).await, r#"{"id":"long","end":true}"#);

    send_proto(&mut ws, "bin", 5000, "").await;
    for n in 1..=5000 {
        let frame = next_frame(&mut ws).await;
        assert_eq!(frame.id, "bin");
        assert_eq!(
            Num::decode(frame.data.expect("data")).expect("a Num"),
            Num {
                n,
                tag: String::new()
            }
        );
        assert!(!frame.end && frame.error.is_none());
    }
    let end = next_frame(&mut ws).await;
    assert_eq!((end.id.as_str(), end.end, end.data), ("bin", true, None));
}

#[tokio::test]
async fn client_streams_and_bidirectional_streams() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/sum").await;
    send_json(&mut ws, json!({"id": "s", "data": {"n": 1}})).await;
    send_json(&mut ws, json!({"id": "s", "data": {"n": 2}})).await;
    send_json(&mut ws, json!({"id": "s", "data": {"n": 3}, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":"s","data":{"n":6}}"#);
    // Two client streams at once, one ended by a frame of its own.
    send_json(&mut ws, json!({"id": 1, "data": {"n": 10}})).await;
    send_json(&mut ws, json!({"id": 2, "data": {"n": 20}})).await;
    send_json(&mut ws, json!({"id": 1, "data": {"n": 5}})).await;
    send_json(&mut ws, json!({"id": 2, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":2,"data":{"n":20}}"#);
    send_json(&mut ws, json!({"id": 1, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":1,"data":{"n":15}}"#);
    // A stream with no message.
    send_json(&mut ws, json!({"id": 3, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":3,"data":{}}"#);
    // A request that does not decode fails the stream.
    send_json(&mut ws, json!({"id": 4, "data": {"n": 1}})).await;
    send_json(&mut ws, json!({"id": 4, "data": {"n": []}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":4,"error":{"code":"invalid_argument","message":"invalid JSON at `n`: invalid type: sequence, expected a 32-bit integer (a number or a string) at line 1 column 7"}}"#
    );

    let mut ws = connect(&server, "/lab/doubles").await;
    send_json(&mut ws, json!({"id": 9, "data": {"n": 1}})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":9,"data":{"n":2}}"#);
    send_json(&mut ws, json!({"id": 9, "data": {"n": 21, "tag": "t"}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":9,"data":{"n":42,"tag":"t"}}"#
    );
    send_json(&mut ws, json!({"id": 9, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":9,"end":true}"#);
}

#[tokio::test]
async fn the_service_socket_reaches_every_method() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/socket").await;
    send_json(
        &mut ws,
        json!({"id": 1, "method": "Echo", "data": {"n": 2}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":1,"data":{"n":4,"tag":"ws"}}"#
    );
    send_json(
        &mut ws,
        json!({"id": 2, "method": "Count", "data": {"n": 2}}),
    )
    .await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":2,"data":{"n":1}}"#);
    assert_eq!(next_text(&mut ws).await, r#"{"id":2,"data":{"n":2}}"#);
    assert_eq!(next_text(&mut ws).await, r#"{"id":2,"end":true}"#);
    // Later frames of a client stream need not repeat the method.
    send_json(&mut ws, json!({"id": 3, "method": "Sum", "data": {"n": 2}})).await;
    send_json(&mut ws, json!({"id": 3, "data": {"n": 40}, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":3,"data":{"n":42}}"#);
    send_json(&mut ws, json!({"id": 4, "method": "Nope", "data": {}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":4,"error":{"code":"unimplemented","message":"unknown method `Nope`; this socket serves Echo, Count, Sum, Doubles, Forever"}}"#
    );
    send_json(&mut ws, json!({"id": 5, "data": {}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":5,"error":{"code":"invalid_argument","message":"the first frame of a call names its `method`"}}"#
    );
    // A stream pushes while other calls go on, and `end` cancels it.
    send_json(&mut ws, json!({"id": "f", "method": "Forever", "data": {}})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":"f","data":{}}"#);
    send_json(
        &mut ws,
        json!({"id": 6, "method": "Echo", "data": {"n": 1}}),
    )
    .await;
    loop {
        let answer = next_json(&mut ws).await;
        if answer["id"] == json!(6) {
            assert_eq!(answer, json!({"id": 6, "data": {"n": 2, "tag": "ws"}}));
            break;
        }
        assert_eq!(answer["id"], json!("f"));
    }
    send_json(&mut ws, json!({"id": "f", "end": true})).await;
    loop {
        let answer = next_json(&mut ws).await;
        if answer.get("error").is_some() {
            assert_eq!(
                answer,
                json!({"id": "f", "error": {"code": "canceled", "message": "canceled by the client"}})
            );
            break;
        }
        assert_eq!(answer["id"], json!("f"));
    }
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let (server, _) =
        streams_server(Server::builder().limits(protoapi::Limits::default().body(1024))).await;
    let mut ws = connect(&server, "/lab/echo").await;
    let big = format!(r#"{{"data": {{"tag": "{}"}}}}"#, "x".repeat(2048));
    send_text(&mut ws, big).await;
    match next(&mut ws).await {
        Message::Close(Some(close)) => {
            assert_eq!(close.code, CloseCode::Size);
            assert_eq!(close.reason.as_str(), "message too big");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_message_over_its_method_limit_fails_the_call() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/socket").await;
    let big = "x".repeat(2000);
    send_json(
        &mut ws,
        json!({"id": 1, "method": "Doubles", "data": {"tag": big}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":1,"error":{"code":"resource_exhausted","message":"the message is larger than the limit of 1024 bytes"}}"#
    );
    send_json(
        &mut ws,
        json!({"id": 2, "method": "Doubles", "data": {"n": 1}}),
    )
    .await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":2,"data":{"n":2}}"#);
    send_json(&mut ws, json!({"id": 2, "data": {"tag": big}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":2,"error":{"code":"resource_exhausted","message":"the message is larger than the limit of 1024 bytes"}}"#
    );
    // The call is over: the id starts a new one.
    send_json(
        &mut ws,
        json!({"id": 2, "method": "Echo", "data": {"tag": big}}),
    )
    .await;
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["data"]["tag"], json!(format!("{big}/ws")));
}

#[tokio::test]
async fn a_vanished_client_leaves_nothing_behind() {
    let builder = Server::builder();
    let stats = builder.stats();
    let (server, lab) = streams_server(builder).await;
    for _ in 0..3 {
        let mut ws = connect(&server, "/lab/forever").await;
        send_json(&mut ws, json!({"id": 1, "data": {}})).await;
        for n in 0..3 {
            assert_eq!(
                next_text(&mut ws).await,
                format!(r#"{{"id":1,"data":{{"n":{n}}}}}"#).replace(r#"{"n":0}"#, "{}")
            );
        }
        assert_eq!(stats.websockets(), 1);
        assert_eq!(stats.websocket_calls(), 1);
        assert_eq!(
            lab.live_streams.load(std::sync::atomic::Ordering::SeqCst),
            1
        );
        // Gone without a close frame.
        drop(ws);
        wait_for("the connection to be cleaned up", || {
            stats.websockets() == 0
                && stats.websocket_calls() == 0
                && lab.live_streams.load(std::sync::atomic::Ordering::SeqCst) == 0
        })
        .await;
    }
    wait_for("the TCP connections to close", || stats.connections() == 0).await;
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn idle_connections_are_pinged_and_closed() {
    let config = WebSocketConfig::default()
        .ping_interval(Duration::from_millis(100))
        .idle_timeout(Duration::from_millis(400));
    let (server, _) = streams_server(Server::builder().websocket(config)).await;
    // A client that reads answers the pings and stays.
    let mut ws = connect(&server, "/lab/echo").await;
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(1000);
    while let Ok(message) = tokio::time::timeout_at(until, ws.next()).await {
        match message.expect("open").expect("valid") {
            Message::Ping(_) => pings += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 2, "{pings} pings");
    send_json(&mut ws, json!({"id": 1, "data": {"n": 1}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":1,"data":{"n":2,"tag":"ws"}}"#
    );
    // A client that does not read is closed once idle.
    let mut quiet = connect(&server, "/lab/echo").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let close = loop {
        match quiet.next().await {
            Some(Ok(Message::Close(close))) => break close,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let close = close.expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Normal);
    assert_eq!(close.reason.as_str(), "idle timeout");
}

/// The handshake of `/lab/echo` on `server` from `origin`.
fn handshake_from(
    server: &TestServer,
    origin: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("ws://{}/lab/echo", server.addr)
        .into_client_request()
        .expect("request");
    request
        .headers_mut()
        .insert("origin", origin.parse().expect("header"));
    request
}

/// Asserts that a handshake from `origin` gets 403 with the JSON error body.
async fn refused(server: &TestServer, origin: &str) {
    match tokio_tungstenite::connect_async(handshake_from(server, origin)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 403, "{origin}");
            let body = response.body().as_deref().map(String::from_utf8_lossy);
            assert_eq!(
                body.as_deref(),
                Some(
                    r#"{"code":"permission_denied","message":"the WebSocket handshake's origin is not allowed","details":[]}"#
                ),
                "{origin}"
            );
        }
        other => panic!("expected 403 for {origin}, got {other:?}"),
    }
}

#[tokio::test]
async fn origins_are_checked() {
    let (server, _) = lab().await;
    refused(&server, "http://evil.example").await;
    let same = format!("http://{}", server.addr);
    tokio_tungstenite::connect_async(handshake_from(&server, &same))
        .await
        .expect("the server's own origin");

    // An allow-list adds its origins to the server's own host, and refuses every other.
    let config = WebSocketConfig::default().allow_origins(["https://app.example.com/"]);
    let (server, _) = streams_server(Server::builder().websocket(config)).await;
    for allowed in [
        "https://app.example.com",
        "HTTPS://APP.EXAMPLE.COM/",
        &format!("http://{}", server.addr),
    ] {
        tokio_tungstenite::connect_async(handshake_from(&server, allowed))
            .await
            .unwrap_or_else(|error| panic!("{allowed} is allowed: {error}"));
    }
    for foreign in [
        "http://evil.example",
        "http://app.example.com",
        "https://app.example.com.evil.example",
        "https://app.example.com:8443",
    ] {
        refused(&server, foreign).await;
    }

    // Any origin, when the server says so.
    let config = WebSocketConfig::default().allow_any_origin();
    let (server, _) = streams_server(Server::builder().websocket(config)).await;
    tokio_tungstenite::connect_async(handshake_from(&server, "http://evil.example"))
        .await
        .expect("any origin");
}

#[tokio::test]
async fn shutdown_closes_websockets_with_1001() {
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/forever").await;
    send_json(&mut ws, json!({"id": 1, "data": {}})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":1,"data":{}}"#);
    let shutdown = tokio::spawn(server.shutdown());
    let close = loop {
        match next(&mut ws).await {
            Message::Close(close) => break close.expect("a close frame with a code"),
            Message::Text(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Away);
    assert_eq!(close.reason.as_str(), "server shutting down");
    shutdown.await.expect("join").expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_reaches_a_client_that_never_stops_sending() {
    let (server, _) = lab().await;
    let (mut sink, mut stream) = connect(&server, "/lab/echo").await.split();
    // Calls 64 at a time, without end, from another thread: the server mostly has frames at
    // hand.
    let sender = tokio::spawn(async move {
        for id in 1u64.. {
            let frame = format!(r#"{{"id":{id},"data":{{"n":1}}}}"#);
            let sent = if id % 64 == 0 {
                sink.send(Message::text(frame)).await
            } else {
                sink.feed(Message::text(frame)).await
            };
            if sent.is_err() {
                break;
            }
        }
    });
    let mut server = Some(server);
    let mut answers = 0u64;
    let mut shutdown = None;
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Text(text))) => {
                    answers += 1;
                    assert_eq!(
                        text.as_str(),
                        format!(r#"{{"id":{answers},"data":{{"n":2,"tag":"ws"}}}}"#)
                    );
                    if answers == 1000 {
                        shutdown = server.take().map(|server| tokio::spawn(server.shutdown()));
                    }
                }
                Some(Ok(Message::Close(close))) => break close,
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .expect("the close frame within 10 s")
    .expect("a close frame with a code");
    // The close frame arrives, not a reset: the server reads the frames still on their way
    // until the client's own close frame before it closes the socket.
    assert_eq!(close.code, CloseCode::Away);
    assert_eq!(close.reason.as_str(), "server shutting down");
    // The server looks at its shutdown between a few frames at hand: a loop that handled every
    // frame at hand first would answer tens of thousands more before it noticed.
    assert!(
        (1000..20_000).contains(&answers),
        "{answers} answers, {} after the shutdown began",
        answers.saturating_sub(1000)
    );
    shutdown
        .expect("shutdown started")
        .await
        .expect("join")
        .expect("shutdown");
    sender.abort();
}

#[tokio::test]
async fn streams_in_progress_bound_the_calls_of_a_connection() {
    let config = WebSocketConfig::default().max_in_flight(2);
    let (server, _) = streams_server(Server::builder().websocket(config)).await;
    let mut ws = connect(&server, "/lab/socket").await;
    for id in [1, 2] {
        send_json(
            &mut ws,
            json!({"id": id, "method": "Sum", "data": {"n": id}}),
        )
        .await;
    }
    // Both permits are held by open client streams: a third call is refused, not queued
    // behind frames that the streams may be waiting for.
    send_json(
        &mut ws,
        json!({"id": 3, "method": "Echo", "data": {"n": 1}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":3,"error":{"code":"resource_exhausted","message":"too many calls in progress on this connection (at most 2)"}}"#
    );
    send_json(&mut ws, json!({"id": 1, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":1,"data":{"n":1}}"#);
    send_json(
        &mut ws,
        json!({"id": 3, "method": "Echo", "data": {"n": 1}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":3,"data":{"n":2,"tag":"ws"}}"#
    );
    send_json(&mut ws, json!({"id": 2, "data": {"n": 40}, "end": true})).await;
    assert_eq!(next_text(&mut ws).await, r#"{"id":2,"data":{"n":42}}"#);
}

#[tokio::test]
async fn messages_larger_than_one_read_arrive_whole() {
    // A socket reads at most 16 KiB at a time: a message of 1 MiB takes many reads.
    let (server, _) = lab().await;
    let mut ws = connect(&server, "/lab/echo").await;
    let tag = "x".repeat(1 << 20);
    send_text(
        &mut ws,
        format!(r#"{{"id": 1, "data": {{"n": 21, "tag": "{tag}"}}}}"#),
    )
    .await;
    // The method answers with the tag it got, then the transport.
    let answer = next_text(&mut ws).await;
    assert!(
        answer == format!(r#"{{"id":1,"data":{{"n":42,"tag":"{tag}/ws"}}}}"#),
        "a different answer of {} bytes",
        answer.len()
    );
    send_proto(&mut ws, "p", 5, &tag).await;
    let answer = next_frame(&mut ws).await;
    assert_eq!(answer.id, "p");
    assert_eq!(answer.error, None);
    assert_eq!(
        Num::decode(answer.data.expect("data")).expect("Num"),
        Num {
            n: 10,
            tag: format!("{tag}/ws")
        }
    );
}
