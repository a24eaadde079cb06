//! Classifies a field's Rust type into its protobuf codec.

use quote::quote;
use syn::{GenericArgument, PathArguments, Type};

/// How one value is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int32,
    SInt32,
    SFixed32,
    Int64,
    SInt64,
    SFixed64,
    UInt32,
    Fixed32,
    UInt64,
    Fixed64,
    Bool,
    Float,
    Double,
    Str,
    Bytes,
    /// A message or enum declared with `#[protoapi::message]`.
    Named,
}

/// A field's codec: its presence rule and value kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Codec {
    Singular(Kind),
    Optional(Kind),
    Repeated(Kind),
    Map(Kind, Kind),
}

impl Kind {
    fn is_map_key(self) -> bool {
        !matches!(self, Kind::Float | Kind::Double | Kind::Bytes | Kind::Named)
    }
}

pub const SUPPORTED: &str = "String, bool, i32, i64, u32, u64, f32, f64, Vec<u8>, bytes::Bytes, \
    Option<T>, Vec<T>, HashMap<K, V>, BTreeMap<K, V>, and types marked #[protoapi::message]";

/// The last path segment of a type and its generic arguments, if it is a plain path.
fn last_segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    let args = match &segment.arguments {
        PathArguments::None => Vec::new(),
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        PathArguments::Parenthesized(_) => return None,
    };
    Some((segment.ident.to_string(), args))
}

