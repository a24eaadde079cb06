//! Chunked uploads: the client stream `<Rpc>Chunks` of a unary method whose request has `#[file]`
//! fields. The request comes first (or not at all), then each file in [`FileChunk`] pieces,
//! received as they arrive into a [`File`] (in memory up to the spool threshold, a temporary file
//! past it): one stream message is held at a time, whatever the size of the files.

use std::future::Future;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tonic::Status;
use tonic_prost::ProstCodec;

use super::charged::charged;
use super::service::{CallFuture, grpc_context, observed, unimplemented};
use crate::budget::{MemoryBudget, ServerShare};
use crate::context::Context;
use crate::download::FileChunk;
use crate::file::{File, ReceiveError};
use crate::limits::Limits;
use crate::message::{MethodMessages, ProtoMessage};
use crate::observe::Names;
use crate::upload::{UploadChunk, UploadPart};
use crate::validate;

/// The most bytes of a file's name and content type together: they are kept in memory, outside
/// the upload limit, which counts the files' data.
const NAME_LIMIT: usize = 8 << 10;

/// Serves one chunked upload: `<Rpc>Chunks`, a stream of `<Rpc>Chunk` messages answered with
/// the method's response. `unimplemented` when the method's request has no `#[file]` fields.
pub fn upload<M: MethodMessages, S, F, Fut, B>(
    _: M,
    service: Arc<S>,
    limits: Limits,
    request: http::Request<B>,
    call: F,
) -> CallFuture
where
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<M::Response, Status>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send,
{
    if !M::Request::FILES {
        return unimplemented(request.uri().path());
    }
    observed(Names::of::<M>(), false, async move {
        let upload = UploadCall::<M, S, F> {
            service,
            call,
            limits,
            method: PhantomData,
        };
        let mut grpc = super::service::server(
            ProstCodec::<M::Response, UploadChunk<M::Request>>::default(),
            limits,
        );
        let request = charged(request, limits.body_limit());
        grpc.client_streaming(upload, request).await
    })
}

/// A chunked upload as tonic's `Grpc::client_streaming` serves it.
struct UploadCall<M, S, F> {
    service: Arc<S>,
    call: F,
    limits: Limits,
    method: PhantomData<fn() -> M>,
}

type BoxStatusFuture<T> = std::pin::Pin<Box<dyn Future<Output = Result<T, Status>> + Send>>;

impl<M, S, F, Fut> tonic::server::ClientStreamingService<UploadChunk<M::Request>>
    for UploadCall<M, S, F>
where
    M: MethodMessages,
    S: Send + Sync + 'static,
    F: FnOnce(Arc<S>, Context, M::Request) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<M::Response, Status>> + Send + 'static,
{
    type Response = M::Response;
    type Future = BoxStatusFuture<tonic::Response<M::Response>>;

    fn call(
        &mut self,
        request: tonic::Request<tonic::Streaming<UploadChunk<M::Request>>>,
    ) -> Self::Future {
        let (metadata, extensions, messages) = request.into_parts();
        let dir = extensions
            .get::<ServerShare>()
            .and_then(|share| share.upload_dir.clone());
        let budget = MemoryBudget::of(&extensions);
        let (service, call, limits) = (self.service.clone(), self.call.clone(), self.limits);
        Box::pin(async move {
            let message = receive::<M::Request>(messages, limits, dir.as_deref(), &budget).await?;
            validate::check(&message)?;
            let ctx = grpc_context(metadata, extensions);
            call(service, ctx, message).await.map(tonic::Response::new)
        })
    }
}

