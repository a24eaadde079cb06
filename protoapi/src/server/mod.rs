//! [`Server`]: one port for gRPC (h2c), HTTP/1.1 and HTTP/2.
//!
//! - `builder`: [`ServerBuilder`], the configuration;
//! - `router`: which transport takes a request, and the router of every service;
//! - `accept`: the accept loop, and `Serving`, how one connection is served (over TCP, or an
//!   in-memory pipe for `protoapi::test`);
//! - `openapi`: the OpenAPI document at its path;
//! - `timer`: hyper's header-read timer, one per connection;
//! - `tls`: `TlsConfig` (feature `tls`).

mod accept;
mod builder;
mod openapi;
mod router;
mod timer;
#[cfg(feature = "tls")]
mod tls;

#[cfg(feature = "test")]
pub(crate) use accept::{Connection, Serving};
pub use builder::ServerBuilder;
pub use router::{not_found, reject};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

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
