//! The OpenAPI document: served by a live server at the configured path, and what it says.

use protoapi::{Download, File, Status, Streaming};
use serde_json::json;

use crate::support::{TestServer, send};

/// A shelf of books.
#[protoapi::message]
pub struct Book {
    /// The book's number.
    pub id: u32,
    pub title: String,
    pub tags: Vec<String>,
}

/// Which books to list.
#[protoapi::message]
pub struct Shelf {
    pub shelf: String,
    /// Only books with this text in their title.
    pub search: String,
    pub limit: Option<u32>,
}

/// A cover for a book.
#[protoapi::message]
#[form]
pub struct Cover {
    pub id: u32,
    pub caption: String,
    #[file]
    pub image: File,
}

/// A file by its path.
#[protoapi::message]
pub struct FilePath {
    pub path: String,
}

/// Books, by shelf.
#[protoapi::service(package = "library.v1")]
pub trait Library {
    /// Lists the books of a shelf.
    ///
    /// Sorted by title.
    #[protoapi(get = "/shelves/:shelf/books")]
    async fn list(&self, req: Shelf) -> Result<Streaming<Book>, Status>;
    /// Uploads a cover.
    #[protoapi(post = "/books/:id/cover", status = 201)]
    async fn cover(&self, req: Cover) -> Result<Book, Status>;
    /// A file of the library.
    #[protoapi(get = "/files/*path")]
    async fn file(&self, req: FilePath) -> Result<Download, Status>;
    /// How many books a shelf has, in `id`.
    #[protoapi(get = "/count")]
    async fn count(&self, req: Shelf) -> Result<Book, Status>;
    /// Always panics.
    #[protoapi(post = "/panic")]
    async fn panic(&self, req: Book) -> Result<Book, Status>;
}

struct Books;

impl Library for Books {
    async fn list(&self, _req: Shelf) -> Result<Streaming<Book>, Status> {
        Ok(Streaming::empty())
    }

    async fn cover(&self, req: Cover) -> Result<Book, Status> {
        Ok(Book {
            id: req.id,
            title: req.image.name().to_owned(),
            tags: vec![req.caption],
        })
    }

    async fn file(&self, req: FilePath) -> Result<Download, Status> {
        Ok(Download::from_bytes(
            "file.txt",
            "text/plain",
            req.path.into_bytes(),
        ))
    }

    async fn count(&self, _req: Shelf) -> Result<Book, Status> {
        Ok(Book::default())
    }

    async fn panic(&self, _req: Book) -> Result<Book, Status> {
        panic!("a bug in the method")
    }
}

async fn library() -> TestServer {
    TestServer::start(
        protoapi::Server::builder()
            .add(LibraryServer::new(Books))
            .openapi("/openapi.json")
            .openapi_info("Library", "3.1.4"),
    )
    .await
}

