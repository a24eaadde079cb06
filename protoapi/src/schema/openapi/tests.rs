//! The OpenAPI document of small services, checked against the expected JSON.

use serde_json::{Value, json};

use super::schemas::number;
use super::*;
use crate::schema::{
    Constraints, EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FieldType, HttpRoute, Label,
    MessageDescriptor, MethodDescriptor, ScalarType, ServiceDescriptor, Verb,
};

fn field(
    name: &'static str,
    json_name: &'static str,
    label: Label,
    ty: FieldType,
) -> FieldDescriptor {
    FieldDescriptor {
        name,
        json_name,
        tag: 1,
        label,
        ty,
        doc: "",
        constraints: Constraints::default(),
        file: false,
    }
}

fn scalar(name: &'static str, json_name: &'static str, ty: ScalarType) -> FieldDescriptor {
    field(name, json_name, Label::Singular, FieldType::Scalar(ty))
}

fn method(
    name: &'static str,
    input: &'static str,
    output: &'static str,
    routes: &[(Verb, &str)],
) -> MethodDescriptor {
    MethodDescriptor {
        name,
        rust_name: "",
        doc: "",
        input,
        output,
        client_streaming: false,
        server_streaming: false,
        http: routes
            .iter()
            .map(|&(method, path)| HttpRoute {
                method,
                path: path.to_owned(),
                shape: None,
            })
            .collect(),
        websocket: None,
        websocket_shape: None,
        status: 200,
        download: false,
        upload: false,
        form: None,
        response_body: None,
    }
}

fn message(name: &'static str, fields: Vec<FieldDescriptor>) -> MessageDescriptor {
    MessageDescriptor {
        name,
        doc: "",
        form: false,
        fields,
    }
}

fn service(methods: Vec<MethodDescriptor>, messages: Vec<MessageDescriptor>) -> ServiceDescriptor {
    ServiceDescriptor {
        package: "lab",
        name: "Items",
        doc: "Items in a lab.",
        grpc: true,
        http: true,
        socket: None,
        envelope: false,
        socketio: false,
        graphql: false,
        methods,
        messages,
        enums: vec![EnumDescriptor {
            name: "Kind",
            doc: "A kind.",
            values: vec![
                EnumValueDescriptor {
                    name: "KIND_NONE",
                    number: 0,
                    doc: "",
                },
                EnumValueDescriptor {
                    name: "KIND_BIG",
                    number: 1,
                    doc: "Big ones.",
                },
            ],
        }],
    }
}

/// A message with a field of every shape and every constraint.
fn item() -> MessageDescriptor {
    let mut name = scalar("name", "name", ScalarType::String);
    name.doc = "The name.";
    name.constraints = Constraints {
        min_len: Some(1),
        max_len: Some(20),
        pattern: Some("^[a-z]+$"),
        ..Constraints::default()
    };
    let mut score = scalar("score", "score", ScalarType::Double);
    score.constraints = Constraints {
        min: Some(0.0),
        max: Some(10.5),
        ..Constraints::default()
    };
    let mut tags = field(
        "tags",
        "tags",
        Label::Repeated,
        FieldType::Scalar(ScalarType::String),
    );
    tags.constraints = Constraints {
        min_items: Some(1),
        max_items: Some(3),
        max_len: Some(8),
        ..Constraints::default()
    };
    let mut count = field(
        "count",
        "count",
        Label::Optional,
        FieldType::Scalar(ScalarType::Int32),
    );
    count.constraints = Constraints {
        required: true,
        ..Constraints::default()
    };
    let mut labels = field(
        "labels",
        "labels",
        Label::Singular,
        FieldType::Map(
            ScalarType::Int32,
            Box::new(FieldType::Scalar(ScalarType::Int64)),
        ),
    );
    labels.constraints = Constraints {
        max_items: Some(4),
        ..Constraints::default()
    };
    let mut data = scalar("data", "data", ScalarType::Bytes);
    data.constraints = Constraints {
        min_len: Some(3),
        max_len: Some(4),
        ..Constraints::default()
    };
    MessageDescriptor {
        name: "Item",
        doc: "An item.",
        form: false,
        fields: vec![
            scalar("item_id", "itemId", ScalarType::UInt64),
            name,
            score,
            tags,
            count,
            labels,
            data,
            field("kind", "kind", Label::Singular, FieldType::Enum("Kind")),
            field(
                "filter",
                "filter",
                Label::Singular,
                FieldType::Message("Filter"),
            ),
            field(
                "children",
                "children",
                Label::Repeated,
                FieldType::Message("Filter"),
            ),
        ],
    }
}

