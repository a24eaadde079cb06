//! [`GraphQlConfig`]: where the GraphQL endpoint is, which services it serves, and its limits.

/// How the server's GraphQL endpoint is served: its path, which services are fields of its
/// schema, and the limits every request is held to. Set with [`crate::ServerBuilder::graphql`].
///
/// Without that call, the services marked `#[protoapi::service(graphql)]` are served with the
/// defaults below; with it, every service added to the server is, unless
/// [`Self::marked_only`] keeps it to the marked ones.
///
/// ```
/// use protoapi::GraphQlConfig;
///
/// let config = GraphQlConfig::default().path("/api/graphql").max_depth(8);
/// assert_eq!(config.path_str(), "/api/graphql");
/// let builder = protoapi::Server::builder().graphql(config);
/// # drop(builder);
/// ```
#[derive(Clone, Debug)]
pub struct GraphQlConfig {
    path: String,
    every_service: bool,
    pub(super) max_depth: usize,
    pub(super) max_complexity: usize,
    pub(super) max_query_bytes: usize,
    pub(super) max_batch: usize,
    pub(super) introspection: bool,
    pub(super) graphiql: bool,
}

impl Default for GraphQlConfig {
    /// `/graphql`, every service, queries 16 levels deep at most, complexity 1,000, 32 KiB of
    /// query text, 16 operations in a batch, introspection and the GraphiQL page on.
    fn default() -> Self {
        GraphQlConfig {
            path: "/graphql".to_owned(),
            every_service: true,
            max_depth: 16,
            max_complexity: 1_000,
            max_query_bytes: 32 * 1024,
            max_batch: 16,
            introspection: true,
            graphiql: true,
        }
    }
}

impl GraphQlConfig {
    /// The configuration the marked services get when the builder sets none.
    pub(crate) fn marked_services() -> Self {
        GraphQlConfig::default().marked_only()
    }

    /// Sets the endpoint's path (default `/graphql`); a missing leading `/` is added.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        self.path = path;
        self
    }

    /// The endpoint's path.
    pub fn path_str(&self) -> &str {
        &self.path
    }

    /// Serves only the services marked `#[protoapi::service(graphql)]`.
    pub fn marked_only(mut self) -> Self {
        self.every_service = false;
        self
    }

    /// Whether every service is served, or only the marked ones.
    pub(crate) fn every_service(&self) -> bool {
        self.every_service
    }

    /// Sets how deep a query's selections may nest (default 16).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets the most complexity a query may have, each field counting 1 (default 1,000).
    pub fn max_complexity(mut self, complexity: usize) -> Self {
        self.max_complexity = complexity;
        self
    }

    /// Sets the most bytes of a query's text, and of a request body (default 32 KiB; a body
    /// may also hold variables: it may be 4 times this).
    pub fn max_query_bytes(mut self, bytes: usize) -> Self {
        self.max_query_bytes = bytes;
        self
    }

    /// Sets how many operations one batched request may hold (default 16).
    pub fn max_batch(mut self, operations: usize) -> Self {
        self.max_batch = operations.max(1);
        self
    }

    /// Turns introspection (`__schema`, `__type`) on or off (default on).
    pub fn introspection(mut self, on: bool) -> Self {
        self.introspection = on;
        self
    }

    /// Turns the GraphiQL page, served to a browser's `GET`, on or off (default on).
    pub fn graphiql(mut self, on: bool) -> Self {
        self.graphiql = on;
        self
    }
}
