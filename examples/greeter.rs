//! The greeter: package `hello`, trait `Greeter`: a greeting, and the upload and download of the
//! Go protoapi's design note.
//!
//! ```sh
//! cargo run --example greeter -- --dir /tmp/uploads
//! curl -s localhost:8080/hello/greeter/say_hello -H 'content-type: application/json' -d '{"name":"火锅"}'
//! curl -s localhost:8080/demo/upload -F test_file=@README.md
//! curl -s localhost:8080/demo/download/README.md
//! ```
//!
//! `GET /docs` serves the interactive page of its OpenAPI document (Swagger UI), whose "Try it
//! out" calls the server; `GET /docs/openapi.json` the document.
//!
//! `GET /` serves a page (`examples/greeter/index.html`, served through
//! [`protoapi::ServerBuilder::merge`]) that calls each of these from a browser: say hello over
//! HTTP JSON, over Socket.IO and with the typed Connect-ES client, upload a file with `fetch` and `FormData`, download it back and
//! compare it with the chosen file, and upload it again over the WebSocket at `/demo/upload`, in
//! binary pieces. Open <http://127.0.0.1:8080/> after `cargo run --example greeter`; `browser/`
//! holds a Playwright test that clicks through it in Chromium (`cd browser && npm ci && npm test`).
//!
//! The page's Socket.IO client is the browser build of the npm package `socket.io-client`,
//! committed unchanged with its license in `examples/greeter/socket.io-client/` (its README names
//! the version) and embedded here with `include_str!`, served at `GET /socket.io.min.js`. Committed
//! rather than fetched at build time or from a CDN, the example needs no npm and no network: it
//! builds and its page works offline on a fresh machine, and the file changes only in a reviewed
//! commit. So is its typed Connect-ES client (`examples/greeter/connect-es/`, served at
//! `GET /greeter-connect.js`), bundled from this service's own `--proto-out` files by
//! `interop/node/greeter-bundle.sh`, which CI runs to check that it is up to date.

mod common;

use std::path::PathBuf;

use protoapi::{Download, File, Status};

/// Whom to greet.
#[protoapi::message]
pub struct HelloRequest {
    /// The name to greet; must not be empty.
    pub name: String,
}

/// The greeting.
#[protoapi::message]
pub struct HelloReply {
    /// `hello {name}`.
    pub message: String,
}

/// An upload: a multipart form whose file part is called `test_file`.
#[protoapi::message]
#[form]
pub struct UploadReq {
    /// The uploaded file.
    #[file]
    pub test_file: File,
}

/// What became of an upload.
#[protoapi::message]
pub struct UploadRsp {
    /// `received {file name} ({size} bytes)`.
    pub status: String,
}

/// Which stored file to send back.
#[protoapi::message]
pub struct DownloadReq {
    /// The file name, as the upload answer gave it.
    pub name: String,
}

/// Greets people, and keeps their files.
#[protoapi::service(package = "hello", socketio, graphql)]
pub trait Greeter {
    /// Answers `hello {name}`; an empty name is `invalid_argument`.
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;

    /// Stores an uploaded file under its sanitized name.
    #[protoapi(path = "/demo/upload", wbsk, limit = "1GiB")]
    async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status>;

    /// Sends a stored file back.
    #[protoapi(get = "/demo/download/:name")]
    async fn download(&self, req: DownloadReq) -> Result<Download, Status>;
}

struct MyGreeter {
    dir: PathBuf,
}

impl Greeter for MyGreeter {
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status> {
        if req.name.is_empty() {
            return Err(Status::invalid_argument("name must not be empty"));
        }
        Ok(HelloReply {
            message: format!("hello {}", req.name),
        })
    }

    async fn upload(&self, req: UploadReq) -> Result<UploadRsp, Status> {
        let file = req.test_file;
        if file.name().is_empty() && file.size() == 0 {
            return Err(Status::invalid_argument("no file in `test_file`"));
        }
        let name = file.safe_name();
        let size = file.size();
        file.persist(self.dir.join(&name)).await.map_err(|error| {
            tracing::error!(%error, "failed to store an upload");
            Status::internal("failed to store the file")
        })?;
        Ok(UploadRsp {
            status: format!("received {name} ({size} bytes)"),
        })
    }

