//! The greeter: package `hello`, trait `Greeter`.
//!
//! ```sh
//! cargo run --example greeter
//! curl -s localhost:8080/hello/greeter/say_hello -d '{"name":"火锅"}'
//! ```

mod common;

use protoapi::Status;

/// Whom to greet.
#[protoapi::message]
pub struct HelloRequest {
    /// The name to greet; must not be empty.
    pub name: String,
}

/// The greeting.
#[protoapi::message]
pub struct HelloReply {
    /// `hello {name}`.
    pub message: String,
}

/// Greets people.
#[protoapi::service(package = "hello")]
pub trait Greeter {
    /// Answers `hello {name}`; an empty name is `invalid_argument`.
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;
}

struct MyGreeter;

impl Greeter for MyGreeter {
    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status> {
        if req.name.is_empty() {
            return Err(Status::invalid_argument("name must not be empty"));
        }
        Ok(HelloReply {
            message: format!("hello {}", req.name),
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run(protoapi::Server::builder().add(GreeterServer::new(MyGreeter))).await
}
