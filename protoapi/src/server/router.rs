//! Which transport takes a request: gRPC, gRPC-Web, Connect, Socket.IO or HTTP, by path and
//! content type; the router the builder makes of every service; the answers to requests no
//! route takes.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderMap, Method};

use super::ServerBuilder;
use crate::budget::ServerShare;
use crate::compression::Compression;
use crate::connect::{CallKind, ConnectService};
use crate::error::Error;
use crate::graphql::GraphQlConfig;
use crate::grpc::{self, BoxGrpcService, GrpcFuture};
use crate::http::{BoxResponse, Routes, WebSocketRoute, content_type_essence};
use crate::schema::{ServiceDescriptor, Verb};
use crate::socketio::{Events, SocketIoConfig};
use crate::status::Status;
use crate::websocket::{self, WebSocketEndpoint};

impl ServerBuilder {
    /// The router, and the gRPC services by name for `serve*` to call without it.
    pub(super) fn build(self) -> Result<(Router, GrpcTable), Error> {
        let config = self.http_config();
        self.stats.memory().set_limit(self.limits.memory_limit());
        let descriptors: Vec<_> = self
            .services
            .iter()
            .map(|s| s.descriptor_with(&config))
            .collect();
        check_conflicts(&descriptors)?;
        // One set of routes for every service, so that two services may serve one path with
        // different verbs (or a GET and a WebSocket) and share its 405.
        let mut routes = Routes::new();
        let mut grpc = Vec::new();
        for (service, descriptor) in self.services.iter().zip(&descriptors) {
            if self.http && descriptor.http {
                service.http_routes(&config, &mut routes);
            }
            if self.grpc && descriptor.grpc {
                grpc.push((service, descriptor));
            }
        }
        self.openapi
            .add_route(&self.http_descriptors(&config), &mut routes)?;
        let mut router = routes.into_router();
        #[cfg(feature = "docs")]
        {
            router = self
                .openapi
                .add_docs(&self.http_descriptors(&config), router)?;
        }
        let grpc_web = self.grpc_web;
        let connect_protocol = self.connect_protocol;
        let compression = self.compression;
        let gate = |grpc: BoxGrpcService, connect: Option<Arc<ConnectService>>| GrpcGate {
            web: grpc_web.then(|| grpc::grpc_web_service(grpc.clone())),
            connect: match connect {
                Some(service) => ConnectSide::Methods(service),
                None if connect_protocol => ConnectSide::Bridge(compression),
                None => ConnectSide::None,
            },
            grpc,
        };
        let mut names = Vec::new();
        let mut table: Vec<(Box<str>, GrpcGate)> = Vec::new();
        for (service, descriptor) in grpc {
            let name = descriptor.full_name();
            let connect = self.connect_protocol.then(|| {
                let no_side_effects = |rpc: &str| {
                    descriptor
                        .methods
                        .iter()
                        .any(|m| m.name == rpc && m.no_side_effects())
                };
                let methods = service
                    .rpc_methods()
                    .into_iter()
                    .map(|m| {
                        let get = no_side_effects(m.name);
                        (m, get)
                    })
                    .collect();
                let chunked = descriptor
                    .methods
                    .iter()
                    .filter(|m| m.upload)
                    .map(|m| format!("{}Chunks", m.name))
                    .collect();
                ConnectService::new(
                    name.clone(),
                    methods,
                    chunked,
                    self.limits.body_limit(),
                    self.stats.memory().clone(),
                    self.compression,
                )
            });
            let service = grpc::with_server_share(
                service.grpc_service(self.limits),
                ServerShare {
                    budget: self.stats.memory().clone(),
                    upload_dir: self.upload_dir.clone(),
                    compression: self.compression,
                },
            );
            let gate = gate(service, connect);
            table.push((name.clone().into(), gate.clone()));
            router = router.route_service(&format!("/{name}/{{*method}}"), gate);
            names.push(name);
        }
        if self.grpc && self.reflection {
            let services =
                grpc::reflection_services(self.file_descriptor_set(), self.health.is_some())?;
            for (name, service) in services {
                let gate = gate(service, None);
                table.push((name.into(), gate.clone()));
                router = router.route_service(&format!("/{name}/{{*method}}"), gate);
            }
        }
        if let Some(reporter) = self.health.as_ref().filter(|_| self.grpc) {
            let name = grpc::HEALTH_SERVICE;
            let service = grpc::health_service(reporter, names);
            let gate = gate(service, None);
            table.push((name.into(), gate.clone()));
            router = router.route_service(&format!("/{name}/{{*method}}"), gate);
        }
        router = self.socketio_route(router, &descriptors)?;
        router = self.graphql_route(router, &descriptors)?;
        if let Some(extra) = self.extra {
            router = router.merge(extra);
        }
        // The application's layers see every request, gRPC ones too: then they all go through
        // the router.
        if !self.layers.is_empty() {
            table.clear();
        }
        for layer in self.layers {
            router = layer(router);
        }
        Ok((router, GrpcTable::new(table)))
    }
}

