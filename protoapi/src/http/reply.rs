//! [`HttpReply`]: what a method answers over HTTP, and [`ReplyTo`], what the request says
//! about the answer's shape.

use std::future::Future;

use axum::response::Response;
use http::StatusCode;

use super::compression::mark;
use super::download::Conditions;
use super::response::json_body_response;
use crate::codec::json::JsonMessage;
use crate::compression::{Coding, Compression};
use crate::download::Download;
use crate::message::ProtoMessage;
use crate::observe::Observed;

/// What the request says about the shape of the answer.
#[derive(Debug)]
pub struct ReplyTo {
    /// Conditional and range headers (downloads).
    pub(super) conditions: Conditions,
    /// The client asked for `text/event-stream` (streams).
    pub(super) event_stream: bool,
    /// The success status.
    pub(super) status: StatusCode,
    /// Answers in the `{"code": 0, "data": ...}` envelope.
    pub(super) envelope: bool,
    /// What the answer may be compressed with (`Accept-Encoding`).
    pub(super) coding: Option<Coding>,
    /// The server's compression settings.
    pub(super) compression: Compression,
    /// The index of the response field that is the whole answer (`response_body`).
    pub(super) body_field: Option<usize>,
    /// A stream's call, observed until its last item.
    pub(super) observed: Observed,
}

/// What a method answers over HTTP: a message as JSON, a [`Download`] streamed, or a
/// [`Streaming`](crate::Streaming) as Server-Sent Events or newline-delimited JSON.
pub trait HttpReply: Send + 'static {
    /// Whether the answer depends on conditional and range headers of the request.
    const CONDITIONAL: bool = false;
    /// Whether the answer is a stream of messages.
    const STREAM: bool = false;
    /// The index of the field called `name` (its Rust, proto or JSON name) when the answer can
    /// be that field alone (`response_body`): a message's fields can, files and streams cannot.
    fn body_field(name: &str) -> Option<usize> {
        let _ = name;
        None
    }
    /// The response.
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send;
}

impl<T: ProtoMessage> HttpReply for T {
    fn body_field(name: &str) -> Option<usize> {
        T::field_index(name)
    }

    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send {
        let (status, envelope) = (to.status, to.envelope);
        // The envelope `{"code":0,"data":...}` is written around the message's JSON, not
        // derived: a derived wrapper would add serializer code for every message type.
        let mut body = Vec::with_capacity(128);
        if envelope {
            body.extend_from_slice(br#"{"code":0,"data":"#);
        }
        let written = match to.body_field {
            Some(index) => serde_json::to_writer(&mut body, &FieldJson(&self, index)),
            None => serde_json::to_writer(&mut body, &self),
        };
        let encoded = match written {
            Ok(()) => {
                if envelope {
                    body.push(b'}');
                }
                Ok(body)
            }
            Err(error) => Err(error),
        };
        let (encoded, coding) = match encoded {
            Ok(mut body) => {
                let coding = to.compression.compress(to.coding, &mut body);
                (Ok(body), coding)
            }
            Err(error) => (Err(error), None),
        };
        let mut response = json_body_response(status, encoded);
        if to.coding.is_some() && response.status() == status {
            mark(response.headers_mut(), coding);
        }
        std::future::ready(response)
    }
}

/// Field number `.1` of the message `.0`, alone, in the proto3 JSON mapping.
struct FieldJson<'a, T>(&'a T, usize);

impl<T: JsonMessage> serde::Serialize for FieldJson<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_field(self.1, serializer)
    }
}

impl HttpReply for Download {
    const CONDITIONAL: bool = true;
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send {
        self.into_response(to.conditions, to.status)
    }
}
