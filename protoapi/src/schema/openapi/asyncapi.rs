//! [`asyncapi_document`]: the AsyncAPI 3.0 document of the WebSocket endpoints, whose message
//! schemas are the OpenAPI document's.

use serde_json::{Map, Value, json};

use super::OpenApiInfo;
use super::document::{SchemaNames, Scope, component_schemas};
use super::schemas::error_schema;
use crate::schema::{MethodDescriptor, ServiceDescriptor};

/// The AsyncAPI 3.0 document of the WebSocket endpoints of `services` (those served over HTTP):
/// a channel per endpoint (a method's socket, `<service>.<Method>`, or a service's socket on
/// which every method is called, `<service>.socket`), an operation per method on it (named
/// as the method's channel, or `<service>.socket.<Method>`) (the server receives the call frame and replies with
/// answer, error and, for a server stream, end frames), and the frames' schemas, each message's
/// the same as in the OpenAPI document. Text frames only: the binary `protoapi.Frame` is in
/// docs/websocket.md.
///
/// ```
/// # use protoapi::Status;
/// #[protoapi::message]
/// pub struct Ping {
///     pub text: String,
/// }
///
/// #[protoapi::service(package = "demo")]
/// pub trait Health {
///     #[protoapi(websocket = "/ping")]
///     async fn check(&self, req: Ping) -> Result<Ping, Status>;
/// }
///
/// let document = protoapi::schema::asyncapi_document(
///     &[HealthServer::<()>::descriptor()],
///     &protoapi::schema::OpenApiInfo::new("Health", "1.0.0"),
/// );
/// assert_eq!(document["asyncapi"], "3.0.0");
/// assert_eq!(document["channels"]["demo.Health.Check"]["address"], "/ping");
/// assert_eq!(document["operations"]["demo.Health.Check"]["action"], "receive");
/// ```
pub fn asyncapi_document(services: &[ServiceDescriptor], info: &OpenApiInfo) -> Value {
    let services: Vec<&ServiceDescriptor> = services.iter().filter(|s| s.http).collect();
    let names = SchemaNames::new(&services);
    let mut types = Vec::new();
    let mut channels = Map::new();
    let mut operations = Map::new();
    for (index, service) in services.iter().enumerate() {
        let scope = Scope {
            service,
            index,
            names: &names,
        };
        let mut endpoint = |id: String, address: &str, methods: &[&MethodDescriptor], named| {
            let mut messages = Map::new();
            for method in methods {
                let operation = if named {
                    format!("{id}.{}", method.name)
                } else {
                    id.clone()
                };
                let frames = Frames {
                    scope: &scope,
                    method,
                    named,
                };
                messages.insert(format!("{}.call", method.name), frames.call(&mut types));
                let mut reply = vec![
                    ("answer", frames.answer(&mut types)),
                    ("error", frames.error()),
                ];
                if method.server_streaming {
                    reply.push(("end", frames.end()));
                }
                let replies: Vec<Value> = reply
                    .into_iter()
                    .map(|(suffix, message)| {
                        let key = format!("{}.{suffix}", method.name);
                        messages.insert(key.clone(), message);
                        json!({ "$ref": format!("#/channels/{id}/messages/{key}") })
                    })
                    .collect();
                let mut object = Map::new();
                object.insert("action".into(), "receive".into());
                object.insert(
                    "channel".into(),
                    json!({ "$ref": format!("#/channels/{id}") }),
                );
                if !method.doc.is_empty() {
                    object.insert("description".into(), method.doc.into());
                }
                object.insert(
                    "messages".into(),
                    json!([{ "$ref": format!("#/channels/{id}/messages/{}.call", method.name) }]),
                );
                object.insert(
                    "reply".into(),
                    json!({ "channel": { "$ref": format!("#/channels/{id}") }, "messages": replies }),
                );
                operations.insert(operation, Value::Object(object));
            }
            let mut channel = Map::new();
            channel.insert("address".into(), address_of(address).into());
            let parameters: Map<String, Value> = parameters(address)
                .map(|name| {
                    (
                        name.to_owned(),
                        json!({ "description": format!("The path parameter `{name}`, which fills every request.") }),
                    )
                })
                .collect();
            if !parameters.is_empty() {
                channel.insert("parameters".into(), Value::Object(parameters));
            }
            channel.insert("messages".into(), Value::Object(messages));
            channels.insert(id, Value::Object(channel));
        };
        for method in &service.methods {
            if let Some(path) = &method.websocket {
                endpoint(
                    format!("{}.{}", service.full_name(), method.name),
                    path,
                    &[method],
                    false,
                );
            }
        }
        if let Some(path) = service.socket {
            let methods: Vec<&MethodDescriptor> = service.methods.iter().collect();
            endpoint(
                format!("{}.socket", service.full_name()),
                path,
                &methods,
                true,
            );
        }
    }
    let schemas = component_schemas(&services, &names, types);

    let mut info_object = Map::new();
    info_object.insert("title".into(), info.title.clone().into());
    info_object.insert("version".into(), info.version.clone().into());
    if !info.description.is_empty() {
        info_object.insert("description".into(), info.description.clone().into());
    }
    json!({
        "asyncapi": "3.0.0",
        "info": info_object,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "schemas": schemas },
    })
}

