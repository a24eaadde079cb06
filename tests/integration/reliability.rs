//! Bad input, limits, timeouts and faults: a table of malformed requests over HTTP, gRPC and
//! WebSocket, each with the exact answer it gets; then the server still serves good requests.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use prost::Message as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestServer, envelope};

pub mod guard {
    use std::time::Duration;

    use protoapi::{File, Status};

    #[protoapi::message]
    pub struct Part {
        pub label: String,
    }

    #[protoapi::message]
    pub enum Color {
        Unspecified,
        Red,
        Blue,
    }

    #[protoapi::message]
    pub struct Item {
        pub id: u64,
        pub name: String,
        pub count: i32,
        pub tags: Vec<String>,
        pub child: Option<Part>,
        pub color: Color,
        pub scores: std::collections::HashMap<String, i32>,
    }

    #[protoapi::message]
    pub struct Lookup {
        pub id: u64,
        pub verbose: bool,
    }

    #[protoapi::message]
    #[form]
    pub struct Signup {
        pub name: String,
        pub age: u32,
        pub tags: Vec<String>,
    }

    #[protoapi::message]
    #[form]
    pub struct Upload {
        pub title: String,
        #[file]
        pub doc: Option<File>,
    }

    #[protoapi::message]
    pub struct Nap {
        pub millis: u64,
    }

    #[protoapi::message]
    pub struct Ack {
        pub ok: bool,
        pub size: u64,
    }

    #[protoapi::service(package = "guard.v1")]
    pub trait Guard {
        #[protoapi(post = "/items", websocket = "/items/ws")]
        async fn put(&self, req: Item) -> Result<Item, Status>;
        #[protoapi(get = "/items/:id")]
        async fn get(&self, req: Lookup) -> Result<Item, Status>;
        #[protoapi(post = "/signup")]
        async fn signup(&self, req: Signup) -> Result<Ack, Status>;
        #[protoapi(post = "/upload", limit = "64KiB")]
        async fn upload(&self, req: Upload) -> Result<Ack, Status>;
        #[protoapi(post = "/panic", websocket = "/panic/ws")]
        async fn explode(&self, req: Nap) -> Result<Ack, Status>;
        #[protoapi(post = "/nap", timeout = "200ms")]
        async fn nap(&self, req: Nap) -> Result<Ack, Status>;
    }

    pub struct GuardImpl;

    impl Guard for GuardImpl {
        async fn put(&self, req: Item) -> Result<Item, Status> {
            Ok(req)
        }

        async fn get(&self, req: Lookup) -> Result<Item, Status> {
            Ok(Item {
                id: req.id,
                name: if req.verbose { "verbose" } else { "item" }.into(),
                ..Item::default()
            })
        }

        async fn signup(&self, req: Signup) -> Result<Ack, Status> {
            Ok(Ack {
                ok: !req.name.is_empty(),
                size: u64::from(req.age),
            })
        }

        async fn upload(&self, req: Upload) -> Result<Ack, Status> {
            let size = match &req.doc {
                Some(doc) => doc.size(),
                None => 0,
            };
            Ok(Ack { ok: true, size })
        }

        async fn explode(&self, req: Nap) -> Result<Ack, Status> {
            if req.millis == 7 {
                panic!("secret internal detail: /etc/passwd");
            }
            Ok(Ack { ok: true, size: 0 })
        }

        async fn nap(&self, req: Nap) -> Result<Ack, Status> {
            tokio::time::sleep(Duration::from_millis(req.millis)).await;
            Ok(Ack {
                ok: true,
                size: req.millis,
            })
        }
    }
}

use guard::{GuardImpl, GuardServer};

async fn guard_server(builder: protoapi::ServerBuilder) -> TestServer {
    TestServer::start(builder.add(GuardServer::new(GuardImpl))).await
}