impl ServerBuilder {
    /// `router` with the Socket.IO endpoint, when a service serves Socket.IO; refuses a path
    /// that an HTTP route or a WebSocket has.
    fn socketio_route(
        &self,
        router: Router,
        descriptors: &[ServiceDescriptor],
    ) -> Result<Router, Error> {
        let config = self
            .socketio
            .clone()
            .unwrap_or_else(SocketIoConfig::marked_services);
        let events = Events::new(
            &self.services,
            descriptors,
            config.every_service(),
            self.limits.body_limit(),
            self.stats.memory().clone(),
        )?;
        if events.is_empty() {
            return Ok(router);
        }
        let path = config.path_str();
        let taken = descriptors.iter().any(|descriptor| {
            descriptor.socket == Some(path)
                || descriptor.methods.iter().any(|method| {
                    method.websocket.as_deref() == Some(path)
                        || method.http.iter().any(|route| route.path == path)
                })
        });
        if taken {
            return Err(Error::route_conflict(format!(
                "{path} is the Socket.IO endpoint's path and a route's; set another with \
                 SocketIoConfig::path"
            )));
        }
        crate::socketio::route(router, events, &config, &self.rooms, self.shutdown.clone())
    }
}

impl ServerBuilder {
    /// `router` with the GraphQL endpoint, when a service serves GraphQL; refuses a path that
    /// another route has.
    fn graphql_route(
        &self,
        router: Router,
        descriptors: &[ServiceDescriptor],
    ) -> Result<Router, Error> {
        let config = self
            .graphql
            .clone()
            .unwrap_or_else(GraphQlConfig::marked_services);
        let Some(schema) = crate::graphql::build(&self.services, descriptors, &config)? else {
            return Ok(router);
        };
        let path = config.path_str();
        let taken = descriptors.iter().any(|descriptor| {
            descriptor.socket == Some(path)
                || descriptor.methods.iter().any(|method| {
                    method.websocket.as_deref() == Some(path)
                        || method.http.iter().any(|route| route.path == path)
                })
        });
        if taken {
            return Err(Error::route_conflict(format!(
                "{path} is the GraphQL endpoint's path and a route's; set another with \
                 GraphQlConfig::path"
            )));
        }
        Ok(crate::graphql::route(router, schema, config))
    }
}

/// Refuses two services with one gRPC name, two routes with one verb and path, and two routes
/// that axum could not tell apart (`/a/{x}` and `/a/{y}`).
pub(super) fn check_conflicts(descriptors: &[ServiceDescriptor]) -> Result<(), Error> {
    let mut routes: Vec<(Claim, String, String, String)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for descriptor in descriptors {
        let name = descriptor.full_name();
        if names.contains(&name) {
            return Err(Error::route_conflict(format!(
                "gRPC service {name} is added twice"
            )));
        }
        for method in descriptor.methods.iter().filter(|m| m.upload) {
            if let Some(message) = descriptor.upload_clash(method) {
                return Err(Error::descriptor(format!(
                    "message {message} of {name} has the name of the message of the chunked \
                     upload {}Chunks of {}; rename the message",
                    method.name, method.name
                )));
            }
        }
        // A route's shape is its path with the parameters blanked, as the macro computed it; a
        // path without parameters (a generated one, a service's WebSocket) is its own shape.
        let socket = descriptor.socket.map(|path| {
            (
                format!("{name} (socket)"),
                vec![(Claim::WebSocket, path.to_owned(), path.to_owned())],
            )
        });
        let methods = descriptor.methods.iter().map(|method| {
            let mut routes: Vec<(Claim, String, String)> = method
                .http
                .iter()
                .map(|route| {
                    let shape = route.shape.unwrap_or(&route.path).to_owned();
                    (Claim::Verb(route.method), route.path.clone(), shape)
                })
                .collect();
            if let Some(path) = &method.websocket {
                let shape = method.websocket_shape.unwrap_or(path).to_owned();
                routes.push((Claim::WebSocket, path.clone(), shape));
            }
            (format!("{name}/{}", method.name), routes)
        });
        for (owner, method_routes) in methods.chain(socket) {
            for (claim, route_path, shape) in method_routes {
                for (other_claim, path, other_shape, other) in &routes {
                    if *other_shape != shape {
                        continue;
                    }
                    if *path != route_path {
                        return Err(Error::route_conflict(format!(
                            "{route_path} of {owner} and {path} of {other} differ only in parameter names"
                        )));
                    }
                    if *other_claim == claim {
                        return Err(Error::route_conflict(format!(
                            "{claim} {route_path} is claimed by {other} and {owner}"
                        )));
                    }
                }
                routes.push((claim, route_path, shape, owner.clone()));
            }
        }
        names.push(name);
    }
    Ok(())
}

