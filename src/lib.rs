//! Examples and integration tests of protoapi.
