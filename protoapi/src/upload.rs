//! [`UploadChunk`]: one message of a chunked upload over gRPC, the mirror of a download.

use bytes::{Buf, BufMut, Bytes};
use prost::DecodeError;
use prost::encoding::{DecodeContext, WireType, message, skip_field};

use crate::download::{CHUNK_SIZE, FileChunk};
use crate::message::{MethodMessages, ProtoMessage as _};

/// One message of the client stream `<Rpc>Chunks` that gRPC serves beside every unary method
/// whose request has `#[file]` fields: the request without its files (at most once, first),
/// then each file as [`FileChunk`] pieces. On the wire it is the method's own message:
///
/// ```proto
/// message UploadChunk {
///   oneof part {
///     UploadReq request = 1;
///     protoapi.FileChunk file = 2;
///   }
/// }
/// rpc UploadChunks(stream UploadChunk) returns (UploadRsp);
/// ```
///
/// The first `file` piece starts a file; a later one that sets `name` or `field` starts the
/// next; any other adds its `data` to the file being sent. `field` names the `#[file]` field
/// the file fills (empty: the request's first one). A Rust client sends it with
/// [`upload_chunks`](crate::upload_chunks):
///
/// ```
/// # #[protoapi::message] #[form] pub struct UploadReq { #[file] pub test_file: protoapi::File, pub note: String }
/// use protoapi::UploadChunk;
///
/// let request = UploadReq { note: "spring".into(), ..UploadReq::default() };
/// let chunks: Vec<UploadChunk<UploadReq>> = std::iter::once(UploadChunk::request(request))
///     .chain(UploadChunk::file_pieces("", "a.txt", "text/plain", vec![7u8; 100_000]))
///     .collect();
/// assert_eq!(chunks.len(), 3); // the request, then the file in two pieces of at most 64 KiB
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UploadChunk<Req> {
    /// The `oneof part`; `None` is a message with neither part, which the server refuses.
    pub part: Option<UploadPart<Req>>,
}

/// The part an [`UploadChunk`] carries.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadPart<Req> {
    /// The request, without its files (field 1).
    Request(Req),
    /// A piece of a file (field 2).
    File(FileChunk),
}

impl<Req> Default for UploadChunk<Req> {
    fn default() -> Self {
        UploadChunk { part: None }
    }
}

impl<Req> UploadChunk<Req> {
    /// The request part: the request's fields other than its files.
    pub fn request(request: Req) -> Self {
        UploadChunk {
            part: Some(UploadPart::Request(request)),
        }
    }

    /// A file part.
    pub fn file(chunk: FileChunk) -> Self {
        UploadChunk {
            part: Some(UploadPart::File(chunk)),
        }
    }

