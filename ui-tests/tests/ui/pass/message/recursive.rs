//! Messages that hold themselves and each other.
use std::collections::HashMap;

#[protoapi::message]
pub struct Tree {
    pub name: String,
    pub children: Vec<Tree>,
    pub forest: Option<Forest>,
    pub next: Vec<Self>,
}

#[protoapi::message]
pub struct Forest {
    pub trees: HashMap<String, Tree>,
    pub kind: Kind,
}

#[protoapi::message]
pub enum Kind {
    Unknown = 0,
    Oak = 1,
}

fn main() {
    let tree = Tree {
        name: "root".into(),
        children: vec![Tree::default()],
        forest: Some(Forest::default()),
        next: Vec::new(),
    };
    assert_eq!(tree.clone(), tree);
    assert!(format!("{tree:?}").starts_with("Tree { name: \"root\""));
    fn is_message<T: protoapi::ProtoMessage>() {}
    is_message::<Tree>();
    is_message::<Forest>();
}
