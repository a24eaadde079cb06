//! Operations: parameters, request bodies and responses of each HTTP route.

use super::document::{Scope, Used};
use super::schemas::constrain_count;
use super::{ENVELOPE_ERROR_SCHEMA, ERROR_SCHEMA, FILE_MESSAGE, PROBLEM_SCHEMA};
use serde_json::{Map, Value, json};

use crate::schema::{
    FieldDescriptor, FieldType, HttpRoute, Label, MessageDescriptor, MethodDescriptor,
};

impl Scope<'_> {
    /// The operation of one route, and its OpenAPI path.
    pub(super) fn operation(
        &self,
        method: &MethodDescriptor,
        route: &HttpRoute,
        used: &mut Used,
    ) -> (String, Value) {
        let (path, params) = openapi_path(&route.path);
        let input = self.message(method.input);
        let body = route.method.has_body();
        let mut operation = Map::new();
        let mut id = format!("{}.{}", self.service.full_name(), method.name);
        if method.http.len() > 1 {
            id = format!("{id}_{}", route.method.as_str().to_ascii_lowercase());
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
            let request_body = self.request_body(input, method.form, used);
            operation.insert("requestBody".into(), request_body);
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

    /// The request body of a route: JSON, or a form for a `#[form]` message or a method whose
    /// `form` field carries the message in JSON.
    pub(super) fn request_body(
        &self,
        input: &MessageDescriptor,
        json_field: Option<&str>,
        used: &mut Used,
    ) -> Value {
        if !input.form && json_field.is_none() {
            return json!({
                "description": "The request message in the proto3 JSON mapping (any `application/*+json` type is read too). An empty body is the empty message.",
                "required": false,
                "content": {
                    "application/json": { "schema": self.use_type(input.name, used) }
                }
            });
        }
        let params = self.text_params(input, "", &mut Vec::new(), used);
        let message = json_field.map(|_| self.use_type(input.name, used));
        let form_schema = |with_files: bool| {
            let mut properties = Map::new();
            let mut required = Vec::new();
            if let (Some(key), Some(message)) = (json_field, &message) {
                properties.insert(
                    key.to_owned(),
                    json!({
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": message,
                        "description": "The request message in the proto3 JSON mapping, merged after the other fields.",
                    }),
                );
            }
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
        let mut multipart = json!({ "schema": form_schema(true) });
        let description = match json_field {
            Some(key) => {
                multipart["encoding"] = json!({ key: { "contentType": "application/json" } });
                format!(
                    "The request message as a form whose field `{key}` carries it in the proto3 JSON mapping (in a multipart body, the part `{key}`, with or without a file name); the other keys name fields (`a.b` a field of a message field), a repeated field repeats its key, and parts with a file name fill the file fields. An empty body is the empty message."
                )
            }
            None => "The request message as a form: keys name fields (`a.b` a field of a message field), a repeated field repeats its key. In a multipart body, parts with a file name fill the file fields. An empty body is the empty message.".to_owned(),
        };
        json!({
            "description": description,
            "required": false,
            "content": {
                "application/x-www-form-urlencoded": { "schema": form_schema(false) },
                "multipart/form-data": multipart
            }
        })
    }

    pub(super) fn responses(
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
        let problem_ref = json!({ "$ref": format!("#/components/schemas/{PROBLEM_SCHEMA}") });
        let error_response = |description: &str| {
            if envelope {
                return json!({
                    "description": description,
                    "content": { "application/json": { "schema": error_ref.clone() } }
                });
            }
            json!({
                "description": description,
                "content": {
                    "application/json": { "schema": error_ref.clone() },
                    "application/problem+json": { "schema": problem_ref.clone() },
                }
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
            let message = self.message(method.output);
            let field = method
                .response_body
                .and_then(|name| find_field(message?, name));
            let output = match field {
                Some(field) => self.use_field_type(field, used),
                None => self.use_type(method.output, used),
            };
            let schema = if envelope {
                json!({
                    "type": "object",
                    "properties": { "code": { "const": 0 }, "data": output },
                    "required": ["code", "data"],
                })
            } else {
                output
            };
            let description = match (field, message) {
                (Some(field), _) => format!(
                    "The field `{}` of the response message `{}`, alone.",
                    field.json_name, method.output
                ),
                (None, Some(message)) if !message.doc.is_empty() => message.doc.to_owned(),
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
    /// The schema of a field's JSON value, the types it names remembered as used.
    fn use_field_type(&self, field: &FieldDescriptor, used: &mut Used) -> Value {
        let value = match &field.ty {
            FieldType::Map(_, value) => value,
            ty => ty,
        };
        if let FieldType::Message(name) | FieldType::Enum(name) = value {
            self.use_type(name, used);
        }
        self.json_field_schema(field)
    }

    /// The keys that set fields of `message` from text (query string, form): scalars and enums,
    /// repeated ones as arrays, the fields of message fields as `field.sub` (each message once
    /// on a path), and the file fields (multipart only). Maps and repeated messages cannot be
    /// set from text.
    pub(super) fn text_params(
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
pub(super) struct TextParam {
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

pub(super) fn find_field<'a>(
    message: &'a MessageDescriptor,
    name: &str,
) -> Option<&'a FieldDescriptor> {
    message
        .fields
        .iter()
        .find(|f| f.name == name || f.json_name == name)
}

/// The OpenAPI path of an axum path (`{*rest}` becomes `{rest}`), and its parameters in order,
/// each with whether it takes the rest of the path.
pub(super) fn openapi_path(path: &str) -> (String, Vec<(String, bool)>) {
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

pub(super) fn download_headers(names: &[&str]) -> Value {
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
