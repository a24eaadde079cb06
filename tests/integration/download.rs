//! Downloads over HTTP (ranges, validators) and over gRPC (a stream of `FileChunk`s).

use futures_util::StreamExt as _;

use crate::support::files::{FileReq, FilesClient, FilesImpl, FilesServer};
use crate::support::{TestServer, send};

const CONTENT: &str = "interstellar, 星际穿越";

async fn files_server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("星际穿越.txt"), CONTENT).expect("write");
    std::fs::write(dir.path().join("secret"), "outside").expect("write");
    let served = dir.path().join("served");
    std::fs::create_dir(&served).expect("mkdir");
    std::fs::rename(dir.path().join("星际穿越.txt"), served.join("星际穿越.txt")).expect("move");
    let server = TestServer::start(
        protoapi::Server::builder().add(FilesServer::new(FilesImpl { dir: served })),
    )
    .await;
    (server, dir)
}

fn get(url: String) -> reqwest::RequestBuilder {
    reqwest::Client::new().get(url)
}

const NAME: &str = "/files/%E6%98%9F%E9%99%85%E7%A9%BF%E8%B6%8A.txt";

#[tokio::test]
async fn a_file_downloads_whole_with_its_headers() {
    let (server, _dir) = files_server().await;
    let answer = send(get(server.url(NAME))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, CONTENT);
    let h = &answer.headers;
    assert_eq!(h["content-type"], "text/plain; charset=utf-8");
    assert_eq!(h["content-length"], CONTENT.len().to_string().as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"____.txt\"; filename*=UTF-8''%E6%98%9F%E9%99%85%E7%A9%BF%E8%B6%8A.txt"
    );
    assert!(h["etag"].to_str().expect("ascii").starts_with('"'));
    assert!(h.contains_key("last-modified"));

    let response = reqwest::Client::new()
        .head(server.url(NAME))
        .send()
        .await
        .expect("head");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-length"],
        CONTENT.len().to_string().as_str()
    );
    assert_eq!(response.text().await.expect("body"), "");
}

#[tokio::test]
async fn ranges_answer_206_and_416() {
    let (server, _dir) = files_server().await;
    let answer = send(get(server.url(NAME)).header("range", "bytes=0-4")).await;
    assert_eq!((answer.status, answer.body.as_str()), (206, "inter"));
    assert_eq!(
        answer.headers["content-range"],
        format!("bytes 0-4/{}", CONTENT.len()).as_str()
    );
    assert_eq!(answer.headers["content-length"], "5");

    let answer = send(get(server.url(NAME)).header("range", "bytes=-12")).await;
    assert_eq!((answer.status, answer.body.as_str()), (206, "星际穿越"));

    let answer = send(get(server.url(NAME)).header("range", "bytes=1000-")).await;
    assert_eq!(answer.status, 416);
    assert_eq!(
        answer.headers["content-range"],
        format!("bytes */{}", CONTENT.len()).as_str()
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"code": "out_of_range", "message": format!("the range is outside the file's {} bytes", CONTENT.len()), "details": []})
    );

    // Several ranges are not honoured: the whole file comes.
    let answer = send(get(server.url(NAME)).header("range", "bytes=0-1,3-4")).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, CONTENT));
}

#[tokio::test]
async fn validators_answer_304_and_guard_ranges() {
    let (server, _dir) = files_server().await;
    let first = send(get(server.url(NAME))).await;
    let etag = first.headers["etag"].to_str().expect("ascii").to_owned();
    let modified = first.headers["last-modified"]
        .to_str()
        .expect("ascii")
        .to_owned();

    let answer = send(get(server.url(NAME)).header("if-none-match", &etag)).await;
    assert_eq!((answer.status, answer.body.as_str()), (304, ""));
    assert_eq!(answer.headers["etag"], etag.as_str());
    let answer =
        send(get(server.url(NAME)).header("if-none-match", "\"other\", W/".to_owned() + &etag))
            .await;
    assert_eq!(answer.status, 304);
    let answer = send(get(server.url(NAME)).header("if-none-match", "\"other\"")).await;
    assert_eq!(answer.status, 200);
    let answer = send(get(server.url(NAME)).header("if-modified-since", &modified)).await;
    assert_eq!(answer.status, 304);

    let answer = send(
        get(server.url(NAME))
            .header("range", "bytes=0-4")
            .header("if-range", &etag),
    )
    .await;
    assert_eq!((answer.status, answer.body.as_str()), (206, "inter"));
    let answer = send(
        get(server.url(NAME))
            .header("range", "bytes=0-4")
            .header("if-range", "\"stale\""),
    )
    .await;
    assert_eq!((answer.status, answer.body.as_str()), (200, CONTENT));
}

