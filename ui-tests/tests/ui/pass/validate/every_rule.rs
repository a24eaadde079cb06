use std::collections::{BTreeMap, HashMap};

use protoapi::Validate as _;

#[protoapi::message]
pub enum Kind {
    Unknown,
    Known,
}

#[protoapi::message]
pub struct Child {
    #[validate(min_len = 1)]
    pub name: String,
}

fn not_admin(name: &str) -> Result<(), String> {
    if name == "admin" {
        Err("is reserved".to_owned())
    } else {
        Ok(())
    }
}

fn even(values: &[i32]) -> Result<(), &'static str> {
    if values.len() % 2 == 0 { Ok(()) } else { Err("must have an even number of values") }
}

mod rules {
    pub fn known(kind: &super::Kind) -> Result<(), String> {
        match kind {
            super::Kind::Known => Ok(()),
            super::Kind::Unknown => Err("must be known".into()),
        }
    }
}

#[protoapi::message]
pub struct Everything {
    #[validate(min = -5, max = 5)]
    pub int32_value: i32,
    #[validate(min = 0, max = 18446744073709551615)]
    pub uint64_value: u64,
    #[validate(min = -1, max = 1.5)]
    pub double_value: f64,
    #[validate(min = 0.5)]
    pub float_value: f32,
    #[validate(min_len = 1, max_len = 10, pattern = "^[a-z]+$", custom = "not_admin")]
    pub name: String,
    #[validate(max_len = 16)]
    pub raw: Vec<u8>,
    #[validate(max_len = 16)]
    pub buf: protoapi::Bytes,
    #[validate(required, min = 1)]
    pub maybe: Option<u32>,
    #[validate(required)]
    pub child: Option<Child>,
    #[validate(min_items = 1, max_items = 4, min = 0)]
    #[validate(custom = "even")]
    pub values: Vec<i32>,
    #[validate(max_items = 2, max_len = 3)]
    pub words: HashMap<String, String>,
    #[validate(min_items = 1)]
    pub children: BTreeMap<u64, Child>,
    #[validate(custom = "rules::known")]
    pub kind: Kind,
    #[validate(min_items = 0)]
    pub kinds: Vec<Kind>,
    #[validate()]
    pub plain: bool,
}

fn main() {
    let violations = Everything::default().validate().expect_err("invalid");
    assert!(!violations.is_empty());
}
