//! The task of a call that does not answer at once: it writes the call's answers in turns
//! with the connection's other calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::OwnedSemaphorePermit;

use super::config::{CHUNK_FRAMES, TURN_BYTES};
use super::frame::{Answer, Id, data_message, frame_len, frame_message};
use super::writer::Writer;
use crate::method::{Answers, Encoding};

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::stream;
    use tokio::sync::{Semaphore, mpsc};
    use tonic::Status;

    use super::*;
    use crate::method::Payload;
    use crate::websocket::testing::{Client, connected, next_text, texts};

    /// A call's task for the call `id`, with its permit taken from `permits`.
    fn spawn(
        writer: &Arc<Writer>,
        id: u64,
        answers: Answers,
        server_streaming: bool,
        permits: &Arc<Semaphore>,
    ) -> (tokio::task::JoinHandle<()>, Arc<AtomicBool>) {
        let finished = Arc::new(AtomicBool::new(false));
        let done = Done {
            permit: Some(permits.clone().try_acquire_owned().expect("a permit")),
            finished: finished.clone(),
        };
        let writer = writer.clone();
        let task = tokio::spawn(async move {
            let id = Id::Unsigned(id);
            answer(
                answers,
                writer,
                Encoding::Json,
                Some(&id),
                server_streaming,
                done,
            )
            .await;
        });
        (task, finished)
    }

    /// A JSON answer, already in its frame as a call's encoder writes it.
    fn data(id: u64, n: usize) -> Result<Payload, Status> {
        Ok(Payload::Json(format!(
            r#"{{"id":{id},"data":{{"n":{n}}}}}"#
        )))
    }

    async fn writer(buffer: usize) -> (Arc<Writer>, Client) {
        let (websocket, client) = connected(buffer).await;
        (
            Arc::new(Writer::new(websocket, Duration::from_secs(5))),
            client,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_ends_with_an_end_frame_once_the_call_gave_back_its_permit() {
        let (writer, mut client) = writer(64 << 10).await;
        let permits = Arc::new(Semaphore::new(1));
        let answers = stream::iter((0..3).map(|n| data(1, n))).boxed();
        let (task, finished) = spawn(&writer, 1, answers, true, &permits);
        assert_eq!(
            texts(&mut client, 4).await,
            [
                r#"{"id":1,"data":{"n":0}}"#,
                r#"{"id":1,"data":{"n":1}}"#,
                r#"{"id":1,"data":{"n":2}}"#,
                r#"{"id":1,"end":true}"#,
            ]
        );
        // Before its last frame went out: a client answering it finds room for a new call.
        assert!(finished.load(Ordering::Acquire));
        assert_eq!(permits.available_permits(), 1);
        task.await.expect("the call's task");
        assert_eq!(next_text(&mut client).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_unary_call_sends_its_answer_and_no_end() {
        let (writer, mut client) = writer(64 << 10).await;
        let permits = Arc::new(Semaphore::new(1));
        let answers = stream::iter([data(2, 0)]).boxed();
        let (task, finished) = spawn(&writer, 2, answers, false, &permits);
        task.await.expect("the call's task");
        assert!(finished.load(Ordering::Acquire));
        assert_eq!(permits.available_permits(), 1);
        assert_eq!(texts(&mut client, 1).await, [r#"{"id":2,"data":{"n":0}}"#]);
        assert_eq!(next_text(&mut client).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_ends_a_stream_without_an_end_frame() {
        let (writer, mut client) = writer(64 << 10).await;
        let permits = Arc::new(Semaphore::new(1));
        let answers =
            stream::iter([data(3, 0), Err(Status::not_found("gone")), data(3, 1)]).boxed();
        let (task, finished) = spawn(&writer, 3, answers, true, &permits);
        task.await.expect("the call's task");
        assert!(finished.load(Ordering::Acquire));
        assert_eq!(
            texts(&mut client, 2).await,
            [
                r#"{"id":3,"data":{"n":0}}"#,
                r#"{"id":3,"error":{"code":"not_found","message":"gone"}}"#,
            ]
        );
        assert_eq!(
            next_text(&mut client).await,
            None,
            "nothing after the error"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ready_frames_are_flushed_once_the_stream_has_none_at_hand() {
        let (writer, mut client) = writer(64 << 10).await;
        let permits = Arc::new(Semaphore::new(1));
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let answers = stream::poll_fn(move |cx| receiver.poll_recv(cx)).boxed();
        for n in 0..2 {
            sender.send(data(4, n)).expect("the call listens");
        }
        let (task, _) = spawn(&writer, 4, answers, true, &permits);
        // The stream is still open: its two frames went out all the same.
        assert_eq!(
            texts(&mut client, 2).await,
            [r#"{"id":4,"data":{"n":0}}"#, r#"{"id":4,"data":{"n":1}}"#]
        );
        sender.send(data(4, 2)).expect("the call listens");
        assert_eq!(texts(&mut client, 1).await, [r#"{"id":4,"data":{"n":2}}"#]);
        drop(sender);
        assert_eq!(texts(&mut client, 1).await, [r#"{"id":4,"end":true}"#]);
        task.await.expect("the call's task");
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_lets_another_call_write_once_its_budget_is_spent() {
        let (writer, mut client) = writer(1 << 20).await;
        let permits = Arc::new(Semaphore::new(2));
        // Frames of 4 KiB: a turn's budget is 16 of them.
        let frame = |n: usize| {
            let start = format!(r#"{{"id":1,"data":{{"n":{n},"pad":""#);
            let pad = "x".repeat(4096 - start.len() - 3);
            Ok(Payload::Json(format!(r#"{start}{pad}"}}}}"#)))
        };
        assert_eq!(
            frame_len(&data_message(None, frame(0).expect("a frame"))),
            4096
        );
        let per_turn = TURN_BYTES / 4096;
        let long = stream::iter((0..per_turn * 2 + 3).map(frame)).boxed();
        let short = stream::iter([data(2, 0)]).boxed();
        // Both calls line up for the turn while it is held, the long stream first.
        let held = writer.turn().await.expect("a turn");
        let (long, _) = spawn(&writer, 1, long, true, &permits);
        tokio::task::yield_now().await;
        let (short, _) = spawn(&writer, 2, short, false, &permits);
        tokio::task::yield_now().await;
        drop(held);
        let n = |text: &str| -> String {
            let n: serde_json::Value = serde_json::from_str(text).expect("JSON");
            match (&n["id"], &n["data"]["n"], &n["end"]) {
                (id, _, serde_json::Value::Bool(true)) => format!("{id}:end"),
                (id, n, _) => format!("{id}:{n}"),
            }
        };
        let got: Vec<String> = texts(&mut client, per_turn * 2 + 5)
            .await
            .iter()
            .map(|text| n(text))
            .collect();
        let mut expected: Vec<String> = (0..per_turn).map(|n| format!("1:{n}")).collect();
        expected.push("2:0".to_owned());
        expected.extend((per_turn..per_turn * 2 + 3).map(|n| format!("1:{n}")));
        expected.push("1:end".to_owned());
        assert_eq!(got, expected);
        long.await.expect("the long call's task");
        short.await.expect("the short call's task");
    }
}
