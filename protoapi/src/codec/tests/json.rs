//! The proto3 JSON mapping of the derived messages: the exact output, every accepted input
//! form, and the error of each refused value.

use super::{All, Inner, Kind, sample};
use crate::codec::json::JsonMessage as _;
use crate::codec::json_merge::merge_json;

/// `sample()` as the server writes it: fields in declaration order, lowerCamelCase.
const SAMPLE_JSON: &str = concat!(
    r#"{"s":"火锅 \"q\"","b":true,"i32v":-2147483648,"i64v":"-9223372036854775808","#,
    r#""u32v":4294967295,"u64v":"18446744073709551615","si32":-3,"si64":"-300","fx32":7,"#,
    r#""fx64":"1099511627776","sf32":-8,"sf64":"9223372036854775807","fl":1.5,"db":-0.25,"#,
    r#""raw":"AAEC/w==","buf":"aGk=","kind":"KIND_FIVE","inner":{"name":"in"},"maybeInner":{},"#,
    r#""maybeS":"","maybeI":0,"maybeKind":"ZERO","ints":[1,-2,300],"#,
    r#""longs":["0","18446744073709551615"],"words":["a","","b"],"kinds":["ONE","KIND_FIVE","ZERO"],"#,
    r#""inners":[{"name":"c1","n":"3"},{}],"blobs":["AQ==",""],"flags":[true,false],"#,
    r#""doubles":[0.5,-1.0],"byName":{"x":1},"byId":{"1":{"name":"one","n":"1"},"2":{}},"#,
    r#""byFlag":{"false":"no","true":"yes"},"byInt":{"-1":"ONE","7":"ZERO"},"renamedField":"r"}"#
);

fn read(json: &str) -> Result<All, String> {
    let mut message = All::default();
    merge_json(&mut message, json.as_bytes())
        .map(|()| message)
        .map_err(|status| status.message().to_owned())
}

fn written(message: &All) -> String {
    serde_json::to_string(message).expect("encode")
}

#[test]
fn every_field_kind_is_written_in_the_proto3_json_mapping() {
    assert_eq!(written(&sample()), SAMPLE_JSON);
}

#[test]
fn what_is_written_reads_back() {
    assert_eq!(read(SAMPLE_JSON), Ok(sample()));
}

