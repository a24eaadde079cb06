//! gRPC's framing as the server reads it: any bytes, cut into any chunks, as the body of a
//! gRPC call of each call shape, with any `grpc-encoding`, through the router, tonic's decoder
//! and the body that charges each message to the memory budget as its header passes.
//!
//! Input: a mode byte (bits 0-1 the method, 2-4 the `grpc-encoding`, 5 framed, 6 asks for
//! compressed answers), a byte that chooses the chunks, then the body. Framed, the rest is the
//! message (cut into several, as the chunks are, for methods that take a stream), and the target
//! gives each its header (compressing it first for gzip or zstd), so the decoder reaches valid
//! messages.
//!
//! Holds the server to: a proper gRPC answer (`protoapi_fuzz::grpc::check`); at every read, no more
//! charged than the message being read declares, within the limit; nothing charged once
//! answered; and, framed in a coding the server reads, success exactly when every message is
//! within the limit and decodes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use protoapi::__private::axum::body::Body;
use protoapi::__private::http::Request;
use protoapi_fuzz::grpc::{Watched, check};
use protoapi_fuzz::input::{Input, chunks, compress, envelope, pieces};
use protoapi_fuzz::wire::{LIMIT, Method};

const ENCODINGS: [Option<&str>; 8] = [
    None,
    Some("identity"),
    Some("gzip"),
    Some("zstd"),
    Some("deflate"),
    Some("br"),
    Some("GZIP"),
    Some("gzip, zstd"),
];

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::read(data) else {
        return;
    };
    let method = Method::ALL[input.pick(0, 4)];
    let encoding = ENCODINGS[input.pick(2, 8)];
    let compressor = encoding.filter(|e| matches!(*e, "gzip" | "zstd"));
    let framed = input.bit(5);
    let body = if framed {
        let messages: Vec<&[u8]> = if method.client_streaming() {
            pieces(input.data, input.split)
        } else {
            vec![input.data]
        };
        let mut fits = true;
        let mut decodes = true;
        let mut body = Vec::new();
        for message in messages {
            let framed = match compressor {
                Some(coding) => envelope(1, &compress(coding, message)),
                None => envelope(0, message),
            };
            fits &= message.len() <= LIMIT && framed.len() - 5 <= LIMIT;
            decodes &= method.decodes_request(message);
            body.extend_from_slice(&framed);
        }
        let readable = matches!(encoding, None | Some("identity" | "gzip" | "zstd"));
        Some((body, readable.then_some(fits && decodes)))
    } else {
        None
    };
    let (body, expected) = match body {
        Some((body, expected)) => (body, expected),
        None => (input.data.to_vec(), None),
    };
    let harness = protoapi_fuzz::harness();
    let mut request = Request::post(method.path())
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(encoding) = encoding {
        request = request.header("grpc-encoding", encoding);
    }
    if input.bit(6) {
        request = request.header("grpc-accept-encoding", "gzip, zstd");
    }
    let watched = Watched::new(chunks(&body, input.split), harness.budget().clone());
    let request = request.body(Body::new(watched)).expect("a request");
    let answer = harness.answer(request);
    let code = check(&answer, method);
    if let Some(ok) = expected {
        // The method's own refusal (`invalid_argument`) comes after a message that decoded.
        assert_eq!(
            code == 0 || code == 3,
            ok,
            "framed messages that {} ended {code}",
            if ok { "fit and decode" } else { "do not" }
        );
    }
});
