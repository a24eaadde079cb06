//! Field values from text: path parameters, query strings and form fields.
//!
//! A key names a field by either spelling (`int64_value` or `int64Value`); `a.b` reaches field
//! `b` of the message in field `a`; a repeated field gets one value per occurrence of its key.
//! Integers, floats and bools are parsed from their decimal text, enums by name or number,
//! bytes from base64. Like the field codecs of [`super::wire`], the decision is made by the
//! codec type the macro names for each field.

use core::fmt;

use super::wire::{
    Bool, Bytes, Double, Fixed32, Fixed64, Float, Int32, Int64, Map, Named, Optional, Repeated,
    SFixed32, SFixed64, SInt32, SInt64, Singular, Str, UInt32, UInt64,
};
use crate::codec::ProtoEnum;
use crate::status::shown;

/// Why a text value could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// The value does not parse as the field's type; the reason.
    Invalid(String),
    /// The key has more segments than the field has levels (`name.x` for a string field).
    NotAMessage,
    /// A message field given a value without a sub-key (`child=1` instead of `child.name=1`).
    IsAMessage,
    /// The field cannot be set from text (a map, or a message inside a repeated field).
    Unsupported,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Invalid(reason) => f.write_str(reason),
            TextError::NotAMessage => {
                f.write_str("the field is not a message, so it has no sub-fields")
            }
            TextError::IsAMessage => {
                f.write_str("the field is a message: set its fields as `field.subfield`")
            }
            TextError::Unsupported => {
                f.write_str("maps and repeated messages cannot be set from text")
            }
        }
    }
}

/// How one value of a kind is read from text; `rest` is what is left of the key after this
/// field's name (`Some("b")` for key `a.b` at field `a`).
pub trait TextKind<T> {
    /// Stores `text` into `value`.
    fn merge_text(value: &mut T, rest: Option<&str>, text: &str) -> Result<(), TextError>;
}

/// How a field takes a text value.
pub trait TextField<T> {
    /// Stores `text` into the field.
    fn merge_text(value: &mut T, rest: Option<&str>, text: &str) -> Result<(), TextError>;
}

/// A message whose fields can be set from text keys, implemented by `#[protoapi::message]`.
pub trait TextMessage {
    /// Stores `text` at `key`. `Ok(false)` when no field has that name (the key is ignored).
    fn merge_text(&mut self, key: &str, text: &str) -> Result<bool, TextError>;

    /// Stores an uploaded file in the `#[file]` field called `name`; `false` when there is none
    /// (the file is dropped, and with it its temporary file).
    fn merge_file(&mut self, name: &str, file: crate::file::File) -> bool {
        let _ = (name, file);
        false
    }
}

/// A message or enum type's text rule, implemented by `#[protoapi::message]`.
pub trait NamedText: Sized {
    /// Messages: sets a sub-field. Enums: parses a name or number.
    fn merge_named_text(&mut self, rest: Option<&str>, text: &str) -> Result<(), TextError>;
}

/// Splits a key into its first segment and the rest.
#[inline]
pub fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (key, None),
    }
}

fn no_rest(rest: Option<&str>) -> Result<(), TextError> {
    match rest {
        Some(_) => Err(TextError::NotAMessage),
        None => Ok(()),
    }
}

impl<T, K: TextKind<T>> TextField<T> for Singular<K> {
    #[inline]
    fn merge_text(value: &mut T, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        K::merge_text(value, rest, text)
    }
}

impl<T: Default, K: TextKind<T>> TextField<Option<T>> for Optional<K> {
    #[inline]
    fn merge_text(value: &mut Option<T>, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        K::merge_text(value.get_or_insert_with(T::default), rest, text)
    }
}

impl<T: Default, K: TextKind<T>> TextField<Vec<T>> for Repeated<K> {
    fn merge_text(values: &mut Vec<T>, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        if rest.is_some() {
            // `items.name=x` cannot say which element it means.
            return Err(TextError::Unsupported);
        }
        let mut value = T::default();
        K::merge_text(&mut value, None, text)?;
        values.push(value);
        Ok(())
    }
}

