//! [`Routes`]: the HTTP routes of every service, by path, with the JSON 405 for a wrong verb.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::MethodRouter;
use http::{HeaderValue, Method, StatusCode, header};
use tonic::Code;

use super::response::error_response;
use crate::schema::Verb;

/// The HTTP routes of one service, grouped by path so that a wrong verb gets a 405 that lists
/// the right ones.
#[derive(Default)]
pub struct Routes {
    paths: Vec<PathRoutes>,
}

/// A WebSocket endpoint as the routes serve it, so that the routes need not know the
/// WebSocket transport: the server gives its WebSocket endpoints this face.
pub trait WebSocketRoute: Send + Sync + 'static {
    /// Whether a request is a WebSocket handshake.
    fn is_handshake(&self, request: &Request) -> bool;
    /// Answers a handshake: the upgrade, or why it is refused.
    fn upgrade(self: Arc<Self>, request: Request) -> BoxResponse;
    /// Answers a GET at the WebSocket's path that is no handshake.
    fn upgrade_required(&self) -> BoxResponse;
}

/// The future of an answer.
pub type BoxResponse = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>;

/// Everything served at one path.
struct PathRoutes {
    path: String,
    verbs: Vec<Verb>,
    router: MethodRouter,
    websocket: Option<Arc<dyn WebSocketRoute>>,
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Routes::default()
    }

    /// Adds the handler of `verb` at `path` (axum syntax: `/students/{sno}`).
    pub fn add(&mut self, verb: Verb, path: &str, handler: MethodRouter) {
        let at = self.at(path);
        at.verbs.push(verb);
        at.router = std::mem::take(&mut at.router).merge(handler);
    }

    /// Serves a WebSocket at `path`: a GET with `Upgrade: websocket` goes to the WebSocket, any
    /// other request to the path's other routes.
    pub fn add_websocket(&mut self, path: &str, websocket: Arc<dyn WebSocketRoute>) {
        self.at(path).websocket = Some(websocket);
    }

    fn at(&mut self, path: &str) -> &mut PathRoutes {
        let index = match self.paths.iter().position(|p| p.path == path) {
            Some(index) => index,
            None => {
                self.paths.push(PathRoutes {
                    path: path.to_owned(),
                    verbs: Vec::new(),
                    router: MethodRouter::new(),
                    websocket: None,
                });
                self.paths.len() - 1
            }
        };
        &mut self.paths[index]
    }

    /// The axum router; a known path with another verb answers 405 with `Allow`.
    pub fn into_router(self) -> Router {
        let mut router = Router::new();
        for PathRoutes {
            path,
            mut verbs,
            router: mut method_router,
            websocket,
        } in self.paths
        {
            if let Some(websocket) = websocket.as_ref().filter(|_| !verbs.contains(&Verb::Get)) {
                verbs.push(Verb::Get);
                let websocket = websocket.clone();
                method_router = method_router.get(move || websocket.upgrade_required());
            }
            let mut allow: Vec<&str> = Vec::new();
            for verb in verbs {
                allow.push(verb.as_str());
                if verb == Verb::Get {
                    allow.push("HEAD");
                }
            }
            let allow = allow.join(", ");
            let fallback = move |request: Request| {
                let allow = allow.clone();
                async move { method_not_allowed(request.method(), request.uri().path(), &allow) }
            };
            let mut method_router = method_router.fallback(fallback);
            if let Some(websocket) = websocket {
                method_router = method_router.layer(axum::middleware::from_fn(
                    move |request: Request, next: axum::middleware::Next| {
                        let websocket = websocket.clone();
                        async move {
                            if websocket.is_handshake(&request) {
                                websocket.upgrade(request).await
                            } else {
                                next.run(request).await
                            }
                        }
                    },
                ));
            }
            router = router.route(&path, method_router);
        }
        router
    }
}

/// 405 with `Allow` and the JSON error body.
pub(super) fn method_not_allowed(method: &Method, path: &str, allow: &str) -> Response {
    let mut response = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::Unimplemented,
        &format!("method {method} is not allowed on {path}; allowed: {allow}"),
    );
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
