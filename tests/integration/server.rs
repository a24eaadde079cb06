//! The server: transport switches, mounting in an axum router, shutdown, route conflicts.

use std::net::SocketAddr;

use protoapi::{Code, Request};

use crate::support::lab::{Child, Empty, LabImpl, LabServer, Tag, Who};
use crate::support::{TestServer, post_json, send};

#[tokio::test]
async fn closing_grpc_leaves_http_open() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .open_grpc(false)
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let client = crate::support::lab::lab_client(&server).await;
    let status = client
        .say(Child::default())
        .await
        .expect_err("gRPC is closed");
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(
        status.message(),
        "unknown service or method /test.v1.Lab/Greet"
    );

    let answer = post_json(&server.url("/custom/greet"), r#"{"name":"a"}"#).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"name":"hello a","age":"1"}"#)
    );
}

#[tokio::test]
async fn closing_http_leaves_grpc_open() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .open_http(false)
            .add(LabServer::new(LabImpl)),
    )
    .await;
    let answer = post_json(&server.url("/custom/greet"), r#"{"name":"a"}"#).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.body,
        r#"{"code":"not_found","message":"no route for POST /custom/greet","details":[]}"#
    );

    let client = crate::support::lab::lab_client(&server).await;
    let reply = client
        .say(Child {
            name: "a".into(),
            age: 0,
        })
        .await
        .expect("gRPC is open")
        .into_inner();
    assert_eq!(
        reply,
        Child {
            name: "hello a".into(),
            age: 1
        }
    );
}

/// The whole API inside an application's own router, behind its own layer, served by axum.
#[tokio::test]
async fn into_router_mounts_in_an_axum_router_with_its_layers() {
    let api = protoapi::Server::builder()
        .add(LabServer::new(LabImpl))
        .into_router()
        .expect("router");
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(api)
        .layer(axum::Extension(Tag("set by a layer".into())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let answer = send(reqwest::Client::new().get(format!("http://{addr}/healthz"))).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));

    let answer = post_json(&format!("http://{addr}/test.v1/lab/whoami"), "{}").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let who: Who = serde_json::from_str(&answer.body).expect("decode");
    assert_eq!(
        (
            who.tagged.as_str(),
            who.transport.as_str(),
            who.peer_ip.as_str()
        ),
        ("set by a layer", "http", "127.0.0.1")
    );

    let client = crate::support::lab::LabClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let who = client
        .whoami(Request::new(Empty))
        .await
        .expect("whoami")
        .into_inner();
    assert_eq!(
        (
            who.tagged.as_str(),
            who.transport.as_str(),
            who.peer_ip.as_str()
        ),
        ("set by a layer", "grpc", "127.0.0.1")
    );
    task.abort();
}

#[tokio::test]
async fn shutdown_stops_accepting_and_returns() {
    let server = TestServer::start(protoapi::Server::builder().add(LabServer::new(LabImpl))).await;
    let addr = server.addr;
    let answer = post_json(&server.url("/custom/greet"), "{}").await;
    assert_eq!(answer.status, 200);
    tokio::time::timeout(std::time::Duration::from_secs(10), server.shutdown())
        .await
        .expect("shut down in time")
        .expect("clean shutdown");
    let refused = tokio::net::TcpStream::connect(addr).await;
    assert!(refused.is_err(), "still accepting after shutdown");
}

#[tokio::test]
async fn two_services_claiming_one_route_are_refused() {
    let error = protoapi::Server::builder()
        .add(LabServer::new(LabImpl))
        .add(LabServer::new(LabImpl))
        .into_router()
        .expect_err("conflict");
    assert_eq!(
        error.to_string(),
        "conflicting routes: gRPC service test.v1.Lab is added twice"
    );

    let error = protoapi::Server::builder()
        .add(LabServer::new(LabImpl))
        .add(crate::support::clash::ClashServer::new(
            crate::support::clash::ClashImpl,
        ))
        .into_router()
        .expect_err("conflict");
    assert_eq!(
        error.to_string(),
        "conflicting routes: POST /custom/greet is claimed by test.v1.Lab/Greet and other.Clash/Greet"
    );
}

mod shared_path {
    use protoapi::Status;

    #[protoapi::message]
    pub struct Note {
        pub text: String,
    }

    #[protoapi::service(package = "shared.reader")]
    pub trait Reader {
        #[protoapi(get = "/shared/note")]
        async fn read(&self, req: Note) -> Result<Note, Status>;
    }

    #[protoapi::service(package = "shared.writer")]
    pub trait Writer {
        #[protoapi(post = "/shared/note", websocket = "/shared/note")]
        async fn write(&self, req: Note) -> Result<Note, Status>;
    }

    /// A second WebSocket at the writer's path.
    #[protoapi::service(package = "shared.talker", websocket = "/shared/note")]
    pub trait Talker {
        async fn talk(&self, req: Note) -> Result<Note, Status>;
    }

    impl Talker for Both {
        async fn talk(&self, req: Note) -> Result<Note, Status> {
            Ok(req)
        }
    }

    pub struct Both;

    impl Reader for Both {
        async fn read(&self, req: Note) -> Result<Note, Status> {
            Ok(Note {
                text: format!("read {}", req.text),
            })
        }
    }

    impl Writer for Both {
        async fn write(&self, req: Note) -> Result<Note, Status> {
            Ok(Note {
                text: format!("wrote {}", req.text),
            })
        }
    }
}

#[tokio::test]
async fn two_services_share_a_path() {
    use shared_path::{Both, ReaderServer, WriterServer};
    let server = TestServer::start(
        protoapi::Server::builder()
            .add(ReaderServer::new(Both))
            .add(WriterServer::new(Both)),
    )
    .await;
    let http = reqwest::Client::new();
    let answer = send(http.get(server.url("/shared/note?text=a"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"text":"read a"}"#)
    );
    let answer = send(
        http.post(server.url("/shared/note"))
            .header("content-type", "application/json")
            .body(r#"{"text":"b"}"#),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"text":"wrote b"}"#)
    );
    let answer = send(http.delete(server.url("/shared/note"))).await;
    assert_eq!(answer.status, 405);
    assert_eq!(
        answer
            .headers
            .get("allow")
            .map(|v| v.to_str().expect("ascii")),
        Some("GET, HEAD, POST")
    );
    let error = protoapi::Server::builder()
        .add(WriterServer::new(Both))
        .add(shared_path::TalkerServer::new(Both))
        .into_router()
        .expect_err("two WebSockets at one path");
    assert_eq!(
        error.to_string(),
        "conflicting routes: WEBSOCKET /shared/note is claimed by shared.writer.Writer/Write and shared.talker.Talker (socket)"
    );
    // The GET of one service and the WebSocket of the other.
    let mut ws = crate::support::websocket::connect(&server, "/shared/note").await;
    crate::support::websocket::send_text(&mut ws, r#"{"data": {"text": "c"}}"#).await;
    assert_eq!(
        crate::support::websocket::next_text(&mut ws).await,
        r#"{"data":{"text":"wrote c"}}"#
    );
}
