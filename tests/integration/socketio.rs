//! Socket.IO: a real Socket.IO client (`rust_socketio`) calls methods as events, over
//! WebSocket and HTTP long-polling; acks carry `{"data": ...}` or `{"error": ...}`, streams
//! come back as events, and the server's limits, layers and panics behave as on the other
//! transports.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::FutureExt as _;
use protoapi::{Limits, SocketIoConfig};
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::TestServer;
use crate::support::examples::start;
use crate::support::streams::streams_server;

/// A connected client and the events the server emitted to it.
pub(crate) struct Sio {
    client: Client,
    events: mpsc::UnboundedReceiver<(String, Value)>,
}

const TRANSPORTS: [TransportType; 2] = [TransportType::Websocket, TransportType::Polling];

/// The first argument of an event's payload, which every frame of protoapi's is.
fn first(payload: Payload) -> Value {
    match payload {
        Payload::Text(mut values) if !values.is_empty() => values.swap_remove(0),
        other => panic!("expected one JSON argument, got {other:?}"),
    }
}

/// The first argument of an ack: `rust_socketio` hands an ack's arguments over as one array.
fn first_of_ack(payload: Payload) -> Value {
    match first(payload) {
        Value::Array(mut values) if !values.is_empty() => values.swap_remove(0),
        other => panic!("expected the ack's arguments, got {other:?}"),
    }
}

async fn try_connect(
    url: &str,
    transport: TransportType,
    header: Option<(&str, &str)>,
) -> Result<Sio, rust_socketio::Error> {
    let (events, received) = mpsc::unbounded_channel();
    // `connect` returns before the server confirms the namespace; events emitted before that
    // are dropped, so the client waits for it.
    let (connected, confirmed) = tokio::sync::oneshot::channel();
    let connected = std::sync::Mutex::new(Some(connected));
    let mut builder = ClientBuilder::new(url)
        .transport_type(transport)
        .reconnect(false)
        .on_any(move |event, payload, _| {
            // `rust_socketio` names the `message` event apart from the others.
            let name = match event {
                Event::Custom(name) => name,
                Event::Message => "message".to_owned(),
                _ => return async {}.boxed(),
            };
            let _ = events.send((name, first(payload)));
            async {}.boxed()
        })
        .on(Event::Connect, move |_, _| {
            if let Some(connected) = connected.lock().expect("connect sender").take() {
                let _ = connected.send(());
            }
            async {}.boxed()
        });
    if let Some((name, value)) = header {
        builder = builder.opening_header(name, value);
    }
    let client = builder.connect().await?;
    tokio::time::timeout(Duration::from_secs(10), confirmed)
        .await
        .expect("the namespace confirmed within 10 s")
        .expect("the confirmation");
    Ok(Sio {
        client,
        events: received,
    })
}

pub(crate) async fn connect(url: &str, transport: TransportType) -> Sio {
    try_connect(url, transport, None)
        .await
        .expect("Socket.IO connection")
}

impl Sio {
    /// Emits `event` with `data` (one argument, or each of `Payload::Text`'s) and waits for
    /// the ack's one argument.
    pub(crate) async fn call(&self, event: &str, data: impl Into<Payload>) -> Value {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = std::sync::Mutex::new(Some(tx));
        self.client
            .emit_with_ack(event, data, Duration::from_secs(10), move |payload, _| {
                if let Some(tx) = tx.lock().expect("ack sender").take() {
                    let _ = tx.send(first_of_ack(payload));
                }
                async {}.boxed()
            })
            .await
            .expect("emit");
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .expect("an ack within 10 s")
            .expect("the ack")
    }

    /// Emits `event` with `data`, asking no ack.
    pub(crate) async fn emit(&self, event: &str, data: Value) {
        self.client.emit(event, data).await.expect("emit");
    }

    /// The next event the server emitted.
    pub(crate) async fn next_event(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("an event within 10 s")
            .expect("the client is open")
    }

    pub(crate) async fn close(self) {
        self.client.disconnect().await.expect("disconnect");
    }
}

async fn server() -> TestServer {
    streams_server(protoapi::Server::builder().socketio(SocketIoConfig::default()))
        .await
        .0
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "details": []}})
}