#[tokio::test]
async fn the_document_is_served_at_its_path() {
    let server = library().await;
    let answer = send(reqwest::Client::new().get(server.url("/openapi.json"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["info"],
        json!({"title": "Library", "version": "3.1.4", "description": "Books, by shelf."})
    );

    // A path parameter and a query parameter, with their schemas and doc comments.
    let list = &doc["paths"]["/shelves/{shelf}/books"]["get"];
    assert_eq!(list["operationId"], "library.v1.Library.List");
    assert_eq!(list["summary"], "Lists the books of a shelf.");
    assert_eq!(
        list["description"],
        "Lists the books of a shelf.\n\nSorted by title."
    );
    assert_eq!(
        list["parameters"],
        json!([
            {"name": "shelf", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}},
            {"name": "search", "in": "query", "description": "Only books with this text in their title.", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295_u32}},
        ])
    );
    let streamed: Vec<&String> = list["responses"]["200"]["content"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(streamed, ["application/x-ndjson", "text/event-stream"]);

    // A form with a file part, urlencoded or multipart, and the method's status.
    let cover = &doc["paths"]["/books/{id}/cover"]["post"];
    let content = &cover["requestBody"]["content"];
    assert_eq!(
        content["multipart/form-data"]["schema"],
        json!({
            "type": "object",
            "description": "A cover for a book.",
            "properties": {
                "id": {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295_u32},
                "caption": {"type": "string"},
                "image": {"type": "string", "format": "binary"},
            },
        })
    );
    assert_eq!(
        content["application/x-www-form-urlencoded"]["schema"]["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["caption".to_owned(), "id".to_owned()])
    );
    assert_eq!(
        cover["responses"]["201"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Book"})
    );
    let codes: Vec<&String> = cover["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(codes, ["201", "400", "413", "415", "default"]);

    // A download: binary content, its headers, ranges and validators; `*path` as `{path}`.
    let file = &doc["paths"]["/files/{path}"]["get"];
    assert_eq!(
        file["parameters"][0]["description"],
        "The rest of the path: it spans segments, `/` included."
    );
    assert_eq!(
        file["responses"]["200"]["content"],
        json!({"*/*": {"schema": {"type": "string", "format": "binary"}}})
    );
    let headers: Vec<&String> = file["responses"]["200"]["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        headers,
        [
            "Accept-Ranges",
            "Content-Disposition",
            "Content-Length",
            "ETag",
            "Last-Modified"
        ]
    );
    let codes: Vec<&String> = file["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(codes, ["200", "206", "304", "400", "416", "default"]);

    // The message schemas and the error schema.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Book"],
        json!({
            "type": "object",
            "description": "A shelf of books.",
            "properties": {
                "id": {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 4294967295_u32, "description": "The book's number."},
                "title": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        })
    );
    assert_eq!(
        schemas["protoapi.Error"]["required"],
        json!(["code", "message", "details"])
    );
    assert_eq!(
        schemas["protoapi.Error"]["properties"]["code"]["enum"][2],
        "invalid_argument"
    );
    assert_eq!(
        cover["responses"]["415"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/protoapi.Error"})
    );
    assert_eq!(
        cover["responses"]["415"]["content"]["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/protoapi.Problem"})
    );
    assert_eq!(
        schemas["protoapi.Problem"]["required"],
        json!(["type", "title", "status", "detail", "code", "details"])
    );

    // Only GET (and HEAD) at the document's path.
    let post = send(reqwest::Client::new().post(server.url("/openapi.json"))).await;
    assert_eq!(post.status, 405);
    assert_eq!(post.headers["allow"], "GET, HEAD");
}

#[tokio::test]
async fn the_served_document_is_the_builders_document() {
    let server = library().await;
    let served = send(reqwest::Client::new().get(server.url("/openapi.json")))
        .await
        .json();
    let built = protoapi::Server::builder()
        .add(LibraryServer::new(Books))
        .openapi_info("Library", "3.1.4")
        .openapi_document();
    assert_eq!(served, built);
}

#[tokio::test]
async fn without_openapi_there_is_no_document() {
    let server =
        TestServer::start(protoapi::Server::builder().add(LibraryServer::new(Books))).await;
    let answer = send(reqwest::Client::new().get(server.url("/openapi.json"))).await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn a_route_at_the_documents_path_is_refused() {
    let builder = protoapi::Server::builder()
        .add(LibraryServer::new(Books))
        .openapi("/shelves/{shelf}/books");
    let error = builder.into_router().err().map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "invalid configuration: the OpenAPI document's path `/shelves/{shelf}/books` is not a plain path (`/` then letters, digits, `/`, `-`, `_`, `.`, `~`)"
        )
    );
    let builder = protoapi::Server::builder()
        .add(LibraryServer::new(Books))
        .openapi("/count");
    let error = builder.into_router().err().map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "conflicting routes: GET /count is claimed by library.v1.Library/Count and the OpenAPI document"
        )
    );
    let builder = protoapi::Server::builder()
        .add(LibraryServer::new(Books))
        .openapi("/files");
    assert!(builder.into_router().is_ok());
}

#[tokio::test]
async fn the_docs_page_reads_the_document_and_ships_its_files() {
    let server = TestServer::start(
        protoapi::Server::builder()
            .add(LibraryServer::new(Books))
            .openapi_info("Library <&>", "3.1.4")
            .docs("/docs"),
    )
    .await;
    let client = reqwest::Client::new();
    let page = send(client.get(server.url("/docs"))).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.body.contains("<title>Library &lt;&amp;&gt;</title>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<script src="/docs/assets/swagger-ui-bundle.js"></script>"#)
    );
    assert!(
        page.body.contains(r#"url: "/docs/openapi.json""#),
        "{}",
        page.body
    );
    // Without `openapi(path)`, the document is served beside the page.
    let document = send(client.get(server.url("/docs/openapi.json"))).await;
    assert_eq!(document.status, 200);
    assert_eq!(document.json()["info"]["title"], "Library <&>");
    for (file, kind) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
    ] {
        let answer = send(client.get(server.url(&format!("/docs/assets/{file}")))).await;
        assert_eq!(answer.status, 200, "{file}");
        assert_eq!(answer.content_type.as_deref(), Some(kind), "{file}");
        assert!(
            answer.body.len() > 100_000,
            "{file}: {} bytes",
            answer.body.len()
        );
    }
}

#[tokio::test]
async fn the_docs_page_reads_the_document_where_it_is_served_and_claims_its_path() {
    let builder = protoapi::Server::builder()
        .add(LibraryServer::new(Books))
        .openapi("/openapi.json")
        .docs("/api-docs");
    let server = TestServer::start(builder).await;
    let page = send(reqwest::Client::new().get(server.url("/api-docs"))).await;
    assert!(
        page.body.contains(r#"url: "/openapi.json""#),
        "{}",
        page.body
    );

    let error =
        |builder: protoapi::ServerBuilder| builder.into_router().err().map(|e| e.to_string());
    assert_eq!(
        error(
            protoapi::Server::builder()
                .add(LibraryServer::new(Books))
                .docs("/count")
        )
        .as_deref(),
        Some(
            "conflicting routes: GET /count is claimed by library.v1.Library/Count and the docs page"
        )
    );
    assert_eq!(
        error(
            protoapi::Server::builder()
                .add(LibraryServer::new(Books))
                .openapi("/docs")
                .docs("/docs")
        )
        .as_deref(),
        Some("conflicting routes: GET /docs is claimed by the OpenAPI document and the docs page")
    );
    assert_eq!(
        error(protoapi::Server::builder().docs("docs")).as_deref(),
        Some(
            "invalid configuration: the docs page's path `docs` is not a plain path (`/` then letters, digits, `/`, `-`, `_`, `.`, `~`)"
        )
    );
}

#[tokio::test]
async fn a_method_that_panics_is_answered_internal() {
    let server = library().await;
    let client = reqwest::Client::new();
    let answer = send(
        client
            .post(server.url("/panic"))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.json(),
        json!({"code": "internal", "message": "internal error", "details": []})
    );
    // The connection and the server go on.
    let answer = send(client.get(server.url("/files/a/b.txt"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "a/b.txt");
}
