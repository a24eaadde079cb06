//! The call counter and the latency histogram, through the `metrics` facade: the recorder the
//! application installs (Prometheus, OpenTelemetry, StatsD) receives them.

use std::time::Duration;

use tonic::Code;

use super::Names;
use crate::context::Transport;

/// The counter of calls ended, labelled `rpc_service`, `rpc_method`, `transport` and `code`.
pub const CALLS: &str = "rpc_server_calls_total";

/// The histogram of call durations in seconds, with the labels of [`CALLS`].
pub const DURATION: &str = "rpc_server_call_duration_seconds";

/// Bucket bounds for [`DURATION`], in seconds: 100 µs to 10 s, for an exporter that asks for
/// them (Prometheus histograms).
pub const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Counts one call that ended with `code` after `elapsed`.
pub(super) fn record(names: Names, transport: Transport, code: Code, elapsed: Duration) {
    let labels = [
        ("rpc_service", names.service),
        ("rpc_method", names.method),
        ("transport", transport.name()),
        ("code", crate::status::code_name(code)),
    ];
    ::metrics::counter!(CALLS, &labels).increment(1);
    ::metrics::histogram!(DURATION, &labels).record(elapsed.as_secs_f64());
}