/// What a route claims at its path: a verb, or the WebSocket, which shares its path with any
/// route but another WebSocket's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Verb(Verb),
    WebSocket,
}

impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Claim::Verb(verb) => verb.fmt(f),
            Claim::WebSocket => f.write_str("WEBSOCKET"),
        }
    }
}

/// The gates of the gRPC services by full name, sorted, for `serve*` to answer a gRPC, gRPC-Web
/// or Connect request to a known service without routing it through axum: the router's routes
/// at those paths lead to the same gates, so that only the cost differs (no path match, no
/// `MatchedPath` and path-parameter extensions).
#[derive(Clone)]
pub(super) struct GrpcTable(Arc<[(Box<str>, GrpcGate)]>);

impl GrpcTable {
    fn new(mut services: Vec<(Box<str>, GrpcGate)>) -> GrpcTable {
        services.sort_by(|a, b| a.0.cmp(&b.0));
        GrpcTable(services.into())
    }

    /// The gate and protocol of a request in one of the gates' protocols to a known service
    /// name; `None` for the router.
    pub(super) fn route(&self, request: &Request) -> Option<(&GrpcGate, Protocol)> {
        if self.0.is_empty() {
            return None;
        }
        let index = self.index(request.uri().path())?;
        match Protocol::of(request.method(), request.headers()) {
            Protocol::Other => None,
            protocol => Some((&self.0[index].1, protocol)),
        }
    }

    fn index(&self, path: &str) -> Option<usize> {
        let (name, _method) = path.strip_prefix('/')?.split_once('/')?;
        self.0.binary_search_by(|(n, _)| (**n).cmp(name)).ok()
    }
}

/// Sends the requests at a service's path to its gRPC service, its gRPC-Web translation or its
/// Connect side, by content type; answers any other request there as the HTTP side would
/// answer an unknown path.
#[derive(Clone)]
pub(super) struct GrpcGate {
    grpc: BoxGrpcService,
    web: Option<BoxGrpcService>,
    connect: ConnectSide,
}

/// How a service answers Connect calls.
#[derive(Clone)]
enum ConnectSide {
    /// Through its methods, as every protoapi service does.
    Methods(Arc<ConnectService>),
    /// Through its gRPC service (reflection, health).
    Bridge(Compression),
    /// It does not.
    None,
}

impl tower::Service<Request> for GrpcGate {
    type Response = Response;
    type Error = Infallible;
    type Future = GrpcFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let protocol = Protocol::of(request.method(), request.headers());
        self.dispatch(protocol, request)
    }
}

impl GrpcGate {
    /// Answers a request in `protocol`, the protocol it was found to be in.
    pub(super) fn dispatch(&self, protocol: Protocol, request: Request) -> GrpcFuture {
        let kind = match protocol {
            Protocol::Grpc => return self.grpc.call(request),
            Protocol::GrpcWeb => match &self.web {
                Some(web) => return web.call(request),
                None => return Box::pin(async move { Ok(not_found(request).await) }),
            },
            Protocol::ConnectStream => CallKind::Stream,
            Protocol::ConnectUnary => CallKind::Unary,
            Protocol::Other => return Box::pin(async move { Ok(not_found(request).await) }),
        };
        match &self.connect {
            ConnectSide::Methods(connect) => {
                let (connect, grpc) = (connect.clone(), self.grpc.clone());
                // Connect's errors share the JSON error body's shape, but never become problems.
                Box::pin(
                    async move { Ok(crate::http::unmark(connect.call(kind, request, grpc).await)) },
                )
            }
            ConnectSide::Bridge(compression) => {
                let (grpc, compression) = (self.grpc.clone(), *compression);
                Box::pin(async move {
                    Ok(crate::http::unmark(
                        crate::connect::bridge(grpc, compression, kind, request).await,
                    ))
                })
            }
            ConnectSide::None => Box::pin(async move { Ok(not_found(request).await) }),
        }
    }
}

