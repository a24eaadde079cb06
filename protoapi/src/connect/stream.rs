//! Connect streams of every kind: enveloped requests read as they arrive, enveloped answers,
//! and the end-of-stream envelope that carries the error and the trailers, if any.
//!
//! A server stream reads its one request before the method starts. A client or bidi stream
//! starts the method at once and hands it each request as it arrives, so over HTTP/2 the
//! answers flow while the client still sends (full duplex); an HTTP/1.1 client sends its
//! requests first (half duplex), which needs nothing more of the server.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use futures_util::StreamExt as _;
use http::{HeaderMap, HeaderValue, header};
use http_body_util::BodyExt as _;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::budget::Charge;
use crate::compression::{Coding, Compression, Inflate, inflate_message};
use crate::context::{Context, Transport};
use crate::method::{Answers, Encoding, Params, Payload, Requests};
use crate::status::{Status, error_json};

use super::{
    ConnectMethod, ConnectService, check_version, content_type_is, next, payload, payload_bytes,
    timeout,
};

/// The envelope flag of a compressed message.
const COMPRESSED: u8 = 0b01;
/// The envelope flag of the end-of-stream message.
const END_STREAM: u8 = 0b10;
/// The requests of a client stream read ahead of the method.
const INBOX: usize = 16;

impl ConnectService {
    /// A streaming call: `POST application/connect+json|proto`.
    pub(super) async fn stream(&self, method: &ConnectMethod, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let encoding = stream_encoding(&parts.headers);
        let accepted = self
            .compression
            .answer_coding(parts.headers.get("connect-accept-encoding"));
        if let Err(status) = check_version(&parts.headers) {
            return stream_error(encoding, &status);
        }
        let coding = self
            .compression
            .request_coding(parts.headers.get("connect-content-encoding"));
        let coding = match coding {
            Ok(coding) => coding,
            Err(name) => return unsupported_compression(&self.compression, encoding, &name),
        };
        let deadline = match timeout(&parts.headers) {
            Ok(timeout) => timeout.map(|limit| Instant::now() + limit),
            Err(status) => return stream_error(encoding, &status),
        };
        let mut envelopes = Envelopes {
            body,
            buffer: BytesMut::new(),
            limit: self.limit(&method.method),
            coding,
            charge: SharedCharge::new(self.budget.charge()),
        };
        let charge = envelopes.charge.clone();
        let (requests, reading) = if method.method.client_streaming {
            let (sender, receiver) = mpsc::channel(INBOX);
            let (fail, failed) = oneshot::channel();
            let task = tokio::spawn(envelopes.forward(encoding, sender, fail));
            let requests = Requests {
                encoding,
                envelope: None,
                first: None,
                rest: Some(receiver),
                upload: None,
            };
            let reading = Reading {
                failed: Some(failed),
                task: task.abort_handle(),
                charge,
            };
            (requests, Some(reading))
        } else {
            let first = match envelopes.only(encoding).await {
                Ok(first) => first,
                Err(status) => return stream_error(encoding, &status),
            };
            let requests = Requests {
                encoding,
                envelope: None,
                first: Some(first),
                rest: None,
                upload: None,
            };
            (requests, None)
        };
        let ctx = Context::new(Transport::Connect, parts.headers, parts.extensions);
        let answers = (method.method.run)(ctx, Arc::new(Params::default()), requests);
        let call = Answering {
            answers,
            reading,
            deadline,
            accepted,
            compression: self.compression,
        };
        let body = futures_util::stream::unfold(Some(call), |call| async move {
            let mut call = call?;
            let (bytes, done) = call.step().await;
            Some((bytes, (!done).then_some(call)))
        })
        .map(Ok::<_, std::convert::Infallible>);
        let mut headers = HeaderMap::new();
        if let Some(coding) = accepted {
            headers.insert(
                "connect-content-encoding",
                HeaderValue::from_static(coding.name()),
            );
        }
        stream_response(encoding, headers, Body::from_stream(body))
    }
}

/// A streaming call's answers as they are written.
struct Answering {
    answers: Answers,
    /// The client stream being read, for client and bidi streams.
    reading: Option<Reading>,
    deadline: Option<Instant>,
    /// What the answers may be compressed with (`Connect-Accept-Encoding`).
    accepted: Option<Coding>,
    compression: Compression,
}

