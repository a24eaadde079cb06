//! Chunked uploads over gRPC: `UploadChunks`, the client stream beside `Upload`, whose request
//! has `#[file]` fields, sending the request and then each file in `protoapi.FileChunk` pieces.

use bytes::Bytes;
use protoapi::{Code, FileChunk, Status, Streaming, UploadChunk};

use crate::support::TestServer;
use crate::support::uploads::{
    UploadReq, UploadRsp, UploadsClient, UploadsImpl, UploadsServer, checksum,
};

const PATH: &str = "/files.Uploads/UploadChunks";

async fn upload_server(dir: &std::path::Path) -> TestServer {
    TestServer::start(
        protoapi::Server::builder()
            .upload_dir(dir)
            .add(UploadsServer::new(UploadsImpl)),
    )
    .await
}

/// Sends `chunks` to `path` of the server, as a Rust client does.
async fn send<Req, Rsp>(
    server: &TestServer,
    path: &str,
    chunks: Vec<UploadChunk<Req>>,
) -> Result<Rsp, Status>
where
    Req: protoapi::ProtoMessage,
    Rsp: protoapi::ProtoMessage,
{
    let channel = protoapi::Channel::from_shared(server.url(""))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let grpc = tonic::client::Grpc::new(channel);
    protoapi::upload_chunks(&grpc, path, futures_util::stream::iter(chunks))
        .await
        .map(tonic::Response::into_inner)
}

async fn upload(
    server: &TestServer,
    chunks: Vec<UploadChunk<UploadReq>>,
) -> Result<UploadRsp, Status> {
    send(server, PATH, chunks).await
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// `len` bytes that tell their offset.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn file(chunk: FileChunk) -> UploadChunk<UploadReq> {
    UploadChunk::file(chunk)
}

fn piece(data: &'static [u8]) -> UploadChunk<UploadReq> {
    file(FileChunk {
        data: Bytes::from_static(data),
        ..FileChunk::default()
    })
}

fn assert_status(result: Result<UploadRsp, Status>, code: Code, message: &str) {
    let status = result.expect_err("the upload fails");
    assert_eq!((status.code(), status.message()), (code, message));
}

#[tokio::test]
async fn a_chunked_upload_arrives_whole_and_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let data = content(3_000_000);
    let request = UploadReq {
        note: "火锅".into(),
        count: 3,
        ..UploadReq::default()
    };
    let chunks = std::iter::once(UploadChunk::request(request))
        .chain(UploadChunk::file_pieces(
            "",
            "../星际穿越.bin",
            "application/octet-stream",
            data.clone(),
        ))
        .collect();
    let rsp = upload(&server, chunks).await.expect("upload");
    assert_eq!(
        rsp,
        UploadRsp {
            names: vec!["../星际穿越.bin".into()],
            safe_names: vec!["星际穿越.bin".into()],
            types: vec!["application/octet-stream".into()],
            sizes: vec![3_000_000],
            spooled: vec![true],
            first_bytes: data[..16].to_vec(),
            checksums: vec![checksum(&data)],
            note: "火锅".into(),
            count: 3,
        }
    );
    // The spooled file went to the upload directory and left with the call.
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn files_fill_the_fields_they_name_without_a_request_part() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let second = content(200_000);
    let chunks = vec![
        // The first file, into the first `#[file]` field, in two pieces.
        file(FileChunk {
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            data: Bytes::from_static(b"hello "),
            ..FileChunk::default()
        }),
        piece(b"world"),
        // Two files for `more`; the second starts with a piece that names only the field.
        file(FileChunk {
            name: "b.bin".into(),
            field: "more".into(),
            size: 200_000,
            data: Bytes::copy_from_slice(&second[..100_000]),
            ..FileChunk::default()
        }),
        file(FileChunk {
            data: Bytes::copy_from_slice(&second[100_000..]),
            ..FileChunk::default()
        }),
        file(FileChunk {
            field: "more".into(),
            ..FileChunk::default()
        }),
        piece(b"c"),
    ];
    let rsp = upload(&server, chunks).await.expect("upload");
    assert_eq!(rsp.names, ["a.txt", "b.bin", ""]);
    assert_eq!(rsp.types, ["text/plain", "", ""]);
    assert_eq!(rsp.sizes, [11, 200_000, 1]);
    assert_eq!(
        rsp.checksums,
        [checksum(b"hello world"), checksum(&second), checksum(b"c")]
    );
    assert_eq!(rsp.first_bytes, b"hello world");
    assert_eq!((rsp.note.as_str(), rsp.count), ("", 0));
}