/// The answer to a request for a path that no route serves: a gRPC `unimplemented` status for
/// gRPC clients, a JSON 404 for everyone else.
pub async fn not_found(request: Request) -> Response {
    if grpc::is_grpc(request.headers()) {
        let status = crate::status::Status::unimplemented(format!(
            "unknown service or method {}",
            request.uri().path()
        ));
        return grpc::render(&status);
    }
    crate::http::error_response(
        http::StatusCode::NOT_FOUND,
        crate::status::Code::NotFound,
        &format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

/// A WebSocket at an HTTP path: the routes hand it the handshakes.
impl WebSocketRoute for WebSocketEndpoint {
    fn is_handshake(&self, request: &Request) -> bool {
        websocket::is_upgrade(request)
    }

    fn upgrade(self: Arc<Self>, request: Request) -> BoxResponse {
        Box::pin(WebSocketEndpoint::upgrade(self, request))
    }

    fn upgrade_required(&self) -> BoxResponse {
        Box::pin(websocket::upgrade_required())
    }
}

/// The protocol of a request at a gRPC path, from its method and content type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Grpc,
    GrpcWeb,
    /// A Connect unary call (`POST application/json|proto`, or `GET`).
    ConnectUnary,
    /// A Connect streaming call (`POST application/connect+json|proto`).
    ConnectStream,
    /// Anything else.
    Other,
}

impl Protocol {
    /// The protocol of a request, from its method and content type.
    pub(crate) fn of(method: &Method, headers: &HeaderMap) -> Protocol {
        if grpc::is_grpc(headers) {
            return Protocol::Grpc;
        }
        match content_type_essence(headers).as_deref() {
            Some(t) if t.starts_with("application/grpc-web") => Protocol::GrpcWeb,
            _ if method == Method::GET => Protocol::ConnectUnary,
            Some("application/json" | "application/proto") if method == Method::POST => {
                Protocol::ConnectUnary
            }
            Some("application/connect+json" | "application/connect+proto")
                if method == Method::POST =>
            {
                Protocol::ConnectStream
            }
            _ => Protocol::Other,
        }
    }
}

/// The answer that refuses a request before any method runs, in the request's own protocol: a
/// tower layer (authentication, rate limits) returns it instead of calling the service.
///
/// - gRPC: `200` with the status in `grpc-status` / `grpc-message` headers (trailers-only);
/// - gRPC-Web: the same, with the gRPC-Web content type the client sent;
/// - Connect streaming (`application/connect+json|proto`): `200` and the end-of-stream envelope
///   with the error;
/// - anything else (HTTP, Connect unary, a WebSocket handshake): the HTTP status of the code
///   ([`http_status`](crate::http_status)) and the JSON error body.
///
/// ```
/// use protoapi::{Code, Status};
///
/// let request = http::Request::get("/me").body(()).unwrap();
/// let response = protoapi::reject(&request, &Status::unauthenticated("no token"));
/// assert_eq!(response.status(), 401);
///
/// let request = http::Request::post("/auth.Profile/Me")
///     .header("content-type", "application/grpc")
///     .body(())
///     .unwrap();
/// let response = protoapi::reject(&request, &Status::unauthenticated("no token"));
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["grpc-status"], "16");
/// ```
pub fn reject<B>(request: &http::Request<B>, status: &Status) -> Response {
    match Protocol::of(request.method(), request.headers()) {
        Protocol::Grpc => crate::grpc::render(status),
        Protocol::GrpcWeb => crate::grpc::render_web(request.headers(), status),
        Protocol::ConnectStream => crate::connect::render_stream(request.headers(), status),
        Protocol::ConnectUnary | Protocol::Other => crate::http::render(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, header};

    #[test]
    fn the_protocol_follows_the_content_type_in_any_case() {
        let of = |method: Method, content_type: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            );
            Protocol::of(&method, &headers)
        };
        for grpc in [
            "application/grpc",
            "Application/GRPC",
            "application/grpc+proto",
            "application/grpc;charset=utf-8",
            " application/grpc ",
            "application/grpc ; x=y",
        ] {
            assert_eq!(of(Method::POST, grpc), Protocol::Grpc, "{grpc}");
        }
        for web in ["application/grpc-web", "application/grpc-web-text+proto"] {
            assert_eq!(of(Method::POST, web), Protocol::GrpcWeb, "{web}");
        }
        assert_eq!(of(Method::POST, "application/grpcx"), Protocol::Other);
        assert_eq!(of(Method::POST, "application/JSON"), Protocol::ConnectUnary);
        assert_eq!(
            of(Method::POST, "application/connect+proto"),
            Protocol::ConnectStream
        );
        assert_eq!(of(Method::PUT, "application/json"), Protocol::Other);
        assert_eq!(
            Protocol::of(&Method::POST, &HeaderMap::new()),
            Protocol::Other
        );
    }
}
