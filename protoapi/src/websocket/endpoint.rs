//! A WebSocket endpoint: the handshake (origin, path and query parameters) and the upgrade that
//! hands the connection to its loop.

use std::fmt;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts as _, RawPathParams, Request};
use axum::response::{IntoResponse as _, Response};
use http::{StatusCode, header};
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status};

use super::config::{READ_BUFFER, WebSocketConfig};
use super::connection::Connection;
use super::stats::Stats;
use crate::http::error_response;
use crate::method::{ErasedMethod, Params};
use crate::path::HttpConfig;

/// A WebSocket endpoint: one method at its path, or every method of a service (frames name
/// the method).
pub struct WebSocketEndpoint {
    methods: Vec<ErasedMethod>,
    /// Whether frames name their method (a service socket).
    named: bool,
    pub(super) config: WebSocketConfig,
    pub(super) stats: Stats,
    body_limit: usize,
    fields_limit: usize,
    limits: crate::Limits,
    /// Where the temporary files of uploads go.
    pub(super) upload_dir: Option<Arc<std::path::Path>>,
    pub(super) shutdown: CancellationToken,
}

impl fmt::Debug for WebSocketEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketEndpoint")
            .field("methods", &self.methods)
            .field("named", &self.named)
            .finish_non_exhaustive()
    }
}

impl WebSocketEndpoint {
    /// The endpoint of one method.
    pub fn method(config: &HttpConfig, method: ErasedMethod) -> Arc<WebSocketEndpoint> {
        WebSocketEndpoint::new(config, vec![method], false)
    }

    /// The endpoint of a whole service, whose frames name their method.
    pub fn service(config: &HttpConfig, methods: Vec<ErasedMethod>) -> Arc<WebSocketEndpoint> {
        WebSocketEndpoint::new(config, methods, true)
    }

    fn new(config: &HttpConfig, methods: Vec<ErasedMethod>, named: bool) -> Arc<WebSocketEndpoint> {
        Arc::new(WebSocketEndpoint {
            methods,
            named,
            config: config.websocket.clone(),
            stats: config.stats.clone(),
            body_limit: config.limits.body_limit(),
            fields_limit: config.limits.fields_limit(),
            limits: config.limits,
            upload_dir: config.upload_dir.clone(),
            shutdown: config.shutdown.clone(),
        })
    }

    /// The largest request message of `method`.
    pub(super) fn limit(&self, method: &ErasedMethod) -> usize {
        method.limit.map_or(self.body_limit, |l| {
            usize::try_from(l).unwrap_or(usize::MAX)
        })
    }

    /// The most bytes of files a request of `method` may send in pieces: its upload limit.
    pub(super) fn upload_limit(&self, method: &ErasedMethod) -> u64 {
        let limit = self.limits.for_method(method.upload, true).upload_limit();
        u64::try_from(limit).unwrap_or(u64::MAX)
    }

    /// The size past which an upload's file goes to a temporary file.
    pub(super) fn spool_threshold(&self) -> usize {
        self.limits.spool_threshold_bytes()
    }

    /// The largest message the connection accepts.
    fn max_message(&self) -> usize {
        self.methods
            .iter()
            .map(|m| self.limit(m))
            .max()
            .unwrap_or(self.body_limit)
    }

    /// The method a call's first frame names (or the endpoint's one method).
    pub(super) fn find(&self, name: Option<&str>) -> Result<&ErasedMethod, Status> {
        match (self.named, name) {
            (false, None) => self
                .methods
                .first()
                .ok_or_else(|| Status::unimplemented("no method")),
            (false, Some(name)) => {
                self.methods
                    .first()
                    .filter(|m| m.name == name)
                    .ok_or_else(|| {
                        Status::invalid_argument(format!(
                            "this socket serves `{}`, not `{}`",
                            self.methods.first().map_or("", |m| m.name),
                            crate::status::shown(name)
                        ))
                    })
            }
            (true, None) => Err(Status::invalid_argument(
                "the first frame of a call names its `method`",
            )),
            (true, Some(name)) => self.methods.iter().find(|m| m.name == name).ok_or_else(|| {
                let known: Vec<&str> = self.methods.iter().map(|m| m.name).collect();
                Status::unimplemented(format!(
                    "unknown method `{}`; this socket serves {}",
                    crate::status::shown(name),
                    known.join(", ")
                ))
            }),
        }
    }

    /// Answers a handshake: checks the origin, reads the path and query parameters, and
    /// upgrades.
    pub async fn upgrade(self: Arc<Self>, request: Request) -> Response {
        if !self.config.origin_allowed(request.headers()) {
            return error_response(
                StatusCode::FORBIDDEN,
                Code::PermissionDenied,
                "the WebSocket handshake's origin is not allowed",
            );
        }
        let (mut parts, _body) = request.into_parts();
        let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
            Ok(upgrade) => upgrade,
            Err(rejection) => {
                let status = rejection.status();
                let code = if status == StatusCode::BAD_REQUEST {
                    Code::InvalidArgument
                } else {
                    Code::FailedPrecondition
                };
                return error_response(
                    status,
                    code,
                    &format!("not a WebSocket handshake: {}", rejection.body_text()),
                );
            }
        };
        let path = match RawPathParams::from_request_parts(&mut parts, &()).await {
            Ok(params) => params
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            Err(rejection) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    &rejection.body_text(),
                );
            }
        };
        let query = parts.uri.query();
        if let Some(query) = query {
            let pairs = crate::http::count_pairs(query.as_bytes());
            if pairs > self.fields_limit {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    &format!(
                        "too many query parameters: {pairs}, the limit is {}",
                        self.fields_limit
                    ),
                );
            }
        }
        let params = Arc::new(Params {
            query: query.map(str::to_owned),
            path,
        });
        let max = self.max_message();
        let headers = Arc::new(parts.headers);
        let extensions = Arc::new(parts.extensions);
        upgrade
            .max_message_size(max)
            .max_frame_size(max)
            .read_buffer_size(READ_BUFFER)
            .on_upgrade(move |websocket| async move {
                let connection = Connection {
                    endpoint: self,
                    params,
                    headers,
                    extensions,
                };
                connection.run(websocket).await;
            })
            .into_response()
    }
}

/// Whether a request asks to become a WebSocket.
pub fn is_upgrade(request: &Request) -> bool {
    request.method() == http::Method::GET
        && request
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The answer to a plain GET on a path that only serves a WebSocket.
pub async fn upgrade_required() -> Response {
    let mut response = error_response(
        StatusCode::UPGRADE_REQUIRED,
        Code::FailedPrecondition,
        "this path serves a WebSocket: send a GET with `Upgrade: websocket`",
    );
    response
        .headers_mut()
        .insert(header::UPGRADE, http::HeaderValue::from_static("websocket"));
    response
}
