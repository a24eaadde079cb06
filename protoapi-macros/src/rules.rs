//! The validation rules of one field (`#[validate(...)]`), checked against the field's type.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::attr::{CountLit, NumberLit, ValidateAttrs};
use crate::ctxt::Ctxt;
use crate::types::{Codec, Kind};

/// The rules of a field, each fitting its type.
#[derive(Default)]
pub struct Rules {
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub pattern: Option<LitStr>,
    pub required: bool,
    /// `custom = "path"`: the function, its tokens spanned at the literal.
    pub custom: Option<syn::Path>,
}

/// A bound of `min` or `max`.
pub struct Bound {
    pub number: Number,
    /// A literal of the field's value type, such as `-5_i32`.
    pub tokens: TokenStream,
}

#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub enum Number {
    Int(i128),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(n) => n as f64,
            Number::Float(x) => x,
        }
    }

    fn greater_than(self, other: Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a > b,
            (a, b) => a.as_f64() > b.as_f64(),
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{n}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// The kind of the values a rule such as `min` sees: the field's, or its elements'.
fn value_kind(codec: &Codec) -> Kind {
    match codec {
        Codec::Singular(kind) | Codec::Optional(kind) | Codec::Repeated(kind) => *kind,
        Codec::Map(_, value) => *value,
    }
}

/// The integer range and Rust name of a number kind; `None` for floats and non-numbers.
fn int_range(kind: Kind) -> Option<(i128, i128, &'static str)> {
    match kind {
        Kind::Int32 | Kind::SInt32 | Kind::SFixed32 => {
            Some((i32::MIN.into(), i32::MAX.into(), "i32"))
        }
        Kind::Int64 | Kind::SInt64 | Kind::SFixed64 => {
            Some((i64::MIN.into(), i64::MAX.into(), "i64"))
        }
        Kind::UInt32 | Kind::Fixed32 => Some((0, u32::MAX.into(), "u32")),
        Kind::UInt64 | Kind::Fixed64 => Some((0, u64::MAX.into(), "u64")),
        _ => None,
    }
}

fn float_name(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Float => Some("f32"),
        Kind::Double => Some("f64"),
        _ => None,
    }
}

/// How a value of a kind is called in an error: `String`, `bool`, `Child`.
fn kind_text(kind: Kind) -> String {
    match kind {
        Kind::Str => "a string".to_owned(),
        Kind::Bytes => "bytes".to_owned(),
        Kind::Bool => "a `bool`".to_owned(),
        Kind::Named => "a message or enum".to_owned(),
        _ => "a number".to_owned(),
    }
}

impl Rules {
    /// Whether the field has no rule.
    pub fn is_empty(&self) -> bool {
        self.min.is_none()
            && self.max.is_none()
            && self.min_len.is_none()
            && self.max_len.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.pattern.is_none()
            && !self.required
            && self.custom.is_none()
    }

