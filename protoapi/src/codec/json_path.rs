//! Where in a JSON document a decoding error happened, as a field path (`items[2].name`).
//!
//! serde_json reports the line and column where it stopped. Scanning the document up to that
//! point tells which object keys and array indexes were open there: the path. This costs
//! nothing while decoding succeeds and needs no second, path-tracking instantiation of every
//! message's decoder (as `serde_path_to_error` would: one per message type and deserializer).
//!
//! The path names the value whose decoding failed, as the decoder saw it:
//! - a value that was being read when the error came (`{"n": "x"}` with `n` a number: `n`);
//! - not a key that was read but whose value had not begun (an invalid map key, say: the path
//!   is the map's);
//! - not a value already read when the parser failed on what follows it (`{"a": 1` ends
//!   too early: no path).

use std::ops::Range;

/// The path of the value `error` was raised in, for a document decoded from `bytes` by
/// `serde_json::Deserializer::from_slice`; empty when the error is at the top level or has no
/// position.
pub fn error_path(bytes: &[u8], error: &serde_json::Error) -> String {
    if error.line() == 0 {
        return String::new();
    }
    let Some(offset) = offset_of(bytes, error.line(), error.column()) else {
        return String::new();
    };
    let text = error.to_string();
    let after_value = in_value_error(error, &text);
    // An error at the end of input has read no byte that ends a number or literal.
    let (mut frames, deeper) = scan(&bytes[..offset], after_value && !error.is_eof());
    let data_error = !error.is_syntax() && !error.is_eof();
    let trailing_comma = text.starts_with("trailing comma");
    if !deeper && data_error && rejects_container(&frames, &bytes[offset..], &text) {
        // The object or array just opened is the value that was refused as a whole.
        frames.pop();
    }
    let mut path = String::new();
    let last = frames.len().saturating_sub(1);
    for (i, frame) in frames.iter().enumerate() {
        let included = i < last
            || match frame.state {
                State::BeforeKey | State::InKey | State::AfterKey => false,
                // After an object's `:` the value's decoder has begun. After an array's `[` or
                // `,` the array's own errors are the end of input and `]` after `,`; any other
                // is the next element's (its decoder looked at its first byte).
                State::BeforeValue => {
                    frame.kind == Kind::Object || !(error.is_eof() || trailing_comma)
                }
                State::InValue => true,
                State::AfterValue => after_value,
            };
        if !included {
            break;
        }
        match (&frame.kind, &frame.key) {
            (Kind::Array, _) => path.push_str(&format!("[{}]", frame.index)),
            (Kind::Object, Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key_text(&bytes[key.clone()]));
            }
            (Kind::Object, None) => break,
        }
    }
    if deeper || path.len() > MAX_PATH {
        let mut end = path.len().min(MAX_PATH);
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        path.truncate(end);
        path.push('…');
    }
    path
}

/// The deepest path a scan follows: past it, the path ends with `…`. (serde_json itself
/// refuses more than 128 levels of known fields, but skips unknown values of any depth.)
const MAX_DEPTH: usize = 32;

/// The longest path written, in bytes (keys can be long).
const MAX_PATH: usize = 256;

/// Whether a wrong-type error names the object or array that was just opened, not an element
/// that is about to begin: a decoder that takes any value opens it before it refuses it, while
/// an element's decoder refuses it by its first byte, which comes next.
fn rejects_container(frames: &[Frame], rest: &[u8], message: &str) -> bool {
    let Some(frame) = frames.last() else {
        return false;
    };
    let (refused, opener) = match frame.kind {
        Kind::Array => ("invalid type: sequence", b'['),
        Kind::Object => ("invalid type: map", b'{'),
    };
    let just_opened = match frame.kind {
        Kind::Array => frame.state == State::BeforeValue && frame.index == 0,
        Kind::Object => frame.state == State::BeforeKey && frame.key.is_none(),
    };
    let next = rest.iter().find(|b| !b.is_ascii_whitespace());
    just_opened && message.starts_with(refused) && next != Some(&opener)
}

/// The byte offset of serde_json's line (from 1) and column (bytes into the line, from 0):
/// everything before it was read.
fn offset_of(bytes: &[u8], line: usize, column: usize) -> Option<usize> {
    let start = if line == 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    let offset = start.checked_add(column)?;
    (offset <= bytes.len()).then_some(offset)
}

/// Whether an error at the end of a value was raised in that value (a wrong type, a bad escape
/// or number) rather than by what follows it (a missing `,`, the end of input).
fn in_value_error(error: &serde_json::Error, text: &str) -> bool {
    if !error.is_syntax() && !error.is_eof() {
        return true;
    }
    // ("EOF while parsing a value" comes after a `:` or `,`, or in a literal cut short: never
    // after a whole value.)
    const AFTER_VALUE: [&str; 7] = [
        "EOF while parsing a list",
        "EOF while parsing an object",
        "expected `,` or `]`",
        "expected `,` or `}`",
        "expected `:`",
        "trailing comma",
        "trailing characters",
    ];
    !AFTER_VALUE.iter().any(|message| text.starts_with(message))
}

