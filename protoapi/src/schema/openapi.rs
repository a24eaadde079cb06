//! The OpenAPI 3.1 document of the HTTP routes of services, made from their descriptors.
//!
//! Every HTTP route is an operation: its path and query parameters, its request body (JSON, or
//! for a `#[form]` message urlencoded and multipart), its success response (JSON, a download or
//! a stream) and the error responses the runtime can give. Every message and enum that the
//! operations use is a schema in `components`, in the proto3 JSON mapping that the server reads
//! and writes. Keys come out sorted (`serde_json`'s map), so the same services always give the
//! same text.
//!
//! WebSocket endpoints are no OpenAPI operations: they are listed in the extension
//! `x-protoapi-websockets` of the document, and an operation whose method also has one names
//! it in `x-protoapi-websocket`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{
    Constraints, EnumDescriptor, FieldDescriptor, FieldType, Label, MessageDescriptor,
    MethodDescriptor, ScalarType, ServiceDescriptor,
};

/// The name of the error schema in `components.schemas`.
pub const ERROR_SCHEMA: &str = "protoapi.Error";
/// The name of the error schema of services that answer in the envelope.
pub const ENVELOPE_ERROR_SCHEMA: &str = "protoapi.EnvelopeError";

/// The name of the message whose HTTP form is a file part.
const FILE_MESSAGE: &str = "protoapi.File";

/// The `info` of an OpenAPI document.
///
/// ```
/// let info = protoapi::schema::OpenApiInfo::new("Students", "1.2.0");
/// assert_eq!(info.title, "Students");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenApiInfo {
    /// `info.title`.
    pub title: String,
    /// `info.version`: the version of the API, not of OpenAPI.
    pub version: String,
    /// `info.description`, left out when empty.
    pub description: String,
}

impl OpenApiInfo {
    /// A title and a version, no description.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        OpenApiInfo {
            title: title.into(),
            version: version.into(),
            description: String::new(),
        }
    }

    /// The default for `services`: their full names joined by `, ` as the title (`API` for
    /// none), version `1.0.0`, and the doc comment of a single service as the description.
    pub fn for_services(services: &[ServiceDescriptor]) -> Self {
        let names: Vec<String> = services.iter().map(ServiceDescriptor::full_name).collect();
        let title = if names.is_empty() {
            "API".to_owned()
        } else {
            names.join(", ")
        };
        let mut info = OpenApiInfo::new(title, "1.0.0");
        if let [service] = services {
            info.description = service.doc.to_owned();
        }
        info
    }
}

