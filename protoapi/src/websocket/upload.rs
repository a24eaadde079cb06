//! A call that sends its request's files in pieces, as the connection sees it: each piece is
//! checked (its field, the upload limit) and queued for the call's task, which spools it.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::Status;

use super::config::{FAILED_UPLOADS, UPLOAD_INBOX};
use super::frame::{Id, Incoming};
use crate::budget::MemoryBudget;
use crate::download::FileChunk;
use crate::method::{ErasedMethod, FileStart, Piece, Upload};
use crate::status::shown;

/// The upload of a call in progress.
pub(super) struct Uploading {
    /// Where the pieces go; `None` once the client ended the upload.
    sender: Option<mpsc::Sender<Piece>>,
    method: &'static str,
    fields: &'static [[&'static str; 2]],
    /// The bytes of every file so far.
    received: u64,
    limit: u64,
    /// Whether a file has been started, which a piece without `name` or `field` continues.
    open: bool,
    /// The server's memory budget, charged for the pieces waiting in the queue.
    budget: MemoryBudget,
}

impl Uploading {
    /// Starts the upload of a call to `method` with its first piece: the connection's side,
    /// and the call's (the pieces, as the method's requests receive them). `end` ends the
    /// upload with that piece.
    pub(super) fn start(
        method: &ErasedMethod,
        limit: u64,
        first: FileChunk,
        end: bool,
        threshold: usize,
        dir: Option<Arc<Path>>,
        budget: MemoryBudget,
    ) -> Result<(Uploading, Upload), Status> {
        if method.files.is_empty() {
            return Err(Status::invalid_argument(format!(
                "`{}` has no file fields: send its request in `data`, without `file`",
                method.name
            )));
        }
        if method.client_streaming {
            return Err(Status::invalid_argument(format!(
                "`{}` takes a stream of requests, which carry their files in `data`: only a \
                 method with one request takes files in pieces",
                method.name
            )));
        }
        let (sender, pieces) = mpsc::channel(UPLOAD_INBOX);
        let mut uploading = Uploading {
            sender: Some(sender),
            method: method.name,
            fields: method.files,
            received: 0,
            limit,
            open: false,
            budget: budget.clone(),
        };
        let piece = uploading.piece(first)?;
        if let Some(sender) = &uploading.sender {
            // The queue is new and empty: the first piece always fits.
            sender
                .try_send(piece)
                .map_err(|_| Status::internal("the upload's queue is full"))?;
        }
        if end {
            uploading.end();
        }
        let upload = Upload {
            pieces,
            threshold,
            dir,
            budget,
        };
        Ok((uploading, upload))
    }

    /// Checks a piece: a first piece names a field of the request (or sets a name, for its only
    /// file field); the files stay within the upload limit; the piece's bytes fit in the
    /// server's memory budget until they are spooled.
    pub(super) fn piece(&mut self, chunk: FileChunk) -> Result<Piece, Status> {
        let starts = !chunk.field.is_empty() || !chunk.name.is_empty();
        let start = if starts {
            let field = self.field(&chunk.field)?;
            if chunk.size > self.limit.saturating_sub(self.received) {
                return Err(self.too_large());
            }
            self.open = true;
            Some(FileStart {
                field,
                name: chunk.name,
                content_type: chunk.content_type,
            })
        } else if self.open {
            None
        } else {
            return Err(Status::invalid_argument(
                "a file piece without `name` or `field` continues a file, and none is in \
                 progress: the first piece of a file sets `name` or `field`",
            ));
        };
        self.received = self.received.saturating_add(chunk.data.len() as u64);
        if self.received > self.limit {
            return Err(self.too_large());
        }
        let mut charge = self.budget.charge();
        charge.grow(chunk.data.len())?;
        Ok(Piece {
            start,
            data: chunk.data,
            charge,
        })
    }

    /// Queues a checked piece; waits while the queue is full, so that the connection stops
    /// reading until the call's task has spooled what came before.
    pub(super) async fn send(&self, piece: Piece) {
        if let Some(sender) = &self.sender {
            // The call's task may have stopped: then it answers with its error.
            let _ = sender.send(piece).await;
        }
    }

    /// The client ended the upload: the last file ends, and the method runs.
    pub(super) fn end(&mut self) {
        self.sender = None;
    }

    /// Whether the client ended the upload.
    pub(super) fn ended(&self) -> bool {
        self.sender.is_none()
    }

    /// The proto name of the file field `name` (either spelling) names; the only one when
    /// `name` is empty.
    fn field(&self, name: &str) -> Result<&'static str, Status> {
        let known = || {
            self.fields
                .iter()
                .map(|[_, json]| format!("`{json}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if name.is_empty() {
            return match self.fields {
                [[proto, _]] => Ok(proto),
                _ => Err(Status::invalid_argument(format!(
                    "a file's first piece names its `field`: `{}` has several ({})",
                    self.method,
                    known()
                ))),
            };
        }
        self.fields
            .iter()
            .find(|names| names.contains(&name))
            .map(|[proto, _]| *proto)
            .ok_or_else(|| {
                Status::invalid_argument(format!(
                    "`{}` has no file field `{}`; its file fields are {}",
                    self.method,
                    shown(name),
                    known()
                ))
            })
    }

    fn too_large(&self) -> Status {
        Status::resource_exhausted(format!(
            "the files of the request are larger than the upload limit of {} bytes",
            self.limit
        ))
    }
}

/// The ids of uploads that failed before their client ended them, newest last: their further
/// `file` frames, and their `end`, are dropped, so that a client learns of the failure once.
#[derive(Default)]
pub(super) struct FailedUploads(VecDeque<Option<Id>>);

impl FailedUploads {
    /// Remembers a failed upload (forgetting the oldest past [`FAILED_UPLOADS`]).
    pub(super) fn remember(&mut self, key: Option<Id>) {
        if !self.0.contains(&key) {
            if self.0.len() >= FAILED_UPLOADS {
                self.0.pop_front();
            }
            self.0.push_back(key);
        }
    }

    /// Whether `frame` belongs to a failed upload and is dropped: its `file` frames until its
    /// `end`, that one included. Any other frame with its id starts a new call.
    pub(super) fn drops(&mut self, frame: &Incoming) -> bool {
        let Some(at) = self.0.iter().position(|key| *key == frame.id) else {
            return false;
        };
        let of_upload = frame.message.is_none() || frame.file.is_some();
        if !of_upload || frame.end {
            self.0.remove(at);
        }
        of_upload
    }
}