impl<M, KK, VK> TextField<M> for Map<KK, VK> {
    fn merge_text(_: &mut M, _: Option<&str>, _: &str) -> Result<(), TextError> {
        Err(TextError::Unsupported)
    }
}

macro_rules! parse_kind {
    ($ty:ty, $what:literal, [$($marker:ident),*]) => {$(
        impl TextKind<$ty> for $marker {
            #[inline]
            fn merge_text(value: &mut $ty, rest: Option<&str>, text: &str) -> Result<(), TextError> {
                no_rest(rest)?;
                *value = text
                    .parse()
                    .map_err(|_| TextError::Invalid(format!("`{}` is not {}", shown(text), $what)))?;
                Ok(())
            }
        }
    )*};
}

parse_kind!(i32, "a 32-bit integer", [Int32, SInt32, SFixed32]);
parse_kind!(i64, "a 64-bit integer", [Int64, SInt64, SFixed64]);
parse_kind!(u32, "an unsigned 32-bit integer", [UInt32, Fixed32]);
parse_kind!(u64, "an unsigned 64-bit integer", [UInt64, Fixed64]);

macro_rules! float_kind {
    ($ty:ty, $marker:ident, $what:literal) => {
        impl TextKind<$ty> for $marker {
            fn merge_text(
                value: &mut $ty,
                rest: Option<&str>,
                text: &str,
            ) -> Result<(), TextError> {
                no_rest(rest)?;
                *value = match text {
                    "NaN" => <$ty>::NAN,
                    "Infinity" => <$ty>::INFINITY,
                    "-Infinity" => <$ty>::NEG_INFINITY,
                    _ => text
                        .parse::<$ty>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| {
                            TextError::Invalid(format!("`{}` is not {}", shown(text), $what))
                        })?,
                };
                Ok(())
            }
        }
    };
}

float_kind!(f32, Float, "a 32-bit float");
float_kind!(f64, Double, "a 64-bit float");

impl TextKind<bool> for Bool {
    fn merge_text(value: &mut bool, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        no_rest(rest)?;
        // `on` is what an HTML checkbox sends.
        *value = match text {
            "true" | "1" | "on" => true,
            "false" | "0" | "off" | "" => false,
            _ => {
                return Err(TextError::Invalid(format!(
                    "`{}` is not a bool (true or false)",
                    shown(text)
                )));
            }
        };
        Ok(())
    }
}

impl TextKind<String> for Str {
    #[inline]
    fn merge_text(value: &mut String, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        no_rest(rest)?;
        text.clone_into(value);
        Ok(())
    }
}

impl<T: From<Vec<u8>>> TextKind<T> for Bytes {
    fn merge_text(value: &mut T, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        no_rest(rest)?;
        let bytes = super::json::decode_base64(text)
            .ok_or_else(|| TextError::Invalid(format!("`{}` is not base64", shown(text))))?;
        *value = T::from(bytes);
        Ok(())
    }
}

impl<T: NamedText> TextKind<T> for Named {
    #[inline]
    fn merge_text(value: &mut T, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        value.merge_named_text(rest, text)
    }
}

/// [`NamedText`] of an enum: its name or its number.
pub fn merge_enum_text<E: ProtoEnum>(
    value: &mut E,
    rest: Option<&str>,
    text: &str,
) -> Result<(), TextError> {
    no_rest(rest)?;
    let parsed = E::from_name(text).or_else(|| text.parse::<i32>().ok().and_then(E::from_i32));
    match parsed {
        Some(v) => {
            *value = v;
            Ok(())
        }
        None => {
            let names: Vec<&str> = E::VALUES.iter().map(|(name, _)| *name).collect();
            Err(TextError::Invalid(format!(
                "unknown value `{}` of enum {}, expected one of {}",
                shown(text),
                E::PROTO_NAME,
                names.join(", ")
            )))
        }
    }
}

/// [`NamedText`] of a message: `rest` names a field inside it.
pub fn merge_message_text<M: TextMessage>(
    message: &mut M,
    rest: Option<&str>,
    text: &str,
) -> Result<(), TextError> {
    match rest {
        // An unknown sub-key is ignored, as unknown keys are.
        Some(key) => {
            message.merge_text(key, text)?;
            Ok(())
        }
        None => Err(TextError::IsAMessage),
    }
}
