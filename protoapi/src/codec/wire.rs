//! Protobuf wire encoding of message fields, built on `prost::encoding`.
//!
//! `#[protoapi::message]` implements `prost::Message` by naming one *field codec* per field,
//! such as `Singular<Int64>` or `Repeated<Named>`, and calling it for the field's tag. The codecs
//! are zero-sized markers: every decision (which encoding, packed or not) is made by the type
//! system at compile time, and the code that runs is prost's own primitives.

use core::marker::PhantomData;
use std::collections::{BTreeMap, HashMap};

use bytes::{Buf, BufMut};
use prost::DecodeError;
use prost::encoding::{
    DecodeContext, WireType, check_wire_type, decode_varint, encode_key, encode_varint,
    encoded_len_varint, key_len, merge_loop,
};

/// How one value of a protobuf type is written on the wire (without its field key).
///
/// For length-delimited types the value includes its length prefix.
pub trait WireKind<T> {
    /// The wire type of a single value.
    const WIRE_TYPE: WireType;
    /// Whether repeated values of this kind are packed (proto3 packs scalar numbers).
    const PACKABLE: bool;
    /// Whether `value` is the proto3 default, omitted from the wire under implicit presence.
    fn is_default(value: &T) -> bool;
    /// Writes the value.
    fn encode_value(value: &T, buf: &mut impl BufMut);
    /// The number of bytes `encode_value` writes.
    fn value_len(value: &T) -> usize;
    /// Reads one value (its wire type already checked) into `value`.
    fn merge_value(
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
}

/// A message field: its key, its presence rule and its values.
pub trait WireField<T> {
    /// Writes the field, or nothing when it is absent.
    fn encode(tag: u32, value: &T, buf: &mut impl BufMut);
    /// The number of bytes `encode` writes.
    fn encoded_len(tag: u32, value: &T) -> usize;
    /// Reads one occurrence of the field.
    fn merge(
        wire_type: WireType,
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError>;
}

/// A message or enum type declared with `#[protoapi::message]`.
///
/// Generated code implements it; `Named` forwards to it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a protoapi message or enum",
    label = "not a protoapi message or enum",
    note = "mark the type with `#[protoapi::message]`"
)]
pub trait NamedType: Default + Sized {
    /// `LengthDelimited` for messages, `Varint` for enums.
    const WIRE_TYPE: WireType;
    /// `true` for enums.
    const PACKABLE: bool;
    /// Enums: the zero value. Messages: never (a plain message field is always present).
    fn is_default_value(&self) -> bool;
    /// See [`WireKind::encode_value`].
    fn encode_value(&self, buf: &mut impl BufMut);
    /// See [`WireKind::value_len`].
    fn value_len(&self) -> usize;
    /// See [`WireKind::merge_value`].
    fn merge_value(&mut self, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError>;
    /// Messages: checks the message's rules ([`crate::Validate`]). Enums have none.
    fn validate_named(&self, violations: &mut crate::validate::Violations) {
        let _ = violations;
    }
}

macro_rules! markers {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(());
    )*};
}

markers! {
    /// `int32`: varint, negative values sign-extended to ten bytes.
    Int32,
    /// `sint32`: zigzag varint.
    SInt32,
    /// `sfixed32`: four bytes.
    SFixed32,
    /// `int64`: varint.
    Int64,
    /// `sint64`: zigzag varint.
    SInt64,
    /// `sfixed64`: eight bytes.
    SFixed64,
    /// `uint32`: varint.
    UInt32,
    /// `fixed32`: four bytes.
    Fixed32,
    /// `uint64`: varint.
    UInt64,
    /// `fixed64`: eight bytes.
    Fixed64,
    /// `bool`: varint 0 or 1.
    Bool,
    /// `float`: four bytes.
    Float,
    /// `double`: eight bytes.
    Double,
    /// `string`: length-delimited UTF-8.
    Str,
    /// `bytes`: length-delimited, as `Vec<u8>` or `bytes::Bytes`.
    Bytes,
    /// A message or enum type declared with `#[protoapi::message]`.
    Named,
}

