//! The path decoder: any bytes as the path of a GET route with two parameters.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut uri = b"/items/".to_vec();
    uri.extend_from_slice(data);
    protoapi_fuzz::harness().get(&uri);
});
