//! WebSocket uploads in pieces: `file` frames in JSON and protobuf spooled as they arrive, on a
//! method's own socket and a service's, with their limits and errors.

use std::time::Duration;

use base64::Engine as _;
use futures_util::SinkExt as _;
use prost::Message as _;
use protoapi::{FileChunk, Frame, Limits, Server};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::TestServer;
use crate::support::streams::streams_server;
use crate::support::uploads::{UploadReq, UploadRsp, UploadsImpl, UploadsServer, checksum};
use crate::support::websocket::{Ws, connect, next, next_frame, next_text, send_json};

/// The socket's message cap: the body limit. `Upload`'s own limit, 8 MiB, caps its files.
const CAP: usize = 256 << 10;

async fn server(dir: &std::path::Path) -> TestServer {
    TestServer::start(
        Server::builder()
            .upload_dir(dir)
            .limits(Limits::default().body(CAP).spool_threshold(64 << 10))
            .add(UploadsServer::new(UploadsImpl)),
    )
    .await
}

/// `len` bytes that differ from piece to piece, starting from `seed`.
fn content(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(31).wrapping_add(seed) % 253) as u8)
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Waits up to 5 s for the upload directory to hold `count` files.
async fn wait_for_files(dir: &std::path::Path, count: usize) {
    for _ in 0..500 {
        if leftovers(dir).len() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "expected {count} files in the upload dir, found {:?}",
        leftovers(dir)
    );
}

/// A binary frame of call `id` with `fill` applied.
async fn send_frame(ws: &mut Ws, id: &str, fill: impl FnOnce(&mut Frame)) {
    let mut frame = Frame {
        id: id.into(),
        ..Frame::default()
    };
    fill(&mut frame);
    ws.send(Message::binary(frame.encode_to_vec()))
        .await
        .expect("send");
}

/// A binary frame carrying a piece.
async fn send_piece(ws: &mut Ws, id: &str, piece: FileChunk, end: bool) {
    send_frame(ws, id, |frame| {
        frame.file = Some(piece);
        frame.end = end;
    })
    .await;
}

fn data(bytes: &[u8]) -> FileChunk {
    FileChunk {
        data: bytes.to_vec().into(),
        ..FileChunk::default()
    }
}

/// A file sent: its name, content type and bytes.
type Sent<'a> = (&'a str, &'a str, &'a [u8]);