/// A singular field with proto3 implicit presence: omitted when it holds the default.
#[derive(Debug)]
pub struct Singular<K>(PhantomData<K>);
/// A proto3 `optional` field (`Option<T>`): present exactly when `Some`.
#[derive(Debug)]
pub struct Optional<K>(PhantomData<K>);
/// A `repeated` field (`Vec<T>`), packed when the kind packs.
#[derive(Debug)]
pub struct Repeated<K>(PhantomData<K>);
/// A `map<K, V>` field (`HashMap` or `BTreeMap`).
#[derive(Debug)]
pub struct Map<K, V>(PhantomData<(K, V)>);

macro_rules! varint_kind {
    ($marker:ident, $ty:ty, |$e:ident| $encode:expr, |$d:ident| $decode:expr) => {
        impl WireKind<$ty> for $marker {
            const WIRE_TYPE: WireType = WireType::Varint;
            const PACKABLE: bool = true;
            #[inline]
            fn is_default(value: &$ty) -> bool {
                *value == <$ty>::default()
            }
            #[inline]
            fn encode_value(value: &$ty, buf: &mut impl BufMut) {
                let $e = *value;
                encode_varint($encode, buf);
            }
            #[inline]
            fn value_len(value: &$ty) -> usize {
                let $e = *value;
                encoded_len_varint($encode)
            }
            #[inline]
            fn merge_value(
                value: &mut $ty,
                buf: &mut impl Buf,
                _ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                let $d = decode_varint(buf)?;
                *value = $decode;
                Ok(())
            }
        }
    };
}

varint_kind!(Int32, i32, |v| v as i64 as u64, |v| v as i32);
varint_kind!(Int64, i64, |v| v as u64, |v| v as i64);
varint_kind!(UInt32, u32, |v| u64::from(v), |v| v as u32);
varint_kind!(UInt64, u64, |v| v, |v| v);
varint_kind!(Bool, bool, |v| u64::from(v), |v| v != 0);
varint_kind!(SInt32, i32, |v| ((v << 1) ^ (v >> 31)) as u32 as u64, |v| {
    let v = v as u32;
    ((v >> 1) as i32) ^ (-((v & 1) as i32))
});
varint_kind!(
    SInt64,
    i64,
    |v| ((v << 1) ^ (v >> 63)) as u64,
    |v| ((v >> 1) as i64) ^ (-((v & 1) as i64))
);

macro_rules! fixed_kind {
    ($marker:ident, $ty:ty, $wire:ident, $width:expr, $put:ident, $module:ident) => {
        impl WireKind<$ty> for $marker {
            const WIRE_TYPE: WireType = WireType::$wire;
            const PACKABLE: bool = true;
            #[inline]
            #[allow(clippy::float_cmp)]
            fn is_default(value: &$ty) -> bool {
                // Bit comparison, so that -0.0 (which proto3 keeps) is not taken for 0.0.
                value.to_le_bytes() == <$ty>::default().to_le_bytes()
            }
            #[inline]
            fn encode_value(value: &$ty, buf: &mut impl BufMut) {
                buf.$put(*value);
            }
            #[inline]
            fn value_len(_: &$ty) -> usize {
                $width
            }
            #[inline]
            fn merge_value(
                value: &mut $ty,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                prost::encoding::$module::merge(WireType::$wire, value, buf, ctx)
            }
        }
    };
}

fixed_kind!(SFixed32, i32, ThirtyTwoBit, 4, put_i32_le, sfixed32);
fixed_kind!(Fixed32, u32, ThirtyTwoBit, 4, put_u32_le, fixed32);
fixed_kind!(Float, f32, ThirtyTwoBit, 4, put_f32_le, float);
fixed_kind!(SFixed64, i64, SixtyFourBit, 8, put_i64_le, sfixed64);
fixed_kind!(Fixed64, u64, SixtyFourBit, 8, put_u64_le, fixed64);
fixed_kind!(Double, f64, SixtyFourBit, 8, put_f64_le, double);

#[inline]
fn delimited_len(len: usize) -> usize {
    encoded_len_varint(len as u64) + len
}

impl WireKind<String> for Str {
    const WIRE_TYPE: WireType = WireType::LengthDelimited;
    const PACKABLE: bool = false;
    #[inline]
    fn is_default(value: &String) -> bool {
        value.is_empty()
    }
    #[inline]
    fn encode_value(value: &String, buf: &mut impl BufMut) {
        encode_varint(value.len() as u64, buf);
        buf.put_slice(value.as_bytes());
    }
    #[inline]
    fn value_len(value: &String) -> usize {
        delimited_len(value.len())
    }
    #[inline]
    fn merge_value(
        value: &mut String,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        prost::encoding::string::merge(WireType::LengthDelimited, value, buf, ctx)
    }
}

