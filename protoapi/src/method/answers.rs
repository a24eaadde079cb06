//! A call's answers: [`Answers`], each message encoded by the call's [`Encoder`].

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::BoxStream;
use futures_util::{Future, StreamExt as _};
use tonic::Status;

use super::envelope::JsonEnvelope;
use super::payload::{Encoding, Payload};
use crate::message::ProtoMessage;
use crate::observe::{InCall, Observed};
use crate::streaming::Streaming;

/// The answers of a call, encoded: its messages, or the error that ends it.
pub(crate) type Answers = BoxStream<'static, Result<Payload, Status>>;

/// The next answer of a call; a method that panics answers `internal`, and its call ends there.
pub(crate) async fn next(answers: &mut Answers) -> Option<Result<Payload, Status>> {
    use futures_util::FutureExt as _;
    match std::panic::AssertUnwindSafe(answers.next())
        .catch_unwind()
        .await
    {
        Ok(answer) => answer,
        Err(_) => Some(Err(crate::status::panicked(None))),
    }
}

/// How a call's answers are encoded.
pub(super) struct Encoder {
    encoding: Encoding,
    /// For JSON answers, the envelope each is written into at once.
    envelope: Option<JsonEnvelope>,
}

impl Encoder {
    /// The encoder of answers in `encoding`, wrapped in `envelope` when they are JSON.
    pub(super) fn new(encoding: Encoding, envelope: Option<JsonEnvelope>) -> Self {
        Encoder { encoding, envelope }
    }

    /// This encoder, moved out of a state that no longer encodes (which keeps an empty one).
    fn take(&mut self) -> Encoder {
        Encoder {
            encoding: self.encoding,
            envelope: self.envelope.take(),
        }
    }

    /// One answer, encoded.
    pub(super) fn encode<Rsp: ProtoMessage>(&self, message: &Rsp) -> Result<Payload, Status> {
        let failed = |error: serde_json::Error| {
            tracing::error!(%error, "failed to encode a JSON answer");
            Status::internal("failed to encode the response")
        };
        match (self.encoding, &self.envelope) {
            (Encoding::Json, None) => serde_json::to_string(message)
                .map(Payload::Json)
                .map_err(failed),
            (Encoding::Json, Some(envelope)) => envelope.wrap(message).map_err(failed),
            (Encoding::Proto, _) => Ok(Payload::Proto(
                prost::Message::encode_to_vec(message).into(),
            )),
        }
    }
}

/// The answers of a call that answers once, run in the call's span: its one answer.
pub(super) fn once<Fut>(observed: Observed, call: Fut) -> Answers
where
    Fut: Future<Output = Result<Payload, Status>> + Send + 'static,
{
    futures_util::stream::once(InCall::new(observed, call)).boxed()
}

/// The answers of a call that returns a stream, run in the call's span: the call's error, or
/// each message encoded.
pub(super) fn encoded<Fut, Rsp>(call: Fut, encoder: Encoder, observed: Observed) -> Answers
where
    Fut: Future<Output = Result<Streaming<Rsp>, Status>> + Send + 'static,
    Rsp: ProtoMessage,
{
    Box::pin(Encoded {
        state: State::Calling(Box::pin(call), encoder),
        observed,
    })
}

/// The stream of [`encoded`]: one state machine per call instead of a stack of adapters
/// (`once`, `try_flatten`, `map`), each polled per message.
struct Encoded<Fut, Rsp> {
    state: State<Fut, Rsp>,
    /// The call, until it ends.
    observed: Observed,
}

enum State<Fut, Rsp> {
    Calling(Pin<Box<Fut>>, Encoder),
    Streaming(Streaming<Rsp>, Encoder),
    Done,
}

impl<Fut, Rsp> futures_util::Stream for Encoded<Fut, Rsp>
where
    Fut: Future<Output = Result<Streaming<Rsp>, Status>>,
    Rsp: ProtoMessage,
{
    type Item = Result<Payload, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Encoded { state, observed } = self.get_mut();
        let polled = {
            let _entered = observed.enter();
            state.poll(cx)
        };
        match &polled {
            Poll::Ready(Some(Err(status))) => observed.take().end(status.code()),
            Poll::Ready(None) => observed.take().end(tonic::Code::Ok),
            _ => {}
        }
        polled
    }
}

impl<Fut, Rsp> State<Fut, Rsp>
where
    Fut: Future<Output = Result<Streaming<Rsp>, Status>>,
    Rsp: ProtoMessage,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Payload, Status>>> {
        loop {
            match self {
                State::Calling(call, encoder) => match call.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(stream)) => {
                        *self = State::Streaming(stream, encoder.take());
                    }
                    Poll::Ready(Err(status)) => {
                        *self = State::Done;
                        return Poll::Ready(Some(Err(status)));
                    }
                },
                State::Streaming(stream, encoder) => {
                    return match stream.poll_next_unpin(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(Some(Ok(message))) => {
                            Poll::Ready(Some(encoder.encode(&message)))
                        }
                        Poll::Ready(Some(Err(status))) => Poll::Ready(Some(Err(status))),
                        Poll::Ready(None) => {
                            *self = State::Done;
                            Poll::Ready(None)
                        }
                    };
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }
}
