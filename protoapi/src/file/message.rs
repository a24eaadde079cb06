//! The message `protoapi.File`: its protobuf encoding, proto3 JSON, form text and schema.

use bytes::{Buf, BufMut, Bytes};
use prost::DecodeError;
use prost::encoding::{DecodeContext, WireType};

use super::{Data, File};
use crate::codec::json::decode_base64;
use crate::codec::text::{NamedText, TextError, TextMessage};
use crate::codec::wire::{self, NamedType, Singular, Str};
use crate::schema::{
    Constraints, FieldDescriptor, FieldType, Label, MessageDescriptor, NamedSchema, Registry,
    ScalarType,
};

const NAME_TAG: u32 = 1;
const CONTENT_TYPE_TAG: u32 = 2;
const DATA_TAG: u32 = 3;

impl prost::Message for File {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        <Singular<Str> as wire::WireField<String>>::encode(NAME_TAG, &self.name, buf);
        <Singular<Str> as wire::WireField<String>>::encode(
            CONTENT_TYPE_TAG,
            &self.content_type,
            buf,
        );
        let data = self.content_or_log();
        <Singular<wire::Bytes> as wire::WireField<Bytes>>::encode(DATA_TAG, &data, buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            NAME_TAG => <Singular<Str> as wire::WireField<String>>::merge(
                wire_type,
                &mut self.name,
                buf,
                ctx,
            ),
            CONTENT_TYPE_TAG => <Singular<Str> as wire::WireField<String>>::merge(
                wire_type,
                &mut self.content_type,
                buf,
                ctx,
            ),
            DATA_TAG => {
                let mut data = Bytes::new();
                <Singular<wire::Bytes> as wire::WireField<Bytes>>::merge(
                    wire_type, &mut data, buf, ctx,
                )?;
                self.data = Data::Memory(data);
                Ok(())
            }
            _ => prost::encoding::skip_field(wire_type, tag, buf, ctx),
        }
        .map_err(|error| wire::field_error(error, "File", field_name(tag)))
    }

    fn encoded_len(&self) -> usize {
        let data_len = usize::try_from(self.size()).unwrap_or(usize::MAX);
        <Singular<Str> as wire::WireField<String>>::encoded_len(NAME_TAG, &self.name)
            + <Singular<Str> as wire::WireField<String>>::encoded_len(
                CONTENT_TYPE_TAG,
                &self.content_type,
            )
            + if data_len == 0 {
                0
            } else {
                prost::encoding::key_len(DATA_TAG)
                    + prost::encoding::encoded_len_varint(data_len as u64)
                    + data_len
            }
    }

    fn clear(&mut self) {
        *self = File::default();
    }
}

fn field_name(tag: u32) -> &'static str {
    match tag {
        NAME_TAG => "name",
        CONTENT_TYPE_TAG => "content_type",
        DATA_TAG => "data",
        _ => "unknown",
    }
}

impl File {
    /// The content for protobuf encoding, which cannot fail: a spooled file that can no longer
    /// be read is logged and encoded as zeros of its size, so that the framing stays valid.
    fn content_or_log(&self) -> Bytes {
        match self.content() {
            Ok(bytes) if bytes.len() as u64 == self.size() => bytes,
            Ok(_) | Err(_) => {
                tracing::error!(name = %self.name, "a spooled upload could not be read back for encoding");
                Bytes::from(vec![0; usize::try_from(self.size()).unwrap_or(0)])
            }
        }
    }
}

impl NamedType for File {
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
    fn merge_value(&mut self, buf: &mut impl Buf, ctx: DecodeContext) -> Result<(), DecodeError> {
        wire::message_merge_value(self, buf, ctx)
    }
}

/// The JSON form: `{"name": "...", "contentType": "...", "data": "<base64>"}`.
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct FileJson {
    #[serde(skip_serializing_if = "String::is_empty", alias = "content_type")]
    content_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    data: String,
}

impl serde::Serialize for File {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        let data = self.content().map_err(serde::ser::Error::custom)?;
        FileJson {
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            data: base64::engine::general_purpose::STANDARD.encode(&data),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for File {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = FileJson::deserialize(deserializer)?;
        let data = decode_base64(&json.data)
            .ok_or_else(|| serde::de::Error::custom("`data` is not base64"))?;
        Ok(File::from_bytes(json.name, json.content_type, data))
    }
}

impl crate::codec::json::JsonMessage for File {
    const NAME: &'static str = "File";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("name", "name"),
        ("content_type", "contentType"),
        ("data", "data"),
    ];
    fn merge_json_field<'de, A: serde::de::MapAccess<'de>>(
        &mut self,
        index: usize,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let value: Option<String> = map.next_value()?;
        let value = value.unwrap_or_default();
        match index {
            0 => self.name = value,
            1 => self.content_type = value,
            _ => {
                let data = decode_base64(&value)
                    .ok_or_else(|| serde::de::Error::custom("`data` is not base64"))?;
                self.data = Data::Memory(Bytes::from(data));
            }
        }
        Ok(())
    }
}

impl TextMessage for File {
    fn merge_text(&mut self, _key: &str, _text: &str) -> Result<bool, TextError> {
        Err(TextError::Unsupported)
    }
}

impl NamedText for File {
    fn merge_named_text(&mut self, _rest: Option<&str>, _text: &str) -> Result<(), TextError> {
        Err(TextError::Unsupported)
    }
}

impl NamedSchema for File {
    fn register(registry: &mut Registry) -> FieldType {
        const NAME: &str = "protoapi.File";
        if registry.first_visit(NAME) {
            let field = |name, json_name, tag, scalar, doc| FieldDescriptor {
                name,
                json_name,
                tag,
                label: Label::Singular,
                ty: FieldType::Scalar(scalar),
                doc,
                constraints: Constraints::default(),
                file: false,
            };
            registry.add_message(MessageDescriptor {
                name: NAME,
                form: false,
                doc: "A file: its name as the client gave it, its content type and its content.",
                fields: vec![
                    field("name", "name", NAME_TAG, ScalarType::String, ""),
                    field(
                        "content_type",
                        "contentType",
                        CONTENT_TYPE_TAG,
                        ScalarType::String,
                        "",
                    ),
                    field("data", "data", DATA_TAG, ScalarType::Bytes, ""),
                ],
            });
        }
        FieldType::Message(NAME)
    }
}

/// An uploaded file has no rules of its own.
impl crate::validate::Validate for File {}

/// A file is a message as a field's value too.
impl crate::message::NamedValue for File {}

impl crate::message::ProtoMessage for File {
    const PROTO_NAME: &'static str = "protoapi.File";
}
