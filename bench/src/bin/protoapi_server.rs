//! The benchmark API through protoapi: one trait, served on one port (gRPC, HTTP, WebSocket,
//! Socket.IO: each method an event of its Rust name).
//!
//! `protoapi_server --addr 127.0.0.1:9001 --dir DIR [--uploads DIR]` (`--dir` holds the files
//! to download; uploads larger than 1 MiB are spooled to `--uploads`, the temp directory if not given);
//! `--print-proto` prints its `.proto` file, `--proto-out DIR` writes it with its imports (the
//! Python gRPC server is generated from them).
//! `baseline_server` serves the same API written by hand with tonic and axum.

use std::path::PathBuf;

use protoapi::{Download, File, Limits, Rooms, Status, Streaming};

/// A call to echo.
#[protoapi::message]
pub struct EchoRequest {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub payload: Vec<u8>,
}

/// The echo.
#[protoapi::message]
pub struct EchoReply {
    pub id: u64,
    pub message: String,
    pub tags: Vec<String>,
    pub payload: Vec<u8>,
}

/// Which user to look up: `id` from the path, the rest from the query.
#[protoapi::message]
pub struct UserQuery {
    pub id: u64,
    pub verbose: bool,
    pub limit: u32,
    pub tag: String,
}

/// A user.
#[protoapi::message]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub tags: Vec<String>,
}

/// A sign-up form (urlencoded).
#[protoapi::message]
#[form]
pub struct SignupForm {
    pub name: String,
    pub email: String,
    pub age: u32,
    pub subscribe: bool,
}

/// The answer to a sign-up.
#[protoapi::message]
pub struct SignupReply {
    pub message: String,
}

/// An upload: a multipart form with one file part, `file`.
#[protoapi::message]
#[form]
pub struct UploadRequest {
    #[file]
    pub file: File,
}

/// What was received.
#[protoapi::message]
pub struct UploadReply {
    pub name: String,
    pub size: u64,
}

/// Which file to download.
#[protoapi::message]
pub struct DownloadRequest {
    pub name: String,
}

/// How many ticks to stream.
#[protoapi::message]
pub struct TicksRequest {
    pub count: u32,
}

/// One tick of a stream.
#[protoapi::message]
pub struct Tick {
    pub seq: u64,
    pub text: String,
}

/// A shout: broadcast to every Socket.IO socket as a `note`.
#[protoapi::message]
pub struct Shout {
    pub seq: u32,
    pub text: String,
}

/// What every socket hears of a shout.
#[protoapi::message]
pub struct Note {
    pub seq: u32,
    pub text: String,
}

/// The answer to a shout, once it is on its way to every socket.
#[protoapi::message]
pub struct Shouted {}

/// The benchmark API.
#[protoapi::service(package = "bench", socketio, graphql)]
pub trait Bench {
    /// gRPC `/bench.Bench/Echo`, `POST /echo` (JSON), WebSocket `/echo/ws`.
    #[protoapi(post = "/echo", wbsk = "/echo/ws")]
    async fn echo(&self, req: EchoRequest) -> Result<EchoReply, Status>;

    /// `GET /users/:id?verbose=true&limit=3&tag=rust`.
    #[protoapi(get = "/users/:id")]
    async fn get_user(&self, req: UserQuery) -> Result<User, Status>;

    /// `POST /signup` (application/x-www-form-urlencoded).
    #[protoapi(post = "/signup")]
    async fn signup(&self, req: SignupForm) -> Result<SignupReply, Status>;

    /// `POST /upload` (multipart/form-data, part `file`); WebSocket `/upload/ws`, whose file
    /// comes in pieces; gRPC `/bench.Bench/UploadChunks` in pieces too.
    #[protoapi(post = "/upload", websocket = "/upload/ws", limit = "1GiB")]
    async fn upload(&self, req: UploadRequest) -> Result<UploadReply, Status>;

    /// `GET /files/:name`, with `Range` and conditional requests.
    #[protoapi(get = "/files/:name")]
    async fn download(&self, req: DownloadRequest) -> Result<Download, Status>;