    async fn download(&self, req: DownloadReq) -> Result<Download, Status> {
        let path = self.dir.join(protoapi::safe_file_name(&req.name));
        match Download::from_path(&path).await {
            Ok(download) => Ok(download),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(Status::not_found(format!("no file named {}", req.name)))
            }
            Err(error) => {
                tracing::error!(%error, "failed to open a stored file");
                Err(Status::internal("failed to open the file"))
            }
        }
    }
}

/// The page at `GET /`: no resources from other hosts; its script files are [`SOCKET_IO`] and
/// [`CONNECT_ES`].
const PAGE: &str = include_str!("greeter/index.html");

/// The browser build of socket.io-client, which the page loads from `GET /socket.io.min.js`.
const SOCKET_IO: &str = include_str!("greeter/socket.io-client/socket.io.min.js");

/// The typed Connect-ES client of this service (`examples/greeter/connect-es`), which the page
/// loads from `GET /greeter-connect.js`.
const CONNECT_ES: &str = include_str!("greeter/connect-es/greeter-connect.js");

/// The example's own routes beside the API: the page, its Socket.IO client and its typed
/// Connect client.
fn page() -> axum::Router {
    use axum::http::header;
    axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async { axum::response::Html(PAGE) }),
        )
        .route(
            "/socket.io.min.js",
            axum::routing::get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SOCKET_IO,
                )
            }),
        )
        .route(
            "/greeter-connect.js",
            axum::routing::get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    CONNECT_ES,
                )
            }),
        )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Uploads go to `--dir`, or to a fresh temporary directory removed at exit.
    let temporary;
    let dir = match common::option("--dir") {
        Some(dir) => PathBuf::from(dir),
        None => {
            temporary = tempfile::tempdir()?;
            temporary.path().to_owned()
        }
    };
    std::fs::create_dir_all(&dir)?;
    let greeter = MyGreeter { dir };
    common::run(
        protoapi::Server::builder()
            .add(GreeterServer::new(greeter))
            .docs("/docs")
            .merge(page()),
        &["--dir"],
    )
    .await
}

/// The greeter tested in-process with `protoapi::test`, as README.md shows: no port, the
/// server's own connection code over an in-memory pipe.
#[cfg(test)]
mod tests {
    use protoapi::Code;
    use protoapi::test::TestClient;

    use super::*;

    async fn client() -> TestClient {
        let greeter = MyGreeter {
            dir: std::env::temp_dir(),
        };
        let server = protoapi::Server::builder().add(GreeterServer::new(greeter));
        TestClient::new(server).await.expect("the server builds")
    }

    #[tokio::test]
    async fn says_hello_over_http() {
        let client = client().await;
        let answer = client
            .post_json("/hello/greeter/say_hello", r#"{"name":"火锅"}"#)
            .await
            .expect("an answer");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.text(), r#"{"message":"hello 火锅"}"#);

        let answer = client
            .post_json("/hello/greeter/say_hello", r#"{"name":""}"#)
            .await
            .expect("an answer");
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text(),
            r#"{"code":"invalid_argument","message":"name must not be empty","details":[]}"#
        );
    }

    #[tokio::test]
    async fn says_hello_over_grpc() {
        let greeter = GreeterClient::new(client().await.channel());
        let reply = greeter
            .say_hello(HelloRequest {
                name: "火锅".into(),
            })
            .await
            .expect("say_hello");
        assert_eq!(reply.into_inner().message, "hello 火锅");

        let status = greeter
            .say_hello(HelloRequest::default())
            .await
            .expect_err("an empty name");
        assert_eq!(
            (status.code(), status.message()),
            (Code::InvalidArgument, "name must not be empty")
        );
    }
}
