//! Every call observed the same way on every transport: one `tracing` span with the
//! OpenTelemetry RPC attributes, one `INFO` event when it ends (target `protoapi::call`), and,
//! with the `metrics` cargo feature, a call counter and a latency histogram by service, method,
//! transport and code.
//!
//! Each transport starts an [`Observed`] where its call starts (before the request is decoded,
//! so a request that does not decode is a call that failed) and ends it with the call's code:
//! - `method` (WebSocket, Connect, Socket.IO, GraphQL): around a call's answers;
//! - `grpc`: around tonic's response, and its body for streams;
//! - `http`: around a route's handler, and the body of an SSE or NDJSON stream.
//!
//! A call dropped before it ends (the client went away) ends `cancelled`; one dropped while its
//! method panics, `internal`.

use std::time::{Duration, Instant};

use tonic::Code;
use tracing::{Level, Span};

use crate::context::Transport;
use crate::message::MethodMessages;

#[cfg(feature = "metrics")]
mod metrics;

#[cfg(feature = "metrics")]
pub use metrics::{CALLS, DURATION, DURATION_BUCKETS};

/// The names of a method, as its span and metrics carry them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Names {
    /// The service's full name, such as `hello.Greeter`.
    pub(crate) service: &'static str,
    /// The rpc's name, such as `SayHello`.
    pub(crate) method: &'static str,
}

impl Names {
    /// The names of the method `M`.
    pub(crate) fn of<M: MethodMessages>() -> Names {
        Names {
            service: M::SERVICE,
            method: M::METHOD,
        }
    }
}

/// The code of a call that failed, in the extensions of its HTTP answer: what the HTTP
/// transport's observer reads back from a route's response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Failed(pub(crate) Code);

/// One call being observed: its span, and when it started. One pointer, and no allocation
/// while inactive (no subscriber enables `INFO` and no metrics are recorded), so that a call
/// then costs one load of the subscribers' level and nothing more.
pub(crate) struct Observed(Option<Box<Active>>);

/// A call observed while something wants it.
struct Active {
    span: Span,
    names: Names,
    transport: Transport,
    start: Instant,
}

impl Observed {
    /// Starts observing a call of `names` on `transport`.
    pub(crate) fn start(transport: Transport, names: Names) -> Observed {
        // One load of the level every subscriber allows: without a subscriber at `INFO`, the
        // span is not even made (its fields would be formatted for `log` otherwise).
        if !cfg!(feature = "metrics")
            && tracing::level_filters::LevelFilter::current() < Level::INFO
        {
            return Observed(None);
        }
        let span = tracing::info_span!(
            target: "protoapi::call",
            "call",
            rpc.system = system(transport),
            rpc.service = names.service,
            rpc.method = names.method,
            protoapi.transport = transport.name(),
            rpc.grpc.status_code = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
        );
        if span.is_disabled() && !cfg!(feature = "metrics") {
            return Observed::none();
        }
        Observed(Some(Box::new(Active {
            span,
            names,
            transport,
            start: Instant::now(),
        })))
    }

    /// An observer of nothing: ending it does nothing.
    pub(crate) const fn none() -> Observed {
        Observed(None)
    }

    /// This observer, leaving an inactive one in its place (for a call that ends inside a
    /// state machine).
    pub(crate) fn take(&mut self) -> Observed {
        Observed(self.0.take())
    }

    /// Whether the call is observed at all: a caller skips what only the observer needs.
    pub(crate) fn active(&self) -> bool {
        self.0.is_some()
    }

    /// Enters the call's span, until the guard is dropped.
    pub(crate) fn enter(&self) -> Option<tracing::span::Entered<'_>> {
        self.0.as_ref().map(|active| active.span.enter())
    }

    /// The call's span, for what runs after the call's future (a stream's body).
    pub(crate) fn span(&self) -> Span {
        self.0
            .as_ref()
            .map_or_else(Span::none, |active| active.span.clone())
    }

    /// Ends the call with `code`.
    pub(crate) fn end(mut self, code: Code) {
        self.finish(code);
    }

    /// Ends the call with the code of `result`.
    pub(crate) fn end_with<T>(self, result: &Result<T, tonic::Status>) {
        self.end(match result {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        });
    }

    fn finish(&mut self, code: Code) {
        let Some(active) = self.0.take() else {
            return;
        };
        let elapsed = active.start.elapsed();
        #[cfg(feature = "metrics")]
        metrics::record(active.names, active.transport, code, elapsed);
        if !active.span.is_disabled() {
            active.log(code, elapsed);
        }
    }
}

impl Active {
    /// Records the code on the span, and the line that says the call ended.
    fn log(&self, code: Code, elapsed: Duration) {
        self.span.record("rpc.grpc.status_code", code as i32);
        if code != Code::Ok {
            self.span.record("otel.status_code", "ERROR");
        }
        tracing::info!(
            target: "protoapi::call",
            parent: &self.span,
            code = crate::status::code_name(code),
            duration_ms = elapsed.as_secs_f64() * 1e3,
            "call ended"
        );
    }
}

impl Drop for Observed {
    /// A call dropped while its method panics ends `internal`, as its answer says; else the
    /// client went away, and it ends `cancelled`.
    fn drop(&mut self) {
        if self.0.is_none() {
            return;
        }
        let code = if std::thread::panicking() {
            Code::Internal
        } else {
            Code::Cancelled
        };
        self.finish(code);
    }
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self
            .0
            .as_ref()
            .map(|active| (active.names, active.transport));
        f.debug_tuple("Observed").field(&names).finish()
    }
}

pin_project_lite::pin_project! {
    /// A call's future run in its span, the call ended with the code of its result.
    pub(crate) struct InCall<F> {
        #[pin]
        call: F,
        observed: Observed,
    }
}

impl<F> InCall<F> {
    /// `call`, observed by `observed`.
    pub(crate) fn new(observed: Observed, call: F) -> Self {
        InCall { call, observed }
    }
}

impl<F, T> std::future::Future for InCall<F>
where
    F: std::future::Future<Output = Result<T, tonic::Status>>,
{
    type Output = Result<T, tonic::Status>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let result = {
            let _entered = this.observed.enter();
            std::task::ready!(this.call.poll(cx))
        };
        this.observed.take().end_with(&result);
        std::task::Poll::Ready(result)
    }
}

/// The span's `rpc.system`: OpenTelemetry's name where it has one (`grpc`, `connect_rpc`), else
/// the transport's.
fn system(transport: Transport) -> &'static str {
    match transport {
        Transport::Grpc => "grpc",
        Transport::Connect => "connect_rpc",
        Transport::Http => "http",
        Transport::WebSocket => "websocket",
        Transport::SocketIo => "socketio",
        Transport::GraphQl => "graphql",
    }
}
