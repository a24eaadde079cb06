//! The calls in progress on one connection ([`State`]), each a [`Call`]: what the connection's
//! loop knows of them, and how it writes its own frames between theirs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::frame::{Answer, Id, frame_message};
use super::upload::{FailedUploads, Uploading};
use super::writer::Writer;
use crate::method::{Encoding, Payload};

/// A call in progress on a connection.
pub(super) struct Call {
    /// Where later requests go, while the client stream is open.
    pub(super) input: Option<mpsc::Sender<Payload>>,
    pub(super) encoding: Encoding,
    pub(super) method: &'static str,
    /// A stream in either direction, or an upload: it may need more frames, or never end by
    /// itself.
    pub(super) streaming: bool,
    /// The upload of a call that sends its files in pieces.
    pub(super) upload: Option<Uploading>,
    /// The largest request message.
    pub(super) limit: usize,
    /// Set by the call's task before its last frame.
    pub(super) finished: Arc<std::sync::atomic::AtomicBool>,
    pub(super) task: tokio::task::Id,
    pub(super) abort: tokio::task::AbortHandle,
}

/// The calls in progress on a connection, and how the connection's loop writes its own frames.
pub(super) struct State {
    pub(super) calls: HashMap<Option<Id>, Call>,
    pub(super) tasks: JoinSet<Option<Id>>,
    pub(super) permits: Arc<Semaphore>,
    /// Uploads that failed before their client ended them.
    pub(super) failed: FailedUploads,
    pub(super) writer: Arc<Writer>,
    /// Frames the loop wrote alone since its last flush. Only while no call task is left:
    /// the loop flushes before it starts one, and before it waits for anything.
    pub(super) unflushed: bool,
}

impl State {
    /// Sends a frame of the connection's own; false when the connection is broken.
    pub(super) async fn send(&mut self, message: Message) -> bool {
        if self.tasks.is_empty() {
            // No call task is left that could take the turn: the loop writes alone, and
            // flushes once it has no more frames at hand.
            self.unflushed = true;
            self.writer.write_alone(message).await
        } else {
            self.writer.send_one(message).await
        }
    }

    /// Sends the error frame of a call (or, without id, of a frame that could not be read);
    /// false when the connection is broken.
    pub(super) async fn send_error(
        &mut self,
        encoding: Encoding,
        id: Option<&Id>,
        status: tonic::Status,
    ) -> bool {
        self.send(frame_message(encoding, id, Answer::Error(status)))
            .await
    }

    /// Forgets a call that ended; one whose upload the client has not ended is remembered as
    /// failed, so that the pieces still on their way are dropped.
    pub(super) fn forget(&mut self, key: &Option<Id>) -> Option<Call> {
        let call = self.calls.remove(key)?;
        if call.upload.as_ref().is_some_and(|upload| !upload.ended()) {
            self.remember_failed(key.clone());
        }
        Some(call)
    }

    pub(super) fn remember_failed(&mut self, key: Option<Id>) {
        self.failed.remember(key);
    }

    /// Writes out the frames the loop wrote alone; false when the connection is broken.
    pub(super) async fn flush(&mut self) -> bool {
        !std::mem::take(&mut self.unflushed) || self.writer.flush().await
    }

    /// A call's task ended: forget the call; a panic is answered with `internal`.
    pub(super) async fn finished(
        &mut self,
        done: Result<(tokio::task::Id, Option<Id>), tokio::task::JoinError>,
    ) -> bool {
        match done {
            Ok((task, key)) => {
                if self.calls.get(&key).is_some_and(|call| call.task == task) {
                    self.forget(&key);
                }
                true
            }
            Err(error) => {
                let task = error.id();
                let key = self
                    .calls
                    .iter()
                    .find(|(_, call)| call.task == task)
                    .map(|(key, _)| key.clone());
                let Some(key) = key else {
                    return true;
                };
                let Some(call) = self.forget(&key) else {
                    return true;
                };
                if !error.is_panic() {
                    return true;
                }
                self.send_error(
                    call.encoding,
                    key.as_ref(),
                    crate::status::panicked(Some(call.method)),
                )
                .await
            }
        }
    }
}