impl<T> WireKind<T> for Bytes
where
    T: prost::encoding::BytesAdapter + AsRef<[u8]>,
{
    const WIRE_TYPE: WireType = WireType::LengthDelimited;
    const PACKABLE: bool = false;
    #[inline]
    fn is_default(value: &T) -> bool {
        value.as_ref().is_empty()
    }
    #[inline]
    fn encode_value(value: &T, buf: &mut impl BufMut) {
        let bytes = value.as_ref();
        encode_varint(bytes.len() as u64, buf);
        buf.put_slice(bytes);
    }
    #[inline]
    fn value_len(value: &T) -> usize {
        delimited_len(value.as_ref().len())
    }
    #[inline]
    fn merge_value(
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        prost::encoding::bytes::merge(WireType::LengthDelimited, value, buf, ctx)
    }
}

impl<T: NamedType> WireKind<T> for Named {
    const WIRE_TYPE: WireType = T::WIRE_TYPE;
    const PACKABLE: bool = T::PACKABLE;
    #[inline]
    fn is_default(value: &T) -> bool {
        value.is_default_value()
    }
    #[inline]
    fn encode_value(value: &T, buf: &mut impl BufMut) {
        value.encode_value(buf)
    }
    #[inline]
    fn value_len(value: &T) -> usize {
        value.value_len()
    }
    #[inline]
    fn merge_value(
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        value.merge_value(buf, ctx)
    }
}

/// [`NamedType::encode_value`] of a message: its length, then its fields.
#[inline]
pub fn message_encode_value<M: prost::Message>(msg: &M, buf: &mut impl BufMut) {
    encode_varint(msg.encoded_len() as u64, buf);
    msg.encode_raw(buf);
}

/// [`NamedType::value_len`] of a message.
#[inline]
pub fn message_value_len<M: prost::Message>(msg: &M) -> usize {
    delimited_len(msg.encoded_len())
}

/// [`NamedType::merge_value`] of a message, with prost's recursion limit.
#[inline]
pub fn message_merge_value<M: prost::Message>(
    msg: &mut M,
    buf: &mut impl Buf,
    ctx: DecodeContext,
) -> Result<(), DecodeError> {
    prost::encoding::message::merge(WireType::LengthDelimited, msg, buf, ctx)
}

/// [`NamedType::merge_value`] of an enum: a varint that must name a declared value.
#[inline]
pub fn enum_merge_value<E: crate::codec::ProtoEnum>(
    value: &mut E,
    buf: &mut impl Buf,
) -> Result<(), DecodeError> {
    let number = decode_varint(buf)? as i32;
    match E::from_i32(number) {
        Some(v) => {
            *value = v;
            Ok(())
        }
        // prost offers no other way to make a decode error with a message of our own.
        #[allow(deprecated)]
        None => Err(DecodeError::new(format!(
            "unknown value {number} of enum {}",
            E::PROTO_NAME
        ))),
    }
}

/// Adds the message and field to a decoding error, as prost-derive does.
#[cold]
pub fn field_error(
    mut error: DecodeError,
    message: &'static str,
    field: &'static str,
) -> DecodeError {
    error.push(message, field);
    error
}

impl<T, K: WireKind<T>> WireField<T> for Singular<K> {
    #[inline]
    fn encode(tag: u32, value: &T, buf: &mut impl BufMut) {
        if !K::is_default(value) {
            encode_key(tag, K::WIRE_TYPE, buf);
            K::encode_value(value, buf);
        }
    }
    #[inline]
    fn encoded_len(tag: u32, value: &T) -> usize {
        if K::is_default(value) {
            0
        } else {
            key_len(tag) + K::value_len(value)
        }
    }
    #[inline]
    fn merge(
        wire_type: WireType,
        value: &mut T,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        check_wire_type(K::WIRE_TYPE, wire_type)?;
        K::merge_value(value, buf, ctx)
    }
}