/// Reads the whole stream into the request: its request part, then each file into its field.
async fn receive<Req: ProtoMessage>(
    messages: tonic::Streaming<UploadChunk<Req>>,
    limits: Limits,
    dir: Option<&Path>,
    budget: &MemoryBudget,
) -> Result<Req, Status> {
    let mut pieces = Pieces {
        messages,
        ended: false,
        first: None,
        next: None,
        received: 0,
        limit: limits.upload_limit() as u64,
    };
    let mut request: Option<Req> = None;
    let mut files = 0usize;
    while let Some(part) = pieces.next_part().await? {
        let head = match part {
            UploadPart::Request(part) if files == 0 && request.is_none() => {
                request = Some(part);
                continue;
            }
            UploadPart::Request(_) if files > 0 => {
                return Err(Status::invalid_argument(
                    "the request part must come before the files",
                ));
            }
            UploadPart::Request(_) => {
                return Err(Status::invalid_argument("the request part was sent twice"));
            }
            UploadPart::File(head) => head,
        };
        files += 1;
        if files > limits.parts_limit() {
            return Err(Status::resource_exhausted(format!(
                "the upload has more than {} files",
                limits.parts_limit()
            )));
        }
        let field = file_field::<Req>(&head.field)?;
        let (name, content_type, size) = (head.name, head.content_type, head.size);
        if name.len() + content_type.len() > NAME_LIMIT {
            return Err(Status::resource_exhausted(format!(
                "the name and content type of a file are longer than the limit of {NAME_LIMIT} \
                 bytes"
            )));
        }
        if size > pieces.limit.saturating_sub(pieces.received) {
            return Err(pieces.too_large());
        }
        pieces.first = Some(head.data);
        let data = futures_util::stream::try_unfold(&mut pieces, |pieces| async move {
            Ok(pieces.next_data().await?.map(|data| (data, pieces)))
        });
        let file = File::receive(
            name,
            content_type,
            std::pin::pin!(data),
            limits.spool_threshold_bytes(),
            dir,
            Some(budget),
        )
        .await
        .map_err(|error| match error {
            ReceiveError::Stream(status) => status,
            ReceiveError::Budget(exhausted) => Status::from(exhausted),
            ReceiveError::Io(error) => {
                tracing::error!(%error, "failed to spool an upload");
                Status::internal("failed to store the upload")
            }
        })?;
        if size != 0 && file.size() != size {
            return Err(Status::invalid_argument(format!(
                "file `{}` declared {size} bytes and sent {}",
                crate::status::shown(file.name()),
                file.size()
            )));
        }
        if !request
            .get_or_insert_with(Req::default)
            .merge_file(field, file)
        {
            return Err(Status::internal("internal error"));
        }
    }
    Ok(request.unwrap_or_default())
}

/// The `#[file]` field a file part names: by its proto name, or the request's first one.
fn file_field<Req: ProtoMessage>(field: &str) -> Result<&'static str, Status> {
    let fields = Req::FILE_FIELDS;
    let found = match field {
        "" => fields.first(),
        field => fields.iter().find(|[proto, _]| *proto == field),
    };
    found.map(|[proto, _]| *proto).ok_or_else(|| {
        Status::invalid_argument(format!(
            "no file field `{}` in {}",
            crate::status::shown(field),
            Req::PROTO_NAME
        ))
    })
}

/// The stream's messages as parts, and the data of the file being received.
struct Pieces<Req> {
    messages: tonic::Streaming<UploadChunk<Req>>,
    ended: bool,
    /// The data of the piece that started the file being received.
    first: Option<Bytes>,
    /// A part read while receiving a file that is not more of it.
    next: Option<UploadPart<Req>>,
    /// Bytes of the files' data so far.
    received: u64,
    limit: u64,
}

impl<Req: prost::Message + Default> Pieces<Req> {
    /// The next part of the stream; `None` at its end.
    async fn next_part(&mut self) -> Result<Option<UploadPart<Req>>, Status> {
        if let Some(part) = self.next.take() {
            return Ok(Some(part));
        }
        if self.ended {
            return Ok(None);
        }
        match self.messages.message().await? {
            Some(UploadChunk { part: Some(part) }) => Ok(Some(part)),
            Some(UploadChunk { part: None }) => Err(Status::invalid_argument(
                "a message of the upload has neither a request nor a file part",
            )),
            None => {
                self.ended = true;
                Ok(None)
            }
        }
    }

    /// The next data of the file being received; `None` once a part starts something else.
    async fn next_data(&mut self) -> Result<Option<Bytes>, Status> {
        let data = match self.first.take() {
            Some(data) => data,
            None => match self.next_part().await? {
                Some(UploadPart::File(chunk)) if !starts_file(&chunk) => chunk.data,
                Some(part) => {
                    self.next = Some(part);
                    return Ok(None);
                }
                None => return Ok(None),
            },
        };
        self.count(data.len())?;
        Ok(Some(data))
    }

    /// Counts `bytes` more of the upload, refused past the upload limit.
    fn count(&mut self, bytes: usize) -> Result<(), Status> {
        self.received = self.received.saturating_add(bytes as u64);
        if self.received > self.limit {
            return Err(self.too_large());
        }
        Ok(())
    }

    fn too_large(&self) -> Status {
        Status::resource_exhausted(format!(
            "the upload is larger than the limit of {} bytes",
            self.limit
        ))
    }
}

/// Whether a piece starts the next file, as [`UploadChunk`] documents it: it names the file or
/// its field.
fn starts_file(chunk: &FileChunk) -> bool {
    !chunk.name.is_empty() || !chunk.field.is_empty()
}
