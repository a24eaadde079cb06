//! Running a method for a GraphQL field: its arguments written as the request's proto3 JSON,
//! the method run as every message transport runs it, its answer read back as a GraphQL value,
//! and a failed call's `Status` as a GraphQL error with `extensions.code` and `details`.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ObjectAccessor};
use async_graphql::{Error, ErrorExtensions as _, Value};
use futures_util::Stream;
use http::{Extensions, HeaderMap};

use super::types::{EMPTY_FIELD, JSON_ARGUMENT, Types, is_json};
use crate::context::{Context, Transport};
use crate::method::{Answers, Encoding, ErasedMethod, Params, Payload, Requests, next};
use crate::schema::FieldType;
use crate::status::{Status, error_json, failed_code};

/// The HTTP request (or WebSocket handshake) a GraphQL operation came in, which every call it
/// makes shares as its [`Context`].
#[derive(Clone)]
pub(super) struct Request {
    pub(super) headers: Arc<HeaderMap>,
    pub(super) extensions: Arc<Extensions>,
}

/// One method as a GraphQL field runs it.
pub(super) struct Caller {
    pub(super) method: ErasedMethod,
    /// The request message.
    pub(super) input: &'static str,
    pub(super) types: Arc<Types>,
}

impl Caller {
    /// Runs a unary method with `request` and answers its reply as JSON.
    pub(super) async fn call(
        &self,
        ctx: &async_graphql::Context<'_>,
        request: String,
    ) -> Result<Value, Error> {
        let mut answers = self.start(ctx, request);
        match next(&mut answers).await {
            Some(Ok(payload)) => read_answer(payload),
            Some(Err(status)) => Err(graphql_error(&status)),
            None => Err(graphql_error(&Status::internal(
                "the method gave no answer",
            ))),
        }
    }

    fn start(&self, ctx: &async_graphql::Context<'_>, request: String) -> Answers {
        let context = match ctx.data_opt::<Request>() {
            Some(request) => Context::shared(
                Transport::GraphQl,
                request.headers.clone(),
                request.extensions.clone(),
            ),
            None => Context::new(Transport::GraphQl, HeaderMap::new(), Extensions::new()),
        };
        let requests = Requests {
            encoding: Encoding::Json,
            envelope: None,
            first: Some(Payload::Json(request)),
            rest: None,
            upload: None,
        };
        (self.method.run)(context, Arc::new(Params::default()), requests)
    }
}

/// The answers of a server-streaming method, each a GraphQL value; a failed call's error ends
/// them.
pub(super) async fn stream_values<'a>(
    caller: Arc<Caller>,
    ctx: &async_graphql::Context<'_>,
    request: String,
) -> Result<impl Stream<Item = Result<FieldValue<'a>, Error>> + Send + 'a, Error> {
    let answers = caller.start(ctx, request);
    Ok(futures_util::stream::unfold(
        Some(answers),
        |answers| async move {
            let mut answers = answers?;
            match next(&mut answers).await {
                Some(Ok(payload)) => {
                    Some((read_answer(payload).map(FieldValue::value), Some(answers)))
                }
                Some(Err(status)) => Some((Err(graphql_error(&status)), None)),
                None => None,
            }
        },
    ))
}

/// An answer's JSON read as a GraphQL value.
fn read_answer(payload: Payload) -> Result<Value, Error> {
    match payload {
        Payload::Json(text) => serde_json::from_str(&text)
            .map_err(|_| graphql_error(&Status::internal("failed to encode the answer"))),
        Payload::Frame(frame) => serde_json::from_str(frame.get())
            .map_err(|_| graphql_error(&Status::internal("failed to encode the answer"))),
        Payload::Proto(_) => Err(graphql_error(&Status::internal(
            "failed to encode the answer",
        ))),
    }
}

/// A field's arguments as the request's proto3 JSON: map arguments (lists of entries) become
/// JSON objects, at any depth.
pub(super) fn request_json(caller: &Caller, args: &ObjectAccessor<'_>) -> Result<String, Error> {
    if is_json(caller.input) {
        return Ok(match args.get(JSON_ARGUMENT) {
            Some(value) => value.as_value().clone().into_json()?.to_string(),
            None => "null".to_owned(),
        });
    }
    let mut object = serde_json::Map::new();
    for (name, value) in args.iter() {
        if name.as_str() == EMPTY_FIELD {
            continue;
        }
        object.insert(name.to_string(), value.as_value().clone().into_json()?);
    }
    let mut json = serde_json::Value::Object(object);
    entries_to_maps(&caller.types, caller.input, &mut json, 0);
    Ok(json.to_string())
}

/// How deep input messages nest before the rest is passed on as it is (the request's own
/// decoding bounds it).
const MAX_DEPTH: usize = 64;

/// Turns the map fields of `message` in `json` from GraphQL's lists of `{key, value}` entries
/// into proto3 JSON's objects.
fn entries_to_maps(types: &Types, message: &str, json: &mut serde_json::Value, depth: usize) {
    let (Some(message), serde_json::Value::Object(object)) = (types.messages.get(message), json)
    else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    object.remove(EMPTY_FIELD);
    for field in &message.fields {
        let Some(value) = object.get_mut(field.json_name) else {
            continue;
        };
        match &field.ty {
            FieldType::Map(_, inner) => {
                if let serde_json::Value::Array(entries) = value {
                    let mut map = serde_json::Map::new();
                    for entry in entries.drain(..) {
                        if let serde_json::Value::Object(mut entry) = entry {
                            let key = match entry.remove("key") {
                                Some(serde_json::Value::String(key)) => key,
                                Some(other) => other.to_string(),
                                None => continue,
                            };
                            let mut item = entry.remove("value").unwrap_or(serde_json::Value::Null);
                            if let FieldType::Message(name) = &**inner {
                                entries_to_maps(types, name, &mut item, depth + 1);
                            }
                            map.insert(key, item);
                        }
                    }
                    *value = serde_json::Value::Object(map);
                }
            }
            FieldType::Message(name) => match value {
                serde_json::Value::Array(items) => {
                    for item in items {
                        entries_to_maps(types, name, item, depth + 1);
                    }
                }
                item => entries_to_maps(types, name, item, depth + 1),
            },
            FieldType::Scalar(_) | FieldType::Enum(_) => {}
        }
    }
}

/// A failed call as a GraphQL error: its message, and `extensions.code` (`invalid_argument`)
/// and `extensions.details`, as in the JSON error body of every transport.
pub(super) fn graphql_error(status: &Status) -> Error {
    let code = crate::status::code_name(failed_code(status));
    let details = serde_json::from_str::<serde_json::Value>(&error_json(status))
        .ok()
        .and_then(|mut body| body.get_mut("details").map(serde_json::Value::take))
        .and_then(|details| Value::from_json(details).ok())
        .unwrap_or(Value::List(Vec::new()));
    Error::new(status.message()).extend_with(|_, extensions| {
        extensions.set("code", code);
        extensions.set("details", details.clone());
    })
}
