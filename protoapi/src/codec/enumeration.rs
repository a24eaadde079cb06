//! [`ProtoEnum`]: what every field codec needs of a proto enum.

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
    fn name(self) -> &'static str;
}
