//! Which names protobuf accepts. Below every other module.

/// Whether `s` is a protobuf identifier: a letter or `_`, then letters, digits and `_`.
pub fn is_proto_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