    /// The rules of `#[validate(...)]`, each checked against the field's type.
    pub fn from_attrs(cx: &Ctxt, attrs: &ValidateAttrs, codec: &Codec) -> Rules {
        let kind = value_kind(codec);
        let mut rules = Rules::default();

        for (key, value, slot) in [
            ("min", &attrs.min, &mut rules.min),
            ("max", &attrs.max, &mut rules.max),
        ] {
            let (Some(lit), Some(span)) = (value.get(), value.span()) else {
                continue;
            };
            if int_range(kind).is_none() && float_name(kind).is_none() {
                let hint = match kind {
                    Kind::Str | Kind::Bytes => format!(": use `{key}_len` for the length"),
                    _ => String::new(),
                };
                cx.error_at(
                    span,
                    format_args!(
                        "`{key}` bounds numbers (integer and float fields, their `Option`, `Vec` and map values), not {}{hint}",
                        kind_text(kind)
                    ),
                );
                continue;
            }
            *slot = bound(cx, key, lit, kind);
        }
        if let (Some(min), Some(max)) = (&rules.min, &rules.max)
            && min.number.greater_than(max.number)
            && let Some(lit) = attrs.max.get()
        {
            cx.error_spanned_by(
                &lit.tokens,
                format_args!(
                    "`min` ({}) is greater than `max` ({})",
                    min.number, max.number
                ),
            );
        }

        let is_text = matches!(kind, Kind::Str | Kind::Bytes);
        for (key, value, slot) in [
            ("min_len", &attrs.min_len, &mut rules.min_len),
            ("max_len", &attrs.max_len, &mut rules.max_len),
        ] {
            let (Some(count), Some(span)) = (value.get(), value.span()) else {
                continue;
            };
            if !is_text {
                let hint = match (codec, key) {
                    (Codec::Repeated(_) | Codec::Map(..), "min_len") => {
                        ": use `min_items` for the number of entries"
                    }
                    (Codec::Repeated(_) | Codec::Map(..), _) => {
                        ": use `max_items` for the number of entries"
                    }
                    _ if int_range(kind).is_some() || float_name(kind).is_some() => {
                        if key == "min_len" {
                            ": use `min` for a number"
                        } else {
                            ": use `max` for a number"
                        }
                    }
                    _ => "",
                };
                cx.error_at(
                    span,
                    format_args!(
                        "`{key}` bounds the length of strings (in characters) and bytes, not {}{hint}",
                        kind_text(kind)
                    ),
                );
                continue;
            }
            *slot = Some(count.value);
        }
        check_order(cx, "min_len", &attrs.min_len, "max_len", &attrs.max_len);

        let is_collection = matches!(codec, Codec::Repeated(_) | Codec::Map(..));
        for (key, value, slot) in [
            ("min_items", &attrs.min_items, &mut rules.min_items),
            ("max_items", &attrs.max_items, &mut rules.max_items),
        ] {
            let (Some(count), Some(span)) = (value.get(), value.span()) else {
                continue;
            };
            if !is_collection {
                cx.error_at(
                    span,
                    format_args!(
                        "`{key}` bounds the entries of repeated fields (`Vec<T>`) and maps"
                    ),
                );
                continue;
            }
            *slot = Some(count.value);
        }
        check_order(
            cx,
            "min_items",
            &attrs.min_items,
            "max_items",
            &attrs.max_items,
        );

        if let (Some(lit), Some(span)) = (attrs.pattern.get(), attrs.pattern.span()) {
            if kind != Kind::Str {
                cx.error_at(
                    span,
                    format_args!(
                        "`pattern` applies to strings (and their `Option`, `Vec` and map values), not {}",
                        kind_text(kind)
                    ),
                );
            } else if let Err(error) = regex::Regex::new(&lit.value()) {
                cx.error_spanned_by(
                    lit,
                    format_args!("invalid regular expression: {}", regex_error(&error)),
                );
            } else {
                rules.pattern = Some(lit.clone());
            }
        }

        if let Some(span) = attrs.required.span() {
            if matches!(codec, Codec::Optional(_)) {
                rules.required = true;
            } else {
                let hint = if is_collection {
                    ": use `min_items = 1` for a repeated field or a map"
                } else {
                    ": this field is always present"
                };
                cx.error_at(
                    span,
                    format_args!("`required` applies to `Option` fields{hint}"),
                );
            }
        }

        if let Some(lit) = attrs.custom.get() {
            match lit.parse::<syn::Path>() {
                Ok(path) => rules.custom = Some(path),
                Err(_) => cx.error_spanned_by(
                    lit,
                    "`custom` is the path of a function, such as `custom = \"crate::check_name\"`",
                ),
            }
        }
        rules
    }
}

/// `min_x` must not exceed `max_x`; the error points at `max_x`'s value.
fn check_order(
    cx: &Ctxt,
    min_key: &str,
    min: &crate::attr::Value<CountLit>,
    max_key: &str,
    max: &crate::attr::Value<CountLit>,
) {
    if let (Some(min), Some(max)) = (min.get(), max.get())
        && min.value > max.value
    {
        cx.error_at(
            max.span,
            format_args!(
                "`{min_key}` ({}) is greater than `{max_key}` ({})",
                min.value, max.value
            ),
        );
    }
}

/// The bound of `min` or `max` as a literal of the field's value type.
fn bound(cx: &Ctxt, key: &str, lit: &NumberLit, kind: Kind) -> Option<Bound> {
    let minus = if lit.negative { "-" } else { "" };
    let suffix = match &lit.lit {
        syn::Lit::Int(int) => int.suffix(),
        syn::Lit::Float(float) => float.suffix(),
        _ => "",
    };
    if !suffix.is_empty() {
        cx.error_spanned_by(
            &lit.tokens,
            format_args!("write `{key}` without a type suffix: the field's type is used"),
        );
        return None;
    }
    let (number, digits, ty) = if let Some((low, high, ty)) = int_range(kind) {
        let syn::Lit::Int(int) = &lit.lit else {
            cx.error_spanned_by(
                &lit.tokens,
                format_args!("`{key}` of an integer field is an integer, such as `{key} = 1`"),
            );
            return None;
        };
        let value = int
            .base10_parse::<i128>()
            .ok()
            .map(|n| if lit.negative { -n } else { n })
            .filter(|n| (low..=high).contains(n));
        let Some(value) = value else {
            cx.error_spanned_by(
                &lit.tokens,
                format_args!("`{key}` is out of range for `{ty}`: {low} to {high}"),
            );
            return None;
        };
        (Number::Int(value), int.base10_digits().to_owned(), ty)
    } else {
        let ty = float_name(kind)?;
        let (parsed, digits) = match &lit.lit {
            syn::Lit::Int(int) => (int.base10_parse::<f64>(), int.base10_digits()),
            syn::Lit::Float(float) => (float.base10_parse::<f64>(), float.base10_digits()),
            _ => return None,
        };
        let value = parsed
            .ok()
            .map(|x| if lit.negative { -x } else { x })
            .filter(|x| x.is_finite() && (ty == "f64" || (*x as f32).is_finite()));
        let Some(value) = value else {
            cx.error_spanned_by(
                &lit.tokens,
                format_args!("`{key}` is out of range for `{ty}`"),
            );
            return None;
        };
        (Number::Float(value), digits.to_owned(), ty)
    };
    let text = format!("{minus}{digits}_{ty}");
    let tokens: TokenStream = match text.parse() {
        Ok(tokens) => crate::respan::respan(tokens, lit.lit.span()),
        Err(_) => {
            cx.error_spanned_by(&lit.tokens, format_args!("`{key}` is not a number"));
            return None;
        }
    };
    Some(Bound { number, tokens })
}

