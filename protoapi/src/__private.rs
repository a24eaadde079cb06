//! What generated code names. Not part of the public API: it may change in any release.

pub use ::axum;
pub use ::bytes;
pub use ::http;
pub use ::prost;
pub use ::serde;
pub use ::tonic;

pub use crate::download::Conditions;
pub use crate::file::FileField;
pub use crate::limits::Limits;
pub use crate::path::HttpConfig;

pub use crate::codec::json::{self, JsonField, JsonKind, JsonMessage};
pub use crate::codec::text::{self, NamedText, TextField, TextKind, TextMessage};
pub use crate::codec::wire::{
    self, Bool, Bytes, Double, Fixed32, Fixed64, Float, Int32, Int64, Map, Named, NamedType,
    Optional, Repeated, SFixed32, SFixed64, SInt32, SInt64, Singular, Str, UInt32, UInt64,
    WireField, WireKind,
};
pub use crate::codec::{FieldOf, NamedValue, ProtoMap};
#[path = "grpc.rs"]
pub mod grpc;
#[path = "http.rs"]
pub mod rest;
#[path = "ws.rs"]
pub mod socket;
#[path = "validate.rs"]
pub mod validate;
pub use crate::schema::{
    Constraints, EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FieldEntry, FieldType,
    HttpRoute, MessageDescriptor, MethodDescriptor, NamedSchema, Registry, SchemaField,
    ServiceDescriptor,
};
pub use validate::Validate;

pub use ::core::convert::Infallible;
pub use ::core::future::Future;
pub use ::core::pin::Pin;
pub use ::core::task::{Context as TaskContext, Poll};
pub use ::std::sync::Arc;

/// How long a call of a method whose own timeout is `method` (milliseconds) may take.
pub fn call_timeout(ctx: &crate::Context, method: Option<u64>) -> Option<std::time::Duration> {
    crate::limits::call_timeout(ctx, method)
}

/// Runs a call within its timeout; past it the answer is `deadline_exceeded`.
pub fn within<T>(
    timeout: Option<std::time::Duration>,
    call: impl Future<Output = Result<T, crate::Status>>,
) -> impl Future<Output = Result<T, crate::Status>> {
    crate::limits::within(timeout, call)
}

/// A boxed, sendable future, as the generated gRPC dispatch returns.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Generated code asserts with this that a request or response type is a message, so that the
/// error points at the type in the user's method signature.
pub const fn assert_message<T: crate::ProtoMessage>() {}

/// Registers the messages of a download's answer and returns the streamed message's name.
pub fn register_download(registry: &mut Registry) -> &'static str {
    register_message::<crate::FileChunk>(registry)
}

/// Registers a request or response message in a service's schema and returns its name.
pub fn register_message<T: crate::ProtoMessage>(registry: &mut Registry) -> &'static str {
    T::register(registry);
    T::PROTO_NAME
}
