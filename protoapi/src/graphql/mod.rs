//! GraphQL (through async-graphql) at `/graphql` on the server's one port.
//!
//! The [`schema`] is built once, at startup, from the services' descriptors with
//! async-graphql's dynamic schema: a method with no side effects is a `Query` field, any other
//! unary method a `Mutation` field, a server stream a `Subscription` field. How a call flows:
//! the [`endpoint`] reads the request (POST JSON, GET `?query=`, or a WebSocket for
//! subscriptions) within the limits of [`GraphQlConfig`] and has async-graphql execute it; a
//! method's field resolver writes its arguments as the request's proto3 JSON and runs the
//! method's [`crate::method::ErasedMethod`], as every message transport does ([`call`]); the
//! reply's JSON is the field's value, read field by field by the reply's object type, each
//! missing field its proto3 default. docs/graphql.md shows the mapping.

// Running a method for a field, and a `Status` as a GraphQL error.
mod call;
// `GraphQlConfig`: the path, the services, the limits.
mod config;
// The endpoint: GET, POST, WebSocket, GraphiQL.
mod endpoint;
// The schema made of the services' descriptors: its root fields.
mod schema;
// The types of the messages and enums, and what a reply field resolves to.
mod types;

pub use config::GraphQlConfig;

pub(crate) use endpoint::route;
pub(crate) use schema::build;
