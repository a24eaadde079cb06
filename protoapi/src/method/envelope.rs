//! [`JsonEnvelope`]: what a transport writes around each of a call's JSON answers.

use serde::Serialize;
use serde_json::value::RawValue;

use super::payload::Payload;

/// What a transport writes around each of a call's JSON answers. The transport makes it once
/// per call; each answer's JSON is written inside it as the answer is encoded, so the wrapper
/// is never serialized again.
#[derive(Debug)]
pub(crate) enum JsonEnvelope {
    /// Text before and after each answer, such as a WebSocket's `{"id":7,"data":` and `}`:
    /// each answer is a [`Payload::Json`] holding the whole wrapped text.
    Text { start: String, end: &'static str },
    /// `{"data": <answer>}` as one JSON value, a [`Payload::Frame`], for a transport that sends
    /// JSON values rather than text (Socket.IO).
    Data,
}

impl JsonEnvelope {
    /// The envelope that writes `start` before each message and `end` after it.
    pub(crate) fn new(start: String, end: &'static str) -> Self {
        JsonEnvelope::Text { start, end }
    }

    /// One message's JSON with the envelope around it.
    pub(crate) fn wrap<T: Serialize>(&self, message: &T) -> Result<Payload, serde_json::Error> {
        match self {
            JsonEnvelope::Text { start, end } => {
                let mut text = serde_json::to_string(message)?;
                text.insert_str(0, start);
                text.push_str(end);
                Ok(Payload::Json(text))
            }
            JsonEnvelope::Data => {
                serde_json::value::to_raw_value(&Data { data: message }).map(Payload::Frame)
            }
        }
    }
}

/// The frame of [`JsonEnvelope::Data`].
#[derive(Serialize)]
struct Data<'a, T> {
    data: &'a T,
}

/// The text of a [`Payload::Frame`].
pub(crate) fn frame_text(frame: Box<RawValue>) -> String {
    Box::<str>::from(frame).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Note {
        text: &'static str,
    }

    fn text(payload: Payload) -> String {
        match payload {
            Payload::Json(text) => text,
            Payload::Frame(frame) => frame_text(frame),
            Payload::Proto(_) => panic!("a JSON answer"),
        }
    }

    #[test]
    fn a_message_is_written_between_the_start_and_the_end() {
        let envelope = JsonEnvelope::new("[\"answer\",".to_owned(), "]");
        let note = Note { text: "a\"b" };
        let answer = envelope.wrap(&note).expect("a message");
        assert!(matches!(answer, Payload::Json(_)));
        assert_eq!(text(answer), r#"["answer",{"text":"a\"b"}]"#);
        // The envelope is reused for every answer of the call.
        assert_eq!(
            text(envelope.wrap(&Note { text: "" }).expect("a message")),
            r#"["answer",{"text":""}]"#
        );
    }

    #[test]
    fn an_empty_envelope_leaves_the_message_as_it_is() {
        let envelope = JsonEnvelope::new(String::new(), "");
        assert_eq!(
            text(envelope.wrap(&Note { text: "x" }).expect("a message")),
            r#"{"text":"x"}"#
        );
    }

    #[test]
    fn the_data_envelope_is_one_json_value() {
        let answer = JsonEnvelope::Data
            .wrap(&Note { text: "a\"b" })
            .expect("a message");
        let Payload::Frame(frame) = answer else {
            panic!("a frame");
        };
        assert_eq!(frame.get(), r#"{"data":{"text":"a\"b"}}"#);
    }
}