/// The OpenAPI 3.1 document of the HTTP routes of `services` (those served over HTTP), with
/// their paths as given in the descriptors: use `descriptor_with` with the server's
/// [`crate::HttpConfig`] to get the paths as served.
///
/// ```
/// # use protoapi::Status;
/// #[protoapi::message]
/// pub struct Ping {
///     /// Echoed back.
///     pub text: String,
/// }
///
/// #[protoapi::service(package = "demo")]
/// pub trait Health {
///     /// Answers its request.
///     #[protoapi(get = "/ping")]
///     async fn check(&self, req: Ping) -> Result<Ping, Status>;
/// }
///
/// let document = protoapi::schema::openapi_document(
///     &[HealthServer::<()>::descriptor()],
///     &protoapi::schema::OpenApiInfo::new("Health", "1.0.0"),
/// );
/// assert_eq!(document["openapi"], "3.1.0");
/// let get = &document["paths"]["/ping"]["get"];
/// assert_eq!(get["operationId"], "demo.Health.Check");
/// assert_eq!(get["summary"], "Answers its request.");
/// assert_eq!(get["parameters"][0]["name"], "text");
/// assert_eq!(get["parameters"][0]["in"], "query");
/// ```
pub fn openapi_document(services: &[ServiceDescriptor], info: &OpenApiInfo) -> Value {
    let services: Vec<&ServiceDescriptor> = services.iter().filter(|s| s.http).collect();
    let names = SchemaNames::new(&services);
    let mut used = Used::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags = Vec::new();
    let mut websockets = Vec::new();
    for (index, service) in services.iter().enumerate() {
        let scope = Scope {
            service,
            index,
            names: &names,
        };
        let mut tag = Map::new();
        tag.insert("name".into(), service.full_name().into());
        if !service.doc.is_empty() {
            tag.insert("description".into(), service.doc.into());
        }
        tags.push(Value::Object(tag));
        for method in &service.methods {
            for route in &method.http {
                let (path, operation) = scope.operation(method, route, &mut used);
                paths
                    .entry(path)
                    .or_default()
                    .insert(route.method.to_ascii_lowercase(), operation);
            }
            if let Some(path) = &method.websocket {
                websockets.push((path.clone(), service.full_name(), vec![method.name]));
            }
        }
        if let Some(path) = service.socket {
            let methods = service.methods.iter().map(|m| m.name).collect();
            websockets.push((path.to_owned(), service.full_name(), methods));
        }
    }

    let mut schemas = Map::new();
    schemas.insert(ERROR_SCHEMA.into(), error_schema());
    if used.envelope_error {
        schemas.insert(ENVELOPE_ERROR_SCHEMA.into(), envelope_error_schema());
    }
    // Each schema used by an operation, and what its fields use in turn.
    let mut pending: Vec<(usize, &'static str)> = used.types.clone();
    let mut done: Vec<(usize, &'static str)> = Vec::new();
    while let Some((index, name)) = pending.pop() {
        if done.contains(&(index, name)) {
            continue;
        }
        done.push((index, name));
        let scope = Scope {
            service: services[index],
            index,
            names: &names,
        };
        let key = names.key(index, name);
        if let Some(message) = scope.message(name) {
            schemas.insert(key, scope.message_schema(message));
            for field in &message.fields {
                let mut ty = &field.ty;
                if let FieldType::Map(_, value) = ty {
                    ty = value;
                }
                if let FieldType::Message(inner) | FieldType::Enum(inner) = ty {
                    pending.push((index, inner));
                }
            }
        } else if let Some(descriptor) = scope.enumeration(name) {
            schemas.insert(key, enum_schema(descriptor));
        }
    }

    let mut info_object = Map::new();
    info_object.insert("title".into(), info.title.clone().into());
    info_object.insert("version".into(), info.version.clone().into());
    if !info.description.is_empty() {
        info_object.insert("description".into(), info.description.clone().into());
    }
    let mut document = Map::new();
    document.insert("openapi".into(), "3.1.0".into());
    document.insert("info".into(), Value::Object(info_object));
    document.insert(
        "paths".into(),
        Value::Object(
            paths
                .into_iter()
                .map(|(path, item)| (path, Value::Object(item)))
                .collect(),
        ),
    );
    document.insert("components".into(), json!({ "schemas": schemas }));
    if !tags.is_empty() {
        document.insert("tags".into(), Value::Array(tags));
    }
    if !websockets.is_empty() {
        websockets.sort();
        let list = websockets
            .into_iter()
            .map(|(path, service, methods)| {
                json!({ "path": path, "service": service, "methods": methods })
            })
            .collect();
        document.insert("x-protoapi-websockets".into(), Value::Array(list));
    }
    Value::Object(document)
}

/// The schemas the operations refer to, and whether one uses the envelope's error.
#[derive(Default)]
struct Used {
    types: Vec<(usize, &'static str)>,
    envelope_error: bool,
}

/// The key in `components.schemas` of each message and enum of each service: its name, or,
/// when services of different packages have different types of one name, the name with its
/// package (then with its service).
struct SchemaNames {
    keys: Vec<((usize, &'static str), String)>,
}

#[derive(PartialEq)]
enum TypeRef<'a> {
    Message(&'a MessageDescriptor),
    Enum(&'a EnumDescriptor),
}

impl SchemaNames {
    fn new(services: &[&ServiceDescriptor]) -> Self {
        let mut all: Vec<(usize, &'static str, TypeRef<'_>)> = Vec::new();
        for (index, service) in services.iter().enumerate() {
            for message in &service.messages {
                all.push((index, message.name, TypeRef::Message(message)));
            }
            for descriptor in &service.enums {
                all.push((index, descriptor.name, TypeRef::Enum(descriptor)));
            }
        }
        let mut keys = Vec::new();
        for (index, name, ty) in &all {
            let same_name_differs = all.iter().any(|(_, n, t)| n == name && t != ty);
            let key = if !same_name_differs {
                (*name).to_owned()
            } else {
                let qualified = |i: usize| qualify(services[i].package, name);
                let package_key = qualified(*index);
                let clash = all
                    .iter()
                    .any(|(i, n, t)| n == name && t != ty && qualified(*i) == package_key);
                if clash {
                    format!("{}.{name}", services[*index].full_name())
                } else {
                    package_key
                }
            };
            keys.push(((*index, *name), key));
        }
        SchemaNames { keys }
    }

    fn key(&self, index: usize, name: &str) -> String {
        self.keys
            .iter()
            .find(|((i, n), _)| *i == index && *n == name)
            .map_or_else(|| name.to_owned(), |(_, key)| key.clone())
    }
}

fn qualify(package: &str, name: &str) -> String {
    if package.is_empty() || name.contains('.') {
        name.to_owned()
    } else {
        format!("{package}.{name}")
    }
}

/// One service while its operations and schemas are written.
struct Scope<'a> {
    service: &'a ServiceDescriptor,
    index: usize,
    names: &'a SchemaNames,
}

impl Scope<'_> {
    fn message(&self, name: &str) -> Option<&MessageDescriptor> {
        self.service.messages.iter().find(|m| m.name == name)
    }

    fn enumeration(&self, name: &str) -> Option<&EnumDescriptor> {
        self.service.enums.iter().find(|e| e.name == name)
    }

    fn reference(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{}", self.names.key(self.index, name)) })
    }

    /// A reference to a message or enum, remembered as used.
    fn use_type(&self, name: &'static str, used: &mut Used) -> Value {
        if !used.types.contains(&(self.index, name)) {
            used.types.push((self.index, name));
        }
        self.reference(name)
    }

    /// The operation of one route, and its OpenAPI path.
    fn operation(
        &self,
        method: &MethodDescriptor,
        route: &super::HttpRoute,
        used: &mut Used,
    ) -> (String, Value) {
        let (path, params) = openapi_path(&route.path);
        let input = self.message(method.input);
        let body = matches!(route.method, "POST" | "PUT" | "PATCH");
        let mut operation = Map::new();
        let mut id = format!("{}.{}", self.service.full_name(), method.name);
        if method.http.len() > 1 {
            id = format!("{id}_{}", route.method.to_ascii_lowercase());
        }
        operation.insert("operationId".into(), id.into());
        operation.insert("tags".into(), json!([self.service.full_name()]));
        let doc = method.doc.trim();
        if let Some(first) = doc.lines().next().filter(|l| !l.trim().is_empty()) {
            operation.insert("summary".into(), first.trim().into());
            if doc.len() > first.len() {
                operation.insert("description".into(), doc.into());
            }
        }

        let mut parameters = Vec::new();
        for (name, rest) in &params {
            let field = input.and_then(|m| find_field(m, name));
            let mut schema = match field {
                Some(field) => self.text_value_schema(field, used),
                None => json!({ "type": "string" }),
            };
            if let Some(object) = schema.as_object_mut()
                && object.get("type") == Some(&json!("string"))
            {
                // An empty segment does not match the route.
                object.insert("minLength".into(), 1.into());
            }
            let mut description = field.map_or(String::new(), |f| f.doc.to_owned());
            if *rest {
                let spans = "The rest of the path: it spans segments, `/` included.";
                description = if description.is_empty() {
                    spans.to_owned()
                } else {
                    format!("{spans} {description}")
                };
            }
            let mut parameter = json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": schema,
            });
            if !description.is_empty() {
                parameter["description"] = description.into();
            }
            parameters.push(parameter);
        }
        if let Some(input) = input {
            let path_fields: Vec<&str> = params
                .iter()
                .filter_map(|(name, _)| find_field(input, name).map(|f| f.name))
                .collect();
            for param in self.text_params(input, "", &mut Vec::new(), used) {
                if param.file || (param.prefix_free && path_fields.contains(&param.field)) {
                    continue;
                }
                let mut parameter = json!({
                    "name": param.key,
                    "in": "query",
                    "schema": param.schema,
                });
                if param.required {
                    parameter["required"] = true.into();
                }
                if param.repeated {
                    parameter["style"] = "form".into();
                    parameter["explode"] = true.into();
                }
                if !param.description.is_empty() {
                    parameter["description"] = param.description.into();
                }
                parameters.push(parameter);
            }
        }
        if method.download {
            for (name, description) in [
                (
                    "Range",
                    "One byte range (`bytes=0-99`); answered with 206, or 416 when no byte of it exists. Applies to downloads from bytes or a file; several ranges get the whole content.",
                ),
                (
                    "If-Range",
                    "An ETag or date: when it does not match, a `Range` request gets the whole content.",
                ),
                (
                    "If-None-Match",
                    "ETags: when one matches (downloads from a file), the answer is 304.",
                ),
                (
                    "If-Modified-Since",
                    "A date: when the file is not newer (downloads from a file), the answer is 304.",
                ),
            ] {
                parameters.push(json!({
                    "name": name,
                    "in": "header",
                    "schema": { "type": "string" },
                    "description": description,
                }));
            }
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }

        if body && let Some(input) = input {
            operation.insert("requestBody".into(), self.request_body(input, used));
        }
        operation.insert(
            "responses".into(),
            Value::Object(self.responses(method, body, used)),
        );
        if let Some(path) = &method.websocket {
            operation.insert("x-protoapi-websocket".into(), path.clone().into());
        }
        if self.service.grpc {
            operation.insert(
                "x-protoapi-grpc".into(),
                format!("/{}/{}", self.service.full_name(), method.name).into(),
            );
        }
        (path, Value::Object(operation))
    }

    fn request_body(&self, input: &MessageDescriptor, used: &mut Used) -> Value {
        if !input.form {
            return json!({
                "description": "The request message in the proto3 JSON mapping (any `application/*+json` type is read too). An empty body is the empty message.",
                "required": false,
                "content": {
                    "application/json": { "schema": self.use_type(input.name, used) }
                }
            });
        }
        let params = self.text_params(input, "", &mut Vec::new(), used);
        let form_schema = |with_files: bool| {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for param in params.iter().filter(|p| with_files || !p.file) {
                let mut schema = param.schema.clone();
                if !param.description.is_empty()
                    && let Some(object) = schema.as_object_mut()
                {
                    object.insert("description".into(), param.description.clone().into());
                }
                properties.insert(param.key.clone(), schema);
                if param.required {
                    required.push(param.key.clone());
                }
            }
            let mut schema = json!({ "type": "object", "properties": properties });
            if !required.is_empty() {
                schema["required"] = required.into();
            }
            if !input.doc.is_empty() {
                schema["description"] = input.doc.into();
            }
            schema
        };
        json!({
            "description": "The request message as a form: keys name fields (`a.b` a field of a message field), a repeated field repeats its key. In a multipart body, parts with a file name fill the file fields. An empty body is the empty message.",
            "required": false,
            "content": {
                "application/x-www-form-urlencoded": { "schema": form_schema(false) },
                "multipart/form-data": { "schema": form_schema(true) }
            }
        })
    }

    fn responses(
        &self,
        method: &MethodDescriptor,
        body: bool,
        used: &mut Used,
    ) -> Map<String, Value> {
        let envelope = self.service.envelope;
        // Rejections and a method's errors come in the envelope; a download's 416 does not.
        let error = if envelope {
            used.envelope_error = true;
            ENVELOPE_ERROR_SCHEMA
        } else {
            ERROR_SCHEMA
        };
        let error_ref = json!({ "$ref": format!("#/components/schemas/{error}") });
        let error_response = |description: &str| {
            json!({
                "description": description,
                "content": { "application/json": { "schema": error_ref.clone() } }
            })
        };
        let mut responses = Map::new();
        let status = method.status.to_string();
        if method.download {
            let binary = json!({ "*/*": { "schema": { "type": "string", "format": "binary" } } });
            responses.insert(
                status,
                json!({
                    "description": "The file, streamed, in its own content type (`application/octet-stream` unless the method set one).",
                    "headers": download_headers(&["Content-Disposition", "Content-Length", "Accept-Ranges", "ETag", "Last-Modified"]),
                    "content": binary.clone(),
                }),
            );
            responses.insert(
                "206".into(),
                json!({
                    "description": "The byte range asked for with `Range` (downloads from bytes or a file).",
                    "headers": download_headers(&["Content-Range", "Content-Length", "Content-Disposition", "Accept-Ranges", "ETag", "Last-Modified"]),
                    "content": binary,
                }),
            );
            responses.insert(
                "304".into(),
                json!({
                    "description": "Not modified: `If-None-Match` or `If-Modified-Since` matched (downloads from a file).",
                    "headers": download_headers(&["ETag", "Last-Modified"]),
                }),
            );
            let unsatisfiable = json!({
                "description": "No byte of the range exists (`out_of_range`; downloads from bytes or a file).",
                "headers": download_headers(&["Content-Range"]),
                "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") } } },
            });
            responses.insert("416".into(), unsatisfiable);
        } else if method.server_streaming {
            let item = self.use_type(method.output, used);
            responses.insert(
                status,
                json!({
                    "description": "A stream of messages. With `Accept: text/event-stream`, Server-Sent Events: each message a `data:` line of its JSON, then an `end` event (`data: {}`) or an `error` event whose data is the error body. Otherwise newline-delimited JSON: a line `{\"result\": message}` per message, and a last line `{\"error\": error body}` when the stream fails.",
                    "content": {
                        "text/event-stream": {
                            "schema": { "type": "string" },
                            "x-protoapi-item": item.clone(),
                        },
                        "application/x-ndjson": {
                            "schema": { "type": "string" },
                            "x-protoapi-item": {
                                "oneOf": [
                                    { "type": "object", "properties": { "result": item }, "required": ["result"] },
                                    { "type": "object", "properties": { "error": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") } }, "required": ["error"] },
                                ]
                            },
                        },
                    },
                }),
            );
        } else {
            let output = self.use_type(method.output, used);
            let schema = if envelope {
                json!({
                    "type": "object",
                    "properties": { "code": { "const": 0 }, "data": output },
                    "required": ["code", "data"],
                })
            } else {
                output
            };
            let description = match self.message(method.output) {
                Some(message) if !message.doc.is_empty() => message.doc.to_owned(),
                _ => "Success.".to_owned(),
            };
            responses.insert(
                status,
                json!({
                    "description": description,
                    "content": { "application/json": { "schema": schema } },
                }),
            );
        }
        responses.insert(
            "400".into(),
            error_response(
                "`invalid_argument`: a path parameter, query parameter, form field or body value that does not parse, or a malformed body; or a method's own `invalid_argument`, `failed_precondition` or `out_of_range`.",
            ),
        );
        if body {
            responses.insert(
                "413".into(),
                error_response(
                    "`resource_exhausted`: the body is larger than the method's limit (or a text part of a multipart body larger than 1 MiB).",
                ),
            );
            responses.insert(
                "415".into(),
                error_response("`invalid_argument`: a content type the method does not accept."),
            );
        }
        responses.insert(
            "default".into(),
            error_response(
                "The method failed: the HTTP status of its code (401 `unauthenticated`, 403 `permission_denied`, 404 `not_found`, 409 `already_exists` or `aborted`, 429 `resource_exhausted`, 499 `canceled`, 501 `unimplemented`, 503 `unavailable`, 504 `deadline_exceeded`, 500 otherwise).",
            ),
        );
        responses
    }

    /// A message in the proto3 JSON mapping.
    fn message_schema(&self, message: &MessageDescriptor) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &message.fields {
            properties.insert(field.json_name.into(), self.json_field_schema(field));
            if field.constraints.required {
                required.push(Value::from(field.json_name));
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        if !message.doc.is_empty() {
            schema.insert("description".into(), message.doc.into());
        }
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Value::Object(schema)
    }

    /// A field in the proto3 JSON mapping, with its constraints and doc comment.
    fn json_field_schema(&self, field: &FieldDescriptor) -> Value {
        let value = |ty: &FieldType| match ty {
            FieldType::Scalar(scalar) => json_scalar(*scalar),
            FieldType::Message(name) | FieldType::Enum(name) => self.reference(name),
            // A map's value is never a map.
            FieldType::Map(..) => json!({}),
        };
        let mut schema = match (&field.ty, field.label) {
            (FieldType::Map(key, inner), _) => {
                let mut values = value(inner);
                constrain_value(&mut values, inner, &field.constraints);
                let mut map = json!({ "type": "object", "additionalProperties": values });
                if let Some(names) = map_key_schema(*key) {
                    map["propertyNames"] = names;
                }
                constrain_count(&mut map, "Properties", &field.constraints);
                map
            }
            (ty, Label::Repeated) => {
                let mut items = value(ty);
                constrain_value(&mut items, ty, &field.constraints);
                let mut array = json!({ "type": "array", "items": items });
                constrain_count(&mut array, "Items", &field.constraints);
                array
            }
            (ty, _) => {
                let mut schema = value(ty);
                constrain_value(&mut schema, ty, &field.constraints);
                schema
            }
        };
        describe(&mut schema, field.doc);
        schema
    }

    /// The schema of one text value of a field (a path parameter).
    fn text_value_schema(&self, field: &FieldDescriptor, used: &mut Used) -> Value {
        let mut schema = match &field.ty {
            FieldType::Scalar(scalar) => text_scalar(*scalar),
            FieldType::Enum(name) => self.use_type(name, used),
            _ => json!({ "type": "string" }),
        };
        constrain_value(&mut schema, &field.ty, &field.constraints);
        schema
    }

    /// The keys that set fields of `message` from text (query string, form): scalars and enums,
    /// repeated ones as arrays, the fields of message fields as `field.sub` (each message once
    /// on a path), and the file fields (multipart only). Maps and repeated messages cannot be
    /// set from text.
    fn text_params(
        &self,
        message: &MessageDescriptor,
        prefix: &str,
        visiting: &mut Vec<&'static str>,
        used: &mut Used,
    ) -> Vec<TextParam> {
        visiting.push(message.name);
        let mut params = Vec::new();
        for field in &message.fields {
            let key = format!("{prefix}{}", field.json_name);
            let repeated = field.label == Label::Repeated;
            let mut param = TextParam {
                key: key.clone(),
                field: field.name,
                prefix_free: prefix.is_empty(),
                schema: Value::Null,
                description: field.doc.to_owned(),
                required: field.constraints.required,
                repeated,
                file: false,
            };
            if field.file {
                let binary = json!({ "type": "string", "format": "binary" });
                param.file = true;
                param.schema = if repeated {
                    json!({ "type": "array", "items": binary })
                } else {
                    binary
                };
                params.push(param);
                continue;
            }
            match &field.ty {
                FieldType::Map(..) => {}
                FieldType::Message(name) => {
                    if repeated || *name == FILE_MESSAGE || visiting.contains(name) {
                        continue;
                    }
                    if let Some(inner) = self.message(name) {
                        let nested = self.text_params(inner, &format!("{key}."), visiting, used);
                        params.extend(nested.into_iter().filter(|p| !p.file));
                    }
                }
                FieldType::Scalar(_) | FieldType::Enum(_) => {
                    let value = self.text_value_schema(field, used);
                    param.schema = if repeated {
                        let mut array = json!({ "type": "array", "items": value });
                        constrain_count(&mut array, "Items", &field.constraints);
                        array
                    } else {
                        value
                    };
                    params.push(param);
                }
            }
        }
        visiting.pop();
        params
    }
}

/// A key of a query string or form.
struct TextParam {
    key: String,
    /// The proto name of the field (of the message at the key's last segment).
    field: &'static str,
    /// The key names a field of the request itself.
    prefix_free: bool,
    schema: Value,
    description: String,
    required: bool,
    repeated: bool,
    /// A file part (multipart only).
    file: bool,
}

fn find_field<'a>(message: &'a MessageDescriptor, name: &str) -> Option<&'a FieldDescriptor> {
    message
        .fields
        .iter()
        .find(|f| f.name == name || f.json_name == name)
}

