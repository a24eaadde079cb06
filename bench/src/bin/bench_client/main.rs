//! The load client for what h2load and wrk cannot drive: WebSocket round trips (protoapi's
//! frames, or Socket.IO's for python-socketio) and server streams over gRPC, WebSocket, SSE and
//! GraphQL subscriptions (graphql-transport-ws).
//! It also writes the gRPC request bodies h2load sends, and checks that a server answers them
//! (h2load counts any HTTP 200 as a success, a gRPC error included), with gzip too; and checks
//! the Connect unary echo in JSON and in binary.
//!
//! ```text
//! bench_client grpc-body small|4k|64k FILE [--gzip]
//! bench_client grpc-check small|4k|64k BASE_URL [--gzip] [--during S]
//! bench_client json-body small|4k FILE
//! bench_client connect-check BASE_URL
//! bench_client ws-echo URL [--conns N] [--secs S] [--in-flight K] [--socketio]
//! bench_client sio-broadcast URL [--conns N] [--secs S] [--window W]
//! bench_client stream grpc|ws|sse|graphql BASE_URL [--count C] [--conns N] [--secs S] [--gzip]
//! bench_client soak BASE_URL --pid PID --uploads DIR [--conns N] [--secs S]
//! ```
//!
//! `sio-broadcast` holds `--conns` Socket.IO sockets; one of them emits `shout` in a loop and
//! every socket counts the `note` events the server broadcasts for it ([`broadcast`]).
//!
//! `soak` (bench/soak.sh) is no benchmark: it runs every kind of call at once for a long time
//! and checks the server's memory, file descriptors and temporary files ([`soak`]).
//!
//! Each load command prints one JSON line: `{"ops":…, "secs":…, "per_sec":…, "errors":…}`; it
//! runs on one thread, so that pinned to one core it leaves the other to the server.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use prost::Message as _;
use tokio_tungstenite::tungstenite::Message;

mod broadcast;
mod soak;

/// `bench.EchoRequest`, as prost-build writes it.
#[derive(Clone, PartialEq, prost::Message)]
struct EchoRequest {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, repeated, tag = "3")]
    tags: Vec<String>,
    #[prost(bytes = "vec", tag = "4")]
    payload: Vec<u8>,
}

/// `bench.TicksRequest`.
#[derive(Clone, PartialEq, prost::Message)]
struct TicksRequest {
    #[prost(uint32, tag = "1")]
    count: u32,
}

