//! Multipart uploads into `#[file]` fields, and the same messages over gRPC.

use protoapi::File;
use reqwest::multipart::{Form, Part};

use crate::support::uploads::{
    FNV_START, UploadReq, UploadRsp, UploadsClient, UploadsImpl, UploadsServer, fnv1a,
};
use crate::support::{TestServer, send};

async fn upload_server(dir: &std::path::Path) -> TestServer {
    TestServer::start(
        protoapi::Server::builder()
            .upload_dir(dir)
            .add(UploadsServer::new(UploadsImpl)),
    )
    .await
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

fn part(name: &str, content_type: &str, data: Vec<u8>) -> Part {
    Part::bytes(data)
        .file_name(name.to_owned())
        .mime_str(content_type)
        .expect("mime")
}

#[tokio::test]
async fn one_file_and_text_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let form = Form::new().text("note", "火锅").text("count", "3").part(
        "test_file",
        part("../星际穿越.txt", "text/plain", b"interstellar".to_vec()),
    );
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/upload"))
            .multipart(form),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let rsp: UploadRsp = serde_json::from_str(&answer.body).expect("decode");
    assert_eq!(
        rsp,
        UploadRsp {
            names: vec!["../星际穿越.txt".into()],
            safe_names: vec!["星际穿越.txt".into()],
            types: vec!["text/plain".into()],
            sizes: vec![12],
            spooled: vec![false],
            first_bytes: b"interstellar".to_vec(),
            digests: vec![fnv1a(FNV_START, b"interstellar")],
            note: "火锅".into(),
            count: 3,
        }
    );
}

#[tokio::test]
async fn several_files_and_a_spooled_one_that_is_removed_afterwards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let form = Form::new()
        .part(
            "test_file",
            part("big.bin", "application/octet-stream", big),
        )
        .part("more", part("a.txt", "text/plain", b"a".to_vec()))
        .part("more", part("b.txt", "text/plain", b"bb".to_vec()))
        .part("ignored", part("c.txt", "text/plain", b"ccc".to_vec()));
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/upload"))
            .multipart(form),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let rsp: UploadRsp = serde_json::from_str(&answer.body).expect("decode");
    assert_eq!(rsp.names, ["big.bin", "a.txt", "b.txt"]);
    assert_eq!(rsp.sizes, [3_000_000, 1, 2]);
    assert_eq!(rsp.spooled, [true, false, false]);
    assert_eq!(rsp.first_bytes, (0..16u8).collect::<Vec<_>>());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn bad_multipart_bodies_get_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let url = server.url("/upload");

    let answer = send(
        reqwest::Client::new()
            .post(&url)
            .header("content-type", "multipart/form-data")
            .body("x"),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "invalid multipart body: the content type has no boundary"
    );

    let answer = send(
        reqwest::Client::new()
            .post(&url)
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body("--XYZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nunfinished"),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "invalid multipart body: field \"note\" received with incomplete data"
    );

    let form = Form::new().text("count", "many");
    let answer = send(reqwest::Client::new().post(&url).multipart(form)).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "invalid form field `count`: `many` is not an unsigned 32-bit integer"
    );

    let form = Form::new().part(
        "test_file",
        part("huge.bin", "application/octet-stream", vec![7; 9 << 20]),
    );
    let answer = send(reqwest::Client::new().post(&url).multipart(form)).await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.json()["message"],
        "request body is larger than the limit of 8388608 bytes"
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn files_travel_over_grpc_as_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let client = UploadsClient::connect(server.url(""))
        .await
        .expect("connect");
    let req = UploadReq {
        test_file: File::from_bytes("星际穿越.txt", "text/plain", "hello"),
        more: vec![File::from_bytes("x", "", vec![1, 2, 3])],
        note: "grpc".into(),
        count: 1,
    };
    let rsp = client.upload(req).await.expect("upload").into_inner();
    assert_eq!(rsp.names, ["星际穿越.txt", "x"]);
    assert_eq!(rsp.sizes, [5, 3]);
    assert_eq!(rsp.first_bytes, b"hello");
}
