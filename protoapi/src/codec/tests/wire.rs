//! The protobuf encoding of the derived messages against prost-derive's for the same schema.

use std::collections::{BTreeMap, HashMap};

use prost::Message as _;

use super::{All, Inner, Kind, sample};

#[derive(Clone, PartialEq, prost::Message)]
struct InnerP {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(int64, tag = "2")]
    n: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum KindP {
    Zero = 0,
    One = 1,
    Five = 5,
}

#[derive(Clone, PartialEq, prost::Message)]
struct AllP {
    #[prost(string, tag = "1")]
    s: String,
    #[prost(bool, tag = "2")]
    b: bool,
    #[prost(int32, tag = "3")]
    i32v: i32,
    #[prost(int64, tag = "4")]
    i64v: i64,
    #[prost(uint32, tag = "5")]
    u32v: u32,
    #[prost(uint64, tag = "6")]
    u64v: u64,
    #[prost(sint32, tag = "7")]
    si32: i32,
    #[prost(sint64, tag = "8")]
    si64: i64,
    #[prost(fixed32, tag = "9")]
    fx32: u32,
    #[prost(fixed64, tag = "10")]
    fx64: u64,
    #[prost(sfixed32, tag = "11")]
    sf32: i32,
    #[prost(sfixed64, tag = "12")]
    sf64: i64,
    #[prost(float, tag = "13")]
    fl: f32,
    #[prost(double, tag = "14")]
    db: f64,
    #[prost(bytes = "vec", tag = "15")]
    raw: Vec<u8>,
    #[prost(bytes = "bytes", tag = "16")]
    buf: bytes::Bytes,
    #[prost(enumeration = "KindP", tag = "17")]
    kind: i32,
    #[prost(message, optional, tag = "18")]
    inner: Option<InnerP>,
    #[prost(message, optional, tag = "19")]
    maybe_inner: Option<InnerP>,
    #[prost(string, optional, tag = "20")]
    maybe_s: Option<String>,
    #[prost(int32, optional, tag = "21")]
    maybe_i: Option<i32>,
    #[prost(enumeration = "KindP", optional, tag = "22")]
    maybe_kind: Option<i32>,
    #[prost(int32, repeated, tag = "23")]
    ints: Vec<i32>,
    #[prost(uint64, repeated, tag = "24")]
    longs: Vec<u64>,
    #[prost(string, repeated, tag = "25")]
    words: Vec<String>,
    #[prost(enumeration = "KindP", repeated, tag = "26")]
    kinds: Vec<i32>,
    #[prost(message, repeated, tag = "27")]
    inners: Vec<InnerP>,
    #[prost(bytes = "vec", repeated, tag = "28")]
    blobs: Vec<Vec<u8>>,
    #[prost(bool, repeated, tag = "29")]
    flags: Vec<bool>,
    #[prost(double, repeated, tag = "30")]
    doubles: Vec<f64>,
    #[prost(map = "string, int32", tag = "31")]
    by_name: HashMap<String, i32>,
    #[prost(btree_map = "uint64, message", tag = "32")]
    by_id: BTreeMap<u64, InnerP>,
    #[prost(btree_map = "bool, string", tag = "33")]
    by_flag: BTreeMap<bool, String>,
    #[prost(btree_map = "int32, enumeration(KindP)", tag = "34")]
    by_int: BTreeMap<i32, i32>,
    #[prost(string, tag = "100")]
    renamed_field: String,
}

fn inner_p(inner: &Inner) -> InnerP {
    InnerP {
        name: inner.name.clone(),
        n: inner.n,
    }
}

fn kind_p(kind: Kind) -> i32 {
    match kind {
        Kind::Zero => KindP::Zero as i32,
        Kind::One => KindP::One as i32,
        Kind::Five => KindP::Five as i32,
    }
}

