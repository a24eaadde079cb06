//! [`ServerBuilder`]: the services, the transports that are open, the limits, the layers.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use tokio_util::sync::CancellationToken;
use tonic_health::server::HealthReporter;

use super::Server;
use super::openapi::OpenApiConfig;
use crate::compression::Compression;
use crate::error::Error;
use crate::graphql::GraphQlConfig;
use crate::limits::Limits;
use crate::path::{DefaultPathGenerator, HttpConfig, HttpPathGenerator};
use crate::rooms::Rooms;
use crate::schema::{OpenApiInfo, ProtoFile, ServiceDescriptor};
use crate::service::ProtoService;
use crate::socketio::SocketIoConfig;
use crate::websocket::{Stats, WebSocketConfig};

impl Server {
    /// A builder with no services, both transports open and the default [`Limits`].
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            services: Vec::new(),
            grpc: true,
            http: true,
            limits: Limits::default(),
            paths: PathsConfig::Default(DefaultPathGenerator::default()),
            upload_dir: None,
            websocket: WebSocketConfig::default(),
            socketio: None,
            rooms: Rooms::new(),
            graphql: None,
            compression: Compression::default(),
            stats: Stats::default(),
            shutdown: CancellationToken::new(),
            extra: None,
            layers: Vec::new(),
            reflection: true,
            health: Some(HealthReporter::new()),
            grpc_web: true,
            connect_protocol: true,
            #[cfg(feature = "tls")]
            tls: None,
            openapi: OpenApiConfig::default(),
            connections: Connections::default(),
            problem_details: false,
        }
    }
}

/// How `serve*` bounds connections (see the [`ServerBuilder`] methods that set each).
#[derive(Clone, Copy, Debug)]
pub(super) struct Connections {
    pub(super) max: usize,
    pub(super) header_read_timeout: Duration,
    pub(super) max_streams: u32,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            max: 10_000,
            header_read_timeout: Duration::from_secs(30),
            max_streams: 200,
        }
    }
}

/// Configures and runs a [`Server`].
pub struct ServerBuilder {
    pub(super) services: Vec<Box<dyn ProtoService>>,
    pub(super) grpc: bool,
    pub(super) http: bool,
    pub(super) limits: Limits,
    paths: PathsConfig,
    pub(super) upload_dir: Option<Arc<std::path::Path>>,
    pub(super) websocket: WebSocketConfig,
    /// Set by [`Self::socketio`]; `None` serves the marked services with the defaults.
    pub(super) socketio: Option<SocketIoConfig>,
    /// The rooms whose broadcasts reach the server's Socket.IO sockets.
    pub(super) rooms: Rooms,
    /// Set by [`Self::graphql`]; `None` serves the marked services with the defaults.
    pub(super) graphql: Option<GraphQlConfig>,
    pub(super) compression: Compression,
    pub(super) stats: Stats,
    pub(super) shutdown: CancellationToken,
    pub(super) extra: Option<Router>,
    pub(super) layers: Vec<Box<dyn FnOnce(Router) -> Router + Send>>,
    pub(super) reflection: bool,
    pub(super) health: Option<HealthReporter>,
    pub(super) grpc_web: bool,
    pub(super) connect_protocol: bool,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<super::TlsConfig>,
    pub(super) openapi: OpenApiConfig,
    pub(super) connections: Connections,
    /// Set by [`Self::problem_details`].
    pub(super) problem_details: bool,
}

/// The path generator: the default one (whose prefixes and suffixes the builder sets) or the
/// user's own.
enum PathsConfig {
    Default(DefaultPathGenerator),
    Custom(Arc<dyn HttpPathGenerator>),
}

