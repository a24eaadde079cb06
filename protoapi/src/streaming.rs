//! [`Streaming`]: a stream of messages in or out of a method.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_util::{Stream, StreamExt as _};
use tonic::Status;

/// A stream of messages: what a client-streaming method receives, and what a
/// server-streaming method returns.
///
/// A method takes `Streaming<Req>` to receive a stream of requests, and returns
/// `Result<Streaming<Rsp>, Status>` to answer with a stream; a bidirectional method does both.
/// The same method is then served as a gRPC stream, as frames on a WebSocket and (server
/// streams) as Server-Sent Events or newline-delimited JSON over HTTP.
///
/// An item that is `Err` ends the stream with that status; the end of the stream is a success.
/// A stream that panics ends with `internal` (`internal error`; the panic is logged, not sent).
/// Items are produced on demand: the server polls the stream only when the client can take the
/// next message, so a slow reader slows the producer instead of filling memory.
///
/// ```
/// use futures_util::StreamExt as _;
/// use protoapi::{Status, Streaming};
///
/// # #[protoapi::message] pub struct Tick { pub n: u32 }
/// # async fn demo() -> Result<(), Status> {
/// // From any stream of results, from an iterator, or from a channel:
/// let ticks = Streaming::new(futures_util::stream::iter((1..=3).map(|n| Ok(Tick { n }))));
/// let same = Streaming::iter((1..=3).map(|n| Tick { n }));
/// let (sender, from_channel) = Streaming::channel(16);
/// tokio::spawn(async move {
///     for n in 1..=3 {
///         if sender.send(Ok(Tick { n })).await.is_err() {
///             break; // the client went away
///         }
///     }
/// });
/// // Reading one, as a method reads its requests:
/// let mut requests = same;
/// while let Some(tick) = requests.message().await? {
///     assert!(tick.n >= 1);
/// }
/// # drop((ticks, from_channel)); Ok(()) }
/// ```
pub struct Streaming<T> {
    inner: Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>,
}

impl<T: Send + 'static> Streaming<T> {
    /// A stream of messages from any stream of results.
    pub fn new(stream: impl Stream<Item = Result<T, Status>> + Send + 'static) -> Self {
        Streaming {
            inner: Box::pin(stream),
        }
    }

    /// A stream of the messages of an iterator.
    pub fn iter<I>(items: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'static,
    {
        Streaming::new(futures_util::stream::iter(items.into_iter().map(Ok)))
    }

    /// A stream with no message.
    pub fn empty() -> Self {
        Streaming::new(futures_util::stream::empty())
    }

    /// A stream fed by a bounded channel: the stream ends when every sender is dropped, and
    /// `send` waits while `capacity` messages are queued. `send` fails once the receiving side
    /// (the client) is gone, which tells a producer to stop.
    pub fn channel(capacity: usize) -> (tokio::sync::mpsc::Sender<Result<T, Status>>, Self) {
        let (sender, mut receiver) = tokio::sync::mpsc::channel(capacity.max(1));
        let stream = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
        (sender, Streaming::new(stream))
    }
}

impl<T> Streaming<T> {
    /// The next message: `Ok(None)` at the end of the stream, `Err` when the stream failed
    /// (the client sent something that does not decode, or went away).
    pub async fn message(&mut self) -> Result<Option<T>, Status> {
        self.inner.next().await.transpose()
    }
}

impl<T> Stream for Streaming<T> {
    type Item = Result<T, Status>;

    /// A stream that panics ends with `internal` ("internal error"; the panic is logged, not
    /// sent), as a method that panics does, and is not polled again.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let inner = &mut self.inner;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_next(cx))) {
            Ok(poll) => poll,
            Err(_) => {
                // Ended (`stream::empty` would need `T: Send`; this closure holds no `T`).
                self.inner = Box::pin(futures_util::stream::poll_fn(|_| Poll::Ready(None)));
                Poll::Ready(Some(Err(crate::status::panicked(None))))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> fmt::Debug for Streaming<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> From<tonic::Streaming<T>> for Streaming<T> {
    fn from(stream: tonic::Streaming<T>) -> Self {
        Streaming::new(stream)
    }
}
