//! The JSON decoder: any bytes as the body of a message with every kind of field.
//!
//! A body it accepts must encode again, and the encoding must read back to the same encoding
//! (encode ∘ decode is the identity on what the encoder writes; NaN keeps this a byte check).

#![no_main]

use libfuzzer_sys::fuzz_target;
use protoapi::__private::rest::merge_json;
use protoapi_fuzz::Everything;

fuzz_target!(|data: &[u8]| {
    let mut message = Everything::default();
    match merge_json(&mut message, data) {
        Ok(()) => {
            let first = serde_json::to_vec(&message).expect("a decoded message encodes");
            let mut again = Everything::default();
            merge_json(&mut again, &first).expect("an encoded message decodes");
            let second = serde_json::to_vec(&again).expect("encodes again");
            assert_eq!(
                String::from_utf8_lossy(&first),
                String::from_utf8_lossy(&second)
            );
        }
        Err(status) => {
            assert_eq!(status.code(), protoapi::Code::InvalidArgument);
            assert!(status.message().len() < 1024, "{}", status.message());
        }
    }
});
