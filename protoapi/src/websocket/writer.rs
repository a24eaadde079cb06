//! The sending side of a connection: a [`Writer`] shared by the connection's loop and its
//! calls' tasks, and the [`Turn`] a writer takes to write frames with no other's in between.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::{Future as _, SinkExt as _, StreamExt as _};
use tokio_util::sync::CancellationToken;

use super::config::CHUNK_FRAMES;

/// The sending side of a connection, shared by its loop and its calls' tasks.
///
/// Whoever has frames to send takes the turn (a fair async lock), writes them straight into the
/// socket, and flushes once it has no more ready: a stream's frames reach the socket without a
/// queue or a task in between. While no call task is left, the connection's loop writes without
/// the turn. The socket sits behind a plain mutex held only within one poll, so that the
/// connection's loop reads while a call writes.
pub(super) struct Writer {
    websocket: std::sync::Mutex<WebSocket>,
    /// The turn, with the frames its holder has queued (kept for the next turn's use).
    turn: tokio::sync::Mutex<VecDeque<Message>>,
    /// How long one turn may wait for a client that does not read.
    timeout: Duration,
    /// Set once a write failed or timed out: the connection is over. Read before every turn;
    /// `broken` wakes the connection's loop.
    is_broken: AtomicBool,
    /// Cancelled once a write failed or timed out.
    pub(super) broken: CancellationToken,
}

impl Writer {
    /// The writer of a connection whose client has `timeout` to take what a turn writes.
    pub(super) fn new(websocket: WebSocket, timeout: Duration) -> Self {
        Writer {
            websocket: std::sync::Mutex::new(websocket),
            turn: tokio::sync::Mutex::new(VecDeque::with_capacity(CHUNK_FRAMES)),
            timeout,
            is_broken: AtomicBool::new(false),
            broken: CancellationToken::new(),
        }
    }

    /// Whether a write failed or timed out.
    pub(super) fn is_broken(&self) -> bool {
        self.is_broken.load(Ordering::Acquire)
    }

    /// Marks the connection broken, and wakes its loop.
    fn break_off(&self) {
        self.is_broken.store(true, Ordering::Release);
        self.broken.cancel();
    }

    /// The WebSocket, for one poll. A panic cannot leave it half-changed in a way that matters
    /// more than the connection breaking, so a poisoned lock is used as it is.
    fn websocket(&self) -> std::sync::MutexGuard<'_, WebSocket> {
        self.websocket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next message from the client.
    pub(super) fn poll_read(
        &self,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<Message, axum::Error>>> {
        self.websocket().poll_next_unpin(cx)
    }

    /// Waits for the turn to write; `None` once the connection is broken.
    pub(super) async fn turn(&self) -> Option<Turn<'_>> {
        let guard = self.turn.lock().await;
        self.turn_with(guard)
    }

    /// The turn if nobody has it now.
    pub(super) fn try_turn(&self) -> Option<Turn<'_>> {
        let guard = self.turn.try_lock().ok()?;
        self.turn_with(guard)
    }

    fn turn_with<'a>(
        &'a self,
        mut queued: tokio::sync::MutexGuard<'a, VecDeque<Message>>,
    ) -> Option<Turn<'a>> {
        // Frames of a turn whose task was aborted are not sent in another's.
        queued.clear();
        (!self.is_broken()).then(|| Turn {
            writer: self,
            queued,
            timer: None,
        })
    }

    /// Sends one frame in a turn of its own, and flushes; false when the connection is broken.
    pub(super) async fn send_one(&self, message: Message) -> bool {
        match self.turn().await {
            Some(mut turn) => turn.send_flushed(message).await,
            None => false,
        }
    }

    /// Hands a frame to the socket without taking the turn (for the connection's loop while
    /// nothing else can write), to go out with the next flush. False when the connection is
    /// broken.
    pub(super) async fn write_alone(&self, message: Message) -> bool {
        !self.is_broken() && self.poll_socket(&mut None, send(message, false)).await
    }

    /// Writes out what the socket holds. Needs no turn: a flush adds no frame between a
    /// turn's. False when the connection is broken.
    pub(super) async fn flush(&self) -> bool {
        !self.is_broken()
            && self
                .poll_socket(&mut None, |socket, cx| socket.poll_flush_unpin(cx))
                .await
    }

    /// Polls `op` on the socket until it is done, fails, or `timer` is up (armed with the
    /// writer's timeout the first time the socket is not ready: the client has that long to take
    /// what is written). False, and the connection broken, unless it succeeded.
    async fn poll_socket(
        &self,
        timer: &mut Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
        mut op: impl FnMut(&mut WebSocket, &mut std::task::Context<'_>) -> Poll<Result<(), axum::Error>>,
    ) -> bool {
        let done = std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = op(&mut self.websocket(), cx) {
                return Poll::Ready(result.is_ok());
            }
            let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(self.timeout)));
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(false),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        if !done {
            self.break_off();
        }
        done
    }
}

