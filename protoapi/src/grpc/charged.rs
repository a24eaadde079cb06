//! [`charged`]: a gRPC request body whose messages are charged to the server's memory budget
//! while tonic buffers them.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf as _, Bytes};
use http_body::{Body, Frame, SizeHint};
use tonic::Status;

use crate::budget::{Charge, MemoryBudget};

/// The request with its body charged: each message's length is charged when its 5-byte header
/// passes, before tonic buffers the message, and given back once the whole message has passed
/// and tonic asks for more (it decodes a complete message before reading on). A message over
/// `limit` is not charged: tonic refuses it from its header.
pub(crate) fn charged<B>(request: http::Request<B>, limit: usize) -> http::Request<ChargedBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError>,
{
    let budget = MemoryBudget::of(request.extensions());
    request.map(|body| ChargedBody {
        body: axum::body::Body::new(body),
        charge: budget.charge(),
        limit,
        header: [0; 5],
        have: 0,
        remaining: 0,
        current: 0,
        finished: 0,
    })
}

/// A gRPC request body that charges its messages to the memory budget.
pub(crate) struct ChargedBody {
    body: axum::body::Body,
    charge: Charge,
    limit: usize,
    /// The header being read, and how many of its bytes have passed.
    header: [u8; 5],
    have: usize,
    /// Bytes of the current message still to pass, and what it was charged.
    remaining: usize,
    current: usize,
    /// Charged for messages that have passed whole, given back at the next read.
    finished: usize,
}

impl ChargedBody {
    /// Follows the gRPC framing through `data`, charging each message as its header passes.
    fn track(&mut self, mut data: &[u8]) -> Result<(), Status> {
        while !data.is_empty() {
            if self.remaining > 0 {
                let step = self.remaining.min(data.len());
                self.remaining -= step;
                data.advance(step);
                if self.remaining == 0 {
                    self.finished += std::mem::take(&mut self.current);
                }
                continue;
            }
            let step = (5 - self.have).min(data.len());
            self.header[self.have..self.have + step].copy_from_slice(&data[..step]);
            self.have += step;
            data.advance(step);
            if self.have == 5 {
                self.have = 0;
                let [_, a, b, c, d] = self.header;
                let len = u32::from_be_bytes([a, b, c, d]) as usize;
                self.remaining = len;
                if len <= self.limit {
                    self.charge.grow(len)?;
                    self.current = len;
                }
            }
        }
        Ok(())
    }
}

impl Body for ChargedBody {
    type Data = Bytes;
    type Error = tonic::codegen::StdError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.finished > 0 {
            this.charge.release(std::mem::take(&mut this.finished));
        }
        let frame = match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
            None => return Poll::Ready(None),
        };
        if let Some(data) = frame.data_ref()
            && let Err(status) = this.track(data)
        {
            return Poll::Ready(Some(Err(Box::new(status))));
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
