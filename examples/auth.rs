//! One middleware for every transport: a tower layer checks a bearer token and puts the user
//! into the request's extensions, where every method reads it through `Context`. Without a
//! valid token, HTTP and Connect calls get 401 with the JSON error body, gRPC calls
//! `UNAUTHENTICATED`, and WebSocket and Socket.IO handshakes 401.
//!
//! ```sh
//! cargo run --example auth
//! curl -s localhost:8080/me -H 'authorization: Bearer alice-token'
//! curl -si localhost:8080/me                       # 401
//! buf curl --protocol grpc --http2-prior-knowledge --reflect \
//!   -H 'authorization: Bearer bob-token' http://localhost:8080/auth.Profile/Me
//! ```
//!
//! The tokens (`alice-token`, `bob-token`) are fixed for the example; a real service checks a
//! signed token or asks its identity provider in the same place. Reflection and health stay
//! open: the layer lets their paths through.

mod common;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use protoapi::{Context, Status};

/// Who is calling: what the layer found for the token.
#[derive(Clone, Debug)]
pub struct User {
    pub name: &'static str,
    pub admin: bool,
}

/// No fields: the caller is in the context.
#[protoapi::message]
pub struct MeRequest {}

/// The caller as the server knows them.
#[protoapi::message]
pub struct Me {
    /// The user name.
    pub name: String,
    /// Whether the user may see `Admin`.
    pub admin: bool,
    /// How the call arrived: `http`, `grpc`, `connect`, `websocket`, `socketio` or `graphql`.
    pub transport: String,
}

/// The signed-in user.
#[protoapi::service(package = "auth", socketio, graphql)]
pub trait Profile {
    /// Who the caller is. Also a WebSocket at `/me/ws`.
    #[protoapi(get = "/me", websocket = "/me/ws")]
    async fn me(&self, ctx: Context, req: MeRequest) -> Result<Me, Status>;

    /// Only for administrators: `permission_denied` for others.
    #[protoapi(get = "/admin")]
    async fn admin(&self, ctx: Context, req: MeRequest) -> Result<Me, Status>;
}

struct Profiles;

/// The user the layer put into the context. The layer refuses requests without one, so a
/// missing user means the service was mounted without the layer.
fn user(ctx: &Context) -> Result<&User, Status> {
    ctx.extension::<User>()
        .ok_or_else(|| Status::unauthenticated("not signed in"))
}

fn me(ctx: &Context) -> Result<Me, Status> {
    let user = user(ctx)?;
    let transport = match ctx.transport() {
        protoapi::Transport::Http => "http",
        protoapi::Transport::Grpc => "grpc",
        protoapi::Transport::Connect => "connect",
        protoapi::Transport::WebSocket => "websocket",
        protoapi::Transport::SocketIo => "socketio",
        protoapi::Transport::GraphQl => "graphql",
        _ => "other",
    };
    Ok(Me {
        name: user.name.to_owned(),
        admin: user.admin,
        transport: transport.to_owned(),
    })
}

impl Profile for Profiles {
    async fn me(&self, ctx: Context, _req: MeRequest) -> Result<Me, Status> {
        me(&ctx)
    }

    async fn admin(&self, ctx: Context, _req: MeRequest) -> Result<Me, Status> {
        if !user(&ctx)?.admin {
            return Err(Status::permission_denied("administrators only"));
        }
        me(&ctx)
    }
}

/// The user of a token.
fn user_for(token: &str) -> Option<User> {
    match token {
        "alice-token" => Some(User {
            name: "alice",
            admin: true,
        }),
        "bob-token" => Some(User {
            name: "bob",
            admin: false,
        }),
        _ => None,
    }
}

/// The layer: `Authorization: Bearer <token>` on every request but reflection and health.
async fn bearer_auth(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/grpc.reflection.") || path.starts_with("/grpc.health.") {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match token.and_then(user_for) {
        Some(user) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        None => protoapi::reject(
            &request,
            &Status::unauthenticated("missing or invalid bearer token"),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::run(
        protoapi::Server::builder()
            .add(ProfileServer::new(Profiles))
            .layer(axum::middleware::from_fn(bearer_auth)),
        &[],
    )
    .await
}
