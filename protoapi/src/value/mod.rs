//! protobuf's well-known types for arbitrary JSON: [`Value`], [`Struct`] and [`ListValue`]
//! (`google/protobuf/struct.proto`), each a message usable as a request, a response or a field.
//!
//! Each wraps its `serde_json` counterpart, so that what a handler reads and writes is plain
//! `serde_json`: it derefs to it, converts from and into it, and `serde_json::json!` builds one.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the types and their conversions |
//! | `wire.rs` | the protobuf encoding of struct.proto |
//! | `json.rs` | the proto3 JSON mapping (the JSON itself), with its depth limit |
//! | `message.rs` | the message traits: text, schema, rules |

use core::fmt;
use core::ops::{Deref, DerefMut};

mod json;
mod message;
mod wire;

/// Any JSON value: null, a number, a string, a bool, an object or an array; the message
/// `google.protobuf.Value`.
///
/// In JSON it is the value itself, so a method taking a `Value` accepts any JSON document as its
/// request: `"Hello"`, `{"msg": "..."}`, `[1, 2]`. On the protobuf wire it is struct.proto's
/// `Value`, which every protobuf library reads. It derefs to [`serde_json::Value`].
///
/// ```
/// use protoapi::Value;
/// use serde_json::json;
///
/// let value = Value::from(json!({"msg": "hello", "n": [1, 2]}));
/// assert_eq!(value["msg"], "hello");
/// assert_eq!(value.to_string(), r#"{"msg":"hello","n":[1,2]}"#);
/// assert_eq!(Value::from("Hello").as_str(), Some("Hello"));
/// assert!(Value::default().is_null());
/// ```
///
/// A number is a JSON number, never NaN or an infinity: [`Value::from_f64`] refuses them, and
/// so does decoding a protobuf `Value` that holds one. On the protobuf wire a number is a
/// `double`, so an integer beyond 2^53 loses precision there (not in JSON).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Value(serde_json::Value);

/// A JSON object; the message `google.protobuf.Struct`. It derefs to a
/// [`serde_json::Map`] of JSON values.
///
/// ```
/// use protoapi::Struct;
/// use serde_json::json;
///
/// let mut object = Struct::new();
/// object.insert("name".into(), json!("Ada"));
/// assert_eq!(serde_json::to_string(&object).unwrap(), r#"{"name":"Ada"}"#);
/// assert_eq!(Struct::try_from(json!([1])), Err(json!([1])));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Struct(serde_json::Map<String, serde_json::Value>);

/// A JSON array; the message `google.protobuf.ListValue`. It derefs to a `Vec` of JSON values.
///
/// ```
/// use protoapi::ListValue;
/// use serde_json::json;
///
/// let list: ListValue = [json!(1), json!("two")].into_iter().collect();
/// assert_eq!(list.len(), 2);
/// assert_eq!(serde_json::to_string(&list).unwrap(), r#"[1,"two"]"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ListValue(Vec<serde_json::Value>);

impl Value {
    /// The JSON `null`.
    pub const fn null() -> Self {
        Value(serde_json::Value::Null)
    }

    /// A number; `None` for NaN and the infinities, which JSON cannot hold.
    ///
    /// ```
    /// assert_eq!(protoapi::Value::from_f64(0.5).map(|v| v.to_string()), Some("0.5".into()));
    /// assert_eq!(protoapi::Value::from_f64(f64::NAN), None);
    /// ```
    pub fn from_f64(number: f64) -> Option<Self> {
        serde_json::Number::from_f64(number).map(|n| Value(serde_json::Value::Number(n)))
    }

    /// The JSON value.
    pub fn into_inner(self) -> serde_json::Value {
        self.0
    }
}

impl Struct {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object's entries.
    pub fn into_inner(self) -> serde_json::Map<String, serde_json::Value> {
        self.0
    }
}

impl ListValue {
    /// An empty array.
    pub fn new() -> Self {
        Self::default()
    }

