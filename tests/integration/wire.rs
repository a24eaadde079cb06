//! The protobuf encoding of `#[protoapi::message]` against prost-derive's for the same schema.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use prost::Message as _;

use crate::support::lab::{Child, Everything, Kind, sample};

#[derive(Clone, PartialEq, prost::Message)]
struct ChildP {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(int64, tag = "2")]
    age: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum KindP {
    Unspecified = 0,
    Message = 1,
    Left = 5,
}

#[derive(Clone, PartialEq, prost::Message)]
struct EverythingP {
    #[prost(string, tag = "1")]
    text: String,
    #[prost(bool, tag = "2")]
    flag: bool,
    #[prost(int32, tag = "3")]
    int32_value: i32,
    #[prost(int64, tag = "4")]
    int64_value: i64,
    #[prost(uint32, tag = "5")]
    uint32_value: u32,
    #[prost(uint64, tag = "6")]
    uint64_value: u64,
    #[prost(float, tag = "7")]
    float_value: f32,
    #[prost(double, tag = "8")]
    double_value: f64,
    #[prost(bytes = "vec", tag = "9")]
    raw: Vec<u8>,
    #[prost(bytes = "bytes", tag = "10")]
    buf: Bytes,
    #[prost(sint64, tag = "11")]
    zigzag: i64,
    #[prost(fixed32, tag = "12")]
    fixed: u32,
    #[prost(sfixed64, tag = "13")]
    sfixed: i64,
    #[prost(string, optional, tag = "14")]
    maybe_text: Option<String>,
    #[prost(int32, optional, tag = "15")]
    maybe_int: Option<i32>,
    #[prost(enumeration = "KindP", optional, tag = "16")]
    maybe_kind: Option<i32>,
    #[prost(int64, repeated, tag = "17")]
    numbers: Vec<i64>,
    #[prost(string, repeated, tag = "18")]
    words: Vec<String>,
    #[prost(enumeration = "KindP", repeated, tag = "19")]
    kinds: Vec<i32>,
    #[prost(message, repeated, tag = "20")]
    children: Vec<ChildP>,
    #[prost(message, optional, tag = "21")]
    child: Option<ChildP>,
    #[prost(enumeration = "KindP", tag = "22")]
    kind: i32,
    #[prost(map = "string, int32", tag = "23")]
    counts: HashMap<String, i32>,
    #[prost(btree_map = "uint64, message", tag = "24")]
    by_id: BTreeMap<u64, ChildP>,
    #[prost(btree_map = "bool, string", tag = "25")]
    flags: BTreeMap<bool, String>,
    #[prost(bytes = "vec", repeated, tag = "26")]
    blobs: Vec<Vec<u8>>,
    #[prost(string, tag = "100")]
    renamed_field: String,
}

fn child_p(child: &Child) -> ChildP {
    ChildP {
        name: child.name.clone(),
        age: child.age,
    }
}

/// `sample()` as prost-derive's struct.
fn sample_p() -> EverythingP {
    let s = sample();
    EverythingP {
        text: s.text,
        flag: s.flag,
        int32_value: s.int32_value,
        int64_value: s.int64_value,
        uint32_value: s.uint32_value,
        uint64_value: s.uint64_value,
        float_value: s.float_value,
        double_value: s.double_value,
        raw: s.raw,
        buf: s.buf,
        zigzag: s.zigzag,
        fixed: s.fixed,
        sfixed: s.sfixed,
        maybe_text: s.maybe_text,
        maybe_int: s.maybe_int,
        maybe_kind: Some(KindP::Unspecified as i32),
        numbers: s.numbers,
        words: s.words,
        kinds: vec![KindP::Message as i32, KindP::Left as i32],
        children: s.children.iter().map(child_p).collect(),
        child: s.child.as_ref().map(child_p),
        kind: KindP::Left as i32,
        counts: s.counts,
        by_id: s.by_id.iter().map(|(k, v)| (*k, child_p(v))).collect(),
        flags: s.flags,
        blobs: s.blobs,
        renamed_field: s.renamed,
    }
}

#[test]
fn encoding_matches_prost_derive_byte_for_byte() {
    assert_eq!(sample().encode_to_vec(), sample_p().encode_to_vec());
    assert_eq!(sample().encoded_len(), sample_p().encoded_len());
}

#[test]
fn each_decodes_the_other() {
    assert_eq!(
        Everything::decode(sample_p().encode_to_vec().as_slice()).expect("decode"),
        sample()
    );
    assert_eq!(
        EverythingP::decode(sample().encode_to_vec().as_slice()).expect("decode"),
        sample_p()
    );
}

#[test]
fn defaults_encode_to_nothing() {
    assert_eq!(Everything::default().encode_to_vec(), Vec::<u8>::new());
    assert_eq!(Everything::default().encoded_len(), 0);
}

#[test]
fn negative_zero_is_kept() {
    let message = Everything {
        double_value: -0.0,
        ..Everything::default()
    };
    let bytes = message.encode_to_vec();
    assert_eq!(bytes, [0x41, 0, 0, 0, 0, 0, 0, 0, 0x80]);
    let decoded = Everything::decode(bytes.as_slice()).expect("decode");
    assert!(decoded.double_value.is_sign_negative());
}

#[test]
fn unpacked_repeated_numbers_and_unknown_fields_are_read() {
    // numbers (17) unpacked twice, then an unknown field 99 (varint), then kinds (19) unpacked.
    let bytes = [
        0x88, 0x01, 0x01, 0x88, 0x01, 0x02, 0x98, 0x06, 0x07, 0x98, 0x01, 0x05,
    ];
    let decoded = Everything::decode(bytes.as_slice()).expect("decode");
    assert_eq!(decoded.numbers, [1, 2]);
    assert_eq!(decoded.kinds, [Kind::Left]);
}

#[test]
fn an_unknown_enum_number_is_an_error_naming_the_field() {
    let bytes = EverythingP {
        kind: 3,
        ..EverythingP::default()
    }
    .encode_to_vec();
    let error = Everything::decode(bytes.as_slice()).expect_err("unknown value");
    assert_eq!(
        error.to_string(),
        "failed to decode Protobuf message: Everything.kind: unknown value 3 of enum Kind"
    );
}

#[test]
fn truncated_input_is_an_error() {
    let bytes = sample().encode_to_vec();
    let error = Everything::decode(&bytes[..bytes.len() - 1]).expect_err("truncated");
    assert_eq!(
        error.to_string(),
        "failed to decode Protobuf message: Everything.renamed_field: buffer underflow"
    );
}