/// `bench.Tick`.
#[derive(Clone, PartialEq, prost::Message)]
struct Tick {
    #[prost(uint64, tag = "1")]
    seq: u64,
    #[prost(string, tag = "2")]
    text: String,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Options {
    conns: usize,
    secs: f64,
    count: u32,
    socketio: bool,
    /// Calls in flight on each WebSocket: a new one is sent as each answer arrives.
    in_flight: u64,
    pid: Option<u32>,
    uploads: Option<std::path::PathBuf>,
    /// gRPC in gzip: request bodies compressed, answers accepted (and required) in gzip.
    gzip: bool,
    /// Broadcasts out at once: a shout is sent when an earlier one has reached every socket.
    window: u32,
    /// For `grpc-check`: check calls one after another for this many seconds, beside a load
    /// whose answers the load tool cannot read, instead of once.
    during: Option<f64>,
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = Options {
        conns: 16,
        secs: 10.0,
        count: 10_000,
        socketio: false,
        in_flight: 1,
        pid: None,
        uploads: None,
        gzip: false,
        window: 32,
        during: None,
    };
    let mut positional = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--conns" => options.conns = value()?.parse()?,
            "--secs" => options.secs = value()?.parse()?,
            "--count" => options.count = value()?.parse()?,
            "--socketio" => options.socketio = true,
            "--in-flight" => options.in_flight = value()?.parse::<u64>()?.max(1),
            "--pid" => options.pid = Some(value()?.parse()?),
            "--uploads" => options.uploads = Some(value()?.into()),
            "--gzip" => options.gzip = true,
            "--window" => options.window = value()?.parse::<u32>()?.max(1),
            "--during" => options.during = Some(value()?.parse()?),
            _ => positional.push(arg.as_str()),
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match positional.as_slice() {
        ["grpc-body", size, file] => grpc_body(size, file, options.gzip),
        ["grpc-check", size, base] if options.gzip => {
            runtime.block_on(repeat(options.during, || grpc_check_gzip(size, base)))
        }
        ["grpc-check", size, base] => {
            runtime.block_on(repeat(options.during, || grpc_check(size, base)))
        }
        ["json-body", size, file] => json_body(size, file),
        ["connect-check", base] => runtime.block_on(connect_check(base)),
        ["ws-echo", url] => runtime.block_on(run(&options, |_| ws_echo(url, &options))),
        ["sio-broadcast", url] => runtime.block_on(broadcast::broadcast(url, &options)),
        ["stream", kind, base] => {
            let kind = *kind;
            runtime.block_on(run(&options, |_| stream(kind, base, &options)))
        }
        ["soak", base] => runtime.block_on(soak::soak(base, &options)),
        _ => Err("usage: bench_client grpc-body small|4k|64k FILE [--gzip] | grpc-check small|4k|64k BASE_URL [--gzip] [--during S] | json-body small|4k FILE | connect-check BASE_URL | ws-echo URL [--in-flight K] [--socketio] | sio-broadcast URL [--conns N] [--secs S] [--window W] | stream grpc|ws|sse|graphql BASE_URL [--count C] [--conns N] [--secs S] [--gzip] | soak BASE_URL --pid PID --uploads DIR [--conns N] [--secs S]".into()),
    }
}

/// The echo request of the gRPC cases: small; about 4 KiB, its tags 64 lines of text (as
/// compressible as text is); or with 64 KiB of payload.
fn echo_request(size: &str) -> Result<EchoRequest, Error> {
    let (tags, payload) = match size {
        "small" => (vec!["a".into(), "b".into()], Vec::new()),
        "4k" => (text_tags(), Vec::new()),
        "64k" => (vec!["a".into(), "b".into()], vec![0xa5; 64 << 10]),
        other => return Err(format!("unknown size `{other}`: small, 4k or 64k").into()),
    };
    Ok(EchoRequest {
        id: 42,
        name: "bench".into(),
        tags,
        payload,
    })
}

/// The tags of the 4 KiB echo request.
fn text_tags() -> Vec<String> {
    (0..80)
        .map(|i| format!("tag {i}: the quick brown fox jumps over the lazy dog"))
        .collect()
}

/// Writes one gRPC message (5-byte prefix and the protobuf) for h2load's `-d`; with `gzip`,
/// the message compressed (flag 1), to be sent with `grpc-encoding: gzip`.
fn grpc_body(size: &str, file: &str, gzip: bool) -> Result<(), Error> {
    std::fs::write(file, grpc_frame(&echo_request(size)?, gzip)?)?;
    Ok(())
}

/// Writes the echo request in JSON for the HTTP cases (wrk's and h2load's body).
fn json_body(size: &str, file: &str) -> Result<(), Error> {
    let request = echo_request(size)?;
    let json = serde_json::json!({"id": request.id, "name": request.name, "tags": request.tags});
    std::fs::write(file, serde_json::to_vec(&json)?)?;
    Ok(())
}

fn grpc_frame(request: &EchoRequest, gzip: bool) -> Result<Vec<u8>, Error> {
    let mut message = request.encode_to_vec();
    if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&message)?;
        message = encoder.finish()?;
    }
    let mut body = Vec::with_capacity(5 + message.len());
    body.push(u8::from(gzip));
    body.extend_from_slice(&u32::try_from(message.len())?.to_be_bytes());
    body.extend_from_slice(&message);
    Ok(body)
}

/// `bench.EchoReply`.
#[derive(Clone, PartialEq, prost::Message)]
struct EchoReply {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(string, repeated, tag = "3")]
    tags: Vec<String>,
    #[prost(bytes = "vec", tag = "4")]
    payload: Vec<u8>,
}

/// The echo of `request`.
fn echo_of(request: EchoRequest) -> EchoReply {
    EchoReply {
        id: request.id,
        message: format!("hello {}", request.name),
        tags: request.tags,
        payload: request.payload,
    }
}

