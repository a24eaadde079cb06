//! The frames of a WebSocket call: reading the client's (a JSON text frame or a binary
//! `protoapi.Frame`) and writing the server's answers in the encoding the call started with.

use std::fmt;

use axum::extract::ws::Message;
use bytes::Bytes;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tonic::{Code, Status};

use crate::download::FileChunk;
use crate::message::ProtoMessage;
use crate::method::{Encoding, JsonEnvelope, Params, Payload, decode};
use crate::status::{ErrorDetail, code_name, error_details};

/// The binary twin of a JSON frame: `protoapi.Frame`, sent in a binary WebSocket message.
///
/// A frame that neither ends a stream nor carries an error or a file piece carries a message in
/// `data`; a client may leave `data` out for a message whose fields are all at their defaults.
#[protoapi_macros::message(crate = "crate", name = "protoapi.Frame")]
pub struct Frame {
    /// The call's id, chosen by the client; empty for none.
    pub id: String,
    /// On a service socket, the rpc a call's first frame starts, such as `GetStudent`.
    pub method: String,
    /// The request or response message, protobuf-encoded.
    pub data: Option<Bytes>,
    /// Ends a client stream (client to server), or a server stream that succeeded (server to
    /// client). A client that sends `end` for a call whose requests are all sent cancels it.
    pub end: bool,
    /// The call failed (server to client only).
    pub error: Option<FrameError>,
    /// A piece of a file of the request (client to server only), for a method whose request
    /// has `#[file]` fields: a piece that sets `name` or `field` starts a file, one that sets
    /// neither continues it. docs/websocket.md tells the whole upload.
    pub file: Option<FileChunk>,
}

/// The error of a failed call: `protoapi.Error`, as in the JSON error body.
#[protoapi_macros::message(crate = "crate", name = "protoapi.Error")]
pub struct FrameError {
    /// The status code's name in snake case, such as `not_found`.
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// The error's details: a `google.rpc.Status` in protobuf, as gRPC sends it in
    /// `grpc-status-details-bin` (for a request that breaks a validation rule, its details hold
    /// a `google.rpc.BadRequest`); empty when the error has none.
    pub details: Bytes,
}

/// The id of a call: a number or a string, echoed as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub(super) enum Id {
    Unsigned(u64),
    Signed(i64),
    Text(String),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Unsigned(n) => write!(f, "{n}"),
            Id::Signed(n) => write!(f, "{n}"),
            Id::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id::Unsigned(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(u64::try_from(v).map_or(Id::Signed(v), Id::Unsigned))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// A JSON frame from the client.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFrame<'a> {
    #[serde(default)]
    id: Option<Id>,
    #[serde(default, borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    end: bool,
    #[serde(default, borrow)]
    file: Option<&'a RawValue>,
}

/// A JSON frame to the client.
#[derive(Serialize)]
struct JsonAnswer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    end: bool,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    code: &'static str,
    message: &'a str,
    /// As in the HTTP error body; left out when the error has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<ErrorDetail>,
}

/// A frame from the client, whichever its encoding.
pub(super) struct Incoming {
    pub(super) encoding: Encoding,
    pub(super) id: Option<Id>,
    pub(super) method: Option<String>,
    /// The message it carries: present unless the frame only ends a stream.
    pub(super) message: Option<Payload>,
    pub(super) end: bool,
    /// A piece of a file; `message` is then present only when the frame sets `data`.
    pub(super) file: Option<FileChunk>,
}

/// Reads a text frame: a JSON envelope around the message.
pub(super) fn parse_text(text: &str) -> Result<Incoming, Status> {
    let frame: JsonFrame<'_> = serde_json::from_str(text)
        .map_err(|error| Status::invalid_argument(format!("invalid frame: {error}")))?;
    let file = match frame.file {
        Some(raw) => {
            let mut chunk = FileChunk::default();
            crate::codec::json_merge::merge_json_text(&mut chunk, raw.get()).map_err(|status| {
                Status::invalid_argument(format!("invalid frame: `file`: {}", status.message()))
            })?;
            Some(chunk)
        }
        None => None,
    };
    let message = match frame.data {
        Some(raw) => Some(Payload::Json(raw.get().to_owned())),
        None if !frame.end && file.is_none() => Some(Payload::empty(Encoding::Json)),
        None => None,
    };
    Ok(Incoming {
        encoding: Encoding::Json,
        id: frame.id,
        method: frame.method.map(|m| m.into_owned()),
        message,
        end: frame.end,
        file,
    })
}