#[tokio::test]
async fn the_greeter_answers_say_hello_in_the_ack() {
    let greeter = start("greeter");
    for transport in TRANSPORTS {
        let sio = connect(&greeter.url, transport).await;
        assert_eq!(
            sio.call("say_hello", json!({"name": "世界"})).await,
            json!({"data": {"message": "hello 世界"}})
        );
        assert_eq!(
            sio.call("say_hello", json!({"name": ""})).await,
            error("invalid_argument", "name must not be empty")
        );
        sio.close().await;
    }
}

#[tokio::test]
async fn a_unary_call_answers_data_or_error_over_both_transports() {
    let server = server().await;
    for transport in TRANSPORTS {
        let sio = connect(&server.url(""), transport).await;
        assert_eq!(
            sio.call("echo", json!({"n": 21})).await,
            json!({"data": {"n": 42, "tag": "socketio"}})
        );
        assert_eq!(
            sio.call("echo", json!({"n": "7", "tag": "x"})).await,
            json!({"data": {"n": 14, "tag": "x/socketio"}})
        );
        assert_eq!(
            sio.call("echo", json!({"n": -1})).await,
            error("invalid_argument", "n must not be negative")
        );
        assert_eq!(
            sio.call("echo", json!({"n": "many"})).await,
            error(
                "invalid_argument",
                "invalid JSON at `n`: invalid value: string \"many\", expected a 32-bit integer \
                 (a number or a string) at line 1 column 11"
            )
        );
        sio.close().await;
    }
}

#[tokio::test]
async fn an_event_with_more_than_the_request_is_refused_before_the_method_runs() {
    let server = server().await;
    let sio = connect(&server.url(""), TransportType::Websocket).await;
    let refused = error(
        "invalid_argument",
        "an event carries one argument, the request; `echo` has 2",
    );
    // Two objects: the request is read up to the closing bracket, found to be two values
    // when decoded, and the event is then read whole.
    let two = Payload::Text(vec![json!({"n": 1}), json!({"n": 2})]);
    assert_eq!(sio.call("echo", two).await, refused);
    let object_and_number = Payload::Text(vec![json!({"n": 1}), json!(2)]);
    assert_eq!(sio.call("echo", object_and_number).await, refused);
    let number_and_object = Payload::Text(vec![json!(2), json!({"n": 1})]);
    assert_eq!(sio.call("echo", number_and_object).await, refused);
    // A request that is not an object is read whole, and refused by the decoder.
    assert_eq!(
        sio.call("echo", json!("text")).await,
        error(
            "invalid_argument",
            "invalid JSON: invalid type: string \"text\", expected an object of message Num at \
             line 1 column 6"
        )
    );
    // The socket goes on.
    assert_eq!(
        sio.call("echo", json!({"n": 21})).await,
        json!({"data": {"n": 42, "tag": "socketio"}})
    );
    sio.close().await;
}

#[tokio::test]
async fn an_unknown_event_is_unimplemented() {
    let server = server().await;
    let sio = connect(&server.url(""), TransportType::Websocket).await;
    assert_eq!(
        sio.call("say_goodbye", json!({})).await,
        error("unimplemented", "unknown event `say_goodbye`")
    );
    // The rpc name is not an event: events are the Rust method names.
    assert_eq!(
        sio.call("Echo", json!({})).await,
        error("unimplemented", "unknown event `Echo`")
    );
    sio.close().await;
}

#[tokio::test]
async fn a_call_without_an_ack_answers_with_the_event() {
    let server = server().await;
    let mut sio = connect(&server.url(""), TransportType::Websocket).await;
    sio.emit("echo", json!({"n": 2})).await;
    assert_eq!(
        sio.next_event().await,
        (
            "echo".to_owned(),
            json!({"data": {"n": 4, "tag": "socketio"}})
        )
    );
    sio.emit("echo", json!({"n": -2})).await;
    assert_eq!(
        sio.next_event().await,
        (
            "echo".to_owned(),
            error("invalid_argument", "n must not be negative")
        )
    );
    sio.close().await;
}

