//! Request bodies and binding: the query, urlencoded forms, JSON, the path parameters.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::{FromRequestParts as _, RawPathParams};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tonic::Code;

use super::response::Rejection;
use crate::budget::{Charge, Exhausted, MemoryBudget};
use crate::codec::text::TextMessage;
use crate::compression::Compression;
use crate::limits::Limits;

/// A request body, by how the message takes it.
pub(super) enum BodyKind {
    /// A form; with the name of the form field that carries the message in JSON (`form`).
    Form(Body, Option<&'static str>),
    Json(Body),
}

/// Merges the query and a form body; reads a JSON body or the JSON of a form's `form` field
/// (for the caller to merge) and the path parameters (to merge after it).
pub(super) async fn bind_text(
    message: &mut (dyn TextMessage + Send),
    parts: &mut http::request::Parts,
    body: Option<BodyKind>,
    limits: Limits,
    compression: &Compression,
    upload_dir: Option<&std::path::Path>,
    budget: &MemoryBudget,
) -> Result<(Option<(Bytes, Charge)>, RawPathParams), Rejection> {
    if let Some(query) = parts.uri.query() {
        merge_pairs(
            message,
            query.as_bytes(),
            "query parameter",
            limits.fields_limit(),
            None,
        )?;
    }
    let json = match body {
        Some(BodyKind::Form(body, json_field)) => {
            let body = super::compression::inflate(&mut parts.headers, body, compression)?;
            merge_form_body(message, parts, body, json_field, limits, upload_dir, budget).await?
        }
        Some(BodyKind::Json(body)) => {
            let body = super::compression::inflate(&mut parts.headers, body, compression)?;
            check_json_content_type(&parts.headers)?;
            Some(read_body(&parts.headers, body, limits.body_limit(), budget).await?)
        }
        None => None,
    };
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|error| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidArgument,
                error.body_text(),
            )
        })?;
    Ok((json, params))
}

/// Merges the path parameters of the route.
pub(super) fn merge_path_params(
    message: &mut dyn TextMessage,
    params: &RawPathParams,
) -> Result<(), Rejection> {
    for (name, value) in params {
        message.merge_text(name, value).map_err(|error| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidArgument,
                format!("invalid path parameter `{name}`: {error}"),
            )
        })?;
    }
    Ok(())
}

/// Merges `key=value` pairs (a query string or an urlencoded form); unknown keys are ignored.
/// More than `most` pairs are refused before any is merged. The value of `json_field`, given
/// once, is returned instead of merged.
fn merge_pairs(
    message: &mut dyn TextMessage,
    text: &[u8],
    what: &str,
    most: usize,
    json_field: Option<&str>,
) -> Result<Option<Bytes>, Rejection> {
    let pairs = count_pairs(text);
    if pairs > most {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidArgument,
            format!("too many {what}s: {pairs}, the limit is {most}"),
        ));
    }
    let mut json = None;
    for (key, value) in form_urlencoded::parse(text) {
        if json_field == Some(&*key) {
            if json.replace(Bytes::from(value.into_owned())).is_some() {
                return Err(super::multipart::json_field_twice(&key));
            }
            continue;
        }
        message.merge_text(&key, &value).map_err(|error| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidArgument,
                format!("invalid {what} `{}`: {error}", crate::status::shown(&key)),
            )
        })?;
    }
    Ok(json)
}

/// How many `key=value` pairs a query or form has, at most: pairs are separated by `&`, and
/// empty pieces are no pairs.
pub(crate) fn count_pairs(text: &[u8]) -> usize {
    text.split(|&b| b == b'&').filter(|p| !p.is_empty()).count()
}

/// A form body: urlencoded (or absent; multipart in [`super::multipart`]). The value of
/// `json_field`, the field carrying the message in JSON, is returned with its charge.
async fn merge_form_body(
    message: &mut (dyn TextMessage + Send),
    parts: &http::request::Parts,
    body: Body,
    json_field: Option<&str>,
    limits: Limits,
    upload_dir: Option<&std::path::Path>,
    budget: &MemoryBudget,
) -> Result<Option<(Bytes, Charge)>, Rejection> {
    let (headers, limit) = (&parts.headers, limits.body_limit());
    match content_type_essence(headers).as_deref() {
        None | Some("application/x-www-form-urlencoded") => {
            let (bytes, charge) = read_body(headers, body, limit, budget).await?;
            let fields = limits.fields_limit();
            let json = merge_pairs(message, &bytes, "form field", fields, json_field)?;
            Ok(json.map(|json| (json, charge)))
        }
        // Boxed: its state is large, and would otherwise be room in every request's future.
        Some("multipart/form-data") => {
            Box::pin(super::multipart::merge(
                message, headers, body, json_field, limits, upload_dir, budget,
            ))
            .await
        }
        Some(_) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content type `{}`: this method accepts application/x-www-form-urlencoded or multipart/form-data",
                content_type_text(headers)
            ),
        )),
    }
}