/// Reads a binary frame: a `protoapi.Frame`.
pub(super) fn parse_binary(bytes: Bytes) -> Result<Incoming, Status> {
    let frame = <Frame as prost::Message>::decode(bytes).map_err(|error| {
        Status::invalid_argument(format!("invalid frame: not a protoapi.Frame: {error}"))
    })?;
    if frame.error.is_some() {
        return Err(Status::invalid_argument(
            "invalid frame: a client does not send errors",
        ));
    }
    let message = match frame.data {
        Some(bytes) => Some(Payload::Proto(bytes)),
        None if !frame.end && frame.file.is_none() => Some(Payload::empty(Encoding::Proto)),
        None => None,
    };
    Ok(Incoming {
        encoding: Encoding::Proto,
        id: (!frame.id.is_empty()).then_some(Id::Text(frame.id)),
        method: (!frame.method.is_empty()).then_some(frame.method),
        message,
        end: frame.end,
        file: frame.file,
    })
}

/// Reads one client frame as a connection does — the frame, then its message as a `Req` —
/// without a connection: a text frame when `binary` is false (its bytes must be UTF-8, as
/// the WebSocket protocol guarantees), a binary one otherwise. `Ok(None)` is a frame that only
/// ends a stream. The fuzz target `websocket_frame` drives this; it is not part of the API.
#[doc(hidden)]
pub fn read_frame<Req: ProtoMessage>(binary: bool, bytes: Bytes) -> Result<Option<Req>, Status> {
    let incoming = if binary {
        parse_binary(bytes)?
    } else {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Status::invalid_argument("a text frame must be UTF-8"))?;
        parse_text(text)?
    };
    match incoming.message {
        Some(payload) => decode(&Params::default(), Some(&payload)).map(Some),
        None => Ok(None),
    }
}

/// How a call ends, besides its messages: the end of a stream, or an error.
pub(super) enum Answer {
    End,
    Error(Status),
}

/// The frame that ends a call, or reports its error, in the call's encoding.
pub(super) fn frame_message(encoding: Encoding, id: Option<&Id>, answer: Answer) -> Message {
    match encoding {
        Encoding::Json => {
            let (error, end) = match &answer {
                Answer::End => (None, true),
                Answer::Error(status) => (
                    Some(ErrorJson {
                        code: error_code(status),
                        message: status.message(),
                        details: error_details(status),
                    }),
                    false,
                ),
            };
            let text = serde_json::to_string(&JsonAnswer { id, error, end }).unwrap_or_else(|_| {
                r#"{"error":{"code":"internal","message":"failed to encode a frame"}}"#.to_owned()
            });
            Message::Text(text.into())
        }
        Encoding::Proto => proto_frame(id, |frame| match answer {
            Answer::End => frame.end = true,
            Answer::Error(status) => {
                frame.error = Some(FrameError {
                    code: error_code(&status).to_owned(),
                    message: status.message().to_owned(),
                    details: Bytes::copy_from_slice(status.details()),
                });
            }
        }),
    }
}

