//! The student CRUD service of the Go protoapi demo, with an in-memory store.
//!
//! ```sh
//! cargo run --example student
//! curl -s localhost:8080/demo/students -H 'content-type: application/json' -d '{"sno":"1","name":"Ann","age":20}'
//! curl -s localhost:8080/demo/students/1
//! curl -s 'localhost:8080/demo/students?search=an&field=age&desc=true'
//! ```
//!
//! <http://localhost:8080/docs> is the interactive page of its OpenAPI document (Swagger UI):
//! every route, and "Try it out" calls this server.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use protoapi::Status;

/// A student.
#[protoapi::message]
pub struct Student {
    /// Student number; `add` assigns the next one when it is 0.
    pub sno: u64,
    #[validate(max_len = 50)]
    pub name: String,
    #[validate(max = 150)]
    pub age: u32,
    pub male: bool,
    pub desc: String,
}

/// A page of students.
#[protoapi::message]
pub struct AllReq {
    /// The first result to return (0-based).
    #[validate(min = 0)]
    pub from: i32,
    /// How many to return (default 10, at most 100).
    #[validate(min = 0, max = 100)]
    pub size: i32,
    /// Only students whose name or description contains this text.
    pub search: String,
    /// Sort by `sno` (default), `name` or `age`.
    pub field: String,
    /// Sort in descending order.
    pub desc: bool,
}

/// A page of students and how many matched.
#[protoapi::message]
pub struct AllRsp {
    pub total: i32,
    pub data: Vec<Student>,
}

/// Students: create, read, update, delete, list.
#[protoapi::service(package = "demo", graphql)]
pub trait StudentService {
    /// Adds a student; an existing number is `already_exists`.
    #[protoapi(post = "/demo/students", status = 201)]
    async fn add(&self, req: Student) -> Result<Student, Status>;
    /// Deletes a student and answers it.
    #[protoapi(delete = "/demo/students/:sno")]
    async fn del(&self, req: Student) -> Result<Student, Status>;
    /// Replaces a student.
    #[protoapi(put = "/demo/students/:sno")]
    async fn upd(&self, req: Student) -> Result<Student, Status>;
    /// One student.
    #[protoapi(get = "/demo/students/:sno", wbsk = "/demo/student/ws")]
    async fn get(&self, req: Student) -> Result<Student, Status>;
    /// A page of students, filtered and sorted.
    #[protoapi(get = "/demo/students")]
    async fn all(&self, req: AllReq) -> Result<AllRsp, Status>;
}

struct Store {
    students: Mutex<BTreeMap<u64, Student>>,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Student>> {
        self.students
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn not_found(sno: u64) -> Status {
    Status::not_found(format!("no student {sno}"))
}

impl StudentService for Store {
    async fn add(&self, mut req: Student) -> Result<Student, Status> {
        if req.name.is_empty() {
            return Err(Status::invalid_argument("name must not be empty"));
        }
        let mut students = self.lock();
        if req.sno == 0 {
            let next = students
                .keys()
                .next_back()
                .map_or(Some(1), |last| last.checked_add(1));
            req.sno = next.ok_or_else(|| Status::out_of_range("no student number is left"))?;
        }
        if students.contains_key(&req.sno) {
            return Err(Status::already_exists(format!(
                "student {} exists",
                req.sno
            )));
        }
        students.insert(req.sno, req.clone());
        Ok(req)
    }

    async fn del(&self, req: Student) -> Result<Student, Status> {
        self.lock()
            .remove(&req.sno)
            .ok_or_else(|| not_found(req.sno))
    }

    async fn upd(&self, req: Student) -> Result<Student, Status> {
        match self.lock().get_mut(&req.sno) {
            Some(student) => {
                *student = req.clone();
                Ok(req)
            }
            None => Err(not_found(req.sno)),
        }
    }

    async fn get(&self, req: Student) -> Result<Student, Status> {
        self.lock()
            .get(&req.sno)
            .cloned()
            .ok_or_else(|| not_found(req.sno))
    }

    async fn all(&self, req: AllReq) -> Result<AllRsp, Status> {
        let from = usize::try_from(req.from)
            .map_err(|_| Status::invalid_argument("from must not be negative"))?;
        let size = match req.size {
            0 => 10,
            1..=100 => req.size as usize,
            _ => return Err(Status::invalid_argument("size is 1 to 100")),
        };
        let mut data: Vec<Student> = self
            .lock()
            .values()
            .filter(|s| {
                req.search.is_empty()
                    || s.name.contains(&req.search)
                    || s.desc.contains(&req.search)
            })
            .cloned()
            .collect();
        match req.field.as_str() {
            "" | "sno" => data.sort_by_key(|s| s.sno),
            "name" => data.sort_by(|a, b| a.name.cmp(&b.name).then(a.sno.cmp(&b.sno))),
            "age" => data.sort_by_key(|s| (s.age, s.sno)),
            other => {
                return Err(Status::invalid_argument(format!(
                    "cannot sort by `{other}`: use sno, name or age"
                )));
            }
        }
        if req.desc {
            data.reverse();
        }
        let total = i32::try_from(data.len()).unwrap_or(i32::MAX);
        let data = data.into_iter().skip(from).take(size).collect();
        Ok(AllRsp { total, data })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = Store {
        students: Mutex::new(BTreeMap::new()),
    };
    common::run(
        protoapi::Server::builder()
            .add(StudentServiceServer::new(store))
            .openapi("/openapi.json")
            .docs("/docs"),
        &[],
    )
    .await
}
