//! gRPC requests with a body that watches the memory budget as the server reads it, and the
//! check of a gRPC answer.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use protoapi::__private::http::HeaderMap;
use protoapi::MemoryBudget;

use crate::Answer;
use crate::input::{decompress, unenvelope};
use crate::wire::{LIMIT, Method};

/// A gRPC request body delivered in chunks. Each time the server asks for the next chunk, the
/// bytes charged to the memory budget must be at most what the gRPC framing read so far
/// declares: the length of the message being read, when it is within the limit, else nothing
/// (the messages read whole have been decoded and given back).
pub struct Watched {
    chunks: std::vec::IntoIter<Bytes>,
    budget: MemoryBudget,
    framing: Framing,
}

impl Watched {
    /// `chunks`, watched against `budget`.
    pub fn new(chunks: Vec<Bytes>, budget: MemoryBudget) -> Self {
        Watched {
            chunks: chunks.into_iter(),
            budget,
            framing: Framing::default(),
        }
    }
}

impl Body for Watched {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let used = this.budget.used();
        let declared = this.framing.declared();
        assert!(
            used <= declared,
            "{used} bytes charged while the framing declares {declared}"
        );
        Poll::Ready(this.chunks.next().map(|chunk| {
            this.framing.read(&chunk);
            Ok(Frame::data(chunk))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.len() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.chunks.as_slice().iter().map(|c| c.len() as u64).sum())
    }
}

/// Where a reader of gRPC's framing is: in a message's 5-byte header, or in its body.
#[derive(Default)]
struct Framing {
    header: Vec<u8>,
    /// The length of the message being read, and how many of its bytes are still to come.
    length: usize,
    remaining: usize,
}

impl Framing {
    fn read(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.remaining > 0 {
                let step = self.remaining.min(data.len());
                self.remaining -= step;
                data = &data[step..];
                continue;
            }
            let step = (5 - self.header.len()).min(data.len());
            self.header.extend_from_slice(&data[..step]);
            data = &data[step..];
            if self.header.len() == 5 {
                let length = [
                    self.header[1],
                    self.header[2],
                    self.header[3],
                    self.header[4],
                ];
                self.length = u32::from_be_bytes(length) as usize;
                self.remaining = self.length;
                self.header.clear();
            }
        }
    }

    /// What the server may hold charged now.
    fn declared(&self) -> usize {
        if self.remaining > 0 && self.length <= LIMIT {
            self.length
        } else {
            0
        }
    }
}

/// The gRPC codes a call of [`crate::wire::Wire`] may end with: the method's own
/// (`invalid_argument`), tonic's for a message over the limit (`out_of_range`, or
/// `resource_exhausted` once inflated), a coding it does not read (`unimplemented`) and a body
/// that does not decode (`internal`, as gRPC's status code table says).
const CODES: [i32; 6] = [0, 3, 8, 11, 12, 13];

/// Holds a gRPC answer to the protocol: 200 with a gRPC content type; `grpc-status`, a code
/// from [`CODES`], either in the headers (with no body) or in the trailers; whole messages that
/// decode as the method's answers (inflated first when flagged compressed), one for a
/// successful call of a method that answers once and none for a failed one. Returns the code.
pub fn check(answer: &Answer, method: Method) -> i32 {
    assert_eq!(answer.status, 200, "a gRPC answer is 200");
    let content_type = header(&answer.headers, "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/grpc"),
        "content type {content_type:?}"
    );
    let (status, trailers_only) = match (
        header(&answer.headers, "grpc-status"),
        answer
            .trailers
            .as_ref()
            .and_then(|t| header(t, "grpc-status")),
    ) {
        (Some(status), None) => (status, true),
        (None, Some(status)) => (status, false),
        other => panic!("grpc-status in the headers and trailers: {other:?}"),
    };
    let code: i32 = status
        .parse()
        .unwrap_or_else(|_| panic!("grpc-status {status:?}"));
    assert!(CODES.contains(&code), "grpc-status {code}");
    if trailers_only {
        assert!(answer.body.is_empty(), "a trailers-only answer has a body");
    }
    let messages = unenvelope(&answer.body).unwrap_or_else(|error| panic!("gRPC body: {error}"));
    let coding = header(&answer.headers, "grpc-encoding");
    for (flags, message) in &messages {
        let message = match (flags, coding) {
            (0, _) => message.to_vec(),
            (1, Some(coding)) => decompress(coding, message, usize::MAX)
                .unwrap_or_else(|| panic!("an answer does not inflate with {coding}")),
            _ => panic!("an answer's flags are {flags:#04x} with grpc-encoding {coding:?}"),
        };
        assert!(method.decodes_answer(&message), "an answer does not decode");
    }
    if !method.server_streaming() {
        let expected = usize::from(code == 0);
        assert_eq!(
            messages.len(),
            expected,
            "answers to a call that ended {code}"
        );
    }
    code
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|value| {
        value
            .to_str()
            .unwrap_or_else(|_| panic!("{name} is not text"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_framing_declares_the_message_being_read() {
        let mut framing = Framing::default();
        assert_eq!(framing.declared(), 0);
        framing.read(&[0, 0, 0]);
        assert_eq!(framing.declared(), 0);
        framing.read(&[0, 3, b'a']);
        assert_eq!(framing.declared(), 3);
        framing.read(b"bc");
        assert_eq!(framing.declared(), 0);
        framing.read(&[0, 0, 1, 0, 0, 0]);
        assert_eq!(framing.declared(), 0, "over the limit");
    }
}