macro_rules! affix {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// Applies to [`DefaultPathGenerator`]; replaces a generator set with
        /// [`Self::path_generator`].
        pub fn $name(mut self, text: impl Into<String>) -> Self {
            let generator = match self.paths {
                PathsConfig::Default(generator) => generator,
                PathsConfig::Custom(_) => DefaultPathGenerator::default(),
            };
            self.paths = PathsConfig::Default(generator.$name(text));
            self
        }
    )*};
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .services
            .iter()
            .map(|s| s.descriptor().full_name())
            .collect();
        f.debug_struct("ServerBuilder")
            .field("services", &names)
            .field("grpc", &self.grpc)
            .field("http", &self.http)
            .field("limits", &self.limits)
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Adds a service generated by `#[protoapi::service]`: `GreeterServer::new(MyGreeter)`.
    #[allow(
        clippy::should_implement_trait,
        reason = "the builder's verb, as in tonic's `add_service`"
    )]
    pub fn add(mut self, service: impl ProtoService) -> Self {
        self.services.push(Box::new(service));
        self
    }

    /// Serves gRPC (default `true`). When `false`, gRPC requests get `unimplemented`.
    pub fn open_grpc(mut self, open: bool) -> Self {
        self.grpc = open;
        self
    }

    /// Serves the HTTP routes (default `true`). When `false`, HTTP requests get the JSON 404.
    pub fn open_http(mut self, open: bool) -> Self {
        self.http = open;
        self
    }

    /// Serves an axum [`Router`] of the application's own beside the API: a page, static
    /// files, a route the trait does not describe. Its routes go through the server's layers
    /// too. Call it more than once to merge several routers.
    ///
    /// # Panics
    ///
    /// [`Self::into_router`] and the `serve` methods panic, as [`Router::merge`] does, when one
    /// of its routes has the verb and path of an API route.
    pub fn merge(mut self, router: Router) -> Self {
        self.extra = Some(match self.extra.take() {
            Some(extra) => extra.merge(router),
            None => router,
        });
        self
    }

    /// Wraps every request, gRPC, HTTP and WebSocket handshake alike, in a tower layer:
    /// authentication, rate limits, CORS, timeouts. The layer sees the HTTP request before the
    /// server decides its transport, and what it puts into the request extensions reaches the
    /// method through [`crate::Context::extensions`] (for a WebSocket, every call on it).
    ///
    /// The layer added last runs first, as with [`Router::layer`]. Requests that match no route
    /// (the JSON 404) do not go through the layers.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<Request>>::Response: axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as tower::Service<Request>>::Future: Send + 'static,
    {
        self.layers
            .push(Box::new(move |router: Router| router.layer(layer)));
        self
    }

    /// Serves every connection over TLS (feature `tls`): HTTPS, gRPC over TLS and `wss://`
    /// WebSockets on the one port, HTTP/2 or HTTP/1.1 by ALPN. Handshakes that take longer than
    /// 10 s are dropped.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: super::TlsConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Serves gRPC server reflection, v1 and v1alpha (default `true`), from the descriptors of
    /// the services' `.proto` files ([`Self::file_descriptor_set`]), so that `grpcurl` and
    /// `buf curl --reflect` list and call the services without a schema.
    pub fn reflection(mut self, on: bool) -> Self {
        self.reflection = on;
        self
    }

    /// Answers every error of the HTTP routes as an RFC 9457 problem (`application/problem+json`:
    /// `type`, `title`, `status`, `detail`, and the error's `code` and `details` as extension
    /// members) instead of the JSON error body (default `false`). Without it, a request whose
    /// `Accept` prefers `application/problem+json` to `application/json` gets a problem; any
    /// other gets the JSON error body. Connect, gRPC, WebSocket frames and a service's
    /// `envelope` errors keep their own shapes.
    pub fn problem_details(mut self, always: bool) -> Self {
        self.problem_details = always;
        self
    }

    /// Serves the gRPC health service `grpc.health.v1.Health` (default `true`): the server
    /// (`""`) and every added gRPC service are `SERVING` until shutdown begins, then
    /// `NOT_SERVING`. [`Self::health_reporter`] changes a status.
    pub fn health(mut self, on: bool) -> Self {
        self.health = if on {
            self.health.or_else(|| Some(HealthReporter::new()))
        } else {
            None
        };
        self
    }

    /// The handle that sets the statuses the health service answers, when it is on.
    pub fn health_reporter(&self) -> Option<HealthReporter> {
        self.health.clone()
    }

    /// Answers gRPC-Web (`application/grpc-web`, `application/grpc-web-text`, through
    /// `tonic-web`) at the gRPC paths (default `true`).
    pub fn grpc_web(mut self, on: bool) -> Self {
        self.grpc_web = on;
        self
    }

    /// Answers the Connect protocol at the gRPC paths for unary and server-streaming methods
    /// (default `true`): `POST` with `application/json` or `application/proto`, `GET` for
    /// methods with a `GET` route, and `application/connect+json|proto` streams.
    ///
    /// ```
    /// // gRPC and gRPC-Web only at the gRPC paths.
    /// let builder = protoapi::Server::builder().connect_protocol(false);
    /// # drop(builder);
    /// ```
    pub fn connect_protocol(mut self, on: bool) -> Self {
        self.connect_protocol = on;
        self
    }

    /// The former name of [`Self::connect_protocol`].
    #[deprecated(note = "renamed to connect_protocol")]
    pub fn connect(self, on: bool) -> Self {
        self.connect_protocol(on)
    }

    /// The descriptors of [`Self::proto_files`] as a `FileDescriptorSet`, protoapi's own file
    /// first: what `protoc --descriptor_set_out` makes of them, and what reflection serves.
    pub fn file_descriptor_set(&self) -> prost_types::FileDescriptorSet {
        let mut files = self.grpc_files(
            ServiceDescriptor::file_descriptors,
            |file: &mut prost_types::FileDescriptorProto| file.name.get_or_insert_default(),
        );
        // Dependencies before the files that import them.
        files
            .sort_by_key(|f| !matches!(f.package.as_deref(), Some("google.protobuf" | "protoapi")));
        prost_types::FileDescriptorSet { file: files }
    }

    /// Sets the generator of the HTTP paths of methods that do not spell out theirs (default
    /// [`DefaultPathGenerator`]).
    pub fn path_generator(mut self, generator: impl HttpPathGenerator) -> Self {
        self.paths = PathsConfig::Custom(Arc::new(generator));
        self
    }

    affix! {
        /// Text before the package segment of generated paths (the Go protoapi's PackagePrefix).
        package_prefix,
        /// Text after the package segment of generated paths.
        package_suffix,
        /// Text before the service segment of generated paths.
        service_prefix,
        /// Text after the service segment of generated paths.
        service_suffix,
        /// Text before the method segment of generated paths.
        method_prefix,
        /// Text after the method segment of generated paths.
        method_suffix,
    }

    pub(super) fn http_config(&self) -> HttpConfig {
        let paths: Arc<dyn HttpPathGenerator> = match &self.paths {
            PathsConfig::Default(generator) => Arc::new(generator.clone()),
            PathsConfig::Custom(generator) => generator.clone(),
        };
        HttpConfig {
            limits: self.limits,
            paths,
            upload_dir: self.upload_dir.clone(),
            websocket: self.websocket.clone(),
            compression: self.compression,
            stats: self.stats.clone(),
            shutdown: self.shutdown.clone(),
        }
    }

    /// Sets how WebSocket endpoints ping, time out, limit calls in flight and check `Origin`
    /// (default [`WebSocketConfig::default`]).
    pub fn websocket(mut self, config: WebSocketConfig) -> Self {
        self.websocket = config;
        self
    }

    /// Serves Socket.IO (protocol 5 over Engine.IO 4, WebSocket and HTTP long-polling) at the
    /// config's path, `/socket.io/` by default, for every service added to the server (for the
    /// services marked `#[protoapi::service(socketio)]` only with
    /// [`SocketIoConfig::marked_only`]). Each method is an event named after the Rust method;
    /// docs/socketio.md shows the frames. Without this call, the marked services are served
    /// with [`SocketIoConfig::default`]'s settings.
    ///
    /// ```
    /// let builder = protoapi::Server::builder().socketio(protoapi::SocketIoConfig::default());
    /// # drop(builder);
    /// ```
    pub fn socketio(mut self, config: SocketIoConfig) -> Self {
        self.socketio = Some(config);
        self
    }

    /// Sets the rooms that the server's Socket.IO sockets join and that reach them
    /// ([`Rooms`]); give the same rooms (a clone) to the services that send to them. Rooms made
    /// with `Rooms::redis` share the sockets of every instance through socketioxide's Redis
    /// adapter. Without this call, the server has rooms of its own that no service holds.
    ///
    /// ```
    /// let rooms = protoapi::Rooms::new();
    /// let builder = protoapi::Server::builder().rooms(rooms.clone());
    /// # drop(builder);
    /// ```
    pub fn rooms(mut self, rooms: Rooms) -> Self {
        self.rooms = rooms;
        self
    }

    /// Serves GraphQL at the config's path, `/graphql` by default, for every service added to
    /// the server (for the services marked `#[protoapi::service(graphql)]` only with
    /// [`GraphQlConfig::marked_only`]): a method with no side effects is a `Query` field, any
    /// other unary method a `Mutation` field, a server stream a `Subscription` field
    /// (docs/graphql.md). Without this call, the marked services are served with
    /// [`GraphQlConfig::default`]'s settings.
    ///
    /// ```
    /// let builder = protoapi::Server::builder().graphql(protoapi::GraphQlConfig::default());
    /// # drop(builder);
    /// ```
    pub fn graphql(mut self, config: GraphQlConfig) -> Self {
        self.graphql = Some(config);
        self
    }

    /// The GraphQL schema of the services, in SDL; `None` when no service is served over
    /// GraphQL. Fails as the server would fail to start (two methods of one field name).
    pub fn graphql_sdl(&self) -> Result<Option<String>, Error> {
        let config = self
            .graphql
            .clone()
            .unwrap_or_else(GraphQlConfig::marked_services);
        let descriptors: Vec<_> = self
            .services
            .iter()
            .map(|service| service.descriptor_with(&self.http_config()))
            .collect();
        Ok(
            crate::graphql::build(&self.services, &descriptors, &config)?
                .map(|schema| schema.sdl()),
        )
    }

    /// Sets which compressions requests and answers may be in, on every transport, and the
    /// smallest answer compressed (default [`Compression::default`]: gzip and zstd both ways,
    /// from 1 KiB).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// A handle on the live counts of the server once it runs: open connections, WebSockets
    /// and calls on them.
    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// Sets the directory where uploads past the spool threshold are written (default: the
    /// system's temporary directory). Each is removed when its `File` is dropped.
    pub fn upload_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.upload_dir = Some(Arc::from(dir.into().into_boxed_path()));
        self
    }

    /// Sets the size limits of every method (default [`Limits::default`]); a method's own
    /// `limit = "..."` wins over the body limit.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets how many connections `serve*` holds open at once (default 10,000); a connection
    /// upgraded to a WebSocket counts until the socket closes. At the limit the server stops
    /// accepting until one closes; waiting clients stay in the listener's backlog.
    pub fn max_connections(mut self, count: usize) -> Self {
        self.connections.max = count.max(1);
        self
    }

    /// Sets how long a client may take to send its first byte and, over HTTP/1.1, each
    /// request's headers (default 30 s); a client that takes longer is disconnected. An
    /// HTTP/1.1 connection's clock starts when it goes idle (the previous answer is sent), so
    /// the timeout also closes keep-alive connections left idle that long.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.connections.header_read_timeout = timeout;
        self
    }

    /// The old name of [`Limits::head`]: sets the largest request head.
    #[deprecated(note = "use `Limits::head`")]
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.limits = self.limits.head(bytes);
        self
    }

    /// Sets how many requests (streams) one HTTP/2 connection may have in flight (default
    /// 200); a client that opens more has them refused.
    pub fn max_concurrent_streams(mut self, count: u32) -> Self {
        self.connections.max_streams = count;
        self
    }

    /// The `.proto` files of every added service served over gRPC, and `protoapi/types.proto`
    /// once when one of them uses protoapi's own messages.
    pub fn proto_files(&self) -> Vec<ProtoFile> {
        self.grpc_files(ServiceDescriptor::proto_files, |file: &mut ProtoFile| {
            &mut file.name
        })
    }

    /// One `.proto` file per service served over gRPC, each compiling alone: protoapi's own
    /// messages that its rpcs use declared in it
    /// ([`ServiceDescriptor::standalone_proto_file`]). The examples' `--print-proto` prints
    /// these.
    pub fn standalone_proto_files(&self) -> Vec<ProtoFile> {
        self.grpc_files(
            |descriptor| {
                vec![ProtoFile {
                    name: descriptor.proto_file_name(),
                    content: descriptor.standalone_proto_file(),
                }]
            },
            |file: &mut ProtoFile| &mut file.name,
        )
    }

    /// The files of every service served over gRPC, each once: `.proto` texts or their
    /// descriptors. Two services of one package share a file name; when their files differ, the
    /// second is named after its service (`greeter.proto`), so that both stay.
    fn grpc_files<F: PartialEq>(
        &self,
        files_of: fn(&ServiceDescriptor) -> Vec<F>,
        name: fn(&mut F) -> &mut String,
    ) -> Vec<F> {
        let mut files: Vec<F> = Vec::new();
        for descriptor in self
            .services
            .iter()
            .map(|s| s.descriptor())
            .filter(|d| d.grpc)
        {
            for mut file in files_of(&descriptor) {
                let same_name = |other: &mut F| *name(other) == *name(&mut file);
                match files.iter_mut().position(same_name) {
                    Some(index) if files[index] != file => {
                        *name(&mut file) = format!("{}.proto", descriptor.name.to_lowercase());
                        files.push(file);
                    }
                    Some(_) => {}
                    None => files.push(file),
                }
            }
        }
        files
    }

    /// Serves the OpenAPI 3.1 document of every added service's HTTP routes at `path` (such as
    /// `/openapi.json`): `GET` (and `HEAD`) only, `application/json`. Off by default. See
    /// [`Self::openapi_document`] for what it holds.
    pub fn openapi(mut self, path: impl Into<String>) -> Self {
        self.openapi.path = Some(path.into());
        self
    }

    /// Serves an interactive page of the OpenAPI document at `path` (cargo feature `docs`):
    /// Swagger UI, with its scripts and styles from `swagger-ui-dist` under `<path>/assets/`,
    /// so it works offline. Every route of the document is listed, and "Try it out" calls this
    /// server. The page reads the document where [`Self::openapi`] serves it, or, without
    /// that, at `<path>/openapi.json`. Fails at build when `path` is not a plain path or a
    /// service serves a GET route there.
    #[cfg(feature = "docs")]
    pub fn docs(mut self, path: impl Into<String>) -> Self {
        self.openapi.docs = Some(path.into());
        self
    }

    /// Serves the AsyncAPI 3.0 document of the WebSocket endpoints at `path` (`GET`,
    /// `application/json`): a channel per endpoint, an operation per method on it, the frames
    /// and their messages' schemas (the OpenAPI document's), with the OpenAPI document's `info`
    /// ([`Self::asyncapi_document`]). Fails at build when `path` is not a plain path or a service
    /// serves a GET route there.
    pub fn asyncapi(mut self, path: impl Into<String>) -> Self {
        self.openapi.asyncapi = Some(path.into());
        self
    }

    /// The AsyncAPI 3.0 document of the WebSocket endpoints of every added service, with the
    /// paths as served ([`crate::schema::asyncapi_document`]).
    ///
    /// ```
    /// let document = protoapi::Server::builder().openapi_info("Empty", "0.1.0").asyncapi_document();
    /// assert_eq!(document["asyncapi"], "3.0.0");
    /// assert_eq!(document["info"]["title"], "Empty");
    /// ```
    pub fn asyncapi_document(&self) -> serde_json::Value {
        let config = self.http_config();
        self.openapi
            .asyncapi_document(&self.http_descriptors(&config))
    }

    /// Sets the document's `info.title` and `info.version` (default: the services' full names
    /// and `1.0.0`; the description is the doc comment of a single service).
    pub fn openapi_info(mut self, title: impl Into<String>, version: impl Into<String>) -> Self {
        self.openapi.info = Some(OpenApiInfo::new(title, version));
        self
    }

    /// The OpenAPI 3.1 document of the HTTP routes of every added service, with the paths as
    /// served (the path generator applied): operations, parameters, bodies, responses and a
    /// schema per message and enum ([`crate::schema::openapi_document`]). Empty of paths when
    /// HTTP is closed.
    ///
    /// ```
    /// let document = protoapi::Server::builder().openapi_info("Empty", "0.1.0").openapi_document();
    /// assert_eq!(document["info"]["title"], "Empty");
    /// assert_eq!(document["openapi"], "3.1.0");
    /// ```
    pub fn openapi_document(&self) -> serde_json::Value {
        let config = self.http_config();
        self.openapi.document(&self.http_descriptors(&config))
    }

    pub(super) fn http_descriptors(&self, config: &HttpConfig) -> Vec<ServiceDescriptor> {
        self.services
            .iter()
            .filter(|_| self.http)
            .map(|s| s.descriptor_with(config))
            .filter(|d| d.http)
            .collect()
    }

    /// The whole API as an axum [`Router`], to mount in an application's own router and wrap
    /// in its own layers.
    ///
    /// The router has the HTTP routes of every service, a route per gRPC service
    /// (`/<package>.<Service>/{method}`) and the routes given to [`Self::merge`], wrapped in
    /// the layers given to [`Self::layer`], and no fallback, so that it can be merged into a
    /// router that has one. It does not log requests: add `tower_http::trace::TraceLayer` (or
    /// any layer) yourself. The peer address in [`crate::Context`] comes from axum's
    /// `ConnectInfo<SocketAddr>`, which `into_make_service_with_connect_info` provides.
    ///
    /// Fails when two services claim the same verb and path, or the same gRPC name.
    pub fn into_router(self) -> Result<Router, Error> {
        let timeout = self.limits.timeout_limit();
        let rooms = self.rooms.clone();
        let problems = crate::http::Problems {
            always: self.problem_details,
        };
        let router = self.build()?.0.layer(problems);
        rooms.spawn_pending();
        Ok(match timeout {
            Some(timeout) => router.layer(axum::Extension(crate::limits::ServerTimeout(timeout))),
            None => router,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Server;

    #[test]
    #[allow(deprecated, reason = "checks the old name")]
    fn connect_is_the_old_name_of_connect_protocol() {
        assert!(Server::builder().connect_protocol);
        assert!(!Server::builder().connect_protocol(false).connect_protocol);
        assert!(!Server::builder().connect(false).connect_protocol);
    }
}
