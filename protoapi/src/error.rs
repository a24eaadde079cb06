//! [`Error`]: why a server could not start or stopped.

use std::fmt;
use std::io;

/// An error of the server itself (binding, routing), as opposed to a [`crate::Status`] of a call.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Io(io::Error),
    RouteConflict(String),
    Descriptor(String),
    #[cfg_attr(
        not(feature = "tls"),
        allow(dead_code, reason = "built by TLS configuration")
    )]
    Tls(String),
    Config(String),
}

impl Error {
    pub(crate) fn route_conflict(message: String) -> Self {
        Error {
            kind: ErrorKind::RouteConflict(message),
        }
    }

    #[cfg_attr(
        not(feature = "tls"),
        allow(dead_code, reason = "built by TLS configuration")
    )]
    pub(crate) fn tls(message: String) -> Self {
        Error {
            kind: ErrorKind::Tls(message),
        }
    }

    pub(crate) fn descriptor(message: String) -> Self {
        Error {
            kind: ErrorKind::Descriptor(message),
        }
    }

    pub(crate) fn config(message: String) -> Self {
        Error {
            kind: ErrorKind::Config(message),
        }
    }

    /// The I/O error underneath, if there is one.
    pub fn io(&self) -> Option<&io::Error> {
        match &self.kind {
            ErrorKind::Io(error) => Some(error),
            ErrorKind::RouteConflict(_)
            | ErrorKind::Descriptor(_)
            | ErrorKind::Tls(_)
            | ErrorKind::Config(_) => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error {
            kind: ErrorKind::Io(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Io(error) => write!(f, "I/O error: {error}"),
            ErrorKind::RouteConflict(message) => write!(f, "conflicting routes: {message}"),
            ErrorKind::Tls(message) => write!(f, "TLS configuration: {message}"),
            ErrorKind::Descriptor(message) => {
                write!(f, "the services' descriptors are inconsistent: {message}")
            }
            ErrorKind::Config(message) => write!(f, "invalid configuration: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(error) => Some(error),
            ErrorKind::RouteConflict(_)
            | ErrorKind::Descriptor(_)
            | ErrorKind::Tls(_)
            | ErrorKind::Config(_) => None,
        }
    }
}
