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
//! it in `x-protoapi-websocket`. Their frames are described by the AsyncAPI 3.0 document
//! (`asyncapi`), whose message schemas are these.

use super::ServiceDescriptor;

mod asyncapi;
mod document;
mod paths;
mod schemas;
#[cfg(test)]
mod tests;

pub use asyncapi::asyncapi_document;
pub use document::openapi_document;

/// The name of the error schema in `components.schemas`.
pub const ERROR_SCHEMA: &str = "protoapi.Error";
/// The name of the schema of an error as an RFC 9457 problem (`application/problem+json`).
pub const PROBLEM_SCHEMA: &str = "protoapi.Problem";
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
