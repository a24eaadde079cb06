//! A call's requests: [`Requests`] as the transport hands them over, and [`decode`], which makes
//! each one the method's message.

use std::sync::Arc;

use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tonic::Status;

use super::answers::Encoder;
use super::envelope::JsonEnvelope;
use super::payload::{Encoding, Payload};
use super::upload::Upload;
use crate::codec::text::TextMessage;
use crate::file::File;
use crate::message::ProtoMessage;
use crate::streaming::Streaming;

/// The path and query parameters of the URL a call came on (a WebSocket's handshake), which
/// fill every request.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub(crate) query: Option<String>,
    pub(crate) path: Vec<(String, String)>,
}

/// Decodes one request: the query, then the message, then the path parameters; then checks its
/// rules ([`crate::Validate`]).
pub(crate) fn decode<Req: ProtoMessage>(
    params: &Params,
    payload: Option<&Payload>,
) -> Result<Req, Status> {
    decode_with_files(params, payload, Vec::new())
}

/// Decodes one request as [`decode`] does, with `files` put in their `#[file]` fields after
/// the message (before the path parameters and the rules).
fn decode_with_files<Req: ProtoMessage>(
    params: &Params,
    payload: Option<&Payload>,
    files: Vec<(&'static str, File)>,
) -> Result<Req, Status> {
    let mut message = Req::default();
    params.merge_query(&mut message)?;
    match payload {
        Some(Payload::Json(text)) => crate::codec::json_merge::merge_json_text(&mut message, text)?,
        Some(Payload::Frame(frame)) => {
            crate::codec::json_merge::merge_json_text(&mut message, frame.get())?
        }
        Some(Payload::Proto(bytes)) => {
            prost::Message::merge(&mut message, bytes.clone()).map_err(|error| {
                Status::invalid_argument(format!("invalid protobuf message: {error}"))
            })?
        }
        None => {}
    }
    for (field, file) in files {
        // The transport took only the message's own `#[file]` fields.
        message.merge_file(field, file);
    }
    params.merge_path(&mut message)?;
    crate::validate::check(&message)?;
    Ok(message)
}

impl Params {
    fn merge_query(&self, message: &mut dyn TextMessage) -> Result<(), Status> {
        if let Some(query) = &self.query {
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                message.merge_text(&key, &value).map_err(|error| {
                    Status::invalid_argument(format!(
                        "invalid query parameter `{}`: {error}",
                        crate::status::shown(&key)
                    ))
                })?;
            }
        }
        Ok(())
    }

    fn merge_path(&self, message: &mut dyn TextMessage) -> Result<(), Status> {
        for (name, value) in &self.path {
            message.merge_text(name, value).map_err(|error| {
                Status::invalid_argument(format!("invalid path parameter `{name}`: {error}"))
            })?;
        }
        Ok(())
    }
}

/// A call's one request, decoded now or to be decoded once its files arrived.
pub(super) enum Now<Req> {
    Decoded(Result<Req, Status>),
    Later(Requests),
}

/// The requests of a call: the first message, then those that come later.
pub(crate) struct Requests {
    pub(crate) encoding: Encoding,
    /// For JSON answers, the envelope the transport writes around each; see [`JsonEnvelope`].
    pub(crate) envelope: Option<JsonEnvelope>,
    pub(crate) first: Option<Payload>,
    pub(crate) rest: Option<mpsc::Receiver<Payload>>,
    /// The files of the request, when the client sends them in pieces (a call with one
    /// request only).
    pub(crate) upload: Option<Upload>,
}

impl Requests {
    /// The encoder of the call's answers (which takes over the envelope).
    pub(super) fn encoder(&mut self) -> Encoder {
        Encoder::new(self.encoding, self.envelope.take())
    }

    /// The one request of a call, decoded once its files, if it sends any in pieces, have all
    /// arrived.
    pub(super) async fn one<Req: ProtoMessage>(self, params: &Params) -> Result<Req, Status> {
        // Boxed: the receiving future is large, and most calls send no files in pieces.
        let files = match self.upload {
            Some(upload) => Box::pin(upload.receive()).await?,
            None => Vec::new(),
        };
        decode_with_files(params, self.first.as_ref(), files)
    }

    /// The one request of a call decoded now, when it sends no files in pieces; else the
    /// requests back, for [`Self::one`].
    pub(super) fn now<Req: ProtoMessage>(self, params: &Params) -> Now<Req> {
        match self.upload {
            None => Now::Decoded(decode(params, self.first.as_ref())),
            Some(_) => Now::Later(self),
        }
    }

    /// Every request of a client stream, decoded.
    pub(super) fn stream<Req: ProtoMessage>(self, params: Arc<Params>) -> Streaming<Req> {
        let Requests { first, rest, .. } = self;
        let mut rest = rest;
        let rest = futures_util::stream::poll_fn(move |cx| match rest.as_mut() {
            Some(receiver) => receiver.poll_recv(cx),
            None => std::task::Poll::Ready(None),
        });
        Streaming::new(
            futures_util::stream::iter(first)
                .chain(rest)
                .map(move |payload| decode::<Req>(&params, Some(&payload))),
        )
    }
}