/// The OpenAPI path of an axum path (`{*rest}` becomes `{rest}`), and its parameters in order,
/// each with whether it takes the rest of the path.
fn openapi_path(path: &str) -> (String, Vec<(String, bool)>) {
    let mut params = Vec::new();
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            if let Some(name) = segment.strip_prefix("{*").and_then(|s| s.strip_suffix('}')) {
                params.push((name.to_owned(), true));
                format!("{{{name}}}")
            } else if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                params.push((name.to_owned(), false));
                segment.to_owned()
            } else {
                segment.to_owned()
            }
        })
        .collect();
    (segments.join("/"), params)
}

const I64_PATTERN: &str = "^-?[0-9]+$";
const U64_PATTERN: &str = "^[0-9]+$";

/// A scalar in the proto3 JSON mapping.
fn json_scalar(scalar: ScalarType) -> Value {
    use ScalarType::*;
    match scalar {
        Int64 | SInt64 | SFixed64 => json!({
            "type": ["string", "integer"],
            "format": "int64",
            "pattern": I64_PATTERN,
            "minimum": i64::MIN,
            "maximum": i64::MAX,
        }),
        UInt64 | Fixed64 => json!({
            "type": ["string", "integer"],
            "format": "uint64",
            "pattern": U64_PATTERN,
            "minimum": 0,
            "maximum": u64::MAX,
        }),
        Float | Double => float_schema(scalar),
        Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        _ => text_scalar(scalar),
    }
}

