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
#[path = "greeter/service.rs"]
mod service;

use std::path::PathBuf;

use service::{GreeterServer, MyGreeter};

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
