//! The proto3 JSON mapping of the well-known types: the JSON itself. Values are read through a
//! visitor that counts the levels of arrays and objects, so that no input nests deeper than
//! [`MAX_DEPTH`], whichever deserializer reads it.

use core::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value as Json};

use super::{ListValue, Struct, Value};
use crate::codec::json::JsonMessage;

/// The most levels of arrays and objects a [`Value`] read from JSON holds: the most that a
/// protobuf decoder with the usual limit of 100 nested messages (prost, C++) reads back, since
/// each level of objects is three messages on the wire (`Value`, `Struct`, the map entry).
pub(crate) const MAX_DEPTH: usize = 32;

/// Reads one JSON value below `depth` open arrays and objects.
#[derive(Clone, Copy)]
struct Seed {
    depth: usize,
}

impl Seed {
    /// The seed of a whole value.
    const TOP: Seed = Seed { depth: 0 };

    /// The seed of the values inside one more array or object; an error past [`MAX_DEPTH`].
    fn enter<E: de::Error>(self) -> Result<Seed, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "a google.protobuf.Value holds at most {MAX_DEPTH} levels of arrays and objects"
            )));
        }
        Ok(Seed {
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom(format_args!("{v} is not a JSON number")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let inner = self.enter()?;
        // The hint comes from the input: cap it so that it cannot reserve memory.
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(value) = seq.next_element_seed(inner)? {
            list.push(value);
        }
        Ok(Json::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let inner = self.enter()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(inner)?;
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Serialize for Struct {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Serialize for ListValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Seed::TOP.deserialize(deserializer).map(Value)
    }
}

impl<'de> Deserialize<'de> for Struct {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Struct;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object (google.protobuf.Struct)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Struct, A::Error> {
                match Seed::TOP.visit_map(map)? {
                    Json::Object(object) => Ok(Struct(object)),
                    _ => Ok(Struct::default()),
                }
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl<'de> Deserialize<'de> for ListValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArrayVisitor;
        impl<'de> Visitor<'de> for ArrayVisitor {
            type Value = ListValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array (google.protobuf.ListValue)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ListValue, A::Error> {
                match Seed::TOP.visit_seq(seq)? {
                    Json::Array(list) => Ok(ListValue(list)),
                    _ => Ok(ListValue::default()),
                }
            }
        }
        deserializer.deserialize_seq(ArrayVisitor)
    }
}

/// The well-known types have no fields of their own in JSON: the whole document is the value.
macro_rules! json_message {
    ($ty:ident, $name:literal, |$this:ident, $read:ident| $merge:expr) => {
        impl JsonMessage for $ty {
            const NAME: &'static str = $name;
            const FIELDS: &'static [(&'static str, &'static str)] = &[];

            fn merge_json_field<'de, A: MapAccess<'de>>(
                &mut self,
                _index: usize,
                map: &mut A,
            ) -> Result<(), A::Error> {
                map.next_value::<IgnoredAny>().map(|_| ())
            }

            fn merge_json<'de, D: Deserializer<'de>>(
                &mut self,
                deserializer: D,
            ) -> Result<(), D::Error> {
                let $this = self;
                let $read = <$ty>::deserialize(deserializer)?;
                $merge;
                Ok(())
            }
        }
    };
}

// A document replaces a `Value`; an object's entries and an array's elements are added, as
// protobuf merges a map and a repeated field.
json_message!(Value, "google.protobuf.Value", |this, read| *this = read);
json_message!(Struct, "google.protobuf.Struct", |this, read| this
    .0
    .extend(read.0));
json_message!(ListValue, "google.protobuf.ListValue", |this, read| this
    .0
    .extend(read.0));

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::MAX_DEPTH;
    use crate::codec::json_merge::merge_json;
    use crate::{ListValue, Struct, Value};

    fn read<T: crate::codec::json::JsonMessage>(json: &str) -> Result<T, String> {
        let mut message = T::default();
        merge_json(&mut message, json.as_bytes()).map_err(|status| status.message().to_owned())?;
        Ok(message)
    }

    #[test]
    fn a_value_is_any_json_document() {
        for json in [
            r#""Hello guys. ""#,
            r#"{"msg":"hello","n":[1,2.5,-3,true,null,{}]}"#,
            "[]",
            "18446744073709551615",
            "-9223372036854775808",
            "true",
            "null",
        ] {
            let value: Value = read(json).expect(json);
            assert_eq!(serde_json::to_string(&value).expect("writes"), json);
        }
        // An empty document is the empty message: null.
        assert!(read::<Value>(" ").expect("empty").is_null());
    }

    #[test]
    fn a_struct_is_an_object_and_a_list_value_an_array() {
        let object: Struct = read(r#"{"a":{"b":[1]}}"#).expect("object");
        assert_eq!(Value::from(object), Value::from(json!({"a": {"b": [1]}})));
        let list: ListValue = read(r#"[1,"x"]"#).expect("array");
        assert_eq!(list.len(), 2);
        assert_eq!(
            read::<Struct>(r#""Hello""#).expect_err("a string"),
            "invalid JSON: invalid type: string \"Hello\", expected a JSON object \
             (google.protobuf.Struct) at line 1 column 7"
        );
        assert_eq!(
            read::<ListValue>("7").expect_err("a number"),
            "invalid JSON: invalid type: integer `7`, expected a JSON array \
             (google.protobuf.ListValue) at line 1 column 1"
        );
    }

    #[test]
    fn nesting_is_bounded_whatever_the_depth() {
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        let value: Value = read(&nested(MAX_DEPTH)).expect("32 levels");
        assert_eq!(value.to_string(), nested(MAX_DEPTH));
        // serde_json places the error after the character it looked at last.
        for (levels, column) in [(MAX_DEPTH + 1, 34), (10_000, 33)] {
            assert_eq!(
                read::<Value>(&nested(levels)).expect_err("too deep"),
                format!(
                    "invalid JSON at `{}…`: a google.protobuf.Value holds at most 32 levels of \
                     arrays and objects at line 1 column {column}",
                    "[0]".repeat(32)
                )
            );
        }
        let objects = format!("{}1{}", r#"{"a":"#.repeat(40), "}".repeat(40));
        assert_eq!(
            read::<Struct>(&objects).expect_err("too deep"),
            format!(
                "invalid JSON at `{}…`: a google.protobuf.Value holds at most 32 levels of \
                 arrays and objects at line 1 column 161",
                ".a".repeat(32).trim_start_matches('.')
            )
        );
    }

    #[test]
    fn values_read_from_other_deserializers_are_bounded_too() {
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH + 1 {
            deep = json!([deep]);
        }
        let error = serde_json::from_value::<Value>(deep).expect_err("too deep");
        assert_eq!(
            error.to_string(),
            "a google.protobuf.Value holds at most 32 levels of arrays and objects"
        );
    }
}