    /// The array's elements.
    pub fn into_inner(self) -> Vec<serde_json::Value> {
        self.0
    }
}

macro_rules! wrapper {
    ($outer:ident, $inner:ty) => {
        impl Deref for $outer {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.0
            }
        }

        impl DerefMut for $outer {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.0
            }
        }

        impl From<$inner> for $outer {
            fn from(inner: $inner) -> Self {
                $outer(inner)
            }
        }

        impl From<$outer> for $inner {
            fn from(outer: $outer) -> Self {
                outer.0
            }
        }

        impl fmt::Debug for $outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        /// The compact JSON text.
        impl fmt::Display for $outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let text = serde_json::to_string(&self.0).map_err(|_| fmt::Error)?;
                f.write_str(&text)
            }
        }
    };
}

wrapper!(Value, serde_json::Value);
wrapper!(Struct, serde_json::Map<String, serde_json::Value>);
wrapper!(ListValue, Vec<serde_json::Value>);

macro_rules! value_from {
    ($($ty:ty),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(value: $ty) -> Self {
                Value(serde_json::Value::from(value))
            }
        }
    )*};
}

value_from!(
    bool, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, &str, String
);

impl From<Struct> for Value {
    fn from(object: Struct) -> Self {
        Value(serde_json::Value::Object(object.0))
    }
}

impl From<ListValue> for Value {
    fn from(list: ListValue) -> Self {
        Value(serde_json::Value::Array(list.0))
    }
}

impl From<Vec<serde_json::Value>> for Value {
    fn from(list: Vec<serde_json::Value>) -> Self {
        Value(serde_json::Value::Array(list))
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for Value {
    fn from(object: serde_json::Map<String, serde_json::Value>) -> Self {
        Value(serde_json::Value::Object(object))
    }
}

impl From<Struct> for serde_json::Value {
    fn from(object: Struct) -> Self {
        serde_json::Value::Object(object.0)
    }
}

impl From<ListValue> for serde_json::Value {
    fn from(list: ListValue) -> Self {
        serde_json::Value::Array(list.0)
    }
}

/// An object becomes a `Struct`; any other value is given back.
impl TryFrom<serde_json::Value> for Struct {
    type Error = serde_json::Value;
    fn try_from(value: serde_json::Value) -> Result<Self, serde_json::Value> {
        match value {
            serde_json::Value::Object(object) => Ok(Struct(object)),
            other => Err(other),
        }
    }
}

/// An object becomes a `Struct`; any other value is given back.
impl TryFrom<Value> for Struct {
    type Error = Value;
    fn try_from(value: Value) -> Result<Self, Value> {
        Struct::try_from(value.0).map_err(Value)
    }
}

/// An array becomes a `ListValue`; any other value is given back.
impl TryFrom<serde_json::Value> for ListValue {
    type Error = serde_json::Value;
    fn try_from(value: serde_json::Value) -> Result<Self, serde_json::Value> {
        match value {
            serde_json::Value::Array(list) => Ok(ListValue(list)),
            other => Err(other),
        }
    }
}

/// An array becomes a `ListValue`; any other value is given back.
impl TryFrom<Value> for ListValue {
    type Error = Value;
    fn try_from(value: Value) -> Result<Self, Value> {
        ListValue::try_from(value.0).map_err(Value)
    }
}

impl<V: Into<serde_json::Value>> FromIterator<V> for ListValue {
    fn from_iter<I: IntoIterator<Item = V>>(iter: I) -> Self {
        ListValue(iter.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<serde_json::Value>> FromIterator<(K, V)> for Struct {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Struct(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl IntoIterator for Struct {
    type Item = (String, serde_json::Value);
    type IntoIter = serde_json::map::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl IntoIterator for ListValue {
    type Item = serde_json::Value;
    type IntoIter = std::vec::IntoIter<serde_json::Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
