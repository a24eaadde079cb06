//! [`MemoryBudget`]: the server-wide bound on request bytes held in memory at once.
//!
//! Every transport charges the bytes it buffers before decoding (an HTTP or Connect body, a
//! gRPC or Connect message, a WebSocket message being read) and gives them back once they are
//! decoded. A charge that would cross the budget is refused at once, never waited for, so that
//! requests holding part of the budget cannot wait on each other; each transport answers the
//! refusal in its own way ([`Exhausted`]).

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use tonic::Status;

/// The bytes of request data that a server holds in memory at once, shared by every request of
/// one server. The size is [`crate::Limits::memory`]; the use is in [`crate::Stats`].
#[derive(Clone)]
pub struct MemoryBudget(Arc<Counters>);

struct Counters {
    limit: AtomicUsize,
    used: AtomicUsize,
    peak: AtomicUsize,
    refused: AtomicU64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        MemoryBudget(Arc::new(Counters {
            limit: AtomicUsize::new(limit),
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        }))
    }

    /// The budget that requests use when nothing gave them one: a tower service used without
    /// `protoapi::Server`. One per process, of the default size.
    pub(crate) fn fallback() -> &'static MemoryBudget {
        static FALLBACK: std::sync::OnceLock<MemoryBudget> = std::sync::OnceLock::new();
        FALLBACK.get_or_init(|| MemoryBudget::new(crate::Limits::DEFAULT_MEMORY))
    }

    /// The budget of a gRPC request: the one its server shares with it, or the fallback.
    pub(crate) fn of(extensions: &http::Extensions) -> MemoryBudget {
        extensions
            .get::<ServerShare>()
            .map_or_else(|| Self::fallback(), |share| &share.budget)
            .clone()
    }

    pub(crate) fn set_limit(&self, limit: usize) {
        self.0.limit.store(limit, Ordering::Relaxed);
    }

    /// The size of the budget in bytes.
    pub fn limit(&self) -> usize {
        self.0.limit.load(Ordering::Relaxed)
    }

    /// The bytes charged now.
    pub fn used(&self) -> usize {
        self.0.used.load(Ordering::Relaxed)
    }

    /// The most bytes charged at once since the server started.
    pub fn peak(&self) -> usize {
        self.0.peak.load(Ordering::Relaxed)
    }

    /// How many charges were refused because they would have crossed the budget.
    pub fn refused(&self) -> u64 {
        self.0.refused.load(Ordering::Relaxed)
    }

    /// An empty charge, to grow as bytes arrive.
    pub(crate) fn charge(&self) -> Charge {
        Charge {
            budget: self.clone(),
            bytes: 0,
        }
    }

    fn take(&self, bytes: usize) -> Result<(), Exhausted> {
        let limit = self.limit();
        let taken = self
            .0
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= limit)
            });
        match taken {
            Ok(before) => {
                self.0.peak.fetch_max(before + bytes, Ordering::Relaxed);
                Ok(())
            }
            Err(used) => {
                self.0.refused.fetch_add(1, Ordering::Relaxed);
                Err(Exhausted {
                    wanted: bytes,
                    used,
                    limit,
                })
            }
        }
    }

    fn give_back(&self, bytes: usize) {
        self.0.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

impl fmt::Debug for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryBudget")
            .field("limit", &self.limit())
            .field("used", &self.used())
            .field("peak", &self.peak())
            .field("refused", &self.refused())
            .finish()
    }
}

/// What a server shares with the requests of its generated gRPC services, in their extensions
/// (one entry, put there by the service's wrapper): its memory budget, and the directory
/// uploads are spooled to (the system's temporary directory when `None`).
#[derive(Clone, Debug)]
pub(crate) struct ServerShare {
    pub(crate) budget: MemoryBudget,
    pub(crate) upload_dir: Option<Arc<std::path::Path>>,
    pub(crate) compression: crate::compression::Compression,
}

/// Bytes charged to a budget, given back when the charge is dropped.
#[derive(Debug)]
pub(crate) struct Charge {
    budget: MemoryBudget,
    bytes: usize,
}

impl Charge {
    /// Charges `bytes` more, or refuses without charging any.
    pub(crate) fn grow(&mut self, bytes: usize) -> Result<(), Exhausted> {
        self.budget.take(bytes)?;
        self.bytes += bytes;
        Ok(())
    }

    /// Gives back `bytes` of what was charged.
    pub(crate) fn release(&mut self, bytes: usize) {
        let bytes = bytes.min(self.bytes);
        self.bytes -= bytes;
        self.budget.give_back(bytes);
    }

    /// Gives back everything charged so far.
    pub(crate) fn clear(&mut self) {
        self.budget.give_back(std::mem::take(&mut self.bytes));
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A charge refused: the server holds too many request bytes at once. Answered with
/// `resource_exhausted` (gRPC, Connect, WebSocket calls), 503 with `Retry-After: 1` (HTTP), or
/// close code 1013 "try again later" (a WebSocket message being read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exhausted {
    wanted: usize,
    used: usize,
    limit: usize,
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server's memory budget is exhausted: {} bytes more would cross {} ({} in use); \
             try again later",
            self.wanted, self.limit, self.used
        )
    }
}

impl std::error::Error for Exhausted {}

impl From<Exhausted> for Status {
    fn from(exhausted: Exhausted) -> Self {
        Status::resource_exhausted(exhausted.to_string())
    }
}

/// The meter of one connection's reads: idle (nothing charged) until a WebSocket on the
/// connection turns it on; then every byte read from the socket is charged until the message it
/// belongs to has been handled ([`Meter::settle`]), so that the bytes a WebSocket library holds
/// while it assembles a message count too. A read past the budget fails with an I/O error
/// carrying [`Exhausted`]. Once the WebSocket closed after a read error, the meter drains the
/// socket: what the client still sends is read and dropped, so that closing the socket does not
/// reset it and destroy the close frame on its way.
#[derive(Clone, Default)]
pub(crate) struct Meter(Arc<MeterState>);

