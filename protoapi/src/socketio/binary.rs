//! Binary attachments in answers: the `bytes` fields of a reply (and the `data` of a
//! `protoapi::File`), which proto3 JSON writes as base64 strings, go to a Socket.IO client as
//! binary attachments. [`Binaries`] knows, from the services' schemas, where each message has
//! `bytes`; [`Frame`] is an answer with them taken out of its JSON.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use serde::ser::{SerializeMap as _, SerializeSeq as _};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::schema::{FieldType, Label, MessageDescriptor, ScalarType};

/// Where the messages that hold `bytes` (directly or in a field's message) have them.
#[derive(Default)]
pub(super) struct Binaries {
    messages: HashMap<&'static str, Vec<Field>>,
}

/// A field that holds `bytes`, or a message that does.
struct Field {
    /// Its JSON name and its proto name: an answer may use either.
    names: [&'static str; 2],
    label: Label,
    /// A map's values (a map's keys are never `bytes` in JSON).
    map: bool,
    /// `None`: the field is `bytes`; else the message it holds.
    message: Option<&'static str>,
}

impl Binaries {
    /// The `bytes` of every message of `messages`.
    pub(super) fn new<'a>(messages: impl IntoIterator<Item = &'a MessageDescriptor>) -> Self {
        let all: HashMap<&'static str, &MessageDescriptor> = messages
            .into_iter()
            .map(|message| (message.name, message))
            .collect();
        // Which messages hold bytes: those with a `bytes` field, then those with a field of one
        // of them, until nothing changes (messages may refer to each other in a cycle).
        let mut holding: HashSet<&'static str> = HashSet::new();
        loop {
            let before = holding.len();
            for (name, message) in &all {
                if holding.contains(name) {
                    continue;
                }
                if message.fields.iter().any(|field| {
                    target(&field.ty).is_some_and(|t| t.is_none_or(|m| holding.contains(m)))
                }) {
                    holding.insert(name);
                }
            }
            if holding.len() == before {
                break;
            }
        }
        let messages = holding
            .iter()
            .filter_map(|name| all.get(name).map(|message| (*name, *message)))
            .map(|(name, message)| {
                let fields = message
                    .fields
                    .iter()
                    .filter_map(|field| {
                        let target = target(&field.ty)?;
                        if target.is_some_and(|m| !holding.contains(m)) {
                            return None;
                        }
                        Some(Field {
                            names: [field.json_name, field.name],
                            label: field.label,
                            map: matches!(field.ty, FieldType::Map(..)),
                            message: target,
                        })
                    })
                    .collect();
                (name, fields)
            })
            .collect();
        Binaries { messages }
    }

    /// Whether answers of `message` may carry attachments.
    pub(super) fn holds(&self, message: &str) -> bool {
        self.messages.contains_key(message)
    }

    /// An answer frame (`{"data": <message>}`) of `message` with its `bytes` as attachments;
    /// the frame as it is when it has none.
    pub(super) fn frame(&self, message: &str, frame: Box<RawValue>) -> Frame {
        if !self.holds(message) {
            return Frame::Text(frame);
        }
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(frame.get()) else {
            return Frame::Text(frame);
        };
        let mut found = false;
        if let Some(data) = value.get_mut("data") {
            found = self.take(message, data, 0);
        }
        if found {
            Frame::Binary(Part::from(value))
        } else {
            Frame::Text(frame)
        }
    }

    /// Marks the base64 strings of `message`'s `bytes` fields in `value` as binary, returning
    /// whether it found any.
    fn take(&self, message: &str, value: &mut serde_json::Value, depth: usize) -> bool {
        let (Some(fields), Some(object)) = (self.messages.get(message), value.as_object_mut())
        else {
            return false;
        };
        if depth > MAX_DEPTH {
            return false;
        }
        let mut found = false;
        for field in fields {
            let Some(key) = field
                .names
                .into_iter()
                .find(|name| object.contains_key(*name))
            else {
                continue;
            };
            let Some(item) = object.get_mut(key) else {
                continue;
            };
            let visit = |item: &mut serde_json::Value| match field.message {
                Some(inner) => self.take(inner, item, depth + 1),
                None => mark(item),
            };
            found |= match (field.map, field.label, item) {
                (true, _, serde_json::Value::Object(entries)) => {
                    entries.values_mut().fold(false, |f, v| visit(v) | f)
                }
                (false, Label::Repeated, serde_json::Value::Array(items)) => {
                    items.iter_mut().fold(false, |f, v| visit(v) | f)
                }
                (false, Label::Singular | Label::Optional, item) => visit(item),
                _ => false,
            };
        }
        found
    }
}

/// How deep messages nest before the rest of an answer keeps its base64 text.
const MAX_DEPTH: usize = 64;