fn filter() -> MessageDescriptor {
    message(
        "Filter",
        vec![
            scalar("field", "field", ScalarType::String),
            field(
                "filter",
                "filter",
                Label::Singular,
                FieldType::Message("Filter"),
            ),
        ],
    )
}

fn upload() -> MessageDescriptor {
    let mut file = field(
        "the_file",
        "theFile",
        Label::Singular,
        FieldType::Message(FILE_MESSAGE),
    );
    file.file = true;
    let mut files = field(
        "more",
        "more",
        Label::Repeated,
        FieldType::Message(FILE_MESSAGE),
    );
    files.file = true;
    let mut note = scalar("note", "note", ScalarType::String);
    note.constraints.required = true;
    MessageDescriptor {
        name: "Upload",
        doc: "A file and a note.",
        form: true,
        fields: vec![
            note,
            file,
            files,
            field("kind", "kind", Label::Repeated, FieldType::Enum("Kind")),
        ],
    }
}

fn document(service: ServiceDescriptor) -> Value {
    openapi_document(&[service], &OpenApiInfo::new("Lab", "2.0.0"))
}

#[test]
fn messages_follow_the_proto3_json_mapping_with_their_constraints() {
    let doc = document(service(
        vec![method(
            "Put",
            "Item",
            "Item",
            &[(Verb::Put, "/items/{item_id}")],
        )],
        vec![item(), filter()],
    ));
    let schema = &doc["components"]["schemas"]["Item"];
    assert_eq!(schema["description"], "An item.");
    assert_eq!(schema["required"], json!(["count"]));
    let properties = &schema["properties"];
    assert_eq!(
        properties["itemId"],
        json!({"type": ["string", "integer"], "format": "uint64", "pattern": "^[0-9]+$", "minimum": 0, "maximum": u64::MAX})
    );
    assert_eq!(
        properties["name"],
        json!({"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[a-z]+$", "description": "The name."})
    );
    assert_eq!(
        properties["score"],
        json!({"oneOf": [{"type": "number", "format": "double"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}], "minimum": 0, "maximum": 10.5})
    );
    assert_eq!(
        properties["tags"],
        json!({"type": "array", "items": {"type": "string", "maxLength": 8}, "minItems": 1, "maxItems": 3})
    );
    assert_eq!(
        properties["count"],
        json!({"type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX})
    );
    assert_eq!(
        properties["labels"],
        json!({
            "type": "object",
            "additionalProperties": {"type": ["string", "integer"], "format": "int64", "pattern": "^-?[0-9]+$", "minimum": i64::MIN, "maximum": i64::MAX},
            "propertyNames": {"pattern": "^-?[0-9]+$"},
            "maxProperties": 4,
        })
    );
    // 3 bytes are at least 4 base64 characters, 4 bytes at most 8.
    assert_eq!(
        properties["data"],
        json!({"type": "string", "contentEncoding": "base64", "minLength": 4, "maxLength": 8})
    );
    assert_eq!(
        properties["kind"],
        json!({"$ref": "#/components/schemas/Kind"})
    );
    assert_eq!(
        properties["children"],
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Filter"}})
    );
    assert_eq!(
        doc["components"]["schemas"]["Kind"],
        json!({"type": "string", "enum": ["KIND_NONE", "KIND_BIG"], "description": "A kind.\n\n- `KIND_BIG`: Big ones."})
    );
    assert_eq!(
        doc["components"]["schemas"]["protoapi.Error"]["required"],
        json!(["code", "message", "details"])
    );
}

#[test]
fn routes_bind_path_and_query_parameters() {
    let mut get = method(
        "Get",
        "Item",
        "Item",
        &[
            (Verb::Get, "/items/{item_id}"),
            (Verb::Delete, "/items/{item_id}"),
        ],
    );
    get.doc = "One item.\n\nBy its id.";
    get.websocket = Some("/items/ws".to_owned());
    let doc = document(service(vec![get], vec![item(), filter()]));
    let operation = &doc["paths"]["/items/{item_id}"]["get"];
    assert_eq!(operation["operationId"], "lab.Items.Get_get");
    assert_eq!(
        doc["paths"]["/items/{item_id}"]["delete"]["operationId"],
        "lab.Items.Get_delete"
    );
    assert_eq!(operation["summary"], "One item.");
    assert_eq!(operation["description"], "One item.\n\nBy its id.");
    assert_eq!(operation["tags"], json!(["lab.Items"]));
    assert_eq!(operation["x-protoapi-websocket"], "/items/ws");
    assert_eq!(operation["x-protoapi-grpc"], "/lab.Items/Get");
    let names: Vec<&str> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    // No query key for the path's field, the map or the repeated messages; a message
    // field's fields once, without recursing into itself.
    assert_eq!(
        names,
        [
            "item_id",
            "name",
            "score",
            "tags",
            "count",
            "data",
            "kind",
            "filter.field"
        ]
    );
    assert_eq!(
        operation["parameters"][0],
        json!({"name": "item_id", "in": "path", "required": true, "schema": {"type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX}})
    );
    assert_eq!(
        operation["parameters"][3],
        json!({"name": "tags", "in": "query", "style": "form", "explode": true, "schema": {"type": "array", "items": {"type": "string", "maxLength": 8}, "minItems": 1, "maxItems": 3}})
    );
    assert_eq!(
        operation["parameters"][4],
        json!({"name": "count", "in": "query", "required": true, "schema": {"type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX}})
    );
    assert_eq!(
        operation["parameters"][6]["schema"],
        json!({"$ref": "#/components/schemas/Kind"})
    );
    assert_eq!(operation.get("requestBody"), None);
    let codes: Vec<&String> = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(codes, ["200", "400", "default"]);
    // Each error is the JSON error body, or a problem when the client prefers one.
    assert_eq!(
        operation["responses"]["400"]["content"],
        json!({
            "application/json": { "schema": { "$ref": "#/components/schemas/protoapi.Error" } },
            "application/problem+json": { "schema": { "$ref": "#/components/schemas/protoapi.Problem" } },
        })
    );
    assert_eq!(
        doc["components"]["schemas"].as_object().map(|s| s.len()),
        Some(5)
    );
}

#[test]
fn rest_parameters_span_segments() {
    let mut fetch = method(
        "Fetch",
        "Filter",
        FILE_MESSAGE,
        &[(Verb::Get, "/files/{*field}")],
    );
    fetch.download = true;
    fetch.server_streaming = true;
    let doc = document(service(vec![fetch], vec![filter()]));
    let operation = &doc["paths"]["/files/{field}"]["get"];
    assert_eq!(
        operation["parameters"][0],
        json!({"name": "field", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}, "description": "The rest of the path: it spans segments, `/` included."})
    );
    let headers: Vec<&str> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .skip(1)
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        headers,
        ["Range", "If-Range", "If-None-Match", "If-Modified-Since"]
    );
    let responses = &operation["responses"];
    let codes: Vec<&String> = responses
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(codes, ["200", "206", "304", "400", "416", "default"]);
    assert_eq!(
        responses["200"]["content"],
        json!({"*/*": {"schema": {"type": "string", "format": "binary"}}})
    );
    assert_eq!(
        responses["206"]["headers"]["Content-Range"]["schema"],
        json!({"type": "string"})
    );
    assert_eq!(
        responses["416"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/protoapi.Error"
    );
    // The gRPC stream's message is no HTTP schema.
    assert_eq!(doc["components"]["schemas"].get(FILE_MESSAGE), None);
}

#[test]
fn forms_take_urlencoded_and_multipart_bodies_with_file_parts() {
    let mut put = method("Send", "Upload", "Filter", &[(Verb::Post, "/upload")]);
    put.status = 201;
    let doc = document(service(vec![put], vec![upload(), filter()]));
    let operation = &doc["paths"]["/upload"]["post"];
    let content = &operation["requestBody"]["content"];
    assert_eq!(
        content["application/x-www-form-urlencoded"]["schema"],
        json!({
            "type": "object",
            "description": "A file and a note.",
            "properties": {
                "note": {"type": "string"},
                "kind": {"type": "array", "items": {"$ref": "#/components/schemas/Kind"}},
            },
            "required": ["note"],
        })
    );
    assert_eq!(
        content["multipart/form-data"]["schema"]["properties"],
        json!({
            "note": {"type": "string"},
            "theFile": {"type": "string", "format": "binary"},
            "more": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "kind": {"type": "array", "items": {"$ref": "#/components/schemas/Kind"}},
        })
    );
    assert_eq!(content.as_object().map(|c| c.len()), Some(2));
    assert_eq!(operation["requestBody"]["required"], false);
    let codes: Vec<&String> = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(codes, ["201", "400", "413", "415", "default"]);
    // File fields are no query parameters.
    let names: Vec<&str> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["note", "kind"]);
}

#[test]
fn json_bodies_streams_and_envelopes() {
    let mut watch = method("Watch", "Filter", "Filter", &[(Verb::Post, "/watch")]);
    watch.server_streaming = true;
    let mut svc = service(
        vec![
            method("Echo", "Filter", "Filter", &[(Verb::Post, "/echo")]),
            watch,
        ],
        vec![filter()],
    );
    svc.envelope = true;
    let doc = document(svc);
    let echo = &doc["paths"]["/echo"]["post"];
    assert_eq!(
        echo["requestBody"]["content"],
        json!({"application/json": {"schema": {"$ref": "#/components/schemas/Filter"}}})
    );
    assert_eq!(
        echo["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"type": "object", "properties": {"code": {"const": 0}, "data": {"$ref": "#/components/schemas/Filter"}}, "required": ["code", "data"]})
    );
    assert_eq!(
        echo["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/protoapi.EnvelopeError"
    );
    let watch = &doc["paths"]["/watch"]["post"]["responses"]["200"]["content"];
    let types: Vec<&String> = watch
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(types, ["application/x-ndjson", "text/event-stream"]);
    assert_eq!(
        watch["text/event-stream"]["x-protoapi-item"],
        json!({"$ref": "#/components/schemas/Filter"})
    );
    assert!(
        doc["components"]["schemas"]
            .get(ENVELOPE_ERROR_SCHEMA)
            .is_some()
    );

    let mut fetch = method("Fetch", "Filter", FILE_MESSAGE, &[(Verb::Get, "/file")]);
    fetch.download = true;
    let mut svc = service(vec![fetch], vec![filter()]);
    svc.envelope = true;
    let doc = document(svc);
    let responses = &doc["paths"]["/file"]["get"]["responses"];
    assert_eq!(
        responses["416"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/protoapi.Error"
    );
    assert_eq!(
        responses["400"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/protoapi.EnvelopeError"
    );
}

#[test]
fn types_of_one_name_from_different_packages_get_their_package() {
    let a = service(
        vec![method("Get", "Filter", "Filter", &[(Verb::Get, "/a")])],
        vec![filter()],
    );
    let mut b = service(
        vec![method("Get", "Filter", "Filter", &[(Verb::Get, "/b")])],
        vec![message(
            "Filter",
            vec![scalar("other", "other", ScalarType::Bool)],
        )],
    );
    b.package = "other";
    let same = service(
        vec![method("Get", "Filter", "Filter", &[(Verb::Get, "/c")])],
        vec![filter()],
    );
    let doc = openapi_document(&[a, b, same], &OpenApiInfo::new("Lab", "1"));
    let keys: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "lab.Filter",
            "other.Filter",
            "protoapi.Error",
            "protoapi.Problem"
        ]
    );
    assert_eq!(
        doc["paths"]["/b"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/other.Filter"})
    );
    assert_eq!(doc["info"], json!({"title": "Lab", "version": "1"}));
}

#[test]
fn services_without_http_and_websockets() {
    let mut hidden = service(vec![method("Get", "Filter", "Filter", &[])], vec![filter()]);
    hidden.http = false;
    let mut sockets = service(vec![method("Get", "Filter", "Filter", &[])], vec![filter()]);
    sockets.socket = Some("/ws");
    sockets.methods[0].websocket = Some("/get/ws".to_owned());
    let doc = openapi_document(&[hidden, sockets], &OpenApiInfo::new("Lab", "1"));
    assert_eq!(doc["paths"], json!({}));
    assert_eq!(
        doc["x-protoapi-websockets"],
        json!([
            {"path": "/get/ws", "service": "lab.Items", "methods": ["Get"]},
            {"path": "/ws", "service": "lab.Items", "methods": ["Get"]},
        ])
    );
    assert_eq!(
        doc["tags"],
        json!([{"name": "lab.Items", "description": "Items in a lab."}])
    );
}

#[test]
fn bounds_are_integers_when_they_are_whole() {
    assert_eq!(number(3.0), json!(3));
    assert_eq!(number(-2.5), json!(-2.5));
    assert_eq!(number(1e300), json!(1e300));
}
