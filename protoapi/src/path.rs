//! [`HttpPathGenerator`]: the HTTP path of every method that does not spell out its own.

use std::sync::Arc;

use crate::limits::Limits;

/// Makes the HTTP path of a method whose attributes give none.
///
/// The server calls it once per such method when it builds its routes, never per request.
/// [`DefaultPathGenerator`] is the default; plug in another with
/// [`crate::ServerBuilder::path_generator`].
///
/// ```
/// use protoapi::HttpPathGenerator;
///
/// /// `/rpc/hello.Greeter/SayHello`-style paths.
/// struct RpcStyle;
///
/// impl HttpPathGenerator for RpcStyle {
///     fn generate(&self, package: &str, service: &str, method: &str) -> String {
///         format!("/rpc/{package}.{service}/{method}")
///     }
/// }
///
/// assert_eq!(RpcStyle.generate("hello", "Greeter", "say_hello"), "/rpc/hello.Greeter/say_hello");
/// ```
pub trait HttpPathGenerator: Send + Sync + 'static {
    /// The path of `method` (its Rust name) of `service` (its proto name) in `package` (empty
    /// when the service has none). It starts with `/`.
    fn generate(&self, package: &str, service: &str, method: &str) -> String;
}

/// The default paths: `/{package}/{service in lowercase}/{method}`, each segment with an optional
/// prefix and suffix (the Go protoapi's PackagePrefix/Suffix, ServicePrefix/Suffix and
/// MethodPrefix/Suffix). A service without a package has no package segment.
///
/// ```
/// use protoapi::{DefaultPathGenerator, HttpPathGenerator};
///
/// let paths = DefaultPathGenerator::default();
/// assert_eq!(paths.generate("hello", "Greeter", "say_hello"), "/hello/greeter/say_hello");
///
/// let paths = DefaultPathGenerator::default().package_prefix("api/").method_suffix(".json");
/// assert_eq!(paths.generate("hello", "Greeter", "say_hello"), "/api/hello/greeter/say_hello.json");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefaultPathGenerator {
    package_prefix: String,
    package_suffix: String,
    service_prefix: String,
    service_suffix: String,
    method_prefix: String,
    method_suffix: String,
}

macro_rules! setter {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(mut self, text: impl Into<String>) -> Self {
            self.$name = text.into();
            self
        }
    )*};
}

impl DefaultPathGenerator {
    setter! {
        /// Text before the package segment.
        package_prefix,
        /// Text after the package segment.
        package_suffix,
        /// Text before the service segment.
        service_prefix,
        /// Text after the service segment.
        service_suffix,
        /// Text before the method segment.
        method_prefix,
        /// Text after the method segment.
        method_suffix,
    }
}

impl HttpPathGenerator for DefaultPathGenerator {
    fn generate(&self, package: &str, service: &str, method: &str) -> String {
        let mut path = String::new();
        if !package.is_empty() {
            path.push('/');
            path.push_str(&self.package_prefix);
            path.push_str(package);
            path.push_str(&self.package_suffix);
        }
        path.push('/');
        path.push_str(&self.service_prefix);
        path.push_str(&service.to_lowercase());
        path.push_str(&self.service_suffix);
        path.push('/');
        path.push_str(&self.method_prefix);
        path.push_str(method);
        path.push_str(&self.method_suffix);
        path
    }
}

/// What the HTTP routes of a service are built with: the limits and the path generator.
#[derive(Clone)]
pub struct HttpConfig {
    /// Server-wide limits.
    pub limits: Limits,
    /// Paths of methods that do not spell out theirs.
    pub paths: Arc<dyn HttpPathGenerator>,
    /// Where uploads are spooled; the system's temporary directory when `None`.
    pub upload_dir: Option<Arc<std::path::Path>>,
    /// Settings of the WebSocket endpoints.
    pub websocket: crate::websocket::WebSocketConfig,
    /// Which compressions bodies and answers may be in.
    pub compression: crate::compression::Compression,
    /// The live counts the WebSocket endpoints update.
    pub stats: crate::websocket::Stats,
    /// Cancelled when the server shuts down: WebSockets then close with 1001.
    pub(crate) shutdown: tokio_util::sync::CancellationToken,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            limits: Limits::default(),
            paths: Arc::new(DefaultPathGenerator::default()),
            upload_dir: None,
            compression: crate::compression::Compression::default(),
            websocket: crate::websocket::WebSocketConfig::default(),
            stats: crate::websocket::Stats::default(),
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    }
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl HttpConfig {
    /// The path of a route: `explicit` when the method gives one, else the generated one.
    pub fn route_path(
        &self,
        explicit: Option<&str>,
        package: &str,
        service: &str,
        method: &str,
    ) -> String {
        match explicit {
            Some(path) => path.to_owned(),
            None => self.paths.generate(package, service, method),
        }
    }
}
