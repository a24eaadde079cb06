//! The task of a call that does not answer at once: it writes the call's answers in turns
//! with the connection's other calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::OwnedSemaphorePermit;

use super::config::{CHUNK_FRAMES, TURN_BYTES};
use super::frame::{Answer, Encoding, Id, data_message, frame_len, frame_message};
use super::method::Answers;
use super::writer::Writer;

/// Sends a call's answers: each message, then the end of a stream, or the error.
///
/// Before the last frame goes out, the call is marked finished and gives back its permit, so
/// that a client which answers that frame with a new call (perhaps reusing the id) finds room.
///
/// The messages a stream has ready at once are written in one turn (up to about
/// [`TURN_BYTES`]); they are flushed once the stream has no more at hand, so that a fast stream
/// is written in few socket writes.
pub(super) async fn answer(
    mut answers: Answers,
    writer: Arc<Writer>,
    encoding: Encoding,
    id: Option<&Id>,
    server_streaming: bool,
    mut done: Done,
) {
    // Frames ready together are handed to the socket a few at a time: few enough that they
    // are freed (once the socket has copied them) while the allocator still has them at hand.
    // `ready`: the first message of the next turn, taken when a turn ended with more at hand.
    let mut ready = None;
    loop {
        let item = match ready.take() {
            Some(item) => item,
            None => match answers.next().await {
                Some(item) => item,
                None => break,
            },
        };
        let Some(mut turn) = writer.turn().await else {
            return;
        };
        let mut item = Some(item);
        let mut written = 0;
        let mut over = false;
        while let Some(next) = item.take() {
            let message = match next {
                Ok(payload) => {
                    over = !server_streaming;
                    data_message(id, payload)
                }
                Err(status) => {
                    tracing::debug!(code = ?status.code(), message = status.message(), "websocket call failed");
                    over = true;
                    frame_message(encoding, id, Answer::Error(status))
                }
            };
            written += frame_len(&message);
            turn.queue(message);
            if !over && written < TURN_BYTES {
                match answers.next().now_or_never() {
                    Some(Some(next)) => item = Some(next),
                    Some(None) => {
                        over = true;
                        turn.queue(frame_message(encoding, id, Answer::End));
                    }
                    None => {}
                }
            }
            if over {
                done.finish();
            }
            if (item.is_none() || turn.queued() >= CHUNK_FRAMES) && !turn.send_queued().await {
                return;
            }
        }
        // A turn that spent its budget with the stream still ready is not flushed: the socket
        // writes its buffer out once that is full, as a hand-written loop of `feed` would.
        // The frames are flushed as soon as the stream has nothing at hand, or ends.
        let mut ended = false;
        if !over && written >= TURN_BYTES {
            match answers.next().now_or_never() {
                Some(Some(next)) => {
                    ready = Some(next);
                    continue;
                }
                Some(None) => ended = true,
                None => {}
            }
        }
        if !turn.flush().await || over {
            return;
        }
        if ended {
            break;
        }
    }
    done.finish();
    if server_streaming {
        writer
            .send_one(frame_message(encoding, id, Answer::End))
            .await;
    }
}

/// What a call gives back when it is done: its permit, and the mark that it finished.
pub(super) struct Done {
    pub(super) permit: Option<OwnedSemaphorePermit>,
    pub(super) finished: Arc<AtomicBool>,
}

impl Done {
    fn finish(&mut self) {
        self.finished.store(true, Ordering::Release);
        self.permit = None;
    }
}
