//! [`openapi_document`]: the document, and the names its schemas get in `components`.

use std::collections::BTreeMap;

use super::schemas::{enum_schema, envelope_error_schema, error_schema, problem_schema};
use super::{ENVELOPE_ERROR_SCHEMA, ERROR_SCHEMA, OpenApiInfo, PROBLEM_SCHEMA};
use serde_json::{Map, Value, json};

use crate::schema::{EnumDescriptor, FieldType, MessageDescriptor, ServiceDescriptor};

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
                    .insert(route.method.as_str().to_ascii_lowercase(), operation);
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
    schemas.insert(PROBLEM_SCHEMA.into(), problem_schema());
    if used.envelope_error {
        schemas.insert(ENVELOPE_ERROR_SCHEMA.into(), envelope_error_schema());
    }
    schemas.extend(component_schemas(&services, &names, used.types));

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

/// The schema of each message and enum of `types` (a service's index and the type's name), and
/// of what their fields use in turn, by their keys in `components.schemas`.
pub(super) fn component_schemas(
    services: &[&ServiceDescriptor],
    names: &SchemaNames,
    types: Vec<(usize, &'static str)>,
) -> Map<String, Value> {
    let mut schemas = Map::new();
    let mut pending = types;
    let mut done: Vec<(usize, &'static str)> = Vec::new();
    while let Some((index, name)) = pending.pop() {
        if done.contains(&(index, name)) {
            continue;
        }
        done.push((index, name));
        let scope = Scope {
            service: services[index],
            index,
            names,
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
    schemas
}

/// The schemas the operations refer to, and whether one uses the envelope's error.
#[derive(Default)]
pub(super) struct Used {
    pub(super) types: Vec<(usize, &'static str)>,
    pub(super) envelope_error: bool,
}

/// The key in `components.schemas` of each message and enum of each service: its name, or,
/// when services of different packages have different types of one name, the name with its
/// package (then with its service).
pub(super) struct SchemaNames {
    keys: Vec<((usize, &'static str), String)>,
}

#[derive(PartialEq)]
enum TypeRef<'a> {
    Message(&'a MessageDescriptor),
    Enum(&'a EnumDescriptor),
}

impl SchemaNames {
    pub(super) fn new(services: &[&ServiceDescriptor]) -> Self {
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

    pub(super) fn key(&self, index: usize, name: &str) -> String {
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
pub(super) struct Scope<'a> {
    pub(super) service: &'a ServiceDescriptor,
    pub(super) index: usize,
    pub(super) names: &'a SchemaNames,
}

impl Scope<'_> {
    pub(super) fn message(&self, name: &str) -> Option<&MessageDescriptor> {
        self.service.messages.iter().find(|m| m.name == name)
    }

    pub(super) fn enumeration(&self, name: &str) -> Option<&EnumDescriptor> {
        self.service.enums.iter().find(|e| e.name == name)
    }

    pub(super) fn reference(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{}", self.names.key(self.index, name)) })
    }

    /// A reference to a message or enum, remembered as used.
    pub(super) fn use_type(&self, name: &'static str, used: &mut Used) -> Value {
        if !used.types.contains(&(self.index, name)) {
            used.types.push((self.index, name));
        }
        self.reference(name)
    }
}
