//! The GraphQL endpoint: `POST` with a JSON body (one operation or a batch), `GET` with
//! `?query=` (queries only), `GET` with a WebSocket upgrade (`graphql-transport-ws`, and the
//! older `graphql-ws`) for subscriptions, and the GraphiQL page for a browser's `GET`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::dynamic::Schema;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, BatchResponse, Data, Executor as _, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::{FromRequestParts as _, WebSocketUpgrade};
use axum::response::{IntoResponse as _, Response};
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use http_body_util::BodyExt as _;

use super::call::Request as CallRequest;
use super::config::GraphQlConfig;

/// The media type of GraphQL over HTTP's answers, when the client accepts it.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// What every request to the endpoint needs: the schema, the limits, and the documents parsed
/// already.
pub(super) struct Endpoint {
    pub(super) schema: Schema,
    pub(super) config: GraphQlConfig,
    documents: Documents,
}

/// The parsed documents of the queries seen lately, by their text: clients send the same few
/// queries again and again, and parsing is half of a small query's cost. At most
/// [`CACHED_DOCUMENTS`] of at most [`CACHED_QUERY_BYTES`] each; when full, it starts over.
#[derive(Default)]
struct Documents(Mutex<HashMap<Box<str>, ExecutableDocument>>);

/// How many parsed documents are kept.
const CACHED_DOCUMENTS: usize = 512;

/// The longest query whose parsed document is kept.
const CACHED_QUERY_BYTES: usize = 4 * 1024;

impl Documents {
    /// `request` with its document parsed, from the cache when its query was seen; a query
    /// that does not parse is left for async-graphql to report.
    fn prepare(&self, mut request: async_graphql::Request) -> async_graphql::Request {
        if request.query.len() > CACHED_QUERY_BYTES {
            return request;
        }
        let cached = self.lock().get(request.query.as_str()).cloned();
        if let Some(document) = cached {
            request.set_parsed_query(document);
            return request;
        }
        if let Ok(document) = async_graphql::parser::parse_query(&request.query) {
            let mut documents = self.lock();
            if documents.len() >= CACHED_DOCUMENTS {
                documents.clear();
            }
            documents.insert(request.query.as_str().into(), document.clone());
            drop(documents);
            request.set_parsed_query(document);
        }
        request
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, ExecutableDocument>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `router` with the GraphQL endpoint at the config's path.
pub(crate) fn route(router: axum::Router, schema: Schema, config: GraphQlConfig) -> axum::Router {
    let path = config.path_str().to_owned();
    let endpoint = Arc::new(Endpoint {
        schema,
        config,
        documents: Documents::default(),
    });
    router.route(
        &path,
        axum::routing::any(move |request: http::Request<Body>| {
            let endpoint = endpoint.clone();
            async move { endpoint.serve(request).await }
        }),
    )
}

impl Endpoint {
    async fn serve(&self, request: http::Request<Body>) -> Response {
        let (mut parts, body) = request.into_parts();
        let data = CallRequest {
            headers: Arc::new(parts.headers.clone()),
            extensions: Arc::new(parts.extensions.clone()),
        };
        let wants = Wants::from(&parts.headers);
        match parts.method {
            Method::GET if parts.headers.contains_key(http::header::UPGRADE) => {
                let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &()).await;
                let protocol = GraphQLProtocol::from_request_parts(&mut parts, &()).await;
                match (upgrade, protocol) {
                    (Ok(upgrade), Ok(protocol)) => {
                        let schema = self.schema.clone();
                        upgrade
                            .protocols(ALL_WEBSOCKET_PROTOCOLS)
                            .max_message_size(self.body_limit())
                            .on_upgrade(move |socket| {
                                let mut session = Data::default();
                                session.insert(data);
                                GraphQLWebSocket::new(socket, schema, protocol)
                                    .with_data(session)
                                    .serve()
                            })
                    }
                    (Err(rejection), _) => rejection.into_response(),
                    (_, Err(_)) => self.refuse(
                        wants,
                        StatusCode::BAD_REQUEST,
                        "a GraphQL WebSocket speaks graphql-transport-ws or graphql-ws: ask for \
                         one in Sec-WebSocket-Protocol",
                    ),
                }
            }
            Method::GET => {
                let query = parts.uri.query().unwrap_or("");
                if !query.split('&').any(|pair| pair.starts_with("query=")) {
                    if self.config.graphiql && accepts_html(&parts.headers) {
                        let page = GraphiQLSource::build()
                            .endpoint(self.config.path_str())
                            .subscription_endpoint(self.config.path_str())
                            .finish();
                        return axum::response::Html(page).into_response();
                    }
                    return self.refuse(
                        wants,
                        StatusCode::BAD_REQUEST,
                        "a GraphQL GET carries its query in `?query=`",
                    );
                }
                let request = match async_graphql::http::parse_query_string(query) {
                    Ok(request) => request,
                    Err(error) => {
                        return self.refuse(
                            wants,
                            StatusCode::BAD_REQUEST,
                            &format!("invalid GraphQL GET: {error}"),
                        );
                    }
                };
                if let Some(refused) = self.past_bounds(std::slice::from_ref(&request), wants) {
                    return refused;
                }
                let mut request = self.documents.prepare(request);
                if is_mutation(&mut request) {
                    let mut response = self.refuse(
                        wants,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "a mutation is sent with POST, not GET",
                    );
                    response
                        .headers_mut()
                        .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
                    return response;
                }
                self.run(BatchRequest::Single(request), data, wants).await
            }
            Method::POST => {
                let is_json = parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
                if !is_json {
                    return self.refuse(
                        wants,
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "a GraphQL POST is JSON: Content-Type: application/json",
                    );
                }
                let limit = self.body_limit();
                let bytes = match http_body_util::Limited::new(body, limit).collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(_) => {
                        return self.refuse(
                            wants,
                            StatusCode::PAYLOAD_TOO_LARGE,
                            &format!("the request body is larger than the limit of {limit} bytes"),
                        );
                    }
                };
                let batch = match serde_json::from_slice::<BatchRequest>(&bytes) {
                    Ok(batch) => batch,
                    Err(error) => {
                        return self.refuse(
                            wants,
                            StatusCode::BAD_REQUEST,
                            &format!("invalid GraphQL request: {error}"),
                        );
                    }
                };
                let requests = match &batch {
                    BatchRequest::Single(request) => std::slice::from_ref(request),
                    BatchRequest::Batch(requests) => requests.as_slice(),
                };
                if let Some(refused) = self.past_bounds(requests, wants) {
                    return refused;
                }
                self.run(self.prepare(batch), data, wants).await
            }
            _ => {
                let mut response = self.refuse(
                    wants,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "GraphQL is served with GET and POST",
                );
                response
                    .headers_mut()
                    .insert(http::header::ALLOW, HeaderValue::from_static("GET, POST"));
                response
            }
        }
    }