#[test]
fn defaults_are_left_out_but_a_plain_message_field_and_some_default_are_written() {
    assert_eq!(written(&All::default()), r#"{"inner":{}}"#);
    let message = All {
        maybe_i: Some(0),
        maybe_s: Some(String::new()),
        ..All::default()
    };
    assert_eq!(written(&message), r#"{"inner":{},"maybeS":"","maybeI":0}"#);
    assert_eq!(read(r#"{"inner":{}}"#), Ok(All::default()));
    assert_eq!(read(""), Ok(All::default()));
    assert_eq!(read(" \n"), Ok(All::default()));
}

#[test]
fn both_names_numbers_in_strings_nulls_and_unknown_fields_are_read() {
    let input = r#"{
        "i64v": 12, "i32v": "-7", "u64v": "42", "u32v": "7", "si64": -4,
        "db": "2.5", "fl": 1e2, "kind": 5, "kinds": ["KIND_FIVE", 0, 1],
        "s": null, "words": null, "maybe_s": null, "maybeI": null, "by_name": null,
        "inner": null, "maybe_inner": {"name": "m"},
        "renamed_field": "by proto name", "raw": "-_8", "buf": "aGk",
        "unknown": {"deeply": [1, 2, {"x": null}]},
        "byName": {"a": "3"}, "by_id": {"18446744073709551615": {"n": 9.0}},
        "byFlag": {"true": "t"}, "byInt": {"-2147483648": "KIND_FIVE", "0": 1},
        "longs": ["1", 2, 3e0], "doubles": [1, -2, "NaN"]
    }"#;
    let message = read(input).expect("read");
    assert_eq!(
        written(&message),
        concat!(
            r#"{"i32v":-7,"i64v":"12","u32v":7,"u64v":"42","si64":"-4","fl":100.0,"db":2.5,"raw":"+/8=","#,
            r#""buf":"aGk=","kind":"KIND_FIVE","inner":{},"maybeInner":{"name":"m"},"#,
            r#""longs":["1","2","3"],"kinds":["KIND_FIVE","ZERO","ONE"],"#,
            r#""doubles":[1.0,-2.0,"NaN"],"byName":{"a":3},"#,
            r#""byId":{"18446744073709551615":{"n":"9"}},"byFlag":{"true":"t"},"#,
            r#""byInt":{"-2147483648":"KIND_FIVE","0":"ONE"},"renamedField":"by proto name"}"#
        )
    );
    assert_eq!(message.raw, [0xfb, 0xff]);
    // A later key replaces an earlier one.
    assert_eq!(read(r#"{"s": "a", "s": "b"}"#).map(|m| m.s), Ok("b".into()));
}

/// JSON is UTF-8: other bytes are refused where a field reads them (with its path) and where
/// they are skipped, in an unknown field's value.
#[test]
fn a_document_that_is_not_utf8_is_refused() {
    let bytes = |json: &[u8]| {
        let mut message = All::default();
        merge_json(&mut message, json).map_err(|status| status.message().to_owned())
    };
    assert_eq!(
        bytes(b"{\"s\":\"a\xff\"}"),
        Err("invalid JSON at `s`: invalid unicode code point at line 1 column 8".into())
    );
    assert_eq!(
        bytes(b"{\"unknown\":[\"\xff\xfe\"],\"s\":\"a\"}"),
        Err("invalid JSON: not UTF-8".into())
    );
    assert_eq!(
        bytes(b"{\"unknown\":\"\xff\",\"s\":1}"),
        Err(
            "invalid JSON at `s`: invalid type: integer `1`, expected a string at line 1 column 20"
                .into()
        )
    );
    assert_eq!(bytes("{\"unknown\":\"é\"}".as_bytes()), Ok(()));
}

#[test]
fn integers_are_read_from_integral_numbers_and_strings() {
    let i32v = |json: &str| read(&format!(r#"{{"i32v": {json}}}"#)).map(|m| m.i32v);
    assert_eq!(i32v("1e2"), Ok(100));
    assert_eq!(i32v("-1e2"), Ok(-100));
    assert_eq!(i32v("-0.0"), Ok(0));
    assert_eq!(i32v(r#""1e2""#), Ok(100));
    assert_eq!(i32v(r#""-3.0""#), Ok(-3));
    assert_eq!(i32v(r#""+5""#), Ok(5));
    let i64v = |json: &str| read(&format!(r#"{{"i64v": {json}}}"#)).map(|m| m.i64v);
    assert_eq!(i64v("-9.223372036854775808e18"), Ok(i64::MIN));
    assert_eq!(i64v(r#""-9223372036854775808""#), Ok(i64::MIN));
    let u64v = |json: &str| read(&format!(r#"{{"u64v": {json}}}"#)).map(|m| m.u64v);
    assert_eq!(u64v("1.844674407370955e19"), Ok(18_446_744_073_709_549_568));
    assert_eq!(u64v("18446744073709551615"), Ok(u64::MAX));
}

#[test]
fn floats_are_read_from_numbers_strings_and_the_three_names() {
    let db = |json: &str| read(&format!(r#"{{"db": {json}}}"#)).map(|m| m.db);
    assert_eq!(db("-3"), Ok(-3.0));
    assert_eq!(db("3"), Ok(3.0));
    assert_eq!(db("18446744073709551615"), Ok(18_446_744_073_709_551_615.0));
    assert_eq!(db(r#""-0.5""#), Ok(-0.5));
    assert_eq!(db(r#""Infinity""#), Ok(f64::INFINITY));
    assert_eq!(db(r#""-Infinity""#), Ok(f64::NEG_INFINITY));
    assert!(db(r#""NaN""#).expect("NaN").is_nan());
    let message = All {
        fl: f32::NAN,
        db: f64::NEG_INFINITY,
        doubles: vec![f64::INFINITY],
        ..All::default()
    };
    assert_eq!(
        written(&message),
        r#"{"fl":"NaN","db":"-Infinity","inner":{},"doubles":["Infinity"]}"#
    );
}

#[test]
fn each_refused_value_names_its_field_and_the_reason() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"i32v": 1.5}"#,
            "invalid JSON at `i32v`: invalid value: floating point `1.5`, expected a 32-bit integer (a number or a string) at line 1 column 12",
        ),
        (
            r#"{"i32v": "NaN"}"#,
            "invalid JSON at `i32v`: invalid value: floating point `NaN`, expected a 32-bit integer (a number or a string) at line 1 column 14",
        ),
        (
            r#"{"i32v": " 1"}"#,
            "invalid JSON at `i32v`: invalid value: string \" 1\", expected a 32-bit integer (a number or a string) at line 1 column 13",
        ),
        (
            r#"{"i32v": ""}"#,
            "invalid JSON at `i32v`: invalid value: string \"\", expected a 32-bit integer (a number or a string) at line 1 column 11",
        ),
        (
            r#"{"i32v": 2147483648}"#,
            "invalid JSON at `i32v`: 2147483648 is out of range for a 32-bit integer at line 1 column 19",
        ),
        (
            r#"{"i32v": -2147483649}"#,
            "invalid JSON at `i32v`: -2147483649 is out of range for a 32-bit integer at line 1 column 20",
        ),
        (
            r#"{"i64v": -9.3e18}"#,
            "invalid JSON at `i64v`: -9300000000000000000 is out of range for a 64-bit integer at line 1 column 16",
        ),
        (
            r#"{"u64v": 1.8446744073709552e19}"#,
            "invalid JSON at `u64v`: 18446744073709552000 is out of range for an unsigned 64-bit integer at line 1 column 30",
        ),
        (
            r#"{"u32v": "-1"}"#,
            "invalid JSON at `u32v`: -1 is out of range for an unsigned 32-bit integer at line 1 column 13",
        ),
        (
            r#"{"db": "inf"}"#,
            "invalid JSON at `db`: invalid value: string \"inf\", expected a 64-bit float (a number, \"NaN\", \"Infinity\" or \"-Infinity\") at line 1 column 12",
        ),
        (
            r#"{"db": " 1.5"}"#,
            "invalid JSON at `db`: invalid value: string \" 1.5\", expected a 64-bit float (a number, \"NaN\", \"Infinity\" or \"-Infinity\") at line 1 column 13",
        ),
        (
            r#"{"fl": 1e39}"#,
            "invalid JSON at `fl`: 1000000000000000000000000000000000000000 is out of range for a 32-bit float at line 1 column 12",
        ),
        (
            r#"{"kind": "FIVE"}"#,
            "invalid JSON at `kind`: unknown value `FIVE` of enum TestKind, expected one of ZERO, ONE, KIND_FIVE at line 1 column 15",
        ),
        (
            r#"{"kind": -1}"#,
            "invalid JSON at `kind`: unknown value -1 of enum TestKind, expected one of ZERO, ONE, KIND_FIVE at line 1 column 11",
        ),
        (
            r#"{"kinds": [4294967301]}"#,
            "invalid JSON at `kinds[0]`: unknown value 4294967301 of enum TestKind, expected one of ZERO, ONE, KIND_FIVE at line 1 column 21",
        ),
        (
            r#"{"kind": true}"#,
            "invalid JSON at `kind`: invalid type: boolean `true`, expected a TestKind name or number at line 1 column 13",
        ),
        (
            r#"{"raw": "!!"}"#,
            "invalid JSON at `raw`: invalid value: string \"!!\", expected base64 text (standard or URL-safe alphabet) at line 1 column 12",
        ),
        (
            r#"{"byFlag": {"yes": "x"}}"#,
            "invalid JSON at `byFlag`: invalid map key `yes` at line 1 column 17",
        ),
        (
            r#"{"byInt": {"2147483648": "ONE"}}"#,
            "invalid JSON at `byInt`: invalid map key `2147483648` at line 1 column 23",
        ),
        (
            r#"{"byName": []}"#,
            "invalid JSON at `byName`: invalid type: sequence, expected an object at line 1 column 11",
        ),
        (
            r#"{"ints": {}}"#,
            "invalid JSON at `ints`: invalid type: map, expected an array at line 1 column 9",
        ),
        (
            r#"{"inners": [{"n": []}]}"#,
            "invalid JSON at `inners[0].n`: invalid type: sequence, expected a 64-bit integer (a number or a string) at line 1 column 20",
        ),
        (
            r#"{"inner": 1}"#,
            "invalid JSON at `inner`: invalid type: integer `1`, expected an object of message TestInner at line 1 column 11",
        ),
        (
            r#"{"b": 1}"#,
            "invalid JSON at `b`: invalid type: integer `1`, expected a boolean at line 1 column 7",
        ),
        (
            r#"{1: 1}"#,
            "invalid JSON: key must be a string at line 1 column 2",
        ),
        (
            r#"{"s": "a"} {}"#,
            "invalid JSON: trailing characters at line 1 column 12",
        ),
    ];
    let mut mismatches = Vec::new();
    for (input, message) in cases {
        match read(input) {
            Err(got) if got == *message => {}
            other => mismatches.push(format!("{input}\n  got {other:?}")),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn one_field_is_found_by_any_of_its_names_and_written_alone() {
    let index = |name| All::field_index(name);
    let ints = index("ints").expect("ints");
    assert_eq!(All::FIELDS[ints], ("ints", "ints"));
    let renamed = index("renamed").expect("by its Rust name");
    assert_eq!(index("renamed_field"), Some(renamed));
    assert_eq!(index("renamedField"), Some(renamed));
    assert_eq!(All::FIELDS[renamed], ("renamed_field", "renamedField"));
    assert_eq!(index("maybeKind"), index("maybe_kind"));
    assert_eq!(index("nothing"), None);
    let field = |message: &All, index: usize| {
        let mut out = Vec::new();
        message
            .serialize_field(index, &mut serde_json::Serializer::new(&mut out))
            .expect("field");
        String::from_utf8(out).expect("UTF-8")
    };
    // A field holding its default is written too when it is the whole answer.
    assert_eq!(field(&All::default(), ints), "[]");
    assert_eq!(field(&sample(), ints), "[1,-2,300]");
    assert_eq!(field(&sample(), renamed), r#""r""#);
}

#[test]
fn enums_are_written_by_name_and_read_by_name_or_number() {
    assert_eq!(
        serde_json::to_string(&Kind::Five).expect("encode"),
        r#""KIND_FIVE""#
    );
    assert_eq!(
        serde_json::from_str::<Kind>("5").expect("decode"),
        Kind::Five
    );
    assert_eq!(
        serde_json::from_str::<Kind>(r#""ONE""#).expect("decode"),
        Kind::One
    );
    assert_eq!(
        serde_json::from_str::<Inner>(r#"{"name":"x","n":"2"}"#).expect("decode"),
        Inner {
            name: "x".into(),
            n: 2
        }
    );
}

#[test]
fn a_message_written_by_hand_has_no_field_to_write_alone() {
    type Value = crate::Value;
    assert_eq!(Value::field_index("kind"), None);
    assert_eq!(Value::field_index(""), None);
    let error = Value::default()
        .serialize_field(0, &mut serde_json::Serializer::new(Vec::new()))
        .expect_err("no field");
    assert_eq!(
        error.to_string(),
        "message google.protobuf.Value has no field number 0"
    );
}

#[test]
fn a_key_that_is_not_a_string_is_refused() {
    use serde::de::value::{Error, MapDeserializer};
    let entries = MapDeserializer::<_, Error>::new([(1u8, 2u8)].into_iter());
    let error = crate::codec::json::merge_message(&mut All::default(), entries)
        .expect_err("an integer key");
    assert_eq!(
        error.to_string(),
        "invalid type: integer `1`, expected a field name"
    );
}
