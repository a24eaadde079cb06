//! The urlencoded form decoder: any bytes as the body of a `#[form]` message.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let harness = protoapi_fuzz::harness();
    harness.post("/signup", "application/x-www-form-urlencoded", data);
});
