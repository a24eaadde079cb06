//! HTTP, on axum: the routes of every service, the handler of one route, request bodies
//! (JSON, forms, multipart), downloads and server streams (SSE, NDJSON).
//!
//! - `routes`: [`Routes`], by path, with the JSON 405 for a wrong verb;
//! - `endpoint`: one route's handler: binds the request, calls the method;
//! - `reply`: what a method answers (`HttpReply`): JSON, a download or a stream;
//! - `body`: the query, the body and the path parameters bound into the request message;
//! - `compression`: request bodies in gzip or zstd inflated, JSON answers compressed;
//! - `multipart`: `multipart/form-data` bodies and their files;
//! - `download`: a [`crate::Download`] answered with ranges and validators;
//! - `stream`: server streams as Server-Sent Events or newline-delimited JSON;
//! - `response`: JSON answers, the error envelope, `Rejection`;
//! - `problem`: errors as RFC 9457 problem details, when asked for.

mod body;
mod compression;
mod download;
mod endpoint;
mod multipart;
mod problem;
mod reply;
mod response;
mod routes;
mod stream;

pub(crate) use body::{content_type_essence, content_type_text, count_pairs, read_body};
pub(crate) use compression::{inflate_with, mark};
pub(crate) use problem::{ProblemService, Problems, unmark};
pub(crate) use response::{error_response, render};
pub(crate) use routes::{BoxResponse, Routes, WebSocketRoute};

/// What generated code calls on the HTTP side (and the decoder benchmark: `merge_json`).
pub mod codegen {
    pub use super::endpoint::{Endpoint, download, server_streaming, unary};
    pub use super::reply::{HttpReply, ReplyTo};
    pub use super::routes::{Routes, WebSocketRoute};
    pub use crate::codec::json_merge::merge_json;
}