#[tokio::test]
async fn a_server_stream_emits_its_items_then_ends_in_the_ack() {
    let server = server().await;
    for transport in TRANSPORTS {
        let mut sio = connect(&server.url(""), transport).await;
        assert_eq!(
            sio.call("count", json!({"n": 3})).await,
            json!({"end": true})
        );
        for n in 1..=3 {
            assert_eq!(
                sio.next_event().await,
                ("count".to_owned(), json!({"data": {"n": n}}))
            );
        }
        // An error after three items ends the stream.
        assert_eq!(
            sio.call("count", json!({"n": 13})).await,
            error("failed_precondition", "unlucky")
        );
        for n in 1..=3 {
            assert_eq!(
                sio.next_event().await,
                ("count".to_owned(), json!({"data": {"n": n}}))
            );
        }
        // Without an ack, the end is an event too.
        sio.emit("count", json!({"n": 1})).await;
        assert_eq!(
            sio.next_event().await,
            ("count".to_owned(), json!({"data": {"n": 1}}))
        );
        assert_eq!(
            sio.next_event().await,
            ("count".to_owned(), json!({"end": true}))
        );
        sio.close().await;
    }
}

#[tokio::test]
async fn disconnecting_cancels_a_stream() {
    let (server, service) =
        streams_server(protoapi::Server::builder().socketio(SocketIoConfig::default())).await;
    let mut sio = connect(&server.url(""), TransportType::Websocket).await;
    sio.emit("forever", json!({})).await;
    let (event, frame) = sio.next_event().await;
    assert_eq!((event.as_str(), &frame), ("forever", &json!({"data": {}})));
    assert_eq!(service.live_streams.load(Ordering::SeqCst), 1);
    sio.close().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while service.live_streams.load(Ordering::SeqCst) > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream outlived its socket"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_message_over_the_limit_is_resource_exhausted() {
    let builder = protoapi::Server::builder()
        .socketio(SocketIoConfig::default())
        .limits(Limits::default().body(1024));
    let server = streams_server(builder).await.0;
    let sio = connect(&server.url(""), TransportType::Websocket).await;
    let tag = "x".repeat(1024);
    assert_eq!(
        sio.call("echo", json!({"n": 1, "tag": tag})).await,
        error(
            "resource_exhausted",
            "the message is larger than the limit of 1024 bytes"
        )
    );
    // The socket goes on.
    assert_eq!(
        sio.call("echo", json!({"n": 1, "tag": "small"})).await,
        json!({"data": {"n": 2, "tag": "small/socketio"}})
    );
    sio.close().await;
}

#[tokio::test]
async fn a_panic_answers_internal_and_the_socket_survives() {
    let server = server().await;
    let sio = connect(&server.url(""), TransportType::Websocket).await;
    assert_eq!(
        sio.call("echo", json!({"n": 666})).await,
        error("internal", "internal error")
    );
    assert_eq!(
        sio.call("echo", json!({"n": 1})).await,
        json!({"data": {"n": 2, "tag": "socketio"}})
    );
    sio.close().await;
}

#[tokio::test]
async fn a_call_that_waits_answers_from_its_task() {
    let server = server().await;
    let mut sio = connect(&server.url(""), TransportType::Websocket).await;
    // Calls that wait and calls that answer at once, in flight together.
    let later = |n: i32| sio.call("echo", json!({"n": n, "tag": "later"}));
    let (a, b, c, d) = tokio::join!(
        later(1),
        sio.call("echo", json!({"n": 2})),
        later(666),
        later(-1),
    );
    assert_eq!(a, json!({"data": {"n": 2, "tag": "later/socketio"}}));
    assert_eq!(b, json!({"data": {"n": 4, "tag": "socketio"}}));
    assert_eq!(c, error("internal", "internal error"));
    assert_eq!(d, error("invalid_argument", "n must not be negative"));
    // Without an ack, the answer is emitted as the event.
    sio.emit("echo", json!({"n": 3, "tag": "later"})).await;
    assert_eq!(
        sio.next_event().await,
        (
            "echo".to_owned(),
            json!({"data": {"n": 6, "tag": "later/socketio"}})
        )
    );
    sio.close().await;
}