/// A scalar as text (path, query, form): 64-bit integers as plain integers.
fn text_scalar(scalar: ScalarType) -> Value {
    use ScalarType::*;
    match scalar {
        Int32 | SInt32 | SFixed32 => json!({
            "type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX,
        }),
        UInt32 | Fixed32 => json!({
            "type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX,
        }),
        Int64 | SInt64 | SFixed64 => json!({
            "type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX,
        }),
        UInt64 | Fixed64 => json!({
            "type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX,
        }),
        Bool => json!({ "type": "boolean" }),
        Float | Double => float_schema(scalar),
        String => json!({ "type": "string" }),
        Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
    }
}

fn float_schema(scalar: ScalarType) -> Value {
    let format = if scalar == ScalarType::Float {
        "float"
    } else {
        "double"
    };
    json!({
        "oneOf": [
            { "type": "number", "format": format },
            { "type": "string", "enum": ["NaN", "Infinity", "-Infinity"] },
        ]
    })
}

/// The key of a map as a JSON object key.
fn map_key_schema(key: ScalarType) -> Option<Value> {
    use ScalarType::*;
    match key {
        String => None,
        Bool => Some(json!({ "enum": ["true", "false"] })),
        UInt32 | Fixed32 | UInt64 | Fixed64 => Some(json!({ "pattern": U64_PATTERN })),
        _ => Some(json!({ "pattern": I64_PATTERN })),
    }
}

