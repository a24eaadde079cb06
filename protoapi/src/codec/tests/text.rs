//! Field values from text (path parameters, query strings, form fields) into derived messages.

use super::{All, Inner, Kind};
use crate::codec::text::{TextError, TextMessage as _, split_key};

/// Sets each key in turn, as a query string does.
fn from_text(pairs: &[(&str, &str)]) -> Result<All, (String, TextError)> {
    let mut message = All::default();
    for (key, text) in pairs {
        message
            .merge_text(key, text)
            .map_err(|error| ((*key).to_owned(), error))?;
    }
    Ok(message)
}

fn invalid(key: &str, reason: &str) -> Result<All, (String, TextError)> {
    Err((key.to_owned(), TextError::Invalid(reason.to_owned())))
}

#[test]
fn every_scalar_kind_is_read_from_its_text() {
    let message = from_text(&[
        ("s", "火锅"),
        ("b", "on"),
        ("i32v", "-2147483648"),
        ("i64v", "-9223372036854775808"),
        ("u32v", "4294967295"),
        ("u64v", "18446744073709551615"),
        ("si32", "-3"),
        ("si64", "-300"),
        ("fx32", "7"),
        ("fx64", "1099511627776"),
        ("sf32", "-8"),
        ("sf64", "9223372036854775807"),
        ("fl", "1.5"),
        ("db", "-Infinity"),
        ("raw", "AAEC_w"),
        ("buf", "aGk="),
        ("kind", "KIND_FIVE"),
        ("maybe_kind", "1"),
        ("maybeS", ""),
        ("maybe_i", "0"),
        ("inner.name", "in"),
        ("inner.n", "4"),
        ("maybeInner.name", "m"),
        ("renamed_field", "r"),
    ])
    .expect("read");
    assert_eq!(
        message,
        All {
            s: "火锅".into(),
            b: true,
            i32v: i32::MIN,
            i64v: i64::MIN,
            u32v: u32::MAX,
            u64v: u64::MAX,
            si32: -3,
            si64: -300,
            fx32: 7,
            fx64: 1 << 40,
            sf32: -8,
            sf64: i64::MAX,
            fl: 1.5,
            db: f64::NEG_INFINITY,
            raw: vec![0, 1, 2, 255],
            buf: bytes::Bytes::from_static(b"hi"),
            kind: Kind::Five,
            maybe_kind: Some(Kind::One),
            maybe_s: Some(String::new()),
            maybe_i: Some(0),
            inner: Inner {
                name: "in".into(),
                n: 4
            },
            maybe_inner: Some(Inner {
                name: "m".into(),
                n: 0
            }),
            renamed: "r".into(),
            ..All::default()
        }
    );
}

#[test]
fn a_repeated_field_takes_each_occurrence() {
    let message = from_text(&[
        ("ints", "1"),
        ("words", "a"),
        ("ints", "-2"),
        ("words", ""),
        ("kinds", "ONE"),
        ("kinds", "5"),
        ("flags", "1"),
        ("flags", "off"),
        ("doubles", "NaN"),
        ("doubles", "Infinity"),
        ("blobs", "AQ=="),
    ])
    .expect("read");
    assert_eq!(message.ints, [1, -2]);
    assert_eq!(message.words, ["a", ""]);
    assert_eq!(message.kinds, [Kind::One, Kind::Five]);
    assert_eq!(message.flags, [true, false]);
    assert!(message.doubles[0].is_nan());
    assert_eq!(message.doubles[1], f64::INFINITY);
    assert_eq!(message.blobs, [vec![1]]);
}

#[test]
fn bools_take_what_forms_send() {
    for (text, value) in [
        ("true", true),
        ("1", true),
        ("on", true),
        ("false", false),
        ("0", false),
        ("off", false),
        ("", false),
    ] {
        // Start from the other value, so that each text is seen to set it.
        let mut message = All {
            b: !value,
            ..All::default()
        };
        message.merge_text("b", text).expect("bool");
        assert_eq!(message.b, value, "{text:?}");
    }
    assert_eq!(
        from_text(&[("b", "yes")]),
        invalid("b", "`yes` is not a bool (true or false)")
    );
}

#[test]
fn each_refused_text_says_why() {
    for (key, text, reason) in [
        ("i32v", "2147483648", "`2147483648` is not a 32-bit integer"),
        ("si64", "1.5", "`1.5` is not a 64-bit integer"),
        ("u32v", "-1", "`-1` is not an unsigned 32-bit integer"),
        ("longs", " 1", "` 1` is not an unsigned 64-bit integer"),
        ("fl", "1e39", "`1e39` is not a 32-bit float"),
        ("db", "inf", "`inf` is not a 64-bit float"),
        ("raw", "!!", "`!!` is not base64"),
        (
            "kind",
            "FIVE",
            "unknown value `FIVE` of enum TestKind, expected one of ZERO, ONE, KIND_FIVE",
        ),
        (
            "kinds",
            "2",
            "unknown value `2` of enum TestKind, expected one of ZERO, ONE, KIND_FIVE",
        ),
    ] {
        assert_eq!(
            from_text(&[(key, text)]),
            invalid(key, reason),
            "{key}={text}"
        );
    }
}

#[test]
fn keys_that_do_not_fit_the_field() {
    let error = |key: &str| from_text(&[(key, "1")]).map(|_| ()).map_err(|(_, e)| e);
    assert_eq!(error("s.x"), Err(TextError::NotAMessage));
    assert_eq!(error("i32v.x"), Err(TextError::NotAMessage));
    assert_eq!(error("kind.x"), Err(TextError::NotAMessage));
    assert_eq!(error("b.x"), Err(TextError::NotAMessage));
    assert_eq!(error("raw.x"), Err(TextError::NotAMessage));
    assert_eq!(error("inner"), Err(TextError::IsAMessage));
    assert_eq!(error("maybeInner"), Err(TextError::IsAMessage));
    assert_eq!(error("inners.name"), Err(TextError::Unsupported));
    assert_eq!(error("by_name"), Err(TextError::Unsupported));
    assert_eq!(error("byName.x"), Err(TextError::Unsupported));
    // A key that names no field is ignored, inside a message too.
    let mut message = All::default();
    assert_eq!(message.merge_text("nothing", "1"), Ok(false));
    assert_eq!(message.merge_text("inner.nothing", "1"), Ok(true));
    assert_eq!(message.merge_text("s", "x"), Ok(true));
    assert_eq!(message.s, "x");
    assert_eq!(
        TextError::NotAMessage.to_string(),
        "the field is not a message, so it has no sub-fields"
    );
    assert_eq!(
        TextError::IsAMessage.to_string(),
        "the field is a message: set its fields as `field.subfield`"
    );
    assert_eq!(
        TextError::Unsupported.to_string(),
        "maps and repeated messages cannot be set from text"
    );
    assert_eq!(TextError::Invalid("why".into()).to_string(), "why");
}

#[test]
fn a_key_splits_at_its_first_dot() {
    assert_eq!(split_key("a"), ("a", None));
    assert_eq!(split_key("a.b"), ("a", Some("b")));
    assert_eq!(split_key("a.b.c"), ("a", Some("b.c")));
    assert_eq!(split_key(".b"), ("", Some("b")));
}

#[test]
fn a_message_without_file_fields_takes_no_file() {
    let file = crate::file::File::from_bytes("a.txt", "text/plain", bytes::Bytes::new());
    assert!(!All::default().merge_file("raw", file));
}