#[tokio::test]
async fn a_client_stream_is_the_emits_of_its_event_until_one_without_a_request() {
    let server = server().await;
    for transport in TRANSPORTS {
        let sio = connect(&server.url(""), transport).await;
        // The ack of a request comes once the method has taken it.
        assert_eq!(sio.call("sum", json!({"n": 1})).await, json!({}));
        sio.emit("sum", json!({"n": 2})).await;
        assert_eq!(sio.call("sum", json!({"n": "3"})).await, json!({}));
        // An emit without a request ends them; its ack gets the answer.
        assert_eq!(
            sio.call("sum", Value::Null).await,
            json!({"data": {"n": 6}})
        );
        // The next emit starts another call.
        sio.emit("sum", json!({"n": 5})).await;
        assert_eq!(
            sio.call("sum", Value::Null).await,
            json!({"data": {"n": 5}})
        );
        // A call whose requests are none at all.
        assert_eq!(sio.call("sum", Value::Null).await, json!({"data": {}}));
        // A request that fails to decode fails the call.
        sio.emit("sum", json!({"n": "x"})).await;
        assert_eq!(
            sio.call("sum", Value::Null).await,
            error(
                "invalid_argument",
                "invalid JSON at `n`: invalid value: string \"x\", expected a 32-bit integer \
                 (a number or a string) at line 1 column 8"
            )
        );
        sio.close().await;
    }
}

#[tokio::test]
async fn the_chat_room_is_the_chat_event() {
    let chat = start("chat");
    let mut sio = connect(&chat.url, TransportType::Websocket).await;
    assert_eq!(
        sio.call("chat", json!({"user": "ann", "text": "hello"}))
            .await,
        json!({})
    );
    assert_eq!(
        sio.next_event().await,
        (
            "chat".to_owned(),
            json!({"data": {"kind": "JOINED", "user": "ann"}})
        )
    );
    assert_eq!(
        sio.next_event().await,
        (
            "chat".to_owned(),
            json!({"data": {"kind": "MESSAGE", "user": "ann", "text": "hello"}})
        )
    );
    assert_eq!(sio.call("chat", Value::Null).await, json!({"end": true}));
    sio.close().await;
}

#[tokio::test]
async fn a_bidi_stream_answers_each_request_with_an_event() {
    let server = server().await;
    for transport in TRANSPORTS {
        let mut sio = connect(&server.url(""), transport).await;
        sio.emit("doubles", json!({"n": 1})).await;
        assert_eq!(
            sio.next_event().await,
            ("doubles".to_owned(), json!({"data": {"n": 2}}))
        );
        sio.emit("doubles", json!({"n": 2, "tag": "b"})).await;
        assert_eq!(
            sio.next_event().await,
            ("doubles".to_owned(), json!({"data": {"n": 4, "tag": "b"}}))
        );
        assert_eq!(sio.call("doubles", Value::Null).await, json!({"end": true}));
        // Past the method's own limit (1 KiB), a request is refused, and the stream goes on.
        let tag = "x".repeat(1024);
        assert_eq!(
            sio.call("doubles", json!({"n": 1, "tag": tag})).await,
            error(
                "resource_exhausted",
                "the message is larger than the limit of 1024 bytes"
            )
        );
        sio.close().await;
    }
}

#[tokio::test]
async fn the_auth_layer_refuses_a_handshake_without_a_token() {
    let auth = start("auth");
    for transport in TRANSPORTS {
        assert!(
            try_connect(&auth.url, transport.clone(), None)
                .await
                .is_err(),
            "a handshake without a token is refused"
        );
        assert!(
            try_connect(
                &auth.url,
                transport.clone(),
                Some(("authorization", "Bearer mallory-token"))
            )
            .await
            .is_err(),
            "a handshake with an unknown token is refused"
        );
        let sio = try_connect(
            &auth.url,
            transport,
            Some(("authorization", "Bearer alice-token")),
        )
        .await
        .expect("a handshake with a token");
        assert_eq!(
            sio.call("me", json!({})).await,
            json!({"data": {"name": "alice", "admin": true, "transport": "socketio"}})
        );
        sio.close().await;
    }
}

#[tokio::test]
async fn a_socketio_handshake_without_a_token_gets_401() {
    let auth = start("auth");
    let answer = crate::support::send(
        reqwest::Client::new().get(format!("{}/socket.io/?EIO=4&transport=polling", auth.url)),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json(),
        json!({"code": "unauthenticated", "message": "missing or invalid bearer token", "details": []})
    );
}

