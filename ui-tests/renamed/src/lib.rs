//! A crate that depends on protoapi only as `api`. The macros are given `crate = "::api"`;
//! code they generated with `::protoapi` in it would not compile here, so this crate building
//! is the test that they use the path they were given.

/// A ping.
#[api::message(crate = "::api")]
pub struct Ping {
    pub text: String,
    pub file: Option<api::File>,
}

/// Echoes pings.
#[api::service(package = "renamed", crate = "::api", socketio, graphql)]
pub trait Echo {
    async fn echo(&self, req: Ping) -> Result<Ping, api::Status>;
    async fn count(&self, req: Ping) -> Result<api::Streaming<Ping>, api::Status>;
}

/// The service.
pub struct Echoes;

impl Echo for Echoes {
    async fn echo(&self, req: Ping) -> Result<Ping, api::Status> {
        Ok(req)
    }

    async fn count(&self, req: Ping) -> Result<api::Streaming<Ping>, api::Status> {
        Ok(api::Streaming::iter([req]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_builds_with_the_renamed_crate() {
        let descriptor = EchoServer::<Echoes>::descriptor();
        assert_eq!(descriptor.full_name(), "renamed.Echo");
        let router = api::Server::builder()
            .add(EchoServer::new(Echoes))
            .into_router();
        assert!(router.is_ok());
    }
}
