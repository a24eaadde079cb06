//! `multipart/form-data` bodies of `#[form]` messages, on multer.
//!
//! Text parts are form fields, read with the key rules of the query string; file parts (parts
//! with a file name) go to the `#[file]` field of their name, streamed: in memory up to the spool
//! threshold, to a temporary file past it. The part named by the method's `form` carries the
//! message in JSON. The whole body is bounded by the method's limit.

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use tonic::Code;

use super::response::Rejection;
use crate::budget::{Charge, MemoryBudget};
use crate::codec::text::TextMessage;
use crate::file::{File, ReceiveError};
use crate::limits::Limits;

/// The largest text part: form fields are small, files go to `#[file]` fields.
const TEXT_PART_LIMIT: usize = 1 << 20;

/// Merges a multipart body into `message`. Its text parts, and each file while it is in memory,
/// are charged to `budget`. The part named `json_field` (text or file: a browser sends a `Blob`
/// as a file) is returned, with the charge of the text parts, for the caller to merge as JSON;
/// like a JSON body it is bounded by the body limit.
pub(crate) async fn merge(
    message: &mut (dyn TextMessage + Send),
    headers: &HeaderMap,
    body: Body,
    json_field: Option<&str>,
    limits: Limits,
    upload_dir: Option<&std::path::Path>,
    budget: &MemoryBudget,
) -> Result<Option<(Bytes, Charge)>, Rejection> {
    let limit = limits.upload_limit();
    // The text parts, held until the message is bound.
    let mut texts = budget.charge();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            "invalid multipart body: the content type has no boundary".to_owned(),
        )
    })?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit as u64));
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let (mut parts, mut fields) = (0usize, 0usize);
    let mut json = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        parts += 1;
        if parts > limits.parts_limit() {
            return Err(Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::ResourceExhausted,
                format!(
                    "the multipart body has more than {} parts",
                    limits.parts_limit()
                ),
            ));
        }
        let name = field.name().unwrap_or_default().to_owned();
        // How an error names the field: never longer than a short quote.
        let quoted = || crate::status::shown(&name);
        if json_field == Some(name.as_str()) {
            count_field(&mut fields, limits)?;
            let part = read_part(&mut field, &name, limits.body_limit(), &mut texts, limit).await?;
            if json.replace(Bytes::from(part)).is_some() {
                return Err(json_field_twice(&name));
            }
        } else if let Some(file_name) = field.file_name() {
            let file_name = file_name.to_owned();
            let content_type = field
                .content_type()
                .map(|m| m.to_string())
                .unwrap_or_default();
            let file = File::receive(
                file_name,
                content_type,
                &mut field,
                limits.spool_threshold_bytes(),
                upload_dir,
                Some(budget),
            )
            .await
            .map_err(|error| match error {
                ReceiveError::Stream(error) => multipart_error(error, limit),
                ReceiveError::Budget(exhausted) => super::body::unavailable(exhausted),
                ReceiveError::Io(error) => {
                    tracing::error!(%error, "failed to spool an upload");
                    Rejection::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Code::Internal,
                        "failed to store the upload".to_owned(),
                    )
                }
            })?;
            message.merge_file(&name, file);
        } else {
            count_field(&mut fields, limits)?;
            let text = read_part(&mut field, &name, TEXT_PART_LIMIT, &mut texts, limit).await?;
            let text = String::from_utf8(text).map_err(|_| {
                Rejection::new(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    format!("invalid form field `{}`: not UTF-8", quoted()),
                )
            })?;
            message.merge_text(&name, &text).map_err(|error| {
                Rejection::new(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    format!("invalid form field `{}`: {error}", quoted()),
                )
            })?;
        }
    }
    Ok(json.map(|json| (json, texts)))
}

/// Counts one more form field, refusing one past the limit.
fn count_field(fields: &mut usize, limits: Limits) -> Result<(), Rejection> {
    *fields += 1;
    if *fields > limits.fields_limit() {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            format!("too many form fields: more than {}", limits.fields_limit()),
        ));
    }
    Ok(())
}

/// Reads the part `name` whole: at most `most` bytes, charged to `charge`; `limit` is the
/// body's, for the error of a body past it.
async fn read_part(
    field: &mut multer::Field<'_>,
    name: &str,
    most: usize,
    charge: &mut Charge,
    limit: usize,
) -> Result<Vec<u8>, Rejection> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        if text.len() + chunk.len() > most {
            return Err(Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::ResourceExhausted,
                format!(
                    "form field `{}` is larger than the limit of {most} bytes",
                    crate::status::shown(name)
                ),
            ));
        }
        charge.grow(chunk.len()).map_err(super::body::unavailable)?;
        text.extend_from_slice(&chunk);
    }
    Ok(text)
}

/// The answer to a form that gives the field carrying the message in JSON more than once.
#[cold]
pub(super) fn json_field_twice(name: &str) -> Rejection {
    Rejection::new(
        StatusCode::BAD_REQUEST,
        Code::InvalidArgument,
        format!(
            "invalid form field `{}`: it carries the request in JSON, and is given more than once",
            crate::status::shown(name)
        ),
    )
}

fn multipart_error(error: multer::Error, limit: usize) -> Rejection {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            Rejection::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::ResourceExhausted,
                format!("request body is larger than the limit of {limit} bytes"),
            )
        }
        other => Rejection::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            format!("invalid multipart body: {other}"),
        ),
    }
}
