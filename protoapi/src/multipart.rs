//! `multipart/form-data` bodies of `#[form]` messages.

use axum::body::Body;
use http::{HeaderMap, StatusCode};
use tonic::Code;

use crate::__private::rest::Rejection;
use crate::message::ProtoMessage;

/// Merges a multipart body into `message`.
pub(crate) async fn merge<M: ProtoMessage>(
    _message: &mut M,
    _headers: &HeaderMap,
    _body: Body,
    _limit: usize,
) -> Result<(), Rejection> {
    Err(Rejection::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::InvalidArgument,
        "multipart/form-data is not accepted yet: send application/x-www-form-urlencoded"
            .to_owned(),
    ))
}
