//! The proto3 JSON mapping over HTTP, and the same values over gRPC.

use crate::support::lab::{Everything, lab_client, lab_server, sample, sample_json};
use crate::support::post_json;

#[tokio::test]
async fn every_field_type_is_written_in_the_proto3_json_mapping() {
    let server = lab_server().await;
    let request = serde_json::to_string(&sample()).expect("encode");
    let answer = post_json(&server.url("/test.v1/lab/echo"), &request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), sample_json());
}

#[tokio::test]
async fn every_field_type_round_trips_over_grpc_and_http() {
    let server = lab_server().await;
    let client = lab_client(&server).await;
    let over_grpc = client.echo(sample()).await.expect("echo").into_inner();
    assert_eq!(over_grpc, sample());

    let answer = post_json(&server.url("/test.v1/lab/echo"), &sample_json().to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let over_http: Everything = serde_json::from_str(&answer.body).expect("decode");
    assert_eq!(over_http, sample());
}

#[tokio::test]
async fn defaults_are_omitted() {
    let server = lab_server().await;
    let answer = post_json(&server.url("/test.v1/lab/echo"), "{}").await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "{}"));
}

#[tokio::test]
async fn input_accepts_both_names_quoted_numbers_nulls_and_unknown_fields() {
    let server = lab_server().await;
    let input = r#"{
        "int64_value": 12,
        "int32Value": "-7",
        "uint64_value": "42",
        "double_value": "2.5",
        "float_value": 1e2,
        "kind": 1,
        "kinds": ["KIND_LEFT", 0],
        "text": null,
        "words": null,
        "maybeText": null,
        "renamed_field": "by proto name",
        "raw": "-_8",
        "unknown": {"deeply": [1, 2, {"x": null}]},
        "counts": {"a": "3"},
        "byId": {"18446744073709551615": {"age": 9.0}}
    }"#;
    let answer = post_json(&server.url("/test.v1/lab/echo"), input).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "int64Value": "12",
            "int32Value": -7,
            "uint64Value": "42",
            "doubleValue": 2.5,
            "floatValue": 100.0,
            "kind": "MESSAGE",
            "kinds": ["KIND_LEFT", "UNSPECIFIED"],
            "renamedField": "by proto name",
            "raw": "+/8=",
            "counts": {"a": 3},
            "byId": {"18446744073709551615": {"age": "9"}}
        })
    );
}

#[tokio::test]
async fn special_floats_are_strings() {
    let server = lab_server().await;
    let answer = post_json(
        &server.url("/test.v1/lab/echo"),
        r#"{"floatValue": "NaN", "doubleValue": "-Infinity"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body,
        r#"{"floatValue":"NaN","doubleValue":"-Infinity"}"#
    );

    let client = lab_client(&server).await;
    let reply = client
        .echo(Everything {
            double_value: f64::INFINITY,
            ..Everything::default()
        })
        .await
        .expect("echo")
        .into_inner();
    assert_eq!(reply.double_value, f64::INFINITY);
}

/// Each bad value gets a 400 whose message names the field and the reason.
#[tokio::test]
async fn bad_values_name_the_field_and_the_reason() {
    let server = lab_server().await;
    let cases: &[(&str, &str)] = &[
        (
            r#"{"int32Value": "abc"}"#,
            "invalid JSON at `int32Value`: invalid value: string \"abc\", expected a 32-bit integer (a number or a string) at line 1 column 20",
        ),
        (
            r#"{"int32Value": 3000000000}"#,
            "invalid JSON at `int32Value`: 3000000000 is out of range for a 32-bit integer at line 1 column 25",
        ),
        (
            r#"{"uint32Value": -1}"#,
            "invalid JSON at `uint32Value`: -1 is out of range for an unsigned 32-bit integer at line 1 column 18",
        ),
        (
            r#"{"int64Value": 1.5}"#,
            "invalid JSON at `int64Value`: invalid value: floating point `1.5`, expected a 64-bit integer (a number or a string) at line 1 column 18",
        ),
        (
            r#"{"kind": "NOPE"}"#,
            "invalid JSON at `kind`: unknown value `NOPE` of enum Kind, expected one of UNSPECIFIED, MESSAGE, KIND_LEFT at line 1 column 15",
        ),
        (
            r#"{"kind": 2}"#,
            "invalid JSON at `kind`: unknown value 2 of enum Kind, expected one of UNSPECIFIED, MESSAGE, KIND_LEFT at line 1 column 10",
        ),
        (
            r#"{"children": [{"name": "a"}, {"age": true}]}"#,
            "invalid JSON at `children[1].age`: invalid type: boolean `true`, expected a 64-bit integer (a number or a string) at line 1 column 41",
        ),
        (
            r#"{"byId": {"abc": {}}}"#,
            "invalid JSON at `byId`: invalid map key `abc` at line 1 column 15",
        ),
        (
            r#"{"raw": "!!"}"#,
            "invalid JSON at `raw`: invalid value: string \"!!\", expected base64 text (standard or URL-safe alphabet) at line 1 column 12",
        ),
        (
            r#"{"flag": "true"}"#,
            "invalid JSON at `flag`: invalid type: string \"true\", expected a boolean at line 1 column 15",
        ),
        (
            r#"{"words": "a"}"#,
            "invalid JSON at `words`: invalid type: string \"a\", expected an array at line 1 column 13",
        ),
        (
            r#"{"text": "a""#,
            "invalid JSON: EOF while parsing an object at line 1 column 12",
        ),
        (
            r#"{"text": "a"} []"#,
            "invalid JSON: trailing characters at line 1 column 15",
        ),
        (
            r#"[]"#,
            "invalid JSON: invalid type: sequence, expected an object of message Everything at line 1 column 0",
        ),
        (
            r#"{"text": "\ud800"}"#,
            "invalid JSON at `text`: unexpected end of hex escape at line 1 column 17",
        ),
    ];
    let mut mismatches = Vec::new();
    for (input, message) in cases {
        let answer = post_json(&server.url("/test.v1/lab/echo"), input).await;
        let expected =
            serde_json::json!({"code": "invalid_argument", "message": message, "details": []});
        if answer.status != 400 || answer.json() != expected {
            mismatches.push(format!("{input}\n  got {} {}", answer.status, answer.body));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
