//! gRPC-Web, through `tonic-web`'s translation.

use super::service::{BoxGrpcService, boxed};

/// Wraps a gRPC service in `tonic-web`'s translation of gRPC-Web.
pub(crate) fn grpc_web_service(grpc: BoxGrpcService) -> BoxGrpcService {
    let inner =
        tower::ServiceExt::map_request(grpc, |request: http::Request<tonic::body::Body>| {
            request.map(axum::body::Body::new)
        });
    boxed(tower::Layer::layer(&tonic_web::GrpcWebLayer::new(), inner))
}
