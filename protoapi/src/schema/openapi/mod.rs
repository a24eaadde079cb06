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

use serde_json::Value;

use super::ServiceDescriptor;

mod document;
mod paths;
mod schemas;
#[cfg(test)]
mod tests;

pub use document::openapi_document;

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
        routes: &mut crate::http::Routes,
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
                    .any(|r| r.method == super::Verb::Get && r.path == *path)
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
        routes.add(super::Verb::Get, path, axum::routing::get(handler));
        Ok(())
    }
}