    /// gRPC server stream, `GET /ticks/:count` (SSE with `Accept: text/event-stream`),
    /// WebSocket `/ticks/ws`.
    #[protoapi(get = "/ticks/:count", wbsk = "/ticks/ws")]
    async fn ticks(&self, req: TicksRequest) -> Result<Streaming<Tick>, Status>;

    /// Socket.IO event `shout`: sends a `note` to every socket (`POST /shout` too).
    #[protoapi(post = "/shout")]
    async fn shout(&self, req: Shout) -> Result<Shouted, Status>;
}

struct Api {
    dir: PathBuf,
    rooms: Rooms,
}

impl Bench for Api {
    async fn echo(&self, req: EchoRequest) -> Result<EchoReply, Status> {
        Ok(EchoReply {
            id: req.id,
            message: format!("hello {}", req.name),
            tags: req.tags,
            payload: req.payload,
        })
    }

    async fn get_user(&self, req: UserQuery) -> Result<User, Status> {
        let tags = if req.verbose {
            vec![req.tag; req.limit.min(4) as usize]
        } else {
            Vec::new()
        };
        Ok(User {
            id: req.id,
            name: format!("user {}", req.id),
            email: format!("user{}@example.com", req.id),
            tags,
        })
    }

    async fn signup(&self, req: SignupForm) -> Result<SignupReply, Status> {
        if req.age < 13 {
            return Err(Status::invalid_argument("too young"));
        }
        let list = if req.subscribe { " (subscribed)" } else { "" };
        Ok(SignupReply {
            message: format!("welcome {} <{}>{list}", req.name, req.email),
        })
    }

    async fn upload(&self, req: UploadRequest) -> Result<UploadReply, Status> {
        Ok(UploadReply {
            name: req.file.safe_name(),
            size: req.file.size(),
        })
    }

    async fn download(&self, req: DownloadRequest) -> Result<Download, Status> {
        let path = self.dir.join(protoapi::safe_file_name(&req.name));
        match Download::from_path(&path).await {
            Ok(download) => Ok(download),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(Status::not_found(format!("no file named {}", req.name)))
            }
            Err(_) => Err(Status::internal("failed to open the file")),
        }
    }

    async fn ticks(&self, req: TicksRequest) -> Result<Streaming<Tick>, Status> {
        Ok(Streaming::iter((0..u64::from(req.count)).map(|seq| Tick {
            seq,
            text: "tick".to_owned(),
        })))
    }

    async fn shout(&self, req: Shout) -> Result<Shouted, Status> {
        let note = Note {
            seq: req.seq,
            text: req.text,
        };
        self.rooms.everyone().emit("note", &note).await?;
        Ok(Shouted {})
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = String::from("127.0.0.1:9001");
    let mut dir = std::env::temp_dir();
    let mut uploads = None;
    let mut args = std::env::args().skip(1);
    let server = |dir: PathBuf, uploads: Option<PathBuf>| {
        let rooms = Rooms::new();
        let builder = protoapi::Server::builder()
            .limits(Limits::default())
            .rooms(rooms.clone())
            .add(BenchServer::new(Api { dir, rooms }));
        match uploads {
            Some(uploads) => builder.upload_dir(uploads),
            None => builder,
        }
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().ok_or("--addr needs HOST:PORT")?,
            "--dir" => dir = args.next().ok_or("--dir needs a directory")?.into(),
            "--uploads" => uploads = Some(args.next().ok_or("--uploads needs a directory")?.into()),
            "--print-proto" => {
                for file in server(dir.clone(), None).proto_files() {
                    if !file.name.starts_with("protoapi/") {
                        print!("{}", file.content);
                    }
                }
                return Ok(());
            }
            "--print-graphql" => {
                let sdl = server(dir.clone(), None).graphql_sdl()?;
                print!("{}", sdl.unwrap_or_default());
                return Ok(());
            }
            "--proto-out" => {
                let out = PathBuf::from(args.next().ok_or("--proto-out needs a directory")?);
                for file in server(dir.clone(), None).proto_files() {
                    let path = out.join(&file.name);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&path, &file.content)?;
                }
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    server(dir, uploads)
        .serve_listener(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
