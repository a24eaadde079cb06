//! The protobuf encoding of struct.proto's messages, over `serde_json` values:
//!
//! ```text
//! message Struct { map<string, Value> fields = 1; }
//! message Value {
//!   oneof kind {
//!     NullValue null_value = 1; double number_value = 2; string string_value = 3;
//!     bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6;
//!   }
//! }
//! message ListValue { repeated Value values = 1; }
//! ```
//!
//! Nested messages are decoded through `prost::encoding::message::merge`, so prost's recursion
//! limit bounds them as it bounds every other message.

use bytes::{Buf, BufMut};
use prost::DecodeError;
use prost::encoding::{
    self, DecodeContext, WireType, encode_key, encode_varint, encoded_len_varint, key_len,
};
use serde_json::{Map, Number, Value as Json};

use super::{ListValue, Struct, Value};

const NULL_VALUE: u32 = 1;
const NUMBER_VALUE: u32 = 2;
const STRING_VALUE: u32 = 3;
const BOOL_VALUE: u32 = 4;
const STRUCT_VALUE: u32 = 5;
const LIST_VALUE: u32 = 6;
/// `Struct.fields` and `ListValue.values`.
const ENTRIES: u32 = 1;
/// The key and value of a `Struct.fields` entry.
const KEY: u32 = 1;
const VALUE: u32 = 2;

/// The largest integer a `double` holds exactly.
const EXACT: f64 = 9_007_199_254_740_992.0;

fn delimited_len(len: usize) -> usize {
    encoded_len_varint(len as u64) + len
}

/// The length of the fields of a `Value` holding `value`.
fn value_len(value: &Json) -> usize {
    match value {
        Json::Null => key_len(NULL_VALUE) + 1,
        Json::Bool(_) => key_len(BOOL_VALUE) + 1,
        Json::Number(_) => key_len(NUMBER_VALUE) + 8,
        Json::String(text) => key_len(STRING_VALUE) + delimited_len(text.len()),
        Json::Object(object) => key_len(STRUCT_VALUE) + delimited_len(struct_len(object)),
        Json::Array(list) => key_len(LIST_VALUE) + delimited_len(list_len(list)),
    }
}

fn encode_value(value: &Json, buf: &mut impl BufMut) {
    match value {
        Json::Null => {
            encode_key(NULL_VALUE, WireType::Varint, buf);
            encode_varint(0, buf);
        }
        Json::Bool(flag) => {
            encode_key(BOOL_VALUE, WireType::Varint, buf);
            encode_varint(u64::from(*flag), buf);
        }
        Json::Number(number) => {
            encode_key(NUMBER_VALUE, WireType::SixtyFourBit, buf);
            buf.put_f64_le(number.as_f64().unwrap_or_default());
        }
        Json::String(text) => {
            encode_key(STRING_VALUE, WireType::LengthDelimited, buf);
            encode_varint(text.len() as u64, buf);
            buf.put_slice(text.as_bytes());
        }
        Json::Object(object) => {
            encode_key(STRUCT_VALUE, WireType::LengthDelimited, buf);
            encode_varint(struct_len(object) as u64, buf);
            encode_struct(object, buf);
        }
        Json::Array(list) => {
            encode_key(LIST_VALUE, WireType::LengthDelimited, buf);
            encode_varint(list_len(list) as u64, buf);
            encode_list(list, buf);
        }
    }
}

/// The length of a `fields` entry; an empty key is left out, as prost leaves out defaults.
fn entry_len(key: &str, value: &Json) -> usize {
    let key = if key.is_empty() {
        0
    } else {
        key_len(KEY) + delimited_len(key.len())
    };
    key + key_len(VALUE) + delimited_len(value_len(value))
}

fn struct_len(object: &Map<String, Json>) -> usize {
    object
        .iter()
        .map(|(key, value)| key_len(ENTRIES) + delimited_len(entry_len(key, value)))
        .sum()
}

fn encode_struct(object: &Map<String, Json>, buf: &mut impl BufMut) {
    for (key, value) in object {
        encode_key(ENTRIES, WireType::LengthDelimited, buf);
        encode_varint(entry_len(key, value) as u64, buf);
        encode_entry(key, value, buf);
    }
}

fn encode_entry(key: &str, value: &Json, buf: &mut impl BufMut) {
    if !key.is_empty() {
        encode_key(KEY, WireType::LengthDelimited, buf);
        encode_varint(key.len() as u64, buf);
        buf.put_slice(key.as_bytes());
    }
    encode_key(VALUE, WireType::LengthDelimited, buf);
    encode_varint(value_len(value) as u64, buf);
    encode_value(value, buf);
}

fn list_len(list: &[Json]) -> usize {
    list.iter()
        .map(|value| key_len(ENTRIES) + delimited_len(value_len(value)))
        .sum()
}

fn encode_list(list: &[Json], buf: &mut impl BufMut) {
    for value in list {
        encode_key(ENTRIES, WireType::LengthDelimited, buf);
        encode_varint(value_len(value) as u64, buf);
        encode_value(value, buf);
    }
}

