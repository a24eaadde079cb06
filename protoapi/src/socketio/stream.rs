//! Client and bidirectional streams: the client's emits of a method's event are the call's
//! requests, until an emit without a request ends them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use socketioxide::adapter::Adapter;
use socketioxide::extract::AckSender;
use tokio::sync::mpsc;

use super::binary::Frame;
use super::call::send_ack;
use crate::budget::Charge;
use crate::method::Payload;

/// How many requests of one stream may wait for the method to take them.
pub(super) const QUEUE: usize = 16;

/// The frame that answers the ack of a stream's request once the method has taken it.
const TAKEN_FRAME: &str = "{}";

/// The open client streams of one socket, by event: where their next requests go.
pub(super) struct OpenStreams<A: Adapter>(Mutex<HashMap<&'static str, mpsc::Sender<Queued<A>>>>);

impl<A: Adapter> Default for OpenStreams<A> {
    fn default() -> Self {
        OpenStreams(Mutex::default())
    }
}

impl<A: Adapter> OpenStreams<A> {
    /// Runs `f` on the open streams, locked.
    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&mut HashMap<&'static str, mpsc::Sender<Queued<A>>>) -> T,
    ) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What a client emits on an open stream.
pub(super) enum Queued<A: Adapter> {
    /// The next request, charged to the memory budget until the method takes it.
    Request {
        payload: Payload,
        charge: Charge,
        ack: Option<AckSender<A>>,
    },
    /// The end of the requests: the call's last frame goes to this ack.
    End { ack: Option<AckSender<A>> },
}

impl<A: Adapter> Queued<A> {
    /// The ack of the emit, taken out.
    pub(super) fn into_ack(self) -> Option<AckSender<A>> {
        match self {
            Queued::Request { ack, .. } | Queued::End { ack } => ack,
        }
    }
}

/// Where a client stream's last frame goes, decided by whichever ends first: the client's
/// requests or the call.
pub(super) struct Ending<A: Adapter>(Mutex<EndingState<A>>);

impl<A: Adapter> Default for Ending<A> {
    fn default() -> Self {
        Ending(Mutex::new(EndingState::Open))
    }
}

enum EndingState<A: Adapter> {
    Open,
    /// The client ended its requests, asking for an ack or not.
    Ended(Option<AckSender<A>>),
    /// The call answered its last frame.
    Answered(Frame),
}

impl<A: Adapter> Ending<A> {
    fn state(&self) -> std::sync::MutexGuard<'_, EndingState<A>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client ended its requests: an ack of the end gets the call's last frame, at once
    /// when the call has answered it already.
    fn client_ended(&self, ack: Option<AckSender<A>>) {
        let mut state = self.state();
        match &*state {
            EndingState::Open => *state = EndingState::Ended(ack),
            EndingState::Answered(frame) => {
                if let Some(ack) = ack {
                    send_ack(ack, frame.clone());
                }
            }
            EndingState::Ended(_) => {}
        }
    }

    /// The call's last frame: the ack it goes to, or `None` when it is emitted as the event
    /// (the client has not ended its requests, or did without asking for an ack).
    pub(super) fn call_ended(&self, frame: &Frame) -> Option<AckSender<A>> {
        let mut state = self.state();
        match std::mem::replace(&mut *state, EndingState::Answered(frame.clone())) {
            EndingState::Ended(ack) => ack,
            EndingState::Open | EndingState::Answered(_) => None,
        }
    }

    /// The call's last frame, once it has answered it.
    fn answered(&self) -> Option<Frame> {
        match &*self.state() {
            EndingState::Answered(frame) => Some(frame.clone()),
            EndingState::Open | EndingState::Ended(_) => None,
        }
    }
}

/// Hands the queued requests of a stream to its method, one at a time: a request's charge is
/// given back and its ack answered `{}` once the method has taken it (or, when the call is
/// over, with the call's last frame).
pub(super) async fn forward<A: Adapter>(
    mut queue: mpsc::Receiver<Queued<A>>,
    requests: mpsc::Sender<Payload>,
    ending: Arc<Ending<A>>,
) {
    let mut requests = Some(requests);
    while let Some(queued) = queue.recv().await {
        match queued {
            Queued::Request {
                payload,
                charge,
                ack,
            } => {
                let taken = match &requests {
                    Some(requests) => requests.send(payload).await.is_ok(),
                    None => false,
                };
                drop(charge);
                if let Some(ack) = ack {
                    let frame = match ending.answered() {
                        Some(frame) if !taken => frame,
                        _ => Frame::from(TAKEN_FRAME.to_owned()),
                    };
                    send_ack(ack, frame);
                }
            }
            Queued::End { ack } => {
                requests = None;
                ending.client_ended(ack);
            }
        }
    }
}
