//! [`Call`]: one call's task, from its answers to the frames it sends; [`Reply`]: where they go.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt as _;

use serde_json::value::RawValue;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::Value;
use socketioxide::{SendError, SocketError};
use tokio_util::sync::CancellationToken;

use super::binary::{Attach, Frame};
use super::frame::{END_FRAME, Incoming, error_frame, raw};
use super::stream::Ending;
use crate::budget::Charge;
use crate::method::{Answers, Payload, next};
use crate::status::Status;

/// Where a call's frames go: a stream's items are emitted as the method's event; the last frame
/// (the answer of a unary call, the end or error of a stream) goes to the client's ack when it
/// asked for one, else it is emitted as the event too. For a stream of requests, the ack is
/// that of the emit that ends them.
pub(super) struct Reply<A: Adapter> {
    socket: SocketRef<A>,
    /// The client's ack, when the event asked for one.
    ack: Option<AckSender<A>>,
    /// The method's event, once the event names a method.
    event: Option<&'static str>,
    /// For a stream of requests, where its last frame goes.
    ending: Option<Arc<Ending<A>>>,
}

/// The socket closed: the call's frames have nowhere to go.
pub(super) struct Gone;

impl<A: Adapter> Reply<A> {
    pub(super) fn new(socket: SocketRef<A>, ack: AckSender<A>, wants_ack: bool) -> Self {
        Reply {
            socket,
            ack: wants_ack.then_some(ack),
            event: None,
            ending: None,
        }
    }

    /// The client's ack, taken out (a request of a stream has its own).
    pub(super) fn take_ack(&mut self) -> Option<AckSender<A>> {
        self.ack.take()
    }

    /// The reply of a call whose last frame goes where `ending` says.
    pub(super) fn ending(mut self, ending: Arc<Ending<A>>) -> Self {
        self.ending = Some(ending);
        self
    }

    /// The reply of a call of the method whose event is `event`.
    pub(super) fn named(mut self, event: &'static str) -> Self {
        self.event = Some(event);
        self
    }

    /// Answers an event that names no method (or that cannot be read): through its ack, when
    /// it asked for one; an event named after nothing is not emitted back.
    pub(super) fn error_only_to_ack(self, status: &Status) {
        match self.ack {
            Some(ack) => send_ack(ack, error_frame(status)),
            None => tracing::debug!(message = status.message(), "a Socket.IO event failed"),
        }
    }

    /// Ends a call that failed before it started.
    pub(super) fn last(self, status: &Status) {
        let frame = error_frame(status);
        match self.ack {
            Some(ack) => send_ack(ack, frame),
            None => {
                let _ = self.emit_now(frame);
            }
        }
    }

    /// Sends the last frame of a call.
    async fn finish(self, frame: Frame) {
        if let Some((reply, frame)) = self.settle(frame) {
            // Boxed: emitting may wait, and its future would make every call's larger.
            let _ = Box::pin(reply.emit(&frame)).await;
        }
    }

    /// Sends the last frame of a call to its ack, at once; or gives it back with the reply when
    /// it is to be emitted as the event (which may wait).
    fn settle(mut self, frame: Frame) -> Option<(Self, Frame)> {
        if let Some(ending) = &self.ending {
            self.ack = ending.call_ended(&frame);
        }
        match self.ack.take() {
            Some(ack) => {
                send_ack(ack, frame);
                None
            }
            // An empty answer has nothing to say but to an ack.
            None if frame.is_empty_answer() => None,
            None => Some((self, frame)),
        }
    }

    /// Emits a frame as the method's event, waiting while the socket has too many packets
    /// waiting to be sent.
    async fn emit(&self, frame: &Frame) -> Result<(), Gone> {
        let Some(event) = self.event else {
            return Ok(());
        };
        let mut wait = Duration::from_millis(1);
        loop {
            match self.socket.emit(event, frame) {
                Ok(()) => return Ok(()),
                Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                    // Boxed: a timer is large, and every call's future would carry it.
                    Box::pin(tokio::time::sleep(wait)).await;
                    wait = (wait * 2).min(MAX_WAIT);
                }
                Err(SendError::Socket(SocketError::Closed)) => return Err(Gone),
                Err(SendError::Serialize(error)) => {
                    tracing::error!(%error, "failed to write a Socket.IO frame");
                    return Ok(());
                }
            }
        }
    }

    /// Emits a frame as the method's event if the socket has room for it now.
    fn emit_now(&self, frame: String) -> Result<(), Gone> {
        let Some(event) = self.event else {
            return Ok(());
        };
        match self.socket.emit(event, &*raw(frame)) {
            Ok(()) => Ok(()),
            Err(SendError::Socket(SocketError::Closed)) => Err(Gone),
            Err(error) => {
                tracing::debug!(%error, "a Socket.IO frame was not sent");
                Ok(())
            }
        }
    }
}

/// An event read whole, as an event that names no method is: `Err` when it is malformed.
fn read_whole(event: &Value) -> Result<(), Status> {
    match event {
        Value::Str(text, attachments) => {
            Incoming::read(text.as_str(), attachments.as_ref()).map(drop)
        }
        Value::Bytes(_) => Ok(()),
    }
}

/// The longest pause between two tries to emit to a socket whose buffer is full.
const MAX_WAIT: Duration = Duration::from_millis(50);

/// Answers an ack with a frame.
pub(super) fn send_ack<A: Adapter>(ack: AckSender<A>, frame: impl Into<Frame>) {
    if let Err(error) = ack.send(&frame.into()) {
        tracing::debug!(%error, "a Socket.IO ack was not sent");
    }
}

