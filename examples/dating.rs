//! The dating service that Python and Go gRPC users know: package `date`, trait `Dating`.
//!
//! ```sh
//! cargo run --example dating
//! curl -s localhost:8080/date/dating/eating -d '{"food":"steak"}'
//! ```

mod common;

use protoapi::Status;

/// Something to eat.
#[protoapi::message]
pub struct Eat {
    pub food: String,
}

/// Something to watch.
#[protoapi::message]
pub struct Movie {
    pub film: String,
}

/// How it went.
#[protoapi::message]
pub struct Feel {
    pub feeling: bool,
}

/// A date: dinner and a movie.
#[protoapi::service(package = "date", graphql)]
pub trait Dating {
    /// Eats something.
    async fn eating(&self, req: Eat) -> Result<Feel, Status>;
    /// Watches a film.
    async fn watch_movie(&self, req: Movie) -> Result<Feel, Status>;
}

struct Date;

impl Dating for Date {
    async fn eating(&self, req: Eat) -> Result<Feel, Status> {
        tracing::info!(food = %req.food, "eating");
        Ok(Feel { feeling: true })
    }

    async fn watch_movie(&self, req: Movie) -> Result<Feel, Status> {
        tracing::info!(film = %req.film, "watching");
        Ok(Feel { feeling: true })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run(
        protoapi::Server::builder().add(DatingServer::new(Date)),
        &[],
    )
    .await
}
