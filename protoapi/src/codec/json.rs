//! The proto3 JSON mapping, on serde.
//!
//! Field names are written in lowerCamelCase and read in either spelling; 64-bit integers are
//! written as strings and read from strings or numbers; enums are written by name and read by
//! name or number; bytes are base64; fields holding their default are omitted; `null` reads as
//! the default; unknown fields are ignored. The field codecs of [`crate::codec::wire`] carry the
//! JSON rules too, so one type expression per field decides both encodings.

use core::fmt;
use core::marker::PhantomData;

use base64::Engine as _;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ProtoMap;
use super::wire::{
    Bool, Bytes, Double, Fixed32, Fixed64, Float, Int32, Int64, Map, Named, Optional, Repeated,
    SFixed32, SFixed64, SInt32, SInt64, Singular, Str, UInt32, UInt64, WireKind,
};
use crate::codec::ProtoEnum;

/// How one value of a protobuf type is written and read in JSON.
pub trait JsonKind<T> {
    /// Writes the value.
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads a value that is not `null`.
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error>;
}

/// How a message field is written and read in JSON.
pub trait JsonField<T> {
    /// Whether the field is left out of the output (it holds its default).
    fn is_absent(value: &T) -> bool;
    /// Writes the field's value.
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the field's value; `null` is the default.
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error>;
}

/// A key of a JSON object that encodes a protobuf map.
pub trait JsonMapKey<T> {
    /// The key as a string.
    fn to_key(value: &T) -> String;
    /// Parses a key; `None` when it does not parse.
    fn from_key(key: &str) -> Option<T>;
}

/// Serializes `value` with the codec `C`.
pub struct Ser<'a, C, T>(&'a T, PhantomData<C>);

impl<'a, C, T> Ser<'a, C, T> {
    /// Wraps a field value.
    #[inline]
    pub fn new(value: &'a T) -> Self {
        Ser(value, PhantomData)
    }
}

impl<C: JsonField<T>, T> Serialize for Ser<'_, C, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        C::serialize(self.0, serializer)
    }
}

struct KindSer<'a, K, T>(&'a T, PhantomData<K>);

impl<K: JsonKind<T>, T> Serialize for KindSer<'_, K, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        K::serialize(self.0, serializer)
    }
}

/// Deserializes a field value with the codec `C`.
pub struct Seed<C, T>(PhantomData<(C, T)>);

impl<C, T> Seed<C, T> {
    /// A seed for one field value.
    #[inline]
    pub fn new() -> Self {
        Seed(PhantomData)
    }
}

impl<C, T> Default for Seed<C, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'de, C: JsonField<T>, T> DeserializeSeed<'de> for Seed<C, T> {
    type Value = T;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        C::deserialize(deserializer)
    }
}

/// One value read with a kind; the element type of repeated fields and maps.
struct KindDe<K, T>(T, PhantomData<K>);

impl<'de, K: JsonKind<T>, T> Deserialize<'de> for KindDe<K, T> {
    #[inline]
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        K::deserialize(deserializer).map(|v| KindDe(v, PhantomData))
    }
}

// ---- field codecs ----

impl<T: Default, K: WireKind<T> + JsonKind<T>> JsonField<T> for Singular<K> {
    #[inline]
    fn is_absent(value: &T) -> bool {
        K::is_default(value)
    }
    #[inline]
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        K::serialize(value, serializer)
    }
    #[inline]
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        Ok(Option::<KindDe<K, T>>::deserialize(deserializer)?.map_or_else(T::default, |v| v.0))
    }
}

impl<T, K: JsonKind<T>> JsonField<Option<T>> for Optional<K> {
    #[inline]
    fn is_absent(value: &Option<T>) -> bool {
        value.is_none()
    }
    #[inline]
    fn serialize<S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => K::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }
    #[inline]
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        Ok(Option::<KindDe<K, T>>::deserialize(deserializer)?.map(|v| v.0))
    }
}

impl<T, K: JsonKind<T>> JsonField<Vec<T>> for Repeated<K> {
    #[inline]
    fn is_absent(value: &Vec<T>) -> bool {
        value.is_empty()
    }
    fn serialize<S: Serializer>(values: &Vec<T>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(values.len()))?;
        for value in values {
            seq.serialize_element(&KindSer::<K, T>(value, PhantomData))?;
        }
        seq.end()
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        Ok(Option::<SeqDe<K, T>>::deserialize(deserializer)?.map_or_else(Vec::new, |v| v.0))
    }
}

/// The elements of a JSON array, each read with `K`.
struct SeqDe<K, T>(Vec<T>, PhantomData<K>);