/// An object's key as written, its escapes decoded.
fn key_text(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !raw.contains(&b'\\') {
        return text.into_owned();
    }
    serde_json::from_str::<String>(&format!("\"{text}\"")).unwrap_or_else(|_| text.into_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
}

/// Where the scan is in an open object or array, for its current member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// After `{` or `,` in an object.
    BeforeKey,
    InKey,
    /// After a key, before its `:`.
    AfterKey,
    /// After `:`, or after `[` or `,` in an array.
    BeforeValue,
    /// In a string, number or literal, or in an object or array (the next frame).
    InValue,
    AfterValue,
}

/// An open object or array.
#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// The current member's key (the bytes between its quotes), in an object.
    key: Option<Range<usize>>,
    /// The current member's index, in an array.
    index: usize,
    state: State,
}

/// The objects and arrays open at the end of `bytes`, outermost first, and whether the scan
/// stopped at [`MAX_DEPTH`] with more open below. A scan stops at the end of the top-level
/// value, or at a byte no JSON document has there. `value_error`: the error at the end of
/// `bytes` is a value's own (see [`in_value_error`]).
fn scan(bytes: &[u8], value_error: bool) -> (Vec<Frame>, bool) {
    let mut deeper = false;
    let frames = scan_to(bytes, value_error, &mut deeper);
    (frames, deeper)
}

fn scan_to(bytes: &[u8], value_error: bool, deeper: &mut bool) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    // In a string: where it began (after the quote); in a number or literal: `None`.
    let mut token: Option<Option<usize>> = None;
    let mut root_started = false;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(string_start) = token {
            match string_start {
                Some(start) => match b {
                    b'\\' => i += 1,
                    b'"' => {
                        token = None;
                        if let Some(frame) = frames.last_mut() {
                            if frame.state == State::InKey {
                                frame.key = Some(start..i);
                                frame.state = State::AfterKey;
                            } else {
                                frame.state = State::AfterValue;
                            }
                        } else {
                            return frames;
                        }
                    }
                    _ => {}
                },
                None if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') => {}
                None => {
                    // The number or literal ended before this byte, which is read again;
                    // unless it is the last byte and the error the value's: then the value's
                    // parser read it (`tru}`).
                    token = None;
                    match frames.last_mut() {
                        Some(frame) => frame.state = State::AfterValue,
                        None => return frames,
                    }
                    if value_error && i + 1 == bytes.len() {
                        return frames;
                    }
                    continue;
                }
            }
            i += 1;
            continue;
        }
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let state = frames.last().map(|frame| (frame.kind, frame.state));
        let value_expected = match state {
            None => !root_started,
            Some((_, State::BeforeValue)) => true,
            _ => false,
        };
        match b {
            b'{' | b'[' if value_expected => {
                root_started = true;
                if let Some(frame) = frames.last_mut() {
                    frame.state = State::InValue;
                }
                if frames.len() == MAX_DEPTH {
                    *deeper = true;
                    return frames;
                }
                let kind = if b == b'{' { Kind::Object } else { Kind::Array };
                frames.push(Frame {
                    kind,
                    key: None,
                    index: 0,
                    state: if kind == Kind::Object {
                        State::BeforeKey
                    } else {
                        State::BeforeValue
                    },
                });
            }
            b'}' | b']' if closes(frames.last(), b) => {
                frames.pop();
                match frames.last_mut() {
                    Some(frame) => frame.state = State::AfterValue,
                    None => return frames,
                }
            }
            b'"' if matches!(state, Some((Kind::Object, State::BeforeKey))) => {
                if let Some(frame) = frames.last_mut() {
                    frame.state = State::InKey;
                }
                token = Some(Some(i + 1));
            }
            b'"' if value_expected => {
                root_started = true;
                if let Some(frame) = frames.last_mut() {
                    frame.state = State::InValue;
                }
                token = Some(Some(i + 1));
            }
            b':' if matches!(state, Some((_, State::AfterKey))) => {
                if let Some(frame) = frames.last_mut() {
                    frame.state = State::BeforeValue;
                }
            }
            b',' if matches!(state, Some((_, State::AfterValue))) => {
                if let Some(frame) = frames.last_mut() {
                    if frame.kind == Kind::Object {
                        frame.state = State::BeforeKey;
                    } else {
                        frame.index += 1;
                        frame.state = State::BeforeValue;
                    }
                }
            }
            _ if value_expected && !matches!(b, b',' | b':' | b'}' | b']') => {
                // A number or a literal (or a byte that starts neither: the error is there).
                root_started = true;
                if let Some(frame) = frames.last_mut() {
                    frame.state = State::InValue;
                }
                token = Some(None);
            }
            _ => return frames,
        }
        i += 1;
    }
    // A number or literal cut short by the error's position: whether the error is the value's
    // is told from the error.
    if token == Some(None)
        && let Some(frame) = frames.last_mut()
    {
        frame.state = State::AfterValue;
    }
    frames
}