/// A call that runs in a task of its own: its answers, and where they go.
pub(super) struct Call<A: Adapter> {
    pub(super) answers: Answers,
    /// Whether the method answers with a stream.
    pub(super) streaming: bool,
    pub(super) reply: Reply<A>,
    /// Where the `bytes` of its answers are, to send them as attachments.
    pub(super) binaries: Option<Attach>,
    /// The request's charge to the memory budget, held until the call answers first (a stream's
    /// requests are charged while they are queued).
    pub(super) charge: Option<Charge>,
    /// The event, when it was read quickly ([`Incoming::read_quick`]): if the call fails at
    /// once, the event is read whole to tell a malformed event from a request the method refused.
    pub(super) quick: Option<Value>,
}

impl<A: Adapter> Call<A> {
    /// Runs the call. A unary call is polled once here: most answer at once, and their answer
    /// goes out from here, without a task of their own. A call that has to wait goes on in its
    /// task, as a stream does. A stream is dropped when `closed` is cancelled (the socket
    /// disconnected); a unary call runs to its end, its answer then going nowhere, so that an
    /// event a client emits just before it disconnects is still handled.
    pub(super) fn spawn(mut self, closed: &CancellationToken) {
        if self.streaming {
            return self.spawn_with(closed.clone(), std::future::ready(()));
        }
        match poll_now(&mut self.answers) {
            Poll::Ready(answer) => {
                if let Some(emit) = self.answered(answer) {
                    tokio::spawn(emit);
                }
            }
            Poll::Pending => {
                tokio::spawn(self.run_unary());
            }
        }
    }

    /// Runs the call as [`Self::spawn`] does, with `beside` in the same task (what hands a
    /// stream's requests to the method).
    pub(super) fn spawn_with(
        self,
        closed: CancellationToken,
        beside: impl Future<Output = ()> + Send + 'static,
    ) {
        tokio::spawn(async move {
            tokio::select! {
                biased;
                () = closed.cancelled() => {}
                ((), ()) = futures_util::future::join(self.run(), beside) => {}
            }
        });
    }

    /// Runs a call that answers once. Its task holds the call and the wait for its answer
    /// only (a plain `async fn` would hold the call twice): sending to the ack is immediate,
    /// and the rare emit is boxed.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn taking `mut self` holds the call twice in its future"
    )]
    fn run_unary(mut self) -> impl Future<Output = ()> + Send + 'static {
        async move {
            let answer = next(&mut self.answers).await;
            if let Some(emit) = self.answered(answer) {
                emit.await;
            }
        }
    }

    /// Sends a unary call's answer to its ack at once; or gives back the emit of it as the
    /// method's event, which may wait.
    fn answered(
        mut self,
        answer: Option<Result<Payload, Status>>,
    ) -> Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>> {
        self.charge.take();
        if let (Some(event), Some(Err(_))) = (self.quick.take(), &answer)
            && let Err(status) = read_whole(&event)
        {
            self.reply.error_only_to_ack(&status);
            return None;
        }
        let frame = last_frame(answer, false, self.binaries.as_ref());
        let (reply, frame) = self.reply.settle(frame)?;
        Some(Box::pin(async move {
            let _ = reply.emit(&frame).await;
        }))
    }

    async fn run(self) {
        let Call {
            mut answers,
            streaming,
            reply,
            binaries,
            charge,
            mut quick,
        } = self;
        let mut charge = charge;
        loop {
            let answer = next(&mut answers).await;
            charge.take();
            if let (Some(event), Some(Err(_))) = (quick.take(), &answer)
                && let Err(status) = read_whole(&event)
            {
                return reply.error_only_to_ack(&status);
            }
            let answer = match answer {
                Some(Ok(Payload::Frame(frame))) if streaming => {
                    if reply.emit(&data(frame, binaries.as_ref())).await.is_err() {
                        return;
                    }
                    continue;
                }
                answer => answer,
            };
            return reply
                .finish(last_frame(answer, streaming, binaries.as_ref()))
                .await;
        }
    }
}

/// A call's next answer if it has one at once; a method that panics answers `internal`. The
/// waker is a no-op: a call that is not ready is polled again, with its task's waker, by
/// [`Call::run_unary`].
fn poll_now(answers: &mut Answers) -> Poll<Option<Result<Payload, Status>>> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::panic::catch_unwind(AssertUnwindSafe(|| answers.poll_next_unpin(&mut cx)))
        .unwrap_or_else(|_| Poll::Ready(Some(Err(crate::status::panicked(None)))))
}

/// An answer's frame, its `bytes` sent as attachments when it has any.
fn data(frame: Box<RawValue>, binaries: Option<&Attach>) -> Frame {
    match binaries {
        Some(binaries) => binaries.frame(frame),
        None => Frame::Text(frame),
    }
}

/// The last frame of a call: its answer, its error, or (for a stream) its end.
fn last_frame(
    answer: Option<Result<Payload, Status>>,
    streaming: bool,
    binaries: Option<&Attach>,
) -> Frame {
    match answer {
        Some(Ok(Payload::Frame(frame))) => data(frame, binaries),
        // The call's encoder writes every answer as a frame.
        Some(Ok(Payload::Json(_) | Payload::Proto(_))) => {
            error_frame(&Status::internal("failed to encode the answer")).into()
        }
        Some(Err(status)) => error_frame(&status).into(),
        None if streaming => END_FRAME.to_owned().into(),
        None => error_frame(&Status::internal("the method gave no answer")).into(),
    }
}