fn enum_schema(descriptor: &EnumDescriptor) -> Value {
    let names: Vec<&str> = descriptor.values.iter().map(|v| v.name).collect();
    let mut description = descriptor.doc.to_owned();
    let documented: Vec<String> = descriptor
        .values
        .iter()
        .filter(|v| !v.doc.is_empty())
        .map(|v| format!("- `{}`: {}", v.name, v.doc))
        .collect();
    if !documented.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&documented.join("\n"));
    }
    let mut schema = json!({ "type": "string", "enum": names });
    describe(&mut schema, &description);
    schema
}

fn describe(schema: &mut Value, doc: &str) {
    if !doc.is_empty()
        && let Some(object) = schema.as_object_mut()
    {
        object.insert("description".into(), doc.into());
    }
}

fn error_schema() -> Value {
    let codes = [
        "canceled",
        "unknown",
        "invalid_argument",
        "deadline_exceeded",
        "not_found",
        "already_exists",
        "permission_denied",
        "resource_exhausted",
        "failed_precondition",
        "aborted",
        "out_of_range",
        "unimplemented",
        "internal",
        "unavailable",
        "data_loss",
        "unauthenticated",
    ];
    json!({
        "title": "Error",
        "description": "The error body of every failed HTTP call (the Connect protocol's error shape).",
        "type": "object",
        "properties": {
            "code": { "type": "string", "enum": codes, "description": "The gRPC code, in snake_case." },
            "message": { "type": "string", "description": "What went wrong, for a developer." },
            "details": { "type": "array", "items": { "type": "object" }, "description": "Always empty." },
        },
        "required": ["code", "message", "details"],
    })
}

