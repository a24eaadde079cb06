//! A [`Download`] over HTTP: `Content-Disposition`, ranges (206, 416), and the validators
//! (`ETag`, `Last-Modified`) with their conditional requests (304).

use std::io;
use std::time::SystemTime;

use crate::download::Download;

/// The request headers a download answers to.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct Conditions {
    range: Option<http::HeaderValue>,
    if_range: Option<http::HeaderValue>,
    if_none_match: Option<http::HeaderValue>,
    if_modified_since: Option<http::HeaderValue>,
}

impl Conditions {
    pub(crate) fn from_headers(headers: &http::HeaderMap) -> Self {
        use http::header;
        Conditions {
            range: headers.get(header::RANGE).cloned(),
            if_range: headers.get(header::IF_RANGE).cloned(),
            if_none_match: headers.get(header::IF_NONE_MATCH).cloned(),
            if_modified_since: headers.get(header::IF_MODIFIED_SINCE).cloned(),
        }
    }
}

impl Download {
    /// The HTTP response: the whole content, a range (206), not modified (304) or an
    /// unsatisfiable range (416).
    pub(crate) async fn into_response(
        self,
        conditions: Conditions,
        status: http::StatusCode,
    ) -> axum::response::Response {
        use axum::body::Body;
        use http::{HeaderValue, StatusCode, header};

        let mut headers = http::HeaderMap::new();
        let content_type = HeaderValue::from_str(self.content_type())
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let content_type = if self.content_type().is_empty() {
            HeaderValue::from_static("application/octet-stream")
        } else {
            content_type
        };
        headers.insert(header::CONTENT_TYPE, content_type);
        if let Ok(value) = HeaderValue::from_str(&content_disposition(self.name())) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }

        let validators = self
            .file_info()
            .map(|(size, modified)| (etag(size, modified), modified));
        if let Some((etag, modified)) = &validators {
            if let Ok(value) = HeaderValue::from_str(etag) {
                headers.insert(header::ETAG, value);
            }
            if let Some(modified) = modified
                && let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(*modified))
            {
                headers.insert(header::LAST_MODIFIED, value);
            }
            if not_modified(&conditions, etag, *modified) {
                return respond(StatusCode::NOT_MODIFIED, headers, Body::empty());
            }
        }

        let rangeable = self.rangeable();
        let size = self.size();
        if rangeable {
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        if let (true, Some(size), Some(range)) = (rangeable, size, conditions.range.as_ref()) {
            let if_range_holds = match &conditions.if_range {
                None => true,
                Some(value) => if_range_matches(value, validators.as_ref()),
            };
            if if_range_holds {
                match parse_range(range.as_bytes(), size) {
                    RangeRequest::Satisfiable(start, end) => {
                        let len = end - start + 1;
                        if let Ok(value) =
                            HeaderValue::from_str(&format!("bytes {start}-{end}/{size}"))
                        {
                            headers.insert(header::CONTENT_RANGE, value);
                        }
                        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
                        return match self.into_range_stream(start, len).await {
                            Ok(stream) => respond(
                                StatusCode::PARTIAL_CONTENT,
                                headers,
                                Body::from_stream(stream),
                            ),
                            Err(error) => read_failed(error),
                        };
                    }
                    RangeRequest::Unsatisfiable => {
                        if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                            headers.insert(header::CONTENT_RANGE, value);
                        }
                        headers.remove(header::CONTENT_TYPE);
                        let mut response = super::response::error_response(
                            StatusCode::RANGE_NOT_SATISFIABLE,
                            tonic::Code::OutOfRange,
                            &format!("the range is outside the file's {size} bytes"),
                        );
                        response.headers_mut().extend(headers);
                        return response;
                    }
                    RangeRequest::Ignored => {}
                }
            }
        }
        if let Some(size) = size {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
        respond(status, headers, Body::from_stream(self.into_stream()))
    }
}

