//! [`MemoryBudget`]: the server-wide bound on request bytes held in memory at once.
//!
//! Every transport charges the bytes it buffers before decoding (an HTTP or Connect body, a
//! gRPC or Connect message, a WebSocket message being read) and gives them back once they are
//! decoded. A charge that would cross the budget is refused at once, never waited for, so that
//! requests holding part of the budget cannot wait on each other; each transport answers the
//! refusal in its own way ([`Exhausted`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

    /// The budget of a request: the one its server put in its extensions, or the fallback.
    pub(crate) fn of(extensions: &http::Extensions) -> MemoryBudget {
        extensions
            .get::<MemoryBudget>()
            .unwrap_or_else(|| Self::fallback())
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
