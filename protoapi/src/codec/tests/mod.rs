//! The field codecs through messages the macros derive inside the crate: every field kind on
//! the protobuf wire (against prost-derive's encoding of the same schema), in proto3 JSON and
//! from text. Run by `cargo test -p protoapi --lib`, which is what the mutation tests run.

mod json;
mod text;
mod wire;

use std::collections::{BTreeMap, HashMap};

use crate::codec::ProtoMap;

/// An enum whose numbers skip and whose last name is given.
#[protoapi_macros::message(crate = "crate", name = "TestKind")]
enum Kind {
    Zero,
    One,
    #[protoapi(name = "KIND_FIVE")]
    Five = 5,
}

#[protoapi_macros::message(crate = "crate", name = "TestInner")]
struct Inner {
    name: String,
    n: i64,
}

/// Every field kind: each scalar type and encoding, optional, repeated and map fields of
/// scalars, enums and messages.
#[protoapi_macros::message(crate = "crate", name = "TestAll")]
struct All {
    s: String,
    b: bool,
    i32v: i32,
    i64v: i64,
    u32v: u32,
    u64v: u64,
    #[protoapi(encoding = "sint32")]
    si32: i32,
    #[protoapi(encoding = "sint64")]
    si64: i64,
    #[protoapi(encoding = "fixed32")]
    fx32: u32,
    #[protoapi(encoding = "fixed64")]
    fx64: u64,
    #[protoapi(encoding = "sfixed32")]
    sf32: i32,
    #[protoapi(encoding = "sfixed64")]
    sf64: i64,
    fl: f32,
    db: f64,
    raw: Vec<u8>,
    buf: bytes::Bytes,
    kind: Kind,
    inner: Inner,
    maybe_inner: Option<Inner>,
    maybe_s: Option<String>,
    maybe_i: Option<i32>,
    maybe_kind: Option<Kind>,
    ints: Vec<i32>,
    longs: Vec<u64>,
    words: Vec<String>,
    kinds: Vec<Kind>,
    inners: Vec<Inner>,
    blobs: Vec<Vec<u8>>,
    flags: Vec<bool>,
    doubles: Vec<f64>,
    by_name: HashMap<String, i32>,
    by_id: BTreeMap<u64, Inner>,
    by_flag: BTreeMap<bool, String>,
    by_int: BTreeMap<i32, Kind>,
    #[protoapi(tag = 100, name = "renamed_field")]
    renamed: String,
}

/// A value in which every field holds something other than its default, at the edges of each
/// type's range.
fn sample() -> All {
    All {
        s: "火锅 \"q\"".into(),
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
        db: -0.25,
        raw: vec![0, 1, 2, 255],
        buf: bytes::Bytes::from_static(b"hi"),
        kind: Kind::Five,
        inner: Inner {
            name: "in".into(),
            n: 0,
        },
        maybe_inner: Some(Inner::default()),
        maybe_s: Some(String::new()),
        maybe_i: Some(0),
        maybe_kind: Some(Kind::Zero),
        ints: vec![1, -2, 300],
        longs: vec![0, u64::MAX],
        words: vec!["a".into(), String::new(), "b".into()],
        kinds: vec![Kind::One, Kind::Five, Kind::Zero],
        inners: vec![
            Inner {
                name: "c1".into(),
                n: 3,
            },
            Inner::default(),
        ],
        blobs: vec![vec![1], vec![]],
        flags: vec![true, false],
        doubles: vec![0.5, -1.0],
        by_name: HashMap::from([("x".to_owned(), 1)]),
        by_id: BTreeMap::from([
            (
                1,
                Inner {
                    name: "one".into(),
                    n: 1,
                },
            ),
            (2, Inner::default()),
        ]),
        by_flag: BTreeMap::from([(false, "no".into()), (true, "yes".into())]),
        by_int: BTreeMap::from([(-1, Kind::One), (7, Kind::Zero)]),
        renamed: "r".into(),
    }
}

#[test]
fn maps_count_put_and_visit_their_entries() {
    fn check<M: ProtoMap<Key = u8, Value = char>>(mut map: M) {
        assert!(map.is_empty());
        assert_eq!(map.len(), 0);
        map.put(1, 'a');
        map.put(2, 'b');
        map.put(1, 'c');
        assert!(!map.is_empty());
        assert_eq!(map.len(), 2);
        let mut seen = Vec::new();
        map.each(|k, v| {
            seen.push((*k, *v));
            Ok::<(), ()>(())
        })
        .expect("each");
        seen.sort();
        assert_eq!(seen, [(1, 'c'), (2, 'b')]);
        let mut visits = 0;
        assert_eq!(
            map.each(|_, _| {
                visits += 1;
                Err("stop")
            }),
            Err("stop")
        );
        assert_eq!(visits, 1, "each stops at the first error");
    }
    check(HashMap::new());
    check(BTreeMap::new());
}

#[test]
fn enums_know_their_names_and_numbers() {
    use crate::codec::ProtoEnum as _;
    assert_eq!(Kind::PROTO_NAME, "TestKind");
    assert_eq!(Kind::from_name("KIND_FIVE"), Some(Kind::Five));
    assert_eq!(Kind::from_name("ONE"), Some(Kind::One));
    assert_eq!(Kind::from_name("ZERO"), Some(Kind::Zero));
    assert_eq!(Kind::from_name("FIVE"), None);
    assert_eq!(Kind::from_name(""), None);
    assert_eq!(Kind::Five.name(), "KIND_FIVE");
    assert_eq!(Kind::One.name(), "ONE");
    assert_eq!(Kind::Zero.name(), "ZERO");
    assert_eq!(Kind::from_i32(5), Some(Kind::Five));
    assert_eq!(Kind::from_i32(2), None);
    assert_eq!(Kind::Five.to_i32(), 5);
}