impl<'de, K: JsonKind<T>, T> Deserialize<'de> for SeqDe<K, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor<K, T>(PhantomData<(K, T)>);
        impl<'de, K: JsonKind<T>, T> Visitor<'de> for SeqVisitor<K, T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                // The hint comes from the input: cap it so that it cannot reserve memory.
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(value) = seq.next_element::<KindDe<K, T>>()? {
                    values.push(value.0);
                }
                Ok(values)
            }
        }
        deserializer
            .deserialize_seq(SeqVisitor::<K, T>(PhantomData))
            .map(|v| SeqDe(v, PhantomData))
    }
}

impl<M, KK, VK> JsonField<M> for Map<KK, VK>
where
    M: ProtoMap,
    KK: JsonMapKey<M::Key>,
    VK: JsonKind<M::Value>,
{
    #[inline]
    fn is_absent(value: &M) -> bool {
        value.len() == 0
    }
    fn serialize<S: Serializer>(values: &M, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(values.len()))?;
        values.each(|k, v| {
            map.serialize_entry(&KK::to_key(k), &KindSer::<VK, M::Value>(v, PhantomData))
        })?;
        map.end()
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<M, D::Error> {
        Ok(Option::<MapDe<M, KK, VK>>::deserialize(deserializer)?.map_or_else(M::default, |v| v.0))
    }
}

/// The entries of a JSON object, keys read with `KK`, values with `VK`.
struct MapDe<M, KK, VK>(M, PhantomData<(KK, VK)>);

impl<'de, M, KK, VK> Deserialize<'de> for MapDe<M, KK, VK>
where
    M: ProtoMap,
    KK: JsonMapKey<M::Key>,
    VK: JsonKind<M::Value>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<M, KK, VK>(PhantomData<(M, KK, VK)>);
        impl<'de, M, KK, VK> Visitor<'de> for MapVisitor<M, KK, VK>
        where
            M: ProtoMap,
            KK: JsonMapKey<M::Key>,
            VK: JsonKind<M::Value>,
        {
            type Value = M;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<M, A::Error> {
                let mut map = M::default();
                while let Some(key) = access.next_key::<String>()? {
                    let Some(key) = KK::from_key(&key) else {
                        return Err(de::Error::custom(format_args!(
                            "invalid map key `{}`",
                            crate::status::shown(&key)
                        )));
                    };
                    let value = access.next_value::<KindDe<VK, M::Value>>()?;
                    map.put(key, value.0);
                }
                Ok(map)
            }
        }
        deserializer
            .deserialize_map(MapVisitor::<M, KK, VK>(PhantomData))
            .map(|v| MapDe(v, PhantomData))
    }
}

// ---- scalar kinds ----

macro_rules! int_kind {
    ($ty:ty, $what:literal, $ser:ident, [$($marker:ident),*]) => {
        $(
            impl JsonKind<$ty> for $marker {
                #[inline]
                fn serialize<S: Serializer>(value: &$ty, serializer: S) -> Result<S::Ok, S::Error> {
                    int_kind!(@ser $ser, value, serializer)
                }
                #[inline]
                fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                    deserializer.deserialize_any(IntVisitor::<$ty>(PhantomData))
                }
            }
            impl JsonMapKey<$ty> for $marker {
                fn to_key(value: &$ty) -> String {
                    itoa::Buffer::new().format(*value).to_owned()
                }
                fn from_key(key: &str) -> Option<$ty> {
                    key.parse().ok()
                }
            }
        )*
        impl IntTarget for $ty {
            const WHAT: &'static str = $what;
            fn from_i64(v: i64) -> Option<Self> {
                <$ty>::try_from(v).ok()
            }
            fn from_u64(v: u64) -> Option<Self> {
                <$ty>::try_from(v).ok()
            }
            fn from_str(v: &str) -> Option<Self> {
                v.parse().ok()
            }
        }
    };
    (@ser number, $value:ident, $serializer:ident) => { $serializer.serialize_i64(i64::from(*$value)) };
    (@ser string, $value:ident, $serializer:ident) => {
        $serializer.serialize_str(itoa::Buffer::new().format(*$value))
    };
}

trait IntTarget: Sized {
    const WHAT: &'static str;
    fn from_i64(v: i64) -> Option<Self>;
    fn from_u64(v: u64) -> Option<Self>;
    fn from_str(v: &str) -> Option<Self>;
}

int_kind!(i32, "a 32-bit integer", number, [Int32, SInt32, SFixed32]);
int_kind!(u32, "an unsigned 32-bit integer", number, [UInt32, Fixed32]);
int_kind!(i64, "a 64-bit integer", string, [Int64, SInt64, SFixed64]);
int_kind!(u64, "an unsigned 64-bit integer", string, [UInt64, Fixed64]);

