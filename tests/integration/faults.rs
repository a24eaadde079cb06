//! Faults: clients that leave mid-request, mid-upload or mid-stream; a stream whose method
//! panics after some items; graceful shutdown with calls in flight; HTTP/2 stream and header
//! limits. A probe counts the method calls that start, finish, and are dropped unfinished.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::SinkExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;

use crate::support::TestServer;
use crate::support::websocket::{connect, next_json};

pub mod api {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use protoapi::{File, Status, Streaming};

    use super::Probe;

    #[protoapi::message]
    pub struct Job {
        /// How long the call (or each item of a stream) takes.
        pub millis: u64,
        /// How many items a stream has; 0 for no end.
        pub items: u32,
        /// The item at which a stream panics; 0 for none.
        pub panic_at: u32,
    }

    #[protoapi::message]
    pub struct Tick {
        pub n: u32,
    }

    #[protoapi::message]
    #[form]
    pub struct Upload {
        pub millis: u64,
        #[file]
        pub doc: Option<File>,
    }

    #[protoapi::service(package = "faults.v1")]
    pub trait Faults {
        /// Waits `millis`, then answers.
        #[protoapi(post = "/work", websocket = "/work/ws")]
        async fn work(&self, req: Job) -> Result<Tick, Status>;
        /// A tick every `millis`.
        #[protoapi(get = "/ticks", websocket = "/ticks/ws")]
        async fn ticks(&self, req: Job) -> Result<Streaming<Tick>, Status>;
        /// Holds the uploaded file for `millis`, then answers its size.
        #[protoapi(post = "/upload")]
        async fn upload(&self, req: Upload) -> Result<Tick, Status>;
    }

    pub struct FaultsImpl(pub Arc<Probe>);

    /// Counts a piece of work as dropped unless it was marked finished first.
    struct Watch {
        probe: Arc<Probe>,
        finished: bool,
    }

    impl Watch {
        fn start(probe: &Arc<Probe>) -> Watch {
            probe.started.fetch_add(1, Ordering::SeqCst);
            Watch {
                probe: probe.clone(),
                finished: false,
            }
        }

