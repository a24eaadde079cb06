//! Integration tests: real servers on 127.0.0.1, called with the generated tonic client and
//! with reqwest. The services and helpers they share are in `tests/support/`; long expected
//! texts and tables are in `data/`, beside the tests that read them.

#[path = "../support/mod.rs"]
mod support;

mod asyncapi;
mod auth;
mod body_field;
mod compression;
mod connect_streams;
mod context;
mod download;
mod examples;
mod faults;
mod graphql;
mod greeter;
mod grpc;
mod grpc_upload;
mod http;
mod json;
mod memory;
mod observability;
mod openapi;
mod problem;
mod proto;
mod protocols;
mod reliability;
mod rest;
mod rooms;
mod server;
mod socketio;
mod status;
mod streaming;
mod test_client;
mod tls;
mod upload;
mod validation;
mod value;
mod websocket;
mod ws_upload;
