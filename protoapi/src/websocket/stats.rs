//! Live counts of a server's connections, WebSocket calls and memory budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::budget::MemoryBudget;

/// Live counts of a server's connections, WebSockets and WebSocket calls, and its memory
/// budget: a handle that stays valid while the server runs (`ServerBuilder::stats`).
#[derive(Clone, Debug, Default)]
pub struct Stats(Arc<Counters>);

/// The counts behind every handle of one server.
#[derive(Debug)]
struct Counters {
    connections: AtomicUsize,
    websockets: AtomicUsize,
    websocket_calls: AtomicUsize,
    memory: MemoryBudget,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            connections: AtomicUsize::new(0),
            websockets: AtomicUsize::new(0),
            websocket_calls: AtomicUsize::new(0),
            memory: MemoryBudget::new(crate::Limits::DEFAULT_MEMORY),
        }
    }
}

impl Stats {
    /// Open connections (HTTP/1.1 or HTTP/2, whatever they carry).
    pub fn connections(&self) -> usize {
        self.0.connections.load(Ordering::Relaxed)
    }

    /// Open WebSocket connections.
    pub fn websockets(&self) -> usize {
        self.0.websockets.load(Ordering::Relaxed)
    }

    /// Calls running on WebSocket connections.
    pub fn websocket_calls(&self) -> usize {
        self.0.websocket_calls.load(Ordering::Relaxed)
    }

    /// The server's memory budget: its size ([`crate::Limits::memory`]), the bytes of requests
    /// held now, the peak, and how many requests it refused.
    pub fn memory(&self) -> &MemoryBudget {
        &self.0.memory
    }

    /// Counts one connection until the handle is dropped.
    pub(crate) fn connection(&self) -> Live {
        Live::new(self.0.clone(), |c| &c.connections)
    }

    /// Counts one WebSocket connection until the handle is dropped.
    pub(super) fn websocket(&self) -> Live {
        Live::new(self.0.clone(), |c| &c.websockets)
    }

    /// Counts one WebSocket call until the handle is dropped.
    pub(super) fn websocket_call(&self) -> Live {
        Live::new(self.0.clone(), |c| &c.websocket_calls)
    }
}

/// One live thing, counted until dropped.
pub(crate) struct Live {
    counters: Arc<Counters>,
    counter: fn(&Counters) -> &AtomicUsize,
}

impl Live {
    fn new(counters: Arc<Counters>, counter: fn(&Counters) -> &AtomicUsize) -> Self {
        counter(&counters).fetch_add(1, Ordering::Relaxed);
        Live { counters, counter }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        (self.counter)(&self.counters).fetch_sub(1, Ordering::Relaxed);
    }
}
