//! The WebSocket frame decoder: the first byte picks a text (JSON) or binary (`protoapi.Frame`)
//! frame, the rest is the frame; its message is read as a message with every kind of field.

#![no_main]

use libfuzzer_sys::fuzz_target;
use protoapi::__private::websocket::read_frame;
use protoapi_fuzz::Everything;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, frame)) = data.split_first() else {
        return;
    };
    let binary = kind & 1 == 1;
    if !binary && std::str::from_utf8(frame).is_err() {
        // The WebSocket protocol refuses a text frame that is not UTF-8 before protoapi sees it.
        return;
    }
    if let Err(status) = read_frame::<Everything>(binary, frame.to_vec().into()) {
        assert_eq!(status.code(), protoapi::Code::InvalidArgument);
    }
});
