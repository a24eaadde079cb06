//! gRPC server reflection, v1 and v1alpha, through `tonic-reflection`.

use super::service::{BoxGrpcService, boxed};
use crate::error::Error;

/// The reflection services, v1 and v1alpha, by name: each serves the descriptors of `set`, both
/// reflection services, and the health service when `health` is served.
pub(crate) fn reflection_services(
    set: prost_types::FileDescriptorSet,
    health: bool,
) -> Result<[(&'static str, BoxGrpcService); 2], Error> {
    // Each version lists both reflection services, as both are served.
    let configure = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_file_descriptor_set(set.clone())
            .include_reflection_service(false)
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            );
        if health {
            builder.register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
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
    Ok([
        ("grpc.reflection.v1.ServerReflection", boxed(v1)),
        ("grpc.reflection.v1alpha.ServerReflection", boxed(v1alpha)),
    ])
}
