//! The REST example of the comparison of RPC styles: tasks by id.
//!
//! ```sh
//! cargo run --example tasks
//! curl -s localhost:8080/tasks                                    # a bare array of tasks
//! curl -s localhost:8080/tasks/2
//! curl -s localhost:8080/tasks/5 -d 'data={"name": "task5"}' -X PUT  # the task in JSON
//! curl -s -X PUT localhost:8080/tasks/4 -d name=task4              # or field by field
//! curl -s -X PUT localhost:8080/tasks/6 -F 'data={"name": "task6"};type=application/json'
//! curl -sN localhost:8080/tasks/watch        # each PUT's task from now on, a JSON line each
//! ```
//!
//! `watch` streams the changes to the list: every task a `PUT` stores, as it happens, sent
//! through protoapi's [`Rooms`] to each watcher on its own transport (a GraphQL subscription
//! `subscription { watch { id name } }`, a gRPC or Connect stream, SSE or NDJSON, or the
//! WebSocket).
//!
//! `ws://localhost:8080/ws/tasks` is one WebSocket for every method, each call's first frame
//! naming it: `{"id": 1, "method": "Get", "data": {"id": "2"}}`. `--print-asyncapi` prints its
//! AsyncAPI document.
//!
//! A web front end served from another origin calls it through CORS: `tower_http`'s
//! `CorsLayer`, added with [`protoapi::ServerBuilder::layer`], lets the origin given with
//! `--allow-origin` (default `http://localhost:5173`, a front-end dev server) read the answers
//! and send `PUT` with a form, and answers browsers' preflight requests. Other origins get
//! answers without CORS headers, which their browsers keep from the page.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use protoapi::{Rooms, Status, Streaming};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// A task.
#[protoapi::message]
pub struct Task {
    pub id: u32,
    pub name: String,
}

/// Every task, by id.
#[protoapi::message]
pub struct TaskList {
    pub tasks: Vec<Task>,
}

/// No parameters.
#[protoapi::message]
pub struct ListTasks {}

/// A task's id.
#[protoapi::message]
pub struct TaskId {
    pub id: u32,
}

/// No parameters: every change is watched.
#[protoapi::message]
pub struct WatchTasks {}

/// A task from a form: `PUT /tasks/5` with `data={"name": "task5"}`, or with `name=task5`.
#[protoapi::message]
pub struct PutTask {
    pub id: u32,
    #[validate(min_len = 1, max_len = 100)]
    pub name: String,
}

/// Tasks as REST resources.
#[protoapi::service(package = "tasks", graphql, websocket = "/ws/tasks")]
pub trait Tasks {
    /// Every task: over HTTP the list alone, `[{"id": 1, "name": "task1"}, ...]`.
    #[protoapi(get = "/tasks", response_body = "tasks")]
    async fn list(&self, req: ListTasks) -> Result<TaskList, Status>;
    /// One task; an unknown id is `not_found`.
    #[protoapi(get = "/tasks/:id")]
    async fn get(&self, req: TaskId) -> Result<Task, Status>;
    /// Creates or replaces a task; over HTTP the form field `data` carries it in JSON.
    #[protoapi(put = "/tasks/:id", status = 201, form = "data")]
    async fn put(&self, req: PutTask) -> Result<Task, Status>;
    /// Every task a `PUT` stores from now on, as it happens, until the client goes away.
    #[protoapi(get = "/tasks/watch")]
    async fn watch(&self, req: WatchTasks) -> Result<Streaming<Task>, Status>;
}

/// The room that every stored task is sent to, and the event it is sent as.
const CHANGES: &str = "tasks";

struct Store {
    tasks: Mutex<BTreeMap<u32, String>>,
    /// Where each `PUT` tells the watchers.
    rooms: Rooms,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, String>> {
        // A panic while holding the lock cannot leave the map half-changed: keep going.
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Tasks for Store {
    async fn list(&self, _req: ListTasks) -> Result<TaskList, Status> {
        let tasks = self
            .lock()
            .iter()
            .map(|(id, name)| Task {
                id: *id,
                name: name.clone(),
            })
            .collect();
        Ok(TaskList { tasks })
    }

    async fn get(&self, req: TaskId) -> Result<Task, Status> {
        match self.lock().get(&req.id) {
            Some(name) => Ok(Task {
                id: req.id,
                name: name.clone(),
            }),
            None => Err(Status::not_found(format!("no task {}", req.id))),
        }
    }

    async fn put(&self, req: PutTask) -> Result<Task, Status> {
        // `#[validate(min_len = 1, max_len = 100)]` has checked the name.
        self.lock().insert(req.id, req.name.clone());
        let task = Task {
            id: req.id,
            name: req.name,
        };
        self.rooms.to(CHANGES).emit(CHANGES, &task).await?;
        Ok(task)
    }

    async fn watch(&self, _req: WatchTasks) -> Result<Streaming<Task>, Status> {
        // Subscribed before the method answers: no change after that is missed.
        let mut changes = self.rooms.subscribe(CHANGES);
        let (sender, stream) = Streaming::channel(16);
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                if sender.send(change.decode::<Task>()).await.is_err() {
                    break; // the watcher went away
                }
            }
        });
        Ok(stream)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tasks = (1..=3).map(|id| (id, format!("task{id}"))).collect();
    let rooms = Rooms::new();
    let store = Store {
        tasks: Mutex::new(tasks),
        rooms: rooms.clone(),
    };
    let origin = common::option("--allow-origin")
        .unwrap_or_else(|| "http://localhost:5173".to_owned())
        .parse::<HeaderValue>()?;
    // A list, even of one: an answer names the origin only when the request came from it.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list([origin]))
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    common::run(
        protoapi::Server::builder()
            .rooms(rooms)
            .add(TasksServer::new(store))
            .openapi("/openapi.json")
            .layer(cors),
        &["--allow-origin"],
    )
    .await
}
