//! A form field that carries the request in JSON (`form = "data"`), and one field of the reply
//! as the whole HTTP answer (`response_body = "notes"`); and the tasks example, which uses both
//! to answer the curl commands of the comparison of RPC styles.

use protoapi::{File, Limits, Status};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::support::examples::{example, start};
use crate::support::{TestServer, send};

/// Who wrote a note.
#[protoapi::message]
pub struct Author {
    pub name: String,
}

/// A note.
#[protoapi::message]
pub struct Note {
    pub id: u32,
    #[validate(min_len = 1)]
    pub title: String,
    pub tags: Vec<String>,
    pub views: u64,
    pub author: Option<Author>,
}

/// How many notes to list.
#[protoapi::message]
pub struct Shelf {
    pub count: u32,
}

/// Notes, their number and the first of them.
#[protoapi::message]
pub struct Notes {
    /// The notes, by id.
    pub notes: Vec<Note>,
    pub total: u64,
    pub first: Option<Note>,
}

/// Files for a note: the note's fields in the JSON part `meta`, the files beside it.
#[protoapi::message]
#[form]
pub struct Attach {
    pub id: u32,
    #[validate(min_len = 1)]
    pub title: String,
    #[file]
    pub files: Vec<File>,
}

/// What a note's files came to.
#[protoapi::message]
pub struct Attached {
    pub id: u32,
    pub title: String,
    pub files: Vec<String>,
}

/// Notes on a board.
#[protoapi::service(package = "notes")]
pub trait Board {
    /// Puts a note, given in JSON in the form field `data`.
    #[protoapi(put = "/notes/:id", status = 201, form = "data")]
    async fn put(&self, req: Note) -> Result<Note, Status>;
    /// Attaches files to a note, its fields in JSON in the part `meta`.
    #[protoapi(post = "/notes/:id/files", form = "meta", limit = "1MiB")]
    async fn attach(&self, req: Attach) -> Result<Attached, Status>;
    /// The notes, a bare array over HTTP.
    #[protoapi(get = "/notes", response_body = "notes")]
    async fn list(&self, req: Shelf) -> Result<Notes, Status>;
    /// How many notes there are, alone.
    #[protoapi(get = "/notes/total", response_body = "total")]
    async fn total(&self, req: Shelf) -> Result<Notes, Status>;
    /// The first note, alone (`null` for none).
    #[protoapi(get = "/notes/first", response_body = "first")]
    async fn first(&self, req: Shelf) -> Result<Notes, Status>;
}

/// The board for clients of the Go protoapi, which read the envelope.
#[protoapi::service(package = "notes.legacy", envelope)]
pub trait LegacyBoard {
    /// The notes, as the envelope's `data`.
    #[protoapi(get = "/legacy/notes", response_body = "notes")]
    async fn list(&self, req: Shelf) -> Result<Notes, Status>;
}

struct Pinboard;

fn notes(count: u32) -> Notes {
    let notes: Vec<Note> = (1..=count)
        .map(|id| Note {
            id,
            title: format!("note{id}"),
            ..Note::default()
        })
        .collect();
    Notes {
        first: notes.first().cloned(),
        total: u64::from(count),
        notes,
    }
}

impl Board for Pinboard {
    async fn put(&self, req: Note) -> Result<Note, Status> {
        Ok(req)
    }

    async fn attach(&self, req: Attach) -> Result<Attached, Status> {
        Ok(Attached {
            id: req.id,
            title: req.title,
            files: req
                .files
                .iter()
                .map(|f| format!("{} ({} bytes)", f.name(), f.size()))
                .collect(),
        })
    }

    async fn list(&self, req: Shelf) -> Result<Notes, Status> {
        Ok(notes(req.count))
    }

    async fn total(&self, req: Shelf) -> Result<Notes, Status> {
        Ok(notes(req.count))
    }

    async fn first(&self, req: Shelf) -> Result<Notes, Status> {
        Ok(notes(req.count))
    }
}

impl LegacyBoard for Pinboard {
    async fn list(&self, req: Shelf) -> Result<Notes, Status> {
        Ok(notes(req.count))
    }
}

/// The boards, with a body limit of 1 KiB (uploads keep the method's 1 MiB).
async fn board() -> TestServer {
    TestServer::start(
        protoapi::Server::builder()
            .limits(Limits::default().body(1024))
            .add(BoardServer::new(Pinboard))
            .add(LegacyBoardServer::new(Pinboard)),
    )
    .await
}

fn put_form(server: &TestServer, path: &str, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    reqwest::Client::new().put(server.url(path)).form(pairs)
}