/// One echo call over gRPC, its answer checked.
/// Runs `check` once; with `during`, again and again for that many seconds, and prints how many
/// calls it checked. Fails at the first wrong answer.
async fn repeat<F, Fut>(during: Option<f64>, mut check: F) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    let Some(secs) = during else {
        return check().await;
    };
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut checked = 0u64;
    while Instant::now() < end {
        check()
            .await
            .map_err(|error| format!("after {checked} right answers: {error}"))?;
        checked += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if checked == 0 {
        return Err("no call was checked".into());
    }
    println!("{{\"checked\":{checked}}}");
    Ok(())
}

async fn grpc_check(size: &str, base: &str) -> Result<(), Error> {
    let request = echo_request(size)?;
    let channel = tonic::transport::Endpoint::from_shared(base.to_owned())?
        .connect()
        .await?;
    let mut client = tonic::client::Grpc::new(channel)
        .max_decoding_message_size(1 << 20)
        .max_encoding_message_size(1 << 20);
    client.ready().await?;
    let codec = tonic_prost::ProstCodec::<EchoRequest, EchoReply>::default();
    let path = http::uri::PathAndQuery::from_static("/bench.Bench/Echo");
    let reply = client
        .unary(tonic::Request::new(request.clone()), path, codec)
        .await?
        .into_inner();
    if reply != echo_of(request) {
        return Err(format!("unexpected echo: {reply:?}").into());
    }
    Ok(())
}

