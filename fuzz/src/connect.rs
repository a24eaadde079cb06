//! The check of an answer to a Connect streaming request.

use crate::input::{decompress, unenvelope};
use crate::wire::Method;
use crate::{Answer, check_http};

/// The Connect error codes (<https://connectrpc.com/docs/protocol#error-codes>).
const CODES: [&str; 16] = [
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// The flag of a compressed envelope.
const COMPRESSED: u8 = 0b01;
/// The flag of the end-of-stream envelope.
const END_STREAM: u8 = 0b10;

/// Holds the answer to a Connect streaming request (`application/connect+json|proto`, `proto`
/// when `proto`) to the protocol, and returns the end-of-stream error, if any. A method that
/// streams its answers answers 200 in the request's content type; any other method may refuse
/// with a 4xx and the JSON error body instead (`None`). A 200 carries whole envelopes: messages
/// that read as the method's answers in the answer's content type (inflated first when flagged
/// compressed), then one end-of-stream envelope, last, whose JSON is `{}` or an error with a
/// Connect code and a message.
pub fn check(answer: &Answer, method: Method, proto: bool) -> Option<serde_json::Value> {
    let streams = method.server_streaming() && !method.client_streaming();
    if answer.status != 200 && !streams {
        assert!(answer.status >= 400, "answered {}", answer.status);
        check_http(answer);
        return None;
    }
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let content_type = answer
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok());
    let sent = if proto {
        "application/connect+proto"
    } else {
        "application/connect+json"
    };
    if streams {
        assert_eq!(content_type, Some(sent), "the answer's content type");
    } else {
        assert!(
            matches!(
                content_type,
                Some("application/connect+proto" | "application/connect+json")
            ),
            "the answer's content type: {content_type:?}"
        );
    }
    let envelopes =
        unenvelope(&answer.body).unwrap_or_else(|error| panic!("Connect body: {error}"));
    let Some(((end_flags, end), messages)) = envelopes.split_last() else {
        panic!("a Connect stream without an end-of-stream envelope");
    };
    assert_eq!(
        end_flags & END_STREAM,
        END_STREAM,
        "the last envelope ends the stream"
    );
    let end: serde_json::Value = serde_json::from_slice(end).unwrap_or_else(|error| {
        panic!(
            "end-of-stream envelope ({error}): {}",
            String::from_utf8_lossy(end)
        )
    });
    assert!(end.is_object(), "end-of-stream envelope {end}");
    if let Some(error) = end.get("error") {
        let code = error["code"].as_str();
        assert!(
            code.is_some_and(|code| CODES.contains(&code)),
            "end-of-stream error {error}"
        );
        assert!(
            error
                .get("message")
                .is_none_or(serde_json::Value::is_string),
            "end-of-stream error {error}"
        );
    }
    let coding = answer
        .headers
        .get("connect-content-encoding")
        .and_then(|value| value.to_str().ok());
    let answers_proto = content_type == Some("application/connect+proto");
    for (flags, message) in messages {
        assert_eq!(
            flags & END_STREAM,
            0,
            "an envelope after the end of the stream"
        );
        let message = match (flags, coding) {
            (0, _) => message.to_vec(),
            (&COMPRESSED, Some(coding)) => decompress(coding, message, usize::MAX)
                .unwrap_or_else(|| panic!("an answer does not inflate with {coding}")),
            _ => panic!("an answer's flags are {flags:#04x} with encoding {coding:?}"),
        };
        if answers_proto {
            assert!(method.decodes_answer(&message), "an answer does not decode");
        } else {
            assert!(method.reads_answer(&message), "an answer does not read");
        }
    }
    end.get("error").cloned()
}