/// The socket operation that hands `message` to the socket, then flushes if `flush`.
fn send(
    message: Message,
    flush: bool,
) -> impl FnMut(&mut WebSocket, &mut std::task::Context<'_>) -> Poll<Result<(), axum::Error>> {
    let mut message = Some(message);
    move |socket, cx| {
        if message.is_some() {
            std::task::ready!(socket.poll_ready_unpin(cx))?;
            if let Some(message) = message.take() {
                socket.start_send_unpin(message)?;
            }
        }
        if flush {
            socket.poll_flush_unpin(cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

/// The right to write for a while: frames sent in one turn go out in order, with no other's in
/// between. A client that does not take them within the writer's timeout breaks the connection.
pub(super) struct Turn<'a> {
    writer: &'a Writer,
    /// Frames waiting for [`Turn::send_queued`].
    queued: tokio::sync::MutexGuard<'a, VecDeque<Message>>,
    /// The turn's timer ([`Writer::poll_socket`]).
    timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Turn<'_> {
    /// Sends a frame and flushes.
    pub(super) async fn send_flushed(&mut self, message: Message) -> bool {
        self.poll_socket(send(message, true)).await
    }

    /// Queues a frame for [`Turn::send_queued`].
    pub(super) fn queue(&mut self, message: Message) {
        self.queued.push_back(message);
    }

    /// How many frames are queued.
    pub(super) fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Hands the queued frames to the socket in order: one lock of the socket for all of them
    /// unless it has to wait. The queue's buffer is kept for the connection's next frames.
    pub(super) async fn send_queued(&mut self) -> bool {
        let mut frames = std::mem::take(&mut *self.queued);
        let sent = self
            .poll_socket(|socket, cx| {
                while !frames.is_empty() {
                    std::task::ready!(socket.poll_ready_unpin(cx))?;
                    if let Some(message) = frames.pop_front() {
                        socket.start_send_unpin(message)?;
                    }
                }
                Poll::Ready(Ok(()))
            })
            .await;
        frames.clear();
        *self.queued = frames;
        sent
    }

    /// Writes out what the socket holds.
    pub(super) async fn flush(&mut self) -> bool {
        self.poll_socket(|socket, cx| socket.poll_flush_unpin(cx))
            .await
    }

    /// Closes the socket (a close frame if none was sent yet, then the end of the stream).
    pub(super) async fn close(&mut self) -> bool {
        self.poll_socket(|socket, cx| socket.poll_close_unpin(cx))
            .await
    }

    /// Polls `op` on the socket ([`Writer::poll_socket`]).
    async fn poll_socket(
        &mut self,
        op: impl FnMut(&mut WebSocket, &mut std::task::Context<'_>) -> Poll<Result<(), axum::Error>>,
    ) -> bool {
        self.writer.poll_socket(&mut self.timer, op).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::websocket::testing::{connected, next_text, texts};

    fn text(s: &str) -> Message {
        Message::Text(s.into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_sent_in_its_own_turn_is_flushed() {
        let (websocket, mut client) = connected(64 << 10).await;
        let writer = Writer::new(websocket, Duration::from_secs(5));
        assert!(writer.send_one(text("one")).await);
        assert_eq!(next_text(&mut client).await.as_deref(), Some("one"));
    }

    #[tokio::test(start_paused = true)]
    async fn frames_written_alone_wait_for_the_flush() {
        let (websocket, mut client) = connected(64 << 10).await;
        let writer = Writer::new(websocket, Duration::from_secs(5));
        assert!(writer.write_alone(text("a")).await);
        assert!(writer.write_alone(text("b")).await);
        assert_eq!(next_text(&mut client).await, None, "not flushed yet");
        assert!(writer.flush().await);
        assert_eq!(texts(&mut client, 2).await, ["a", "b"]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_frames_of_one_turn_are_not_interleaved_with_another_turns() {
        let (websocket, mut client) = connected(64 << 10).await;
        let writer = Arc::new(Writer::new(websocket, Duration::from_secs(5)));
        // Hold the turn while both calls line up for it, in order.
        let held = writer.turn().await.expect("a turn");
        let mut tasks = Vec::new();
        for call in ["a", "b"] {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let mut turn = writer.turn().await.expect("a turn");
                for n in 0..3 {
                    assert!(turn.send_flushed(text(&format!("{call}{n}"))).await);
                    // Others run meanwhile, but cannot write.
                    tokio::task::yield_now().await;
                }
            }));
            tokio::task::yield_now().await;
        }
        assert!(writer.try_turn().is_none(), "the turn is held");
        drop(held);
        for task in tasks {
            task.await.expect("the call's task");
        }
        assert_eq!(
            texts(&mut client, 6).await,
            ["a0", "a1", "a2", "b0", "b1", "b2"]
        );
        assert!(writer.try_turn().is_some(), "the turn is free again");
    }

    #[tokio::test(start_paused = true)]
    async fn queued_frames_go_out_in_order_and_a_dropped_turns_never_do() {
        let (websocket, mut client) = connected(64 << 10).await;
        let writer = Writer::new(websocket, Duration::from_secs(5));
        {
            // A turn whose task is aborted before it sends what it queued.
            let mut turn = writer.turn().await.expect("a turn");
            turn.queue(text("lost"));
            assert_eq!(turn.queued(), 1);
        }
        let mut turn = writer.turn().await.expect("a turn");
        assert_eq!(turn.queued(), 0);
        for n in 0..(CHUNK_FRAMES + 2) {
            turn.queue(text(&n.to_string()));
        }
        assert!(turn.send_queued().await);
        assert_eq!(turn.queued(), 0);
        assert!(turn.flush().await);
        drop(turn);
        let expected: Vec<String> = (0..(CHUNK_FRAMES + 2)).map(|n| n.to_string()).collect();
        assert_eq!(texts(&mut client, CHUNK_FRAMES + 2).await, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_does_not_read_breaks_the_connection() {
        // A pipe that holds less than one frame, and a client that never reads.
        let (websocket, _client) = connected(1024).await;
        let writer = Writer::new(websocket, Duration::from_secs(5));
        let broken = writer.broken.clone();
        assert!(!writer.is_broken());
        let started = tokio::time::Instant::now();
        assert!(
            !writer
                .send_one(Message::Binary(vec![7; 64 << 10].into()))
                .await
        );
        assert!(
            started.elapsed() >= Duration::from_secs(5),
            "the client had its timeout"
        );
        assert!(writer.is_broken());
        assert!(broken.is_cancelled(), "the connection's loop is woken");
        // Nothing is written on a broken connection, and nobody waits for it.
        assert!(writer.turn().await.is_none());
        assert!(writer.try_turn().is_none());
        assert!(!writer.send_one(text("late")).await);
        assert!(!writer.write_alone(text("late")).await);
        assert!(!writer.flush().await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_client_within_the_timeout_gets_every_frame() {
        let (websocket, mut client) = connected(1024).await;
        let writer = Arc::new(Writer::new(websocket, Duration::from_secs(5)));
        let sender = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .send_one(Message::Binary(vec![7; 16 << 10].into()))
                    .await
            })
        };
        // The client starts reading after 4 of its 5 seconds.
        tokio::time::sleep(Duration::from_secs(4)).await;
        let frame = client.next().await.expect("a frame").expect("a frame");
        assert_eq!(frame.into_data().len(), 16 << 10);
        assert!(sender.await.expect("the sender"));
        assert!(!writer.is_broken());
    }
}