/// Reads an integer from a JSON number or a string holding one; an integral float such as
/// `1e3` is accepted, as protojson does.
struct IntVisitor<T>(PhantomData<T>);

impl<T: IntTarget> IntVisitor<T> {
    fn out_of_range<E: de::Error>(v: impl fmt::Display) -> E {
        E::custom(format_args!("{v} is out of range for {}", T::WHAT))
    }
}

impl<T: IntTarget> Visitor<'_> for IntVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (a number or a string)", T::WHAT)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::from_i64(v).ok_or_else(|| Self::out_of_range(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| Self::out_of_range(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        if v.fract() != 0.0 || !v.is_finite() {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        // Exact for every integral f64 in range; out-of-range values saturate and fail below.
        if v < 0.0 {
            if v < i64::MIN as f64 {
                return Err(Self::out_of_range(v));
            }
            self.visit_i64(v as i64)
        } else {
            if v >= u64::MAX as f64 {
                return Err(Self::out_of_range(v));
            }
            self.visit_u64(v as u64)
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        if let Some(n) = T::from_str(v) {
            return Ok(n);
        }
        // Rust's float syntax takes no spaces: " 1" is refused, as protojson refuses it.
        match v.parse::<f64>() {
            Ok(f) => self.visit_f64(f),
            Err(_) => Err(E::invalid_value(
                de::Unexpected::Str(&crate::status::shown(v)),
                &self,
            )),
        }
    }
}

impl JsonKind<bool> for Bool {
    #[inline]
    fn serialize<S: Serializer>(value: &bool, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(*value)
    }
    #[inline]
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        bool::deserialize(deserializer)
    }
}

impl JsonMapKey<bool> for Bool {
    fn to_key(value: &bool) -> String {
        value.to_string()
    }
    fn from_key(key: &str) -> Option<bool> {
        match key {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

macro_rules! float_kind {
    ($marker:ident, $ty:ty, $what:literal, $ser:ident) => {
        impl JsonKind<$ty> for $marker {
            fn serialize<S: Serializer>(value: &$ty, serializer: S) -> Result<S::Ok, S::Error> {
                if value.is_nan() {
                    serializer.serialize_str("NaN")
                } else if value.is_infinite() {
                    serializer.serialize_str(if *value > 0.0 {
                        "Infinity"
                    } else {
                        "-Infinity"
                    })
                } else {
                    serializer.$ser(*value)
                }
            }
            fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                let v = deserializer.deserialize_any(FloatVisitor($what))?;
                let narrowed = v as $ty;
                if v.is_finite() && !narrowed.is_finite() {
                    return Err(de::Error::custom(format_args!(
                        "{v} is out of range for {}",
                        $what
                    )));
                }
                Ok(narrowed)
            }
        }
    };
}

float_kind!(Float, f32, "a 32-bit float", serialize_f32);
float_kind!(Double, f64, "a 64-bit float", serialize_f64);

/// Reads a float from a JSON number, a numeric string, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
struct FloatVisitor(&'static str);

impl Visitor<'_> for FloatVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{} (a number, \"NaN\", \"Infinity\" or \"-Infinity\")",
            self.0
        )
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match v {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => match v.parse::<f64>() {
                // "inf" and "nan" parse too: only the three spellings above name them.
                Ok(f) if f.is_finite() => Ok(f),
                _ => Err(E::invalid_value(
                    de::Unexpected::Str(&crate::status::shown(v)),
                    &self,
                )),
            },
        }
    }
}

impl JsonKind<String> for Str {
    #[inline]
    fn serialize<S: Serializer>(value: &String, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }
    #[inline]
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        String::deserialize(deserializer)
    }
}

impl JsonMapKey<String> for Str {
    fn to_key(value: &String) -> String {
        value.clone()
    }
    fn from_key(key: &str) -> Option<String> {
        Some(key.to_owned())
    }
}

impl<T> JsonKind<T> for Bytes
where
    T: AsRef<[u8]> + From<Vec<u8>>,
{
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(value.as_ref()))
    }
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        struct Base64Visitor;
        impl Visitor<'_> for Base64Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("base64 text (standard or URL-safe alphabet)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                decode_base64(v).ok_or_else(|| {
                    E::invalid_value(de::Unexpected::Str(&crate::status::shown(v)), &self)
                })
            }
        }
        deserializer.deserialize_str(Base64Visitor).map(T::from)
    }
}

/// Decodes base64 in either alphabet, padded or not, as protojson does.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine.decode(text).ok()
}

impl<T: Serialize + DeserializeOwned> JsonKind<T> for Named {
    #[inline]
    fn serialize<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }
    #[inline]
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        T::deserialize(deserializer)
    }
}

// ---- messages and enums ----

