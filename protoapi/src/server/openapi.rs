//! The OpenAPI document as the server serves it: at a path of the builder's, with its `info`.

use serde_json::Value;

use crate::error::Error;
use crate::http::Routes;
use crate::schema::{OpenApiInfo, ServiceDescriptor, Verb, openapi_document};

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
        routes: &mut Routes,
    ) -> Result<(), Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let valid = path.starts_with('/')
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c));
        if !valid {
            return Err(Error::config(format!(
                "the OpenAPI document's path `{path}` is not a plain path (`/` then letters, digits, `/`, `-`, `_`, `.`, `~`)"
            )));
        }
        for service in services {
            for method in &service.methods {
                if method
                    .http
                    .iter()
                    .any(|r| r.method == Verb::Get && r.path == *path)
                {
                    return Err(Error::route_conflict(format!(
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
                return Err(Error::config(format!(
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
        routes.add(Verb::Get, path, axum::routing::get(handler));
        Ok(())
    }
}
