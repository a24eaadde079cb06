//! The streaming methods of docs/streaming.md: package `lab`, trait `Numbers`. `count` streams
//! over gRPC, the WebSocket, and HTTP as Server-Sent Events or NDJSON; `sum` and `double` take
//! a stream over gRPC and the WebSocket.
//!
//! ```sh
//! cargo run --example numbers
//! curl -N localhost:8080/count/3 -H 'accept: text/event-stream'
//! ```

mod common;

use futures_util::StreamExt as _;
use protoapi::{Status, Streaming};

/// A number.
#[protoapi::message]
pub struct Num {
    pub n: i32,
}

#[protoapi::service(package = "lab")]
pub trait Numbers {
    /// Server streaming: 1 to `n`, a message each; 13 is unlucky: its stream fails after three.
    #[protoapi(get = "/count/:n", websocket = "/count")]
    async fn count(&self, req: Num) -> Result<Streaming<Num>, Status>;
    /// Client streaming: the sum of the numbers sent.
    #[protoapi(websocket = "/sum")]
    async fn sum(&self, nums: Streaming<Num>) -> Result<Num, Status>;
    /// Bidirectional: each number sent, doubled.
    #[protoapi(websocket = "/double")]
    async fn double(&self, nums: Streaming<Num>) -> Result<Streaming<Num>, Status>;
}

/// The most `count` streams, so that a request cannot ask for an endless one.
const MAX_COUNT: i32 = 1000;

struct Lab;

impl Numbers for Lab {
    async fn count(&self, req: Num) -> Result<Streaming<Num>, Status> {
        if !(0..=MAX_COUNT).contains(&req.n) {
            return Err(Status::invalid_argument(format!(
                "n must be from 0 to {MAX_COUNT}"
            )));
        }
        if req.n == 13 {
            let lucky = (1..=3).map(|n| Ok(Num { n }));
            let unlucky = Err(Status::failed_precondition("unlucky"));
            return Ok(Streaming::new(futures_util::stream::iter(
                lucky.chain(std::iter::once(unlucky)),
            )));
        }
        Ok(Streaming::iter((1..=req.n).map(|n| Num { n })))
    }

    async fn sum(&self, mut nums: Streaming<Num>) -> Result<Num, Status> {
        let mut sum = 0i32;
        while let Some(num) = nums.message().await? {
            sum = sum
                .checked_add(num.n)
                .ok_or_else(|| Status::out_of_range("the sum overflows a 32-bit integer"))?;
        }
        Ok(Num { n: sum })
    }

    async fn double(&self, nums: Streaming<Num>) -> Result<Streaming<Num>, Status> {
        Ok(Streaming::new(nums.map(|num| {
            let n = num?.n;
            n.checked_mul(2)
                .map(|n| Num { n })
                .ok_or_else(|| Status::out_of_range("the double overflows a 32-bit integer"))
        })))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run(
        protoapi::Server::builder().add(NumbersServer::new(Lab)),
        &[],
    )
    .await
}