/// What a field holds that may carry bytes: `Some(None)` for `bytes`, `Some(Some(m))` for the
/// message `m`, `None` for anything else.
fn target(ty: &FieldType) -> Option<Option<&'static str>> {
    match ty {
        FieldType::Scalar(ScalarType::Bytes) => Some(None),
        FieldType::Message(name) => Some(Some(name)),
        FieldType::Map(_, inner) => target(inner),
        FieldType::Scalar(_) | FieldType::Enum(_) => None,
    }
}

/// Where the `bytes` of one method's answers are.
#[derive(Clone)]
pub(super) struct Attach {
    binaries: Arc<Binaries>,
    /// The answers' message.
    message: &'static str,
    /// The keys, quoted, of every field on the way to a `bytes` value: an answer whose text
    /// holds none of them has no `bytes` to send and is sent as it is, unparsed.
    keys: Arc<[String]>,
}

impl Attach {
    /// Where the `bytes` of `message` are, when it holds any.
    pub(super) fn new(binaries: &Arc<Binaries>, message: &'static str) -> Option<Attach> {
        if !binaries.holds(message) {
            return None;
        }
        let mut keys = Vec::new();
        let mut seen = HashSet::new();
        let mut next = vec![message];
        while let Some(message) = next.pop() {
            if !seen.insert(message) {
                continue;
            }
            for field in binaries.messages.get(message).into_iter().flatten() {
                keys.extend(field.names.iter().map(|name| format!("\"{name}\"")));
                next.extend(field.message);
            }
        }
        keys.sort_unstable();
        keys.dedup();
        Some(Attach {
            binaries: binaries.clone(),
            message,
            keys: keys.into(),
        })
    }

    /// An answer frame with its `bytes` as attachments.
    pub(super) fn frame(&self, frame: Box<RawValue>) -> Frame {
        if !self
            .keys
            .iter()
            .any(|key| frame.get().contains(key.as_str()))
        {
            return Frame::Text(frame);
        }
        self.binaries.frame(self.message, frame)
    }
}

/// The key that marks a decoded `bytes` value inside the JSON while it is rebuilt.
const MARK: &str = "\u{0}protoapi-bytes";

/// Replaces a base64 string by a marked object holding its bytes (as a base64 string still:
/// [`Part::from`] decodes it).
fn mark(item: &mut serde_json::Value) -> bool {
    let serde_json::Value::String(text) = item else {
        return false;
    };
    let text = std::mem::take(text);
    let mut marked = serde_json::Map::new();
    marked.insert(MARK.to_owned(), serde_json::Value::String(text));
    *item = serde_json::Value::Object(marked);
    true
}

/// A frame as socketioxide sends it: JSON text as it is, or JSON with binary parts.
#[derive(Clone)]
pub(super) enum Frame {
    Text(Box<RawValue>),
    Binary(Part),
}

impl Frame {
    /// Whether it is the answer of an empty message, `{"data":{}}`.
    pub(super) fn is_empty_answer(&self) -> bool {
        matches!(self, Frame::Text(text) if text.get() == EMPTY_ANSWER)
    }
}

/// The answer frame of an empty message.
const EMPTY_ANSWER: &str = "{\"data\":{}}";

impl From<String> for Frame {
    fn from(frame: String) -> Self {
        Frame::Text(super::frame::raw(frame))
    }
}

impl Serialize for Frame {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Frame::Text(text) => text.serialize(serializer),
            Frame::Binary(part) => part.serialize(serializer),
        }
    }
}

/// A JSON value whose marked strings are bytes, which socketioxide sends as attachments.
#[derive(Clone)]
pub(super) enum Part {
    Json(serde_json::Value),
    Bytes(bytes::Bytes),
    Object(Vec<(String, Part)>),
    Array(Vec<Part>),
}

