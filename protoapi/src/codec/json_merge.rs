//! Merging a whole JSON document (an HTTP body, a message's `data` in a frame) into a message;
//! a failure names the field it failed at.

use tonic::Status;

use super::json::JsonMessage;

/// Merges a JSON document (such as a request body) into `message`; an empty one leaves it as it
/// is. A failure names the field (as a path such as `items[2].name`) and the reason.
///
/// The path is found only for a document that failed, from where the decoder stopped
/// (`codec::json_path`), so that a valid one is decoded without tracking it. A document that is
/// not UTF-8 is refused, also where the bytes are in an unknown field's value that is skipped.
pub fn merge_json<T: JsonMessage>(message: &mut T, bytes: &[u8]) -> Result<(), Status> {
    match std::str::from_utf8(bytes) {
        Ok(text) => merge_json_text(message, text),
        // Read as bytes, a string the message reads fails with its field's path.
        Err(_) => merge_json_with(message, bytes, serde_json::Deserializer::from_slice(bytes))
            .and_then(|()| Err(Status::invalid_argument("invalid JSON: not UTF-8"))),
    }
}

/// [`merge_json`] of text already known to be UTF-8 (such as a WebSocket text frame's): its
/// strings are read without a check of their own.
pub(crate) fn merge_json_text<T: JsonMessage>(message: &mut T, text: &str) -> Result<(), Status> {
    merge_json_with(
        message,
        text.as_bytes(),
        serde_json::Deserializer::from_str(text),
    )
}

fn merge_json_with<'de, T: JsonMessage, R: serde_json::de::Read<'de>>(
    message: &mut T,
    bytes: &[u8],
    mut deserializer: serde_json::Deserializer<R>,
) -> Result<(), Status> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    message
        .merge_json(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|error| json_error(bytes, &error))
}

/// The error of a JSON document that failed to decode, with the path of the field it failed at.
fn json_error(bytes: &[u8], error: &serde_json::Error) -> Status {
    let path = super::json_path::error_path(bytes, error);
    if path.is_empty() {
        Status::invalid_argument(format!("invalid JSON: {error}"))
    } else {
        Status::invalid_argument(format!("invalid JSON at `{path}`: {error}"))
    }
}