#[tokio::test]
async fn an_upload_past_the_methods_limit_is_resource_exhausted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let limit = 8 << 20;
    let message = "the upload is larger than the limit of 8388608 bytes";
    // A declared size past the limit is refused before any data.
    let declared = vec![file(FileChunk {
        name: "big".into(),
        size: limit + 1,
        ..FileChunk::default()
    })];
    assert_status(
        upload(&server, declared).await,
        Code::ResourceExhausted,
        message,
    );
    // Undeclared: refused at the piece that crosses it, the spooled part removed.
    let mut chunks = vec![file(FileChunk {
        name: "big".into(),
        ..FileChunk::default()
    })];
    chunks.extend((0..129).map(|_| piece(&[7; 65_536])));
    assert_status(
        upload(&server, chunks).await,
        Code::ResourceExhausted,
        message,
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    // Exactly the limit, declared: accepted.
    let data = content(8 << 20);
    let chunks = UploadChunk::file_pieces("", "big", "", data.clone()).collect();
    let rsp = upload(&server, chunks).await.expect("within the limit");
    assert_eq!(rsp.sizes, [limit]);
    assert_eq!(rsp.checksums, [checksum(&data)]);
    // A name is not data, but it is held in memory: at most 8 KiB with the content type.
    let long = vec![file(FileChunk {
        name: "n".repeat(8 << 10),
        content_type: "t".into(),
        ..FileChunk::default()
    })];
    assert_status(
        upload(&server, long).await,
        Code::ResourceExhausted,
        "the name and content type of a file are longer than the limit of 8192 bytes",
    );
}

#[tokio::test]
async fn a_message_over_the_body_limit_is_out_of_range() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    // One piece of 5 MiB: within the method's 8 MiB, past the 4 MiB of one message.
    let chunks = vec![file(FileChunk {
        name: "big".into(),
        data: Bytes::from(vec![0u8; 5 << 20]),
        ..FileChunk::default()
    })];
    let status = upload(&server, chunks).await.expect_err("too large");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(
        status.message().contains("the limit is: 4194304 bytes"),
        "{status:?}"
    );
}

#[tokio::test]
async fn bad_streams_are_invalid_argument() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let named = |field: &str| {
        file(FileChunk {
            name: "x".into(),
            field: field.into(),
            data: Bytes::from_static(b"x"),
            ..FileChunk::default()
        })
    };
    let request = || UploadChunk::request(UploadReq::default());
    let cases: Vec<(&str, Vec<UploadChunk<UploadReq>>, &str)> = vec![
        (
            "unknown field",
            vec![request(), named("nope")],
            "no file field `nope` in UploadReq",
        ),
        (
            "a field that is no file",
            vec![named("note")],
            "no file field `note` in UploadReq",
        ),
        (
            "the request after a file",
            vec![named(""), request()],
            "the request part must come before the files",
        ),
        (
            "the request twice",
            vec![request(), request()],
            "the request part was sent twice",
        ),
        (
            "a message with no part",
            vec![request(), UploadChunk::default()],
            "a message of the upload has neither a request nor a file part",
        ),
        (
            "a declared size that the data does not match",
            vec![file(FileChunk {
                name: "short.txt".into(),
                size: 10,
                data: Bytes::from_static(b"12345"),
                ..FileChunk::default()
            })],
            "file `short.txt` declared 10 bytes and sent 5",
        ),
    ];
    for (case, chunks, message) in cases {
        let status = upload(&server, chunks).await.expect_err(case);
        assert_eq!(
            (status.code(), status.message()),
            (Code::InvalidArgument, message),
            "{case}"
        );
    }
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn the_request_is_validated_once_its_files_are_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let request = UploadReq {
        count: 11,
        ..UploadReq::default()
    };
    let chunks = std::iter::once(UploadChunk::request(request))
        .chain(UploadChunk::file_pieces("", "a.txt", "", "a"))
        .collect();
    let status = upload(&server, chunks).await.expect_err("invalid");
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::InvalidArgument,
            "invalid request: count: must be at most 10"
        )
    );
}

#[tokio::test]
async fn a_spool_that_fails_is_internal() {
    let dir = tempfile::tempdir().expect("temp dir");
    // An upload directory that does not exist: spooling past 1 MiB fails.
    let server = upload_server(&dir.path().join("missing")).await;
    let chunks = UploadChunk::file_pieces("", "big.bin", "", content(2 << 20)).collect();
    assert_status(
        upload(&server, chunks).await,
        Code::Internal,
        "failed to store the upload",
    );
    // Under the spool threshold, the directory is not needed.
    let chunks = UploadChunk::file_pieces("", "small.bin", "", content(1000)).collect();
    let rsp = upload(&server, chunks).await.expect("in memory");
    assert_eq!(rsp.spooled, [false]);
}

#[tokio::test]
async fn a_method_without_files_has_no_chunked_form() {
    let server = TestServer::start(protoapi::Server::builder().add(
        crate::support::lab::LabServer::new(crate::support::lab::LabImpl),
    ))
    .await;
    let result: Result<UploadRsp, Status> = send(
        &server,
        "/test.v1.Lab/EchoChunks",
        vec![UploadChunk::request(UploadReq::default())],
    )
    .await;
    let status = result.expect_err("unimplemented");
    assert_eq!(
        (status.code(), status.message()),
        (
            Code::Unimplemented,
            "unknown method /test.v1.Lab/EchoChunks"
        )
    );
}

