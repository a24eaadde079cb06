//! Compressed request bodies as the server inflates them: any bytes with any
//! `Content-Encoding`, to the wire service's HTTP JSON route or its Connect unary method
//! (JSON or protobuf), through the router.
//!
//! Input: a mode byte (bits 0-2 the coding, 3 compresses the rest first, 4-5 the route, 6
//! sends `Content-Length`), a byte that chooses the chunks, then the body. Compressed first
//! (in gzip or zstd, for a coding the server reads), the body inflates to the fuzzer's bytes,
//! so the decoders reach valid streams and the limit.
//!
//! Holds the server to: the statuses of each route (HTTP 200, 400, 413, 415; Connect 200, 400,
//! 413, 501) with the JSON error body, a coding it does not read refused, never more charged
//! to the memory budget than the limit (so never more inflated bytes held), nothing charged
//! once answered; compressed first, 413 exactly when the bytes are over the limit and
//! otherwise success exactly when they decode.

#![no_main]

use libfuzzer_sys::fuzz_target;
use protoapi::__private::http::Request;
use protoapi_fuzz::input::{self, Input, chunks, compress};
use protoapi_fuzz::wire::{LIMIT, Method};

/// `Content-Encoding`s, and the compressor of those the server reads.
const CODINGS: [(Option<&str>, Option<&str>); 8] = [
    (None, None),
    (Some("gzip"), Some("gzip")),
    (Some("zstd"), Some("zstd")),
    (Some("deflate"), None),
    (Some("br"), None),
    (Some("garbage"), None),
    (Some("x-gzip"), Some("gzip")),
    (Some("ZSTD"), Some("zstd")),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Http,
    ConnectJson,
    ConnectProto,
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::read(data) else {
        return;
    };
    let (coding, compressor) = CODINGS[input.pick(0, 8)];
    let route = [
        Route::Http,
        Route::Http,
        Route::ConnectJson,
        Route::ConnectProto,
    ][input.pick(4, 4)];
    let first = input.bit(3).then_some(compressor).flatten();
    let body = match first {
        Some(compressor) => compress(compressor, input.data),
        None => input.data.to_vec(),
    };
    let (path, content_type) = match route {
        Route::Http => ("/wire/echo", "application/json"),
        Route::ConnectJson => (Method::Echo.path(), "application/json"),
        Route::ConnectProto => (Method::Echo.path(), "application/proto"),
    };
    let mut request = Request::post(path).header("content-type", content_type);
    if let Some(coding) = coding {
        request = request.header("content-encoding", coding);
    }
    if input.bit(6) {
        request = request.header("content-length", body.len());
    }
    let request = request
        .body(input::body(chunks(&body, input.split)))
        .expect("a request");
    let harness = protoapi_fuzz::harness();
    let answer = harness.answer(request);
    protoapi_fuzz::check_error_body(&answer);
    let status = answer.status;
    let (statuses, refused) = match route {
        Route::Http => ([200, 400, 413, 415], 415),
        Route::ConnectJson | Route::ConnectProto => ([200, 400, 413, 501], 501),
    };
    assert!(statuses.contains(&status), "answered {status}");
    let peak = harness.budget().peak();
    assert!(peak <= LIMIT, "{peak} bytes held at once, over the limit");
    if coding.is_some() && compressor.is_none() {
        assert_eq!(status, refused, "a coding the server does not read");
    }
    if first.is_some() {
        let decodes = match route {
            Route::Http | Route::ConnectJson => Method::Echo.reads_request(input.data),
            Route::ConnectProto => Method::Echo.decodes_request(input.data),
        };
        let expected = if input.data.len() > LIMIT {
            413
        } else if decodes {
            200
        } else {
            400
        };
        assert_eq!(
            status,
            expected,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    if status == 200 {
        let read = match route {
            Route::Http | Route::ConnectJson => Method::Echo.reads_answer(&answer.body),
            Route::ConnectProto => Method::Echo.decodes_answer(&answer.body),
        };
        assert!(read, "an answer that does not read");
    }
});