#[tokio::test]
async fn the_endpoint_may_have_another_path() {
    let builder = protoapi::Server::builder().socketio(SocketIoConfig::default().path("/rpc/io"));
    let server = streams_server(builder).await.0;
    let sio = connect(&server.url("/rpc/io/"), TransportType::Websocket).await;
    assert_eq!(
        sio.call("echo", json!({"n": 4})).await,
        json!({"data": {"n": 8, "tag": "socketio"}})
    );
    sio.close().await;
    // The default path is then an unknown one.
    let answer = crate::support::send(
        reqwest::Client::new().get(server.url("/socket.io/?EIO=4&transport=polling")),
    )
    .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn marked_only_leaves_unmarked_services_out() {
    let builder = protoapi::Server::builder().socketio(SocketIoConfig::default().marked_only());
    let server = streams_server(builder).await.0;
    // `Streams` is not marked `socketio`: no service serves Socket.IO, so there is no endpoint.
    let answer = crate::support::send(
        reqwest::Client::new().get(server.url("/socket.io/?EIO=4&transport=polling")),
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json(),
        json!({"code": "not_found", "message": "no route for GET /socket.io/", "details": []})
    );
}

mod clash {
    use protoapi::Status;

    use crate::support::streams::Num;

    /// A second `echo`, and a method named like an event Socket.IO keeps.
    #[protoapi::service(package = "lab.clash", socketio)]
    pub trait Again {
        async fn echo(&self, req: Num) -> Result<Num, Status>;
    }

    #[protoapi::service(package = "lab.reserved", socketio)]
    pub trait Reserved {
        async fn disconnect(&self, req: Num) -> Result<Num, Status>;
    }

    pub struct Service;

    impl Again for Service {
        async fn echo(&self, req: Num) -> Result<Num, Status> {
            Ok(req)
        }
    }

    impl Reserved for Service {
        async fn disconnect(&self, req: Num) -> Result<Num, Status> {
            Ok(req)
        }
    }
}

#[tokio::test]
async fn two_methods_of_one_name_or_a_reserved_name_are_refused() {
    use crate::support::streams::{StreamsImpl, StreamsServer};
    let error = protoapi::Server::builder()
        .socketio(SocketIoConfig::default())
        .add(StreamsServer::new(StreamsImpl::default()))
        .add(clash::AgainServer::new(clash::Service))
        .into_router()
        .expect_err("two `echo` events");
    assert_eq!(
        error.to_string(),
        "conflicting routes: Socket.IO event `echo` is claimed by lab.streams.Streams and \
         lab.clash.Again: events are named after methods, one name per server"
    );
    // Without the builder switch only the marked service serves Socket.IO: no clash.
    assert!(
        protoapi::Server::builder()
            .add(StreamsServer::new(StreamsImpl::default()))
            .add(clash::AgainServer::new(clash::Service))
            .into_router()
            .is_ok()
    );
    let error = protoapi::Server::builder()
        .add(clash::ReservedServer::new(clash::Service))
        .into_router()
        .expect_err("a reserved name");
    assert_eq!(
        error.to_string(),
        "invalid configuration: method `disconnect` of lab.reserved.Reserved cannot be a Socket.IO \
         event: Socket.IO clients keep the name `disconnect` for themselves; rename the method"
    );
}

/// The comparison's server, re-created as the `socketio` example: a bare string sent on
/// `message` reaches every client as `{"a": "messagetest"}`; `msg` answers its caller alone.
#[tokio::test]
async fn the_comparison_example_broadcasts_message_and_answers_msg() {
    let example = start("socketio");
    let sender = connect(&example.url, TransportType::Websocket).await;
    let mut listener = connect(&example.url, TransportType::Polling).await;
    sender.emit("message", json!("Hello guys. ")).await;
    assert_eq!(
        listener.next_event().await,
        ("message".to_owned(), json!({"a": "messagetest"}))
    );
    let mut caller = sender;
    assert_eq!(caller.call("msg", json!("hi")).await, json!({"data": {}}));
    assert_eq!(
        caller.next_event().await,
        ("message".to_owned(), json!({"a": "messagetest"}))
    );
    assert_eq!(
        caller.next_event().await,
        ("message".to_owned(), json!("resend hi"))
    );
    listener.close().await;
    caller.close().await;
}
