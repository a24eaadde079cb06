//! The OpenAPI and AsyncAPI documents as the server serves them, at paths of the builder's,
//! with its `info`, and the docs page of the OpenAPI document.

use serde_json::Value;

use crate::error::Error;
use crate::http::Routes;
use crate::schema::{OpenApiInfo, ServiceDescriptor, Verb, asyncapi_document, openapi_document};

/// What a server serves of its OpenAPI document: the path (none: not served) and the `info`
/// set on the builder (over [`OpenApiInfo::for_services`]; an empty description keeps its).
#[derive(Clone, Debug, Default)]
pub(crate) struct OpenApiConfig {
    pub(crate) path: Option<String>,
    pub(crate) info: Option<OpenApiInfo>,
    /// Where the AsyncAPI document is served (`ServerBuilder::asyncapi`).
    pub(crate) asyncapi: Option<String>,
    /// Where the interactive page of the document is served (`ServerBuilder::docs`).
    #[cfg(feature = "docs")]
    pub(crate) docs: Option<String>,
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

    /// Where the document is served: the path set, or, with a docs page and no path,
    /// `<docs>/openapi.json`.
    fn document_path(&self) -> Option<String> {
        #[cfg(feature = "docs")]
        if self.path.is_none() {
            return self
                .docs
                .as_ref()
                .map(|docs| format!("{docs}/openapi.json"));
        }
        self.path.clone()
    }

    /// Adds the GET route of the document to `routes`, when a path is set; refuses a path that
    /// is not one, or that a service serves with GET.
    pub(crate) fn add_route(
        &self,
        services: &[ServiceDescriptor],
        routes: &mut Routes,
    ) -> Result<(), Error> {
        // The docs page's path first: the document's may be made of it.
        #[cfg(feature = "docs")]
        if let Some(docs) = &self.docs {
            check_path(docs, "the docs page", services, |_| false)?;
        }
        if let Some(path) = &self.asyncapi {
            check_path(path, "the AsyncAPI document", services, |route| {
                route == path
            })?;
            if self.document_path().as_ref() == Some(path) {
                return Err(Error::route_conflict(format!(
                    "GET {path} is claimed by the OpenAPI document and the AsyncAPI document"
                )));
            }
            add_document(routes, path, "AsyncAPI", &self.asyncapi_document(services))?;
        }
        let Some(path) = &self.document_path() else {
            return Ok(());
        };
        check_path(path, "the OpenAPI document", services, |route| {
            route == path
        })?;
        add_document(routes, path, "OpenAPI", &self.document(services))
    }

    /// The AsyncAPI 3.0 document of `services`' WebSocket endpoints, with the configured `info`.
    pub(crate) fn asyncapi_document(&self, services: &[ServiceDescriptor]) -> Value {
        let mut document = self.document(services);
        let info = document["info"].take();
        let mut asyncapi = asyncapi_document(
            services,
            &OpenApiInfo::new(
                info["title"].as_str().unwrap_or_default(),
                info["version"].as_str().unwrap_or_default(),
            ),
        );
        asyncapi["info"] = info;
        asyncapi
    }
}

/// Adds the GET route of a JSON document (`what`: which) at `path`.
fn add_document(
    routes: &mut Routes,
    path: &str,
    what: &str,
    document: &Value,
) -> Result<(), Error> {
    let body = match serde_json::to_vec_pretty(document) {
        Ok(body) => bytes::Bytes::from(body),
        Err(error) => {
            return Err(Error::config(format!(
                "the {what} document cannot be written: {error}"
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

impl OpenApiConfig {
    /// `router` with the interactive page of the document at the docs path, when one is set:
    /// Swagger UI, whose scripts and styles `swagger-ui-dist` ships, under `<docs>/assets/`.
    /// Refuses a path that is not one, or under which a service serves a GET route.
    #[cfg(feature = "docs")]
    pub(crate) fn add_docs(
        &self,
        services: &[ServiceDescriptor],
        router: axum::Router,
    ) -> Result<axum::Router, Error> {
        let (Some(docs), Some(document)) = (&self.docs, &self.document_path()) else {
            return Ok(router);
        };
        let assets = format!("{docs}/assets");
        check_path(docs, "the docs page", services, |route| {
            route == docs || route.starts_with(&format!("{assets}/"))
        })?;
        if docs == document {
            return Err(Error::route_conflict(format!(
                "GET {docs} is claimed by the OpenAPI document and the docs page"
            )));
        }
        let title = self.document(services)["info"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let page = bytes::Bytes::from(docs_page(&title, &assets, document));
        let handler = move || {
            let page = page.clone();
            async move {
                (
                    [(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("text/html; charset=utf-8"),
                    )],
                    page,
                )
            }
        };
        let swagger_ui = swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
            uri_prefix: assets,
            api_definition: swagger_ui_dist::OpenApiSource::Uri(document.clone()),
            title: Some(title),
        });
        Ok(router
            .route(docs, axum::routing::get(handler))
            .merge(swagger_ui))
    }
}

/// Refuses a path of the server's own (`what`) that is not a plain path, or that a service
/// serves with GET (`claims` says which routes collide).
fn check_path(
    path: &str,
    what: &str,
    services: &[ServiceDescriptor],
    claims: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    let valid = path.starts_with('/')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c));
    if !valid {
        return Err(Error::config(format!(
            "{what}'s path `{path}` is not a plain path (`/` then letters, digits, `/`, `-`, `_`, `.`, `~`)"
        )));
    }
    for service in services {
        for method in &service.methods {
            if method
                .http
                .iter()
                .any(|r| r.method == Verb::Get && claims(&r.path))
            {
                return Err(Error::route_conflict(format!(
                    "GET {path} is claimed by {}/{} and {what}",
                    service.full_name(),
                    method.name
                )));
            }
        }
    }
    Ok(())
}

/// The docs page: Swagger UI reading the document at `document`, its files under `assets`
/// (both plain paths, checked); the title escaped.
#[cfg(feature = "docs")]
fn docs_page(title: &str, assets: &str, document: &str) -> String {
    let title: String = title
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{ url: "{document}", dom_id: "#swagger-ui", tryItOutEnabled: true, validatorUrl: null }});
</script>
</body>
</html>
"##
    )
}