/// The content type without parameters, in lowercase.
pub(crate) fn content_type_essence(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    headers.get(header::CONTENT_TYPE).map(|value| {
        let essence = value.to_str().map_or("", |value| {
            let end = value.bytes().position(|b| b == b';');
            // `;` is ASCII, so `end` is a character boundary.
            value[..end.unwrap_or(value.len())].trim_ascii()
        });
        // Lower case as sent (the usual case) is borrowed, not copied.
        if essence.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(essence.to_ascii_lowercase())
        } else {
            Cow::Borrowed(essence)
        }
    })
}

/// The content type as sent, for error messages.
pub(crate) fn content_type_text(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Accepts `application/json`, `application/*+json` or no content type; anything else is 415.
fn check_json_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let content_type = headers.get(header::CONTENT_TYPE);
    // What nearly every client sends, checked in one comparison.
    if content_type.is_none_or(|value| value.as_bytes() == b"application/json") {
        return Ok(());
    }
    match content_type_essence(headers).as_deref() {
        None | Some("application/json") => Ok(()),
        Some(v) if v.starts_with("application/") && v.ends_with("+json") => Ok(()),
        Some(_) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::InvalidArgument,
            format!(
                "unsupported content type `{}`: this method accepts application/json",
                content_type_text(headers)
            ),
        )),
    }
}

/// Reads a whole body of at most `limit` bytes; past it, 413 with the JSON error body. The
/// bytes are charged to the request's memory budget as they arrive (the declared length at
/// once), and given back when the returned charge is dropped; past the budget, 503.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    budget: &MemoryBudget,
) -> Result<(Bytes, Charge), Rejection> {
    let too_large = || {
        Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::ResourceExhausted,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let mut charge = budget.charge();
    let mut charged = 0;
    let mut body = Limited::new(body, limit);
    if let Some(len) = declared {
        // At most `limit`, checked above.
        charged = usize::try_from(len).unwrap_or(limit);
        if let Err(exhausted) = charge.grow(charged) {
            return Err(refuse(body, exhausted).await);
        }
    }
    let mut pieces: Vec<Bytes> = Vec::new();
    let mut size = 0;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) if error.is::<LengthLimitError>() => return Err(too_large()),
            Err(error) => {
                return Err(Rejection::new(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidArgument,
                    format!("failed to read the request body: {error}"),
                ));
            }
        };
        if let Ok(data) = frame.into_data() {
            size += data.len();
            if size > charged {
                if let Err(exhausted) = charge.grow(size - charged) {
                    drop(pieces);
                    return Err(refuse(body, exhausted).await);
                }
                charged = size;
            }
            pieces.push(data);
        }
    }
    let bytes = match pieces.len() {
        0 => Bytes::new(),
        1 => pieces.swap_remove(0),
        _ => {
            let mut joined = BytesMut::with_capacity(size);
            for piece in pieces {
                joined.extend_from_slice(&piece);
            }
            joined.freeze()
        }
    };
    Ok((bytes, charge))
}

/// The answer to a request that would cross the server's memory budget: 503, to try again
/// later.
#[cold]
pub(super) fn unavailable(exhausted: Exhausted) -> Rejection {
    Rejection::new(
        StatusCode::SERVICE_UNAVAILABLE,
        Code::ResourceExhausted,
        exhausted.to_string(),
    )
}

/// [`unavailable`] for a body. The rest of the body (within the body limit) is read and dropped first, so that an HTTP/1.1
/// client still sending it reads the answer rather than a reset connection.
#[cold]
async fn refuse(mut body: Limited<Body>, exhausted: Exhausted) -> Rejection {
    while let Some(Ok(_)) = body.frame().await {}
    unavailable(exhausted)
}
