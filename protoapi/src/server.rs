//! [`Server`]: one port for gRPC (h2c), HTTP/1.1 and HTTP/2.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, ToSocketAddrs};
use tower::ServiceExt as _;
use tower_http::trace::TraceLayer;

use crate::__private::grpc::{self, BoxGrpcService, GrpcFuture};
use crate::__private::rest::{Routes, not_found};
use crate::connect::{ConnectService, Protocol};
use crate::error::Error;
use crate::limits::Limits;
use crate::path::{DefaultPathGenerator, HttpConfig, HttpPathGenerator};
use crate::schema::{HttpRoute, OpenApiConfig, OpenApiInfo, ProtoFile, ServiceDescriptor};
use crate::service::ProtoService;
use crate::{Stats, WebSocketConfig};
use futures_util::FutureExt as _;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

mod timer;

/// The protoapi server: every added service over gRPC and HTTP on one port.
///
/// A request whose content type is `application/grpc` (or `application/grpc+...`) goes to the
/// gRPC side; every other request to the HTTP routes. Both sides are open by default;
/// [`ServerBuilder::open_grpc`] and [`ServerBuilder::open_http`] close one. A closed side answers
/// as if its routes did not exist: gRPC `unimplemented`, or the JSON 404.
///
/// ```no_run
/// # use protoapi::Status;
/// #[protoapi::message]
/// pub struct Ping {}
///
/// #[protoapi::service(package = "demo")]
/// pub trait Health {
///     async fn check(&self, req: Ping) -> Result<Ping, Status>;
/// }
///
/// struct Service;
/// impl Health for Service {
///     async fn check(&self, req: Ping) -> Result<Ping, Status> {
///         Ok(req)
///     }
/// }
///
/// # async fn run() -> Result<(), protoapi::Error> {
/// protoapi::Server::builder()
///     .add(HealthServer::new(Service))
///     .serve("127.0.0.1:8080")
///     .await
/// # }
/// ```
#[derive(Debug)]
pub struct Server(());

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
            stats: Stats::default(),
            shutdown: CancellationToken::new(),
            extra: None,
            layers: Vec::new(),
            reflection: true,
            health: Some(HealthReporter::new()),
            grpc_web: true,
            connect: true,
            #[cfg(feature = "tls")]
            tls: None,
            openapi: OpenApiConfig::default(),
            connections: Connections::default(),
        }
    }
}

/// How `serve*` bounds connections (see the [`ServerBuilder`] methods that set each).
#[derive(Clone, Copy, Debug)]
struct Connections {
    max: usize,
    header_read_timeout: Duration,
    max_header_size: Option<usize>,
    max_streams: u32,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            max: 10_000,
            header_read_timeout: Duration::from_secs(30),
            max_header_size: None,
            max_streams: 200,
        }
    }
}