/// One request of the table.
enum Call {
    /// An HTTP/1.1 request: method, path, content type, body.
    Http(&'static str, String, Option<String>, Vec<u8>),
    /// A gRPC call (HTTP/2): method name, content type, body as sent.
    Grpc(&'static str, &'static str, Vec<u8>),
    /// A WebSocket message on a method's socket path.
    Ws(&'static str, Message),
    /// Raw bytes after a WebSocket handshake on `/items/ws`.
    WsRaw(Vec<u8>),
}

struct Row {
    name: String,
    call: Call,
}

fn row(name: impl Into<String>, call: Call) -> Row {
    Row {
        name: name.into(),
        call,
    }
}

fn post_json(path: &str, body: impl Into<Vec<u8>>) -> Call {
    Call::Http(
        "POST",
        path.to_owned(),
        Some("application/json".to_owned()),
        body.into(),
    )
}

fn get(path: impl Into<String>) -> Call {
    Call::Http("GET", path.into(), None, Vec::new())
}

fn post_form(body: impl Into<Vec<u8>>) -> Call {
    Call::Http(
        "POST",
        "/signup".to_owned(),
        Some("application/x-www-form-urlencoded".to_owned()),
        body.into(),
    )
}

fn multipart(boundary_header: &str, body: impl Into<Vec<u8>>) -> Call {
    Call::Http(
        "POST",
        "/upload".to_owned(),
        Some(boundary_header.to_owned()),
        body.into(),
    )
}

/// What one row got back: status and body as the table states them.
async fn run(
    server: &TestServer,
    http: &reqwest::Client,
    grpc: &reqwest::Client,
    call: &Call,
) -> (u16, String) {
    match call {
        Call::Http(method, path, content_type, body) => {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut request = http.request(method, server.url(path)).body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = request.send().await.expect("HTTP answer");
            let status = response.status().as_u16();
            (status, response.text().await.expect("body"))
        }
        Call::Grpc(method, content_type, body) => {
            let path = if method.starts_with('/') {
                (*method).to_owned()
            } else {
                format!("/guard.v1.Guard/{method}")
            };
            let response = grpc
                .post(server.url(&path))
                .header("content-type", *content_type)
                .header("te", "trailers")
                .body(body.clone())
                .send()
                .await
                .expect("gRPC answer");
            let headers = response.headers().clone();
            // Not answered as a gRPC error in the headers: 1000 + the HTTP status, and the body.
            let Some(code) = headers
                .get("grpc-status")
                .map(|v| v.to_str().expect("ascii").parse::<u16>().expect("code"))
            else {
                let status = 1000 + response.status().as_u16();
                return (status, response.text().await.expect("body"));
            };
            let message = headers
                .get("grpc-message")
                .map(|v| percent_decode(v.to_str().expect("ascii")))
                .unwrap_or_default();
            (code, message)
        }
        Call::Ws(path, message) => {
            let url = format!("ws://{}{path}", server.addr);
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("handshake");
            // An oversized message may be refused before it is all sent.
            let _ = ws.send(message.clone()).await;
            ws_answer(&mut ws).await
        }
        Call::WsRaw(bytes) => {
            let mut tcp = tokio::net::TcpStream::connect(server.addr)
                .await
                .expect("connect");
            let handshake = format!(
                "GET /items/ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                server.addr
            );
            tcp.write_all(handshake.as_bytes()).await.expect("write");
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                tcp.read_exact(&mut byte).await.expect("101 head");
                head.push(byte[0]);
            }
            assert!(
                head.starts_with(b"HTTP/1.1 101"),
                "{}",
                String::from_utf8_lossy(&head)
            );
            tcp.write_all(bytes).await.expect("write frame");
            let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
                tcp,
                tokio_tungstenite::tungstenite::protocol::Role::Client,
                None,
            )
            .await;
            ws_answer(&mut ws).await
        }
    }
}

/// `grpc-message` is percent-encoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if bytes[i] == b'%'
            && let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The next text frame (status 0) or the close code and reason; 1 when the connection just
/// ended.
async fn ws_answer<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> (u16, String)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an answer within 10 s");
        return match next {
            Some(Ok(Message::Text(text))) => (0, text.as_str().to_owned()),
            Some(Ok(Message::Binary(bytes))) => {
                let frame = protoapi::Frame::decode(bytes).expect("a protoapi.Frame");
                let error = frame.error.unwrap_or_default();
                (0, format!("binary {}: {}", error.code, error.message))
            }
            Some(Ok(Message::Close(Some(close)))) => {
                (u16::from(close.code), close.reason.as_str().to_owned())
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => (1, String::new()),
            Some(Ok(_)) => continue,
        };
    }
}

