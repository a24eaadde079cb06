//! The query decoder: any bytes after `?` on a GET route.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut uri = b"/items/7/seven?".to_vec();
    uri.extend_from_slice(data);
    protoapi_fuzz::harness().get(&uri);
});
