//! [`JsonEnvelope`]: the text a transport writes around each of a call's JSON answers.

use serde::Serialize;

/// The text a transport writes around each of a call's JSON answers, such as a WebSocket's
/// `{"id":7,"data":` and `}`. The transport makes it once per call; each answer's JSON is
/// written inside it as the answer is encoded, so the wrapper is never serialized again.
///
/// A call given one answers `Payload::Json` holding the whole wrapped text.
#[derive(Debug)]
pub(crate) struct JsonEnvelope {
    /// Written before each message.
    start: String,
    /// Written after each message.
    end: &'static str,
}

impl JsonEnvelope {
    /// The envelope that writes `start` before each message and `end` after it.
    pub(crate) fn new(start: String, end: &'static str) -> Self {
        JsonEnvelope { start, end }
    }

    /// One message's JSON with the envelope around it, in one string.
    pub(crate) fn wrap<T: Serialize>(&self, message: &T) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string(message)?;
        text.insert_str(0, &self.start);
        text.push_str(self.end);
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Note {
        text: &'static str,
    }

    #[test]
    fn a_message_is_written_between_the_start_and_the_end() {
        let envelope = JsonEnvelope::new("[\"answer\",".to_owned(), "]");
        let note = Note { text: "a\"b" };
        assert_eq!(
            envelope.wrap(&note).expect("a message"),
            r#"["answer",{"text":"a\"b"}]"#
        );
        // The envelope is reused for every answer of the call.
        assert_eq!(
            envelope.wrap(&Note { text: "" }).expect("a message"),
            r#"["answer",{"text":""}]"#
        );
    }

    #[test]
    fn an_empty_envelope_leaves_the_message_as_it_is() {
        let envelope = JsonEnvelope::new(String::new(), "");
        assert_eq!(
            envelope.wrap(&Note { text: "x" }).expect("a message"),
            r#"{"text":"x"}"#
        );
    }
}
