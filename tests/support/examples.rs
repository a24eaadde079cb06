//! The example binaries: started as a user starts them, and their APIs declared again for the
//! clients that call them (they share only the wire format with the examples).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// `target/<profile>/examples/<name>`, which `cargo test` builds before running tests.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A running example, killed when dropped.
pub struct Running {
    child: Child,
    pub url: String,
}

impl Running {
    /// The example's process id.
    #[allow(
        dead_code,
        reason = "only some test binaries read the process's memory"
    )]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts an example on an ephemeral port and waits for its `listening on` line.
pub fn start(name: &str) -> Running {
    start_with(name, &[])
}

/// [`start`] with more arguments.
pub fn start_with(name: &str, args: &[&str]) -> Running {
    let child = Command::new(example(name))
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e}"));
    listening(name, child)
}

/// [`start`] logging at `RUST_LOG=info`: the example's log, line by line as it writes them.
#[allow(dead_code, reason = "only the integration tests read an example's log")]
pub fn start_logging(name: &str) -> (Running, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(example(name))
        .args(["--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e}"));
    let stderr = child.stderr.take().expect("stderr");
    let (lines, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (listening(name, child), log)
}

/// The running example once it printed its `listening on` line.
fn listening(name: &str, mut child: Child) -> Running {
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read stdout");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line of {name}: {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Running { child, url }
}

/// The greeter example's API, declared again here: a client of it calls the example binary.
pub mod hello {
    use protoapi::Status;

    #[protoapi::message]
    pub struct HelloRequest {
        pub name: String,
    }

    #[protoapi::message]
    pub struct HelloReply {
        pub message: String,
    }

    #[protoapi::message]
    #[form]
    pub struct UploadReq {
        #[file]
        pub test_file: protoapi::File,
    }

    #[protoapi::message]
    pub struct UploadRsp {
        pub status: String,
    }

    #[protoapi::message]
    pub struct DownloadReq {
        pub name: String,
    }

    #[protoapi::service(package = "hello")]
    pub trait Greeter {
        async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;
        #[protoapi(path = "/demo/upload")]
        async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status>;
        #[protoapi(get = "/demo/download/:name")]
        async fn download(&self, req: DownloadReq) -> Result<protoapi::Download, Status>;
    }
}

/// The observability example's API, declared again here.
pub mod observe {
    use protoapi::{Status, Streaming};

    #[protoapi::message]
    pub struct HelloRequest {
        pub name: String,
    }

    #[protoapi::message]
    pub struct HelloReply {
        pub message: String,
    }

    #[protoapi::message]
    pub struct CountRequest {
        pub n: u32,
    }

    #[protoapi::message]
    pub struct Count {
        pub n: u32,
    }

    #[protoapi::service(package = "observe")]
    pub trait Greeter {
        async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;
        #[protoapi(get = "/count/:n")]
        async fn count(&self, req: CountRequest) -> Result<Streaming<Count>, Status>;
    }
}

/// The auth example's API, declared again here.
pub mod auth {
    use protoapi::{Context, Status};

    #[protoapi::message]
    pub struct MeRequest {}

    #[protoapi::message]
    pub struct Me {
        pub name: String,
        pub admin: bool,
        pub transport: String,
    }

    #[protoapi::service(package = "auth")]
    pub trait Profile {
        #[protoapi(get = "/me", websocket = "/me/ws")]
        async fn me(&self, ctx: Context, req: MeRequest) -> Result<Me, Status>;
        #[protoapi(get = "/admin")]
        async fn admin(&self, ctx: Context, req: MeRequest) -> Result<Me, Status>;
    }
}

/// The dating example's API, declared again here.
pub mod date {
    use protoapi::Status;

    #[protoapi::message]
    pub struct Eat {
        pub food: String,
    }

    #[protoapi::message]
    pub struct Movie {
        pub film: String,
    }

    #[protoapi::message]
    pub struct Feel {
        pub feeling: bool,
    }

    #[protoapi::service(package = "date")]
    pub trait Dating {
        async fn eating(&self, req: Eat) -> Result<Feel, Status>;
        async fn watch_movie(&self, req: Movie) -> Result<Feel, Status>;
    }
}

/// The chat example's API, declared again here.
pub mod chat {
    use protoapi::{Status, Streaming};

    #[protoapi::message]
    pub struct ChatMessage {
        pub user: String,
        pub text: String,
    }

    #[protoapi::message]
    pub enum Kind {
        Unspecified = 0,
        Message = 1,
        Joined = 2,
        Left = 3,
    }

    #[protoapi::message]
    pub struct ChatEvent {
        pub kind: Kind,
        pub user: String,
        pub text: String,
    }

    #[protoapi::service(package = "chat")]
    pub trait Chat {
        async fn chat(
            &self,
            messages: Streaming<ChatMessage>,
        ) -> Result<Streaming<ChatEvent>, Status>;
    }
}
