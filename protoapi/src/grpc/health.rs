//! The gRPC health service `grpc.health.v1.Health`, through `tonic-health`.

use futures_util::FutureExt as _;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

use super::service::{BoxGrpcService, boxed};

/// The health service's full name.
pub(crate) const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// The health service of `reporter`, with the server (`""`) and every name of `services`
/// marked `SERVING`.
pub(crate) fn health_service(
    reporter: &HealthReporter,
    services: impl IntoIterator<Item = String>,
) -> BoxGrpcService {
    for name in std::iter::once(String::new()).chain(services) {
        // A fresh reporter's lock is free: the update completes at once.
        let _ = reporter
            .set_service_status(&name, ServingStatus::Serving)
            .now_or_never();
    }
    boxed(HealthServer::new(HealthService::from_health_reporter(
        reporter.clone(),
    )))
}