fn envelope_error_schema() -> Value {
    json!({
        "title": "EnvelopeError",
        "description": "The error body of a service with `envelope` (the Go protoapi's shape).",
        "type": "object",
        "properties": {
            "code": { "type": "integer", "minimum": 1, "maximum": 16, "description": "The gRPC code's number." },
            "message": { "type": "string" },
        },
        "required": ["code", "message"],
    })
}

fn download_headers(names: &[&str]) -> Value {
    let describe = |name: &str| match name {
        "Content-Disposition" => {
            "`attachment; filename=\"...\"; filename*=UTF-8''...` with a safe file name."
        }
        "Content-Length" => "The size, when it is known.",
        "Accept-Ranges" => "`bytes`, for downloads from bytes or a file.",
        "ETag" => "A strong validator, for downloads from a file.",
        "Last-Modified" => "The file's modification time, for downloads from a file.",
        _ => "`bytes start-end/size`, or `bytes */size` when no byte of the range exists.",
    };
    let mut headers = Map::new();
    for name in names {
        headers.insert(
            (*name).to_owned(),
            json!({ "description": describe(name), "schema": { "type": "string" } }),
        );
    }
    Value::Object(headers)
}

/// Puts the value rules of a field on the schema of one value.
fn constrain_value(schema: &mut Value, ty: &FieldType, constraints: &Constraints) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(min) = constraints.min {
        object.insert("minimum".into(), number(min));
    }
    if let Some(max) = constraints.max {
        object.insert("maximum".into(), number(max));
    }
    if ty == &FieldType::Scalar(ScalarType::Bytes) {
        // Bounds on bytes, as bounds on their base64 text (unpadded at the least, padded at
        // the most).
        if let Some(min) = constraints.min_len {
            object.insert("minLength".into(), min.saturating_mul(4).div_ceil(3).into());
        }
        if let Some(max) = constraints.max_len {
            object.insert("maxLength".into(), max.div_ceil(3).saturating_mul(4).into());
        }
    } else {
        if let Some(min) = constraints.min_len {
            object.insert("minLength".into(), min.into());
        }
        if let Some(max) = constraints.max_len {
            object.insert("maxLength".into(), max.into());
        }
    }
    if let Some(pattern) = constraints.pattern {
        object.insert("pattern".into(), pattern.into());
    }
}