impl<T: Default, K: WireKind<T>> WireField<Option<T>> for Optional<K> {
    #[inline]
    fn encode(tag: u32, value: &Option<T>, buf: &mut impl BufMut) {
        if let Some(value) = value {
            encode_key(tag, K::WIRE_TYPE, buf);
            K::encode_value(value, buf);
        }
    }
    #[inline]
    fn encoded_len(tag: u32, value: &Option<T>) -> usize {
        value.as_ref().map_or(0, |v| key_len(tag) + K::value_len(v))
    }
    #[inline]
    fn merge(
        wire_type: WireType,
        value: &mut Option<T>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        check_wire_type(K::WIRE_TYPE, wire_type)?;
        K::merge_value(value.get_or_insert_with(T::default), buf, ctx)
    }
}

impl<T: Default, K: WireKind<T>> WireField<Vec<T>> for Repeated<K> {
    #[inline]
    fn encode(tag: u32, values: &Vec<T>, buf: &mut impl BufMut) {
        if values.is_empty() {
            return;
        }
        if K::PACKABLE {
            encode_key(tag, WireType::LengthDelimited, buf);
            let len: usize = values.iter().map(K::value_len).sum();
            encode_varint(len as u64, buf);
            for value in values {
                K::encode_value(value, buf);
            }
        } else {
            for value in values {
                encode_key(tag, K::WIRE_TYPE, buf);
                K::encode_value(value, buf);
            }
        }
    }
    #[inline]
    fn encoded_len(tag: u32, values: &Vec<T>) -> usize {
        if values.is_empty() {
            return 0;
        }
        let len: usize = values.iter().map(K::value_len).sum();
        if K::PACKABLE {
            key_len(tag) + delimited_len(len)
        } else {
            key_len(tag) * values.len() + len
        }
    }
    fn merge(
        wire_type: WireType,
        values: &mut Vec<T>,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if K::PACKABLE && wire_type == WireType::LengthDelimited {
            // Parsers accept packed and unpacked forms of a packable field alike.
            merge_loop(values, buf, ctx, |values, buf, ctx| {
                let mut value = T::default();
                K::merge_value(&mut value, buf, ctx)?;
                values.push(value);
                Ok(())
            })
        } else {
            check_wire_type(K::WIRE_TYPE, wire_type)?;
            let mut value = T::default();
            K::merge_value(&mut value, buf, ctx)?;
            values.push(value);
            Ok(())
        }
    }
}

macro_rules! map_field {
    ($map:ident, $module:ident, $($bound:tt)*) => {
        impl<K, V, KK, VK> WireField<$map<K, V>> for Map<KK, VK>
        where
            K: Default + Eq + Ord + $($bound)*,
            V: Default + PartialEq,
            KK: WireKind<K>,
            VK: WireKind<V>,
        {
            fn encode(tag: u32, values: &$map<K, V>, buf: &mut impl BufMut) {
                prost::encoding::$module::encode(
                    |tag, k, buf| {
                        encode_key(tag, KK::WIRE_TYPE, buf);
                        KK::encode_value(k, buf)
                    },
                    |tag, k| key_len(tag) + KK::value_len(k),
                    |tag, v, buf| {
                        encode_key(tag, VK::WIRE_TYPE, buf);
                        VK::encode_value(v, buf)
                    },
                    |tag, v| key_len(tag) + VK::value_len(v),
                    tag,
                    values,
                    buf,
                )
            }
            fn encoded_len(tag: u32, values: &$map<K, V>) -> usize {
                prost::encoding::$module::encoded_len(
                    |tag, k| key_len(tag) + KK::value_len(k),
                    |tag, v| key_len(tag) + VK::value_len(v),
                    tag,
                    values,
                )
            }
            fn merge(
                wire_type: WireType,
                values: &mut $map<K, V>,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                check_wire_type(WireType::LengthDelimited, wire_type)?;
                prost::encoding::$module::merge(
                    |wire_type, k, buf, ctx| {
                        check_wire_type(KK::WIRE_TYPE, wire_type)?;
                        KK::merge_value(k, buf, ctx)
                    },
                    |wire_type, v, buf, ctx| {
                        check_wire_type(VK::WIRE_TYPE, wire_type)?;
                        VK::merge_value(v, buf, ctx)
                    },
                    values,
                    buf,
                    ctx,
                )
            }
        }
    };
}

map_field!(HashMap, hash_map, core::hash::Hash);
map_field!(BTreeMap, btree_map, core::hash::Hash);