/// A message as prost-derive's struct.
fn to_p(s: &All) -> AllP {
    AllP {
        s: s.s.clone(),
        b: s.b,
        i32v: s.i32v,
        i64v: s.i64v,
        u32v: s.u32v,
        u64v: s.u64v,
        si32: s.si32,
        si64: s.si64,
        fx32: s.fx32,
        fx64: s.fx64,
        sf32: s.sf32,
        sf64: s.sf64,
        fl: s.fl,
        db: s.db,
        raw: s.raw.clone(),
        buf: s.buf.clone(),
        kind: kind_p(s.kind),
        inner: Some(inner_p(&s.inner)),
        maybe_inner: s.maybe_inner.as_ref().map(inner_p),
        maybe_s: s.maybe_s.clone(),
        maybe_i: s.maybe_i,
        maybe_kind: s.maybe_kind.map(kind_p),
        ints: s.ints.clone(),
        longs: s.longs.clone(),
        words: s.words.clone(),
        kinds: s.kinds.iter().copied().map(kind_p).collect(),
        inners: s.inners.iter().map(inner_p).collect(),
        blobs: s.blobs.clone(),
        flags: s.flags.clone(),
        doubles: s.doubles.clone(),
        by_name: s.by_name.clone(),
        by_id: s.by_id.iter().map(|(k, v)| (*k, inner_p(v))).collect(),
        by_flag: s.by_flag.clone(),
        by_int: s.by_int.iter().map(|(k, v)| (*k, kind_p(*v))).collect(),
        renamed_field: s.renamed.clone(),
    }
}

/// The sample, and then messages with one field set each: every field's encoding and length
/// alone, so that a wrong one is not hidden by another.
fn cases() -> Vec<All> {
    let full = sample();
    let mut cases = vec![full.clone()];
    macro_rules! one {
        ($($field:ident),*) => {$(
            cases.push(All { $field: full.$field.clone(), ..All::default() });
        )*};
    }
    one!(
        s,
        b,
        i32v,
        i64v,
        u32v,
        u64v,
        si32,
        si64,
        fx32,
        fx64,
        sf32,
        sf64,
        fl,
        db,
        raw,
        buf,
        kind,
        inner,
        maybe_inner,
        maybe_s,
        maybe_i,
        maybe_kind,
        ints,
        longs,
        words,
        kinds,
        inners,
        blobs,
        flags,
        doubles,
        by_name,
        by_id,
        by_flag,
        by_int,
        renamed
    );
    cases
}

#[test]
fn encoding_matches_prost_derive_byte_for_byte() {
    for case in cases() {
        let expected = to_p(&case).encode_to_vec();
        assert_eq!(case.encode_to_vec(), expected, "{case:?}");
        assert_eq!(case.encoded_len(), expected.len(), "{case:?}");
    }
}

#[test]
fn each_decodes_the_other() {
    for case in cases() {
        let decoded = All::decode(to_p(&case).encode_to_vec().as_slice()).expect("decode");
        assert_eq!(decoded, case);
        let decoded = AllP::decode(case.encode_to_vec().as_slice()).expect("decode");
        assert_eq!(decoded, to_p(&case));
    }
}

#[test]
fn a_nested_message_is_its_length_then_its_fields() {
    let message = All {
        inner: Inner {
            name: "ab".into(),
            n: 1,
        },
        ..All::default()
    };
    // Field 18 (length-delimited): 6 bytes, then name (1) "ab" and n (2) 1.
    let bytes = [0x92, 0x01, 6, 0x0a, 2, b'a', b'b', 0x10, 1];
    assert_eq!(message.encode_to_vec(), bytes);
    assert_eq!(message.encoded_len(), bytes.len());
    assert_eq!(All::decode(bytes.as_slice()).expect("decode"), message);
}

#[test]
fn defaults_encode_to_nothing_but_the_plain_message_field() {
    // A plain message field is always present, as an empty field 18.
    assert_eq!(All::default().encode_to_vec(), [0x92, 0x01, 0x00]);
    assert_eq!(All::default().encoded_len(), 3);
    assert_eq!(Inner::default().encode_to_vec(), Vec::<u8>::new());
    assert_eq!(Inner::default().encoded_len(), 0);
}

#[test]
fn negative_zero_is_kept() {
    let message = Inner::default();
    let all = All {
        db: -0.0,
        inner: message,
        ..All::default()
    };
    let bytes = all.encode_to_vec();
    assert_eq!(bytes, [0x71, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x92, 0x01, 0x00]);
    let decoded = All::decode(bytes.as_slice()).expect("decode");
    assert!(decoded.db.is_sign_negative());
}