#[derive(Default)]
struct MeterState {
    /// [`OFF`], [`ON`] or [`DRAIN`].
    mode: AtomicU8,
    charge: Mutex<Option<Charge>>,
}

const OFF: u8 = 0;
const ON: u8 = 1;
const DRAIN: u8 = 2;

impl Meter {
    /// Starts charging the connection's reads to `budget`.
    pub(crate) fn turn_on(&self, budget: &MemoryBudget) {
        if let Ok(mut charge) = self.0.charge.lock() {
            *charge = Some(budget.charge());
            self.0.mode.store(ON, Ordering::Release);
        }
    }

    /// Stops charging and gives back what was charged.
    pub(crate) fn turn_off(&self) {
        self.0.mode.store(OFF, Ordering::Release);
        if let Ok(mut charge) = self.0.charge.lock() {
            *charge = None;
        }
    }

    /// Stops charging, and from now on reads and drops everything the client sends.
    pub(crate) fn drain(&self) {
        self.turn_off();
        self.0.mode.store(DRAIN, Ordering::Release);
    }

    /// Gives back what was read so far: the messages it held have been handled.
    pub(crate) fn settle(&self) {
        if let Ok(mut charge) = self.0.charge.lock()
            && let Some(charge) = charge.as_mut()
        {
            charge.clear();
        }
    }

    fn count(&self, bytes: usize) -> io::Result<()> {
        if bytes == 0 || self.0.mode.load(Ordering::Acquire) != ON {
            return Ok(());
        }
        match self.0.charge.lock() {
            Ok(mut charge) => match charge.as_mut() {
                Some(charge) => charge.grow(bytes).map_err(io::Error::other),
                None => Ok(()),
            },
            Err(_) => Ok(()),
        }
    }

    fn draining(&self) -> bool {
        self.0.mode.load(Ordering::Acquire) == DRAIN
    }

    /// Whether an I/O error is a read refused by the budget.
    pub(crate) fn is_exhausted(error: &io::Error) -> bool {
        error
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<Exhausted>().is_some())
    }
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter")
            .field("mode", &self.0.mode.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A connection's socket with its reads metered. Dropped while its meter drains, it goes on
/// draining in a task of its own while the client sends (until [`LINGER`] passes without a
/// byte, or [`LINGER_AT_MOST`] in all), then closes.
pub(crate) struct MeteredIo<T: AsyncRead + Unpin + Send + 'static> {
    io: Option<T>,
    meter: Meter,
}

/// How long a draining socket waits for the client's next bytes: the client finishes sending
/// the message it was sending, reads the close frame and closes.
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a socket drains at most.
const LINGER_AT_MOST: std::time::Duration = std::time::Duration::from_secs(30);

impl<T: AsyncRead + Unpin + Send + 'static> MeteredIo<T> {
    pub(crate) fn new(io: T, meter: Meter) -> Self {
        MeteredIo {
            io: Some(io),
            meter,
        }
    }

    fn io(&mut self) -> io::Result<Pin<&mut T>> {
        match self.io.as_mut() {
            Some(io) => Ok(Pin::new(io)),
            None => Err(io::ErrorKind::NotConnected.into()),
        }
    }
}

impl<T: AsyncRead + Unpin + Send + 'static> Drop for MeteredIo<T> {
    fn drop(&mut self) {
        if !self.meter.draining() {
            return;
        }
        let (Some(mut io), Ok(runtime)) = (self.io.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(async move {
            let drain = async {
                let mut scratch = vec![0u8; 8 << 10];
                loop {
                    let read = tokio::io::AsyncReadExt::read(&mut io, &mut scratch);
                    match tokio::time::timeout(LINGER, read).await {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => break,
                    }
                }
            };
            let _ = tokio::time::timeout(LINGER_AT_MOST, drain).await;
        });
    }
}

impl<T: AsyncRead + Unpin + Send + 'static> AsyncRead for MeteredIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.meter.draining() {
            // Reads until the socket has nothing more (pending) or ends (nothing filled).
            let mut scratch = [0u8; 8 << 10];
            loop {
                let mut sink = ReadBuf::new(&mut scratch);
                std::task::ready!(this.io()?.poll_read(cx, &mut sink))?;
                if sink.filled().is_empty() {
                    return Poll::Ready(Ok(()));
                }
            }
        }
        let before = buf.filled().len();
        std::task::ready!(this.io()?.poll_read(cx, buf))?;
        Poll::Ready(this.meter.count(buf.filled().len() - before))
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncWrite for MeteredIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().io()?.poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().io()?.poll_write_vectored(cx, data)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(T::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().io()?.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().io()?.poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryBudget;

    #[test]
    fn a_charge_past_the_limit_is_refused_and_a_dropped_charge_gives_back() {
        let budget = MemoryBudget::new(100);
        let mut first = budget.charge();
        first.grow(60).expect("60 of 100");
        let mut second = budget.charge();
        let refused = second.grow(41).expect_err("101 of 100");
        assert_eq!(
            refused.to_string(),
            "the server's memory budget is exhausted: 41 bytes more would cross 100 (60 in use); \
             try again later"
        );
        second.grow(40).expect("100 of 100");
        assert_eq!(
            (budget.used(), budget.peak(), budget.refused()),
            (100, 100, 1)
        );
        drop(first);
        assert_eq!(budget.used(), 40);
        second.clear();
        assert_eq!((budget.used(), budget.peak()), (0, 100));
    }
}
