//! Integration tests: real servers on 127.0.0.1, called with the generated tonic client and
//! with reqwest.

#[path = "../support/mod.rs"]
mod support;

#[path = "../support/lab.rs"]
mod api;
mod auth;
mod tls;

mod context;
mod download;
mod examples;
mod faults;
mod grpc;
mod http;
mod json;
mod openapi;
mod proto;
mod protocols;
mod reliability;
mod rest;
#[path = "../support/rest.rs"]
mod rest_api;
mod server;
mod status;
mod streaming;
#[path = "../support/streams.rs"]
mod streams;
mod upload;
mod validation;
mod websocket;
mod wire;