impl From<serde_json::Value> for Part {
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Object(mut map) if map.len() == 1 && map.contains_key(MARK) => {
                let text = match map.remove(MARK) {
                    Some(serde_json::Value::String(text)) => text,
                    _ => String::new(),
                };
                match base64::engine::general_purpose::STANDARD.decode(&text) {
                    Ok(bytes) => Part::Bytes(bytes.into()),
                    Err(_) => Part::Json(serde_json::Value::String(text)),
                }
            }
            serde_json::Value::Object(map) => Part::Object(
                map.into_iter()
                    .map(|(key, value)| (key, Part::from(value)))
                    .collect(),
            ),
            serde_json::Value::Array(items) => {
                Part::Array(items.into_iter().map(Part::from).collect())
            }
            other => Part::Json(other),
        }
    }
}

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::Json(value) => value.serialize(serializer),
            Part::Bytes(bytes) => serializer.serialize_bytes(bytes),
            Part::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Part::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Constraints, FieldDescriptor};

    fn field(
        name: &'static str,
        json_name: &'static str,
        label: Label,
        ty: FieldType,
    ) -> FieldDescriptor {
        FieldDescriptor {
            name,
            json_name,
            tag: 1,
            label,
            ty,
            doc: "",
            constraints: Constraints::default(),
            file: false,
        }
    }

    fn message(name: &'static str, fields: Vec<FieldDescriptor>) -> MessageDescriptor {
        MessageDescriptor {
            name,
            doc: "",
            form: false,
            fields,
        }
    }

    fn json(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).expect("JSON")
    }

    fn binaries() -> Binaries {
        let bytes = FieldType::Scalar(ScalarType::Bytes);
        Binaries::new(&[
            message(
                "Outer",
                vec![
                    field("raw_data", "rawData", Label::Singular, bytes.clone()),
                    field("parts", "parts", Label::Repeated, bytes.clone()),
                    field(
                        "inner",
                        "inner",
                        Label::Singular,
                        FieldType::Message("Inner"),
                    ),
                    field(
                        "by_name",
                        "byName",
                        Label::Repeated,
                        FieldType::Map(ScalarType::String, Box::new(bytes.clone())),
                    ),
                    field(
                        "note",
                        "note",
                        Label::Singular,
                        FieldType::Scalar(ScalarType::String),
                    ),
                    field(
                        "plain",
                        "plain",
                        Label::Singular,
                        FieldType::Message("Plain"),
                    ),
                ],
            ),
            message(
                "Inner",
                vec![
                    field("data", "data", Label::Singular, bytes),
                    field("next", "next", Label::Optional, FieldType::Message("Inner")),
                ],
            ),
            message(
                "Plain",
                vec![field(
                    "text",
                    "text",
                    Label::Singular,
                    FieldType::Scalar(ScalarType::String),
                )],
            ),
        ])
    }

    /// The frame as socketioxide's common parser writes it: placeholders and attachments.
    fn written(frame: &Frame) -> String {
        serde_json::to_string(&marked(frame)).expect("JSON")
    }

    /// The frame with each attachment shown as `<bytes:..>`, to compare as JSON.
    fn marked(frame: &Frame) -> serde_json::Value {
        fn show(part: &Part) -> serde_json::Value {
            match part {
                Part::Json(value) => value.clone(),
                Part::Bytes(bytes) => format!("<bytes:{}>", String::from_utf8_lossy(bytes)).into(),
                Part::Object(entries) => entries
                    .iter()
                    .map(|(key, value)| (key.clone(), show(value)))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
                Part::Array(items) => items.iter().map(show).collect(),
            }
        }
        match frame {
            Frame::Text(text) => serde_json::from_str(text.get()).expect("JSON"),
            Frame::Binary(part) => show(part),
        }
    }

    #[test]
    fn bytes_fields_become_attachments_wherever_they_nest() {
        let binaries = binaries();
        assert!(binaries.holds("Outer") && binaries.holds("Inner") && !binaries.holds("Plain"));
        // "YQ==" is "a", "Yg==" "b", and so on.
        let frame = binaries.frame(
            "Outer",
            json(r#"{"data":{"rawData":"YQ==","parts":["Yg==","Yw=="],"inner":{"data":"ZA==","next":{"data":"ZQ=="}},"byName":{"k":"Zg=="},"note":"YQ==","plain":{"text":"YQ=="}}}"#),
        );
        assert!(matches!(frame, Frame::Binary(_)));
        assert_eq!(
            written(&frame),
            r#"{"data":{"byName":{"k":"<bytes:f>"},"inner":{"data":"<bytes:d>","next":{"data":"<bytes:e>"}},"note":"YQ==","parts":["<bytes:b>","<bytes:c>"],"plain":{"text":"YQ=="},"rawData":"<bytes:a>"}}"#
        );
    }

    #[test]
    fn an_attach_looks_for_the_keys_on_the_way_to_bytes() {
        let binaries = Arc::new(binaries());
        let attach = Attach::new(&binaries, "Outer").expect("Outer holds bytes");
        assert_eq!(
            &*attach.keys,
            [
                "\"byName\"",
                "\"by_name\"",
                "\"data\"",
                "\"inner\"",
                "\"next\"",
                "\"parts\"",
                "\"rawData\"",
                "\"raw_data\""
            ]
        );
        assert!(Attach::new(&binaries, "Plain").is_none());
        let frame = attach.frame(json(r#"{"data":{"note":"x","plain":{"text":"YQ=="}}}"#));
        assert!(matches!(frame, Frame::Text(_)));
        let frame = attach.frame(json(r#"{"data":{"raw_data":"YQ=="}}"#));
        assert_eq!(written(&frame), r#"{"data":{"raw_data":"<bytes:a>"}}"#);
    }

    #[test]
    fn a_frame_without_bytes_stays_text() {
        let binaries = binaries();
        let frame = binaries.frame("Outer", json(r#"{"data":{"note":"x"}}"#));
        assert!(matches!(&frame, Frame::Text(text) if text.get() == r#"{"data":{"note":"x"}}"#));
        let frame = binaries.frame("Plain", json(r#"{"data":{"text":"YQ=="}}"#));
        assert!(matches!(&frame, Frame::Text(text) if text.get() == r#"{"data":{"text":"YQ=="}}"#));
    }
}