    /// One file as pieces of at most 64 KiB: the first names the file and its `#[file]` field
    /// (`""`: the request's first one) and carries its size.
    pub fn file_pieces(
        field: impl Into<String>,
        name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> impl Iterator<Item = Self> + Send + 'static
    where
        Req: Send + 'static,
    {
        let data: Bytes = data.into();
        let mut head = Some(FileChunk {
            name: name.into(),
            content_type: content_type.into(),
            size: data.len() as u64,
            data: Bytes::new(),
            field: field.into(),
        });
        let len = data.len();
        (0..len.div_ceil(CHUNK_SIZE).max(1)).map(move |i| {
            let data = data.slice(i * CHUNK_SIZE..((i + 1) * CHUNK_SIZE).min(len));
            let chunk = match head.take() {
                Some(head) => FileChunk { data, ..head },
                None => FileChunk {
                    data,
                    ..FileChunk::default()
                },
            };
            UploadChunk::file(chunk)
        })
    }
}

impl<Req> prost::Message for UploadChunk<Req>
where
    Req: prost::Message + Default,
{
    fn encode_raw(&self, buf: &mut impl BufMut) {
        match &self.part {
            Some(UploadPart::Request(request)) => message::encode(1, request, buf),
            Some(UploadPart::File(chunk)) => message::encode(2, chunk, buf),
            None => {}
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        // As prost merges a oneof: the same member again merges into it, another replaces it.
        match tag {
            1 => match &mut self.part {
                Some(UploadPart::Request(request)) => message::merge(wire_type, request, buf, ctx),
                _ => {
                    let mut request = Req::default();
                    message::merge(wire_type, &mut request, buf, ctx)?;
                    self.part = Some(UploadPart::Request(request));
                    Ok(())
                }
            },
            2 => match &mut self.part {
                Some(UploadPart::File(chunk)) => message::merge(wire_type, chunk, buf, ctx),
                _ => {
                    let mut chunk = FileChunk::default();
                    message::merge(wire_type, &mut chunk, buf, ctx)?;
                    self.part = Some(UploadPart::File(chunk));
                    Ok(())
                }
            },
            _ => skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        match &self.part {
            Some(UploadPart::Request(request)) => message::encoded_len(1, request),
            Some(UploadPart::File(chunk)) => message::encoded_len(2, chunk),
            None => 0,
        }
    }

    fn clear(&mut self) {
        self.part = None;
    }
}

/// Whether the method `M` has a chunked upload (its request has `#[file]` fields), registering
/// `protoapi.FileChunk` when it has.
pub fn register_upload<M: MethodMessages>(registry: &mut crate::schema::Registry) -> bool {
    if M::Request::FILES {
        crate::message::register_message::<FileChunk>(registry);
    }
    M::Request::FILES
}

/// The name of the chunked form of the rpc `rpc`: `Upload` → `UploadChunks`.
pub(crate) fn chunks_rpc(rpc: &str) -> String {
    format!("{rpc}Chunks")
}

/// The name of the message of the chunked form of the rpc `rpc`: `Upload` → `UploadChunk`.
pub(crate) fn chunk_message(rpc: &str) -> String {
    format!("{rpc}Chunk")
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::{UploadChunk, UploadPart};
    use crate::download::FileChunk;

    #[test]
    fn parts_round_trip_and_the_last_member_wins() {
        let chunk = FileChunk {
            name: "a.txt".into(),
            data: bytes::Bytes::from_static(b"hello"),
            field: "more".into(),
            ..FileChunk::default()
        };
        let file = UploadChunk::<FileChunk>::file(chunk.clone());
        let bytes = file.encode_to_vec();
        assert_eq!(bytes.len(), file.encoded_len());
        assert_eq!(UploadChunk::<FileChunk>::decode(&*bytes), Ok(file.clone()));

        // A request part, then a file part in the same message: the file replaces it.
        let mut both = UploadChunk::request(FileChunk::default()).encode_to_vec();
        both.extend(file.encode_to_vec());
        assert_eq!(UploadChunk::<FileChunk>::decode(&*both), Ok(file));

        // Neither part, and an unknown field skipped.
        let empty = UploadChunk::<FileChunk>::decode(&[0x18, 0x01][..]).expect("decodes");
        assert_eq!(empty.part, None::<UploadPart<FileChunk>>);
    }

    #[test]
    fn file_pieces_name_the_file_once() {
        let pieces: Vec<_> =
            UploadChunk::<FileChunk>::file_pieces("more", "b.bin", "", vec![1u8; 150_000])
                .collect();
        let chunks: Vec<&FileChunk> = pieces
            .iter()
            .map(|p| match &p.part {
                Some(UploadPart::File(chunk)) => chunk,
                other => panic!("not a file part: {other:?}"),
            })
            .collect();
        let sizes: Vec<usize> = chunks.iter().map(|c| c.data.len()).collect();
        assert_eq!(sizes, [65_536, 65_536, 18_928]);
        assert_eq!(
            (
                chunks[0].name.as_str(),
                chunks[0].field.as_str(),
                chunks[0].size
            ),
            ("b.bin", "more", 150_000)
        );
        assert!(
            chunks[1..]
                .iter()
                .all(|c| c.name.is_empty() && c.field.is_empty())
        );
        // An empty file is one piece that names it.
        assert_eq!(
            UploadChunk::<FileChunk>::file_pieces("", "e", "", Vec::new()).count(),
            1
        );
    }
}
