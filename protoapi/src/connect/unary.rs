//! Connect unary calls: `POST` with `application/json|proto`, and `GET` for methods marked
//! side-effect free.

use std::sync::Arc;

use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};

use crate::compression::Compression;
use crate::context::{Context, Transport};
use crate::http::read_body;
use crate::http::render;
use crate::method::{Encoding, Params, Payload, Requests};
use crate::status::Status;

use super::{
    ConnectMethod, ConnectService, check_version, content_type_is, next, payload, payload_bytes,
    timeout,
};

impl ConnectService {
    pub(super) async fn unary(&self, method: &ConnectMethod, request: Request) -> Response {
        let (mut parts, body) = request.into_parts();
        // What the answer may be compressed with (`Accept-Encoding`).
        let accepted = self
            .compression
            .answer_coding(parts.headers.get(header::ACCEPT_ENCODING));
        // The body's charge to the memory budget, held until the call answers.
        let mut _charge = None;
        let parsed = if parts.method == Method::GET {
            if !method.no_side_effects {
                let mut response = render(&Status::invalid_argument(format!(
                    "`{}` is not marked side-effect free: call it with POST",
                    method.method.name
                )));
                *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            get_message(
                parts.uri.query().unwrap_or_default(),
                &self.compression,
                self.limit(&method.method),
            )
        } else {
            if let Err(status) = check_version(&parts.headers) {
                return render(&status);
            }
            let coding = self
                .compression
                .request_coding(parts.headers.get(header::CONTENT_ENCODING));
            let body = match coding {
                Ok(coding) => crate::http::inflate_with(coding, &mut parts.headers, body),
                Err(name) => return unsupported_compression(&self.compression, &name),
            };
            let encoding = if content_type_is(&parts.headers, "application/proto") {
                Encoding::Proto
            } else {
                Encoding::Json
            };
            let limit = self.limit(&method.method);
            match read_body(&parts.headers, body, limit, &self.budget).await {
                Ok((bytes, charge)) => {
                    _charge = Some(charge);
                    payload(encoding, bytes)
                }
                Err(rejection) => return rejection.into_response(false),
            }
        };
        let (encoding, payload) = match parsed {
            Ok(parsed) => parsed,
            Err(status) => return render(&status),
        };
        let timeout = match timeout(&parts.headers) {
            Ok(timeout) => timeout,
            Err(status) => return render(&status),
        };
        let ctx = Context::new(Transport::Connect, parts.headers, parts.extensions);
        let requests = Requests {
            encoding,
            envelope: None,
            first: Some(payload),
            rest: None,
            upload: None,
        };
        let mut answers = (method.method.run)(ctx, Arc::new(Params::default()), requests);
        let answer = match timeout {
            Some(limit) => match tokio::time::timeout(limit, next(&mut answers)).await {
                Ok(answer) => answer,
                Err(_) => Some(Err(Status::deadline_exceeded("the call's deadline passed"))),
            },
            None => next(&mut answers).await,
        };
        match answer {
            Some(Ok(payload)) => {
                let content_type = match payload {
                    Payload::Json(_) | Payload::Frame(_) => "application/json",
                    Payload::Proto(_) => "application/proto",
                };
                let (body, coding) = self
                    .compression
                    .compress_bytes(accepted, payload_bytes(payload));
                let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
                if accepted.is_some() {
                    crate::http::mark(response.headers_mut(), coding);
                }
                response
            }
            Some(Err(status)) => render(&status),
            None => render(&Status::internal("the method gave no answer")),
        }
    }
}

/// The message of a `GET` call, from its query; a compressed one is inflated within `limit`.
fn get_message(
    query: &str,
    compression: &Compression,
    limit: usize,
) -> Result<(Encoding, Payload), Status> {
    let mut encoding = None;
    let mut message = None;
    let mut base64 = false;
    let mut coding = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "encoding" => encoding = Some(value.into_owned()),
            "message" => message = Some(value.into_owned()),
            "base64" => base64 = value == "1",
            "compression" => {
                let value = HeaderValue::from_str(&value).ok();
                coding = compression.request_coding(value.as_ref()).map_err(|name| {
                    Status::unimplemented(format!(
                        "unsupported compression `{name}`: this server reads {}",
                        compression.accepted_words()
                    ))
                })?;
            }
            "connect" if value != "v1" => {
                return Err(Status::invalid_argument(
                    "unsupported connect version: this server speaks v1",
                ));
            }
            _ => {}
        }
    }
    let encoding = match encoding.as_deref() {
        Some("json") => Encoding::Json,
        Some("proto") => Encoding::Proto,
        Some(other) => {
            return Err(Status::invalid_argument(format!(
                "unsupported encoding `{other}`: use json or proto"
            )));
        }
        None => {
            return Err(Status::invalid_argument(
                "a GET call names its `encoding` (json or proto) in the query",
            ));
        }
    };
    let message = message.unwrap_or_default();
    let bytes = if base64 {
        let trimmed = message.trim_end_matches('=');
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(trimmed)
            .map_err(|error| {
                Status::invalid_argument(format!("invalid base64 in `message`: {error}"))
            })?
    } else {
        message.into_bytes()
    };
    let bytes = match coding {
        None => Bytes::from(bytes),
        Some(coding) => match crate::compression::inflate_message(coding, &bytes, limit) {
            Ok(inflated) => inflated,
            Err(crate::compression::Inflate::TooLarge) => {
                return Err(Status::resource_exhausted(format!(
                    "the message is larger than the limit of {limit} bytes"
                )));
            }
            Err(crate::compression::Inflate::Broken(error)) => {
                return Err(Status::invalid_argument(format!(
                    "invalid {} message: {error}",
                    coding.name()
                )));
            }
        },
    };
    payload(encoding, bytes)
}