#[test]
fn repeated_numbers_are_packed_and_read_either_way() {
    let message = All {
        ints: vec![1, 2],
        kinds: vec![Kind::Five],
        ..All::default()
    };
    // The plain message field (18), then ints (23) packed: 2 bytes; kinds (26) packed: 1 byte.
    assert_eq!(
        message.encode_to_vec(),
        [0x92, 0x01, 0, 0xba, 0x01, 2, 1, 2, 0xd2, 0x01, 1, 5]
    );
    // ints unpacked twice, an unknown field 99 (varint), kinds unpacked.
    let bytes = [
        0xb8, 0x01, 0x01, 0xb8, 0x01, 0x02, 0x98, 0x06, 0x07, 0xd0, 0x01, 0x05,
    ];
    let decoded = All::decode(bytes.as_slice()).expect("decode");
    assert_eq!(decoded.ints, [1, 2]);
    assert_eq!(decoded.kinds, [Kind::Five]);
    // Strings and messages are never packed: one key each.
    let words = All {
        words: vec!["a".into(), "b".into()],
        ..All::default()
    };
    assert_eq!(
        words.encode_to_vec(),
        [0x92, 0x01, 0, 0xca, 0x01, 1, b'a', 0xca, 0x01, 1, b'b']
    );
}

#[test]
fn a_field_of_the_wrong_wire_type_is_an_error_naming_it() {
    // ints (23) as a 32-bit value.
    let bytes = [0xbd, 0x01, 0, 0, 0, 0];
    let error = All::decode(bytes.as_slice()).expect_err("wrong wire type");
    assert_eq!(
        error.to_string(),
        "failed to decode Protobuf message: TestAll.ints: invalid wire type: ThirtyTwoBit (expected Varint)"
    );
    // s (1) as a varint.
    let error = All::decode([0x08, 1].as_slice()).expect_err("wrong wire type");
    assert_eq!(
        error.to_string(),
        "failed to decode Protobuf message: TestAll.s: invalid wire type: Varint (expected LengthDelimited)"
    );
}

#[test]
fn an_unknown_enum_number_is_an_error_naming_the_field() {
    for (p, field) in [
        (
            AllP {
                kind: 3,
                ..AllP::default()
            },
            "kind",
        ),
        (
            AllP {
                kinds: vec![1, 3],
                ..AllP::default()
            },
            "kinds",
        ),
        (
            AllP {
                maybe_kind: Some(2),
                ..AllP::default()
            },
            "maybe_kind",
        ),
    ] {
        let error = All::decode(p.encode_to_vec().as_slice()).expect_err("unknown value");
        let number = if field == "maybe_kind" { 2 } else { 3 };
        assert_eq!(
            error.to_string(),
            format!(
                "failed to decode Protobuf message: TestAll.{field}: unknown value {number} of enum TestKind"
            )
        );
    }
}

#[test]
fn invalid_utf8_is_an_error_naming_the_field() {
    let error = All::decode([0x0a, 1, 0xff].as_slice()).expect_err("not UTF-8");
    assert_eq!(
        error.to_string(),
        "failed to decode Protobuf message: TestAll.s: invalid string value: data is not UTF-8 encoded"
    );
}

#[test]
fn truncated_input_is_an_error() {
    let bytes = sample().encode_to_vec();
    let error = All::decode(&bytes[..bytes.len() - 1]).expect_err("truncated");
    assert_eq!(
        error.to_string(),
        "failed to decode Protobuf message: TestAll.renamed_field: buffer underflow"
    );
}

#[test]
fn a_later_value_replaces_an_earlier_one_and_messages_merge() {
    // s = "a", then s = "b"; inner.name = "x", then inner.n = 2.
    let bytes = [
        0x0a, 1, b'a', 0x0a, 1, b'b', 0x92, 0x01, 3, 0x0a, 1, b'x', 0x92, 0x01, 2, 0x10, 2,
    ];
    let decoded = All::decode(bytes.as_slice()).expect("decode");
    assert_eq!(decoded.s, "b");
    assert_eq!(
        decoded.inner,
        Inner {
            name: "x".into(),
            n: 2
        }
    );
}
