//! Which names protobuf accepts, and which the generated code takes. Below every other module.

/// Whether `s` is a protobuf identifier: a letter or `_`, then letters, digits and `_`.
pub fn is_proto_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Method names the generated client defines itself.
pub const RESERVED_CLIENT_METHODS: &[&str] = &["new", "connect", "with_origin", "into_inner"];

/// Whether a method of the trait would clash with one the generated code defines.
pub fn is_reserved_method(name: &str) -> bool {
    RESERVED_CLIENT_METHODS.contains(&name) || name.starts_with("__protoapi")
}
