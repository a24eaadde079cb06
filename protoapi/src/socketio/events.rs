//! [`Events`]: the methods served over Socket.IO by event name, and the endpoint made of them.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use serde_json::value::RawValue;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use super::binary::{Attach, Binaries};
use super::config::SocketIoConfig;
use super::connection::Open;
use crate::budget::MemoryBudget;
use crate::error::Error;
use crate::method::{ErasedMethod, Params};
use crate::rooms::{Rooms, Sending, Sockets};
use crate::schema::ServiceDescriptor;
use crate::service::ProtoService;
use crate::status::Status;

/// The events a client may not emit: the Socket.IO client libraries keep these names for
/// themselves, so a method named so could never be called.
const RESERVED: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Every method served over Socket.IO, by event name (the Rust method name), with what each
/// call needs from the server.
pub(crate) struct Events {
    /// Sorted by name: a few methods are found faster by a binary search than by hashing.
    methods: Box<[Event]>,
    /// The limit of a request message, for methods without their own.
    pub(super) body_limit: usize,
    /// The server's memory budget, charged for each request while it is handled.
    pub(super) budget: MemoryBudget,
    /// The parameters of every call: an event has no path or query.
    pub(super) params: Arc<Params>,
}

/// One method as an event.
pub(super) struct Event {
    pub(super) name: &'static str,
    pub(super) method: ErasedMethod,
    /// The full name of its service, for logs.
    pub(super) service: String,
    /// Where the `bytes` of its answers are, when they have any.
    pub(super) binaries: Option<Attach>,
}

impl Events {
    /// The events of the services that serve Socket.IO: every service when `every_service`,
    /// else those marked `socketio`. Refuses two methods of one name, and methods named like
    /// the events Socket.IO keeps for itself.
    pub(crate) fn new(
        services: &[Box<dyn ProtoService>],
        descriptors: &[ServiceDescriptor],
        every_service: bool,
        body_limit: usize,
        budget: MemoryBudget,
    ) -> Result<Events, Error> {
        let mut methods: HashMap<&'static str, Event> = HashMap::new();
        for (service, descriptor) in services.iter().zip(descriptors) {
            if !every_service && !descriptor.socketio {
                continue;
            }
            let full_name = descriptor.full_name();
            let binaries = Arc::new(Binaries::new(&descriptor.messages));
            for method in service.rpc_methods() {
                let Some((name, output)) = descriptor
                    .methods
                    .iter()
                    .find(|m| m.name == method.name)
                    .map(|m| (m.rust_name, m.output))
                else {
                    continue;
                };
                if RESERVED.contains(&name) {
                    return Err(Error::config(format!(
                        "method `{name}` of {full_name} cannot be a Socket.IO event: Socket.IO \
                         clients keep the name `{name}` for themselves; rename the method"
                    )));
                }
                if let Some(other) = methods.get(name) {
                    return Err(Error::route_conflict(format!(
                        "Socket.IO event `{name}` is claimed by {} and {full_name}: events are \
                         named after methods, one name per server",
                        other.service
                    )));
                }
                methods.insert(
                    name,
                    Event {
                        name,
                        method,
                        service: full_name.clone(),
                        binaries: Attach::new(&binaries, output),
                    },
                );
            }
        }
        let mut methods: Vec<Event> = methods.into_values().collect();
        methods.sort_unstable_by_key(|event| event.name);
        Ok(Events {
            methods: methods.into_boxed_slice(),
            body_limit,
            budget,
            params: Arc::new(Params::default()),
        })
    }

    /// Whether no method is served over Socket.IO.
    pub(crate) fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// The method of an event.
    pub(super) fn get(&self, name: &str) -> Option<&Event> {
        self.methods
            .binary_search_by(|event| event.name.cmp(name))
            .ok()
            .and_then(|index| self.methods.get(index))
    }

    /// The largest request message of any event: the message limit of the socket.
    fn largest_message(&self) -> usize {
        self.methods
            .iter()
            .map(|event| self.limit(&event.method))
            .max()
            .unwrap_or(self.body_limit)
    }

    /// The limit of one request message of `method`: its own, or the body limit.
    pub(super) fn limit(&self, method: &ErasedMethod) -> usize {
        method.limit.map_or(self.body_limit, |bytes| {
            usize::try_from(bytes).unwrap_or(usize::MAX)
        })
    }
}

/// `router` with the Socket.IO endpoint of `events` at `config`'s path, whose sockets `rooms`
/// reach (through Redis when the rooms are shared). When `shutdown` is cancelled, every socket
/// is closed.
pub(crate) fn route(
    router: axum::Router,
    events: Events,
    config: &SocketIoConfig,
    rooms: &Rooms,
    shutdown: CancellationToken,
) -> Result<axum::Router, Error> {
    let builder = config.builder(events.largest_message());
    let events = Arc::new(events);
    #[cfg(feature = "redis")]
    if let Some(adapter) = rooms.take_adapter() {
        let (service, io) = builder
            .with_adapter::<socketioxide_redis::RedisAdapter<_>>(adapter)
            .build_svc();
        // The namespace exists once the adapter has subscribed to Redis.
        let init = io.ns("/", Open(events));
        rooms.pending(Box::pin(async move {
            init.await
                .map_err(|error| Error::config(format!("Socket.IO's Redis adapter: {error}")))
        }));
        attach(io, rooms, shutdown)?;
        return Ok(router.route_service(config.path_str(), service));
    }
    let (service, io) = builder.build_svc();
    io.ns("/", Open(events));
    attach(io, rooms, shutdown)?;
    Ok(router.route_service(config.path_str(), service))
}

/// Gives `io`'s sockets to `rooms`, and closes them when `shutdown` is cancelled.
fn attach<A: Adapter>(
    io: SocketIo<A>,
    rooms: &Rooms,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    if !rooms.attach(Arc::new(Everyone(io.clone()))) {
        return Err(Error::config(
            "these Rooms reach the sockets of another server already: give each server its own"
                .to_owned(),
        ));
    }
    // Without a runtime (a router built outside one), the sockets close with the runtime.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            shutdown.cancelled().await;
            io.close().await;
        });
    }
    Ok(())
}

/// Every socket of the endpoint (of every instance, with Redis), as the rooms reach them.
struct Everyone<A: Adapter>(SocketIo<A>);

impl<A: Adapter> Sockets for Everyone<A> {
    fn emit(&self, room: Option<String>, event: &str, data: Box<RawValue>) -> Sending {
        let io = self.0.clone();
        let event = event.to_owned();
        Box::pin(async move {
            let operators = match room {
                Some(room) => io.to(room),
                None => io.broadcast(),
            };
            operators.emit(&event, &*data).await.map_err(|error| {
                Status::unavailable(format!("a Socket.IO broadcast failed: {error}"))
            })
        })
    }
}
