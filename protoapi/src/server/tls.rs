//! [`TlsConfig`]: HTTPS and gRPC over TLS on the server's one port (feature `tls`).

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

/// The server's certificate and key, as rustls serves them. Connections negotiate HTTP/2 or
/// HTTP/1.1 by ALPN (`h2`, `http/1.1`), so gRPC, HTTP and WebSocket clients share the port as
/// they do without TLS.
///
/// ```no_run
/// # async fn run() -> Result<(), protoapi::Error> {
/// let tls = protoapi::TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// protoapi::Server::builder()
///     .tls(tls)
///     .serve("0.0.0.0:8443")
///     .await
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn", &self.config.alpn_protocols)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// A certificate chain (the server's certificate first) and its private key, PEM-encoded,
    /// with rustls's safe defaults (TLS 1.2 and 1.3, the `ring` provider).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Self, Error> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| Error::tls(format!("unreadable certificate PEM: {error}")))?;
        if certs.is_empty() {
            return Err(Error::tls(
                "no certificate in the certificate PEM".to_owned(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|error| Error::tls(format!("unreadable private key PEM: {error}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| Error::tls(error.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|error| match error {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    Error::tls("the private key does not match the certificate".to_owned())
                }
                error => Error::tls(error.to_string()),
            })?;
        Ok(Self::from_rustls(config))
    }

    /// [`Self::from_pem`] from two files.
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, Error> {
        let read = |path: &Path| {
            std::fs::read(path)
                .map_err(|error| Error::tls(format!("cannot read {}: {error}", path.display())))
        };
        Self::from_pem(&read(cert_chain.as_ref())?, &read(key.as_ref())?)
    }

    /// A rustls configuration of the application's own (client certificates, another
    /// provider, certificate resolvers). When it names no ALPN protocols, `h2` and `http/1.1`
    /// are set.
    pub fn from_rustls(mut config: rustls::ServerConfig) -> Self {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        TlsConfig {
            config: Arc::new(config),
        }
    }
}
