//! What the test binaries of the root package share: the server starter and the client helpers,
//! and one definition of each service that more than one test calls.
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
pub mod ws;

// Not every binary uses every helper.
#[allow(unused_imports)]
pub use server::{TestServer, envelope, frames, post_json, send};
