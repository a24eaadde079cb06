//! The frames of a Socket.IO call: the event a client emits read into its request, and the
//! JSON the server answers with, `{"data": ...}`, `{"error": ...}` or `{"end": true}`, the
//! shapes of protoapi's WebSocket frames without their `id`.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::method::{JsonEnvelope, Payload};
use crate::status::{Status, error_json};

/// An event as a client emitted it: its name and its one argument, the request.
#[derive(Debug)]
pub(super) struct Incoming<'a> {
    pub(super) event: Cow<'a, str>,
    /// The request in JSON; `None` when the event has no argument or `null`.
    pub(super) request: Option<String>,
    /// The request's size as sent: its JSON and its binary attachments.
    pub(super) size: usize,
    /// Whether the event was read by [`Incoming::read_quick`]: its request is yet to be found
    /// one JSON value.
    pub(super) quick: bool,
}

impl<'a> Incoming<'a> {
    /// Reads an event's packet data, `["say_hello",{"name":"x"}]`, with its binary attachments,
    /// each a `{"_placeholder":true,"num":0}` in the text, put in as base64 strings (proto3
    /// JSON's `bytes`). Fails when the event is not there or carries more than one argument.
    pub(super) fn read(
        text: &'a str,
        attachments: Option<&VecDeque<Bytes>>,
    ) -> Result<Self, Status> {
        let Parts {
            event,
            request,
            extra,
        } = serde_json::from_str(text)
            .map_err(|error| Status::invalid_argument(format!("invalid event: {error}")))?;
        let event =
            event.ok_or_else(|| Status::invalid_argument("invalid event: no event name"))?;
        let request = request.filter(|request| request.get() != "null");
        if extra > 0 {
            return Err(Status::invalid_argument(format!(
                "an event carries one argument, the request; `{}` has {}",
                crate::status::shown(&event),
                extra + 1
            )));
        }
        let size = request.map_or(0, |request| request.get().len())
            + attachments.map_or(0, |a| a.iter().map(Bytes::len).sum::<usize>());
        let request = match (request, attachments) {
            (None, _) => None,
            (Some(request), Some(attachments)) if !attachments.is_empty() => {
                Some(with_attachments(request.get(), attachments)?)
            }
            (Some(request), _) => Some(request.get().to_owned()),
        };
        Ok(Incoming {
            event,
            request,
            size,
            quick: false,
        })
    }

    /// Reads the common event, `["say_hello",{"name":"x"}]` (a name without escapes, an object,
    /// no attachments), without parsing it: the name is what comes before its closing quote, the
    /// request what comes between the comma and the closing bracket. Decoding the request then
    /// checks that it is one JSON object; when it is not, [`Incoming::read`] says what is wrong
    /// with the event. `None` for any other event.
    pub(super) fn read_quick(text: &'a str) -> Option<Self> {
        let rest = text.strip_prefix("[\"")?;
        let (event, rest) = rest.split_once('"')?;
        if event.contains('\\') {
            return None;
        }
        let request = rest
            .trim_start_matches(JSON_SPACE)
            .strip_prefix(',')?
            .trim_end_matches(JSON_SPACE)
            .strip_suffix(']')?
            .trim_matches(JSON_SPACE);
        if !request.starts_with('{') {
            return None;
        }
        Some(Incoming {
            event: Cow::Borrowed(event),
            request: Some(request.to_owned()),
            size: request.len(),
            quick: true,
        })
    }

    /// The request as a call's first payload: an event without one carries the empty message.
    pub(super) fn payload(self) -> Payload {
        Payload::Json(self.request.unwrap_or_else(|| "{}".to_owned()))
    }
}

/// JSON's whitespace.
const JSON_SPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// An event's packet data read in place: its name, its first argument, and how many more
/// arguments follow.
struct Parts<'a> {
    event: Option<Cow<'a, str>>,
    request: Option<&'a RawValue>,
    extra: usize,
}

impl<'de> Deserialize<'de> for Parts<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PartsVisitor)
    }
}

struct PartsVisitor;

impl<'de> Visitor<'de> for PartsVisitor {
    type Value = Parts<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of the event's name and its argument")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Parts<'de>, S::Error> {
        let event = seq.next_element::<Name<'de>>()?.map(|name| name.0);
        let request = seq.next_element()?;
        let mut extra = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            extra += 1;
        }
        Ok(Parts {
            event,
            request,
            extra,
        })
    }
}