/// Puts the entry-count rules of a field on an array (`Items`) or a map (`Properties`).
fn constrain_count(schema: &mut Value, what: &str, constraints: &Constraints) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(min) = constraints.min_items {
        object.insert(format!("min{what}"), min.into());
    }
    if let Some(max) = constraints.max_items {
        object.insert(format!("max{what}"), max.into());
    }
}

/// A bound as a JSON number: an integer when it is one.
fn number(value: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() <= EXACT {
        Value::from(value as i64)
    } else {
        Value::from(value)
    }
}

/// What a server serves of its OpenAPI document: the path (none: not served) and the `info`
/// set on the builder (over [`OpenApiInfo::for_services`]; an empty description keeps its).
#[derive(Clone, Debug, Default)]
pub(crate) struct OpenApiConfig {
    pub(crate) path: Option<String>,
    pub(crate) info: Option<OpenApiInfo>,
}

impl OpenApiConfig {
    /// The document of `services` with the configured `info`.
    pub(crate) fn document(&self, services: &[ServiceDescriptor]) -> Value {
        let mut info = OpenApiInfo::for_services(services);
        if let Some(set) = &self.info {
            info.title.clone_from(&set.title);
            info.version.clone_from(&set.version);
            if !set.description.is_empty() {
                info.description.clone_from(&set.description);
            }
        }
        openapi_document(services, &info)
    }