/// Configures and runs a [`Server`].
pub struct ServerBuilder {
    services: Vec<Box<dyn ProtoService>>,
    grpc: bool,
    http: bool,
    limits: Limits,
    paths: PathsConfig,
    upload_dir: Option<Arc<std::path::Path>>,
    websocket: WebSocketConfig,
    stats: Stats,
    shutdown: CancellationToken,
    extra: Option<Router>,
    layers: Vec<Box<dyn FnOnce(Router) -> Router + Send>>,
    reflection: bool,
    health: Option<HealthReporter>,
    grpc_web: bool,
    connect: bool,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
    openapi: OpenApiConfig,
    connections: Connections,
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
    pub fn tls(mut self, config: crate::TlsConfig) -> Self {
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
    pub fn connect(mut self, on: bool) -> Self {
        self.connect = on;
        self
    }

    /// The descriptors of [`Self::proto_files`] as a `FileDescriptorSet`, protoapi's own file
    /// first: what `protoc --descriptor_set_out` makes of them, and what reflection serves.
    pub fn file_descriptor_set(&self) -> prost_types::FileDescriptorSet {
        let mut files = self.grpc_files(
            ServiceDescriptor::file_descriptors,
            |file: &mut prost_types::FileDescriptorProto| file.name.get_or_insert_default(),
        );
        // Dependencies before the files that import them.
        files.sort_by_key(|f| f.package.as_deref() != Some("protoapi"));
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

    fn http_config(&self) -> HttpConfig {
        let paths: Arc<dyn HttpPathGenerator> = match &self.paths {
            PathsConfig::Default(generator) => Arc::new(generator.clone()),
            PathsConfig::Custom(generator) => generator.clone(),
        };
        HttpConfig {
            limits: self.limits,
            paths,
            upload_dir: self.upload_dir.clone(),
            websocket: self.websocket.clone(),
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

    /// Sets the largest request head: HTTP/2's header list and HTTP/1.1's read buffer, which
    /// must hold the request line and headers (at least 8 KiB). By default hyper's: 16 KiB for
    /// HTTP/2, about 408 KiB and 100 headers for HTTP/1.1. A larger head is answered 431 over
    /// HTTP/1.1 and refused by the HTTP/2 stream's reset.
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.connections.max_header_size = Some(bytes);
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

    fn http_descriptors(&self, config: &HttpConfig) -> Vec<ServiceDescriptor> {
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
        let router = self.build()?.0;
        Ok(match timeout {
            Some(timeout) => router.layer(axum::Extension(crate::limits::ServerTimeout(timeout))),
            None => router,
        })
    }

    /// The router, and the gRPC services by name for `serve*` to call without it.
    fn build(self) -> Result<(Router, GrpcTable), Error> {
        let config = self.http_config();
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
        let grpc_web = self.grpc_web;
        let gate = |grpc: BoxGrpcService, connect: Option<Arc<ConnectService>>| GrpcGate {
            web: grpc_web.then(|| grpc_web_service(grpc.clone())),
            grpc,
            connect,
        };
        let mut names = Vec::new();
        let mut table: Vec<(Box<str>, BoxGrpcService)> = Vec::new();
        for (service, descriptor) in grpc {
            let name = descriptor.full_name();
            let connect = self.connect.then(|| {
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
                ConnectService::new(name.clone(), methods, self.limits.body_limit())
            });
            let service = service.grpc_service(self.limits);
            table.push((name.clone().into(), service.clone()));
            router = router.route_service(&format!("/{name}/{{*method}}"), gate(service, connect));
            names.push(name);
        }
        if self.grpc && self.reflection {
            let set = self.file_descriptor_set();
            let health = self.health.is_some();
            // Each version lists both reflection services, as both are served.
            let configure = || {
                let builder = tonic_reflection::server::Builder::configure()
                    .register_file_descriptor_set(set.clone())
                    .include_reflection_service(false)
                    .register_encoded_file_descriptor_set(
                        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                    )
                    .register_encoded_file_descriptor_set(
                        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
                    );
                if health {
                    builder
                        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                } else {
                    builder
                }
            };
            let v1 = configure()
                .build_v1()
                .map_err(|error| Error::descriptor(error.to_string()))?;
            let v1alpha = configure()
                .build_v1alpha()
                .map_err(|error| Error::descriptor(error.to_string()))?;
            for (name, service) in [
                ("grpc.reflection.v1.ServerReflection", grpc::boxed(v1)),
                (
                    "grpc.reflection.v1alpha.ServerReflection",
                    grpc::boxed(v1alpha),
                ),
            ] {
                table.push((name.into(), service.clone()));
                router = router.route_service(&format!("/{name}/{{*method}}"), gate(service, None));
            }
        }
        if let Some(reporter) = self.health.as_ref().filter(|_| self.grpc) {
            for name in std::iter::once(String::new()).chain(names) {
                // A fresh reporter's lock is free: the update completes at once.
                let _ = reporter
                    .set_service_status(&name, ServingStatus::Serving)
                    .now_or_never();
            }
            let service = HealthServer::new(HealthService::from_health_reporter(reporter.clone()));
            let service = grpc::boxed(service);
            table.push(("grpc.health.v1.Health".into(), service.clone()));
            router = router.route_service("/grpc.health.v1.Health/{*method}", gate(service, None));
        }
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

    /// Binds `addr` and serves until the process ends.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> Result<(), Error> {
        self.serve_with_shutdown(addr, std::future::pending()).await
    }

    /// Binds `addr` and serves until `signal` completes, then stops accepting, lets open
    /// connections finish their requests, and returns.
    pub async fn serve_with_shutdown(
        self,
        addr: impl ToSocketAddrs,
        signal: impl Future<Output = ()> + Send,
    ) -> Result<(), Error> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_listener(listener, signal).await
    }

    /// Serves on a listener the caller bound (for example to port 0, to learn the port) until
    /// `signal` completes, then shuts down gracefully as [`Self::serve_with_shutdown`] does.
    pub async fn serve_listener(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send,
    ) -> Result<(), Error> {
        let stats = self.stats.clone();
        let shutdown = self.shutdown.clone();
        let health = self.health.clone();
        #[cfg(feature = "tls")]
        let tls = self.tls.clone();
        #[cfg(feature = "tls")]
        let scheme = if tls.is_some() { "https" } else { "http" };
        #[cfg(not(feature = "tls"))]
        let scheme = "http";
        let health_names: Vec<String> = std::iter::once(String::new())
            .chain(
                self.services
                    .iter()
                    .map(|s| s.descriptor())
                    .filter(|d| d.grpc)
                    .map(|d| d.full_name()),
            )
            .collect();
        let connections = self.connections;
        let timeout = self
            .limits
            .timeout_limit()
            .map(crate::limits::ServerTimeout);
        let (app, grpc) = self.build()?;
        let app = app.fallback(not_found);
        // Around the router, not in it (`Router::layer`), so that no route is boxed once more;
        // and only while its spans would be recorded, so that a server that does not log at
        // `debug` does not read the clock twice per request for nothing.
        let traced = tower::Layer::layer(&TraceLayer::new_for_http(), app.clone());
        if let Ok(addr) = listener.local_addr() {
            tracing::info!("listening on {scheme}://{addr}");
        }

        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The timer that makes the header-read timeout work is set per connection
        // (`serve_connection`).
        builder
            .http1()
            .header_read_timeout(connections.header_read_timeout);
        builder
            .http2()
            .max_concurrent_streams(connections.max_streams);
        if let Some(bytes) = connections.max_header_size {
            builder.http1().max_buf_size(bytes.max(8192));
            builder
                .http2()
                .max_header_list_size(u32::try_from(bytes).unwrap_or(u32::MAX));
        }
        let permits = Arc::new(tokio::sync::Semaphore::new(
            connections.max.min(tokio::sync::Semaphore::MAX_PERMITS),
        ));
        let graceful = GracefulShutdown::new();
        #[cfg(feature = "tls")]
        let acceptor = tls.map(|tls| tokio_rustls::TlsAcceptor::from(tls.config));
        let mut signal = std::pin::pin!(signal);
        loop {
            // At the connection limit, wait for one to close before accepting another.
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut signal => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Running out of file descriptors and the like: wait, then go on.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let _ = stream.set_nodelay(true);
            let (app, traced, grpc) = (app.clone(), traced.clone(), grpc.clone());
            let permit = Arc::new(permit);
            let held = permit.clone();
            let service =
                tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    use futures_util::TryFutureExt as _;
                    use futures_util::future::Either;
                    request.extensions_mut().insert(ConnectInfo(peer));
                    // A request that may become a WebSocket carries the connection's permit:
                    // the socket keeps its request's extensions, so the connection counts
                    // against the limit until the socket closes (hyper's connection future
                    // ends at the upgrade, and with it the task below).
                    if request.headers().contains_key(http::header::UPGRADE) {
                        request
                            .extensions_mut()
                            .insert(ConnectionPermit(held.clone()));
                    }
                    if let Some(timeout) = timeout {
                        request.extensions_mut().insert(timeout);
                    }
                    let request = request.map(axum::body::Body::new);
                    // Every answer has axum's body type, which hyper's connection code is
                    // then compiled for alone; only a traced response's body is boxed again.
                    if tracing::enabled!(target: "tower_http::trace", tracing::Level::DEBUG) {
                        return Either::Left(
                            traced
                                .clone()
                                .oneshot(request)
                                .map_ok(|response| response.map(axum::body::Body::new)),
                        );
                    }
                    // gRPC calls skip the HTTP router; its gRPC routes would lead to the same
                    // service.
                    Either::Right(match grpc.route(&request) {
                        Some(service) => Either::Left(service.call(request)),
                        None => Either::Right(app.clone().oneshot(request)),
                    })
                });
            let live = stats.connection();
            let (builder, watcher) = (builder.clone(), graceful.watcher());
            #[cfg(feature = "tls")]
            let acceptor = acceptor.clone();
            let first_byte = connections.header_read_timeout;
            tokio::spawn(async move {
                let _live = live;
                let _permit = permit;
                // A client that connects and sends nothing is let go after the header-read
                // timeout (hyper's own timer starts only once it has read something).
                let mut byte = [0u8; 1];
                match tokio::time::timeout(first_byte, stream.peek(&mut byte)).await {
                    Ok(Ok(n)) if n > 0 => {}
                    Ok(_) => return,
                    Err(_) => {
                        tracing::debug!(%peer, "no request within the header-read timeout");
                        return;
                    }
                }
                #[cfg(feature = "tls")]
                if let Some(acceptor) = acceptor {
                    // The handshake runs in the connection's task, bounded in time, so that a
                    // slow client holds up no one else.
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => {
                            serve_connection(builder, watcher, stream, service, peer).await
                        }
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                    return;
                }
                serve_connection(builder, watcher, stream, service, peer).await;
            });
        }
        drop(listener);
        tracing::info!("shutting down: waiting for open connections");
        // WebSockets are no longer HTTP connections: they close themselves with 1001.
        shutdown.cancel();
        if let Some(reporter) = &health {
            for name in health_names {
                reporter
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
        }
        graceful.shutdown().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while stats.websockets() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}

/// A connection's place under [`ServerBuilder::max_connections`], held while any clone lives.
#[derive(Clone)]
struct ConnectionPermit(
    #[allow(dead_code, reason = "held, never read")] Arc<tokio::sync::OwnedSemaphorePermit>,
);

/// How long a client may take over its TLS handshake.
#[cfg(feature = "tls")]
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one connection, plain or TLS, until it ends or graceful shutdown closes it.
async fn serve_connection<I, S, B>(
    mut builder: auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
    io: I,
    service: S,
    peer: std::net::SocketAddr,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = http::Response<B>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    builder.http1().timer(timer::ConnectionTimer::default());
    let connection =
        builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
    if let Err(error) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %error, "connection ended with an error");
    }
}

/// Refuses two services with one gRPC name, two routes with one verb and path, and two routes
/// that axum could not tell apart (`/a/{x}` and `/a/{y}`).
fn check_conflicts(descriptors: &[ServiceDescriptor]) -> Result<(), Error> {
    let mut routes: Vec<(&'static str, String, String, String)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for descriptor in descriptors {
        let name = descriptor.full_name();
        if names.contains(&name) {
            return Err(Error::route_conflict(format!(
                "gRPC service {name} is added twice"
            )));
        }
        // A WebSocket shares its path with any route but another WebSocket's: it claims the
        // pseudo-verb `WEBSOCKET`.
        let socket = descriptor.socket.map(|path| {
            (
                format!("{name} (socket)"),
                vec![HttpRoute {
                    method: "WEBSOCKET",
                    path: path.to_owned(),
                    shape: Some(path),
                }],
            )
        });
        let methods = descriptor.methods.iter().map(|method| {
            let mut routes = method.http.clone();
            if let Some(path) = &method.websocket {
                routes.push(HttpRoute {
                    method: "WEBSOCKET",
                    path: path.clone(),
                    shape: method.websocket_shape,
                });
            }
            (format!("{name}/{}", method.name), routes)
        });
        for (owner, method_routes) in methods.chain(socket) {
            for route in method_routes {
                let shape = route.shape.unwrap_or(&route.path).to_owned();
                for (verb, path, other_shape, other) in &routes {
                    if *other_shape != shape {
                        continue;
                    }
                    if *path != route.path {
                        return Err(Error::route_conflict(format!(
                            "{} of {owner} and {path} of {other} differ only in parameter names",
                            route.path
                        )));
                    }
                    if *verb == route.method {
                        return Err(Error::route_conflict(format!(
                            "{} {} is claimed by {other} and {owner}",
                            route.method, route.path
                        )));
                    }
                }
                routes.push((route.method, route.path, shape, owner.clone()));
            }
        }
        names.push(name);
    }
    Ok(())
}

/// Wraps a gRPC service in `tonic-web`'s translation of gRPC-Web.
fn grpc_web_service(grpc: BoxGrpcService) -> BoxGrpcService {
    let inner =
        tower::ServiceExt::map_request(grpc, |request: http::Request<tonic::body::Body>| {
            request.map(axum::body::Body::new)
        });
    grpc::boxed(tower::Layer::layer(&tonic_web::GrpcWebLayer::new(), inner))
}

/// The gRPC services by full name, sorted, for `serve*` to call a gRPC request's service without
/// routing it through axum: the router's gRPC routes lead to the same services, so that only the
/// cost differs (no path match, no `MatchedPath` and path-parameter extensions).
#[derive(Clone)]
struct GrpcTable(Arc<[(Box<str>, BoxGrpcService)]>);

impl GrpcTable {
    fn new(mut services: Vec<(Box<str>, BoxGrpcService)>) -> GrpcTable {
        services.sort_by(|a, b| a.0.cmp(&b.0));
        GrpcTable(services.into())
    }