/// Whether `b` ends the open object or array here: after a member, or at once.
fn closes(frame: Option<&Frame>, b: u8) -> bool {
    match frame {
        Some(frame) => match (frame.kind, frame.state, b) {
            (_, State::AfterValue, b'}') => frame.kind == Kind::Object,
            (_, State::AfterValue, b']') => frame.kind == Kind::Array,
            (Kind::Object, State::BeforeKey, b'}') => frame.key.is_none(),
            (Kind::Array, State::BeforeValue, b']') => frame.index == 0,
            _ => false,
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path for a document that fails to decode as `T`.
    fn path_of<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        let error = serde_json::from_slice::<T>(json.as_bytes()).expect_err(json);
        error_path(json.as_bytes(), &error)
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        age: u64,
        name: Option<String>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        n: Option<i32>,
        flag: Option<bool>,
        text: Option<String>,
        children: Option<Vec<Inner>>,
        by_id: Option<std::collections::BTreeMap<u32, Inner>>,
        labels: Option<std::collections::BTreeMap<String, Vec<u8>>>,
    }

    #[test]
    fn deep_and_long_paths_are_cut() {
        // Unknown values of any depth are skipped by serde_json; the path stops at 32 levels.
        let deep = format!("{{\"extra\":{}", "[".repeat(100_000));
        let path = path_of::<Outer>(&deep);
        assert_eq!(path, format!("extra{}…", "[0]".repeat(31)));
        let long_key = format!("{{\"{}\":[1,true", "k".repeat(1_000));
        let mut error = serde_json::from_str::<Outer>(&long_key).expect_err("invalid");
        let path = error_path(long_key.as_bytes(), &error);
        assert_eq!(path, format!("{}…", "k".repeat(256)));
        // A path of the limit's length is whole; a cut never splits a character.
        for (key, path) in [
            ("k".repeat(249), format!("labels.{}", "k".repeat(249))),
            ("k".repeat(250), format!("labels.{}…", "k".repeat(249))),
            (
                format!("{}é", "k".repeat(248)),
                format!("labels.{}…", "k".repeat(248)),
            ),
        ] {
            let json = format!("{{\"labels\":{{\"{key}\":5}}}}");
            let error = serde_json::from_str::<Outer>(&json).expect_err("invalid");
            assert_eq!(error_path(json.as_bytes(), &error), path, "{key}");
        }
        error = serde_json::from_str::<Outer>("{\"n\":\"x\"}").expect_err("invalid");
        assert_eq!(error_path(b"{\"n\":\"x\"}", &error), "n");
    }

    #[test]
    fn values_that_fail_are_named() {
        let cases = [
            (r#"{"n": "x"}"#, "n"),
            (r#"{"n": 3000000000}"#, "n"),
            (r#"{"n": []}"#, "n"),
            (r#"{"n": {"a": 1}}"#, "n"),
            (r#"{"flag": tru}"#, "flag"),
            (r#"{"flag": "true"}"#, "flag"),
            (r#"{"text": "\ud800"}"#, "text"),
            (r#"{"text": "a\qb"}"#, "text"),
            (r#"{"text": "a"#, "text"),
            (r#"{"n": "#, "n"),
            (r#"{"n": 1, "flag": 2}"#, "flag"),
            (
                r#"{"children": [{"age": 1}, {"age": true}]}"#,
                "children[1].age",
            ),
            (
                r#"{"children": [{"age": 1}, {"name": "a"}]}"#,
                "children[1]",
            ),
            (r#"{"children": [{"age": 1}, 7]}"#, "children[1]"),
            (
                r#"{"children": [{"age": 1}, {"age": 2}, x]}"#,
                "children[2]",
            ),
            (r#"{"by_id": {"5": {"age": -1}}}"#, "by_id.5.age"),
            (r#"{"by_id": {"abc": {"age": 1}}}"#, "by_id"),
            (r#"{"labels": {"a\"b": [1, 256]}}"#, "labels.a\"b[1]"),
            (
                "{\n  \"children\": [\n    {\"age\": \"old\"}\n  ]\n}",
                "children[0].age",
            ),
        ];
        for (json, path) in cases {
            assert_eq!(path_of::<Outer>(json), path, "{json}");
        }
    }

    #[test]
    fn what_follows_a_value_is_the_container_s_error() {
        let cases = [
            (r#"{"text": "a""#, ""),
            (r#"{"text": "a" "flag": true}"#, ""),
            (r#"{"text" "a"}"#, ""),
            (r#"{"text": "a",}"#, ""),
            (r#"{"text": "a"} []"#, ""),
            (r#"{"children": [{"age": 1}"#, "children"),
            (r#"{"children": [{"age": 1},"#, "children"),
            (r#"{"children": [{"age": 1} {"age": 2}]}"#, "children"),
            (r#"{"children": [{"age": 1}, {"age": 2}"#, "children"),
            (r#"{"children": [{"age": 1}, {"age": 2"#, "children[1]"),
            (r#"{"children": [{"age" 1}]}"#, "children[0]"),
            (r#"{"children": [{7: 1}]}"#, "children[0]"),
            (r#"[]"#, ""),
            (r#""#, ""),
            (r#"  "#, ""),
            (r#"nul"#, ""),
        ];
        for (json, path) in cases {
            assert_eq!(path_of::<Outer>(json), path, "{json}");
        }
    }

    #[protoapi_macros::message(crate = "crate", name = "TestChild")]
    struct Child {
        age: u64,
        name: String,
        tags: Vec<String>,
    }

    #[protoapi_macros::message(crate = "crate", name = "TestDoc")]
    struct Doc {
        n: i32,
        flag: bool,
        text: String,
        children: Vec<Child>,
        labels: std::collections::HashMap<String, i64>,
        child: Option<Child>,
        raw: bytes::Bytes,
    }

    /// The path `serde_path_to_error` tracks while decoding, written as `error_path` writes it.
    fn tracked_path(json: &[u8]) -> Option<(String, String)> {
        use serde_path_to_error::Segment;
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
        let error = match crate::codec::json::merge_message(&mut Doc::default(), tracked)
            .and_then(|()| deserializer.end())
        {
            Ok(()) => return None,
            Err(error) => error,
        };
        let mut path = String::new();
        for segment in track.path().iter() {
            match segment {
                Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Unknown => break,
            }
        }
        Some((path, error.to_string()))
    }

    /// Every prefix of some documents, and every one-byte change and insertion of bytes that
    /// matter to JSON's structure: the path found from the error's position is the path a
    /// tracking decoder saw.
    #[test]
    fn paths_agree_with_a_tracking_decoder() {
        let documents = [
            r#"{"n": 7, "flag": true, "text": "a\"b\u00e9", "children": [{"age": 1, "name": "x", "tags": ["p", "q"]}, {"age": "2"}], "labels": {"k": 1, "l\"m": "2"}, "child": {"tags": []}, "raw": "AAE="}"#,
            "{\n  \"children\" : [ { \"age\" : 10 } , { } ],\n  \"unknown\": {\"deep\": [1, {\"x\": null}]},\n  \"n\": -3\n}",
            r#"{"text": "[{,:}]\\", "child": {"age": 1e2, "name": null, "tags": ["]", "}"]}, "labels": {"{": -1, "a,b": 2}, "flag": false}"#,
        ];
        let bytes_to_try = [
            b'"', b'{', b'}', b'[', b']', b',', b':', b' ', b'x', b'1', b'-', b'.', b'\\', b'n',
            b't',
        ];
        let mut checked = 0;
        for document in documents {
            let document = document.as_bytes();
            assert_eq!(tracked_path(document), None, "the document itself decodes");
            let mut variants: Vec<Vec<u8>> = (0..document.len())
                .map(|i| document[..i].to_vec())
                .collect();
            for i in 0..document.len() {
                for b in bytes_to_try {
                    let mut changed = document.to_vec();
                    changed[i] = b;
                    variants.push(changed);
                    let mut inserted = document.to_vec();
                    inserted.insert(i, b);
                    variants.push(inserted);
                }
            }
            for json in variants {
                let Some((expected, tracked_error)) = tracked_path(&json) else {
                    continue;
                };
                let mut deserializer = serde_json::Deserializer::from_slice(&json);
                let error =
                    crate::codec::json::merge_message(&mut Doc::default(), &mut deserializer)
                        .and_then(|()| deserializer.end())
                        .expect_err("fails untracked too");
                assert_eq!(error.to_string(), tracked_error);
                let path = error_path(&json, &error);
                // A tracking decoder does not see into the value of an unknown field, which is
                // skipped whole; the scan goes on into it.
                let skipped = expected == "unknown" && path.starts_with("unknown");
                assert!(
                    path == expected || skipped,
                    "{} ({error}): {path:?}, tracked {expected:?}",
                    String::from_utf8_lossy(&json)
                );
                checked += 1;
            }
        }
        assert!(checked > 5000, "only {checked} failing documents");
    }
}
