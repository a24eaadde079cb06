//! The multipart decoder: any bytes as a multipart body (boundary `XyZ`) with files and fields.
//! No request may leave a temporary file behind (the harness checks).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    protoapi_fuzz::harness().post("/upload", "multipart/form-data; boundary=XyZ", data);
});
