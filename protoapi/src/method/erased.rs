//! [`ErasedMethod`]: one trait method with its message types erased.

use std::fmt;
use std::sync::Arc;

use super::answers::Answers;
use super::requests::{Params, Requests};
use crate::context::Context;

/// Runs one call: its context, the parameters of its URL and its requests, to its answers.
pub(super) type RunFn = dyn Fn(Context, Arc<Params>, Requests) -> Answers + Send + Sync;

/// One trait method with its message types erased, as the message transports (WebSocket,
/// Connect) run it: requests go in as encoded payloads, answers come out encoded in the
/// call's encoding. Made by the adapter of the method's kind, such as `unary`.
pub struct ErasedMethod {
    /// The rpc's name, such as `GetStudent`.
    pub(crate) name: &'static str,
    pub(crate) client_streaming: bool,
    pub(crate) server_streaming: bool,
    /// The method's own limit on a request message's size, if it has one.
    pub(crate) limit: Option<u64>,
    /// The method's own limit on the files of a request sent in pieces, if its request has
    /// `#[file]` fields and it sets one.
    pub(crate) upload: Option<u64>,
    /// The names of the request's `#[file]` fields (proto, JSON), which a request sent in pieces
    /// fills; empty for a request without files.
    pub(crate) files: &'static [[&'static str; 2]],
    pub(crate) run: Box<RunFn>,
}

impl fmt::Debug for ErasedMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasedMethod")
            .field("name", &self.name)
            .field("client_streaming", &self.client_streaming)
            .field("server_streaming", &self.server_streaming)
            .finish_non_exhaustive()
    }
}