/// Classifies a field type. `encoding` (`sint64`, `fixed32`, ...) changes the integer encoding
/// of the scalar values (the map value for maps).
pub fn classify(ty: &Type, encoding: Option<&str>) -> Result<Codec, String> {
    let unsupported = || {
        format!(
            "unsupported field type `{}`: protoapi messages support {SUPPORTED}",
            quote!(#ty).to_string().replace(' ', "")
        )
    };
    let Some((name, args)) = last_segment(ty) else {
        return Err(unsupported());
    };
    match (name.as_str(), args.as_slice()) {
        ("Option", [inner]) => match value_kind(inner, encoding)? {
            Some(kind) => Ok(Codec::Optional(kind)),
            None => Err(format!(
                "`Option` holds a single value: {}",
                unsupported_inner(inner)
            )),
        },
        ("Vec", [inner]) if !is_u8(inner) => match value_kind(inner, encoding)? {
            Some(kind) => Ok(Codec::Repeated(kind)),
            None => Err(format!(
                "`Vec` holds single values: {}",
                unsupported_inner(inner)
            )),
        },
        ("HashMap" | "BTreeMap", [key, value]) => {
            let key_kind = value_kind(key, None)?.filter(|k| k.is_map_key()).ok_or_else(|| {
                format!(
                    "unsupported map key type `{}`: map keys are String, bool, i32, i64, u32 or u64",
                    quote!(#key).to_string().replace(' ', "")
                )
            })?;
            match value_kind(value, encoding)? {
                Some(kind) => Ok(Codec::Map(key_kind, kind)),
                None => Err(format!(
                    "map values are single values: {}",
                    unsupported_inner(value)
                )),
            }
        }
        _ => match value_kind(ty, encoding)? {
            Some(kind) => Ok(Codec::Singular(kind)),
            None => Err(unsupported()),
        },
    }
}

/// The message or enum type a field holds, when its values are one: the field's type, its
/// `Option` or `Vec` element, or its map value.
pub fn named_value(ty: &Type, codec: &Codec) -> Option<Type> {
    let args = || last_segment(ty).map(|(_, args)| args).unwrap_or_default();
    match codec {
        Codec::Singular(Kind::Named) => Some(ty.clone()),
        Codec::Optional(Kind::Named) | Codec::Repeated(Kind::Named) => {
            args().first().map(|t| (*t).clone())
        }
        Codec::Map(_, Kind::Named) => args().get(1).map(|t| (*t).clone()),
        _ => None,
    }
}

fn unsupported_inner(ty: &Type) -> String {
    format!(
        "`{}` is not supported there",
        quote!(#ty).to_string().replace(' ', "")
    )
}

fn is_u8(ty: &Type) -> bool {
    matches!(last_segment(ty), Some((name, args)) if name == "u8" && args.is_empty())
}

/// The kind of a single value; `Ok(None)` for a collection or a container type.
fn value_kind(ty: &Type, encoding: Option<&str>) -> Result<Option<Kind>, String> {
    let Some((name, args)) = last_segment(ty) else {
        return Ok(None);
    };
    let kind = match (name.as_str(), args.as_slice()) {
        ("i32", []) => Kind::Int32,
        ("i64", []) => Kind::Int64,
        ("u32", []) => Kind::UInt32,
        ("u64", []) => Kind::UInt64,
        ("bool", []) => Kind::Bool,
        ("f32", []) => Kind::Float,
        ("f64", []) => Kind::Double,
        ("String", []) => Kind::Str,
        ("Bytes", []) => Kind::Bytes,
        ("Vec", [inner]) if is_u8(inner) => Kind::Bytes,
        ("Option" | "Vec" | "HashMap" | "BTreeMap" | "Box" | "Rc" | "Arc" | "Cow", _) => {
            return Ok(None);
        }
        (
            "i8" | "i16" | "i128" | "isize" | "u8" | "u16" | "u128" | "usize" | "char" | "str"
            | "f16" | "f128",
            _,
        ) => {
            return Ok(None);
        }
        (_, []) => Kind::Named,
        _ => return Ok(None),
    };
    let Some(encoding) = encoding else {
        return Ok(Some(kind));
    };
    let chosen = match (kind, encoding) {
        (Kind::Int32, "int32") => Kind::Int32,
        (Kind::Int32, "sint32") => Kind::SInt32,
        (Kind::Int32, "sfixed32") => Kind::SFixed32,
        (Kind::Int64, "int64") => Kind::Int64,
        (Kind::Int64, "sint64") => Kind::SInt64,
        (Kind::Int64, "sfixed64") => Kind::SFixed64,
        (Kind::UInt32, "uint32") => Kind::UInt32,
        (Kind::UInt32, "fixed32") => Kind::Fixed32,
        (Kind::UInt64, "uint64") => Kind::UInt64,
        (Kind::UInt64, "fixed64") => Kind::Fixed64,
        (Kind::Int32, _) => {
            return Err(format!(
                "unknown encoding `{encoding}` for i32, expected `int32`, `sint32` or `sfixed32`"
            ));
        }
        (Kind::Int64, _) => {
            return Err(format!(
                "unknown encoding `{encoding}` for i64, expected `int64`, `sint64` or `sfixed64`"
            ));
        }
        (Kind::UInt32, _) => {
            return Err(format!(
                "unknown encoding `{encoding}` for u32, expected `uint32` or `fixed32`"
            ));
        }
        (Kind::UInt64, _) => {
            return Err(format!(
                "unknown encoding `{encoding}` for u64, expected `uint64` or `fixed64`"
            ));
        }
        _ => {
            return Err(
                "`encoding` applies to integer fields (i32, i64, u32, u64) only".to_owned(),
            );
        }
    };
    Ok(Some(chosen))
}

#[cfg(test)]
mod tests {
    use super::{Codec, Kind, classify};

    fn codec(ty: &str, encoding: Option<&str>) -> Result<Codec, String> {
        classify(&syn::parse_str(ty).expect("type"), encoding)
    }

    #[test]
    fn scalars_collections_and_named_types() {
        assert_eq!(codec("String", None), Ok(Codec::Singular(Kind::Str)));
        assert_eq!(
            codec("std::string::String", None),
            Ok(Codec::Singular(Kind::Str))
        );
        assert_eq!(codec("Vec<u8>", None), Ok(Codec::Singular(Kind::Bytes)));
        assert_eq!(
            codec("bytes::Bytes", None),
            Ok(Codec::Singular(Kind::Bytes))
        );
        assert_eq!(
            codec("Vec<Vec<u8>>", None),
            Ok(Codec::Repeated(Kind::Bytes))
        );
        assert_eq!(
            codec("Option<i64>", Some("sint64")),
            Ok(Codec::Optional(Kind::SInt64))
        );
        assert_eq!(codec("Vec<Child>", None), Ok(Codec::Repeated(Kind::Named)));
        assert_eq!(
            codec("HashMap<u64, i32>", Some("sfixed32")),
            Ok(Codec::Map(Kind::UInt64, Kind::SFixed32))
        );
        assert_eq!(
            codec("BTreeMap<bool, Kind>", None),
            Ok(Codec::Map(Kind::Bool, Kind::Named))
        );
    }

    #[test]
    fn unsupported_types_say_what_is_supported() {
        let error = codec("usize", None).expect_err("usize");
        assert!(
            error.starts_with("unsupported field type `usize`: protoapi messages support String"),
            "{error}"
        );
        assert_eq!(
            codec("Option<Option<i32>>", None),
            Err("`Option` holds a single value: `Option<i32>` is not supported there".to_owned())
        );
        assert_eq!(
            codec("HashMap<Child, i32>", None),
            Err(
                "unsupported map key type `Child`: map keys are String, bool, i32, i64, u32 or u64"
                    .to_owned()
            )
        );
        assert_eq!(
            codec("String", Some("sint32")),
            Err("`encoding` applies to integer fields (i32, i64, u32, u64) only".to_owned())
        );
    }
}