    /// The service of a gRPC request (by its usual content type) to a known service name.
    fn route(&self, request: &Request) -> Option<&BoxGrpcService> {
        if self.0.is_empty() || !crate::connect::is_plain_grpc(request.headers()) {
            return None;
        }
        let (name, _method) = request.uri().path().strip_prefix('/')?.split_once('/')?;
        let index = self.0.binary_search_by(|(n, _)| (**n).cmp(name)).ok()?;
        Some(&self.0[index].1)
    }
}

/// Sends the requests at a service's path to its gRPC service, its gRPC-Web translation or its
/// Connect side, by content type; answers any other request there as the HTTP side would
/// answer an unknown path.
#[derive(Clone)]
struct GrpcGate {
    grpc: BoxGrpcService,
    web: Option<BoxGrpcService>,
    connect: Option<Arc<ConnectService>>,
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
        match (protocol, &self.web, &self.connect) {
            (Protocol::Grpc, _, _) => self.grpc.call(request),
            (Protocol::GrpcWeb, Some(web), _) => web.call(request),
            (Protocol::ConnectUnary | Protocol::ConnectStream, _, Some(connect)) => {
                let connect = connect.clone();
                Box::pin(async move { Ok(connect.call(protocol, request).await) })
            }
            _ => Box::pin(async move { Ok(not_found(request).await) }),
        }
    }
}