/// The JSON of the answer to an upload of `files` with `note` and `count`.
fn json_answer(id: &str, files: &[Sent<'_>], note: &str, count: u32) -> String {
    let list = |f: &dyn Fn(&Sent<'_>) -> String| files.iter().map(f).collect::<Vec<_>>().join(",");
    let first = files.first().map_or(&[][..], |f| f.2);
    // Fields at their defaults are left out.
    let note = match note {
        "" => String::new(),
        note => format!(r#""note":"{note}","#),
    };
    let count = match count {
        0 => String::new(),
        count => format!(r#""count":{count},"#),
    };
    format!(
        r#"{{"id":{id},"data":{{"names":[{}],"safeNames":[{}],"types":[{}],"sizes":[{}],"spooled":[{}],"firstBytes":"{}",{note}{count}"checksums":[{}]}}}}"#,
        list(&|f| format!("\"{}\"", f.0)),
        list(&|f| format!("\"{}\"", f.0)),
        list(&|f| format!("\"{}\"", f.1)),
        list(&|f| format!("\"{}\"", f.2.len())),
        list(&|f| (f.2.len() > 64 << 10).to_string()),
        b64(&first[..first.len().min(16)]),
        list(&|f| format!("\"{}\"", checksum(f.2))),
    )
}

/// The answer of a binary call, decoded.
async fn next_answer(ws: &mut Ws, id: &str) -> UploadRsp {
    let frame = next_frame(ws).await;
    assert_eq!(
        (frame.id.as_str(), frame.error, frame.end),
        (id, None, false)
    );
    UploadRsp::decode(frame.data.expect("data")).expect("UploadRsp")
}

#[tokio::test]
async fn a_json_upload_in_pieces_arrives_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/upload/ws").await;
    // 300 KiB in pieces of 50 KiB: spooled past 64 KiB, and more than one message in all.
    let file = content(300 << 10, 1);
    let mut pieces = file.chunks(50 << 10);
    let first = pieces.next().expect("a piece");
    send_json(
        &mut ws,
        json!({"id": 1, "data": {"note": "火锅", "count": 3}, "file": {
            "field": "testFile", "name": "a.bin", "contentType": "application/octet-stream",
            "data": b64(first)}}),
    )
    .await;
    for piece in pieces {
        send_json(&mut ws, json!({"id": 1, "file": {"data": b64(piece)}})).await;
    }
    // The spooled file exists while the upload is in progress.
    wait_for_files(dir.path(), 1).await;
    send_json(&mut ws, json!({"id": 1, "end": true})).await;
    assert_eq!(
        next_text(&mut ws).await,
        json_answer(
            "1",
            &[("a.bin", "application/octet-stream", &file)],
            "火锅",
            3
        )
    );
    wait_for_files(dir.path(), 0).await;

    // A small file in the frame that starts the call and ends it, by the field's proto name.
    send_json(
        &mut ws,
        json!({"id": 2, "file": {"field": "test_file", "name": "s.txt", "contentType": "text/plain",
            "data": b64(b"small")}, "end": true}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        json_answer("2", &[("s.txt", "text/plain", b"small")], "", 0)
    );
    // A whole request in `data` is a unary call, as before.
    send_json(
        &mut ws,
        json!({"id": 3, "data": {"testFile": {"name": "w.txt", "data": b64(b"whole")}}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        json_answer("3", &[("w.txt", "", b"whole")], "", 0)
    );
}

#[tokio::test]
async fn a_binary_upload_of_two_files_on_the_service_socket() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/files/ws").await;
    let big = content(1 << 20, 2);
    let small = content(1000, 3);
    let request = UploadReq {
        note: "bin".into(),
        ..UploadReq::default()
    };
    send_frame(&mut ws, "b", |frame| {
        frame.method = "Upload".into();
        frame.data = Some(request.encode_to_vec().into());
        frame.file = Some(FileChunk {
            field: "testFile".into(),
            name: "big.bin".into(),
            size: big.len() as u64,
            ..FileChunk::default()
        });
    })
    .await;
    // Pieces as large as a message allows, with room for the frame around them.
    for piece in big.chunks(CAP - 64) {
        send_piece(&mut ws, "b", data(piece), false).await;
    }
    let (head, tail) = small.split_at(10);
    let start = FileChunk {
        field: "more".into(),
        name: "x.txt".into(),
        content_type: "text/plain".into(),
        ..data(head)
    };
    send_piece(&mut ws, "b", start, false).await;
    send_piece(&mut ws, "b", data(tail), true).await;
    let rsp = next_answer(&mut ws, "b").await;
    assert_eq!(
        rsp,
        UploadRsp {
            names: vec!["big.bin".into(), "x.txt".into()],
            safe_names: vec!["big.bin".into(), "x.txt".into()],
            types: vec![String::new(), "text/plain".into()],
            sizes: vec![1 << 20, 1000],
            spooled: vec![true, false],
            first_bytes: big[..16].to_vec(),
            note: "bin".into(),
            count: 0,
            checksums: vec![checksum(&big), checksum(&small)],
        }
    );
    wait_for_files(dir.path(), 0).await;
}

#[tokio::test]
async fn two_uploads_interleave_on_one_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/upload/ws").await;
    let one = content(200 << 10, 4);
    let two = content(150 << 10, 5);
    let start = FileChunk {
        field: "testFile".into(),
        name: "one".into(),
        ..FileChunk::default()
    };
    send_piece(&mut ws, "1", start, false).await;
    send_json(
        &mut ws,
        json!({"id": 2, "file": {"field": "testFile", "name": "two"}}),
    )
    .await;
    for (a, b) in one.chunks(40 << 10).zip(two.chunks(30 << 10)) {
        send_piece(&mut ws, "1", data(a), false).await;
        send_json(&mut ws, json!({"id": 2, "file": {"data": b64(b)}})).await;
    }
    send_json(&mut ws, json!({"id": 2, "end": true})).await;
    assert_eq!(
        next_text(&mut ws).await,
        json_answer("2", &[("two", "", &two)], "", 0)
    );
    send_frame(&mut ws, "1", |frame| frame.end = true).await;
    let rsp = next_answer(&mut ws, "1").await;
    assert_eq!(
        (rsp.names, rsp.sizes, rsp.checksums),
        (
            vec!["one".to_owned()],
            vec![200 << 10],
            vec![checksum(&one)]
        )
    );
    wait_for_files(dir.path(), 0).await;
}

#[tokio::test]
async fn an_upload_over_its_limit_fails_and_the_connection_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/upload/ws").await;
    let piece = content(CAP - 64, 6);
    let start = FileChunk {
        field: "testFile".into(),
        name: "huge.bin".into(),
        ..data(&piece)
    };
    send_piece(&mut ws, "big", start, false).await;
    // 8 MiB, the method's limit, is crossed by the 33rd piece.
    let mut sent = piece.len();
    while sent <= 8 << 20 {
        send_piece(&mut ws, "big", data(&piece), false).await;
        sent += piece.len();
    }
    let answer = next_frame(&mut ws).await;
    let error = answer.error.expect("an error");
    assert_eq!(
        (
            answer.id.as_str(),
            error.code.as_str(),
            error.message.as_str()
        ),
        (
            "big",
            "resource_exhausted",
            "the files of the request are larger than the upload limit of 8388608 bytes"
        )
    );
    // The pieces still on their way and the `end` are dropped; the spooled file is removed.
    send_piece(&mut ws, "big", data(&piece), false).await;
    send_frame(&mut ws, "big", |frame| frame.end = true).await;
    wait_for_files(dir.path(), 0).await;

    // The id is free again; a declared size over the limit fails at once.
    let declared = FileChunk {
        field: "testFile".into(),
        name: "declared.bin".into(),
        size: (8 << 20) + 1,
        ..FileChunk::default()
    };
    send_piece(&mut ws, "big", declared, false).await;
    let answer = next_frame(&mut ws).await;
    assert_eq!(
        answer.error.map(|e| e.code),
        Some("resource_exhausted".to_owned())
    );
    send_frame(&mut ws, "big", |frame| frame.end = true).await;
    // The connection is still open.
    send_json(
        &mut ws,
        json!({"id": 9, "file": {"field": "testFile", "name": "ok.txt", "data": b64(b"ok")},
            "end": true}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        json_answer("9", &[("ok.txt", "", b"ok")], "", 0)
    );
}

#[tokio::test]
async fn a_piece_over_the_message_cap_closes_with_1009() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/upload/ws").await;
    let start = FileChunk {
        field: "testFile".into(),
        name: "a.bin".into(),
        ..data(&content(CAP, 7))
    };
    send_piece(&mut ws, "1", start, false).await;
    match next(&mut ws).await {
        Message::Close(Some(close)) => {
            assert_eq!(close.code, CloseCode::Size);
            assert_eq!(close.reason.as_str(), "message too big");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn file_frames_that_do_not_fit_get_invalid_argument() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/upload/ws").await;
    let cases = [
        (
            json!({"id": 1, "file": {"field": "nope", "name": "a.txt"}}),
            r#"{"id":1,"error":{"code":"invalid_argument","message":"`Upload` has no file field `nope`; its file fields are `testFile`, `more`"}}"#,
        ),
        (
            json!({"id": 10, "file": {"name": "a.txt"}}),
            r#"{"id":10,"error":{"code":"invalid_argument","message":"a file's first piece names its `field`: `Upload` has several (`testFile`, `more`)"}}"#,
        ),
        (
            json!({"id": 2, "file": {"data": "aGk="}}),
            r#"{"id":2,"error":{"code":"invalid_argument","message":"a file piece without `name` or `field` continues a file, and none is in progress: the first piece of a file sets `name` or `field`"}}"#,
        ),
        (
            json!({"id": 3, "file": {"name": "a.txt", "data": "!!"}}),
            r#"{"error":{"code":"invalid_argument","message":"invalid frame: `file`: invalid JSON at `data`: invalid value: string \"!!\", expected base64 text (standard or URL-safe alphabet) at line 1 column 12"}}"#,
        ),
        (
            json!({"id": 4, "file": {"name": "a.txt"}, "bogus": 1}),
            r#"{"error":{"code":"invalid_argument","message":"invalid frame: unknown field `bogus`, expected one of `id`, `method`, `data`, `end`, `file` at line 1 column 8"}}"#,
        ),
    ];
    for (frame, answer) in cases {
        send_json(&mut ws, frame).await;
        assert_eq!(next_text(&mut ws).await, answer);
    }
    // `data` after the first frame fails the upload; its `end` is dropped.
    send_json(
        &mut ws,
        json!({"id": 5, "file": {"field": "testFile", "name": "a.txt"}}),
    )
    .await;
    send_json(
        &mut ws,
        json!({"id": 5, "data": {"note": "late"}, "file": {}}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":5,"error":{"code":"invalid_argument","message":"an upload carries its request's `data` in its first frame only"}}"#
    );
    send_json(&mut ws, json!({"id": 5, "end": true})).await;
    // A piece after the upload's end and answer continues nothing.
    send_json(
        &mut ws,
        json!({"id": 6, "file": {"field": "testFile", "name": "b.txt", "data": "aGk="},
            "end": true}),
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        json_answer("6", &[("b.txt", "", b"hi")], "", 0)
    );
    send_json(&mut ws, json!({"id": 6, "file": {"data": "aGk="}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":6,"error":{"code":"invalid_argument","message":"a file piece without `name` or `field` continues a file, and none is in progress: the first piece of a file sets `name` or `field`"}}"#
    );

    // A method without file fields, on a socket of the `Streams` service.
    let (lab, _) = streams_server(Server::builder()).await;
    let mut ws = connect(&lab, "/lab/echo").await;
    send_json(&mut ws, json!({"id": 7, "file": {"name": "a.txt"}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":7,"error":{"code":"invalid_argument","message":"`Echo` has no file fields: send its request in `data`, without `file`"}}"#
    );
    send_json(&mut ws, json!({"id": 8, "data": {"n": 1}})).await;
    assert_eq!(
        next_text(&mut ws).await,
        r#"{"id":8,"data":{"n":2,"tag":"ws"}}"#
    );
}

#[tokio::test]
async fn closing_the_socket_mid_upload_removes_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = server(dir.path()).await;
    let mut ws = connect(&server, "/upload/ws").await;
    let piece = content(100 << 10, 8);
    let start = FileChunk {
        field: "testFile".into(),
        name: "cut.bin".into(),
        ..data(&piece)
    };
    send_piece(&mut ws, "1", start, false).await;
    send_piece(&mut ws, "1", data(&piece), false).await;
    wait_for_files(dir.path(), 1).await;
    ws.close(None).await.expect("close");
    drop(ws);
    wait_for_files(dir.path(), 0).await;
}