/// The frames of one method on one socket.
struct Frames<'a> {
    scope: &'a Scope<'a>,
    method: &'a MethodDescriptor,
    /// Whether the socket is a service's, whose call frames name the rpc in `method`.
    named: bool,
}

impl Frames<'_> {
    /// The schema of a message, remembered as used; `{"type": "object"}` for one the service
    /// does not describe.
    fn message(&self, name: &'static str, types: &mut Vec<(usize, &'static str)>) -> Value {
        if self.scope.message(name).is_none() {
            return json!({ "type": "object" });
        }
        if !types.contains(&(self.scope.index, name)) {
            types.push((self.scope.index, name));
        }
        self.scope.reference(name)
    }

    /// The frame that calls the method (or carries the next request of a client stream).
    fn call(&self, types: &mut Vec<(usize, &'static str)>) -> Value {
        let mut properties = Map::new();
        properties.insert("id".into(), id_schema());
        if self.named {
            properties.insert(
                "method".into(),
                json!({ "type": "string", "const": self.method.name, "description": "The rpc this call is of." }),
            );
        }
        properties.insert("data".into(), self.message(self.method.input, types));
        properties.insert(
            "end".into(),
            json!({ "type": "boolean", "description": "Ends a client stream's requests." }),
        );
        let mut schema = json!({ "type": "object", "properties": properties });
        if self.named {
            schema["required"] = json!(["method"]);
        }
        let kind = match (self.method.client_streaming, self.method.server_streaming) {
            (false, false) => "unary",
            (false, true) => "server streaming",
            (true, false) => "client streaming",
            (true, true) => "bidirectional",
        };
        json!({
            "name": format!("{}.call", self.method.name),
            "title": format!("{} call", self.method.name),
            "summary": format!("A call of `{}` ({kind}): the request in `data`, with the client's `id`.", self.method.name),
            "payload": schema,
        })
    }

    /// The frame of an answer, or of one message of a server stream.
    fn answer(&self, types: &mut Vec<(usize, &'static str)>) -> Value {
        json!({
            "name": format!("{}.answer", self.method.name),
            "summary": "An answer, or one message of a stream, with the call's `id`.",
            "payload": {
                "type": "object",
                "properties": { "id": id_schema(), "data": self.message(self.method.output, types) },
                "required": ["data"],
            },
        })
    }

    /// The frame of a failed call.
    fn error(&self) -> Value {
        json!({
            "name": format!("{}.error", self.method.name),
            "summary": "The call failed: the JSON error body, with the call's `id`.",
            "payload": {
                "type": "object",
                "properties": {
                    "id": id_schema(),
                    "error": error_frame_schema(),
                },
                "required": ["error"],
            },
        })
    }

    /// The frame that ends a server stream successfully.
    fn end(&self) -> Value {
        json!({
            "name": format!("{}.end", self.method.name),
            "summary": "The stream ended successfully.",
            "payload": {
                "type": "object",
                "properties": { "id": id_schema(), "end": { "type": "boolean", "const": true } },
                "required": ["end"],
            },
        })
    }
}

/// The `error` of an error frame: the JSON error body, whose `details` a frame leaves out when
/// there are none.
fn error_frame_schema() -> Value {
    let mut schema = error_schema();
    schema["required"] = json!(["code", "message"]);
    schema["description"] = "The JSON error body; `details` only when the status has any.".into();
    schema
}

/// The schema of a frame's `id`: chosen by the client, echoed as sent.
fn id_schema() -> Value {
    json!({
        "type": ["integer", "string"],
        "description": "The call's id, chosen by the client and echoed as it was sent.",
    })
}

/// A route's path (`/demo/students/:sno`, `/files/*path`) as an AsyncAPI address
/// (`/demo/students/{sno}`).
fn address_of(path: &str) -> String {
    path.split('/')
        .map(|segment| match parameter(segment) {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The names of a route's path parameters.
fn parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(parameter)
}

/// The parameter a path segment is (`:x`, `*x`, `{x}`, `{*x}`), if it is one.
fn parameter(segment: &str) -> Option<&str> {
    segment.strip_prefix([':', '*']).or_else(|| {
        segment
            .strip_prefix('{')?
            .strip_suffix('}')
            .map(|name| name.trim_start_matches('*'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_addresses_with_their_parameters() {
        assert_eq!(address_of("/demo/students/:sno"), "/demo/students/{sno}");
        assert_eq!(address_of("/files/*path"), "/files/{path}");
        assert_eq!(address_of("/files/{*path}/{id}"), "/files/{path}/{id}");
        assert_eq!(address_of("/demo/ws"), "/demo/ws");
        assert_eq!(
            parameters("/a/:x/b/*rest").collect::<Vec<_>>(),
            ["x", "rest"]
        );
    }
}