/// The JSON side of a message, implemented by `#[protoapi::message]`.
pub trait JsonMessage: Default {
    /// The message name, for error messages.
    const NAME: &'static str;
    /// Each field's proto name and JSON (lowerCamelCase) name; both are accepted on input.
    const FIELDS: &'static [(&'static str, &'static str)];
    /// Reads the value of field number `index` (into [`Self::FIELDS`]) from `map`.
    fn merge_json_field<'de, A: MapAccess<'de>>(
        &mut self,
        index: usize,
        map: &mut A,
    ) -> Result<(), A::Error>;

    /// Reads a whole JSON document into the message: an object of its fields (see
    /// [`merge_message`]); the well-known types (`protoapi::Value`) read any JSON value.
    fn merge_json<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        merge_message(self, deserializer)
    }

    /// The index into [`Self::FIELDS`] of the field called `name` (by its Rust, proto or JSON
    /// name) that [`Self::serialize_field`] writes; `None` when there is none, and for messages
    /// written by hand, which write no field alone.
    fn field_index(name: &str) -> Option<usize> {
        let _ = name;
        None
    }

    /// Writes the value of field number `index` alone, also when it is the default (an empty
    /// list is `[]`): an HTTP answer whose body is one field (`response_body`).
    fn serialize_field<S: Serializer>(
        &self,
        index: usize,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let _ = serializer;
        Err(serde::ser::Error::custom(format_args!(
            "message {} has no field number {index}",
            Self::NAME
        )))
    }
}

/// Deserializes a message: known fields by either name, unknown ones skipped.
pub fn deserialize_message<'de, M: JsonMessage, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<M, D::Error> {
    let mut message = M::default();
    merge_message(&mut message, deserializer)?;
    Ok(message)
}

/// Reads a JSON object into an existing message: the fields it names replace theirs.
pub fn merge_message<'de, M: JsonMessage, D: Deserializer<'de>>(
    message: &mut M,
    deserializer: D,
) -> Result<(), D::Error> {
    struct MessageVisitor<'a, M>(&'a mut M);
    impl<'de, M: JsonMessage> Visitor<'de> for MessageVisitor<'_, M> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "an object of message {}", M::NAME)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(index) = map.next_key_seed(FieldKey::<M>(PhantomData))? {
                match index {
                    Some(index) => self.0.merge_json_field(index, &mut map)?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    deserializer.deserialize_map(MessageVisitor(message))
}

/// Finds a key among a message's field names; `None` for an unknown key.
struct FieldKey<M>(PhantomData<M>);

impl<'de, M: JsonMessage> DeserializeSeed<'de> for FieldKey<M> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<M: JsonMessage> Visitor<'_> for FieldKey<M> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(field_index(M::FIELDS, key))
    }
}

/// The index of the field named `key` (its JSON or proto name): compiled once, not per message.
fn field_index(fields: &[(&str, &str)], key: &str) -> Option<usize> {
    fields
        .iter()
        .position(|(proto, json)| *json == key || *proto == key)
}

/// Serializes an enum value by its name.
pub fn serialize_enum<E: ProtoEnum, S: Serializer>(
    value: E,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.name())
}

/// Deserializes an enum value from its name or its number.
pub fn deserialize_enum<'de, E: ProtoEnum, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<E, D::Error> {
    struct EnumVisitor<E>(PhantomData<E>);
    impl<E: ProtoEnum> EnumVisitor<E> {
        fn unknown<Err: de::Error>(value: impl fmt::Display) -> Err {
            let names: Vec<&str> = E::VALUES.iter().map(|(name, _)| *name).collect();
            Err::custom(format_args!(
                "unknown value {value} of enum {}, expected one of {}",
                E::PROTO_NAME,
                names.join(", ")
            ))
        }
    }
    impl<E: ProtoEnum> Visitor<'_> for EnumVisitor<E> {
        type Value = E;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a {} name or number", E::PROTO_NAME)
        }
        fn visit_str<Err: de::Error>(self, v: &str) -> Result<E, Err> {
            E::from_name(v)
                .ok_or_else(|| Self::unknown(format_args!("`{}`", crate::status::shown(v))))
        }
        fn visit_i64<Err: de::Error>(self, v: i64) -> Result<E, Err> {
            i32::try_from(v)
                .ok()
                .and_then(E::from_i32)
                .ok_or_else(|| Self::unknown(v))
        }
        fn visit_u64<Err: de::Error>(self, v: u64) -> Result<E, Err> {
            i32::try_from(v)
                .ok()
                .and_then(E::from_i32)
                .ok_or_else(|| Self::unknown(v))
        }
    }
    deserializer.deserialize_any(EnumVisitor::<E>(PhantomData))
}
