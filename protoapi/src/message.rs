//! The traits that `#[protoapi::message]` implements.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::json::JsonMessage;
use crate::codec::text::TextMessage;
use crate::schema::NamedSchema;
use crate::validate::Validate;

/// A message usable in a protoapi service: a prost message with the proto3 JSON mapping and a
/// schema. Implemented by `#[protoapi::message]` on a struct; not meant to be implemented by hand.
///
/// ```
/// #[protoapi::message]
/// pub struct HelloRequest {
///     pub name: String,
/// }
///
/// use protoapi::ProtoMessage as _;
/// assert_eq!(HelloRequest::PROTO_NAME, "HelloRequest");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a protoapi message",
    label = "not a protoapi message",
    note = "mark the struct with `#[protoapi::message]`"
)]
pub trait ProtoMessage:
    prost::Message
    + Default
    + Clone
    + Serialize
    + DeserializeOwned
    + JsonMessage
    + TextMessage
    + NamedSchema
    + Validate
    + Send
    + Sync
    + 'static
{
    /// The message name in the `.proto` file.
    const PROTO_NAME: &'static str;
    /// Whether the HTTP body is a form (`#[form]`) rather than JSON.
    const FORM: bool = false;
    /// Whether the message has `#[file]` fields, which a method's `limit` then applies to.
    const FILES: bool = false;
    /// The names of each `#[file]` field: its proto name and its JSON name (the same when they
    /// are spelled alike), in declaration order.
    const FILE_FIELDS: &'static [[&'static str; 2]] = &[];
}

/// The request and response messages of one method, named once by generated code on a marker
/// type of the method. Every transport's glue is generic over the marker, so a type that is no
/// message is reported once, at this impl, and not again by each transport that uses it.
pub trait MethodMessages: Send + Sync + 'static {
    /// The request message (of each item, for a client stream).
    type Request: ProtoMessage;
    /// The response message (of each item, for a server stream; `FileChunk` for a download).
    type Response: ProtoMessage;
    /// The full name of the method's service, such as `hello.Greeter`.
    const SERVICE: &'static str;
    /// The rpc's name, such as `SayHello`.
    const METHOD: &'static str;
}

/// The limits of the method `M`, given the server's and the method's own `limit`.
pub fn method_limits<M: MethodMessages>(
    limits: crate::Limits,
    method_limit: Option<u64>,
) -> crate::Limits {
    limits.for_method(method_limit, M::Request::FILES)
}

/// Registers a request or response message in a service's schema and returns its name.
pub fn register_message<T: ProtoMessage>(registry: &mut crate::schema::Registry) -> &'static str {
    T::register(registry);
    T::PROTO_NAME
}

/// Registers the request message of the method `M` and returns its name.
pub fn register_request<M: MethodMessages>(registry: &mut crate::schema::Registry) -> &'static str {
    register_message::<M::Request>(registry)
}

/// Registers the response message of the method `M` and returns its name.
pub fn register_response<M: MethodMessages>(
    registry: &mut crate::schema::Registry,
) -> &'static str {
    register_message::<M::Response>(registry)
}

/// The proto name of the field of `M`'s response called `name` (`response_body`), for the
/// method's descriptor.
pub fn response_field<M: MethodMessages>(name: &str) -> Option<&'static str> {
    let index = <M::Response as JsonMessage>::field_index(name)?;
    <M::Response as JsonMessage>::FIELDS
        .get(index)
        .map(|(proto, _)| *proto)
}

/// A message or enum as a field's value: every trait the field codecs and a message's own
/// impls use. `#[protoapi::message]` implements it for each message and enum.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a protoapi message or enum",
    label = "not a protoapi message or enum",
    note = "mark the type with `#[protoapi::message]`"
)]
pub trait NamedValue:
    crate::codec::wire::NamedType
    + crate::codec::text::NamedText
    + NamedSchema
    + serde::Serialize
    + serde::de::DeserializeOwned
    + Clone
    + PartialEq
    + core::fmt::Debug
    + Default
{
}

/// Field `I` of message `M` holds a `Self`. Generated code implements it once per field that
/// holds a message or enum, spanned at the field's type, so that a type that is no message is
/// reported there once; the message's other impls require it with `for<'a> T: FieldOf<M, I>`,
/// which is never an error of its own, and which never cycles through recursive messages
/// because this impl has no conditions.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a protoapi message or enum",
    label = "not a protoapi message or enum",
    note = "mark the type with `#[protoapi::message]`"
)]
pub trait FieldOf<M, const I: usize>: NamedValue {}