/// A binary frame with the call's id, filled in by `fill`.
fn proto_frame(id: Option<&Id>, fill: impl FnOnce(&mut Frame)) -> Message {
    let mut frame = Frame {
        id: match id {
            Some(Id::Text(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        },
        ..Frame::default()
    };
    fill(&mut frame);
    Message::Binary(prost::Message::encode_to_vec(&frame).into())
}

/// The frame of an answer's message. A JSON one is the whole frame already: a WebSocket call's
/// encoder writes it in the call's [`answer_envelope`].
pub(super) fn data_message(id: Option<&Id>, payload: Payload) -> Message {
    match payload {
        Payload::Json(text) => Message::Text(text.into()),
        Payload::Frame(frame) => Message::Text(crate::method::frame_text(frame).into()),
        Payload::Proto(bytes) => proto_frame(id, |frame| frame.data = Some(bytes)),
    }
}

/// A failed call's code; a method that fails with `ok` still failed.
fn error_code(status: &Status) -> &'static str {
    match status.code() {
        Code::Ok => code_name(Code::Unknown),
        code => code_name(code),
    }
}

/// The envelope of a call's JSON answers, `{"id":7,"data":` + message + `}`: its start is made
/// once for all of the call's answers (without the id when the call has none).
pub(super) fn answer_envelope(id: Option<&Id>) -> JsonEnvelope {
    let mut start = String::with_capacity(32);
    start.push('{');
    if let Some(id) = id {
        start.push_str("\"id\":");
        match id {
            Id::Unsigned(n) => start.push_str(itoa::Buffer::new().format(*n)),
            Id::Signed(n) => start.push_str(itoa::Buffer::new().format(*n)),
            // A string always serializes.
            Id::Text(text) => start.push_str(&serde_json::to_string(text).unwrap_or_default()),
        }
        start.push(',');
    }
    start.push_str("\"data\":");
    JsonEnvelope::new(start, "}")
}

/// The length of a frame's payload.
pub(super) fn frame_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) | Message::Ping(bytes) | Message::Pong(bytes) => bytes.len(),
        Message::Close(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Note {
        n: u32,
    }

    /// What a frame carries as its message: its JSON text or protobuf bytes, `none` for no
    /// message.
    fn carried(incoming: &Incoming) -> String {
        match &incoming.message {
            None => "none".to_owned(),
            Some(Payload::Json(text)) => text.clone(),
            Some(Payload::Proto(bytes)) => format!("{bytes:?}"),
            Some(Payload::Frame(frame)) => frame.get().to_owned(),
        }
    }

    #[test]
    fn a_frame_without_data_carries_the_empty_message_unless_it_ends_or_carries_a_file() {
        let text = |frame: &str| carried(&parse_text(frame).expect("a frame"));
        assert_eq!(text(r#"{"id":1,"data":{"n":1}}"#), r#"{"n":1}"#);
        assert_eq!(text(r#"{"id":1}"#), "{}");
        assert_eq!(text(r#"{"id":1,"end":true}"#), "none");
        assert_eq!(text(r#"{"id":1,"file":{"data":"aGk="}}"#), "none");

        let binary = |frame: Frame| {
            let incoming = parse_binary(prost::Message::encode_to_vec(&frame).into());
            incoming.expect("a frame")
        };
        let data = Frame {
            id: "7".into(),
            method: "Echo".into(),
            data: Some(Bytes::from_static(b"\x08\x01")),
            ..Frame::default()
        };
        let read = binary(data);
        assert_eq!(carried(&read), r#"b"\x08\x01""#);
        assert_eq!(read.id, Some(Id::Text("7".into())));
        assert_eq!(read.method.as_deref(), Some("Echo"));
        let bare = binary(Frame::default());
        assert_eq!(carried(&bare), r#"b"""#);
        assert_eq!((bare.id, bare.method), (None, None));
        let end = Frame {
            end: true,
            ..Frame::default()
        };
        assert_eq!(carried(&binary(end)), "none");
        let file = Frame {
            file: Some(FileChunk::default()),
            ..Frame::default()
        };
        assert_eq!(carried(&binary(file)), "none");
    }

    #[test]
    fn read_frame_decodes_the_message_of_either_encoding() {
        let text = br#"{"data":{"name":"a.txt","size":"3"}}"#;
        let chunk = read_frame::<FileChunk>(false, Bytes::from_static(text)).expect("a frame");
        assert_eq!(
            chunk.map(|c| (c.name, c.size)),
            Some(("a.txt".to_owned(), 3))
        );
        let ends = br#"{"end":true}"#;
        assert!(matches!(
            read_frame::<FileChunk>(false, Bytes::from_static(ends)),
            Ok(None)
        ));
        let data = FileChunk {
            name: "b.bin".into(),
            ..FileChunk::default()
        };
        let frame = Frame {
            data: Some(prost::Message::encode_to_vec(&data).into()),
            ..Frame::default()
        };
        let binary = prost::Message::encode_to_vec(&frame).into();
        let read = read_frame::<FileChunk>(true, binary).expect("a frame");
        assert_eq!(read.map(|c| c.name), Some("b.bin".to_owned()));
    }

    #[test]
    fn error_frames_name_the_code_and_keep_the_id() {
        let text = |status: Status| match frame_message(
            Encoding::Json,
            Some(&Id::Unsigned(7)),
            Answer::Error(status),
        ) {
            Message::Text(text) => text.to_string(),
            other => panic!("a text frame, not {other:?}"),
        };
        let not_found: serde_json::Value =
            serde_json::from_str(&text(Status::not_found("no such x"))).expect("JSON");
        assert_eq!(not_found["id"], 7);
        assert_eq!(not_found["error"]["code"], "not_found");
        assert_eq!(not_found["error"]["message"], "no such x");
        // A method that fails with `ok` still failed.
        let ok: serde_json::Value =
            serde_json::from_str(&text(Status::new(Code::Ok, "odd"))).expect("JSON");
        assert_eq!(ok["error"]["code"], "unknown");

        let binary = frame_message(
            Encoding::Proto,
            Some(&Id::Signed(-3)),
            Answer::Error(Status::unavailable("later")),
        );
        let Message::Binary(bytes) = binary else {
            panic!("a binary frame");
        };
        let frame = <Frame as prost::Message>::decode(bytes).expect("a protoapi.Frame");
        assert_eq!(frame.id, "-3");
        let error = frame.error.expect("an error");
        assert_eq!(
            (error.code.as_str(), error.message.as_str()),
            ("unavailable", "later")
        );
    }

    #[test]
    fn ids_show_as_the_client_sent_them() {
        assert_eq!(Id::Unsigned(7).to_string(), "7");
        assert_eq!(Id::Signed(-3).to_string(), "-3");
        assert_eq!(Id::Text("a b".into()).to_string(), r#""a b""#);
        let error = serde_json::from_str::<Id>("true").expect_err("not an id");
        assert!(
            error
                .to_string()
                .contains("expected an integer or a string"),
            "{error}"
        );
    }

    #[test]
    fn frame_len_is_the_payload_length() {
        assert_eq!(frame_len(&Message::Text("abc".into())), 3);
        assert_eq!(frame_len(&Message::Binary(Bytes::from_static(b"abcd"))), 4);
        assert_eq!(frame_len(&Message::Ping(Bytes::from_static(b"p"))), 1);
        assert_eq!(frame_len(&Message::Close(None)), 0);
    }

    #[test]
    fn answer_frames_carry_the_call_id_as_the_client_sent_it() {
        let frame = |id: Option<Id>| match answer_envelope(id.as_ref()).wrap(&Note { n: 1 }) {
            Ok(Payload::Json(text)) => text,
            other => panic!("a text frame, not {other:?}"),
        };
        assert_eq!(frame(None), r#"{"data":{"n":1}}"#);
        assert_eq!(frame(Some(Id::Unsigned(7))), r#"{"id":7,"data":{"n":1}}"#);
        assert_eq!(
            frame(Some(Id::Unsigned(u64::MAX))),
            r#"{"id":18446744073709551615,"data":{"n":1}}"#
        );
        assert_eq!(frame(Some(Id::Signed(-3))), r#"{"id":-3,"data":{"n":1}}"#);
        assert_eq!(
            frame(Some(Id::Text("a\"b\\ü\n".to_owned()))),
            r#"{"id":"a\"b\\ü\n","data":{"n":1}}"#
        );
    }
}
