//! [`Upload`]: the files of a request sent in pieces, spooled as they arrive.
//!
//! The transport checks each piece (its field, the upload limit) and queues it; the call's task
//! receives the pieces and writes each file with [`File::receive`], in memory up to the spool
//! threshold and to a temporary file past it, as multipart does. A piece that starts a file
//! ends the previous one; the end of the queue ends the last.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use tokio::sync::mpsc;
use tonic::Status;

use crate::budget::{Charge, MemoryBudget};
use crate::file::{File, ReceiveError};

/// One piece of an upload, checked by the transport.
#[derive(Debug)]
pub(crate) struct Piece {
    /// Set on the first piece of a file: which field it fills, its name and content type.
    pub(crate) start: Option<FileStart>,
    /// The next bytes of the file.
    pub(crate) data: Bytes,
    /// The server's memory budget charged for `data` while the piece waits to be spooled.
    pub(crate) charge: Charge,
}

/// What the first piece of a file tells about it.
#[derive(Debug)]
pub(crate) struct FileStart {
    /// The `#[file]` field's proto name.
    pub(crate) field: &'static str,
    pub(crate) name: String,
    pub(crate) content_type: String,
}

/// The files of a call's request, as their pieces arrive.
#[derive(Debug)]
pub(crate) struct Upload {
    /// The pieces, in order; closed when the upload ends.
    pub(crate) pieces: mpsc::Receiver<Piece>,
    /// The size past which a file goes to a temporary file.
    pub(crate) threshold: usize,
    /// Where temporary files go; the system's temporary directory when `None`.
    pub(crate) dir: Option<Arc<Path>>,
    /// The server's memory budget, charged for what a file holds in memory before it spools.
    pub(crate) budget: MemoryBudget,
}

impl Upload {
    /// Receives every file, each into the field its first piece names. A temporary file is
    /// removed when the future is dropped midway.
    pub(crate) async fn receive(mut self) -> Result<Vec<(&'static str, File)>, Status> {
        let mut files = Vec::new();
        let mut next = self.pieces.recv().await;
        while let Some(piece) = next.take() {
            // The transport starts every upload with a file's first piece.
            let start = piece
                .start
                .ok_or_else(|| Status::internal("an upload's first piece does not start a file"))?;
            // A piece's bytes leave the budget as the spool takes them.
            drop(piece.charge);
            let mut first = Some(piece.data);
            let pieces = &mut self.pieces;
            let following = &mut next;
            let chunks = futures_util::stream::poll_fn(move |cx| {
                if let Some(data) = first.take() {
                    return Poll::Ready(Some(Ok::<_, Infallible>(data)));
                }
                match pieces.poll_recv(cx) {
                    Poll::Ready(Some(piece)) if piece.start.is_some() => {
                        *following = Some(piece);
                        Poll::Ready(None)
                    }
                    Poll::Ready(Some(piece)) => {
                        drop(piece.charge);
                        Poll::Ready(Some(Ok(piece.data)))
                    }
                    Poll::Ready(None) => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            });
            let file = File::receive(
                start.name,
                start.content_type,
                chunks,
                self.threshold,
                self.dir.as_deref(),
                Some(&self.budget),
            )
            .await
            .map_err(|error| match error {
                ReceiveError::Stream(never) => match never {},
                ReceiveError::Budget(exhausted) => Status::from(exhausted),
                ReceiveError::Io(error) => {
                    tracing::error!(%error, "failed to spool an upload");
                    Status::internal("failed to store the upload")
                }
            })?;
            files.push((start.field, file));
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(field: &'static str, name: &str) -> Option<FileStart> {
        Some(FileStart {
            field,
            name: name.to_owned(),
            content_type: "text/plain".to_owned(),
        })
    }

    #[tokio::test]
    async fn pieces_become_files_in_order_and_spool_past_the_threshold() {
        let dir = tempfile::tempdir().expect("temp dir");
        let budget = MemoryBudget::new(1 << 20);
        let (sender, pieces) = mpsc::channel(2);
        let upload = Upload {
            pieces,
            threshold: 8,
            dir: Some(Arc::from(dir.path())),
            budget: budget.clone(),
        };
        let receiving = tokio::spawn(upload.receive());
        let pieces = [
            (start("a", "one.txt"), "hello "),
            (None, "world"),
            (start("b", "two.txt"), "hi"),
            (start("b", "three.txt"), ""),
        ];
        for (start, data) in pieces {
            let mut charge = budget.charge();
            charge.grow(data.len()).expect("within the budget");
            let piece = Piece {
                start,
                data: Bytes::from_static(data.as_bytes()),
                charge,
            };
            sender.send(piece).await.expect("the upload listens");
        }
        drop(sender);
        let files = receiving.await.expect("the task").expect("the files");
        let got: Vec<(&str, &str, u64, bool)> = files
            .iter()
            .map(|(field, file)| (*field, file.name(), file.size(), file.is_spooled()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "one.txt", 11, true),
                ("b", "two.txt", 2, false),
                ("b", "three.txt", 0, false),
            ]
        );
        // Each piece gave its charge back once it was taken; a file kept in memory holds its
        // bytes' charge until it is dropped.
        assert_eq!((budget.used(), budget.peak() > 0), (2, true));
        assert_eq!(
            files[0].1.bytes().await.expect("read"),
            Bytes::from_static(b"hello world")
        );
        drop(files);
        assert_eq!(budget.used(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