/// A `number_value` as a JSON number: an integer when it is one (`1`, not `1.0`, as protojson
/// writes it); NaN and the infinities are refused, since JSON cannot hold them.
pub(super) fn json_number(number: f64) -> Result<Number, DecodeError> {
    if number.fract() == 0.0 && number.abs() <= EXACT {
        return Ok(Number::from(number as i64));
    }
    Number::from_f64(number).ok_or_else(|| {
        let name = if number.is_nan() {
            "NaN"
        } else if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        // prost offers no other way to make a decode error with a message of our own.
        #[allow(deprecated)]
        DecodeError::new(format!(
            "google.protobuf.Value.number_value is {name}, which is not a JSON number"
        ))
    })
}

impl prost::Message for Value {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encode_value(&self.0, buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            NULL_VALUE => {
                let mut null = 0i32;
                encoding::int32::merge(wire_type, &mut null, buf, ctx)?;
                self.0 = Json::Null;
            }
            NUMBER_VALUE => {
                let mut number = 0f64;
                encoding::double::merge(wire_type, &mut number, buf, ctx)?;
                self.0 = Json::Number(json_number(number)?);
            }
            STRING_VALUE => {
                let mut text = String::new();
                encoding::string::merge(wire_type, &mut text, buf, ctx)?;
                self.0 = Json::String(text);
            }
            BOOL_VALUE => {
                let mut flag = false;
                encoding::bool::merge(wire_type, &mut flag, buf, ctx)?;
                self.0 = Json::Bool(flag);
            }
            // A message of the oneof merges into the one already there, as protobuf merges.
            STRUCT_VALUE => {
                let mut object = match core::mem::take(&mut self.0) {
                    Json::Object(object) => Struct(object),
                    _ => Struct::default(),
                };
                encoding::message::merge(wire_type, &mut object, buf, ctx)?;
                self.0 = Json::Object(object.0);
            }
            LIST_VALUE => {
                let mut list = match core::mem::take(&mut self.0) {
                    Json::Array(list) => ListValue(list),
                    _ => ListValue::default(),
                };
                encoding::message::merge(wire_type, &mut list, buf, ctx)?;
                self.0 = Json::Array(list.0);
            }
            _ => encoding::skip_field(wire_type, tag, buf, ctx)?,
        }
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        value_len(&self.0)
    }

    fn clear(&mut self) {
        self.0 = Json::Null;
    }
}