/// A multipart text part holding JSON.
fn json_part(json: &str) -> Part {
    Part::text(json.to_owned())
        .mime_str("application/json")
        .expect("mime")
}

#[tokio::test]
async fn an_urlencoded_field_carries_the_request_in_json() {
    let server = board().await;
    let data = r#"{"title": "five", "tags": ["a", "b"], "views": "7", "author": {"name": "Ann"}}"#;
    let answer = send(put_form(&server, "/notes/5", &[("data", data)])).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            201,
            r#"{"id":5,"title":"five","tags":["a","b"],"views":"7","author":{"name":"Ann"}}"#
        )
    );
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn the_json_field_is_merged_after_the_form_and_before_the_path() {
    let server = board().await;
    // The query, then the form's other fields, then the JSON field, then the path.
    let answer = send(put_form(
        &server,
        "/notes/6?views=1&title=query",
        &[
            ("data", r#"{"id": 9, "title": "json"}"#),
            ("title", "form"),
            ("tags", "x"),
        ],
    ))
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (201, r#"{"id":6,"title":"json","tags":["x"],"views":"1"}"#)
    );
    // Without the JSON field the form binds field by field.
    let answer = send(put_form(&server, "/notes/7", &[("title", "plain")])).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (201, r#"{"id":7,"title":"plain"}"#)
    );
}

#[tokio::test]
async fn a_multipart_part_carries_the_request_in_json() {
    let server = board().await;
    let client = reqwest::Client::new();
    let form = Form::new().part("data", json_part(r#"{"title": "in a part"}"#));
    let answer = send(client.put(server.url("/notes/8")).multipart(form)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (201, r#"{"id":8,"title":"in a part"}"#)
    );
    // A browser sends a `Blob` as a file part: the part counts by its name all the same.
    let blob = Part::bytes(br#"{"title": "a blob"}"#.to_vec())
        .file_name("blob")
        .mime_str("application/json")
        .expect("mime");
    let form = Form::new().part("data", blob);
    let answer = send(client.put(server.url("/notes/9")).multipart(form)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (201, r#"{"id":9,"title":"a blob"}"#)
    );
}

#[tokio::test]
async fn json_beside_files_in_one_multipart_body() {
    let server = board().await;
    let form = Form::new()
        .part("meta", json_part(r#"{"title": "with files"}"#))
        .part("files", Part::bytes(b"hello".to_vec()).file_name("a.txt"))
        .part("files", Part::bytes(vec![7; 3000]).file_name("b.bin"));
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/notes/3/files"))
            .multipart(form),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            200,
            r#"{"id":3,"title":"with files","files":["a.txt (5 bytes)","b.bin (3000 bytes)"]}"#
        )
    );
}

#[tokio::test]
async fn bad_json_in_the_field_is_the_error_of_a_bad_json_body() {
    let server = board().await;
    let cases = [
        (
            r#"{"title": 5}"#,
            "invalid JSON at `title`: invalid type: integer `5`, expected a string at line 1 column 11",
        ),
        (
            r#"{"author": {"name": true}}"#,
            "invalid JSON at `author.name`: invalid type: boolean `true`, expected a string at line 1 column 24",
        ),
        (
            r#"{"title": "x""#,
            "invalid JSON: EOF while parsing an object at line 1 column 13",
        ),
        (
            "[1]",
            "invalid JSON: invalid type: sequence, expected an object of message Note at line 1 column 0",
        ),
    ];
    for (data, message) in cases {
        let expected = json!({"code": "invalid_argument", "message": message, "details": []});
        let answer = send(put_form(&server, "/notes/1", &[("data", data)])).await;
        assert_eq!(
            (answer.status, answer.json()),
            (400, expected.clone()),
            "{data}"
        );
        // The same in a multipart part.
        let form = Form::new().part("data", json_part(data));
        let answer = send(
            reqwest::Client::new()
                .put(server.url("/notes/1"))
                .multipart(form),
        )
        .await;
        assert_eq!((answer.status, answer.json()), (400, expected), "{data}");
    }
}

#[tokio::test]
async fn a_rule_broken_inside_the_field_names_the_field() {
    let server = board().await;
    let answer = send(put_form(
        &server,
        "/notes/1",
        &[("data", r#"{"title": ""}"#)],
    ))
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            400,
            r#"{"code":"invalid_argument","message":"invalid request: title: must not be empty","details":[{"type":"google.rpc.BadRequest","value":"ChoKBXRpdGxlEhFtdXN0IG5vdCBiZSBlbXB0eQ","debug":{"fieldViolations":[{"description":"must not be empty","field":"title"}]}}]}"#
        )
    );
    let form = Form::new().part("meta", json_part(r#"{"title": ""}"#));
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/notes/1/files"))
            .multipart(form),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        answer.json()["message"],
        "invalid request: title: must not be empty"
    );
}

#[tokio::test]
async fn the_json_field_is_given_once_and_within_the_limits() {
    let server = board().await;
    let answer = send(put_form(
        &server,
        "/notes/1",
        &[("data", r#"{"title": "a"}"#), ("data", r#"{"title": "b"}"#)],
    ))
    .await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            400,
            json!({"code": "invalid_argument", "message": "invalid form field `data`: it carries the request in JSON, and is given more than once", "details": []})
        )
    );
    // A JSON part is bounded by the body limit (1 KiB here), as a JSON body, although the
    // multipart body of a method with files may be larger.
    let long = format!(r#"{{"title": "{}"}}"#, "x".repeat(2000));
    let form = Form::new()
        .part("meta", json_part(&long))
        .part("files", Part::bytes(vec![1; 4000]).file_name("c.bin"));
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/notes/2/files"))
            .multipart(form),
    )
    .await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            413,
            json!({"code": "resource_exhausted", "message": "form field `meta` is larger than the limit of 1024 bytes", "details": []})
        )
    );
    // An urlencoded body, JSON field and all, is bounded by the body limit.
    let answer = send(put_form(&server, "/notes/1", &[("data", &long)])).await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            413,
            json!({"code": "resource_exhausted", "message": "request body is larger than the limit of 1024 bytes", "details": []})
        )
    );
    // A JSON body is not a form.
    let answer = send(
        reqwest::Client::new()
            .put(server.url("/notes/1"))
            .header("content-type", "application/json")
            .body(r#"{"title": "a"}"#),
    )
    .await;
    assert_eq!(
        (answer.status, answer.json()),
        (
            415,
            json!({"code": "invalid_argument", "message": "unsupported content type `application/json`: this method accepts application/x-www-form-urlencoded or multipart/form-data", "details": []})
        )
    );
}

#[tokio::test]
async fn response_body_answers_one_field_of_the_reply() {
    let server = board().await;
    let client = reqwest::Client::new();
    let cases = [
        (
            "/notes?count=2",
            r#"[{"id":1,"title":"note1"},{"id":2,"title":"note2"}]"#,
        ),
        // Default values are written too: the field is the whole answer.
        ("/notes?count=0", "[]"),
        ("/notes/total?count=3", r#""3""#),
        ("/notes/total", r#""0""#),
        ("/notes/first?count=2", r#"{"id":1,"title":"note1"}"#),
        ("/notes/first", "null"),
        // In the envelope the field is the `data`.
        (
            "/legacy/notes?count=1",
            r#"{"code":0,"data":[{"id":1,"title":"note1"}]}"#,
        ),
    ];
    for (path, body) in cases {
        let answer = send(client.get(server.url(path))).await;
        assert_eq!((answer.status, answer.body.as_str()), (200, body), "{path}");
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    }
}

#[tokio::test]
async fn other_transports_answer_the_whole_reply() {
    let server = board().await;
    let client = BoardClient::connect(server.url("")).await.expect("connect");
    let reply = client
        .list(Shelf { count: 1 })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(reply, notes(1));
    // Connect, with JSON.
    let answer = send(
        reqwest::Client::new()
            .post(server.url("/notes.Board/List"))
            .header("content-type", "application/json")
            .body(r#"{"count": 1}"#),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            200,
            r#"{"notes":[{"id":1,"title":"note1"}],"total":"1","first":{"id":1,"title":"note1"}}"#
        )
    );
}

#[test]
fn the_openapi_document_describes_the_json_field_and_the_bare_answer() {
    let document = protoapi::schema::openapi_document(
        &[BoardServer::<Pinboard>::descriptor()],
        &protoapi::schema::OpenApiInfo::new("Board", "1.0.0"),
    );
    let list = &document["paths"]["/notes"]["get"]["responses"]["200"];
    assert_eq!(
        list,
        &json!({
            "description": "The field `notes` of the response message `Notes`, alone.",
            "content": {"application/json": {"schema": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Note"},
                "description": "The notes, by id.",
            }}},
        })
    );
    let total = &document["paths"]["/notes/total"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        total["application/json"]["schema"]["format"],
        json!("uint64")
    );
    let first = &document["paths"]["/notes/first"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        first["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Note"})
    );
    let data = json!({
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": "#/components/schemas/Note"},
        "description": "The request message in the proto3 JSON mapping, merged after the other fields.",
    });
    let put = &document["paths"]["/notes/{id}"]["put"]["requestBody"]["content"];
    assert_eq!(
        put["application/x-www-form-urlencoded"]["schema"]["properties"]["data"],
        data
    );
    assert_eq!(
        put["multipart/form-data"]["schema"]["properties"]["data"],
        data
    );
    assert_eq!(
        put["multipart/form-data"]["encoding"],
        json!({"data": {"contentType": "application/json"}})
    );
    assert_eq!(put.get("application/json"), None);
    let attach = &document["paths"]["/notes/{id}/files"]["post"]["requestBody"]["content"];
    let properties = &attach["multipart/form-data"]["schema"]["properties"];
    assert_eq!(
        properties["meta"]["contentSchema"],
        json!({"$ref": "#/components/schemas/Attach"})
    );
    assert_eq!(
        properties["files"],
        json!({"type": "array", "items": {"type": "string", "format": "binary"}})
    );
    // `Notes` is no answer of an HTTP route: it has no schema.
    assert_eq!(document["components"]["schemas"].get("Notes"), None);
    let descriptor = BoardServer::<Pinboard>::descriptor();
    let (put, list) = (&descriptor.methods[0], &descriptor.methods[2]);
    assert_eq!((put.form, put.response_body), (Some("data"), None));
    assert_eq!((list.form, list.response_body), (None, Some("notes")));
}

// ---- the tasks example, as the comparison of RPC styles calls it ----

/// The curl commands of the REST section of the comparison of RPC styles, as curl sends them:
/// `curl localhost:PORT/tasks`, `curl localhost:PORT/tasks/5 -d 'data={"name": "task5"}' -X PUT`.
#[tokio::test]
async fn tasks_answers_the_comparisons_curl_commands() {
    let tasks = start("tasks");
    let url = |path: &str| format!("{}{path}", tasks.url);
    let client = reqwest::Client::new();
    // `curl -d` sends its text as it is, as an urlencoded form.
    let put = |path: &str, body: &'static str| {
        client
            .put(url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let answer = send(client.get(url("/tasks"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            200,
            r#"[{"id":1,"name":"task1"},{"id":2,"name":"task2"},{"id":3,"name":"task3"}]"#
        )
    );
    let answer = send(put("/tasks/5", r#"data={"name": "task5"}"#)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (201, r#"{"id":5,"name":"task5"}"#)
    );
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let answer = send(client.get(url("/tasks"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            200,
            r#"[{"id":1,"name":"task1"},{"id":2,"name":"task2"},{"id":3,"name":"task3"},{"id":5,"name":"task5"}]"#
        )
    );
    // The same JSON in a multipart part (`curl -F 'data={...};type=application/json'`).
    let part = reqwest::multipart::Part::text(r#"{"name": "task6"}"#)
        .mime_str("application/json")
        .expect("mime");
    let form = reqwest::multipart::Form::new().part("data", part);
    let answer = send(client.put(url("/tasks/6")).multipart(form)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (201, r#"{"id":6,"name":"task6"}"#)
    );
    // JSON that does not decode, and a name that breaks its rule.
    let answer = send(put("/tasks/7", r#"data={"name": 7}"#)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            400,
            r#"{"code":"invalid_argument","message":"invalid JSON at `name`: invalid type: integer `7`, expected a string at line 1 column 10","details":[]}"#
        )
    );
    let answer = send(put("/tasks/7", r#"data={"name": ""}"#)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            400,
            r#"{"code":"invalid_argument","message":"invalid request: name: must not be empty","details":[{"type":"google.rpc.BadRequest","value":"ChkKBG5hbWUSEW11c3Qgbm90IGJlIGVtcHR5","debug":{"fieldViolations":[{"description":"must not be empty","field":"name"}]}}]}"#
        )
    );
    let answer = send(client.get(url("/tasks/7"))).await;
    assert_eq!(answer.status, 404);
}

/// The tasks example's OpenAPI document describes the bare array of `GET /tasks` and the JSON
/// form field of `PUT /tasks/{id}`.
#[test]
fn tasks_documents_its_bare_array_and_json_form_field() {
    let output = std::process::Command::new(example("tasks"))
        .arg("--print-openapi")
        .output()
        .expect("run example");
    assert!(output.status.success());
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        document["paths"]["/tasks"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/Task"}})
    );
    let put = &document["paths"]["/tasks/{id}"]["put"]["requestBody"]["content"];
    for content_type in ["application/x-www-form-urlencoded", "multipart/form-data"] {
        assert_eq!(
            put[content_type]["schema"]["properties"]["data"]["contentSchema"],
            serde_json::json!({"$ref": "#/components/schemas/PutTask"}),
            "{content_type}"
        );
    }
}