/// One echo call over gRPC with the body h2load sends in the gzip case (the message
/// compressed) and its headers: the answer must be one message compressed with gzip, the echo.
async fn grpc_check_gzip(size: &str, base: &str) -> Result<(), Error> {
    let request = echo_request(size)?;
    let client = reqwest::Client::builder().http2_prior_knowledge().build()?;
    let response = client
        .post(format!("{base}/bench.Bench/Echo"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-encoding", "gzip")
        .header("grpc-accept-encoding", "gzip")
        .body(grpc_frame(&request, true)?)
        .send()
        .await?;
    let headers = response.headers().clone();
    let status = response.status();
    let body = response.bytes().await?;
    // A failed call answers with its status in the headers and no message.
    if status != http::StatusCode::OK || headers.contains_key("grpc-status") {
        return Err(format!("gRPC call failed: {status} {headers:?}").into());
    }
    if headers.get("grpc-encoding").map(|v| v.as_bytes()) != Some(b"gzip") {
        return Err(format!("the answer is not in gzip: {headers:?}").into());
    }
    let (flag, message) = match body.as_ref() {
        [flag, a, b, c, d, message @ ..]
            if u32::from_be_bytes([*a, *b, *c, *d]) as usize == message.len() =>
        {
            (*flag, message)
        }
        _ => return Err(format!("not one gRPC message: {} bytes", body.len()).into()),
    };
    if flag != 1 {
        return Err(format!("the answer's message is not compressed (flag {flag})").into());
    }
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(message).read_to_end(&mut inflated)?;
    let reply = EchoReply::decode(inflated.as_slice())?;
    if reply != echo_of(request) {
        return Err(format!("unexpected echo: {reply:?}").into());
    }
    Ok(())
}

/// One Connect unary echo over HTTP/1.1 in JSON and one in binary, their answers checked.
async fn connect_check(base: &str) -> Result<(), Error> {
    let client = reqwest::Client::new();
    let url = format!("{base}/bench.Bench/Echo");
    let request = echo_request("small")?;
    let want = echo_of(request.clone());

    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .header("connect-protocol-version", "1")
        .body(CONNECT_JSON_REQUEST)
        .send()
        .await?;
    let (status, kind) = (response.status(), content_type(&response));
    let text = response.text().await?;
    let json = serde_json::from_str::<serde_json::Value>(&text).ok();
    let want_json = serde_json::json!({
        "id": want.id.to_string(),
        "message": want.message,
        "tags": want.tags,
    });
    if status != http::StatusCode::OK || kind != "application/json" || json != Some(want_json) {
        return Err(format!("unexpected Connect JSON answer: {status} {kind} {text}").into());
    }

    let response = client
        .post(&url)
        .header("content-type", "application/proto")
        .header("connect-protocol-version", "1")
        .body(request.encode_to_vec())
        .send()
        .await?;
    let (status, kind) = (response.status(), content_type(&response));
    let body = response.bytes().await?;
    let reply = EchoReply::decode(body.as_ref());
    if status != http::StatusCode::OK
        || kind != "application/proto"
        || reply.as_ref().ok() != Some(&want)
    {
        return Err(format!("unexpected Connect proto answer: {status} {kind} {reply:?}").into());
    }
    Ok(())
}

/// The JSON body of bench/wrk/connect_json.lua.
const CONNECT_JSON_REQUEST: &str = r#"{"id":"42","name":"bench","tags":["a","b"]}"#;

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Runs `conns` copies of `work` until the time is up; each returns how many operations it did.
async fn run<F, Fut>(options: &Options, work: F) -> Result<(), Error>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<u64, Error>>,
{
    let start = Instant::now();
    let results = futures_util::future::join_all((0..options.conns).map(work)).await;
    let secs = start.elapsed().as_secs_f64();
    let mut ops = 0;
    let mut errors = 0;
    for result in results {
        match result {
            Ok(n) => ops += n,
            Err(error) => {
                eprintln!("error: {error}");
                errors += 1;
            }
        }
    }
    println!(
        "{}",
        serde_json::json!({"ops": ops, "secs": secs, "per_sec": ops as f64 / secs, "errors": errors})
    );
    if errors > 0 {
        return Err(format!("{errors} connections failed").into());
    }
    Ok(())
}

fn deadline(options: &Options) -> Instant {
    Instant::now() + Duration::from_secs_f64(options.secs)
}

/// Unary round trips on one WebSocket, `--in-flight` at a time (one by default): a new call
/// is sent as each answer arrives, until the time is up; then the calls still out are
/// answered. Counts the answers; any other answer (an error, an ack of a call not made) fails.
async fn ws_echo(url: &str, options: &Options) -> Result<u64, Error> {
    let mut socket = if options.socketio {
        sio_connect(url).await?
    } else {
        tokio_tungstenite::connect_async(url).await?.0
    };
    let call = |n: u64| {
        let frame = if options.socketio {
            format!(r#"42{n}["echo",{{"id":42,"name":"bench","tags":["a","b"]}}]"#)
        } else {
            format!(r#"{{"id":{n},"data":{{"id":42,"name":"bench","tags":["a","b"]}}}}"#)
        };
        Message::text(frame)
    };
    let end = deadline(options);
    // The ids of the Socket.IO calls not answered yet.
    let mut out = Vec::new();
    let mut sent = 0u64;
    while sent < options.in_flight {
        socket.feed(call(sent)).await?;
        out.push(sent);
        sent += 1;
    }
    socket.flush().await?;
    let mut done = 0u64;
    while done < sent {
        let text = next_text(&mut socket).await?;
        if options.socketio {
            if text == "2" {
                socket.send(Message::text("3")).await?;
                continue;
            }
            let id = sio_ack(&text, SIO_ECHO_ANSWER)?;
            let at = out
                .iter()
                .position(|&n| n == id)
                .ok_or_else(|| format!("an ack of no call out: {text}"))?;
            out.swap_remove(at);
        } else if !text.contains(r#""message":"hello bench""#) {
            return Err(format!("unexpected answer: {text}").into());
        }
        done += 1;
        if Instant::now() < end {
            socket.send(call(sent)).await?;
            out.push(sent);
            sent += 1;
        }
    }
    Ok(done)
}

/// The argument of the echo's ack over Socket.IO: the echo in proto3 JSON as protoapi answers.
const SIO_ECHO_ANSWER: &str = r#"[{"data":{"id":"42","message":"hello bench","tags":["a","b"]}}]"#;

/// A WebSocket connected to a Socket.IO server's default namespace: the Engine.IO open
/// packet read, the namespace's connect sent and confirmed (socketioxide pings at once: the
/// ping is answered).
async fn sio_connect(url: &str) -> Result<WebSocket, Error> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    expect_prefix(&mut socket, "0").await?;
    socket.send(Message::text("40")).await?;
    loop {
        let text = next_text(&mut socket).await?;
        if text == "2" {
            socket.send(Message::text("3")).await?;
        } else if text.starts_with("40") {
            return Ok(socket);
        } else {
            return Err(format!("expected a `40` packet, got {text}").into());
        }
    }
}

type WebSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The id of a Socket.IO ack packet (`43<id><args>`) whose arguments are `args`, exactly;
/// anything else (an error answer, another packet) is an error.
fn sio_ack(text: &str, args: &str) -> Result<u64, Error> {
    text.strip_prefix("43")
        .and_then(|rest| {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (id, rest) = rest.split_at(digits);
            (rest == args).then(|| id.parse().ok()).flatten()
        })
        .ok_or_else(|| format!("unexpected answer: {text}").into())
}

async fn next_text<S>(socket: &mut S) -> Result<String, Error>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match socket
            .next()
            .await
            .ok_or("the server closed the WebSocket")??
        {
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(frame) => return Err(format!("closed: {frame:?}").into()),
            _ => continue,
        }
    }
}

async fn expect_prefix<S>(socket: &mut S, prefix: &str) -> Result<(), Error>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let text = next_text(socket).await?;
    if text.starts_with(prefix) {
        Ok(())
    } else {
        Err(format!("expected a `{prefix}` packet, got {text}").into())
    }
}

