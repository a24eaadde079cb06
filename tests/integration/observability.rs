//! Every call observed: the `call ended` line of an example run with `RUST_LOG=info`, and the
//! observability example's Prometheus metrics, a call on each transport counted once under its
//! method, transport and code.

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use protoapi::Code;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::socketio::connect as socketio_connect;
use crate::support::examples::observe::{CountRequest, GreeterClient, HelloRequest};
use crate::support::examples::{start, start_logging};
use crate::support::{post_json, send};

/// The example's log lines that end a call, without their time and duration, until `count` of
/// them have come (or 10 s passed).
fn calls_ended(log: &std::sync::mpsc::Receiver<String>, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ended = Vec::new();
    while ended.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = log.recv_timeout(left) else {
            break;
        };
        if !line.contains("call ended") {
            continue;
        }
        let (_, line) = line.split_once(" INFO ").expect("an INFO line");
        let (line, duration) = line.split_once(" duration_ms=").expect("a duration");
        duration
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("a duration in ms: {duration}"));
        ended.push(line.to_owned());
    }
    ended
}

#[tokio::test]
async fn each_call_logs_one_line_with_its_method_transport_and_code() {
    let (greeter, log) = start_logging("greeter");
    let url = format!("{}/hello/greeter/say_hello", greeter.url);
    assert_eq!(post_json(&url, r#"{"name":"Ann"}"#).await.status, 200);
    assert_eq!(post_json(&url, r#"{"name":""}"#).await.status, 400);
    assert_eq!(post_json(&url, r#"{"name":"#).await.status, 400);
    let connect = format!("{}/hello.Greeter/SayHello", greeter.url);
    assert_eq!(post_json(&connect, r#"{"name":"Ann"}"#).await.status, 200);
    let client = crate::support::examples::hello::GreeterClient::connect(greeter.url.clone())
        .await
        .expect("connect");
    let reply = client
        .say_hello(crate::support::examples::hello::HelloRequest { name: "Ann".into() })
        .await;
    assert_eq!(reply.expect("say_hello").into_inner().message, "hello Ann");

    let span = |system: &str, transport: &str, status: &str| {
        format!(
            r#"call{{rpc.system="{system}" rpc.service="hello.Greeter" rpc.method="SayHello" protoapi.transport="{transport}" otel.kind="server" {status}}}: protoapi::call: call ended"#
        )
    };
    let ok = "rpc.grpc.status_code=0";
    let invalid = r#"rpc.grpc.status_code=3 otel.status_code="ERROR""#;
    assert_eq!(
        calls_ended(&log, 5),
        [
            format!("{} code=\"ok\"", span("http", "HTTP", ok)),
            format!(
                "{} code=\"invalid_argument\"",
                span("http", "HTTP", invalid)
            ),
            format!(
                "{} code=\"invalid_argument\"",
                span("http", "HTTP", invalid)
            ),
            format!("{} code=\"ok\"", span("connect_rpc", "Connect", ok)),
            format!("{} code=\"ok\"", span("grpc", "gRPC", ok)),
        ]
    );
}

/// The value of one sample line of a Prometheus text exposition, `None` when it is absent.
fn sample(metrics: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{name}{{{labels}}} ");
    metrics.lines().find_map(|line| {
        line.strip_prefix(&prefix)
            .map(|value| value.parse().expect("a number"))
    })
}

/// The labels of the observability example's method `method` on `transport`, ended with `code`.
fn labels(method: &str, transport: &str, code: &str) -> String {
    format!(
        r#"rpc_service="observe.Greeter",rpc_method="{method}",transport="{transport}",code="{code}""#
    )
}

#[tokio::test]
async fn the_observability_example_counts_each_call_by_method_transport_and_code() {
    let server = start("observability");
    let url = &server.url;

    // HTTP: one greeting, one refused, one stream of three as newline-delimited JSON.
    let hello = format!("{url}/observe/greeter/say_hello");
    assert_eq!(post_json(&hello, r#"{"name":"Ann"}"#).await.status, 200);
    assert_eq!(post_json(&hello, r#"{"name":""}"#).await.status, 400);
    let count = send(reqwest::Client::new().get(format!("{url}/count/3"))).await;
    assert_eq!(
        count.body,
        "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n{\"result\":{\"n\":3}}\n"
    );

    // gRPC: a greeting, and a stream that ends with its trailers.
    let client = GreeterClient::connect(url.clone()).await.expect("connect");
    let reply = client
        .say_hello(HelloRequest { name: "Ann".into() })
        .await
        .expect("say_hello");
    assert_eq!(reply.into_inner().message, "hello Ann");
    let mut counts = client
        .count(CountRequest { n: 2 })
        .await
        .expect("count")
        .into_inner();
    let mut got = Vec::new();
    while let Some(item) = counts.next().await {
        got.push(item.expect("a count").n);
    }
    assert_eq!(got, [1, 2]);
    let status = client
        .count(CountRequest { n: 101 })
        .await
        .expect_err("over the maximum");
    assert_eq!(status.code(), Code::InvalidArgument);

    // Connect, WebSocket (the service socket), Socket.IO and GraphQL: a greeting each.
    let connect = format!("{url}/observe.Greeter/SayHello");
    let answer = post_json(&connect, r#"{"name":"Ann"}"#).await;
    assert_eq!(answer.body, r#"{"message":"hello Ann"}"#);
    let ws_url = format!("{}/ws", url.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .expect("WebSocket");
    let call = json!({"id": 1, "method": "SayHello", "data": {"name": "Ann"}});
    ws.send(Message::text(call.to_string()))
        .await
        .expect("send");
    let answer = ws.next().await.expect("an answer").expect("a message");
    assert_eq!(
        answer.into_text().expect("text").as_str(),
        r#"{"id":1,"data":{"message":"hello Ann"}}"#
    );
    let sio = socketio_connect(url, rust_socketio::TransportType::Websocket).await;
    assert_eq!(
        sio.call("say_hello", json!({"name": "Ann"})).await,
        json!({"data": {"message": "hello Ann"}})
    );
    sio.close().await;
    let graphql = send(
        reqwest::Client::new()
            .post(format!("{url}/graphql"))
            .header("content-type", "application/json")
            .body(r#"{"query":"mutation { sayHello(name: \"Ann\") { message } }"}"#),
    )
    .await;
    assert_eq!(
        graphql.body,
        r#"{"data":{"sayHello":{"message":"hello Ann"}}}"#
    );

    let metrics = send(reqwest::Client::new().get(format!("{url}/metrics"))).await;
    assert_eq!(metrics.status, 200);
    let calls = "rpc_server_calls_total";
    let counted = [
        ("SayHello", "HTTP", "ok"),
        ("SayHello", "HTTP", "invalid_argument"),
        ("Count", "HTTP", "ok"),
        ("SayHello", "gRPC", "ok"),
        ("Count", "gRPC", "ok"),
        ("Count", "gRPC", "invalid_argument"),
        ("SayHello", "Connect", "ok"),
        ("SayHello", "WebSocket", "ok"),
        ("SayHello", "Socket.IO", "ok"),
        ("SayHello", "GraphQL", "ok"),
    ];
    for (method, transport, code) in counted {
        let labels = labels(method, transport, code);
        assert_eq!(
            sample(&metrics.body, calls, &labels),
            Some(1.0),
            "{calls}{{{labels}}} in\n{}",
            metrics.body
        );
        let histogram = "rpc_server_call_duration_seconds_count";
        assert_eq!(
            sample(&metrics.body, histogram, &labels),
            Some(1.0),
            "{histogram}{{{labels}}}"
        );
    }
    let series = metrics
        .body
        .lines()
        .filter(|line| line.starts_with(calls))
        .count();
    assert_eq!(series, counted.len(), "{}", metrics.body);
}