/// The last line of a regex error, which says what is wrong (`unclosed group`).
fn regex_error(error: &regex::Error) -> String {
    let text = error.to_string();
    let last = text.lines().last().unwrap_or(&text).trim();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::attr::MessageArgs;
    use crate::ctxt::Ctxt;
    use crate::model::Message;

    fn message(item: syn::ItemStruct) -> (Message, Vec<String>) {
        let cx = Ctxt::new();
        let args = MessageArgs::parse(&cx, quote!());
        let message = Message::from_ast(&cx, args, item);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        };
        (message, errors)
    }

    #[test]
    fn rules_are_typed_by_the_field() {
        let (message, errors) = message(syn::parse_quote! {
            pub struct M {
                #[validate(min = -5, max = 5)]
                pub a: i32,
                #[validate(min = 1, max = 2.5)]
                pub b: Option<f32>,
                #[validate(min_len = 1)]
                #[validate(max_len = 9, pattern = "^x", required, custom = "crate::check")]
                pub c: Option<String>,
                #[validate(min_items = 1, max_items = 3, max = 7)]
                pub d: std::collections::HashMap<String, u64>,
                #[validate(max_len = 4)]
                pub e: Vec<u8>,
            }
        });
        assert_eq!(errors, Vec::<String>::new());
        let bound = |f: usize| {
            let rules = &message.fields[f].rules;
            (
                rules.min.as_ref().map(|b| b.tokens.to_string()),
                rules.max.as_ref().map(|b| b.tokens.to_string()),
            )
        };
        assert_eq!(bound(0), (Some("- 5_i32".into()), Some("5_i32".into())));
        assert_eq!(bound(1), (Some("1_f32".into()), Some("2.5_f32".into())));
        assert_eq!(bound(3), (None, Some("7_u64".into())));
        let c = &message.fields[2].rules;
        assert_eq!((c.min_len, c.max_len, c.required), (Some(1), Some(9), true));
        assert_eq!(
            c.pattern.as_ref().map(syn::LitStr::value).as_deref(),
            Some("^x")
        );
        assert!(c.custom.is_some());
        let d = &message.fields[3].rules;
        assert_eq!((d.min_items, d.max_items), (Some(1), Some(3)));
        assert_eq!(message.fields[4].rules.max_len, Some(4));
        // Custom functions have no schema.
        let constraints = c.constraints(&quote!(p)).to_string();
        assert!(
            constraints.contains("pattern : :: core :: option :: Option :: Some (\"^x\")"),
            "{constraints}"
        );
        assert!(constraints.contains("required : true"), "{constraints}");
    }

    #[test]
    fn every_misfit_is_reported_at_once() {
        let (_, errors) = message(syn::parse_quote! {
            pub struct M {
                #[validate(min = 1, min_items = 2)]
                pub a: String,
                #[validate(min_len = 3, max_len = 2, required)]
                pub b: String,
                #[validate(pattern = "(", bogus)]
                pub c: String,
                #[validate(max = 1e40)]
                pub d: f32,
            }
        });
        assert_eq!(
            errors,
            [
                "`min` bounds numbers (integer and float fields, their `Option`, `Vec` and map values), not a string: use `min_len` for the length",
                "`min_items` bounds the entries of repeated fields (`Vec<T>`) and maps",
                "`min_len` (3) is greater than `max_len` (2)",
                "`required` applies to `Option` fields: this field is always present",
                "unknown `validate` attribute `bogus`, expected one of `min`, `max`, `min_len`, `max_len`, `min_items`, `max_items`, `pattern`, `required`, `custom`",
                "invalid regular expression: unclosed group",
                "`max` is out of range for `f32`",
            ]
        );
    }
}
