//! The GraphQL example of the comparison of RPC styles: package `people`, trait `People`. The
//! comparison's Koa server answers one person, `{name age sex hobby}`; here that person is the
//! answer of `person`, a method with a `GET` route and so a field of GraphQL's `Query`.
//!
//! ```sh
//! cargo run --example people
//! curl 'http://127.0.0.1:8080/graphql?query=\{person\{name%0Ahobby\}\}'
//! curl -s localhost:8080/graphql -H 'content-type: application/json' -d '{"query":"{ person { name age sex } }"}'
//! curl -s localhost:8080/person                   # the same person over HTTP JSON
//! cargo run --example people -- --print-graphql   # the schema in SDL
//! ```
//!
//! `GET /graphql` from a browser opens GraphiQL, the query page the comparison's server offers
//! too.

mod common;

use protoapi::Status;

/// No parameters: there is one person.
#[protoapi::message]
pub struct PersonRequest {}

/// The person of the comparison's schema.
#[protoapi::message]
pub struct Person {
    /// `Rootkit`.
    pub name: String,
    /// Their age.
    pub age: i32,
    /// The comparison's `sex: Boolean!`.
    pub sex: bool,
    /// What they like doing.
    pub hobby: Vec<String>,
}

/// The person the comparison's GraphQL server describes.
#[protoapi::service(package = "people", graphql)]
pub trait People {
    /// The one person; side-effect free (a `GET` route), so a GraphQL query.
    #[protoapi(get = "/person")]
    async fn person(&self, req: PersonRequest) -> Result<Person, Status>;
}

struct Rootkit;

impl People for Rootkit {
    async fn person(&self, _req: PersonRequest) -> Result<Person, Status> {
        Ok(Person {
            name: "Rootkit".to_owned(),
            age: 99,
            sex: true,
            hobby: ["Coding", "Badminton", "Billiards", "Reading", "Guitar"]
                .map(str::to_owned)
                .to_vec(),
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run(
        protoapi::Server::builder().add(PeopleServer::new(Rootkit)),
        &[],
    )
    .await
}
