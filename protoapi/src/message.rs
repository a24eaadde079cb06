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
}

/// Generated code asserts with this that a request or response type is a message, so that the
/// error points at the type in the user's method signature.
pub const fn assert_message<T: ProtoMessage>() {}

/// Registers a request or response message in a service's schema and returns its name.
pub fn register_message<T: ProtoMessage>(registry: &mut crate::schema::Registry) -> &'static str {
    T::register(registry);
    T::PROTO_NAME
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