/// The answer to a body in a compression this server does not read: `unimplemented`, with
/// the ones it does in `Accept-Encoding`, as the Connect protocol asks.
pub(super) fn unsupported_compression(compression: &Compression, name: &str) -> Response {
    let mut response = render(&Status::unimplemented(format!(
        "unsupported compression `{name}`: this server reads {}",
        compression.accepted_words()
    )));
    response
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, compression.accepted_list());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reads_base64_with_or_without_padding() {
        // `{"n":1}` in URL-safe base64, padded.
        let (encoding, payload) = get_message(
            "encoding=json&base64=1&message=eyJuIjoxfQ%3D%3D&connect=v1",
            &Compression::default(),
            64,
        )
        .unwrap_or_else(|status| panic!("{status:?}"));
        assert_eq!(encoding, Encoding::Json);
        assert_eq!(payload_bytes(payload), Bytes::from_static(b"{\"n\":1}"));
        let error = get_message("message=%7B%7D", &Compression::default(), 64)
            .err()
            .map(|s| s.message().to_owned());
        assert_eq!(
            error.as_deref(),
            Some("a GET call names its `encoding` (json or proto) in the query")
        );
    }

    #[test]
    fn get_inflates_a_compressed_message_within_the_limit() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let small = URL_SAFE_NO_PAD.encode(zstd::bulk::compress(b"{\"n\":1}", 3).expect("zstd"));
        let (_, payload) = get_message(
            &format!("encoding=json&base64=1&compression=zstd&message={small}"),
            &Compression::default(),
            64,
        )
        .unwrap_or_else(|status| panic!("{status:?}"));
        assert_eq!(payload_bytes(payload), Bytes::from_static(b"{\"n\":1}"));
        let bomb = URL_SAFE_NO_PAD.encode(zstd::bulk::compress(&[b' '; 1000], 3).expect("zstd"));
        let error = get_message(
            &format!("encoding=json&base64=1&compression=zstd&message={bomb}"),
            &Compression::default(),
            64,
        )
        .err()
        .map(|status| (status.code(), status.message().to_owned()));
        assert_eq!(
            error,
            Some((
                tonic::Code::ResourceExhausted,
                "the message is larger than the limit of 64 bytes".to_owned()
            ))
        );
        let error = get_message(
            "encoding=json&compression=br&message=x",
            &Compression::default(),
            64,
        )
        .err()
        .map(|status| status.message().to_owned());
        assert_eq!(
            error.as_deref(),
            Some("unsupported compression `br`: this server reads gzip, zstd or identity")
        );
    }
}