/// A WebSocket frame as a client sends it: FIN, the opcode, masked with a zero key.
fn ws_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode];
    if payload.len() < 126 {
        frame.push(0x80 | payload.len() as u8);
    } else {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

fn multipart_body(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn table() -> Vec<Row> {
    let mut rows = Vec::new();
    rows.extend(json_rows());
    rows.extend(content_type_rows());
    rows.extend(form_rows());
    rows.extend(multipart_rows());
    rows.extend(path_query_rows());
    rows.extend(route_rows());
    rows.extend(grpc_rows());
    rows.extend(ws_rows());
    rows
}

fn json_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let good = r#"{"id":1,"name":"a","count":2,"tags":["x"],"child":{"label":"c"},"color":"RED","scores":{"k":1}}"#;
    // Every proper prefix of a good document is truncated JSON.
    for cut in [1, 5, 10, 20, 30, 45, 60, 75, 90] {
        let body = &good[..cut];
        rows.push(row(
            format!("truncated JSON at {cut}"),
            post_json("/items", body),
        ));
    }
    let cases: &[(&str, &str)] = &[
        ("empty body", ""),
        ("only whitespace", "   "),
        ("null", "null"),
        ("an array", "[]"),
        ("a string", r#""item""#),
        ("a number", "1"),
        ("bare word", "item"),
        ("trailing comma", r#"{"id":1,}"#),
        ("single quotes", "{'id':1}"),
        ("unquoted key", "{id:1}"),
        ("trailing garbage", r#"{"id":1} x"#),
        ("two documents", r#"{"id":1}{"id":2}"#),
        ("comment", r#"{"id":1 /* c */}"#),
        ("NaN", r#"{"count":NaN}"#),
        ("id a string of letters", r#"{"id":"x"}"#),
        ("id negative", r#"{"id":-1}"#),
        ("id fraction", r#"{"id":1.5}"#),
        ("id boolean", r#"{"id":true}"#),
        ("id array", r#"{"id":[1]}"#),
        ("id object", r#"{"id":{}}"#),
        ("id too large", r#"{"id":18446744073709551616}"#),
        ("id exponent", r#"{"id":1e400}"#),
        ("name number", r#"{"name":1}"#),
        ("name array", r#"{"name":["a"]}"#),
        ("name object", r#"{"name":{"a":1}}"#),
        ("count over i32", r#"{"count":2147483648}"#),
        ("count under i32", r#"{"count":-2147483649}"#),
        ("count string of letters", r#"{"count":"abc"}"#),
        ("count fraction", r#"{"count":0.5}"#),
        ("tags string", r#"{"tags":"x"}"#),
        ("tags with a number", r#"{"tags":["x",1]}"#),
        ("tags with null", r#"{"tags":["x",null]}"#),
        ("tags object", r#"{"tags":{"a":"b"}}"#),
        ("child number", r#"{"child":1}"#),
        ("child array", r#"{"child":[]}"#),
        ("child label number", r#"{"child":{"label":2}}"#),
        ("child unclosed", r#"{"child":{"label":"x"}"#),
        ("color unknown name", r#"{"color":"GREEN"}"#),
        ("color boolean", r#"{"color":true}"#),
        ("color out-of-range number", r#"{"color":3000000000}"#),
        ("scores array", r#"{"scores":[1]}"#),
        ("scores value string", r#"{"scores":{"k":"v"}}"#),
        ("scores value object", r#"{"scores":{"k":{}}}"#),
        ("invalid escape", r#"{"name":"\q"}"#),
        ("lone surrogate escape", r#"{"name":"\ud800"}"#),
        ("control character in string", "{\"name\":\"a\u{1}b\"}"),
        ("unterminated string", r#"{"name":"abc"#),
        ("key not a string", r#"{1:2}"#),
        ("missing colon", r#"{"id" 1}"#),
        ("missing value", r#"{"id":}"#),
        ("unclosed array", r#"{"tags":["a""#),
        ("leading zero", r#"{"id":01}"#),
        ("hex number", r#"{"id":0x10}"#),
        ("deep nesting", ""),
    ];
    for (name, body) in cases {
        let body = if *name == "deep nesting" {
            format!("{{\"extra\":{}", "[".repeat(10_000))
        } else {
            (*body).to_owned()
        };
        rows.push(row(*name, post_json("/items", body)));
    }
    let mut invalid_utf8 = br#"{"name":""#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe]);
    invalid_utf8.extend_from_slice(br#""}"#);
    rows.push(row(
        "invalid UTF-8 in a string",
        post_json("/items", invalid_utf8),
    ));
    rows.push(row(
        "invalid UTF-8 in an unknown field",
        post_json("/items", b"{\"extra\":\"\xff\",\"name\":\"a\"}".to_vec()),
    ));
    rows.push(row(
        "UTF-16 body",
        post_json("/items", [0xff, 0xfe, b'{', 0, b'}', 0]),
    ));
    let mut big = br#"{"name":""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', 4 << 20));
    big.extend_from_slice(br#""}"#);
    rows.push(row("body over 4 MiB", post_json("/items", big)));
    rows
}

fn content_type_rows() -> Vec<Row> {
    let body = br#"{"id":1}"#.to_vec();
    let with = |content_type: &str| {
        Call::Http(
            "POST",
            "/items".to_owned(),
            Some(content_type.to_owned()),
            body.clone(),
        )
    };
    vec![
        row(
            "JSON without a content type",
            Call::Http("POST", "/items".into(), None, body.clone()),
        ),
        row("JSON as text/plain", with("text/plain")),
        row("JSON as application/xml", with("application/xml")),
        row("JSON as a form", with("application/x-www-form-urlencoded")),
        row("JSON as multipart", with("multipart/form-data; boundary=x")),
        row("content type not ASCII", with("application/jsön")),
        row(
            "form as JSON",
            Call::Http(
                "POST",
                "/signup".into(),
                Some("application/json".into()),
                body.clone(),
            ),
        ),
        row(
            "form as text/plain",
            Call::Http(
                "POST",
                "/signup".into(),
                Some("text/plain".into()),
                body.clone(),
            ),
        ),
    ]
}

fn form_rows() -> Vec<Row> {
    let mut rows = vec![
        row("age letters", post_form("name=a&age=abc")),
        row("age negative", post_form("name=a&age=-1")),
        row("age over u32", post_form("name=a&age=4294967296")),
        row("age fraction", post_form("name=a&age=1.5")),
        row("age empty", post_form("name=a&age=")),
        row("age with spaces", post_form("name=a&age=+1+")),
        row("age twice", post_form("name=a&age=1&age=2")),
        row("name twice", post_form("name=a&name=b")),
        row("invalid percent escape", post_form("name=%zz&age=x")),
        row("percent-encoded invalid UTF-8", post_form("name=%ff&age=q")),
        row(
            "raw invalid UTF-8",
            post_form(b"name=\xff\xfe&age=q".to_vec()),
        ),
    ];
    let many: Vec<String> = (0..1001).map(|i| format!("tags=t{i}")).collect();
    rows.push(row("1,001 form fields", post_form(many.join("&"))));
    let mut big = b"name=".to_vec();
    big.extend(std::iter::repeat_n(b'a', 4 << 20));
    rows.push(row("form over 4 MiB", post_form(big)));
    rows
}

fn multipart_rows() -> Vec<Row> {
    let ct = "multipart/form-data; boundary=XYZ";
    let good = multipart_body(
        "XYZ",
        &[("title", None, b"t"), ("doc", Some("a.txt"), b"hello")],
    );
    let mut rows =
        vec![
        row(
            "no boundary",
            multipart("multipart/form-data", good.clone())),
        row(
            "empty boundary",
            multipart("multipart/form-data; boundary=", good.clone())),
        row(
            "wrong boundary",
            multipart("multipart/form-data; boundary=OTHER", good.clone())),
        row(
            "missing end",
            multipart(ct, good[..good.len() - 9].to_vec())),
        row("multipart empty body", multipart(ct, Vec::new())),
        row(
            "garbage body",
            multipart(ct, b"this is not multipart".to_vec())),
        row(
            "part without headers",
            multipart(ct, b"--XYZ\r\n\r\nvalue\r\n--XYZ--\r\n".to_vec())),
        row(
            "part without a name",
            multipart(
                ct,
                b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--XYZ--\r\n".to_vec(),
            )),
        row(
            "header line without a colon",
            multipart(
                ct,
                b"--XYZ\r\nContent-Disposition form-data; name=\"title\"\r\n\r\nv\r\n--XYZ--\r\n"
                    .to_vec(),
            )),
        row(
            "text field not UTF-8",
            multipart(ct, multipart_body("XYZ", &[("title", None, b"\xff\xfe")]))),
    ];
    let mut huge_header =
        b"--XYZ\r\nContent-Disposition: form-data; name=\"title\"\r\nX-Pad: ".to_vec();
    huge_header.extend(std::iter::repeat_n(b'p', 100_000));
    huge_header.extend_from_slice(b"\r\n\r\nv\r\n--XYZ--\r\n");
    rows.push(row("a 100 KB part header", multipart(ct, huge_header)));
    let many: Vec<(&str, Option<&str>, &[u8])> =
        (0..2000).map(|_| ("title", None, &b"t"[..])).collect();
    rows.push(row(
        "2,000 parts",
        multipart(ct, multipart_body("XYZ", &many)),
    ));
    let big = vec![b'x'; 70_000];
    rows.push(row(
        "file over the method's 64 KiB limit",
        multipart(ct, multipart_body("XYZ", &[("doc", Some("a.txt"), &big)])),
    ));
    rows
}

fn path_query_rows() -> Vec<Row> {
    vec![
        row("path id letters", get("/items/abc")),
        row("path id negative", get("/items/-1")),
        row("path id over u64", get("/items/18446744073709551616")),
        row("path id fraction", get("/items/1.5")),
        row("path id percent-encoded invalid UTF-8", get("/items/%FF")),
        row("path id with a space", get("/items/1%202")),
        row("query bool not a bool", get("/items/1?verbose=maybe")),
        row("query bool empty", get("/items/1?verbose=")),
        row(
            "query bool twice",
            get("/items/1?verbose=true&verbose=false"),
        ),
        row(
            "query id overrides nothing: letters",
            get("/items/1?id=abc"),
        ),
        row(
            "1,001 query parameters",
            get(format!("/items/1?{}", vec!["verbose=true"; 1001].join("&"))),
        ),
    ]
}

fn route_rows() -> Vec<Row> {
    vec![
        row("unknown path", get("/nothing/here")),
        row("unknown nested path", get("/items/1/2")),
        row(
            "DELETE on a POST route",
            Call::Http("DELETE", "/items".into(), None, Vec::new()),
        ),
        row("GET on a POST route", get("/items")),
        row("POST on a GET route", post_json("/items/1", "{}")),
        row(
            "PUT on the panic route",
            Call::Http("PUT", "/panic".into(), None, Vec::new()),
        ),
        row("method panics", post_json("/panic", r#"{"millis":7}"#)),
        row("method times out", post_json("/nap", r#"{"millis":5000}"#)),
    ]
}

fn grpc_rows() -> Vec<Row> {
    use guard::{Item, Nap};
    let item = Item {
        id: 1,
        ..Item::default()
    }
    .encode_to_vec();
    let framed = |bytes: &[u8]| envelope(0, bytes).to_vec();
    let mut rows = vec![
        row(
            "gRPC unknown method",
            Call::Grpc("Nope", "application/grpc", framed(&item)),
        ),
        row(
            "gRPC invalid protobuf",
            Call::Grpc("Put", "application/grpc", framed(&[0xff, 0xff, 0xff])),
        ),
        row(
            "gRPC truncated varint",
            Call::Grpc("Put", "application/grpc", framed(&[0x08])),
        ),
        row(
            "gRPC wrong wire type",
            Call::Grpc("Put", "application/grpc", framed(&[0x0d, 1, 2, 3, 4])),
        ),
        row(
            "gRPC length past the end",
            Call::Grpc("Put", "application/grpc", framed(&[0x12, 0x7f, b'a'])),
        ),
        row(
            "gRPC invalid UTF-8 string",
            Call::Grpc("Put", "application/grpc", framed(&[0x12, 2, 0xff, 0xfe])),
        ),
        row(
            "gRPC empty body",
            Call::Grpc("Put", "application/grpc", Vec::new()),
        ),
        row(
            "gRPC frame header cut",
            Call::Grpc("Put", "application/grpc", vec![0, 0, 0]),
        ),
        row(
            "gRPC frame shorter than its length",
            Call::Grpc("Put", "application/grpc", vec![0, 0, 0, 0, 9, 8]),
        ),
        row(
            "gRPC compressed flag without an encoding",
            Call::Grpc("Put", "application/grpc", envelope(1, &item).to_vec()),
        ),
        row(
            "gRPC flag 2",
            Call::Grpc("Put", "application/grpc", envelope(2, &item).to_vec()),
        ),
        row(
            "gRPC unknown service",
            Call::Grpc("/guard.v1.Nope/Put", "application/grpc", framed(&item)),
        ),
        row(
            "gRPC frame over the 4 MiB limit",
            Call::Grpc("Put", "application/grpc", {
                let mut b = vec![0u8];
                b.extend_from_slice(&((4u32 << 20) + 1).to_be_bytes());
                b
            }),
        ),
        row(
            "gRPC method panics",
            Call::Grpc(
                "Explode",
                "application/grpc",
                framed(&Nap { millis: 7 }.encode_to_vec()),
            ),
        ),
        row(
            "gRPC method times out",
            Call::Grpc(
                "Nap",
                "application/grpc",
                framed(&Nap { millis: 5000 }.encode_to_vec()),
            ),
        ),
    ];
    rows.push(row(
        "Connect JSON call with a gRPC-framed body",
        Call::Grpc("Put", "application/json", framed(&item)),
    ));
    rows
}

fn ws_rows() -> Vec<Row> {
    let text = |s: &str| Call::Ws("/items/ws", Message::text(s.to_owned()));
    vec![
        row("WS text not JSON", text("hello")),
        row("WS truncated JSON", text(r#"{"id":1,"data":{"id":"#)),
        row("WS frame an array", text("[1,2]")),
        row("WS id an object", text(r#"{"id":{},"data":{}}"#)),
        row("WS data wrong type", text(r#"{"id":1,"data":{"id":"x"}}"#)),
        row("WS data a string", text(r#"{"id":1,"data":"x"}"#)),
        row("WS id a boolean", text(r#"{"id":true,"data":{}}"#)),
        row(
            "WS method on a method's path",
            text(r#"{"id":1,"method":"Get","data":{}}"#),
        ),
        row(
            "WS binary not a Frame",
            Call::Ws("/items/ws", Message::binary(vec![0xff, 0xff])),
        ),
        row(
            "WS binary Frame with bad data",
            Call::Ws(
                "/items/ws",
                Message::binary(
                    protoapi::Frame {
                        id: "1".into(),
                        data: Some(vec![0x08].into()),
                        ..protoapi::Frame::default()
                    }
                    .encode_to_vec(),
                ),
            ),
        ),
        row(
            "WS method panics",
            Call::Ws(
                "/panic/ws",
                Message::text(r#"{"id":1,"data":{"millis":7}}"#),
            ),
        ),
        row(
            "WS text frame not UTF-8",
            Call::WsRaw(ws_frame(0x1, &[0xff, 0xfe])),
        ),
        row("WS reserved opcode", Call::WsRaw(ws_frame(0x3, b"x"))),
        row("WS unmasked frame", Call::WsRaw(vec![0x81, 0x01, b'x'])),
        row(
            "WS continuation without a start",
            Call::WsRaw(ws_frame(0x0, b"x")),
        ),
        row(
            "WS control frame too long",
            Call::WsRaw(ws_frame(0x9, &[0u8; 200])),
        ),
        row(
            "WS RSV bit set",
            Call::WsRaw({
                let mut f = ws_frame(0x1, b"{}");
                f[0] |= 0x40;
                f
            }),
        ),
        row(
            "WS message over the limit",
            Call::Ws(
                "/items/ws",
                Message::text(format!(
                    r#"{{"id":1,"data":{{"name":"{}"}}}}"#,
                    "a".repeat(5 << 20)
                )),
            ),
        ),
    ]
}

/// Each row's answer, from `data/bad_input.tsv`: (row name, status, body). HTTP status and JSON
/// body; gRPC code and `grpc-message` (or 1000 + the HTTP status and the body when the answer is
/// not a gRPC error); WebSocket 0 and the frame, or the close code and reason.
fn expected() -> Vec<(&'static str, u16, &'static str)> {
    include_str!("data/bad_input.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.splitn(3, '\t');
            let (Some(name), Some(status), Some(body)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("not a row name, a status and a body: {line:?}");
            };
            let status = status
                .parse()
                .unwrap_or_else(|_| panic!("not a status: {line:?}"));
            (name, status, body)
        })
        .collect()
}

#[tokio::test]
async fn the_bad_input_table() {
    let server = guard_server(protoapi::Server::builder()).await;
    let http = reqwest::Client::new();
    let grpc = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let rows = table();
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let expected = expected();
    assert_eq!(rows.len(), expected.len(), "every row has its answer");
    let mut wrong = Vec::new();
    for row in &rows {
        let Some((_, want_status, want_body)) =
            expected.iter().find(|(name, ..)| *name == row.name)
        else {
            panic!("no answer for row `{}`", row.name);
        };
        let (status, body) = run(&server, &http, &grpc, &row.call).await;
        if status != *want_status || body != *want_body {
            // The line the data file would need, then the line it has.
            wrong.push(format!(
                "{}\t{status}\t{body}\n  expected {want_status}\t{want_body}",
                row.name
            ));
        }
    }
    good_requests_still_work(&server, &http).await;
    assert!(
        wrong.is_empty(),
        "{} of {} rows differ:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

/// One good request of every kind, answered as usual.
async fn good_requests_still_work(server: &TestServer, http: &reqwest::Client) {
    use guard::{GuardClient, Item, Nap};
    let answer = http
        .post(server.url("/items"))
        .header("content-type", "application/json")
        .body(r#"{"id":"5","name":"ok","tags":["a"]}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"id":"5","name":"ok","tags":["a"]}"#
    );
    let answer = http
        .get(server.url("/items/9?verbose=true"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"id":"9","name":"verbose"}"#
    );
    let answer = http
        .post(server.url("/signup"))
        .form(&[("name", "ann"), ("age", "30")])
        .send()
        .await
        .expect("answer");
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"ok":true,"size":"30"}"#
    );
    let form = reqwest::multipart::Form::new().text("title", "t").part(
        "doc",
        reqwest::multipart::Part::bytes(vec![1u8; 1000]).file_name("a.bin"),
    );
    let answer = http
        .post(server.url("/upload"))
        .multipart(form)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"ok":true,"size":"1000"}"#
    );
    let client = GuardClient::connect(server.url("")).await.expect("connect");
    let item = client
        .put(Item {
            id: 3,
            ..Item::default()
        })
        .await
        .expect("gRPC call")
        .into_inner();
    assert_eq!(item.id, 3);
    let ack = client
        .nap(Nap { millis: 1 })
        .await
        .expect("gRPC call")
        .into_inner();
    assert_eq!(ack.size, 1);
    let url = format!("ws://{}/items/ws", server.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("handshake");
    ws.send(Message::text(r#"{"id":1,"data":{"id":"4"}}"#))
        .await
        .expect("send");
    assert_eq!(
        ws_answer(&mut ws).await,
        (0, r#"{"id":1,"data":{"id":"4"}}"#.to_owned())
    );
}

/// Reads until the server closes `socket`, within 5 s, and checks that it answered nothing.
/// Waits for the server to close `socket` without an answer; returns how long that took.
async fn closed_without_answer(socket: &mut tokio::net::TcpStream) -> Duration {
    let started = tokio::time::Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer))
        .await
        .expect("closed within 5 s")
        .expect("read");
    assert_eq!(String::from_utf8_lossy(&answer), "");
    started.elapsed()
}

/// Asserts that a connection was closed after about `configured`: not before it, and before
/// half as long again (a timer started twice, or the 30 s default, fails it).
fn after_the_timeout(waited: Duration, configured: Duration) {
    assert!(
        waited >= configured.mul_f32(0.9) && waited < configured.mul_f32(1.5),
        "closed after {waited:?}, the timeout being {configured:?}"
    );
}

#[tokio::test]
async fn a_silent_client_is_let_go_after_the_header_read_timeout() {
    let server =
        guard_server(protoapi::Server::builder().header_read_timeout(Duration::from_millis(800)))
            .await;
    let timeout = Duration::from_millis(800);
    // Nothing at all: closed once the first byte is late.
    let mut silent = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    after_the_timeout(closed_without_answer(&mut silent).await, timeout);
    // Half a request head: hyper's header timer closes the connection without an answer.
    let mut slow = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /items/1 HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    after_the_timeout(closed_without_answer(&mut slow).await, timeout);
    // Meanwhile a prompt client is served.
    let answer = reqwest::get(server.url("/items/2")).await.expect("answer");
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn each_request_on_a_connection_gets_the_whole_header_read_timeout() {
    let server =
        guard_server(protoapi::Server::builder().header_read_timeout(Duration::from_millis(1000)))
            .await;
    let mut client = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    // hyper's wait for a head starts when the connection is idle: at 0 s for the first one,
    // sent 0.6 s in; at 0.6 s for the second one, finished 1.3 s in — past the first wait's
    // deadline, within its own.
    let started = tokio::time::Instant::now();
    tokio::time::sleep_until(started + Duration::from_millis(600)).await;
    client
        .write_all(b"GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = client.read(&mut buf).await.expect("read");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"id":"1","name":"item"}"#), "{answer}");
    client
        .write_all(b"GET /items/2 HTTP/1.1\r\n")
        .await
        .expect("write");
    tokio::time::sleep_until(started + Duration::from_millis(1300)).await;
    client.write_all(b"Host: x\r\n\r\n").await.expect("write");
    let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf))
        .await
        .expect("answered")
        .expect("read");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"id":"2","name":"item"}"#), "{answer}");
    // A third head that never ends: the connection closes without an answer, its own timeout
    // after the second answer.
    client
        .write_all(b"GET /items/3 HTTP/1.1\r\n")
        .await
        .expect("write");
    after_the_timeout(
        closed_without_answer(&mut client).await,
        Duration::from_millis(1000),
    );
}

#[tokio::test]
async fn the_connection_limit_holds_new_clients_until_one_leaves() {
    let server = guard_server(protoapi::Server::builder().max_connections(1)).await;
    let mut first = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    first
        .write_all(b"GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = first.read(&mut buf).await.expect("read");
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    // The second connection is in the backlog: its request is not answered while the first
    // stays open.
    let second = tokio::spawn({
        let url = server.url("/items/2");
        async move {
            let client = reqwest::Client::new();
            client
                .get(url)
                .send()
                .await
                .expect("answer")
                .status()
                .as_u16()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!second.is_finished());
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .expect("answered once the first left")
        .expect("task");
    assert_eq!(status, 200);

    // A WebSocket holds its place too, after the upgrade, until it closes.
    let url = server.url("/items/ws").replacen("http", "ws", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("handshake");
    ws.send(Message::text(r#"{"id":1,"data":{"id":"5"}}"#))
        .await
        .expect("send");
    assert_eq!(
        ws_answer(&mut ws).await,
        (0, r#"{"id":1,"data":{"id":"5"}}"#.to_owned())
    );
    let third = tokio::spawn({
        let url = server.url("/items/3");
        async move {
            reqwest::Client::new()
                .get(url)
                .send()
                .await
                .expect("answer")
                .status()
                .as_u16()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !third.is_finished(),
        "answered while the WebSocket was open"
    );
    ws.close(None).await.expect("close");
    drop(ws);
    let status = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .expect("answered once the WebSocket closed")
        .expect("task");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn limits_set_on_the_builder_apply_to_every_method() {
    let server = guard_server(
        protoapi::Server::builder().limits(
            protoapi::Limits::default()
                .fields(2)
                .parts(1)
                .timeout(Duration::from_millis(100)),
        ),
    )
    .await;
    let http = reqwest::Client::new();
    let answer = http
        .get(server.url("/items/1?verbose=true&a=1&b=2"))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 400);
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"code":"invalid_argument","message":"too many query parameters: 3, the limit is 2","details":[]}"#
    );
    // A WebSocket handshake's query fills every call's request: the same limit, at the handshake.
    let url = server
        .url("/items/ws?a=1&b=2&c=3")
        .replacen("http", "ws", 1);
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 400);
            assert_eq!(
                String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()),
                r#"{"code":"invalid_argument","message":"too many query parameters: 3, the limit is 2","details":[]}"#
            );
        }
        other => panic!("the handshake was not refused: {other:?}"),
    }
    let url = server.url("/items/ws?a=1&b=2").replacen("http", "ws", 1);
    tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("a handshake within the limit");
    let form = reqwest::multipart::Form::new()
        .text("title", "t")
        .text("title", "u");
    let answer = http
        .post(server.url("/upload"))
        .multipart(form)
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 413);
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"code":"resource_exhausted","message":"the multipart body has more than 1 parts","details":[]}"#
    );
    // The method's own `timeout = "200ms"` wins over the server's 100 ms.
    let answer = http
        .post(server.url("/nap"))
        .header("content-type", "application/json")
        .body(r#"{"millis":150}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        answer.text().await.expect("body"),
        r#"{"ok":true,"size":"150"}"#
    );
    // A gRPC client's deadline shortens it (sent by hand: tonic's channel would also time
    // out client-side).
    let grpc = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let answer = grpc
        .post(server.url("/guard.v1.Guard/Nap"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", "50m")
        .body(envelope(0, &guard::Nap { millis: 150 }.encode_to_vec()).to_vec())
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.headers()["grpc-status"], "4");
    assert_eq!(
        percent_decode(answer.headers()["grpc-message"].to_str().expect("ascii")),
        "the method did not answer within 50ms"
    );
}

/// A value, key or name that fails is quoted in the error, but no more than 64 characters of
/// it: an error is never as long as the input that caused it (the JSON fuzz target found
/// values echoed whole).
#[tokio::test]
async fn errors_quote_no_more_than_64_characters_of_the_input() {
    let server = guard_server(protoapi::Server::builder()).await;
    let http = reqwest::Client::new();
    let grpc = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let long = |c: &str| c.repeat(300);
    let cut = |c: &str| format!("{}…", c.repeat(64));
    let rows = [
        (
            post_json("/items", format!(r#"{{"count":"{}"}}"#, long("a"))),
            400,
            format!(
                r#"{{"code":"invalid_argument","message":"invalid JSON at `count`: invalid value: string \"{}\", expected a 32-bit integer (a number or a string) at line 1 column 311","details":[]}}"#,
                cut("a")
            ),
        ),
        (
            post_json("/items", format!(r#"{{"color":"{}"}}"#, long("火"))),
            400,
            format!(
                r#"{{"code":"invalid_argument","message":"invalid JSON at `color`: unknown value `{}` of enum Color, expected one of UNSPECIFIED, RED, BLUE at line 1 column 911","details":[]}}"#,
                cut("火")
            ),
        ),
        (
            get(format!("/items/1?verbose={}", long("b"))),
            400,
            format!(
                r#"{{"code":"invalid_argument","message":"invalid query parameter `verbose`: `{}` is not a bool (true or false)","details":[]}}"#,
                cut("b")
            ),
        ),
        (
            post_form(format!("name.{}=1", long("c"))),
            400,
            format!(
                r#"{{"code":"invalid_argument","message":"invalid form field `name.{}…`: the field is not a message, so it has no sub-fields","details":[]}}"#,
                "c".repeat(59)
            ),
        ),
        (
            multipart(
                "multipart/form-data; boundary=B",
                multipart_body("B", &[(&format!("title.{}", long("d")), None, b"x")]),
            ),
            400,
            format!(
                r#"{{"code":"invalid_argument","message":"invalid form field `title.{}…`: the field is not a message, so it has no sub-fields","details":[]}}"#,
                "d".repeat(58)
            ),
        ),
        (
            Call::Ws(
                "/items/ws",
                Message::text(format!(r#"{{"id":1,"method":"{}"}}"#, long("e"))),
            ),
            0,
            format!(
                r#"{{"id":1,"error":{{"code":"invalid_argument","message":"this socket serves `Put`, not `{}`"}}}}"#,
                cut("e")
            ),
        ),
    ];
    let mut wrong = Vec::new();
    for (call, status, body) in rows {
        let got = run(&server, &http, &grpc, &call).await;
        if got != (status, body.clone()) {
            wrong.push(format!("{got:?}\n  expected {:?}", (status, body)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