    /// Adds the GET route of the document to `routes`, when a path is set; refuses a path that
    /// is not one, or that a service serves with GET.
    pub(crate) fn add_route(
        &self,
        services: &[ServiceDescriptor],
        routes: &mut crate::__private::rest::Routes,
    ) -> Result<(), crate::Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let valid = path.starts_with('/')
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c));
        if !valid {
            return Err(crate::Error::config(format!(
                "the OpenAPI document's path `{path}` is not a plain path (`/` then letters, digits, `/`, `-`, `_`, `.`, `~`)"
            )));
        }
        for service in services {
            for method in &service.methods {
                if method
                    .http
                    .iter()
                    .any(|r| r.method == "GET" && r.path == *path)
                {
                    return Err(crate::Error::route_conflict(format!(
                        "GET {path} is claimed by {}/{} and the OpenAPI document",
                        service.full_name(),
                        method.name
                    )));
                }
            }
        }
        let body = match serde_json::to_vec_pretty(&self.document(services)) {
            Ok(body) => bytes::Bytes::from(body),
            Err(error) => {
                return Err(crate::Error::config(format!(
                    "the OpenAPI document cannot be written: {error}"
                )));
            }
        };
        let handler = move || {
            let body = body.clone();
            async move {
                (
                    [(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    )],
                    body,
                )
            }
        };
        routes.add("GET", path, axum::routing::get(handler));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{EnumValueDescriptor, HttpRoute};

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
        routes: &[(&'static str, &str)],
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
                .map(|(method, path)| HttpRoute {
                    method,
                    path: (*path).to_owned(),
                    shape: None,
                })
                .collect(),
            websocket: None,
            websocket_shape: None,
            status: 200,
            download: false,
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

    fn service(
        methods: Vec<MethodDescriptor>,
        messages: Vec<MessageDescriptor>,
    ) -> ServiceDescriptor {
        ServiceDescriptor {
            package: "lab",
            name: "Items",
            doc: "Items in a lab.",
            grpc: true,
            http: true,
            socket: None,
            envelope: false,
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
                &[("PUT", "/items/{item_id}")],
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
            &[("GET", "/items/{item_id}"), ("DELETE", "/items/{item_id}")],
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
        assert_eq!(
            doc["components"]["schemas"].as_object().map(|s| s.len()),
            Some(4)
        );
    }

    #[test]
    fn rest_parameters_span_segments() {
        let mut fetch = method(
            "Fetch",
            "Filter",
            FILE_MESSAGE,
            &[("GET", "/files/{*field}")],
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
        let mut put = method("Send", "Upload", "Filter", &[("POST", "/upload")]);
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
        let mut watch = method("Watch", "Filter", "Filter", &[("POST", "/watch")]);
        watch.server_streaming = true;
        let mut svc = service(
            vec![
                method("Echo", "Filter", "Filter", &[("POST", "/echo")]),
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

        let mut fetch = method("Fetch", "Filter", FILE_MESSAGE, &[("GET", "/file")]);
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
            vec![method("Get", "Filter", "Filter", &[("GET", "/a")])],
            vec![filter()],
        );
        let mut b = service(
            vec![method("Get", "Filter", "Filter", &[("GET", "/b")])],
            vec![message(
                "Filter",
                vec![scalar("other", "other", ScalarType::Bool)],
            )],
        );
        b.package = "other";
        let same = service(
            vec![method("Get", "Filter", "Filter", &[("GET", "/c")])],
            vec![filter()],
        );
        let doc = openapi_document(&[a, b, same], &OpenApiInfo::new("Lab", "1"));
        let keys: Vec<&String> = doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["lab.Filter", "other.Filter", "protoapi.Error"]);
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
}
