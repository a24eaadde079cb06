//! Connect streaming requests as the server reads them: any bytes, cut into any chunks, as the
//! body of an `application/connect+proto|json` request to each method of the wire service,
//! with any envelope flags, through the router.
//!
//! Input: a mode byte (bits 0-1 the method, 2 proto, 3-4 `connect-content-encoding`, 5 sends
//! `connect-protocol-version: 1`, 6 enveloped), a byte that chooses the chunks, then the body.
//! Enveloped, the body's first byte is the envelope flags and the rest the message(s): one
//! envelope each (several, cut as the chunks are, for methods that take a stream), compressed
//! with gzip when the flags say so and the encoding is gzip.
//!
//! Holds the server to: a proper Connect answer (`protoapi_fuzz::connect::check`), nothing
//! charged once answered, and, for one plain envelope to the server-streaming method, success
//! exactly when the message is within the limit and decodes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use protoapi::__private::http::Request;
use protoapi_fuzz::input::{self, Input, chunks, compress, envelope, pieces};
use protoapi_fuzz::wire::{LIMIT, Method};

const ENCODINGS: [Option<&str>; 4] = [None, Some("identity"), Some("gzip"), Some("br")];

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::read(data) else {
        return;
    };
    let method = Method::ALL[input.pick(0, 4)];
    let proto = input.bit(2);
    let encoding = ENCODINGS[input.pick(3, 4)];
    let mut expected = None;
    let body = match input.data.split_first() {
        Some((&flags, message)) if input.bit(6) => {
            let messages: Vec<&[u8]> = if method.client_streaming() {
                pieces(message, input.split)
            } else {
                vec![message]
            };
            if method == Method::Parts && flags == 0 && matches!(encoding, None | Some("identity"))
            {
                let decodes = if proto {
                    method.decodes_request(message)
                } else {
                    std::str::from_utf8(message).is_ok() && method.reads_request(message)
                };
                expected = Some(message.len() <= LIMIT && decodes);
            }
            let compressed = flags & 1 == 1 && encoding == Some("gzip");
            let mut body = Vec::new();
            for message in messages {
                if compressed {
                    body.extend(envelope(flags, &compress("gzip", message)));
                } else {
                    body.extend(envelope(flags, message));
                }
            }
            body
        }
        _ => input.data.to_vec(),
    };
    let content_type = if proto {
        "application/connect+proto"
    } else {
        "application/connect+json"
    };
    let mut request = Request::post(method.path()).header("content-type", content_type);
    if let Some(encoding) = encoding {
        request = request.header("connect-content-encoding", encoding);
    }
    if input.bit(5) {
        request = request.header("connect-protocol-version", "1");
    }
    let request = request
        .body(input::body(chunks(&body, input.split)))
        .expect("a request");
    let harness = protoapi_fuzz::harness();
    let answer = harness.answer(request);
    let error = protoapi_fuzz::connect::check(&answer, method, proto);
    if let Some(ok) = expected {
        // The method's own refusal comes after a request that decoded.
        let own = error
            .as_ref()
            .is_some_and(|e| e["message"] == "a part has a negative weight");
        assert_eq!(
            error.is_none() || own,
            ok,
            "one envelope that {} ended with {error:?}",
            if ok { "fits and decodes" } else { "does not" }
        );
    }
});
