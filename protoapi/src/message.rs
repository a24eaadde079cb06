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

/// A proto enum: a C-like Rust enum marked with `#[protoapi::message]`.
///
/// ```
/// #[protoapi::message]
/// pub enum Kind {
///     Message,
///     Joined,
/// }
///
/// use protoapi::ProtoEnum as _;
/// assert_eq!(Kind::Joined.name(), "JOINED");
/// assert_eq!(Kind::from_name("JOINED"), Some(Kind::Joined));
/// assert_eq!(Kind::from_i32(0), Some(Kind::Message));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a protoapi enum",
    note = "mark the enum with `#[protoapi::message]`"
)]
pub trait ProtoEnum: Copy + Default + Send + Sync + 'static {
    /// The enum name in the `.proto` file.
    const PROTO_NAME: &'static str;
    /// Every value's name and number, in declaration order.
    const VALUES: &'static [(&'static str, i32)];
    /// The value with this number.
    fn from_i32(number: i32) -> Option<Self>;
    /// The value's number.
    fn to_i32(self) -> i32;
    /// The value with this name.
    fn from_name(name: &str) -> Option<Self> {
        Self::VALUES
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, number)| Self::from_i32(*number))
    }
    /// The value's name.
    fn name(self) -> &'static str {
        let number = self.to_i32();
        Self::VALUES
            .iter()
            .find(|(_, n)| *n == number)
            .map_or("", |(name, _)| name)
    }
}

/// Generated code asserts with this that a request or response type is a message, so that the
/// error points at the type in the user's method signature.
pub const fn assert_message<T: ProtoMessage>() {}

/// Registers a request or response message in a service's schema and returns its name.
pub fn register_message<T: ProtoMessage>(registry: &mut crate::schema::Registry) -> &'static str {
    T::register(registry);
    T::PROTO_NAME
}