#[tokio::test]
async fn the_unary_form_still_takes_whole_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = upload_server(dir.path()).await;
    let client = UploadsClient::connect(server.url(""))
        .await
        .expect("connect");
    let req = UploadReq {
        test_file: protoapi::File::from_bytes("a", "", "abc"),
        ..UploadReq::default()
    };
    let rsp = client.upload(req).await.expect("upload").into_inner();
    assert_eq!(rsp.checksums, [checksum(b"abc")]);
}

#[test]
fn the_proto_shows_the_chunked_form_of_file_methods_only() {
    let proto = UploadsServer::<UploadsImpl>::proto_file();
    assert!(
        proto.contains(
            "  rpc Upload(UploadReq) returns (UploadRsp);\n  \
             // `Upload` with its files sent in pieces: see UploadChunk.\n  \
             rpc UploadChunks(stream UploadChunk) returns (UploadRsp);\n}\n"
        ),
        "{proto}"
    );
    assert!(
        proto.ends_with(
            "message UploadChunk {\n  oneof part {\n    UploadReq request = 1;\n    \
             protoapi.FileChunk file = 2;\n  }\n}\n"
        ),
        "{proto}"
    );
    let descriptor = UploadsServer::<UploadsImpl>::descriptor();
    assert!(descriptor.methods[0].upload);
    let lab = crate::support::lab::LabServer::<crate::support::lab::LabImpl>::descriptor();
    assert!(lab.methods.iter().all(|m| !m.upload));
}

mod clash {
    //! A method the user declares with the name of a chunked form wins over it; a message with
    //! the name of its message stops the server.

    use super::*;

    #[protoapi::message]
    pub struct Part {
        pub n: u32,
    }

    #[protoapi::service(package = "clash.upload")]
    pub trait Declared {
        async fn put(&self, req: UploadReq) -> Result<UploadRsp, Status>;
        async fn put_chunks(&self, reqs: Streaming<Part>) -> Result<UploadRsp, Status>;
    }

    struct DeclaredImpl;

    impl Declared for DeclaredImpl {
        async fn put(&self, _req: UploadReq) -> Result<UploadRsp, Status> {
            Ok(UploadRsp::default())
        }

        async fn put_chunks(&self, mut reqs: Streaming<Part>) -> Result<UploadRsp, Status> {
            use futures_util::StreamExt as _;
            let mut count = 0;
            while let Some(part) = reqs.next().await {
                count += part?.n;
            }
            Ok(UploadRsp {
                count,
                ..UploadRsp::default()
            })
        }
    }

    /// Named as the message of `Send`'s chunked form would be.
    #[protoapi::message]
    pub struct SendChunk {
        pub n: u32,
    }

    #[protoapi::service(package = "clash.message")]
    pub trait Named {
        async fn send(&self, req: UploadReq) -> Result<UploadRsp, Status>;
        async fn other(&self, req: SendChunk) -> Result<UploadRsp, Status>;
    }

    struct NamedImpl;

    impl Named for NamedImpl {
        async fn send(&self, _req: UploadReq) -> Result<UploadRsp, Status> {
            Ok(UploadRsp::default())
        }

        async fn other(&self, _req: SendChunk) -> Result<UploadRsp, Status> {
            Ok(UploadRsp::default())
        }
    }

    #[tokio::test]
    async fn a_declared_method_wins_over_the_chunked_form() {
        let descriptor = DeclaredServer::<DeclaredImpl>::descriptor();
        assert!(descriptor.methods.iter().all(|m| !m.upload));
        let proto = DeclaredServer::<DeclaredImpl>::proto_file();
        assert_eq!(proto.matches("rpc PutChunks(").count(), 1, "{proto}");
        assert!(!proto.contains("PutChunk "), "{proto}");

        let server =
            TestServer::start(protoapi::Server::builder().add(DeclaredServer::new(DeclaredImpl)))
                .await;
        let client = DeclaredClient::connect(server.url(""))
            .await
            .expect("connect");
        let parts = futures_util::stream::iter([Part { n: 2 }, Part { n: 5 }]);
        let rsp = client.put_chunks(parts).await.expect("call").into_inner();
        assert_eq!(rsp.count, 7);
    }

    #[test]
    fn a_message_named_as_the_chunked_form_stops_the_server() {
        let error = protoapi::Server::builder()
            .add(NamedServer::new(NamedImpl))
            .into_router()
            .expect_err("a clash");
        assert_eq!(
            error.to_string(),
            "the services' descriptors are inconsistent: message SendChunk of clash.message.Named \
             has the name of the message of the chunked upload SendChunks of Send; rename the \
             message"
        );
        // The `.proto` leaves the chunked form out, so that it stays valid.
        let proto = NamedServer::<NamedImpl>::proto_file();
        assert!(!proto.contains("SendChunks"), "{proto}");
    }
}
