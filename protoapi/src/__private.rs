//! What generated code names. Not part of the public API: it may change in any release.

pub use ::axum;
pub use ::bytes;
pub use ::http;
pub use ::prost;
pub use ::serde;
pub use ::tonic;

pub use crate::file::FileField;
pub use crate::limits::Limits;
pub use crate::path::HttpConfig;

pub use crate::codec::ProtoMap;
pub use crate::codec::json::{self, JsonField, JsonKind, JsonMessage};
pub use crate::codec::text::{self, NamedText, TextField, TextKind, TextMessage};
pub use crate::codec::wire::{
    self, Bool, Bytes, Double, Fixed32, Fixed64, Float, Int32, Int64, Map, Named, NamedType,
    Optional, Repeated, SFixed32, SFixed64, SInt32, SInt64, Singular, Str, UInt32, UInt64,
    WireField, WireKind,
};
pub use crate::grpc::codegen as grpc;
// The HTTP transport's part is `rest`: `http` is the http crate, as in tonic's codegen.
pub use crate::http::codegen as rest;
pub use crate::method::codegen as method;
pub use crate::schema::{
    Constraints, EnumDescriptor, EnumValueDescriptor, FieldDescriptor, FieldEntry, FieldType,
    HttpRoute, MessageDescriptor, MethodDescriptor, NamedSchema, Registry, SchemaField,
    ServiceDescriptor, Verb,
};
pub use crate::validate::Validate;
pub use crate::validate::rules as validate;
pub use crate::websocket::codegen as websocket;

pub use ::core::convert::Infallible;
pub use ::core::future::Future;
pub use ::core::pin::Pin;
pub use ::core::task::{Context as TaskContext, Poll};
pub use ::std::sync::Arc;

pub use crate::download::register_download;
pub use crate::limits::{call_timeout, within};
pub use crate::message::{
    FieldOf, MethodMessages, NamedValue, method_limits, register_request, register_response,
    response_field,
};
pub use crate::server::not_found;
pub use crate::upload::register_upload;