        fn finish(mut self) {
            self.finished = true;
            self.probe.finished.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            if !self.finished {
                self.probe.dropped.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    impl Faults for FaultsImpl {
        async fn work(&self, req: Job) -> Result<Tick, Status> {
            let watch = Watch::start(&self.0);
            tokio::time::sleep(Duration::from_millis(req.millis)).await;
            watch.finish();
            Ok(Tick { n: 1 })
        }

        async fn ticks(&self, req: Job) -> Result<Streaming<Tick>, Status> {
            let watch = Watch::start(&self.0);
            let stream = futures_util::stream::unfold((1u32, Some(watch)), move |(n, watch)| {
                let req = req.clone();
                async move {
                    if req.items != 0 && n > req.items {
                        if let Some(watch) = watch {
                            watch.finish();
                        }
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(req.millis)).await;
                    if n == req.panic_at {
                        panic!("secret internal detail: /etc/shadow");
                    }
                    Some((Ok(Tick { n }), (n + 1, watch)))
                }
            });
            Ok(Streaming::new(stream))
        }

        async fn upload(&self, req: Upload) -> Result<Tick, Status> {
            let watch = Watch::start(&self.0);
            tokio::time::sleep(Duration::from_millis(req.millis)).await;
            watch.finish();
            let size = req.doc.as_ref().map_or(0, File::size);
            Ok(Tick {
                n: u32::try_from(size).unwrap_or(u32::MAX),
            })
        }
    }
}

use api::{FaultsClient, FaultsImpl, FaultsServer, Job};

/// What the methods of one server did.
#[derive(Default)]
pub struct Probe {
    started: AtomicUsize,
    finished: AtomicUsize,
    dropped: AtomicUsize,
}

impl Probe {
    /// (started, finished, dropped)
    fn counts(&self) -> (usize, usize, usize) {
        (
            self.started.load(Ordering::SeqCst),
            self.finished.load(Ordering::SeqCst),
            self.dropped.load(Ordering::SeqCst),
        )
    }

    /// Waits (up to 10 s) until the counts are `want`, and fails with the last ones otherwise.
    async fn wait_for(&self, want: (usize, usize, usize)) {
        for _ in 0..200 {
            if self.counts() == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(self.counts(), want, "(started, finished, dropped)");
    }
}

struct Fixture {
    server: TestServer,
    probe: Arc<Probe>,
    uploads: tempfile::TempDir,
}

async fn fixture(builder: protoapi::ServerBuilder) -> Fixture {
    let probe = Arc::new(Probe::default());
    let uploads = tempfile::tempdir().expect("an upload directory");
    let server = TestServer::start(
        builder
            .upload_dir(uploads.path())
            .add(FaultsServer::new(FaultsImpl(probe.clone()))),
    )
    .await;
    Fixture {
        server,
        probe,
        uploads,
    }
}

impl Fixture {
    fn files_left(&self) -> usize {
        std::fs::read_dir(self.uploads.path())
            .expect("the upload directory")
            .count()
    }

    /// Waits (up to 10 s) until the upload directory holds `want` files.
    async fn wait_for_files(&self, want: usize) {
        for _ in 0..200 {
            if self.files_left() == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(self.files_left(), want, "files in the upload directory");
    }

    async fn client(&self) -> FaultsClient {
        FaultsClient::connect(self.server.url(""))
            .await
            .expect("connect")
    }

    async fn raw(&self) -> tokio::net::TcpStream {
        tokio::net::TcpStream::connect(self.server.addr)
            .await
            .expect("connect")
    }
}

/// Reads a gRPC stream to its end: the ticks, then its error's code and message, if any.
async fn read_ticks(
    mut ticks: protoapi::Streaming<api::Tick>,
) -> (Vec<u32>, Option<(protoapi::Code, String)>) {
    let mut got = Vec::new();
    loop {
        match ticks.message().await {
            Ok(Some(tick)) => got.push(tick.n),
            Ok(None) => return (got, None),
            Err(status) => return (got, Some((status.code(), status.message().to_owned()))),
        }
    }
}

fn job(millis: u64, items: u32, panic_at: u32) -> Job {
    Job {
        millis,
        items,
        panic_at,
    }
}

#[tokio::test]
async fn a_client_that_leaves_mid_request_cancels_the_method() {
    let f = fixture(protoapi::Server::builder()).await;

    // HTTP/1.1: the request is read, the method waits; the client closes its connection.
    let mut socket = f.raw().await;
    let body = r#"{"millis":"60000"}"#;
    let head = format!(
        "POST /work HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.expect("write");
    f.probe.wait_for((1, 0, 0)).await;
    drop(socket);
    f.probe.wait_for((1, 0, 1)).await;

    // gRPC: the client gives up (its stream is reset).
    let client = f.client().await;
    let call = tokio::spawn(async move { client.work(job(60_000, 0, 0)).await });
    f.probe.wait_for((2, 0, 1)).await;
    call.abort();
    f.probe.wait_for((2, 0, 2)).await;

    // WebSocket: the connection closes while the call runs.
    let mut ws = connect(&f.server, "/work/ws").await;
    ws.send(Message::text(r#"{"id":1,"data":{"millis":"60000"}}"#))
        .await
        .expect("send");
    f.probe.wait_for((3, 0, 2)).await;
    drop(ws);
    f.probe.wait_for((3, 0, 3)).await;

    // Nothing was left running: a short call still finishes.
    let answer = client_work(&f, 1).await;
    assert_eq!(answer, 1);
    f.probe.wait_for((4, 1, 3)).await;
}

async fn client_work(f: &Fixture, millis: u64) -> u32 {
    f.client()
        .await
        .work(job(millis, 0, 0))
        .await
        .expect("work")
        .into_inner()
        .n
}

/// A multipart head and the first part of a file whose body the client never finishes.
fn upload_head(total: usize) -> Vec<u8> {
    format!(
        "POST /upload HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=XyZ\r\n\
         content-length: {total}\r\n\r\n\
         --XyZ\r\ncontent-disposition: form-data; name=\"millis\"\r\n\r\n60000\r\n\
         --XyZ\r\ncontent-disposition: form-data; name=\"doc\"; filename=\"a.bin\"\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_client_that_leaves_mid_upload_leaves_no_temporary_file() {
    // Files past 64 KiB are spooled to disk.
    let f = fixture(
        protoapi::Server::builder().limits(protoapi::Limits::default().spool_threshold(64 << 10)),
    )
    .await;

    // A third of a file is spooled to disk, then the client goes away.
    let mut socket = f.raw().await;
    socket
        .write_all(&upload_head(3 << 20))
        .await
        .expect("write");
    socket.write_all(&vec![7u8; 1 << 20]).await.expect("write");
    f.wait_for_files(1).await;
    drop(socket);
    f.wait_for_files(0).await;
    assert_eq!(f.probe.counts(), (0, 0, 0), "the method never ran");

    // The whole file arrives; the method holds it and the client leaves before the answer.
    let mut socket = f.raw().await;
    let tail = b"\r\n--XyZ--\r\n";
    let file = vec![7u8; 1 << 20];
    let head = upload_head(0);
    let body_start = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head")
        + 4;
    let length = head.len() - body_start + file.len() + tail.len();
    let head = upload_head(length);
    socket.write_all(&head).await.expect("write");
    socket.write_all(&file).await.expect("write");
    socket.write_all(tail).await.expect("write");
    f.probe.wait_for((1, 0, 0)).await;
    assert_eq!(f.files_left(), 1);
    drop(socket);
    f.probe.wait_for((1, 0, 1)).await;
    f.wait_for_files(0).await;
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_stops_the_stream() {
    let f = fixture(protoapi::Server::builder()).await;

    // gRPC: two items read, then the client drops the stream.
    let client = f.client().await;
    let mut ticks = client
        .ticks(job(20, 0, 0))
        .await
        .expect("ticks")
        .into_inner();
    for n in 1..=2 {
        let tick = ticks.message().await.expect("a tick").expect("not the end");
        assert_eq!(tick.n, n);
    }
    drop(ticks);
    f.probe.wait_for((1, 0, 1)).await;

    // Server-Sent Events: two events read, then the response is dropped.
    let http = reqwest::Client::new();
    let mut response = http
        .get(f.server.url("/ticks?millis=20"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("answer");
    let mut read = String::new();
    while read.matches("\n\n").count() < 2 {
        let chunk = response.chunk().await.expect("a chunk").expect("more");
        read.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
    assert!(
        read.starts_with("data: {\"n\":1}\n\ndata: {\"n\":2}\n\n"),
        "{read}"
    );
    drop(response);
    f.probe.wait_for((2, 0, 2)).await;

    // WebSocket: two frames read, then the connection closes.
    let mut ws = connect(&f.server, "/ticks/ws").await;
    ws.send(Message::text(r#"{"id":1,"data":{"millis":"20"}}"#))
        .await
        .expect("send");
    for n in 1..=2 {
        assert_eq!(
            next_json(&mut ws).await,
            serde_json::json!({"id": 1, "data": {"n": n}})
        );
    }
    drop(ws);
    f.probe.wait_for((3, 0, 3)).await;

    // A stream that ends on its own is finished, not dropped.
    let ticks = client
        .ticks(job(1, 2, 0))
        .await
        .expect("ticks")
        .into_inner();
    assert_eq!(read_ticks(ticks).await, (vec![1, 2], None));
    f.probe.wait_for((4, 1, 3)).await;
}

#[tokio::test]
async fn a_stream_that_panics_after_some_items_ends_with_internal() {
    let f = fixture(protoapi::Server::builder()).await;

    // gRPC: two items, then `internal` with no detail.
    let client = f.client().await;
    let ticks = client
        .ticks(job(1, 0, 3))
        .await
        .expect("ticks")
        .into_inner();
    assert_eq!(
        read_ticks(ticks).await,
        (
            vec![1, 2],
            Some((protoapi::Code::Internal, "internal error".to_owned()))
        )
    );

    // Server-Sent Events and NDJSON: the same, as their error events.
    let http = reqwest::Client::new();
    let body = http
        .get(f.server.url("/ticks?millis=1&panic_at=3"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("body");
    assert_eq!(
        body,
        "data: {\"n\":1}\n\ndata: {\"n\":2}\n\n\
         event: error\ndata: {\"code\":\"internal\",\"message\":\"internal error\",\"details\":[]}\n\n"
    );
    let body = http
        .get(f.server.url("/ticks?millis=1&panic_at=3"))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("body");
    assert_eq!(
        body,
        "{\"result\":{\"n\":1}}\n{\"result\":{\"n\":2}}\n\
         {\"error\":{\"code\":\"internal\",\"message\":\"internal error\",\"details\":[]}}\n"
    );

    // WebSocket: two frames, then the error frame; the connection goes on.
    let mut ws = connect(&f.server, "/ticks/ws").await;
    ws.send(Message::text(
        r#"{"id":1,"data":{"millis":"1","panicAt":3}}"#,
    ))
    .await
    .expect("send");
    for n in 1..=2 {
        assert_eq!(
            next_json(&mut ws).await,
            serde_json::json!({"id": 1, "data": {"n": n}})
        );
    }
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"id": 1, "error": {"code": "internal", "message": "internal error"}})
    );
    ws.send(Message::text(r#"{"id":2,"data":{"millis":"1","items":1}}"#))
        .await
        .expect("send");
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"id": 2, "data": {"n": 1}})
    );
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"id": 2, "end": true})
    );

    // Each panicked stream was dropped, and the server still answers.
    f.probe.wait_for((5, 1, 4)).await;
    assert_eq!(client_work(&f, 1).await, 1);
}

#[tokio::test]
async fn graceful_shutdown_finishes_calls_in_flight_and_refuses_new_ones() {
    let f = fixture(protoapi::Server::builder()).await;
    let client = f.client().await;
    // In flight when the shutdown starts: a unary gRPC call, an HTTP/1.1 call, a gRPC stream
    // of 5 items and a stream of Server-Sent Events.
    let unary = tokio::spawn({
        let client = client.clone();
        async move { client.work(job(500, 0, 0)).await }
    });
    let http = tokio::spawn({
        let url = f.server.url("/work");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(r#"{"millis":"500"}"#)
                .send()
                .await
                .expect("answer");
            (
                response.status().as_u16(),
                response.text().await.expect("body"),
            )
        }
    });
    let ticks = client
        .ticks(job(100, 5, 0))
        .await
        .expect("ticks")
        .into_inner();
    let sse = tokio::spawn({
        let url = f.server.url("/ticks?millis=100&items=5");
        async move {
            reqwest::Client::new()
                .get(url)
                .header("accept", "text/event-stream")
                .send()
                .await
                .expect("answer")
                .text()
                .await
                .expect("body")
        }
    });
    f.probe.wait_for((4, 0, 0)).await;

    let addr = f.server.addr;
    let Fixture { server, probe, .. } = f;
    let shutdown = tokio::spawn(server.shutdown());
    // The listener closes at once: a new client is refused.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "a new connection was accepted during shutdown"
    );

    assert_eq!(unary.await.expect("join").expect("work").into_inner().n, 1);
    assert_eq!(http.await.expect("join"), (200, r#"{"n":1}"#.to_owned()));
    assert_eq!(read_ticks(ticks).await, (vec![1, 2, 3, 4, 5], None));
    assert_eq!(
        sse.await.expect("join"),
        "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\ndata: {\"n\":4}\n\n\
         data: {\"n\":5}\n\nevent: end\ndata: {}\n\n"
    );
    tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .expect("shutdown within 10 s")
        .expect("join")
        .expect("a clean shutdown");
    assert_eq!(probe.counts(), (4, 4, 0));
}

#[tokio::test]
async fn http2_streams_past_the_limit_wait_for_a_free_one() {
    let f = fixture(protoapi::Server::builder().max_concurrent_streams(2)).await;
    let client = f.client().await;
    // One call first, so that the client has the server's settings (a stream opened before
    // them, past the limit, is refused, and tonic does not retry it).
    client.work(job(1, 0, 0)).await.expect("work");
    // Five calls on one HTTP/2 connection: two run at a time, the others wait their turn.
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.work(job(300, 0, 0)).await })
        })
        .collect();
    f.probe.wait_for((3, 1, 0)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(f.probe.counts(), (3, 1, 0), "no more than 2 at a time");
    for call in calls {
        assert_eq!(call.await.expect("join").expect("work").into_inner().n, 1);
    }
    assert_eq!(f.probe.counts(), (6, 6, 0));
}

#[tokio::test]
async fn headers_past_the_limit_are_refused() {
    let f = fixture(protoapi::Server::builder().limits(protoapi::Limits::default().head(16 << 10)))
        .await;

    // HTTP/1.1: hyper answers 431 and closes.
    let mut socket = f.raw().await;
    let request = format!(
        "POST /work HTTP/1.1\r\nhost: x\r\nx-big: {}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}",
        "a".repeat(20 << 10)
    );
    socket.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    // hyper's answer: the status line, `content-length: 0` and a date, no body.
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n")
            && answer.contains("\r\ncontent-length: 0\r\n")
            && answer.ends_with("\r\n\r\n"),
        "{answer}"
    );

    // HTTP/2: the same request over gRPC.
    let grpc = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let result = grpc
        .post(f.server.url("/faults.v1.Faults/Work"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("x-big", "a".repeat(20 << 10))
        .body(crate::support::envelope(0, &[]).to_vec())
        .send()
        .await;
    let response = result.expect("an answer");
    assert_eq!(response.status().as_u16(), 431);
    assert_eq!(response.text().await.expect("body"), "");

    // Within the limit, both work.
    let answer = reqwest::Client::new()
        .post(f.server.url("/work"))
        .header("content-type", "application/json")
        .header("x-big", "a".repeat(8 << 10))
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(f.probe.counts(), (1, 1, 0));
}

#[tokio::test]
async fn a_200_kb_head_gets_431_by_default_and_a_60_kb_one_is_served() {
    let f = fixture(protoapi::Server::builder()).await;
    let send = |size: usize| {
        reqwest::Client::new()
            .post(f.server.url("/work"))
            .header("content-type", "application/json")
            .header("x-big", "a".repeat(size))
            .body("{}")
            .send()
    };
    let answer = send(200_000).await.expect("an answer");
    assert_eq!(answer.status().as_u16(), 431);
    assert_eq!(answer.text().await.expect("body"), "");
    let answer = send(60_000).await.expect("an answer");
    assert_eq!(answer.status().as_u16(), 200);
}
