//! The message traits of the well-known types: wire kind, text, schema and rules.

use bytes::{Buf, BufMut};
use prost::DecodeError;
use prost::encoding::{DecodeContext, WireType};
use serde_json::Value as Json;

use super::{ListValue, Struct, Value};
use crate::codec::text::{NamedText, TextError, TextMessage};
use crate::codec::wire::{self, NamedType};
use crate::schema::{FieldType, MessageDescriptor, NamedSchema, Registry};

macro_rules! message {
    ($ty:ident, $name:literal, $doc:literal) => {
        impl NamedType for $ty {
            const WIRE_TYPE: WireType = WireType::LengthDelimited;
            const PACKABLE: bool = false;
            fn is_default_value(&self) -> bool {
                false
            }
            fn encode_value(&self, buf: &mut impl BufMut) {
                wire::message_encode_value(self, buf)
            }
            fn value_len(&self) -> usize {
                wire::message_value_len(self)
            }
            fn merge_value(
                &mut self,
                buf: &mut impl Buf,
                ctx: DecodeContext,
            ) -> Result<(), DecodeError> {
                wire::message_merge_value(self, buf, ctx)
            }
        }

        /// Path parameters, the query and a form's text fields name no part of it: they are
        /// ignored, as unknown keys are.
        impl TextMessage for $ty {
            fn merge_text(&mut self, _key: &str, _text: &str) -> Result<bool, TextError> {
                Ok(false)
            }
        }

        /// Described by `google/protobuf/struct.proto`, which the service's file imports: the
        /// registry notes the name only.
        impl NamedSchema for $ty {
            fn register(registry: &mut Registry) -> FieldType {
                if registry.first_visit($name) {
                    registry.add_message(MessageDescriptor {
                        name: $name,
                        doc: $doc,
                        form: false,
                        fields: Vec::new(),
                    });
                }
                FieldType::Message($name)
            }
        }

        /// Any JSON is valid.
        impl crate::validate::Validate for $ty {}

        impl crate::message::NamedValue for $ty {}

        impl crate::message::ProtoMessage for $ty {
            const PROTO_NAME: &'static str = $name;
        }
    };
}

message!(
    Value,
    "google.protobuf.Value",
    "Any JSON value: null, a number, a string, a bool, an object or an array."
);
message!(Struct, "google.protobuf.Struct", "A JSON object.");
message!(ListValue, "google.protobuf.ListValue", "A JSON array.");

/// A `Value` field set from text (`note=hello`) holds the text as a JSON string.
impl NamedText for Value {
    fn merge_named_text(&mut self, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        match rest {
            Some(_) => Err(TextError::NotAMessage),
            None => {
                self.0 = Json::String(text.to_owned());
                Ok(())
            }
        }
    }
}

/// A `Struct` field set from text (`extra.color=red`) gets the entry `"color": "red"`.
impl NamedText for Struct {
    fn merge_named_text(&mut self, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        match rest {
            Some(key) => {
                self.0.insert(key.to_owned(), Json::String(text.to_owned()));
                Ok(())
            }
            None => Err(TextError::IsAMessage),
        }
    }
}

/// A `ListValue` field set from text (`tags=a&tags=b`) gets each text as a JSON string.
impl NamedText for ListValue {
    fn merge_named_text(&mut self, rest: Option<&str>, text: &str) -> Result<(), TextError> {
        match rest {
            Some(_) => Err(TextError::NotAMessage),
            None => {
                self.0.push(Json::String(text.to_owned()));
                Ok(())
            }
        }
    }
}