/// The task that reads a client stream: it stops when the call's answer is dropped, and what it
/// had charged to the memory budget is given back at once.
struct Reading {
    /// Where it tells why the client stream could not be read.
    failed: Option<oneshot::Receiver<Status>>,
    task: tokio::task::AbortHandle,
    charge: SharedCharge,
}

impl Drop for Reading {
    fn drop(&mut self) {
        self.task.abort();
        self.charge.clear();
    }
}

/// The charge of the message being read, shared with the answer, which gives it back when the
/// call ends before the reading task is dropped.
#[derive(Clone)]
struct SharedCharge(Arc<std::sync::Mutex<Charge>>);

impl SharedCharge {
    fn new(charge: Charge) -> Self {
        SharedCharge(Arc::new(std::sync::Mutex::new(charge)))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Charge) -> T) -> T {
        let mut charge = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut charge)
    }

    fn grow(&self, bytes: usize) -> Result<(), crate::budget::Exhausted> {
        self.with(|charge| charge.grow(bytes))
    }

    fn clear(&self) {
        self.with(Charge::clear);
    }
}

impl Answering {
    /// The next envelope of the answer, and whether it is the last.
    async fn step(&mut self) -> (Bytes, bool) {
        let deadline = async {
            match self.deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let failed = async {
            match self.reading.as_mut() {
                Some(reading) => reading.failure().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            status = failed => (end_stream(Some(&status), None), true),
            () = deadline => {
                let status = Status::deadline_exceeded("the call's deadline passed");
                (end_stream(Some(&status), None), true)
            }
            answer = next(&mut self.answers) => match answer {
                Some(Ok(payload)) => {
                    let (message, coding) = self
                        .compression
                        .compress_bytes(self.accepted, payload_bytes(payload));
                    let flags = if coding.is_some() { COMPRESSED } else { 0 };
                    (envelope(flags, message), false)
                }
                Some(Err(status)) => (end_stream(Some(&status), None), true),
                // A client stream that broke ends the call with its error, even when the
                // method took the end of its requests for a normal end.
                None => {
                    let status = self.reading.as_mut().and_then(Reading::failed_already);
                    (end_stream(status.as_ref(), None), true)
                }
            },
        }
    }
}

impl Reading {
    /// Why the client stream could not be read; pending while it can.
    async fn failure(&mut self) -> Status {
        if let Some(failed) = self.failed.as_mut() {
            if let Ok(status) = failed.await {
                self.failed = None;
                return status;
            }
            self.failed = None;
        }
        std::future::pending().await
    }

    fn failed_already(&mut self) -> Option<Status> {
        self.failed.as_mut()?.try_recv().ok()
    }
}

/// The envelopes of a request body, read as they arrive; each message is charged to the memory
/// budget until the next one is read.
struct Envelopes {
    body: Body,
    buffer: BytesMut,
    /// The largest message, inflated.
    limit: usize,
    /// What compressed messages are in (`Connect-Content-Encoding`).
    coding: Option<Coding>,
    charge: SharedCharge,
}

impl Envelopes {
    /// The next message; `None` where the body ends between two envelopes.
    async fn next(&mut self) -> Result<Option<Bytes>, Status> {
        self.charge.clear();
        self.charge.grow(self.buffer.len())?;
        if !self.fill(5).await? {
            return if self.buffer.is_empty() {
                Ok(None)
            } else {
                Err(Status::invalid_argument(
                    "invalid envelope: the body ends inside an envelope's header",
                ))
            };
        }
        let flags = self.buffer[0];
        let length = u32::from_be_bytes([
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
            self.buffer[4],
        ]) as usize;
        if flags & !COMPRESSED != 0 {
            return Err(Status::invalid_argument(format!(
                "invalid envelope: unexpected flags {flags:#04x}"
            )));
        }
        if length > self.limit {
            return Err(self.too_large());
        }
        if !self.fill(5 + length).await? {
            return Err(Status::invalid_argument(format!(
                "invalid envelope: it declares {length} bytes and the body ends after {}",
                self.buffer.len() - 5
            )));
        }
        self.buffer.advance(5);
        let message = self.buffer.split_to(length).freeze();
        if flags & COMPRESSED == 0 {
            return Ok(Some(message));
        }
        let Some(coding) = self.coding else {
            return Err(Status::invalid_argument(
                "invalid envelope: a compressed message in a stream whose \
                 connect-content-encoding is identity",
            ));
        };
        match inflate_message(coding, &message, self.limit) {
            Ok(inflated) => {
                self.charge.grow(inflated.len())?;
                Ok(Some(inflated))
            }
            Err(Inflate::TooLarge) => Err(self.too_large()),
            Err(Inflate::Broken(error)) => Err(Status::invalid_argument(format!(
                "invalid {} message: {error}",
                coding.name()
            ))),
        }
    }

    /// Reads until the buffer holds `len` bytes; false where the body ends first.
    async fn fill(&mut self, len: usize) -> Result<bool, Status> {
        if self.buffer.len() < len {
            self.buffer.reserve(len - self.buffer.len());
        }
        while self.buffer.len() < len {
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.charge.grow(data.len())?;
                        self.buffer.put(data);
                    }
                }
                Some(Err(error)) => {
                    return Err(Status::invalid_argument(format!(
                        "the request body could not be read: {error}"
                    )));
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    fn too_large(&self) -> Status {
        Status::resource_exhausted(format!(
            "the message is larger than the limit of {} bytes",
            self.limit
        ))
    }

    /// The one request of a server stream: exactly one message.
    async fn only(&mut self, encoding: Encoding) -> Result<Payload, Status> {
        let Some(message) = self.next().await? else {
            return Err(Status::invalid_argument(
                "invalid envelope: a server stream's request is one message, and the body has none",
            ));
        };
        if self.next().await?.is_some() {
            return Err(Status::invalid_argument(
                "invalid envelope: a server stream's request is one message, and the body has more",
            ));
        }
        Ok(payload(encoding, message)?.1)
    }

    /// Hands each request of a client stream to the method; where the stream cannot be read,
    /// tells why on `fail` and ends the requests.
    async fn forward(
        mut self,
        encoding: Encoding,
        requests: mpsc::Sender<Payload>,
        fail: oneshot::Sender<Status>,
    ) {
        loop {
            let request = match self.next().await {
                Ok(Some(message)) => payload(encoding, message).map(|(_, payload)| payload),
                Ok(None) => return,
                Err(status) => Err(status),
            };
            match request {
                Ok(payload) => {
                    if requests.send(payload).await.is_err() {
                        return;
                    }
                }
                Err(status) => {
                    let _ = fail.send(status);
                    return;
                }
            }
        }
    }
}

/// The encoding of a streaming request, from its content type.
fn stream_encoding(headers: &HeaderMap) -> Encoding {
    if content_type_is(headers, "application/connect+proto") {
        Encoding::Proto
    } else {
        Encoding::Json
    }
}

fn envelope(flags: u8, message: Bytes) -> Bytes {
    let mut out = BytesMut::with_capacity(message.len() + 5);
    out.put_u8(flags);
    out.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    out.put(message);
    out.freeze()
}

/// The end-of-stream envelope: `{}`, or `{"error": {...}}`, with `"metadata"` for the trailers
/// (those of `trailers` that are not the protocol's, and the error's own).
pub(super) fn end_stream(status: Option<&Status>, trailers: Option<&HeaderMap>) -> Bytes {
    let mut metadata = serde_json::Map::new();
    let sources = trailers
        .into_iter()
        .chain(status.map(|status| status.metadata().as_ref()));
    for headers in sources {
        for (name, value) in headers {
            if super::bridge::is_protocol_header(name) {
                continue;
            }
            let Ok(value) = value.to_str() else { continue };
            let values = metadata
                .entry(name.as_str())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(values) = values {
                values.push(value.into());
            }
        }
    }
    let mut json = String::from("{");
    if let Some(status) = status {
        json.push_str("\"error\":");
        json.push_str(&error_json(status));
    }
    if !metadata.is_empty() {
        if status.is_some() {
            json.push(',');
        }
        json.push_str("\"metadata\":");
        json.push_str(&serde_json::Value::Object(metadata).to_string());
    }
    json.push('}');
    envelope(END_STREAM, Bytes::from(json))
}

pub(super) fn stream_response(encoding: Encoding, headers: HeaderMap, body: Body) -> Response {
    let content_type = match encoding {
        Encoding::Json => "application/connect+json",
        Encoding::Proto => "application/connect+proto",
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    response.headers_mut().extend(headers);
    response
}

/// A status as the answer to a Connect streaming request: `200 OK` and the end-of-stream
/// error, in the encoding the request's content type names.
pub(crate) fn render_stream(headers: &HeaderMap, status: &Status) -> Response {
    stream_error(stream_encoding(headers), status)
}

/// A streaming call that fails before it starts: `200 OK` and the end-of-stream error.
pub(super) fn stream_error(encoding: Encoding, status: &Status) -> Response {
    stream_response(
        encoding,
        HeaderMap::new(),
        Body::from(end_stream(Some(status), None)),
    )
}

/// A stream in a compression this server does not read: `unimplemented`, with the ones it does
/// in `Connect-Accept-Encoding`.
fn unsupported_compression(compression: &Compression, encoding: Encoding, name: &str) -> Response {
    let status = Status::unimplemented(format!(
        "unsupported compression `{name}`: this server reads {}",
        compression.accepted_words()
    ));
    let mut response = stream_error(encoding, &status);
    response
        .headers_mut()
        .insert("connect-accept-encoding", compression.accepted_list());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::MemoryBudget;
    use crate::status::Code;

    fn envelopes(body: Vec<u8>, coding: Option<Coding>) -> Envelopes {
        Envelopes {
            body: Body::from(body),
            buffer: BytesMut::new(),
            limit: 64,
            coding,
            charge: SharedCharge::new(MemoryBudget::new(1 << 20).charge()),
        }
    }

    fn message(result: Result<Option<Bytes>, Status>) -> Result<Option<Bytes>, (Code, String)> {
        result.map_err(|status| (status.code(), status.message().to_owned()))
    }

    #[tokio::test]
    async fn envelopes_are_read_one_by_one() {
        let mut body = envelope(0, Bytes::from_static(b"{\"a\":1}")).to_vec();
        body.extend_from_slice(&envelope(0, Bytes::from_static(b"{}")));
        let mut reader = envelopes(body, None);
        assert_eq!(
            message(reader.next().await),
            Ok(Some(Bytes::from_static(b"{\"a\":1}")))
        );
        assert_eq!(
            message(reader.next().await),
            Ok(Some(Bytes::from_static(b"{}")))
        );
        assert_eq!(message(reader.next().await), Ok(None));
    }

    #[tokio::test]
    async fn a_broken_envelope_is_refused() {
        let short = envelopes(vec![0, 0, 0, 0, 9, b'{', b'}'], None)
            .next()
            .await;
        assert_eq!(
            message(short),
            Err((
                Code::InvalidArgument,
                "invalid envelope: it declares 9 bytes and the body ends after 2".to_owned()
            ))
        );
        let flags = envelopes(vec![2, 0, 0, 0, 0], None).next().await;
        assert_eq!(
            message(flags),
            Err((
                Code::InvalidArgument,
                "invalid envelope: unexpected flags 0x02".to_owned()
            ))
        );
        let large = envelopes(vec![0, 0, 0, 0, 65], None).next().await;
        assert_eq!(
            message(large),
            Err((
                Code::ResourceExhausted,
                "the message is larger than the limit of 64 bytes".to_owned()
            ))
        );
    }

    #[tokio::test]
    async fn a_compressed_message_is_inflated_within_the_limit() {
        let small = zstd::bulk::compress(b"{\"a\":1}", 3).expect("zstd");
        let bomb = zstd::bulk::compress(&[b' '; 100_000], 3).expect("zstd");
        let mut body = envelope(COMPRESSED, Bytes::from(small)).to_vec();
        body.extend_from_slice(&envelope(COMPRESSED, Bytes::from(bomb)));
        let mut reader = envelopes(body, Some(Coding::Zstd));
        assert_eq!(
            message(reader.next().await),
            Ok(Some(Bytes::from_static(b"{\"a\":1}")))
        );
        assert_eq!(
            message(reader.next().await),
            Err((
                Code::ResourceExhausted,
                "the message is larger than the limit of 64 bytes".to_owned()
            ))
        );
        let identity = envelopes(envelope(COMPRESSED, Bytes::new()).to_vec(), None)
            .next()
            .await;
        assert_eq!(
            message(identity),
            Err((
                Code::InvalidArgument,
                "invalid envelope: a compressed message in a stream whose \
                 connect-content-encoding is identity"
                    .to_owned()
            ))
        );
    }

    #[test]
    fn the_end_of_a_stream_carries_the_error_and_the_trailers() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from_static("0"));
        trailers.insert("x-count", HeaderValue::from_static("2"));
        let end = end_stream(Some(&Status::not_found("gone")), Some(&trailers));
        assert_eq!(end[0], END_STREAM);
        assert_eq!(
            &end[5..],
            br#"{"error":{"code":"not_found","message":"gone","details":[]},"metadata":{"x-count":["2"]}}"#
        );
        assert_eq!(&end_stream(None, None)[5..], b"{}");
    }
}