#[tokio::test]
async fn a_missing_file_is_404_and_names_cannot_leave_the_directory() {
    let (server, _dir) = files_server().await;
    let answer = send(get(server.url("/files/nothing.txt"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.body,
        r#"{"code":"not_found","message":"no file nothing.txt","details":[]}"#
    );
    // `secret` is next to the served directory, not in it.
    let answer = send(get(server.url("/files/..%2Fsecret"))).await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.body,
        r#"{"code":"not_found","message":"no file ../secret","details":[]}"#
    );
}

#[tokio::test]
async fn memory_and_stream_downloads() {
    let (server, _dir) = files_server().await;
    let answer = send(get(server.url("/memory/x.bin")).header("range", "bytes=3-5")).await;
    assert_eq!((answer.status, answer.body.as_str()), (206, "345"));
    assert!(!answer.headers.contains_key("etag"));

    let answer = send(get(server.url("/stream"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "one two three")
    );
    assert!(!answer.headers.contains_key("content-length"));
    assert!(!answer.headers.contains_key("accept-ranges"));
}

#[tokio::test]
async fn a_download_over_grpc_is_a_stream_of_chunks() {
    let (server, _dir) = files_server().await;
    let client = FilesClient::connect(server.url("")).await.expect("connect");
    let mut stream = client
        .fetch(FileReq {
            name: "星际穿越.txt".into(),
        })
        .await
        .expect("fetch")
        .into_inner();
    let first = stream.next().await.expect("a chunk").expect("ok");
    assert_eq!(
        (first.name.as_str(), first.content_type.as_str(), first.size),
        (
            "星际穿越.txt",
            "text/plain; charset=utf-8",
            CONTENT.len() as u64
        )
    );
    let mut data = first.data.to_vec();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("ok");
        assert_eq!((chunk.name.as_str(), chunk.size), ("", 0));
        data.extend_from_slice(&chunk.data);
    }
    assert_eq!(data, CONTENT.as_bytes());

    let status = client
        .fetch(FileReq {
            name: "nothing".into(),
        })
        .await
        .expect_err("missing");
    assert_eq!(
        (status.code(), status.message()),
        (protoapi::Code::NotFound, "no file nothing")
    );
}

/// A download as a stream of `FileChunk` messages over Connect (the runner WebSockets share):
/// the file's chunk, then the end of the stream.
#[tokio::test]
async fn a_download_streams_its_chunks_over_connect() {
    let (server, _dir) = files_server().await;
    let response = reqwest::Client::new()
        .post(server.url("/files.v1.Files/Fetch"))
        .header("content-type", "application/connect+json")
        .body(crate::support::envelope(
            0,
            r#"{"name":"星际穿越.txt"}"#.as_bytes(),
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let frames: Vec<(u8, serde_json::Value)> =
        crate::support::frames(response.bytes().await.expect("body"))
            .into_iter()
            .map(|(flags, bytes)| (flags, serde_json::from_slice(&bytes).expect("json")))
            .collect();
    use base64::Engine as _;
    assert_eq!(
        frames,
        [
            (
                0,
                serde_json::json!({
                    "name": "星际穿越.txt",
                    "contentType": "text/plain; charset=utf-8",
                    "size": CONTENT.len().to_string(),
                    "data": base64::engine::general_purpose::STANDARD.encode(CONTENT),
                })
            ),
            (2, serde_json::json!({})),
        ]
    );
}
