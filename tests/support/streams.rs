//! A service with every call shape, served over gRPC, HTTP and WebSocket.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use protoapi::{Context, Status, Streaming, Transport};

use super::server::TestServer;

#[protoapi::message]
pub struct Num {
    pub n: i32,
    pub tag: String,
}

#[protoapi::service(package = "lab.streams", websocket = "/lab/socket")]
pub trait Streams {
    /// Doubles `n`; a negative `n` is `invalid_argument`; 666 panics. With the tag `later` it
    /// answers (or panics) after a pause. GET and WebSocket share the path.
    #[protoapi(get = "/lab/echo", websocket)]
    async fn echo(&self, ctx: Context, req: Num) -> Result<Num, Status>;

    /// 1..=n; 13 fails after three items.
    #[protoapi(get = "/lab/count/:n", websocket = "/lab/count")]
    async fn count(&self, req: Num) -> Result<Streaming<Num>, Status>;

    /// The sum of every `n`.
    #[protoapi(websocket = "/lab/sum")]
    async fn sum(&self, nums: Streaming<Num>) -> Result<Num, Status>;

    /// Each `n` doubled, as it comes; requests of at most 1 KiB.
    #[protoapi(websocket = "/lab/doubles", limit = "1KiB")]
    async fn doubles(&self, nums: Streaming<Num>) -> Result<Streaming<Num>, Status>;

    /// Never ends; counts its live streams and the items it made. With `tag = "fast"`, makes
    /// 1 KiB items as fast as they are taken, else one small item per 5 ms.
    #[protoapi(get = "/lab/forever", websocket = "/lab/forever")]
    async fn forever(&self, req: Num) -> Result<Streaming<Num>, Status>;
}

/// The service, with a count of `forever` streams that are alive.
#[derive(Clone, Default)]
pub struct StreamsImpl {
    pub live_streams: Arc<AtomicUsize>,
    pub produced: Arc<AtomicUsize>,
}

/// Counts one live stream until dropped.
struct LiveStream(Arc<AtomicUsize>);

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Streams for StreamsImpl {
    async fn echo(&self, ctx: Context, req: Num) -> Result<Num, Status> {
        if req.n < 0 {
            return Err(Status::invalid_argument("n must not be negative"));
        }
        if req.tag == "later" {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        if req.n == 666 {
            panic!("secret internal detail");
        }
        let transport = match ctx.transport() {
            Transport::WebSocket => "ws",
            Transport::Http => "http",
            Transport::Connect => "connect",
            Transport::SocketIo => "socketio",
            Transport::GraphQl => "graphql",
            _ => "grpc",
        };
        let tag = if req.tag.is_empty() {
            transport.to_owned()
        } else {
            format!("{}/{transport}", req.tag)
        };
        Ok(Num { n: req.n * 2, tag })
    }

    async fn count(&self, req: Num) -> Result<Streaming<Num>, Status> {
        if req.n < 0 {
            return Err(Status::invalid_argument("n must not be negative"));
        }
        let n = req.n;
        let items = (1..=n).map(move |i| {
            if n == 13 && i == 4 {
                Err(Status::failed_precondition("unlucky"))
            } else {
                Ok(Num {
                    n: i,
                    tag: String::new(),
                })
            }
        });
        Ok(Streaming::new(futures_util::stream::iter(items)))
    }

    async fn sum(&self, mut nums: Streaming<Num>) -> Result<Num, Status> {
        let mut total = 0;
        while let Some(num) = nums.message().await? {
            total += num.n;
        }
        Ok(Num {
            n: total,
            tag: String::new(),
        })
    }

    async fn doubles(&self, nums: Streaming<Num>) -> Result<Streaming<Num>, Status> {
        use futures_util::StreamExt as _;
        Ok(Streaming::new(nums.map(|num| {
            num.map(|num| Num {
                n: num.n * 2,
                tag: num.tag,
            })
        })))
    }

    async fn forever(&self, req: Num) -> Result<Streaming<Num>, Status> {
        self.live_streams.fetch_add(1, Ordering::SeqCst);
        let live = LiveStream(self.live_streams.clone());
        let produced = self.produced.clone();
        let fast = req.tag == "fast";
        let stream = futures_util::stream::unfold((0, live), move |(n, live)| {
            let produced = produced.clone();
            async move {
                let tag = if fast {
                    "x".repeat(1024)
                } else {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    String::new()
                };
                produced.fetch_add(1, Ordering::SeqCst);
                Some((Ok(Num { n, tag }), (n + 1, live)))
            }
        });
        Ok(Streaming::new(stream))
    }
}

/// A server with `Streams` added to `builder`, and the service, to read its counts.
pub async fn streams_server(builder: protoapi::ServerBuilder) -> (TestServer, StreamsImpl) {
    let service = StreamsImpl::default();
    let server = TestServer::start(builder.add(StreamsServer::new(service.clone()))).await;
    (server, service)
}
