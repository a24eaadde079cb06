//! hyper's HTTP/1.1 header-read timer, one per connection.
//!
//! hyper asks its timer for a sleep each time it waits for a request head. A connection waits
//! for one head at a time, so [`ConnectionTimer`] keeps one tokio [`Sleep`](tokio::time::Sleep)
//! per connection and lends it to each wait in turn. The sleep keeps its deadline while the
//! waits' deadlines are later: when it goes off, the wait then lent it moves it to its own
//! deadline if that is still to come. So tokio's timer wheel is touched about once per timeout
//! period per connection, not once per request (BENCHMARKS.md, *What was changed*).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

type Slot = Arc<Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>;

/// A connection's timer: its one tokio sleep, while no wait has borrowed it.
#[derive(Clone, Default)]
pub(super) struct ConnectionTimer(Slot);

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.lend(tokio::time::Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.lend(tokio::time::Instant::from_std(deadline))
    }
}

impl ConnectionTimer {
    fn lend(&self, deadline: tokio::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let lent = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        let sleep = match lent {
            // A sleep that would go off after this wait's deadline is brought forward; one
            // that goes off before it is left alone (see `LentSleep::poll`).
            Some(mut sleep) => {
                if sleep.deadline() > deadline {
                    sleep.as_mut().reset(deadline);
                }
                sleep
            }
            // The first wait, or a second one while the first is out (hyper has no such
            // case for HTTP/1.1 heads; it is served, only not cheaply).
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        Box::pin(LentSleep {
            sleep: Some(sleep),
            deadline,
            home: self.0.clone(),
        })
    }
}

/// The connection's sleep, lent to one wait until `deadline`; given back when the wait is
/// dropped. The sleep's own deadline is never later than the wait's.
struct LentSleep {
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    deadline: tokio::time::Instant,
    home: Slot,
}

impl Future for LentSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        let Some(sleep) = self.sleep.as_mut() else {
            return Poll::Ready(());
        };
        while sleep.as_mut().poll(cx).is_ready() {
            if sleep.deadline() >= deadline {
                return Poll::Ready(());
            }
            // It went off at an earlier wait's deadline: on to this one's.
            sleep.as_mut().reset(deadline);
        }
        Poll::Pending
    }
}

impl hyper::rt::Sleep for LentSleep {}

impl Drop for LentSleep {
    fn drop(&mut self) {
        // Still armed: if its deadline passes before the next wait moves it, the connection's
        // task is woken once for nothing, which costs less than taking it out of the wheel.
        let mut home = self.home.lock().unwrap_or_else(PoisonError::into_inner);
        if home.is_none() {
            *home = self.sleep.take();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer as _;

    /// Lends the timer's sleep until `after` from now, polls it once (so that tokio's wheel
    /// holds it there) and drops the wait.
    fn arm_and_drop(timer: &ConnectionTimer, after: Duration) {
        let mut wait = timer.sleep(after);
        let waker = futures_util::task::noop_waker();
        assert!(
            wait.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lent_sleep_ends_at_its_own_deadline_each_time() {
        let timer = ConnectionTimer::default();
        let start = tokio::time::Instant::now();
        timer.sleep(Duration::from_secs(3)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        // The same sleep, lent again with a later deadline.
        assert!(timer.0.lock().unwrap().is_some());
        timer.sleep(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_dropped_early_leaves_the_next_one_its_full_time() {
        let timer = ConnectionTimer::default();
        let start = tokio::time::Instant::now();
        arm_and_drop(&timer, Duration::from_secs(2));
        tokio::time::advance(Duration::from_secs(1)).await;
        timer.sleep(Duration::from_secs(10)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(11));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_with_an_earlier_deadline_brings_the_sleep_forward() {
        let timer = ConnectionTimer::default();
        let start = tokio::time::Instant::now();
        arm_and_drop(&timer, Duration::from_secs(30));
        timer.sleep(Duration::from_secs(2)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn two_waits_at_once_each_get_their_own_sleep() {
        let timer = ConnectionTimer::default();
        let start = tokio::time::Instant::now();
        let long = timer.sleep(Duration::from_secs(9));
        timer.sleep(Duration::from_secs(4)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(4));
        long.await;
        assert_eq!(start.elapsed(), Duration::from_secs(9));
    }
}
