use std::collections::{BTreeMap, HashMap};

/// An enum with explicit values.
#[protoapi::message]
pub enum Level {
    Low = 0,
    High = 10,
    #[protoapi(name = "LEVEL_MAX")]
    Max,
}

#[protoapi::message]
pub struct Inner {
    pub value: i32,
}

/// Every field shape.
#[protoapi::message(name = "AllTypes")]
#[derive(Debug, Default)]
pub struct Everything {
    pub text: String,
    pub flag: bool,
    pub a: i32,
    pub b: i64,
    pub c: u32,
    pub d: u64,
    pub e: f32,
    pub f: f64,
    pub g: Vec<u8>,
    pub h: protoapi::Bytes,
    #[protoapi(tag = 20, encoding = "sint32")]
    pub i: i32,
    pub j: Option<i64>,
    pub k: Vec<String>,
    pub l: HashMap<String, Inner>,
    pub m: BTreeMap<i64, Level>,
    pub n: Option<Inner>,
    pub o: Inner,
    pub p: Vec<Level>,
    #[protoapi(name = "renamed")]
    pub r#type: String,
}

#[protoapi::message]
pub struct Unit;

#[protoapi::message]
pub struct Braces {}

fn main() {
    use protoapi::{ProtoEnum as _, ProtoMessage as _};
    assert_eq!(Everything::PROTO_NAME, "AllTypes");
    assert_eq!(Level::Max.to_i32(), 11);
    assert_eq!(Level::from_name("LEVEL_MAX"), Some(Level::Max));
    let _ = format!("{:?}", Everything::default());
    let _ = Unit.clone();
    let _ = Braces {};
}