impl prost::Message for Struct {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encode_struct(&self.0, buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag != ENTRIES {
            return encoding::skip_field(wire_type, tag, buf, ctx);
        }
        let mut entry = Entry::default();
        encoding::message::merge(wire_type, &mut entry, buf, ctx)?;
        self.0.insert(entry.key, entry.value.0);
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        struct_len(&self.0)
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

impl prost::Message for ListValue {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encode_list(&self.0, buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        if tag != ENTRIES {
            return encoding::skip_field(wire_type, tag, buf, ctx);
        }
        let mut value = Value::default();
        encoding::message::merge(wire_type, &mut value, buf, ctx)?;
        self.0.push(value.0);
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        list_len(&self.0)
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// One entry of `Struct.fields` while it is decoded; a missing value is `null`.
#[derive(Debug, Default)]
struct Entry {
    key: String,
    value: Value,
}

impl prost::Message for Entry {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encode_entry(&self.key, &self.value.0, buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            KEY => encoding::string::merge(wire_type, &mut self.key, buf, ctx),
            VALUE => encoding::message::merge(wire_type, &mut self.value, buf, ctx),
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        entry_len(&self.key, &self.value.0)
    }

    fn clear(&mut self) {
        *self = Entry::default();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use prost::Message as _;
    use prost_types::value::Kind;
    use serde_json::json;

    use super::super::{ListValue, Struct, Value};

    /// The same JSON as prost-types builds it.
    fn theirs(value: &serde_json::Value) -> prost_types::Value {
        let kind = match value {
            serde_json::Value::Null => Kind::NullValue(0),
            serde_json::Value::Bool(v) => Kind::BoolValue(*v),
            serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().expect("f64")),
            serde_json::Value::String(s) => Kind::StringValue(s.clone()),
            serde_json::Value::Array(list) => Kind::ListValue(prost_types::ListValue {
                values: list.iter().map(theirs).collect(),
            }),
            serde_json::Value::Object(object) => Kind::StructValue(prost_types::Struct {
                fields: object.iter().map(|(k, v)| (k.clone(), theirs(v))).collect(),
            }),
        };
        prost_types::Value { kind: Some(kind) }
    }

    #[test]
    fn scalars_encode_as_struct_proto_does() {
        let cases: [(serde_json::Value, &[u8]); 6] = [
            (json!(null), &[0x08, 0x00]),
            (json!(true), &[0x20, 0x01]),
            (json!(false), &[0x20, 0x00]),
            (json!(1), &[0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]),
            (json!(-2.5), &[0x11, 0, 0, 0, 0, 0, 0, 0x04, 0xc0]),
            (json!("hi"), &[0x1a, 0x02, b'h', b'i']),
        ];
        for (json, bytes) in cases {
            let ours = Value::from(json.clone()).encode_to_vec();
            assert_eq!(ours, bytes, "{json}");
            assert_eq!(ours, theirs(&json).encode_to_vec(), "{json}");
            assert_eq!(Value::decode(bytes).expect("decodes").into_inner(), json);
        }
    }

    #[test]
    fn objects_and_arrays_encode_as_prost_types_does() {
        let json = json!({
            "": 0,
            "a": [1, "x", true, null, [], {}],
            "b": {"c": 2.5, "d": {"e": [[-7]]}},
            "星": "🚀",
        });
        let value = Value::from(json.clone());
        let bytes = value.encode_to_vec();
        assert_eq!(bytes, theirs(&json).encode_to_vec());
        assert_eq!(value.encoded_len(), bytes.len());
        assert_eq!(Value::decode(bytes.as_slice()).expect("decodes"), value);

        // An object with one entry, byte by byte: Struct{fields: {"k": Value{bool_value: true}}}.
        assert_eq!(
            Value::from(json!({"k": true})).encode_to_vec(),
            [
                0x2a, 0x09, 0x0a, 0x07, 0x0a, 0x01, b'k', 0x12, 0x02, 0x20, 0x01
            ]
        );

        let object = Struct::try_from(json.clone()).expect("object");
        let fields: BTreeMap<String, prost_types::Value> = json
            .as_object()
            .expect("object")
            .iter()
            .map(|(k, v)| (k.clone(), theirs(v)))
            .collect();
        let expected = prost_types::Struct { fields }.encode_to_vec();
        assert_eq!(object.encode_to_vec(), expected);
        assert_eq!(
            Struct::decode(expected.as_slice()).expect("decodes"),
            object
        );

        let list = ListValue::try_from(json!([1, "two", [3]])).expect("array");
        let expected = prost_types::ListValue {
            values: [json!(1), json!("two"), json!([3])]
                .iter()
                .map(theirs)
                .collect(),
        }
        .encode_to_vec();
        assert_eq!(list.encode_to_vec(), expected);
        assert_eq!(
            ListValue::decode(expected.as_slice()).expect("decodes"),
            list
        );
    }

    #[test]
    fn decoded_numbers_are_integers_when_integral_and_never_nan() {
        let decode = |number: f64| {
            let bytes = prost_types::Value {
                kind: Some(Kind::NumberValue(number)),
            }
            .encode_to_vec();
            Value::decode(bytes.as_slice()).map(|v| v.to_string())
        };
        assert_eq!(decode(3.0).expect("3"), "3");
        assert_eq!(decode(-0.5).expect("-0.5"), "-0.5");
        assert_eq!(decode(1e300).expect("1e300"), "1e+300");
        for (number, name) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            let error = decode(number).expect_err(name);
            assert_eq!(
                error.to_string(),
                format!(
                    "failed to decode Protobuf message: google.protobuf.Value.number_value is \
                     {name}, which is not a JSON number"
                )
            );
        }
    }

    #[test]
    fn an_empty_value_is_null_and_unknown_fields_are_skipped() {
        assert!(Value::decode(&[][..]).expect("empty").is_null());
        // Field 9 (a varint), then string_value "a".
        let value = Value::decode(&[0x48, 0x01, 0x1a, 0x01, b'a'][..]).expect("decodes");
        assert_eq!(value, Value::from("a"));
        // An entry without a value holds null.
        let object = Struct::decode(&[0x0a, 0x03, 0x0a, 0x01, b'k'][..]).expect("decodes");
        assert_eq!(Value::from(object), Value::from(json!({"k": null})));
    }

    #[test]
    fn ten_thousand_levels_of_protobuf_are_refused_without_overflowing_the_stack() {
        // Value{list_value: ListValue{values: [Value{...}]}}, 10,000 times, around a null.
        let mut lengths = Vec::new();
        let mut len = 2usize;
        for _ in 0..10_000 {
            let list = 1 + prost::encoding::encoded_len_varint(len as u64) + len;
            lengths.push((len, list));
            len = 1 + prost::encoding::encoded_len_varint(list as u64) + list;
        }
        let mut bytes = Vec::with_capacity(len);
        for (value, list) in lengths.into_iter().rev() {
            bytes.push(0x32);
            prost::encoding::encode_varint(list as u64, &mut bytes);
            bytes.push(0x0a);
            prost::encoding::encode_varint(value as u64, &mut bytes);
        }
        bytes.extend_from_slice(&[0x08, 0x00]);
        assert_eq!(bytes.len(), len);
        let error = Value::decode(bytes.as_slice()).expect_err("too deep");
        assert_eq!(
            error.to_string(),
            "failed to decode Protobuf message: recursion limit reached"
        );
    }
}