/// An event's name, borrowed from the packet unless it has escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("the event's name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(name)))
            }

            fn visit_str<E>(self, name: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(name.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// A request's JSON with each attachment placeholder replaced by the attachment in base64.
fn with_attachments(text: &str, attachments: &VecDeque<Bytes>) -> Result<String, Status> {
    let mut value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| Status::invalid_argument(format!("invalid JSON: {error}")))?;
    fill_placeholders(&mut value, attachments)?;
    Ok(value.to_string())
}

fn fill_placeholders(
    value: &mut serde_json::Value,
    attachments: &VecDeque<Bytes>,
) -> Result<(), Status> {
    match value {
        serde_json::Value::Object(map) => {
            if map.len() == 2 && map.get("_placeholder") == Some(&serde_json::Value::Bool(true)) {
                let index = map.get("num").and_then(serde_json::Value::as_u64);
                let attachment = index
                    .and_then(|index| usize::try_from(index).ok())
                    .and_then(|index| attachments.get(index))
                    .ok_or_else(|| {
                        Status::invalid_argument("invalid event: a placeholder names no attachment")
                    })?;
                *value = serde_json::Value::String(
                    base64::engine::general_purpose::STANDARD.encode(attachment),
                );
                return Ok(());
            }
            map.values_mut()
                .try_for_each(|item| fill_placeholders(item, attachments))
        }
        serde_json::Value::Array(items) => items
            .iter_mut()
            .try_for_each(|item| fill_placeholders(item, attachments)),
        _ => Ok(()),
    }
}

/// The envelope of a call's answers, `{"data":` + message + `}`.
pub(super) fn data_envelope() -> JsonEnvelope {
    JsonEnvelope::Data
}

/// The frame of a failed call: `{"error":{"code":...,"message":...,"details":[...]}}`, the
/// error in the JSON error body of every transport.
pub(super) fn error_frame(status: &Status) -> String {
    let body = error_json(status);
    let mut frame = String::with_capacity(body.len() + 10);
    frame.push_str("{\"error\":");
    frame.push_str(&body);
    frame.push('}');
    frame
}

/// The frame that ends a stream successfully.
pub(super) const END_FRAME: &str = "{\"end\":true}";

/// A frame's text as the value socketioxide writes into the packet as it is.
pub(super) fn raw(frame: String) -> Box<RawValue> {
    RawValue::from_string(frame).unwrap_or_else(|error| {
        tracing::error!(%error, "a Socket.IO frame is not JSON");
        RawValue::from_string(error_frame(&Status::internal(
            "failed to encode the answer",
        )))
        .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_read_into_its_name_and_request() {
        let incoming = Incoming::read(r#"["say_hello",{"name":"世界"}]"#, None).expect("an event");
        assert_eq!(incoming.event, "say_hello");
        assert_eq!(incoming.request.as_deref(), Some(r#"{"name":"世界"}"#));
        assert_eq!(incoming.size, r#"{"name":"世界"}"#.len());
        let bare = Incoming::read(r#"["say_hello"]"#, None).expect("an event");
        assert_eq!(bare.request, None);
        assert!(matches!(bare.payload(), Payload::Json(text) if text == "{}"));
        let null = Incoming::read(r#"["say_hello",null]"#, None).expect("an event");
        assert_eq!(null.request, None);
    }

    #[test]
    fn the_common_event_is_read_quickly() {
        let incoming = Incoming::read_quick(r#"["say_hello", {"name":"]"} ]"#).expect("quick");
        assert_eq!(incoming.event, "say_hello");
        assert_eq!(incoming.request.as_deref(), Some(r#"{"name":"]"}"#));
        assert_eq!(incoming.size, r#"{"name":"]"}"#.len());
        assert!(incoming.quick);
        // What it cannot tell from the text, it leaves to the whole reading.
        for other in [
            r#"["say_hello"]"#,
            r#"["say_hello",null]"#,
            r#"["say_hello","x"]"#,
            r#"["say\"hello",{}]"#,
            r#"[ "say_hello",{}]"#,
            r#"["say_hello",{}"#,
            "[\"say_hello\",\u{a0}{}]",
        ] {
            assert!(Incoming::read_quick(other).is_none(), "{other}");
        }
        // Two objects look like one until decoded: the request is then not one JSON value.
        let two = Incoming::read_quick(r#"["say_hello",{},{}]"#).expect("quick");
        assert_eq!(two.request.as_deref(), Some("{},{}"));
    }

    #[test]
    fn an_event_with_two_arguments_is_refused() {
        let status = Incoming::read(r#"["say_hello",{},2]"#, None).expect_err("two arguments");
        assert_eq!(
            status.message(),
            "an event carries one argument, the request; `say_hello` has 2"
        );
    }

    #[test]
    fn attachments_become_base64() {
        let attachments = VecDeque::from([Bytes::from_static(b"hi"), Bytes::from_static(b"\0")]);
        let incoming = Incoming::read(
            r#"["put",{"a":{"_placeholder":true,"num":1},"b":[{"_placeholder":true,"num":0}]}]"#,
            Some(&attachments),
        )
        .expect("an event");
        assert_eq!(
            incoming.request.as_deref(),
            Some(r#"{"a":"AA==","b":["aGk="]}"#)
        );
        let status = Incoming::read(
            r#"["put",{"a":{"_placeholder":true,"num":2}}]"#,
            Some(&attachments),
        )
        .expect_err("no third attachment");
        assert_eq!(
            status.message(),
            "invalid event: a placeholder names no attachment"
        );
    }

    #[test]
    fn frames_are_the_websocket_shapes_without_an_id() {
        let frame = data_envelope().wrap(&serde_json::json!({"message": "hi"}));
        assert!(
            matches!(&frame, Ok(Payload::Frame(frame)) if frame.get() == r#"{"data":{"message":"hi"}}"#),
            "{frame:?}"
        );
        assert_eq!(
            error_frame(&Status::invalid_argument("no")),
            r#"{"error":{"code":"invalid_argument","message":"no","details":[]}}"#
        );
        assert_eq!(raw(END_FRAME.to_owned()).get(), END_FRAME);
    }
}