/// Streams of `count` ticks, one after the other, until the time is up; counts the ticks.
async fn stream(kind: &str, base: &str, options: &Options) -> Result<u64, Error> {
    let end = deadline(options);
    let mut ticks = 0u64;
    match kind {
        "grpc" => {
            let channel = tonic::transport::Endpoint::from_shared(base.to_owned())?
                .connect()
                .await?;
            let mut client = tonic::client::Grpc::new(channel);
            if options.gzip {
                client = client.accept_compressed(tonic::codec::CompressionEncoding::Gzip);
            }
            let path = http::uri::PathAndQuery::from_static("/bench.Bench/Ticks");
            while Instant::now() < end {
                client.ready().await?;
                let codec = tonic_prost::ProstCodec::<TicksRequest, Tick>::default();
                let request = tonic::Request::new(TicksRequest {
                    count: options.count,
                });
                let response = client
                    .server_streaming(request, path.clone(), codec)
                    .await?;
                let coding = response.metadata().get("grpc-encoding");
                if options.gzip && coding.map(|v| v.as_bytes()) != Some(b"gzip") {
                    return Err(format!("the stream is not in gzip: {coding:?}").into());
                }
                let mut stream = response.into_inner();
                let mut got = 0;
                while let Some(tick) = stream.message().await? {
                    if tick.text != "tick" {
                        return Err(format!("unexpected tick {tick:?}").into());
                    }
                    got += 1;
                }
                check_count(got, options.count)?;
                ticks += u64::from(got);
            }
        }
        "ws" => {
            let url = format!("{}/ticks/ws", base.replacen("http", "ws", 1));
            let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
            let mut id = 0u64;
            while Instant::now() < end {
                id += 1;
                let frame = format!(r#"{{"id":{id},"data":{{"count":{}}}}}"#, options.count);
                socket.send(Message::text(frame)).await?;
                let mut got = 0;
                loop {
                    let text = next_text(&mut socket).await?;
                    if text.contains(r#""end":true"#) {
                        break;
                    }
                    if !text.contains(r#""text":"tick""#) {
                        return Err(format!("unexpected frame {text}").into());
                    }
                    got += 1;
                }
                check_count(got, options.count)?;
                ticks += u64::from(got);
            }
        }
        "graphql" => ticks += graphql_ticks(base, options, end).await?,
        "sse" => {
            let client = reqwest::Client::new();
            let url = format!("{base}/ticks/{}", options.count);
            while Instant::now() < end {
                let response = client
                    .get(&url)
                    .header("accept", "text/event-stream")
                    .send()
                    .await?
                    .error_for_status()?;
                let mut body = response.bytes_stream();
                let mut events = EventCounter::default();
                while let Some(chunk) = body.next().await {
                    events.feed(chunk?);
                }
                // The last event is `end`, and only the last one.
                if events.last != SSE_END {
                    return Err(format!(
                        "the stream did not end with `end`: {:?}",
                        String::from_utf8_lossy(&events.last)
                    )
                    .into());
                }
                let got = events.count.checked_sub(1).ok_or("no end event")?;
                check_count(u32::try_from(got)?, options.count)?;
                ticks += got;
            }
        }
        other => {
            return Err(format!("unknown stream kind `{other}`: grpc, ws, sse or graphql").into());
        }
    }
    Ok(ticks)
}

/// Subscriptions of `ticks` over graphql-transport-ws at `/graphql`, one after the other on
/// one WebSocket until `end`: every `next` message must be exactly the tick's, and each
/// subscription must `complete` after `count` of them. Returns the ticks received.
async fn graphql_ticks(base: &str, options: &Options, end: Instant) -> Result<u64, Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

    let mut request =
        format!("{}/graphql", base.replacen("http", "ws", 1)).into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(r#"{"type":"connection_init"}"#))
        .await?;
    let ack = next_text(&mut socket).await?;
    if ack != r#"{"type":"connection_ack"}"# {
        return Err(format!("expected connection_ack, got {ack}").into());
    }
    let mut ticks = 0u64;
    let mut id = 0u64;
    while Instant::now() < end {
        id += 1;
        let subscribe = format!(
            r#"{{"id":"{id}","type":"subscribe","payload":{{"query":"subscription {{ ticks(count: {}) {{ seq text }} }}"}}}}"#,
            options.count
        );
        socket.send(Message::text(subscribe)).await?;
        let complete = format!(r#"{{"type":"complete","id":"{id}"}}"#);
        let mut got = 0u32;
        loop {
            let text = next_text(&mut socket).await?;
            if text == complete {
                break;
            }
            let want = format!(
                r#"{{"type":"next","id":"{id}","payload":{{"data":{{"ticks":{{"seq":"{got}","text":"tick"}}}}}}}}"#
            );
            if text != want {
                return Err(format!("unexpected message {text}").into());
            }
            got += 1;
        }
        check_count(got, options.count)?;
        ticks += u64::from(got);
    }
    Ok(ticks)
}

fn check_count(got: u32, want: u32) -> Result<(), Error> {
    if got == want {
        Ok(())
    } else {
        Err(format!("the stream ended after {got} of {want} messages").into())
    }
}

/// The event that ends a successful SSE stream, as the server writes it (its lines, without
/// the blank line that ends it).
const SSE_END: &[u8] = b"event: end\ndata: {}\n";

/// Counts Server-Sent Events (blank-line separated) across chunk boundaries, and keeps the text
/// of the last one.
#[derive(Default)]
struct EventCounter {
    count: u64,
    last_was_newline: bool,
    /// The event being read, and the last one read whole.
    current: Vec<u8>,
    last: Vec<u8>,
}

impl EventCounter {
    fn feed(&mut self, chunk: Bytes) {
        for &byte in chunk.iter() {
            if byte == b'\n' && self.last_was_newline {
                self.count += 1;
                self.last = std::mem::take(&mut self.current);
                self.last_was_newline = false;
                continue;
            }
            self.current.push(byte);
            self.last_was_newline = byte == b'\n';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{EventCounter, SIO_ECHO_ANSWER, SSE_END, sio_ack};

    #[test]
    fn counts_events_across_chunks_and_keeps_the_last() {
        let mut events = EventCounter::default();
        for chunk in [
            "data: {\"n\":1}\n",
            "\ndata: {\"n\":2}\n\nevent: e",
            "nd\ndata: {}\n\n",
        ] {
            events.feed(bytes::Bytes::from(chunk));
        }
        assert_eq!(events.count, 3);
        assert_eq!(events.last, SSE_END);
        let mut failed = EventCounter::default();
        failed.feed(bytes::Bytes::from_static(
            b"data: {}\n\nevent: error\ndata: {\"code\":\"internal\"}\n\n",
        ));
        assert_eq!(failed.count, 2);
        assert_ne!(failed.last, SSE_END);
    }

    #[test]
    fn takes_an_ack_with_the_echo_only() {
        let ack = format!("4317{SIO_ECHO_ANSWER}");
        assert_eq!(sio_ack(&ack, SIO_ECHO_ANSWER).ok(), Some(17));
        let error = r#"4317[{"error":{"code":"invalid_argument","message":"bad","details":[]}}]"#;
        assert_eq!(
            sio_ack(error, SIO_ECHO_ANSWER).err().map(|e| e.to_string()),
            Some(format!("unexpected answer: {error}"))
        );
        let event = format!(r#"42["echo",{SIO_ECHO_ANSWER}]"#);
        assert!(sio_ack(&event, SIO_ECHO_ANSWER).is_err());
        assert!(sio_ack(&format!("43{SIO_ECHO_ANSWER}"), SIO_ECHO_ANSWER).is_err());
    }
}