    /// The most bytes of a request body or WebSocket message: a query and its variables.
    fn body_limit(&self) -> usize {
        self.config.max_query_bytes.saturating_mul(4)
    }

    /// The refusal of operations past their bounds (how many, each query's size), checked
    /// before anything is parsed; `None` when they are within them.
    fn past_bounds(&self, requests: &[async_graphql::Request], wants: Wants) -> Option<Response> {
        if requests.len() > self.config.max_batch {
            return Some(self.refuse(
                wants,
                StatusCode::BAD_REQUEST,
                &format!(
                    "a batch holds at most {} operations; this one has {}",
                    self.config.max_batch,
                    requests.len()
                ),
            ));
        }
        if requests.is_empty() {
            return Some(self.refuse(wants, StatusCode::BAD_REQUEST, "the batch is empty"));
        }
        let limit = self.config.max_query_bytes;
        if let Some(request) = requests.iter().find(|r| r.query.len() > limit) {
            return Some(self.refuse(
                wants,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the query is {} bytes, larger than the limit of {limit}",
                    request.query.len()
                ),
            ));
        }
        None
    }

    /// The batch with each operation's document parsed, or taken from those seen lately.
    fn prepare(&self, batch: BatchRequest) -> BatchRequest {
        match batch {
            BatchRequest::Single(request) => BatchRequest::Single(self.documents.prepare(request)),
            BatchRequest::Batch(requests) => BatchRequest::Batch(
                requests
                    .into_iter()
                    .map(|request| self.documents.prepare(request))
                    .collect(),
            ),
        }
    }

    /// Runs a batch within its bounds, prepared, with the HTTP request's data.
    async fn run(&self, batch: BatchRequest, data: CallRequest, wants: Wants) -> Response {
        let batch = match batch {
            BatchRequest::Single(request) => BatchRequest::Single(request.data(data)),
            BatchRequest::Batch(requests) => BatchRequest::Batch(
                requests
                    .into_iter()
                    .map(|request| request.data(data.clone()))
                    .collect(),
            ),
        };
        let response = self.schema.execute_batch(batch).await;
        // GraphQL over HTTP: with its own media type, a request that could not run (no data:
        // a syntax or validation error) is a 400; with `application/json`, every answer is 200.
        let failed = match &response {
            BatchResponse::Single(response) => {
                response.data == async_graphql::Value::Null && response.is_err()
            }
            BatchResponse::Batch(_) => false,
        };
        let status = if wants == Wants::GraphQlResponse && failed {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        json_response(
            status,
            wants,
            serde_json::to_vec(&response).unwrap_or_default(),
        )
    }

    /// An answer made of one GraphQL error.
    fn refuse(&self, wants: Wants, status: StatusCode, message: &str) -> Response {
        let response = async_graphql::Response::from_errors(vec![ServerError::new(message, None)]);
        json_response(
            status,
            wants,
            serde_json::to_vec(&response).unwrap_or_default(),
        )
    }
}

/// Which media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wants {
    Json,
    GraphQlResponse,
}

impl From<&http::HeaderMap> for Wants {
    fn from(headers: &http::HeaderMap) -> Self {
        let accept = headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        for media in accept {
            match media.as_str() {
                GRAPHQL_RESPONSE => return Wants::GraphQlResponse,
                "application/json" => return Wants::Json,
                _ => {}
            }
        }
        Wants::Json
    }
}

fn json_response(status: StatusCode, wants: Wants, body: Vec<u8>) -> Response {
    let media = match wants {
        Wants::Json => "application/json",
        Wants::GraphQlResponse => "application/graphql-response+json; charset=utf-8",
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

/// Whether a browser asks for a page: `Accept` names `text/html`.
fn accepts_html(headers: &http::HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Whether the operation a request runs is a mutation (which GET may not run).
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let operation = match (&document.operations, &operation_name) {
        (async_graphql::parser::types::DocumentOperations::Single(op), _) => Some(&op.node),
        (async_graphql::parser::types::DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).map(|op| &op.node)
        }
        (async_graphql::parser::types::DocumentOperations::Multiple(ops), None) => {
            ops.values().next().map(|op| &op.node)
        }
    };
    operation.is_some_and(|op| op.ty == async_graphql::parser::types::OperationType::Mutation)
}
