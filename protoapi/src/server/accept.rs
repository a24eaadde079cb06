//! The accept loop: connections, their limits and timeouts, TLS, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, ToSocketAddrs};
use tonic_health::ServingStatus;
use tower::ServiceExt as _;
use tower_http::trace::TraceLayer;

use super::router::not_found;
use super::{ServerBuilder, timer};
use crate::budget::{Meter, MeteredIo};
use crate::error::Error;

impl ServerBuilder {
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
        let serving = self.serving().await?;
        if let Ok(addr) = listener.local_addr() {
            tracing::info!("listening on {scheme}://{addr}");
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
            let permit = Arc::new(permit);
            let serving = serving.clone();
            let live = stats.connection();
            let watcher = graceful.watcher();
            #[cfg(feature = "tls")]
            let acceptor = acceptor.clone();
            let first_byte = connections.header_read_timeout;
            tokio::spawn(async move {
                let _live = live;
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
                // The connection's reads, metered once it becomes a WebSocket.
                let meter = Meter::default();
                let stream = MeteredIo::new(stream, meter.clone());
                let connection = Connection {
                    peer,
                    permit: Some(permit),
                    meter,
                    watcher: Some(watcher),
                };
                #[cfg(feature = "tls")]
                if let Some(acceptor) = acceptor {
                    // The handshake runs in the connection's task, bounded in time, so that a
                    // slow client holds up no one else.
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => serving.serve(stream, connection).await,
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                    return;
                }
                serving.serve(stream, connection).await;
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

/// One connection as [`Serving::serve`] takes it: who is on the other end, and what it holds.
pub(crate) struct Connection {
    pub(crate) peer: SocketAddr,
    /// The connection's place under the connection limit, which a WebSocket keeps.
    pub(crate) permit: Option<Arc<tokio::sync::OwnedSemaphorePermit>>,
    /// The connection's reads, metered once it becomes a WebSocket.
    pub(crate) meter: Meter,
    /// Graceful shutdown, which closes the connection once its requests are answered.
    pub(crate) watcher: Option<hyper_util::server::graceful::Watcher>,
}

/// What serves every connection of a server, over TCP or (for `protoapi::test`) an in-memory
/// pipe: the built router, the gRPC table, hyper's settings and the request extensions.
#[derive(Clone)]
pub(crate) struct Serving {
    app: App,
    traced: TraceRouter,
    grpc: super::router::GrpcTable,
    builder: auto::Builder<TokioExecutor>,
    timeout: Option<crate::limits::ServerTimeout>,
}

/// The router with errors as problems where asked for.
type App = crate::http::ProblemService<axum::Router>;

/// The router behind `TraceLayer`, used while `debug` spans of `tower_http` are recorded.
type TraceRouter = tower_http::trace::Trace<
    App,
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
>;

impl ServerBuilder {
    /// The server built for serving connections: its routes, the layers around them, and
    /// hyper's settings; its rooms ready.
    pub(crate) async fn serving(self) -> Result<Serving, Error> {
        let connections = self.connections;
        let timeout = self
            .limits
            .timeout_limit()
            .map(crate::limits::ServerTimeout);
        let head = self.limits.head_limit();
        let rooms = self.rooms.clone();
        let problems = crate::http::Problems {
            always: self.problem_details,
        };
        let (app, grpc) = self.build()?;
        rooms.ready().await?;
        // Errors become problems when asked for; a plain layer around the router, so that no
        // route is boxed again.
        let app = tower::Layer::layer(&problems, app.fallback(not_found));
        // Around the router, so that no route is boxed again; used only while `debug` spans are
        // recorded, since it reads the clock twice per request.
        let traced = tower::Layer::layer(&TraceLayer::new_for_http(), app.clone());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The timer that makes the header-read timeout work is set per connection
        // (`Serving::serve`).
        builder
            .http1()
            .header_read_timeout(connections.header_read_timeout);
        builder
            .http2()
            .max_concurrent_streams(connections.max_streams);
        // hyper's HTTP/1.1 buffer holds the request line and headers, and is at least 8 KiB.
        builder.http1().max_buf_size(head.max(8192));
        builder
            .http2()
            .max_header_list_size(u32::try_from(head).unwrap_or(u32::MAX));
        Ok(Serving {
            app,
            traced,
            grpc,
            builder,
            timeout,
        })
    }
}

impl Serving {
    /// Serves one connection, plain or TLS, until it ends or graceful shutdown closes it.
    pub(crate) async fn serve<I>(&self, io: I, connection: Connection)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            peer,
            permit,
            meter,
            watcher,
        } = connection;
        let (app, traced, grpc, timeout) = (
            self.app.clone(),
            self.traced.clone(),
            self.grpc.clone(),
            self.timeout,
        );
        let service =
            tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                use futures_util::TryFutureExt as _;
                use futures_util::future::Either;
                request.extensions_mut().insert(ConnectInfo(peer));
                // A possible WebSocket keeps the connection's permit in its extensions, so that it
                // counts until the socket closes (the connection's task ends at the upgrade).
                if request.headers().contains_key(http::header::UPGRADE) {
                    if let Some(permit) = &permit {
                        request
                            .extensions_mut()
                            .insert(ConnectionPermit(permit.clone()));
                    }
                    request.extensions_mut().insert(meter.clone());
                }
                if let Some(timeout) = timeout {
                    request.extensions_mut().insert(timeout);
                }
                let request = request.map(axum::body::Body::new);
                // Every answer has axum's body type, which hyper's connection code is then
                // compiled for alone; only a traced response's body is boxed again.
                if tracing::enabled!(target: "tower_http::trace", tracing::Level::DEBUG) {
                    return Either::Left(
                        traced
                            .clone()
                            .oneshot(request)
                            .map_ok(|response| response.map(axum::body::Body::new)),
                    );
                }
                // gRPC, gRPC-Web and Connect calls skip the HTTP router; its routes at the
                // services' paths would lead to the same gates.
                Either::Right(match grpc.route(&request) {
                    Some((gate, protocol)) => Either::Left(gate.dispatch(protocol, request)),
                    None => Either::Right(app.clone().oneshot(request)),
                })
            });
        let mut builder = self.builder.clone();
        builder.http1().timer(timer::ConnectionTimer::default());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
        let ended = match watcher {
            Some(watcher) => watcher.watch(connection).await,
            None => connection.await,
        };
        if let Err(error) = ended {
            tracing::debug!(%peer, error = %error, "connection ended with an error");
        }
    }
}
