//! The JSON decoder: any bytes as the body of a message with every kind of field.
//!
//! A body it accepts must encode again, and the encoding must read back to the same encoding
//! (encode ∘ decode is the identity on what the encoder writes), compared as JSON values: a
//! `HashMap` field writes its entries in an order of its own each time.

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
            let value = |bytes: &[u8]| {
                serde_json::from_slice::<serde_json::Value>(bytes).expect("the encoding is JSON")
            };
            assert_eq!(
                value(&first),
                value(&second),
                "{} / {}",
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