fn respond(
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: axum::body::Body,
) -> axum::response::Response {
    let mut response = axum::response::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn read_failed(error: io::Error) -> axum::response::Response {
    tracing::error!(%error, "failed to read a download");
    super::response::error_response(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        tonic::Code::Internal,
        "failed to read the file",
    )
}

/// A strong validator from the size and the modification time.
fn etag(size: u64, modified: Option<SystemTime>) -> String {
    let since = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!(
        "\"{size:x}-{:x}-{:x}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// `If-None-Match` (any listed tag, weakly compared, or `*`), else `If-Modified-Since`.
fn not_modified(conditions: &Conditions, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(value) = &conditions.if_none_match {
        let Ok(value) = value.to_str() else {
            return false;
        };
        let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
        return value.trim() == "*" || value.split(',').any(|tag| opaque(tag) == opaque(etag));
    }
    match (&conditions.if_modified_since, modified) {
        (Some(value), Some(modified)) => value
            .to_str()
            .ok()
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| truncate_to_seconds(modified) <= since),
        _ => false,
    }
}

fn truncate_to_seconds(time: SystemTime) -> SystemTime {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(since.as_secs()),
        Err(_) => time,
    }
}

/// `If-Range`: an entity tag must match strongly, a date must equal `Last-Modified`.
fn if_range_matches(
    value: &http::HeaderValue,
    validators: Option<&(String, Option<SystemTime>)>,
) -> bool {
    let (Ok(value), Some((etag, modified))) = (value.to_str(), validators) else {
        return false;
    };
    let value = value.trim();
    if value.starts_with('"') {
        return value == etag;
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), modified) {
        (Ok(date), Some(modified)) => truncate_to_seconds(*modified) == date,
        _ => false,
    }
}

/// What a `Range` header asks of a resource of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// The inclusive byte range to send.
    Satisfiable(u64, u64),
    /// No byte of it exists: 416.
    Unsatisfiable,
    /// Not a single byte range this server honours (several ranges, another unit, bad syntax):
    /// the whole content is sent, as RFC 9110 allows.
    Ignored,
}

/// Parses `bytes=0-99`, `bytes=100-` or `bytes=-100`.
pub(crate) fn parse_range(header: &[u8], size: u64) -> RangeRequest {
    let Ok(text) = std::str::from_utf8(header) else {
        return RangeRequest::Ignored;
    };
    let Some(spec) = text.trim().strip_prefix("bytes=") else {
        return RangeRequest::Ignored;
    };
    if spec.contains(',') {
        return RangeRequest::Ignored;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Ignored;
    };
    let number = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(n) if size == 0 => {
                let _ = n;
                RangeRequest::Unsatisfiable
            }
            Some(n) => RangeRequest::Satisfiable(size.saturating_sub(n), size - 1),
            None => RangeRequest::Ignored,
        },
        // bytes=N-: from N to the end.
        (false, true) => match number(first) {
            Some(start) if start < size => RangeRequest::Satisfiable(start, size - 1),
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Ignored,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start > end => RangeRequest::Ignored,
            (Some(start), Some(_)) if start >= size => RangeRequest::Unsatisfiable,
            (Some(start), Some(end)) => RangeRequest::Satisfiable(start, end.min(size - 1)),
            _ => RangeRequest::Ignored,
        },
        (true, true) => RangeRequest::Ignored,
    }
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266),
/// from the name reduced to one safe path component: no path, no control characters, no quote
/// or backslash in the fallback, so no header injection.
pub(crate) fn content_disposition(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 8187 attr-char, less what must be encoded.
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let name = crate::file::sanitize_file_name(name);
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(&name, ATTR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::{RangeRequest, content_disposition, parse_range};

    #[test]
    fn ranges() {
        use RangeRequest::*;
        let cases: &[(&str, RangeRequest)] = &[
            ("bytes=0-99", Satisfiable(0, 99)),
            ("bytes=100-", Satisfiable(100, 999)),
            ("bytes=-100", Satisfiable(900, 999)),
            ("bytes=-5000", Satisfiable(0, 999)),
            ("bytes=990-2000", Satisfiable(990, 999)),
            ("bytes=1000-", Unsatisfiable),
            ("bytes=1000-1001", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=5-1", Ignored),
            ("bytes=0-1,5-6", Ignored),
            ("items=0-1", Ignored),
            ("bytes=a-b", Ignored),
            ("bytes=-", Ignored),
            ("bytes=+1-2", Ignored),
        ];
        for (header, expected) in cases {
            assert_eq!(&parse_range(header.as_bytes(), 1000), expected, "{header}");
        }
        assert_eq!(parse_range(b"bytes=0-", 0), Unsatisfiable);
    }

    #[test]
    fn dispositions_cannot_inject_headers() {
        assert_eq!(
            content_disposition("星际穿越.txt"),
            "attachment; filename=\"____.txt\"; filename*=UTF-8''%E6%98%9F%E9%99%85%E7%A9%BF%E8%B6%8A.txt"
        );
        assert_eq!(
            content_disposition("a\"b\r\nSet-Cookie: x=1.txt"),
            "attachment; filename=\"a_b__Set-Cookie_ x=1.txt\"; filename*=UTF-8''a_b__Set-Cookie_%20x%3D1.txt"
        );
        assert_eq!(
            content_disposition("../../etc/passwd"),
            "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"
        );
    }
}
