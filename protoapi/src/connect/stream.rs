//! Connect server streams: one enveloped request, enveloped answers, and the end-of-stream
//! envelope that carries the error, if any.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use bytes::{BufMut as _, Bytes, BytesMut};
use futures_util::StreamExt as _;
use http::{HeaderMap, header};

use crate::context::{Context, Transport};
use crate::http::read_body;
use crate::method::{Encoding, Params, Requests};
use crate::status::{Status, error_json};

use super::{
    ConnectMethod, ConnectService, check_headers, content_type_is, next, payload, payload_bytes,
    timeout,
};

/// The envelope flag of a compressed message.
const COMPRESSED: u8 = 0b01;
/// The envelope flag of the end-of-stream message.
const END_STREAM: u8 = 0b10;
impl ConnectService {
    pub(super) async fn server_stream(&self, method: &ConnectMethod, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let encoding = if content_type_is(&parts.headers, "application/connect+proto") {
            Encoding::Proto
        } else {
            Encoding::Json
        };
        if let Err(status) = check_headers(&parts.headers, "connect-content-encoding") {
            return stream_error(encoding, &status);
        }
        let timeout = match timeout(&parts.headers) {
            Ok(timeout) => timeout,
            Err(status) => return stream_error(encoding, &status),
        };
        // The envelope adds five bytes to the message.
        let limit = self.limit(&method.method).saturating_add(5);
        let (bytes, _charge) = match read_body(&parts.headers, body, limit, &self.budget).await {
            Ok(read) => read,
            Err(rejection) => {
                return stream_error(encoding, &Status::resource_exhausted(rejection.message()));
            }
        };
        let message = match unenvelope(bytes) {
            Ok(message) => message,
            Err(status) => return stream_error(encoding, &status),
        };
        let payload = match payload(encoding, message) {
            Ok((_, payload)) => payload,
            Err(status) => return stream_error(encoding, &status),
        };
        let ctx = Context::new(Transport::Connect, parts.headers, parts.extensions);
        let requests = Requests {
            encoding,
            envelope: None,
            first: Some(payload),
            rest: None,
            upload: None,
        };
        let answers = (method.method.run)(ctx, Arc::new(Params::default()), requests);
        let deadline = timeout.map(|limit| tokio::time::Instant::now() + limit);
        // Messages until the first error, then the end-of-stream envelope.
        let body = futures_util::stream::unfold(Some(answers), move |answers| async move {
            let mut answers = answers?;
            let answer = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, next(&mut answers))
                    .await
                    .unwrap_or_else(|_| {
                        Some(Err(Status::deadline_exceeded("the call's deadline passed")))
                    }),
                None => next(&mut answers).await,
            };
            match answer {
                Some(Ok(payload)) => Some((envelope(0, payload_bytes(payload)), Some(answers))),
                Some(Err(status)) => Some((end_stream(Some(&status)), None)),
                None => Some((end_stream(None), None)),
            }
        })
        .map(Ok::<_, std::convert::Infallible>);
        stream_response(encoding, Body::from_stream(body))
    }
}

/// The one message of a streaming request body.
fn unenvelope(mut bytes: Bytes) -> Result<Bytes, Status> {
    if bytes.len() < 5 {
        return Err(Status::invalid_argument(
            "invalid envelope: a streaming request is one enveloped message",
        ));
    }
    let header = bytes.split_to(5);
    let flags = header[0];
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if flags & COMPRESSED != 0 {
        return Err(Status::unimplemented(
            "unsupported compression: this server reads only identity",
        ));
    }
    if flags != 0 {
        return Err(Status::invalid_argument(format!(
            "invalid envelope: unexpected flags {flags:#04x}"
        )));
    }
    if length != bytes.len() {
        return Err(Status::invalid_argument(format!(
            "invalid envelope: it declares {length} bytes and carries {}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

fn envelope(flags: u8, message: Bytes) -> Bytes {
    let mut out = BytesMut::with_capacity(message.len() + 5);
    out.put_u8(flags);
    out.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    out.put(message);
    out.freeze()
}

/// The end-of-stream envelope: `{}`, or `{"error": {...}}`.
fn end_stream(status: Option<&Status>) -> Bytes {
    let json = match status {
        None => "{}".to_owned(),
        Some(status) => format!("{{\"error\":{}}}", error_json(status)),
    };
    envelope(END_STREAM, Bytes::from(json))
}

fn stream_response(encoding: Encoding, body: Body) -> Response {
    let content_type = match encoding {
        Encoding::Json => "application/connect+json",
        Encoding::Proto => "application/connect+proto",
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A status as the answer to a Connect streaming request: `200 OK` and the end-of-stream
/// error, in the encoding the request's content type names.
pub(crate) fn render_stream(headers: &HeaderMap, status: &Status) -> Response {
    let encoding = if content_type_is(headers, "application/connect+proto") {
        Encoding::Proto
    } else {
        Encoding::Json
    };
    stream_error(encoding, status)
}

/// A streaming call that fails before it starts: `200 OK` and the end-of-stream error.
pub(super) fn stream_error(encoding: Encoding, status: &Status) -> Response {
    stream_response(encoding, Body::from(end_stream(Some(status))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Code;

    #[test]
    fn an_envelope_holds_exactly_its_message() {
        let message = Bytes::from_static(b"{\"a\":1}");
        assert_eq!(unenvelope(envelope(0, message.clone())).ok(), Some(message));
        let short = Bytes::from_static(&[0, 0, 0, 0, 9, b'{', b'}']);
        assert_eq!(
            unenvelope(short).err().map(|s| s.message().to_owned()),
            Some("invalid envelope: it declares 9 bytes and carries 2".to_owned())
        );
        assert_eq!(
            unenvelope(Bytes::from_static(&[1, 0, 0, 0, 0]))
                .err()
                .map(|s| s.code()),
            Some(Code::Unimplemented)
        );
    }
}
