//! RFC 9457 problem details: an HTTP call's error as `application/problem+json` when the
//! client's `Accept` prefers it or the server opts in ([`crate::ServerBuilder::problem_details`]).
//!
//! Every JSON error body is marked ([`ErrorBody`]) as it is made; [`Problems`], a layer around
//! the server's router, rewrites a marked response when its request asked for a problem. The
//! JSON error body stays the default. Connect's errors (the same shape) are unmarked at the
//! gRPC paths' gate, so they are never rewritten.

use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::{Either, Map};
use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use serde::Serialize;
use serde_json::{Map as JsonMap, Value};

/// The media type of a problem.
const PROBLEM_JSON: &str = "application/problem+json";

/// The JSON error body of a response (`{"code", "message", "details"}`), kept beside its body
/// so that [`Problems`] can rewrite it without reading the body.
#[derive(Clone, Debug)]
pub(crate) struct ErrorBody(pub(crate) Bytes);

/// A response whose error body is not to become a problem (Connect's, which shares the shape).
pub(crate) fn unmark(mut response: Response) -> Response {
    response.extensions_mut().remove::<ErrorBody>();
    response
}

/// The layer that answers errors as problems: always, or when the request's `Accept` prefers
/// `application/problem+json`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Problems {
    pub(crate) always: bool,
}

impl<S> tower::Layer<S> for Problems {
    type Service = ProblemService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProblemService {
            inner,
            always: self.always,
        }
    }
}

/// [`Problems`] around a service.
#[derive(Clone, Debug)]
pub(crate) struct ProblemService<S> {
    inner: S,
    always: bool,
}

/// What a response becomes once the request asked for a problem.
type ToProblem<E> = fn(Result<Response, E>) -> Result<Response, E>;

impl<S, B> tower::Service<Request<B>> for ProblemService<S>
where
    S: tower::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<S::Future, Map<S::Future, ToProblem<S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let wants = self.always || prefers_problem(request.headers());
        let answer = self.inner.call(request);
        if wants {
            let to_problem: ToProblem<S::Error> = |answer| answer.map(problem);
            Either::Right(answer.map(to_problem))
        } else {
            Either::Left(answer)
        }
    }
}

/// Whether `Accept` prefers a problem to plain JSON: it names `application/problem+json` with a
/// weight above 0, and `application/json` with no greater weight (or not at all).
pub(crate) fn prefers_problem(headers: &HeaderMap) -> bool {
    let mut problem: Option<f32> = None;
    let mut json: Option<f32> = None;
    let items = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for item in items {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let weight = match parts.find_map(|param| param.trim().strip_prefix("q=")) {
            None => 1.0,
            Some(q) => match q.trim().parse::<f32>() {
                Ok(q) if (0.0..=1.0).contains(&q) => q,
                // A weight that is not one is no preference.
                _ => continue,
            },
        };
        let slot = if media.eq_ignore_ascii_case(PROBLEM_JSON) {
            &mut problem
        } else if media.eq_ignore_ascii_case("application/json") {
            &mut json
        } else {
            continue;
        };
        *slot = Some(slot.map_or(weight, |was: f32| was.max(weight)));
    }
    problem.is_some_and(|problem| problem > 0.0 && json.is_none_or(|json| problem >= json))
}

/// A response with a marked error body, as a problem: `type` `about:blank`, the status's
/// `title`, the `status`, the message as `detail`, and the error's `code` and `details` as
/// extension members. Other responses are left as they are.
fn problem(mut response: Response) -> Response {
    let Some(ErrorBody(body)) = response.extensions_mut().remove::<ErrorBody>() else {
        return response;
    };
    let Ok(Value::Object(error)) = serde_json::from_slice::<Value>(&body) else {
        return response;
    };
    let body = problem_body(response.status(), error);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::CONTENT_ENCODING);
    *response.body_mut() = Body::from(body);
    response
}

/// The problem of an error body answered with `status`.
fn problem_body(status: StatusCode, mut error: JsonMap<String, Value>) -> String {
    /// RFC 9457's members, in its order, then protoapi's extension members.
    #[derive(Serialize)]
    struct Problem<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        title: &'a str,
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        details: Option<Value>,
    }
    let problem = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: error.remove("message"),
        code: error.remove("code"),
        details: error.remove("details"),
    };
    serde_json::to_string(&problem).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("a header"),
        );
        headers
    }

    #[test]
    fn a_problem_is_chosen_only_when_accept_prefers_it() {
        for prefers in [
            "application/problem+json",
            "application/json, application/problem+json",
            "application/problem+json, application/json;q=0.9",
            "APPLICATION/PROBLEM+JSON;q=0.5, text/html",
            "application/problem+json;q=0.8, application/json;q=0.8",
        ] {
            assert!(prefers_problem(&accept(prefers)), "{prefers}");
        }
        for not in [
            "",
            "*/*",
            "application/json",
            "application/problem+json;q=0",
            "application/problem+json;q=0.5, application/json",
            "application/problem+json;q=2",
            "application/problem+xml",
        ] {
            assert!(!prefers_problem(&accept(not)), "{not}");
        }
        assert!(!prefers_problem(&HeaderMap::new()));
    }

    #[test]
    fn an_error_body_becomes_a_problem_with_its_code_and_details() {
        let mut response = Response::new(Body::from("ignored"));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response.extensions_mut().insert(ErrorBody(Bytes::from_static(
            br#"{"code":"invalid_argument","message":"name must not be empty","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest"}]}"#,
        )));
        let response = problem(response);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = problem_body(
            StatusCode::BAD_REQUEST,
            serde_json::from_str(
                r#"{"code":"invalid_argument","message":"name must not be empty","details":[]}"#,
            )
            .expect("JSON"),
        );
        assert_eq!(
            body,
            r#"{"type":"about:blank","title":"Bad Request","status":400,"detail":"name must not be empty","code":"invalid_argument","details":[]}"#
        );
    }

    #[test]
    fn an_unmarked_response_is_left_alone() {
        let mut response = Response::new(Body::from("{}"));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let response = problem(response);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }
}
