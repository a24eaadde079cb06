//! Server streams over HTTP: Server-Sent Events or newline-delimited JSON.

use std::future::Future;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;
use tonic::Status;

use super::reply::{HttpReply, ReplyTo};
use crate::message::ProtoMessage;
use crate::observe::Observed;
use crate::status::error_json;
use crate::streaming::Streaming;

/// Whether `Accept` lists `text/event-stream`.
pub(super) fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// A server stream over HTTP: Server-Sent Events when the client accepts
/// `text/event-stream`, newline-delimited JSON otherwise. The stream is read only as fast as
/// the client reads the body.
impl<T: ProtoMessage> HttpReply for Streaming<T> {
    const STREAM: bool = true;
    fn into_http(self, to: ReplyTo) -> impl Future<Output = Response> + Send {
        let mut response = if to.event_stream {
            event_stream(self, to.status, to.observed)
        } else {
            ndjson(self, to.status, to.observed)
        };
        super::compression::compress_stream(&mut response, to.coding);
        std::future::ready(response)
    }
}

/// One step of a stream that ends after its first error.
enum Step<T> {
    Item(T),
    Failed(Status),
    Done,
}

/// The stream's items, then `Done`; nothing after the first error. Its call, observed, ends
/// with the stream, each item made in the call's span.
fn steps<T: Send + 'static>(
    stream: Streaming<T>,
    observed: Observed,
) -> impl futures_util::Stream<Item = Step<T>> + Send {
    use futures_util::StreamExt as _;
    use tracing::Instrument as _;
    futures_util::stream::unfold(Some((stream, observed)), |state| async move {
        let (mut stream, observed) = state?;
        let span = observed.span();
        let (step, code) = match stream.next().instrument(span).await {
            Some(Ok(item)) => return Some((Step::Item(item), Some((stream, observed)))),
            Some(Err(status)) => {
                let code = status.code();
                (Step::Failed(status), code)
            }
            None => (Step::Done, tonic::Code::Ok),
        };
        observed.end(code);
        Some((step, None))
    })
}

fn item_json<T: Serialize>(item: &T) -> Result<String, Status> {
    serde_json::to_string(item).map_err(|error| {
        tracing::error!(%error, "failed to encode a JSON stream item");
        Status::internal("failed to encode the response")
    })
}

/// Server-Sent Events: each message in a `data:` line; an `error` event with the error body,
/// or an `end` event when the stream succeeded.
fn event_stream<T: ProtoMessage>(
    stream: Streaming<T>,
    status: StatusCode,
    observed: Observed,
) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures_util::StreamExt as _;
    let events = steps(stream, observed).map(|step| {
        let event = match step {
            Step::Item(item) => match item_json(&item) {
                Ok(json) => Event::default().data(json),
                Err(status) => Event::default().event("error").data(error_json(&status)),
            },
            Step::Failed(status) => Event::default().event("error").data(error_json(&status)),
            Step::Done => Event::default().event("end").data("{}"),
        };
        Ok::<_, std::convert::Infallible>(event)
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    *response.status_mut() = status;
    response
}

/// Newline-delimited JSON: `{"result": ...}` for each message, `{"error": {...}}` when the
/// stream fails; the body ends when the stream succeeded.
fn ndjson<T: ProtoMessage>(
    stream: Streaming<T>,
    status: StatusCode,
    observed: Observed,
) -> Response {
    use futures_util::StreamExt as _;
    let lines = steps(stream, observed).filter_map(|step| {
        let line = match step {
            Step::Item(item) => Some(match item_json(&item) {
                Ok(json) => format!("{{\"result\":{json}}}\n"),
                Err(status) => format!("{{\"error\":{}}}\n", error_json(&status)),
            }),
            Step::Failed(status) => Some(format!("{{\"error\":{}}}\n", error_json(&status))),
            Step::Done => None,
        };
        std::future::ready(line.map(|l| Ok::<_, std::convert::Infallible>(Bytes::from(l))))
    });
    let mut response = Response::new(Body::from_stream(lines));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}
