//! What the test binaries of the root package share: the server starter and the client helpers
//! (`server`, `websocket`), the example binaries and their APIs (`examples`), and one definition of
//! each service the tests share: `Lab` (field types, status codes, what a method sees),
//! `Streams` (every call shape), `Items` and its neighbours (routes and binding), `Uploads`,
//! `Files` (downloads) and `Clash` (route conflicts). A service made for the cases of one test
//! file stays beside it: reliability's `Guard`, faults' `Faults`, openapi's `Library`,
//! validation's `Registry`, server's shared-path services.
//!
//! `tests/integration/main.rs` declares it with `#[path = "../support/mod.rs"] mod support;`,
//! the other binaries (`tests/*.rs`) with `mod support;`. Each binary uses a part of it.

#![allow(dead_code)]

pub mod clash;
pub mod examples;
pub mod files;
pub mod lab;
pub mod rest;
pub mod server;
pub mod streams;
pub mod uploads;
pub mod websocket;

// Not every binary uses every helper.
#[allow(unused_imports)]
pub use server::{TestServer, envelope, frames, post_json, send};
